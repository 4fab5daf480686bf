//! A squashed migration and the migrations it replaces (its `//! replaces:` lines): how `migrate`
//! goes through them, whatever point of the old range a database is at, and which of them the
//! history checks leave alone. No IO (docs/guide.md, "Squashing migrations").
//!
//! Once a squashed migration is recorded, the rows of the migrations it replaces are gone
//! (`executor::record_squashed`), so every database that passed it holds the same record, and
//! deleting the old files later leaves no row without its file.

use std::collections::BTreeSet;

use crate::facts::MigrationFacts;

/// The squashed migration that replaces `name`, if one in `facts` does.
pub fn replaced_by<'a>(facts: &'a [MigrationFacts], name: &str) -> Option<&'a MigrationFacts> {
    facts.iter().find(|f| f.replaces.contains(&name))
}

/// How `migrate` goes through one migration of its plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Its `up` runs (every ordinary migration, a replaced one on a database inside the range,
    /// and a squashed one where none of the migrations it replaces is applied).
    Run,
    /// A squashed migration whose replaced migrations are all applied (some maybe by this same
    /// run): recorded without running, and their rows forgotten.
    Record { replaced: Vec<String> },
}

/// A database inside a squashed range whose remaining files are gone: it can neither finish the
/// range file by file nor run the squashed migration over what it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stranded {
    pub squashed: String,
    pub applied: Vec<String>,
    pub missing: Vec<String>,
}

/// The migrations of `files[..=last]` (in file order) that `migrate` takes, and how. A squashed
/// migration runs whole where none of its range is applied and the run reaches it; otherwise
/// the replaced migrations run one by one (the database is inside the range, or the run stops
/// inside it) and the squashed one is then recorded. A replaced migration is skipped where its
/// squashed migration is applied.
pub fn up_steps<'a>(
    facts: &[MigrationFacts],
    files: &[&'a str],
    applied: &BTreeSet<&str>,
    last: usize,
) -> Result<Vec<(&'a str, Step)>, Stranded> {
    let reached: BTreeSet<&str> = files.iter().take(last + 1).copied().collect();
    let present: BTreeSet<&str> = files.iter().copied().collect();
    let mut steps = Vec::new();
    for name in files.iter().take(last + 1).copied() {
        if applied.contains(name) {
            continue;
        }
        if let Some(squashed) = replaced_by(facts, name).filter(|s| present.contains(s.name)) {
            let started = squashed.replaces.iter().any(|r| applied.contains(r));
            if applied.contains(squashed.name) || (!started && reached.contains(squashed.name)) {
                continue;
            }
            steps.push((name, Step::Run));
            continue;
        }
        let replaces = facts
            .iter()
            .find(|f| f.name == name)
            .map_or(&[][..], |f| f.replaces);
        if replaces.iter().any(|r| applied.contains(r)) {
            let missing: Vec<String> = replaces
                .iter()
                .filter(|r| !applied.contains(**r) && !present.contains(**r))
                .map(|r| r.to_string())
                .collect();
            if !missing.is_empty() {
                return Err(Stranded {
                    squashed: name.to_string(),
                    applied: replaces
                        .iter()
                        .filter(|r| applied.contains(**r))
                        .map(|r| r.to_string())
                        .collect(),
                    missing,
                });
            }
            let replaced = replaces.iter().map(|r| r.to_string()).collect();
            steps.push((name, Step::Record { replaced }));
        } else {
            steps.push((name, Step::Run));
        }
    }
    Ok(steps)
}

/// The migrations not applied here that are still to apply: a migration replaced by an applied
/// squashed migration is neither applied nor pending (`showmigrations` marks it `[-]`).
pub fn pending<'s>(
    facts: &[MigrationFacts],
    states: &'s [crate::executor::MigrationState],
) -> Vec<&'s crate::executor::MigrationState> {
    let applied: BTreeSet<&str> = states
        .iter()
        .filter(|s| s.applied_at.is_some())
        .map(|s| s.name())
        .collect();
    states
        .iter()
        .filter(|s| s.applied_at.is_none())
        .filter(|s| replaced_by(facts, s.name()).is_none_or(|q| !applied.contains(q.name)))
        .collect()
}

/// Files that are not late although older than the newest applied migration: the migrations a
/// recorded squashed migration replaces, and a squashed migration whose replaced migrations are
/// all applied (it is recorded, not run).
pub fn settled<'a>(facts: &'a [MigrationFacts], applied: &BTreeSet<&str>) -> BTreeSet<&'a str> {
    let mut settled = BTreeSet::new();
    for squashed in facts.iter().filter(|f| !f.replaces.is_empty()) {
        if applied.contains(squashed.name) {
            settled.extend(squashed.replaces.iter().copied());
        } else if squashed.replaces.iter().all(|r| applied.contains(r)) {
            settled.insert(squashed.name);
        }
    }
    settled
}

#[cfg(test)]
mod tests {
    use super::*;

    const FACTS: &[MigrationFacts] = &[
        MigrationFacts::plain("m1", "m1.rs"),
        MigrationFacts::plain("m2", "m2.rs"),
        MigrationFacts::plain("m3", "m3.rs"),
        MigrationFacts {
            replaces: &["m2", "m3"],
            ..MigrationFacts::plain("m4_squashed", "m4.rs")
        },
        MigrationFacts::plain("m5", "m5.rs"),
    ];
    const FILES: &[&str] = &["m1", "m2", "m3", "m4_squashed", "m5"];

    fn steps(applied: &[&str], last: usize) -> Vec<(&'static str, Step)> {
        up_steps(FACTS, FILES, &applied.iter().copied().collect(), last).unwrap()
    }

    fn record() -> Step {
        Step::Record {
            replaced: vec!["m2".into(), "m3".into()],
        }
    }

    #[test]
    fn before_the_range_the_squashed_migration_runs_whole() {
        assert_eq!(
            steps(&["m1"], 4),
            [("m4_squashed", Step::Run), ("m5", Step::Run)]
        );
        // A run that stops inside the range goes file by file.
        assert_eq!(steps(&["m1"], 1), [("m2", Step::Run)]);
    }

    #[test]
    fn inside_the_range_the_rest_runs_then_the_squashed_one_is_recorded() {
        assert_eq!(
            steps(&["m1", "m2"], 4),
            [
                ("m3", Step::Run),
                ("m4_squashed", record()),
                ("m5", Step::Run)
            ]
        );
        assert_eq!(steps(&["m1", "m2", "m3"], 3), [("m4_squashed", record())]);
    }

    #[test]
    fn after_the_squashed_migration_its_range_is_settled() {
        assert_eq!(steps(&["m1", "m4_squashed"], 4), [("m5", Step::Run)]);
        let applied = ["m1", "m4_squashed"].into_iter().collect();
        assert_eq!(settled(FACTS, &applied), BTreeSet::from(["m2", "m3"]));
        let applied = ["m1", "m2", "m3"].into_iter().collect();
        assert_eq!(settled(FACTS, &applied), BTreeSet::from(["m4_squashed"]));
    }

    #[test]
    fn a_database_inside_the_range_without_its_files_is_stranded() {
        let files = ["m1", "m2", "m4_squashed", "m5"];
        let applied = ["m1", "m2"].into_iter().collect();
        assert_eq!(
            up_steps(FACTS, &files, &applied, 3),
            Err(Stranded {
                squashed: "m4_squashed".into(),
                applied: vec!["m2".into()],
                missing: vec!["m3".into()],
            })
        );
        // Where the whole range is applied the squashed one is recorded without the files.
        let files = ["m1", "m4_squashed", "m5"];
        let applied = ["m1", "m2", "m3"].into_iter().collect();
        assert_eq!(
            up_steps(FACTS, &files, &applied, 1).unwrap(),
            [("m4_squashed", record())]
        );
    }
}
