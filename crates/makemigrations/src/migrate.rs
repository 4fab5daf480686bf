//! What `migrate` and `rollback` decide and do, without printing. A plan ([`plan_up`],
//! [`plan_down`]) makes every refusal on what it reads, before anything is written; the run
//! ([`apply`], [`revert`]) then goes migration by migration under the run lock and tells an
//! [`Observer`] each step: the command line prints, an application's `Migrator` logs (`crate::app`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use sea_orm::{DatabaseConnection, DbBackend};

use crate::error::Error;
use crate::executor::{self, Direction, HalfApplied, MigrationState};
use crate::lock::RunLock;
use crate::{gate, history, replacement, validate, Migrations};

/// What `migrate` is asked to do.
#[derive(Debug, Clone, Copy, Default)]
pub struct UpRequest<'a> {
    /// Apply up to this migration (an exact name or a unique prefix); else every pending one.
    pub target: Option<&'a str>,
    /// Apply at most this many (sea-orm-migration's `Migrator::up(db, Some(n))`).
    pub steps: Option<usize>,
    /// Record as applied without running.
    pub fake: bool,
    /// The half-applied migration was undone by hand: run it again.
    pub retry: bool,
    /// Apply a pending file older than the newest applied one (a merged branch).
    pub allow_out_of_order: bool,
}

/// What `rollback` is asked to do: the newest applied one when none of `steps`, `to`, `all`.
#[derive(Debug, Clone, Copy, Default)]
pub struct DownRequest<'a> {
    pub steps: Option<usize>,
    /// Revert every migration applied after this one.
    pub to: Option<&'a str>,
    pub all: bool,
    /// Record as reverted without running `down`.
    pub fake: bool,
    pub retry: bool,
    /// Revert migrations whose `down` cannot bring their data back.
    pub force: bool,
}

/// One migration of an up plan and how it is done.
pub struct UpStep {
    pub state: MigrationState,
    /// A baseline whose tables exist is recorded, not run.
    pub baseline: gate::BaselineStep,
    /// A squashed migration whose replaced migrations are all applied (some by this run): it is
    /// recorded without running, and their rows are forgotten.
    pub replaced: Option<Vec<String>>,
}

impl UpStep {
    pub fn name(&self) -> &str {
        self.state.name()
    }

    /// Whether its `up` runs (not a baseline or squashed migration that is only recorded).
    pub fn runs(&self) -> bool {
        self.baseline != gate::BaselineStep::Record && self.replaced.is_none()
    }
}

/// Everything `migrate` will do, decided before anything is written.
pub struct UpPlan {
    pub steps: Vec<UpStep>,
    pub fake: bool,
    /// Steps that lose data (`// !` lines): listed, and asked about at a terminal.
    pub data_loss: Vec<gate::Marked>,
    /// The half-applied record that `--retry`/`--fake` resolves.
    resolved: Option<HalfApplied>,
    /// Checksums to record for migrations applied before checksums were kept.
    adoption: Option<Vec<history::ChecksumRow>>,
}

impl UpPlan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The half-applied record that `--retry` or `--fake` resolves (the run clears it).
    pub fn resolves(&self) -> Option<&HalfApplied> {
        self.resolved.as_ref()
    }

    /// Whether the run first records the checksums of migrations applied before they were kept.
    pub fn records_checksums(&self) -> bool {
        self.adoption.is_some()
    }

    /// The checksum rows the run records first (`records_checksums`), for printing them.
    pub fn checksum_rows(&self) -> Option<&[history::ChecksumRow]> {
        self.adoption.as_deref()
    }

    /// Whether the run writes anything at all (the tool's own tables included).
    fn writes(&self) -> bool {
        !self.steps.is_empty() || self.resolved.is_some() || self.adoption.is_some()
    }
}

/// Everything `rollback` will do, decided before anything is written.
pub struct DownPlan {
    /// Newest applied first.
    pub steps: Vec<MigrationState>,
    pub fake: bool,
    resolved: Option<HalfApplied>,
}

impl DownPlan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The half-applied record that `--retry` or `--fake` resolves (the run clears it).
    pub fn resolves(&self) -> Option<&HalfApplied> {
        self.resolved.as_ref()
    }
}

/// What kind of run is starting, and how many migrations it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    Apply,
    RecordApplied,
    Revert,
    RecordReverted,
}

/// How one migration ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StepOutcome {
    /// Its `up` or `down` ran and was recorded.
    Ran(Duration),
    /// A baseline whose tables exist here: recorded without running.
    RecordedBaseline,
    /// A squashed migration whose replaced migrations are all applied here: recorded without
    /// running.
    RecordedSquashed,
    /// `--fake`: recorded without running.
    Faked,
    Failed,
    /// The run lock was lost before it: not run.
    Stopped,
}

/// Hears what a run does, step by step.
pub trait Observer {
    fn begin(&mut self, _kind: RunKind, _count: usize) {}
    fn starting(&mut self, _name: &str) {}
    fn finished(&mut self, _name: &str, _outcome: StepOutcome) {}
    /// The integrity checks cover every table, not only what the run can touch, and why.
    fn validating_every_table(&mut self, _why: &str) {}
    /// The integrity checks after the run passed (`report` holds warnings and older problems).
    fn validated(&mut self, _report: &validate::Report, _elapsed: Duration) {}
}

/// An observer that hears nothing.
impl Observer for () {}

/// A run that stopped: the error, and how many migrations of the run were applied (or
/// recorded) before it, which decides whether a backup must be restored.
#[derive(Debug)]
pub struct Stopped {
    pub error: Error,
    pub committed: usize,
    /// The run lock was lost: another run may be going on, so nothing may be restored.
    pub lock_lost: bool,
    /// A migration of the run (or the checks after them) failed, so the run may have left
    /// changes that restoring a backup undoes. Not so when the run stopped before its first
    /// migration, or while recording with `--fake`.
    pub while_migrating: bool,
}

impl Stopped {
    fn at(committed: usize) -> impl Fn(Error) -> Stopped {
        move |error| Stopped {
            lock_lost: matches!(error, Error::LockLost { .. }),
            error,
            committed,
            while_migrating: true,
        }
    }

    /// A failure before anything of the run's migrations happened, or of a `--fake` record.
    fn before_migrating(error: Error) -> Stopped {
        Stopped {
            while_migrating: false,
            ..Stopped::at(0)(error)
        }
    }
}

/// Resolves TARGET to the index of one migration: an exact name or a unique prefix.
pub fn find_target(states: &[MigrationState], target: &str) -> Result<usize, Error> {
    if let Some(i) = states.iter().position(|s| s.name() == target) {
        return Ok(i);
    }
    let matches: Vec<usize> = states
        .iter()
        .enumerate()
        .filter(|(_, s)| s.name().starts_with(target))
        .map(|(i, _)| i)
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => Err(Error::UnknownTarget(target.to_string())),
        many => Err(Error::AmbiguousTarget {
            target: target.to_string(),
            matches: many
                .iter()
                .map(|i| states[*i].name())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// A migration that failed halfway on MySQL stops `migrate` and `rollback` until the user says
/// how it was resolved: `--retry` (its statements were undone) or `--fake` (it was finished), in
/// the direction it failed. Returns the record to clear once the rest of the command is valid.
pub async fn half_applied_gate(
    db: &DatabaseConnection,
    direction: Direction,
    resolves: bool,
) -> Result<Option<HalfApplied>, Error> {
    match executor::half_applied(db).await?.into_iter().next() {
        None => Ok(None),
        Some(record) if resolves && record.direction == direction => Ok(Some(record)),
        Some(record) => Err(Error::HalfApplied(record)),
    }
}

/// Decides what `migrate` does, or why it must not: a half-applied migration, an untrusted
/// history, placeholders, PostgreSQL-only steps elsewhere, a partly present baseline. Reads only.
pub async fn plan_up(
    project: &Migrations,
    db: &DatabaseConnection,
    request: UpRequest<'_>,
) -> Result<UpPlan, Error> {
    let applied = executor::applied(db).await?;
    let states = executor::states_from((project.migrations)(), &applied);
    let resolved = half_applied_gate(db, Direction::Up, request.fake || request.retry).await?;
    let last = match request.target {
        Some(target) => find_target(&states, target)?,
        None => states.len().saturating_sub(1),
    };
    let files: Vec<String> = states.iter().map(|s| s.name().to_string()).collect();
    let files: Vec<&str> = files.iter().map(String::as_str).collect();
    // Two heads: which branch's state the database should end in is not decided yet.
    if let Some(divergence) = crate::graph::Graph::new(&files, project.migration_facts).divergence()
    {
        return Err(Error::MultipleHeads(divergence));
    }
    let applied_names: BTreeSet<&str> = applied.iter().map(|a| a.name.as_str()).collect();
    // A squashed migration and the range it replaces: which of them run here, and how.
    let mut how: BTreeMap<String, replacement::Step> =
        replacement::up_steps(project.migration_facts, &files, &applied_names, last)
            .map_err(Error::StrandedInSquash)?
            .into_iter()
            .take(request.steps.unwrap_or(usize::MAX))
            .map(|(name, step)| (name.to_string(), step))
            .collect();
    let to_apply: Vec<(MigrationState, replacement::Step)> = states
        .into_iter()
        .filter_map(|s| {
            let step = how.remove(s.name())?;
            Some((s, step))
        })
        .collect();
    // What runs: a squashed migration that is only recorded brings no placeholders, data loss
    // or PostgreSQL-only steps of its own.
    let names: Vec<&str> = to_apply
        .iter()
        .filter(|(_, step)| *step == replacement::Step::Run)
        .map(|(s, _)| s.name())
        .collect();
    let all_names: Vec<&str> = to_apply.iter().map(|(s, _)| s.name()).collect();
    let report = history::inspect(&files, project.migration_facts, &applied, |f| {
        project.shown_migration_file(f)
    });
    if let Some(refusal) = report.refusal(&all_names, request.allow_out_of_order) {
        return Err(Error::UntrustedHistory(refusal));
    }
    let markers = gate::apply_plan(project.migration_facts, &names, |f| {
        project.shown_migration_file(f)
    });
    if !request.fake && !markers.placeholders.is_empty() {
        return Err(Error::BackfillPlaceholders(markers.placeholders));
    }
    let backend = db.get_database_backend();
    if !request.fake && !markers.postgres_only.is_empty() && backend != DbBackend::Postgres {
        return Err(Error::PostgresOnly {
            backend: crate::backend_label(backend),
            migrations: markers.postgres_only,
        });
    }
    // Baselines are decided before anything runs: recorded where their tables exist. Only a
    // pending baseline needs the table list.
    let existing_tables = if names
        .iter()
        .any(|name| gate::baseline_tables(project.migration_facts, name).is_some())
    {
        executor::table_names(db).await?
    } else {
        Default::default()
    };
    let mut steps = Vec::new();
    for (state, how) in to_apply {
        let replaced = match how {
            replacement::Step::Run => None,
            replacement::Step::Record { replaced } => Some(replaced),
        };
        let baseline = gate::baseline_step(project.migration_facts, state.name(), &existing_tables);
        if let (gate::BaselineStep::Refuse { present, missing }, false) = (&baseline, request.fake)
        {
            return Err(Error::PartialBaseline {
                migration: state.name().to_string(),
                present: present.clone(),
                missing: missing.clone(),
            });
        }
        steps.push(UpStep {
            state,
            baseline,
            replaced,
        });
    }
    Ok(UpPlan {
        steps,
        fake: request.fake,
        data_loss: if request.fake {
            Vec::new()
        } else {
            markers.data_loss
        },
        resolved,
        adoption: history::adoption(&applied, project.migration_facts),
    })
}

/// Applies `plan` under `lock`, which is checked again before each migration. The integrity
/// checks run before and after when `validate` is set: a problem the run let in stops it (the
/// migrations stay applied); one that was there before is only reported.
pub async fn apply(
    project: &Migrations,
    db: &DatabaseConnection,
    plan: UpPlan,
    lock: &mut RunLock,
    validate: bool,
    observer: &mut (dyn Observer + Send),
) -> Result<usize, Stopped> {
    let before_run = |e: sea_orm::DbErr| Stopped::before_migrating(e.into());
    let names: Vec<&str> = plan.steps.iter().map(UpStep::name).collect();
    prepare(db, plan.writes(), plan.resolved.as_ref(), plan.fake, &names)
        .await
        .map_err(before_run)?;
    if let Some(rows) = &plan.adoption {
        executor::record_checksums(db, rows)
            .await
            .map_err(before_run)?;
    }
    if plan.steps.is_empty() {
        return Ok(0);
    }
    let checksum = |name: &str| history::file_checksum(project.migration_facts, name);
    let count = plan.steps.len();
    if plan.fake {
        observer.begin(RunKind::RecordApplied, count);
        for (committed, step) in plan.steps.iter().enumerate() {
            let name = step.name();
            // A baseline's tables become the project's, however it is recorded.
            let record = async {
                match (
                    gate::baseline_tables(project.migration_facts, name),
                    &step.replaced,
                ) {
                    (_, Some(replaced)) => {
                        let replaced: Vec<&str> = replaced.iter().map(String::as_str).collect();
                        executor::record_squashed(db, name, &replaced, checksum(name)).await
                    }
                    (Some(tables), None) => {
                        executor::record_baseline(db, name, tables, checksum(name)).await
                    }
                    (None, None) => {
                        executor::record_only(db, name, Direction::Up, checksum(name)).await
                    }
                }
                .map(|()| StepOutcome::Faked)
                .map_err(Error::from)
            };
            step_under_lock(lock, observer, name, committed, record)
                .await
                .map_err(|stopped| Stopped {
                    while_migrating: false,
                    ..stopped
                })?;
        }
        return Ok(count);
    }
    // What the data already broke before the run is reported, but is not this run's failure.
    // Both passes cover what the run's migrations can touch (a baseline recorded here runs
    // nothing).
    let validation = if validate {
        let ran: Vec<&str> = plan
            .steps
            .iter()
            .filter(|s| s.runs())
            .map(UpStep::name)
            .collect();
        let reach = validate::reach(project.migration_facts, &ran);
        if let Some(why) = reach.why_every_table() {
            observer.validating_every_table(&why);
        }
        let started = validate::RunValidation::start(db, reach).await;
        Some(started.map_err(before_run)?)
    } else {
        None
    };
    observer.begin(RunKind::Apply, count);
    for (committed, step) in plan.steps.iter().enumerate() {
        let name = step.name();
        let run = async {
            if let Some(replaced) = &step.replaced {
                let replaced: Vec<&str> = replaced.iter().map(String::as_str).collect();
                executor::record_squashed(db, name, &replaced, checksum(name))
                    .await
                    .map(|()| StepOutcome::RecordedSquashed)
                    .map_err(Error::from)
            } else if step.baseline == gate::BaselineStep::Record {
                let tables =
                    gate::baseline_tables(project.migration_facts, name).unwrap_or_default();
                executor::record_baseline(db, name, tables, checksum(name))
                    .await
                    .map(|()| StepOutcome::RecordedBaseline)
                    .map_err(Error::from)
            } else {
                let migration = step.state.migration.as_ref();
                executor::run_one(db, migration, Direction::Up, checksum(name))
                    .await
                    .map(StepOutcome::Ran)
            }
        };
        step_under_lock(lock, observer, name, committed, run).await?;
    }
    if let Some(validation) = validation {
        let started = Instant::now();
        let report = validation
            .finish(db)
            .await
            .map_err(|e| Stopped::at(count)(e.into()))?;
        if !report.ok() {
            return Err(Stopped::at(count)(Error::ValidationFailed {
                report,
                after_migrate: true,
            }));
        }
        observer.validated(&report, started.elapsed());
    }
    Ok(count)
}

/// Decides what `rollback` does, or why it must not: nothing applied, an unknown target, more
/// steps than applied, a baseline (whose `down` would drop an adopted database's tables), data
/// that cannot come back without `force`, a half-applied migration. Reads only. Migrations are
/// reverted in the order they were applied, newest first, whatever their names.
pub async fn plan_down(
    project: &Migrations,
    db: &DatabaseConnection,
    request: DownRequest<'_>,
) -> Result<DownPlan, Error> {
    let (states, applied) = executor::states_and_applied(db, (project.migrations)()).await?;
    let resolved = half_applied_gate(db, Direction::Down, request.fake || request.retry).await?;
    let sequence = history::applied_sequence(&applied);
    if sequence.is_empty() && !request.all {
        return Err(Error::Refused(
            "no migration is applied to this database, so there is nothing to roll back; nothing was changed\n  fix: check that DATABASE_URL names the database you meant (`showmigrations` lists what is applied there)".into(),
        ));
    }
    let count = if request.all {
        sequence.len()
    } else if let Some(target) = request.to {
        let index = find_target(&states, target)?;
        let Some(position) = sequence.iter().position(|n| *n == states[index].name()) else {
            let name = states[index].name();
            if let Some(squashed) = replacement::replaced_by(project.migration_facts, name)
                .filter(|s| sequence.contains(&s.name))
            {
                return Err(Error::Refused(format!(
                    "{name} is replaced by {}, which this database applied as one migration, so there is no point between them to roll back to; nothing was changed\n  fix: roll back the squashed migration (`rollback --to` the migration before {}), then `migrate {name}` to apply the old files up to it",
                    squashed.name, squashed.replaces.first().copied().unwrap_or(name)
                )));
            }
            return Err(Error::Refused(format!(
                "{} is not applied, so there is nothing to roll back to\n  fix: pick an applied migration (see `showmigrations`)",
                states[index].name()
            )));
        };
        sequence.len() - position - 1
    } else {
        let steps = request.steps.unwrap_or(1);
        if steps > sequence.len() {
            return Err(Error::Refused(format!(
                "cannot roll back {steps} migration(s): only {} applied\n  fix: use `rollback --all` to revert everything",
                sequence.len()
            )));
        }
        steps
    };
    let to_revert: Vec<String> = sequence
        .iter()
        .rev()
        .take(count)
        .map(|name| name.to_string())
        .collect();
    if !request.fake {
        let names: Vec<&str> = to_revert.iter().map(String::as_str).collect();
        let markers = gate::revert_plan(project.migration_facts, &names);
        if !markers.baselines.is_empty() {
            return Err(Error::BaselineRollback(markers.baselines));
        }
        if !request.force && !markers.cannot_restore.is_empty() {
            return Err(Error::CannotRestore(markers.cannot_restore));
        }
    }
    let mut states: Vec<Option<MigrationState>> = states.into_iter().map(Some).collect();
    let steps = to_revert
        .iter()
        .filter_map(|name| {
            states
                .iter_mut()
                .find(|s| s.as_ref().is_some_and(|s| s.name() == name))
                .and_then(Option::take)
        })
        .collect();
    Ok(DownPlan {
        steps,
        fake: request.fake,
        resolved,
    })
}

/// Reverts `plan` under `lock`, which is checked again before each migration.
pub async fn revert(
    db: &DatabaseConnection,
    plan: DownPlan,
    lock: &mut RunLock,
    observer: &mut (dyn Observer + Send),
) -> Result<usize, Stopped> {
    let names: Vec<&str> = plan.steps.iter().map(MigrationState::name).collect();
    let writes = !plan.steps.is_empty() || plan.resolved.is_some();
    prepare(db, writes, plan.resolved.as_ref(), plan.fake, &names)
        .await
        .map_err(|e| Stopped::before_migrating(e.into()))?;
    let count = plan.steps.len();
    if count == 0 {
        return Ok(0);
    }
    let kind = if plan.fake {
        RunKind::RecordReverted
    } else {
        RunKind::Revert
    };
    observer.begin(kind, count);
    for (committed, state) in plan.steps.iter().enumerate() {
        let name = state.name();
        let run = async {
            if plan.fake {
                executor::record_only(db, name, Direction::Down, None)
                    .await
                    .map(|()| StepOutcome::Faked)
                    .map_err(Error::from)
            } else {
                executor::run_one(db, state.migration.as_ref(), Direction::Down, None)
                    .await
                    .map(StepOutcome::Ran)
            }
        };
        step_under_lock(lock, observer, name, committed, run).await?;
    }
    Ok(count)
}

/// Before a run writes anything else: the tool's tables (only a run that writes creates them),
/// and the half-applied record that `--retry` resolves cleared. `--fake` clears it in the
/// transaction that records the migration instead (a kill between the two would otherwise leave
/// neither).
async fn prepare(
    db: &DatabaseConnection,
    writes: bool,
    resolved: Option<&HalfApplied>,
    fake: bool,
    names: &[&str],
) -> Result<(), sea_orm::DbErr> {
    if writes {
        executor::ensure_tracking_tables(db).await?;
    }
    if let Some(record) = resolved.filter(|r| !fake || !names.contains(&r.name.as_str())) {
        executor::clear_half_applied(db, Some(&record.name)).await?;
    }
    Ok(())
}

/// One migration of a run: the lock checked first (lost: the step is not run), then `step`,
/// each told to the observer. `committed`: the run's migrations done before this one.
async fn step_under_lock(
    lock: &mut RunLock,
    observer: &mut (dyn Observer + Send),
    name: &str,
    committed: usize,
    step: impl std::future::Future<Output = Result<StepOutcome, Error>>,
) -> Result<(), Stopped> {
    observer.starting(name);
    if let Err(e) = lock.ensure_held(name).await {
        observer.finished(name, StepOutcome::Stopped);
        return Err(Stopped::at(committed)(e));
    }
    match step.await {
        Ok(outcome) => {
            observer.finished(name, outcome);
            Ok(())
        }
        Err(e) => {
            observer.finished(name, StepOutcome::Failed);
            Err(Stopped::at(committed)(e))
        }
    }
}
