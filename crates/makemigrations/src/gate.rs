//! What `migrate`, `rollback` and `check` must stop for or show before they run anything, decided
//! from the migration facts. The CLI only prints these plans and asks.

use crate::facts::MigrationFacts;

/// A `todo_backfill(..)` call left in a migration: the user has not written the backfill yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    pub migration: String,
    /// As the user should see it: relative to the working directory when below it.
    pub file: String,
    pub line: usize,
}

/// The `// !` lines of one migration, in the direction that is about to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked {
    pub migration: String,
    pub lines: Vec<String>,
}

/// A migration marked `// postgres-only:` (it uses arrays), which forbids applying it elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresOnly {
    pub migration: String,
    /// As the user should see it, like [`Placeholder::file`].
    pub file: String,
    /// What makes it PostgreSQL-only: `users.tags (text[]) is an array`.
    pub lines: Vec<String>,
}

/// Before `migrate` applies `names`: the placeholders that forbid it, the files that only
/// PostgreSQL can run (which forbid it on other backends), and the steps that lose data, which
/// the user confirms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyPlan {
    pub placeholders: Vec<Placeholder>,
    pub postgres_only: Vec<PostgresOnly>,
    pub data_loss: Vec<Marked>,
}

impl ApplyPlan {
    /// Whether `migrate` asks before applying: only for steps that lose data, only when someone
    /// can answer (a terminal), and not under `--yes`. Elsewhere it lists them and goes on.
    pub fn asks(&self, yes: bool, at_terminal: bool) -> bool {
        !self.data_loss.is_empty() && !yes && at_terminal
    }
}

/// Before `rollback` reverts `names`: the data that cannot come back, which needs `--force`,
/// and the baselines, whose `down` would drop an adopted database's tables: only `--fake`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevertPlan {
    pub cannot_restore: Vec<Marked>,
    pub baselines: Vec<String>,
}

/// What `migrate` does with a pending baseline, from the tables the database already has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaselineStep {
    /// Not a baseline, or none of its tables exist: run it.
    Run,
    /// All of its tables exist: record it as applied without running it (Django's
    /// `--fake-initial`).
    Record,
    /// Some exist and some do not: neither running nor recording it would be right.
    Refuse {
        present: Vec<String>,
        missing: Vec<String>,
    },
}

pub fn baseline_step(
    facts: &[MigrationFacts],
    name: &str,
    existing_tables: &std::collections::BTreeSet<String>,
) -> BaselineStep {
    match baseline_tables(facts, name) {
        Some(tables) => baseline_step_for(tables, existing_tables),
        None => BaselineStep::Run,
    }
}

/// The tables a baseline creates; `None` for any other migration.
pub fn baseline_tables<'a>(facts: &'a [MigrationFacts], name: &str) -> Option<&'a [&'static str]> {
    find(facts, name)
        .filter(|f| f.baseline)
        .map(|f| f.created_tables)
}

/// What to do with a baseline creating `tables`, where `existing_tables` are there. The guard a
/// baseline's own `up` runs (`runtime::baseline_tables_exist`) decides the same way.
pub fn baseline_step_for(
    tables: &[&str],
    existing_tables: &std::collections::BTreeSet<String>,
) -> BaselineStep {
    let (present, missing): (Vec<&str>, Vec<&str>) =
        tables.iter().partition(|t| existing_tables.contains(**t));
    let owned = |v: Vec<&str>| v.into_iter().map(String::from).collect::<Vec<_>>();
    match (present.is_empty(), missing.is_empty()) {
        (true, _) => BaselineStep::Run,
        (false, true) => BaselineStep::Record,
        (false, false) => BaselineStep::Refuse {
            present: owned(present),
            missing: owned(missing),
        },
    }
}

/// `names` in the order they will run; `shown_file` turns a fact's crate-relative file into what
/// the user sees.
pub fn apply_plan(
    facts: &[MigrationFacts],
    names: &[&str],
    shown_file: impl Fn(&MigrationFacts) -> String,
) -> ApplyPlan {
    let mut plan = ApplyPlan::default();
    for fact in names.iter().filter_map(|n| find(facts, n)) {
        plan.placeholders
            .extend(fact.todo_backfill_lines.iter().map(|&line| Placeholder {
                migration: fact.name.to_string(),
                file: shown_file(fact),
                line,
            }));
        if !fact.postgres_only.is_empty() {
            plan.postgres_only.push(PostgresOnly {
                migration: fact.name.to_string(),
                file: shown_file(fact),
                lines: fact.postgres_only.iter().map(|l| l.to_string()).collect(),
            });
        }
        plan.data_loss.extend(marked(fact.name, fact.data_loss));
    }
    plan
}

pub fn revert_plan(facts: &[MigrationFacts], names: &[&str]) -> RevertPlan {
    RevertPlan {
        cannot_restore: names
            .iter()
            .filter_map(|n| find(facts, n))
            .filter_map(|f| marked(f.name, f.cannot_restore))
            .collect(),
        baselines: names
            .iter()
            .filter_map(|n| find(facts, n))
            .filter(|f| f.baseline)
            .map(|f| f.name.to_string())
            .collect(),
    }
}

fn find<'a>(facts: &'a [MigrationFacts], name: &str) -> Option<&'a MigrationFacts> {
    facts.iter().find(|f| f.name == name)
}

fn marked(migration: &str, lines: &[&str]) -> Option<Marked> {
    (!lines.is_empty()).then(|| Marked {
        migration: migration.to_string(),
        lines: lines.iter().map(|l| l.to_string()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FACTS: &[MigrationFacts] = &[
        MigrationFacts {
            data_loss: &["Drop column users.bio: its data is lost"],
            cannot_restore: &["Cannot restore users.bio's data"],
            ..MigrationFacts::plain("m1", "src/migrations/m1.rs")
        },
        MigrationFacts {
            todo_backfill_lines: &[12, 20],
            postgres_only: &["users.tags (text[]) is an array"],
            ..MigrationFacts::plain("m2", "src/migrations/m2.rs")
        },
        MigrationFacts {
            baseline: true,
            created_tables: &["users", "orders"],
            ..MigrationFacts::plain("m0_baseline", "src/migrations/m0_baseline.rs")
        },
    ];

    #[test]
    fn apply_plan_lists_placeholders_and_losses_of_what_runs_only() {
        let plan = apply_plan(FACTS, &["m2"], |f| f.file.to_string());
        assert_eq!(plan.data_loss, []);
        assert_eq!(
            plan.placeholders
                .iter()
                .map(|p| format!("{}:{}", p.file, p.line))
                .collect::<Vec<_>>(),
            ["src/migrations/m2.rs:12", "src/migrations/m2.rs:20"]
        );
        let plan = apply_plan(FACTS, &["m1", "m2"], |f| f.file.to_string());
        assert_eq!(plan.data_loss[0].migration, "m1");
        assert_eq!(
            plan.postgres_only,
            [PostgresOnly {
                migration: "m2".into(),
                file: "src/migrations/m2.rs".into(),
                lines: vec!["users.tags (text[]) is an array".into()],
            }]
        );
    }

    #[test]
    fn asks_only_at_a_terminal_without_yes_when_data_is_lost() {
        let losing = apply_plan(FACTS, &["m1"], |f| f.file.to_string());
        assert!(losing.asks(false, true));
        assert!(!losing.asks(true, true));
        assert!(!losing.asks(false, false));
        let safe = apply_plan(FACTS, &["m2"], |f| f.file.to_string());
        assert!(!safe.asks(false, true));
    }

    #[test]
    fn revert_plan_names_the_migrations_that_cannot_restore() {
        assert_eq!(revert_plan(FACTS, &["m2"]), RevertPlan::default());
        let plan = revert_plan(FACTS, &["m2", "m1"]);
        assert_eq!(plan.cannot_restore.len(), 1);
        assert_eq!(
            plan.cannot_restore[0].lines,
            ["Cannot restore users.bio's data"]
        );
    }

    #[test]
    fn a_baseline_is_recorded_where_its_tables_exist_and_run_where_none_do() {
        let tables = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
        assert_eq!(
            baseline_step(FACTS, "m0_baseline", &tables(&["users", "orders", "x"])),
            BaselineStep::Record
        );
        assert_eq!(
            baseline_step(FACTS, "m0_baseline", &tables(&["x"])),
            BaselineStep::Run
        );
        assert_eq!(
            baseline_step(FACTS, "m0_baseline", &tables(&["orders"])),
            BaselineStep::Refuse {
                present: vec!["orders".into()],
                missing: vec!["users".into()]
            }
        );
        assert_eq!(
            baseline_step(FACTS, "m1", &tables(&["users"])),
            BaselineStep::Run
        );
    }

    #[test]
    fn a_baseline_is_never_reverted_by_its_down() {
        assert_eq!(
            revert_plan(FACTS, &["m2", "m0_baseline"]).baselines,
            ["m0_baseline"]
        );
        assert!(revert_plan(FACTS, &["m2"]).baselines.is_empty());
    }
}
