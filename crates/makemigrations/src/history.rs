//! Whether the recorded history can be trusted, decided from the tracking rows and the migration
//! files: an applied migration edited since it ran (its checksum differs), one whose file is gone,
//! and a pending file older than the newest applied one (a branch merged late) that depends on
//! what those newer ones do (`late_conflicts`; an independent one is fine). Also the order in
//! which the migrations were applied, which `rollback` follows. No IO: `executor` reads the rows,
//! `cli` prints (docs/guide.md, "The history's integrity").

use std::collections::BTreeSet;

use crate::facts::MigrationFacts;
use crate::graph::Graph;
use crate::independence::{self, Conflict};

/// One applied migration as recorded: its `seaql_migrations` row and, when there is one, its row
/// in `makemigrations_checksums`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub name: String,
    /// Unix seconds, from `seaql_migrations`.
    pub applied_at: i64,
    /// `None` for a migration applied before checksums were recorded, or by a run that did not
    /// know the file's checksum (an adoption's baseline, `Migrator::up` in an application).
    pub checksum: Option<String>,
    /// The position in which it was applied (1 = first); `None` without a checksum row.
    pub order: Option<i64>,
}

/// An applied migration whose file's code is not what ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    pub migration: String,
    /// As the user should see it.
    pub file: String,
}

/// A pending migration older than the newest applied one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfOrder {
    pub migration: String,
    pub newest_applied: String,
    /// Why it cannot run after the applied migrations with later names; empty when it can (it
    /// sits on a branch independent of theirs).
    pub conflicts: Vec<Conflict>,
}

/// What is wrong with the history; empty when it can be trusted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub edited: Vec<Edited>,
    /// Applied migrations whose file is not in the migrations folder.
    pub missing: Vec<String>,
    /// Late files that depend on what the newer applied ones do.
    pub out_of_order: Vec<OutOfOrder>,
    /// Late files on a branch independent of the newer applied ones: they apply as they are.
    /// Not a problem, so not in [`Report::is_empty`].
    pub late_independent: Vec<OutOfOrder>,
}

impl Report {
    pub fn is_empty(&self) -> bool {
        self.edited.is_empty() && self.missing.is_empty() && self.out_of_order.is_empty()
    }

    /// What stops `migrate` from applying `to_apply`: every edited or missing migration, and the
    /// late files among those it would apply unless `--allow-out-of-order`.
    pub fn refusal(&self, to_apply: &[&str], allow_out_of_order: bool) -> Option<Report> {
        let refusal = Report {
            edited: self.edited.clone(),
            missing: self.missing.clone(),
            out_of_order: self
                .out_of_order
                .iter()
                .filter(|o| !allow_out_of_order && to_apply.contains(&o.migration.as_str()))
                .cloned()
                .collect(),
            late_independent: Vec::new(),
        };
        (!refusal.is_empty()).then_some(refusal)
    }
}

/// The checksum a file has now, from the build script's facts; `None` when the project gave no
/// facts (nothing can be compared then).
pub fn file_checksum<'a>(facts: &'a [MigrationFacts], name: &str) -> Option<&'a str> {
    facts
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.checksum)
        .filter(|c| !c.is_empty())
}

/// Whether two checksums were computed the same way (`v1:...`): one from another version of
/// the tool cannot say whether the file was edited.
fn same_scheme(a: &str, b: &str) -> bool {
    a.split_once(':').map(|(v, _)| v) == b.split_once(':').map(|(v, _)| v)
}

/// Compares the recorded history with the files. `files` are the migrations' names in file
/// order; `shown_file` turns a fact into the path the user sees.
pub fn inspect(
    files: &[&str],
    facts: &[MigrationFacts],
    applied: &[Applied],
    shown_file: impl Fn(&MigrationFacts) -> String,
) -> Report {
    let mut report = Report::default();
    let file_set: BTreeSet<&str> = files.iter().copied().collect();
    let applied_set: BTreeSet<&str> = applied.iter().map(|a| a.name.as_str()).collect();
    // A squashed migration stands for the files it replaces: they are not late, and a row of
    // one whose file is gone is not missing while the squashed file still names it.
    let settled = crate::replacement::settled(facts, &applied_set);
    for record in applied {
        let replaced = crate::replacement::replaced_by(facts, &record.name)
            .is_some_and(|s| file_set.contains(s.name));
        if !file_set.contains(record.name.as_str()) && !replaced {
            report.missing.push(record.name.clone());
            continue;
        }
        let (Some(recorded), Some(fact)) = (
            record.checksum.as_deref(),
            facts.iter().find(|f| f.name == record.name),
        ) else {
            continue;
        };
        if !fact.checksum.is_empty()
            && same_scheme(recorded, fact.checksum)
            && recorded != fact.checksum
        {
            report.edited.push(Edited {
                migration: record.name.clone(),
                file: shown_file(fact),
            });
        }
    }
    if let Some(newest) = applied.iter().map(|a| a.name.as_str()).max() {
        let graph = Graph::new(files, facts);
        let applied_names: Vec<&str> = applied.iter().map(|a| a.name.as_str()).collect();
        for file in files
            .iter()
            .filter(|f| **f < newest && !applied_set.contains(**f) && !settled.contains(**f))
        {
            let late = OutOfOrder {
                migration: file.to_string(),
                newest_applied: newest.to_string(),
                conflicts: late_conflicts(&graph, file, &applied_names, facts),
            };
            if late.conflicts.is_empty() {
                report.late_independent.push(late);
            } else {
                report.out_of_order.push(late);
            }
        }
    }
    report.edited.sort_by(|a, b| a.migration.cmp(&b.migration));
    report.missing.sort();
    report
}

/// Why the pending `migration` cannot run after the applied migrations whose names sort after
/// it; empty when it can: none of them was written after it, and its code and theirs touch no
/// table or enum type in common (`independence`). `migrate` and `check` both decide with this.
pub fn late_conflicts(
    graph: &Graph,
    migration: &str,
    applied: &[&str],
    facts: &[MigrationFacts],
) -> Vec<Conflict> {
    let later: Vec<&str> = applied.iter().copied().filter(|a| *a > migration).collect();
    let built_on: Vec<Conflict> = later
        .iter()
        .filter(|a| graph.descends_from(a, migration))
        .map(|a| Conflict::WrittenAfter {
            migration: a.to_string(),
        })
        .collect();
    if !built_on.is_empty() {
        return built_on;
    }
    independence::conflicts(&[migration], &later, facts)
}

/// The applied migrations' names in the order they were applied, oldest first. Recorded
/// positions decide; rows without one (applied before positions were recorded, or by
/// `Migrator::up` in an application) go by `applied_at` then name, merged with the others by
/// `applied_at`.
pub fn applied_sequence(applied: &[Applied]) -> Vec<&str> {
    let mut ordered: Vec<&Applied> = applied.iter().filter(|a| a.order.is_some()).collect();
    ordered.sort_by(|a, b| (a.order, &a.name).cmp(&(b.order, &b.name)));
    let mut unordered: Vec<&Applied> = applied.iter().filter(|a| a.order.is_none()).collect();
    unordered.sort_by(|a, b| (a.applied_at, &a.name).cmp(&(b.applied_at, &b.name)));
    let mut sequence = Vec::with_capacity(applied.len());
    let (mut o, mut u) = (
        ordered.into_iter().peekable(),
        unordered.into_iter().peekable(),
    );
    loop {
        let next = match (o.peek(), u.peek()) {
            (Some(a), Some(b)) if b.applied_at < a.applied_at => u.next(),
            (Some(_), _) => o.next(),
            (None, Some(_)) => u.next(),
            (None, None) => break,
        };
        sequence.extend(next.map(|a| a.name.as_str()));
    }
    sequence
}

/// The applied migrations that were applied after one with a later name (`migrate
/// --allow-out-of-order`), for `showmigrations` to mark.
pub fn applied_out_of_order(applied: &[Applied]) -> BTreeSet<&str> {
    let mut latest: Option<&str> = None;
    let mut late = BTreeSet::new();
    for name in applied_sequence(applied) {
        match latest {
            Some(newest) if name < newest => {
                late.insert(name);
            }
            _ => latest = Some(name),
        }
    }
    late
}

/// A row of `makemigrations_checksums` to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksumRow {
    pub version: String,
    pub checksum: Option<String>,
    pub order: i64,
}

/// The rows that record the checksum and position of every applied migration, when some have
/// none yet (applied before this was recorded): their files are taken as they are now, and the
/// positions follow [`applied_sequence`]. `None` when nothing is missing.
pub fn adoption(applied: &[Applied], facts: &[MigrationFacts]) -> Option<Vec<ChecksumRow>> {
    let unrecorded = |a: &Applied| {
        let now = file_checksum(facts, &a.name);
        a.order.is_none()
            || match (&a.checksum, now) {
                (None, Some(_)) => true,
                (Some(recorded), Some(now)) => !same_scheme(recorded, now),
                _ => false,
            }
    };
    if !applied.iter().any(unrecorded) {
        return None;
    }
    let sequence = applied_sequence(applied);
    Some(
        sequence
            .iter()
            .enumerate()
            .filter_map(|(i, name)| {
                let record = applied.iter().find(|a| a.name == *name)?;
                let checksum = if unrecorded(record) {
                    file_checksum(facts, name).map(str::to_string)
                } else {
                    record.checksum.clone()
                };
                Some(ChecksumRow {
                    version: name.to_string(),
                    checksum,
                    order: i as i64 + 1,
                })
            })
            .collect(),
    )
}

/// What `rehash` re-records: the edited migrations (only `target` when given), each with the
/// checksum its file has now.
pub fn rehash_plan(
    report: &Report,
    facts: &[MigrationFacts],
    target: Option<&str>,
) -> Vec<(String, String)> {
    report
        .edited
        .iter()
        .filter(|e| target.is_none_or(|t| t == e.migration))
        .filter_map(|e| {
            file_checksum(facts, &e.migration).map(|c| (e.migration.clone(), c.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(name: &'static str, checksum: &'static str) -> MigrationFacts {
        MigrationFacts {
            checksum,
            ..MigrationFacts::plain(name, "src/migrations/x.rs")
        }
    }

    fn applied(name: &str, applied_at: i64, checksum: Option<&str>, order: Option<i64>) -> Applied {
        Applied {
            name: name.into(),
            applied_at,
            checksum: checksum.map(str::to_string),
            order,
        }
    }

    #[test]
    fn edits_missing_files_and_late_files_are_reported() {
        let facts = [
            fact("m1", "v1:aa"),
            fact("m2", "v1:bb"),
            fact("m3", "v1:cc"),
        ];
        let files = ["m1", "m2", "m3"];
        let history = [
            applied("m1", 10, Some("v1:aa"), Some(1)),
            applied("m3", 11, Some("v1:c0"), Some(2)),
            applied("m4", 12, Some("v1:dd"), Some(3)),
        ];
        let report = inspect(&files, &facts, &history, |f| f.name.to_string());
        assert_eq!(
            report.edited,
            [Edited {
                migration: "m3".into(),
                file: "m3".into()
            }]
        );
        assert_eq!(report.missing, ["m4"]);
        assert_eq!(
            report.out_of_order,
            [OutOfOrder {
                migration: "m2".into(),
                newest_applied: "m4".into(),
                // m3 has no `//! after:` line: it follows m2, the previous file.
                conflicts: vec![Conflict::WrittenAfter {
                    migration: "m3".into()
                }],
            }]
        );
        // migrate refuses the edit and the missing file whatever it applies; the late file only
        // when it would apply it without --allow-out-of-order.
        let refusal = report.refusal(&[], false).unwrap();
        assert!(refusal.out_of_order.is_empty() && refusal.missing == ["m4"]);
        assert_eq!(
            report.refusal(&["m2"], false).unwrap().out_of_order.len(),
            1
        );
        assert!(report
            .refusal(&["m2"], true)
            .unwrap()
            .out_of_order
            .is_empty());
        assert_eq!(
            rehash_plan(&report, &facts, None),
            [("m3".to_string(), "v1:cc".to_string())]
        );
        assert!(rehash_plan(&report, &facts, Some("m1")).is_empty());
    }

    #[test]
    fn a_late_migration_on_an_independent_branch_is_not_a_problem() {
        let facts = [
            MigrationFacts {
                after: Some(&[]),
                created_tables: &["users", "notes"],
                names_in_code: Some(&["users", "notes", "id"]),
                ..fact("m1", "v1:a")
            },
            MigrationFacts {
                after: Some(&["m1"]),
                names_in_code: Some(&["users", "phone", "id"]),
                ..fact("m2", "v1:b")
            },
            MigrationFacts {
                after: Some(&["m1"]),
                names_in_code: Some(&["notes", "body", "id"]),
                ..fact("m3", "v1:c")
            },
            MigrationFacts {
                after: Some(&["m1"]),
                names_in_code: Some(&["users", "bio"]),
                ..fact("m4", "v1:d")
            },
        ];
        let files = ["m1", "m2", "m3"];
        let history = [
            applied("m1", 10, Some("v1:a"), Some(1)),
            applied("m3", 11, Some("v1:c"), Some(2)),
        ];
        // m2 (users) is older than m3 (notes), applied: they touch different tables.
        let report = inspect(&files, &facts[..3], &history, |f| f.name.to_string());
        assert!(report.is_empty(), "{report:?}");
        assert_eq!(report.late_independent[0].migration, "m2");
        assert!(report.refusal(&["m2"], false).is_none());
        // m2 is older than m4, applied, and both change users.
        let history = [
            applied("m1", 10, Some("v1:a"), Some(1)),
            applied("m4", 11, Some("v1:d"), Some(2)),
        ];
        let report = inspect(&["m1", "m2", "m4"], &facts, &history, |f| {
            f.name.to_string()
        });
        assert_eq!(
            report.out_of_order[0].conflicts,
            [Conflict::Object {
                object: "users".into(),
                left: vec!["m2".into()],
                right: vec!["m4".into()],
            }]
        );
    }

    #[test]
    fn unknown_or_unrecorded_checksums_report_nothing() {
        let facts = [fact("m1", ""), fact("m2", "v2:bb"), fact("m3", "v1:cc")];
        let history = [
            applied("m1", 10, Some("v1:aa"), Some(1)),
            applied("m2", 11, Some("v1:b0"), Some(2)),
            applied("m3", 12, None, None),
        ];
        let report = inspect(&["m1", "m2", "m3"], &facts, &history, |f| {
            f.name.to_string()
        });
        assert!(report.is_empty(), "{report:?}");
        assert!(inspect(&["m1"], &facts, &[], |f| f.name.to_string()).is_empty());
    }

    #[test]
    fn the_applied_order_follows_positions_then_time() {
        // m2 merged late and applied after m3.
        let history = [
            applied("m1", 10, Some("v1:a"), Some(1)),
            applied("m2", 20, Some("v1:b"), Some(3)),
            applied("m3", 20, Some("v1:c"), Some(2)),
        ];
        assert_eq!(applied_sequence(&history), ["m1", "m3", "m2"]);
        assert_eq!(applied_out_of_order(&history), BTreeSet::from(["m2"]));
        // Rows from before positions were recorded go by time, then name, among the others.
        let history = [
            applied("m5", 30, Some("v1:e"), Some(1)),
            applied("m2", 5, None, None),
            applied("m1", 5, None, None),
            applied("m9", 40, None, None),
        ];
        assert_eq!(applied_sequence(&history), ["m1", "m2", "m5", "m9"]);
        assert!(applied_out_of_order(&history).is_empty());
    }

    #[test]
    fn adoption_records_what_is_missing_and_renumbers_in_applied_order() {
        let facts = [fact("m1", "v1:aa"), fact("m2", "v1:bb")];
        let recorded = [
            applied("m1", 10, Some("v1:aa"), Some(1)),
            applied("m2", 11, Some("v1:b0"), Some(2)),
        ];
        assert_eq!(adoption(&recorded, &facts), None);
        let legacy = [applied("m2", 11, None, None), applied("m1", 10, None, None)];
        assert_eq!(
            adoption(&legacy, &facts).unwrap(),
            [
                ChecksumRow {
                    version: "m1".into(),
                    checksum: Some("v1:aa".into()),
                    order: 1
                },
                ChecksumRow {
                    version: "m2".into(),
                    checksum: Some("v1:bb".into()),
                    order: 2
                },
            ]
        );
        // A recorded checksum is kept, edited or not; only the missing one is taken from the file.
        let mixed = [
            applied("m1", 10, Some("v1:a0"), Some(1)),
            applied("m2", 11, None, None),
        ];
        let rows = adoption(&mixed, &facts).unwrap();
        assert_eq!(rows[0].checksum.as_deref(), Some("v1:a0"));
        assert_eq!(rows[1].checksum.as_deref(), Some("v1:bb"));
    }
}
