//! The history as a graph: each migration's parents (its `//! after:` line, or the previous file
//! by name for a file without one), the heads (migrations nothing comes after), and, when there
//! are several heads, where the branches forked and which migrations each holds. Also the rows
//! of `showmigrations --graph`. No IO (docs/guide.md, "Branches").
//!
//! A parent always sorts before its child (generated names sort after every existing file), so
//! applying in name order is a topological order and the executor's order does not change.

use std::collections::{BTreeMap, BTreeSet};

use crate::facts::MigrationFacts;

/// One migration and the ones it was written after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub parents: Vec<String>,
}

/// A parent that the graph left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// `//! after:` names a migration that is not in the migrations folder.
    UnknownParent { migration: String, parent: String },
    /// `//! after:` names a migration that sorts after this one.
    LaterParent { migration: String, parent: String },
}

/// The history's migrations in name order, each with its parents.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    nodes: Vec<Node>,
    problems: Vec<Problem>,
}

/// Two or more heads: the last migration every branch shares (none when they share nothing)
/// and each branch's migrations after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    pub fork: Option<String>,
    pub branches: Vec<Branch>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    pub head: String,
    /// Oldest first; the migrations of this branch that no other branch has.
    pub migrations: Vec<String>,
}

impl Graph {
    /// `files` are the migrations' names in name order; `facts` the build script's markers.
    pub fn new(files: &[&str], facts: &[MigrationFacts]) -> Graph {
        let known: BTreeSet<&str> = files.iter().copied().collect();
        let mut graph = Graph::default();
        for (i, name) in files.iter().enumerate() {
            let declared = facts.iter().find(|f| f.name == *name).and_then(|f| f.after);
            let parents: Vec<String> = match declared {
                Some(after) => after
                    .iter()
                    .filter(|parent| {
                        let problem = if !known.contains(**parent) {
                            Problem::UnknownParent {
                                migration: name.to_string(),
                                parent: parent.to_string(),
                            }
                        } else if *parent >= name {
                            Problem::LaterParent {
                                migration: name.to_string(),
                                parent: parent.to_string(),
                            }
                        } else {
                            return true;
                        };
                        graph.problems.push(problem);
                        false
                    })
                    .map(|p| p.to_string())
                    .collect(),
                None => i
                    .checked_sub(1)
                    .map(|previous| vec![files[previous].to_string()])
                    .unwrap_or_default(),
            };
            graph.nodes.push(Node {
                name: name.to_string(),
                parents,
            });
        }
        graph
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Parents the graph left out (named migrations that are not there, or come later).
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The migrations nothing comes after, in name order.
    pub fn heads(&self) -> Vec<&str> {
        let with_children: BTreeSet<&str> = self
            .nodes
            .iter()
            .flat_map(|n| n.parents.iter().map(String::as_str))
            .collect();
        self.nodes
            .iter()
            .map(|n| n.name.as_str())
            .filter(|name| !with_children.contains(name))
            .collect()
    }

    /// The migrations written after `name`, in name order.
    pub fn children(&self, name: &str) -> Vec<&str> {
        self.nodes
            .iter()
            .filter(|n| n.parents.iter().any(|p| p == name))
            .map(|n| n.name.as_str())
            .collect()
    }

    /// `name` and every migration it comes after.
    pub fn ancestors(&self, name: &str) -> BTreeSet<&str> {
        let by_name: BTreeMap<&str, &Node> =
            self.nodes.iter().map(|n| (n.name.as_str(), n)).collect();
        let mut seen = BTreeSet::new();
        let mut stack = vec![name];
        while let Some(current) = stack.pop() {
            let Some(node) = by_name.get(current) else {
                continue;
            };
            if seen.insert(node.name.as_str()) {
                stack.extend(node.parents.iter().map(String::as_str));
            }
        }
        seen
    }

    /// Whether `descendant` comes after `ancestor` (directly or not).
    pub fn descends_from(&self, descendant: &str, ancestor: &str) -> bool {
        descendant != ancestor && self.ancestors(descendant).contains(ancestor)
    }

    /// With more than one head: where the branches forked and what each holds.
    pub fn divergence(&self) -> Option<Divergence> {
        let heads = self.heads();
        if heads.len() < 2 {
            return None;
        }
        let lines: Vec<BTreeSet<&str>> = heads.iter().map(|h| self.ancestors(h)).collect();
        let shared: BTreeSet<&str> = lines
            .iter()
            .skip(1)
            .fold(lines[0].clone(), |all, line| &all & line);
        // Names sort parents first, so the newest shared migration is the fork.
        let fork = shared.iter().next_back().map(|f| f.to_string());
        let branches = heads
            .iter()
            .zip(&lines)
            .map(|(head, line)| Branch {
                head: head.to_string(),
                migrations: line.difference(&shared).map(|m| m.to_string()).collect(),
            })
            .collect();
        Some(Divergence { fork, branches })
    }

    /// The rows of `showmigrations --graph`, oldest first: the lanes drawn before each
    /// migration's name (`*` marks it), and the connecting rows where branches fork (`|\`) or
    /// join (`|/`), as `git log --graph` draws them.
    pub fn draw(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        // Each lane waits for one migration: the child its edge leads to.
        let mut lanes: Vec<Option<String>> = Vec::new();
        for node in &self.nodes {
            let mut mine: Vec<usize> = lanes
                .iter()
                .enumerate()
                .filter(|(_, l)| l.as_deref() == Some(node.name.as_str()))
                .map(|(i, _)| i)
                .collect();
            if mine.is_empty() {
                // A first migration, or one whose parents are gone: a lane of its own.
                let free = lanes.iter().position(Option::is_none);
                let at = free.unwrap_or(lanes.len());
                if at == lanes.len() {
                    lanes.push(None);
                }
                lanes[at] = Some(node.name.clone());
                mine.push(at);
            }
            let at = mine[0];
            if mine.len() > 1 {
                // The other lanes join this one.
                rows.push(Row::connector(&lanes, |i| {
                    mine[1..].contains(&i).then_some('/')
                }));
                for joined in &mine[1..] {
                    lanes[*joined] = None;
                }
            }
            rows.push(Row {
                lanes: lanes_text(&lanes, Some(at), |_| None),
                migration: Some(node.name.clone()),
            });
            let children = self.children(&node.name);
            lanes[at] = children.first().map(|c| c.to_string());
            for (k, child) in children.iter().enumerate().skip(1) {
                lanes.insert(at + k, Some(child.to_string()));
            }
            if children.len() > 1 {
                // The new lanes open, and those right of them move over.
                rows.push(Row::connector(&lanes, |i| {
                    (i > at && (i < at + children.len() || lanes[i].is_some())).then_some('\\')
                }));
            }
            while lanes.last().is_some_and(Option::is_none) {
                lanes.pop();
            }
        }
        rows
    }
}

/// One row of the drawing: the lanes, then the migration's name (none on a connecting row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub lanes: String,
    pub migration: Option<String>,
}

impl Row {
    fn connector(lanes: &[Option<String>], marks: impl Fn(usize) -> Option<char>) -> Row {
        Row {
            lanes: lanes_text(lanes, None, marks),
            migration: None,
        }
    }
}

/// `| * |`: a `|` per open lane, a space per closed one, `*` where `node` is. A connecting row
/// draws its `marks` between lanes (`|\\`, `|/`), as `git log --graph` does.
fn lanes_text(
    lanes: &[Option<String>],
    node: Option<usize>,
    marks: impl Fn(usize) -> Option<char>,
) -> String {
    let mut cells = vec![' '; lanes.len() * 2];
    for (i, lane) in lanes.iter().enumerate() {
        match marks(i) {
            Some(c) => cells[(2 * i).saturating_sub(1)] = c,
            None if node == Some(i) => cells[2 * i] = '*',
            None if lane.is_some() => cells[2 * i] = '|',
            None => {}
        }
    }
    cells.into_iter().collect::<String>().trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(name: &'static str, parents: &'static [&'static str]) -> MigrationFacts {
        MigrationFacts {
            after: Some(parents),
            ..MigrationFacts::plain(name, "src/migrations/x.rs")
        }
    }

    #[test]
    fn files_without_the_marker_follow_the_previous_file() {
        let graph = Graph::new(&["m1", "m2", "m3"], &[]);
        assert_eq!(graph.heads(), ["m3"]);
        assert_eq!(graph.divergence(), None);
        assert_eq!(graph.nodes()[2].parents, ["m2"]);
        let drawn: Vec<String> = graph.draw().iter().map(|r| r.lanes.clone()).collect();
        assert_eq!(drawn, ["*", "*", "*"]);
    }

    #[test]
    fn two_branches_from_one_fork_are_two_heads() {
        let facts = [
            after("m1", &[]),
            after("m2", &["m1"]),
            after("m3", &["m2"]),
            after("m4", &["m2"]),
            after("m5", &["m3"]),
        ];
        let graph = Graph::new(&["m1", "m2", "m3", "m4", "m5"], &facts);
        assert_eq!(graph.heads(), ["m4", "m5"]);
        assert_eq!(
            graph.divergence(),
            Some(Divergence {
                fork: Some("m2".into()),
                branches: vec![
                    Branch {
                        head: "m4".into(),
                        migrations: vec!["m4".into()]
                    },
                    Branch {
                        head: "m5".into(),
                        migrations: vec!["m3".into(), "m5".into()]
                    },
                ]
            })
        );
        assert!(graph.descends_from("m5", "m2") && !graph.descends_from("m4", "m3"));
    }

    #[test]
    fn a_merge_makes_one_head_again_and_is_drawn_joining() {
        let facts = [
            after("m1", &[]),
            after("m2", &["m1"]),
            after("m3", &["m1"]),
            after("m4", &["m2", "m3"]),
        ];
        let graph = Graph::new(&["m1", "m2", "m3", "m4"], &facts);
        assert_eq!(graph.heads(), ["m4"]);
        let drawn: Vec<(String, Option<String>)> = graph
            .draw()
            .into_iter()
            .map(|r| (r.lanes, r.migration))
            .collect();
        let expected = [
            ("*", Some("m1")),
            ("|\\", None),
            ("* |", Some("m2")),
            ("| *", Some("m3")),
            ("|/", None),
            ("*", Some("m4")),
        ];
        let expected: Vec<(String, Option<String>)> = expected
            .iter()
            .map(|(l, m)| (l.to_string(), m.map(String::from)))
            .collect();
        assert_eq!(drawn, expected);
    }

    #[test]
    fn unknown_and_later_parents_are_left_out_and_reported() {
        let facts = [
            after("m1", &["m0"]),
            after("m2", &["m3"]),
            after("m3", &["m1"]),
        ];
        let graph = Graph::new(&["m1", "m2", "m3"], &facts);
        assert_eq!(graph.problems().len(), 2);
        assert_eq!(graph.heads(), ["m2", "m3"]);
        assert_eq!(graph.divergence().unwrap().fork, None);
    }
}
