//! What the reporting commands tell, as data: `showmigrations`, `current`, `history`, `check`,
//! and the plans of `migrate --plan` and `rollback --plan`. Decided here, without printing: the
//! command line prints these as text, or serializes them as JSON for programs (docs/json.md,
//! where every field is documented; fields are added, never renamed or removed without a new
//! `format_version`).

use sea_orm::{DatabaseConnection, DbBackend};
use serde::Serialize;

use crate::autodetect;
use crate::error::Error;
use crate::executor::{self, Direction, HalfApplied, MigrationState};
use crate::history::{self, Applied};
use crate::migrate::{DownPlan, UpPlan};
use crate::{gate, legs, Project};
use makemigrations_core::Operation;

/// Bumped only when a field changes meaning or goes away.
pub const FORMAT_VERSION: u32 = 1;

/// A time as RFC 3339 in UTC, to the second: `2026-03-01T09:30:00Z`.
pub fn rfc3339(unix_seconds: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(unix_seconds, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// One operation as programs read it (the same shape in every JSON document).
#[derive(Debug, Clone, Serialize)]
pub struct OperationView {
    pub kind: &'static str,
    pub description: String,
    pub destructive: bool,
    pub loses: Option<String>,
    pub rows: Option<u64>,
}

impl OperationView {
    pub fn new(operation: &Operation, rows: Option<u64>) -> Self {
        let loses = operation.loses_data();
        OperationView {
            kind: operation.kind(),
            description: operation.describe(),
            destructive: loses.is_some(),
            loses,
            rows,
        }
    }
}

/// A migration that failed (or was stopped) halfway on MySQL, as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct HalfAppliedView {
    pub migration: String,
    /// `up` or `down`: the direction that stopped halfway.
    pub direction: &'static str,
    /// Killed or its connection lost rather than failed: the statement after the applied ones
    /// may have completed too.
    pub interrupted: bool,
    /// How many of its statements stayed applied.
    pub statements_applied: usize,
    pub failed_statement: Option<String>,
    pub recorded_at: Option<String>,
}

impl From<&HalfApplied> for HalfAppliedView {
    fn from(record: &HalfApplied) -> Self {
        HalfAppliedView {
            migration: record.name.clone(),
            direction: match record.direction {
                Direction::Up => "up",
                Direction::Down => "down",
            },
            interrupted: record.interrupted,
            statements_applied: record.ran.len(),
            failed_statement: record.failed.clone(),
            recorded_at: rfc3339(record.failed_at),
        }
    }
}

/// `showmigrations`: every migration file, oldest first.
#[derive(Debug, Serialize)]
pub struct MigrationList {
    pub format_version: u32,
    pub migrations: Vec<MigrationStatus>,
}

#[derive(Debug, Serialize)]
pub struct MigrationStatus {
    pub name: String,
    pub applied: bool,
    pub applied_at: Option<String>,
    /// For the text form, which shows the time its own way.
    #[serde(skip)]
    pub applied_at_unix: Option<i64>,
    /// Applied after a migration with a later name (`migrate --allow-out-of-order`).
    pub applied_out_of_order: bool,
    /// Applied, and its file's checksum is no longer the recorded one: `migrate` refuses until
    /// the edit is undone or recorded with `rehash`.
    pub edited: bool,
    /// Pending and older than the newest applied migration: `migrate` applies it only with
    /// `--allow-out-of-order`.
    pub late: bool,
    pub half_applied: Option<HalfAppliedView>,
    /// The migrations it was written after (`//! after:`, or the previous file without it).
    pub parents: Vec<String>,
    /// Nothing comes after it. More than one head: branches no migration merges.
    pub head: bool,
    /// The squashed migration that replaces this one (`//! replaces:`), when its file is there.
    pub replaced_by: Option<String>,
    /// A squashed migration: the migrations it replaces, oldest first; empty for others.
    pub replaces: Vec<String>,
}

/// The state of every migration: applied or pending, edited, late, half-applied.
pub fn migration_list(
    project: &Project,
    states: &[MigrationState],
    applied: &[Applied],
    half_applied: &[HalfApplied],
) -> MigrationList {
    let files: Vec<&str> = states.iter().map(|s| s.name()).collect();
    let integrity = history::inspect(&files, project.migration_facts, applied, |f| {
        project.shown_migration_file(f)
    });
    let applied_late = history::applied_out_of_order(applied);
    let graph = crate::graph::Graph::new(&files, project.migration_facts);
    let heads = graph.heads();
    let migrations = states
        .iter()
        .map(|state| {
            let name = state.name();
            MigrationStatus {
                name: name.to_string(),
                applied: state.applied_at.is_some(),
                applied_at: state.applied_at.and_then(rfc3339),
                applied_at_unix: state.applied_at,
                applied_out_of_order: applied_late.contains(name),
                edited: integrity.edited.iter().any(|e| e.migration == name),
                late: integrity.out_of_order.iter().any(|o| o.migration == name),
                half_applied: half_applied
                    .iter()
                    .find(|h| h.name == name)
                    .map(HalfAppliedView::from),
                parents: graph
                    .nodes()
                    .iter()
                    .find(|n| n.name == name)
                    .map(|n| n.parents.clone())
                    .unwrap_or_default(),
                head: heads.contains(&name),
                replaced_by: crate::replacement::replaced_by(project.migration_facts, name)
                    .filter(|s| files.contains(&s.name))
                    .map(|s| s.name.to_string()),
                replaces: project
                    .migration_facts
                    .iter()
                    .find(|f| f.name == name)
                    .map(|f| f.replaces.iter().map(|r| r.to_string()).collect())
                    .unwrap_or_default(),
            }
        })
        .collect();
    MigrationList {
        format_version: FORMAT_VERSION,
        migrations,
    }
}

/// `current`: the newest applied migration (by name) and what is pending.
#[derive(Debug, Serialize)]
pub struct Current {
    pub format_version: u32,
    /// `null` when no migration is applied.
    pub current: Option<String>,
    pub applied_at: Option<String>,
    /// The pending migrations' names, oldest first; empty at the head.
    pub pending: Vec<String>,
}

pub fn current(project: &Project, states: &[MigrationState]) -> Current {
    let newest = states.iter().rev().find(|s| s.applied_at.is_some());
    Current {
        format_version: FORMAT_VERSION,
        current: newest.map(|s| s.name().to_string()),
        applied_at: newest.and_then(|s| s.applied_at).and_then(rfc3339),
        pending: crate::replacement::pending(project.migration_facts, states)
            .into_iter()
            .map(|s| s.name().to_string())
            .collect(),
    }
}

/// `history`: the log's rows, newest first; where no step was logged yet, the migrations with
/// their state instead (newest first).
#[derive(Debug, Serialize)]
pub struct History {
    pub format_version: u32,
    pub log: Vec<LogRow>,
    /// Only when `log` is empty (a database from before the log, or one only read so far).
    pub migrations: Vec<HistoryMigration>,
}

#[derive(Debug, Serialize)]
pub struct LogRow {
    pub started_at: Option<String>,
    #[serde(skip)]
    pub started_at_unix: i64,
    pub migration: String,
    /// `up`, `down`, `fake-up`, `fake-down`, `baseline`.
    pub action: String,
    /// `ok` or `failed` (as the log records it).
    pub outcome: String,
    pub duration_ms: i64,
    pub user: String,
    pub client_host: String,
    pub database: String,
    pub tool_version: String,
    /// A failed step's error.
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct HistoryMigration {
    pub name: String,
    pub applied: bool,
    pub applied_at: Option<String>,
    #[serde(skip)]
    pub applied_at_unix: Option<i64>,
}

/// Reads the log (at most `limit` rows), and the migrations' states only when it has none.
pub async fn history(
    project: &Project,
    db: &DatabaseConnection,
    limit: Option<usize>,
) -> Result<History, Error> {
    let steps = crate::run_log::read(db, limit).await?.unwrap_or_default();
    let log: Vec<LogRow> = steps
        .into_iter()
        .map(|step| LogRow {
            started_at: rfc3339(step.started_at),
            started_at_unix: step.started_at,
            migration: step.version,
            action: step.action,
            outcome: step.outcome,
            duration_ms: step.duration_ms,
            user: step.user,
            client_host: step.client_host,
            database: step.database,
            tool_version: step.tool_version,
            error: step.error,
        })
        .collect();
    let migrations = if log.is_empty() {
        executor::states(db, (project.migrations)())
            .await?
            .iter()
            .rev()
            .take(limit.unwrap_or(usize::MAX))
            .map(|state| HistoryMigration {
                name: state.name().to_string(),
                applied: state.applied_at.is_some(),
                applied_at: state.applied_at.and_then(rfc3339),
                applied_at_unix: state.applied_at,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(History {
        format_version: FORMAT_VERSION,
        log,
        migrations,
    })
}

/// What `check` found, in the order it prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A migration failed or stopped halfway (MySQL).
    HalfApplied,
    Pending,
    /// Applied, then its file was edited.
    Edited,
    /// Applied, and its file is gone.
    MissingFile,
    /// Pending and older than the newest applied one, and not independent of the newer ones.
    OutOfOrder,
    /// Two or more migrations that nothing comes after: branches no migration merges.
    MultipleHeads,
    /// A pending migration still calls `todo_backfill`.
    BackfillPlaceholder,
    /// A pending migration that only PostgreSQL can run, on another backend.
    PostgresOnly,
    /// The entities differ from the schema snapshot (what the migrations create): run
    /// `makemigrations`.
    EntityChanges,
    /// The database differs from what its migrations create, where the entities agree with the
    /// migrations: changed by hand.
    Drift,
}

impl FindingKind {
    /// The exit code of a `check` that finds this (docs/guide.md, "check").
    pub fn exit_code(self) -> u8 {
        match self {
            FindingKind::Edited
            | FindingKind::MissingFile
            | FindingKind::OutOfOrder
            | FindingKind::MultipleHeads => EXIT_UNTRUSTED_HISTORY,
            FindingKind::Drift => EXIT_DRIFT,
            FindingKind::EntityChanges => EXIT_ENTITY_CHANGES,
            FindingKind::HalfApplied
            | FindingKind::Pending
            | FindingKind::BackfillPlaceholder
            | FindingKind::PostgresOnly => EXIT_PENDING,
        }
    }
}

/// `check`'s exit codes, one per kind of finding; with several kinds, the first of these wins.
pub const EXIT_UNTRUSTED_HISTORY: u8 = 6;
pub const EXIT_DRIFT: u8 = 11;
pub const EXIT_ENTITY_CHANGES: u8 = 1;
pub const EXIT_PENDING: u8 = 10;

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub migration: Option<String>,
    /// The migration's file as the user sees it, where the finding points into it.
    pub file: Option<String>,
    pub line: Option<usize>,
    /// The line `check` prints for it.
    pub message: String,
}

/// `check`: exit 0 when nothing is found; otherwise the code of the most serious kind found
/// ([`FindingKind::exit_code`]).
#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub format_version: u32,
    pub ok: bool,
    pub exit_code: u8,
    pub findings: Vec<Finding>,
    /// The pending migrations' names, oldest first.
    pub pending: Vec<String>,
    /// Whether the entities were compared with the database (only without pending migrations).
    pub entities_compared: bool,
    /// Why they were not, and what lets `check` compare them.
    pub not_compared: Option<String>,
    /// The entity changes that no migration holds yet.
    pub operations: Vec<OperationView>,
    /// The same, for the text form.
    #[serde(skip)]
    pub entity_operations: Vec<Operation>,
    /// Whether there is a schema snapshot to compare the entities with. Without one, entity
    /// changes and drift cannot be told apart: every difference counts as an entity change.
    pub snapshot: bool,
    /// What differs between the entities and the snapshot: `column users.phone`, `table tags`.
    pub changed_objects: Vec<String>,
    /// The snapshot's diff that `makemigrations` would write, for the text form.
    #[serde(skip)]
    pub snapshot_diff: String,
    /// What would bring the database back to what its migrations create.
    pub drift: Vec<OperationView>,
    /// The same, for the text form.
    #[serde(skip)]
    pub drift_operations: Vec<Operation>,
    /// Changed objects that no operation is needed for on this database: made by hand, by a
    /// migration written by hand, or a difference the differ does not count (a name alone, a
    /// fact the project keeps). A note, not a finding: a database built from the migrations
    /// shows it as an entity change.
    pub unrecorded: Vec<String>,
    /// Whether the database was compared with the entities (only without pending migrations);
    /// `entities_compared` is its former name, kept.
    pub database_compared: bool,
    /// Tables no entity describes and no migration of this project created: left alone.
    pub unmanaged: Vec<String>,
}

/// Reads only: nothing is created and no migration runs, so a read-only user can run it and it
/// holds no lock. With migrations pending the entities are not compared (the database is not at
/// the point they describe). Trying the pending migrations in the scratch place would need the
/// live schema rebuilt there first, which is not cheap (docs/guide.md, "check").
pub async fn check(project: &Project, db: &DatabaseConnection) -> Result<CheckReport, Error> {
    let applied = executor::applied(db).await?;
    let states = executor::states_from((project.migrations)(), &applied);
    let files: Vec<&str> = states.iter().map(|s| s.name()).collect();
    let integrity = history::inspect(&files, project.migration_facts, &applied, |f| {
        project.shown_migration_file(f)
    });
    let pending: Vec<String> = crate::replacement::pending(project.migration_facts, &states)
        .into_iter()
        .map(|s| s.name().to_string())
        .collect();
    let names: Vec<&str> = pending.iter().map(String::as_str).collect();
    let apply_plan = gate::apply_plan(project.migration_facts, &names, |f| {
        project.shown_migration_file(f)
    });
    let postgres_only_here =
        db.get_database_backend() != DbBackend::Postgres && !apply_plan.postgres_only.is_empty();
    // Pending migrations are never run here: the database is compared only without them. The
    // entities are compared with the snapshot either way, if there is one.
    let snapshot_path = crate::writer::snapshot_path(project.migrations_dir.as_ref());
    let snapshot = crate::writer::read_snapshot(&snapshot_path)?;
    let mut snapshot_not_compared = None;
    let compared = if pending.is_empty() {
        Some(autodetect::compare(project, db).await?)
    } else if snapshot.is_some() {
        // With migrations pending, `check` used to read nothing but the history: a scratch
        // place that cannot be made (no shadow database on MySQL) costs this leg only.
        match autodetect::compare(project, db).await {
            Ok(compared) => Some(compared),
            // A snapshot that cannot be read, an interrupt: the same as without pending ones.
            Err(e @ (Error::Refused(_) | Error::Interrupted)) => return Err(e),
            Err(e) => {
                snapshot_not_compared = Some(format!(
                    "Entities not compared with the schema snapshot: {}",
                    e.to_string().lines().next().unwrap_or_default()
                ));
                None
            }
        }
    } else {
        None
    };
    let phase = crate::timings::phase("snapshot legs");
    let legs = match &compared {
        Some(compared) => {
            let operations = if pending.is_empty() {
                compared.operations()
            } else {
                Vec::new()
            };
            legs::sort(
                compared,
                operations,
                snapshot.as_deref(),
                pending.is_empty(),
                db.get_database_backend(),
                &crate::shown_path(&snapshot_path),
            )?
        }
        None => legs::Legs::default(),
    };
    drop(phase);
    let unmanaged = match &compared {
        Some(compared) if pending.is_empty() => compared.unmanaged.clone(),
        _ => Vec::new(),
    };
    let operations = legs.entity_operations.clone();
    let half_applied = executor::half_applied(db).await?;

    let mut findings = Vec::new();
    let finding = |kind, migration: &str, message: String| Finding {
        kind,
        migration: Some(migration.to_string()),
        file: None,
        line: None,
        message,
    };
    for record in &half_applied {
        let how = if record.interrupted {
            "Stopped halfway (killed or its connection lost, unless a run is going on now)"
        } else {
            "Failed halfway"
        };
        findings.push(finding(
            FindingKind::HalfApplied,
            &record.name,
            format!(
                "{how}: {} ({} statement(s) applied); run `migrate` to see them and what to do",
                record.name,
                record.ran.len()
            ),
        ));
    }
    for name in &pending {
        findings.push(finding(
            FindingKind::Pending,
            name,
            format!("{name} is pending: run `migrate`"),
        ));
    }
    for e in &integrity.edited {
        findings.push(Finding {
            file: Some(e.file.clone()),
            ..finding(
                FindingKind::Edited,
                &e.migration,
                format!(
                    "Edited after it was applied: {} ({}); `migrate` refuses until the edit is undone or recorded with `rehash {}`",
                    e.migration, e.file, e.migration
                ),
            )
        });
    }
    for name in &integrity.missing {
        findings.push(finding(
            FindingKind::MissingFile,
            name,
            format!("Missing file: {name} is applied, but its file is gone; restore it"),
        ));
    }
    for o in &integrity.out_of_order {
        let why: Vec<String> = o.conflicts.iter().map(|c| c.describe()).collect();
        findings.push(finding(
            FindingKind::OutOfOrder,
            &o.migration,
            format!(
                "Out of order: {} is pending but older than {}, the newest applied, and cannot run after the newer ones ({}); `migrate` applies it only with --allow-out-of-order",
                o.migration,
                o.newest_applied,
                why.join("; ")
            ),
        ));
    }
    if let Some(divergence) = crate::graph::Graph::new(&files, project.migration_facts).divergence()
    {
        let fork = match &divergence.fork {
            Some(fork) => format!("after {fork}"),
            None => "from the start".to_string(),
        };
        let branches: Vec<String> = divergence
            .branches
            .iter()
            .map(|b| format!("{} ({})", b.head, b.migrations.join(", ")))
            .collect();
        findings.push(Finding {
            kind: FindingKind::MultipleHeads,
            migration: None,
            file: None,
            line: None,
            message: format!(
                "Multiple heads: the history forked {fork} into {}; run `makemigrations --merge`",
                branches.join(" and ")
            ),
        });
    }
    for p in &apply_plan.placeholders {
        findings.push(Finding {
            file: Some(p.file.clone()),
            line: Some(p.line),
            ..finding(
                FindingKind::BackfillPlaceholder,
                &p.migration,
                format!(
                    "Backfill placeholder: {}:{} ({}) still calls todo_backfill; replace it with statements that fill the column",
                    p.file, p.line, p.migration
                ),
            )
        });
    }
    if postgres_only_here {
        for m in &apply_plan.postgres_only {
            findings.push(Finding {
                file: Some(m.file.clone()),
                ..finding(
                    FindingKind::PostgresOnly,
                    &m.migration,
                    format!(
                        "PostgreSQL-only: {} ({}) cannot run on this database: {}",
                        m.migration,
                        m.file,
                        m.lines.join("; ")
                    ),
                )
            });
        }
    }
    // Why the database was not compared, and what lets `check` compare it.
    let not_compared = if !apply_plan.placeholders.is_empty() {
        Some("Database not compared with the entities: a pending migration cannot run until its placeholder is replaced; then run `migrate`, and `check` again")
    } else if postgres_only_here {
        Some("Database not compared with the entities: a pending migration runs only on PostgreSQL; apply the history there, or check a database that has it applied")
    } else if !pending.is_empty() {
        Some("Database not compared with the entities: check compares them once no migration is pending (it never runs one); run `migrate`, then `check` again")
    } else {
        None
    };
    let general = |kind, message: String| Finding {
        kind,
        migration: None,
        file: None,
        line: None,
        message,
    };
    if !operations.is_empty() || (!pending.is_empty() && !legs.changed_objects.is_empty()) {
        let then = if pending.is_empty() {
            ""
        } else {
            " (after `migrate`)"
        };
        findings.push(general(
            FindingKind::EntityChanges,
            format!("Entity changes with no migration: run `makemigrations`{then}"),
        ));
    }
    if !legs.drift.is_empty() {
        findings.push(general(
            FindingKind::Drift,
            "Drift: the database differs from what its migrations create (changed by hand?); the operations below would bring it back\n  fix: undo the change in this database; to keep it, undo it, declare it in the entities and run `makemigrations`".into(),
        ));
    }
    let ok = findings.is_empty();
    let exit_code = [
        EXIT_UNTRUSTED_HISTORY,
        EXIT_DRIFT,
        EXIT_ENTITY_CHANGES,
        EXIT_PENDING,
    ]
    .into_iter()
    .find(|code| findings.iter().any(|f| f.kind.exit_code() == *code))
    .unwrap_or(0);
    Ok(CheckReport {
        format_version: FORMAT_VERSION,
        ok,
        exit_code,
        findings,
        entities_compared: pending.is_empty(),
        database_compared: pending.is_empty(),
        pending,
        not_compared: not_compared
            .map(str::to_string)
            .map(|why| match &snapshot_not_compared {
                Some(also) => format!("{why}\n{also}"),
                None => why,
            }),
        operations: operations
            .iter()
            .map(|op| OperationView::new(op, None))
            .collect(),
        entity_operations: operations,
        snapshot: snapshot.is_some(),
        changed_objects: legs.changed_objects,
        snapshot_diff: legs.snapshot_diff,
        drift: legs
            .drift
            .iter()
            .map(|op| OperationView::new(op, None))
            .collect(),
        drift_operations: legs.drift,
        unrecorded: legs.unrecorded,
        unmanaged,
    })
}

/// How `migrate` or `rollback` would do one migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlannedAction {
    /// Its `up` runs.
    Run,
    /// A baseline whose tables all exist here: recorded as applied without running.
    RecordBaseline,
    /// A squashed migration whose replaced migrations are all applied here: recorded as
    /// applied without running, in their place.
    RecordSquashed,
    /// `--fake`: recorded (as applied, or as not applied) without running.
    Fake,
    /// Its `down` runs.
    Revert,
}

#[derive(Debug, Clone, Serialize)]
pub struct PlannedMigration {
    pub name: String,
    pub action: PlannedAction,
    /// The `// !` lines of what runs: the steps of `up` that lose data, or the data that `down`
    /// cannot restore. Empty for a migration that is only recorded.
    pub data_loss: Vec<String>,
}

/// `migrate --plan`, `rollback --plan`: what the command would do, in order. Any refusal of the
/// command is its error instead; a plan exists only when the command would go ahead.
#[derive(Debug, Serialize)]
pub struct RunPlan {
    pub format_version: u32,
    /// `migrate` or `rollback`.
    pub command: &'static str,
    /// `--fake`: every migration is recorded without running.
    pub fake: bool,
    /// In the order they would be done: oldest first for `migrate`, newest applied first for
    /// `rollback`.
    pub migrations: Vec<PlannedMigration>,
    /// The half-applied record that `--retry` or `--fake` resolves, cleared by the run.
    pub clears_half_applied: Option<String>,
    /// `migrate`: the checksums and order of migrations applied before they were recorded are
    /// recorded first.
    pub records_checksums: bool,
}

impl RunPlan {
    /// Whether any migration of the plan loses data.
    pub fn loses_data(&self) -> bool {
        self.migrations.iter().any(|m| !m.data_loss.is_empty())
    }
}

fn lines_of(marked: &[gate::Marked], name: &str) -> Vec<String> {
    marked
        .iter()
        .filter(|m| m.migration == name)
        .flat_map(|m| m.lines.iter().cloned())
        .collect()
}

/// What `migrate` would do with `plan` (made by `migrate::plan_up`, which refused already).
pub fn up_plan(plan: &UpPlan) -> RunPlan {
    let migrations = plan
        .steps
        .iter()
        .map(|step| PlannedMigration {
            name: step.name().to_string(),
            action: if plan.fake {
                PlannedAction::Fake
            } else if step.replaced.is_some() {
                PlannedAction::RecordSquashed
            } else if step.baseline == gate::BaselineStep::Record {
                PlannedAction::RecordBaseline
            } else {
                PlannedAction::Run
            },
            data_loss: lines_of(&plan.data_loss, step.name()),
        })
        .collect();
    RunPlan {
        format_version: FORMAT_VERSION,
        command: "migrate",
        fake: plan.fake,
        migrations,
        clears_half_applied: plan.resolves().map(|r| r.name.clone()),
        records_checksums: plan.records_checksums(),
    }
}

/// What `rollback` would do with `plan` (made by `migrate::plan_down`, which refused already:
/// data that cannot be restored is listed only under `--force`).
pub fn down_plan(project: &Project, plan: &DownPlan) -> RunPlan {
    let names: Vec<&str> = plan.steps.iter().map(MigrationState::name).collect();
    let cannot_restore = if plan.fake {
        Vec::new()
    } else {
        gate::revert_plan(project.migration_facts, &names).cannot_restore
    };
    RunPlan {
        format_version: FORMAT_VERSION,
        command: "rollback",
        fake: plan.fake,
        migrations: names
            .iter()
            .map(|name| PlannedMigration {
                name: name.to_string(),
                action: if plan.fake {
                    PlannedAction::Fake
                } else {
                    PlannedAction::Revert
                },
                data_loss: lines_of(&cannot_restore, name),
            })
            .collect(),
        clears_half_applied: plan.resolves().map(|r| r.name.clone()),
        records_checksums: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_in_utc_to_the_second() {
        assert_eq!(rfc3339(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(
            rfc3339(1_796_117_462).as_deref(),
            Some("2026-12-01T09:31:02Z")
        );
    }
}
