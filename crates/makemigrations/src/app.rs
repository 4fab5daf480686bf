//! What an application's `Migrator::up` and `Migrator::down` run. The migration crate's
//! generated `Migrator` hands sea-orm-migration's versions over to these, so that migrations
//! applied from start-up code get what `migrate` gives: the run lock (replicas starting together
//! apply each migration once), the history checks, each migration and its tracking rows in one
//! transaction on PostgreSQL and SQLite (a table rebuild included), the started-record on MySQL,
//! checksums, the log, and the integrity checks after the run. The same plan and runner as the
//! command line (`crate::migrate`); steps are logged through `tracing` instead of printed.

use std::time::Duration;

use sea_orm::sqlx;
#[cfg(feature = "postgres")]
use sea_orm::ConnectionTrait;
use sea_orm::{DatabaseConnection, DatabaseExecutor, DbBackend, DbErr};
use tracing::instrument::WithSubscriber;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

use crate::error::Error;
use crate::migrate::{self, DownRequest, Observer, StepOutcome, UpRequest};
use crate::{lock, Migrations};

/// How a start-up run behaves; [`Options::from_env`] is what the generated `Migrator` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// How long to wait for another run (another replica) to finish its migrations.
    pub lock_timeout: Duration,
    /// Run the integrity checks before and after applying (as `migrate` does).
    pub validate: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            lock_timeout: Duration::from_secs(60),
            validate: true,
        }
    }
}

impl Options {
    /// The defaults, changed by `MAKEMIGRATIONS_LOCK_TIMEOUT` (seconds) and
    /// `MAKEMIGRATIONS_VALIDATE` (`0` or `false` turns the checks off): a large database whose
    /// replicas wait longer, or that validates in a job of its own, needs no code change.
    pub fn from_env() -> Self {
        let mut options = Options::default();
        if let Some(secs) = std::env::var("MAKEMIGRATIONS_LOCK_TIMEOUT")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            options.lock_timeout = Duration::from_secs(secs);
        }
        if let Ok(value) = std::env::var("MAKEMIGRATIONS_VALIDATE") {
            options.validate = !matches!(value.trim(), "0" | "false" | "no" | "off");
        }
        options
    }
}

/// The MySQL journal is one per process (`crate::journal`): two runs at once in one process
/// (an application migrating several tenants' databases) take turns.
static MYSQL_RUNS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How the lock's messages name the database: the application knows which one it is.
const DATABASE: &str = "the application's database";

/// Applies pending migrations (at most `steps`), as `migrate` does.
pub async fn up(
    db: DatabaseExecutor<'_>,
    project: &Migrations,
    steps: Option<u32>,
    options: Options,
) -> Result<(), DbErr> {
    let app_db = connection(db, "up")?;
    let _turn = turn(app_db).await;
    let Run { db, ours, mut lock } = start(app_db, options).await?;
    let request = UpRequest {
        steps: steps.map(|n| n as usize),
        ..Default::default()
    };
    let run = async {
        let plan = migrate::plan_up(project, &db, request).await?;
        for marked in &plan.data_loss {
            tracing::warn!(
                migration = %marked.migration,
                "applying steps that lose data: {}",
                marked.lines.join("; ")
            );
        }
        migrate::apply(
            project,
            &db,
            plan,
            &mut lock,
            options.validate,
            &mut LogSteps,
        )
        .await
        .map(|_| ())
        .map_err(|stopped| stopped.error)
    };
    let result = with_journal(db.get_database_backend(), run).await;
    finish(Run { db, ours, lock }, result).await
}

/// Reverts the newest applied migrations (`steps`, or all of them), as `rollback` does: in the
/// order they were applied, refusing a baseline and, as `rollback` without `--force`, a
/// migration whose `down` cannot bring its data back.
pub async fn down(
    db: DatabaseExecutor<'_>,
    project: &Migrations,
    steps: Option<u32>,
    options: Options,
) -> Result<(), DbErr> {
    let app_db = connection(db, "down")?;
    let _turn = turn(app_db).await;
    let Run { db, ours, mut lock } = start(app_db, options).await?;
    let request = DownRequest {
        steps: steps.map(|n| n as usize),
        all: steps.is_none(),
        ..Default::default()
    };
    let run = async {
        let plan = migrate::plan_down(project, &db, request).await?;
        migrate::revert(&db, plan, &mut lock, &mut LogSteps)
            .await
            .map(|_| ())
            .map_err(|stopped| stopped.error)
    };
    let result = with_journal(db.get_database_backend(), run).await;
    finish(Run { db, ours, lock }, result).await
}

/// The connection the caller passed: each migration runs in a transaction of its own, which
/// cannot be nested in the caller's.
fn connection<'c>(db: DatabaseExecutor<'c>, call: &str) -> Result<&'c DatabaseConnection, DbErr> {
    match db {
        DatabaseExecutor::Connection(db) => Ok(db),
        _ => Err(DbErr::Custom(format!(
            "Migrator::{call} was given a transaction, but it runs each migration in a transaction of its own, with its tracking rows, under the migration lock; nothing was applied\n  fix: pass the DatabaseConnection (`Migrator::{call}(&db, None)`)"
        ))),
    }
}

/// On MySQL, this process's turn to run (see [`MYSQL_RUNS`]).
async fn turn(db: &DatabaseConnection) -> Option<tokio::sync::MutexGuard<'static, ()>> {
    match db.get_database_backend() {
        DbBackend::MySql => Some(MYSQL_RUNS.lock().await),
        _ => None,
    }
}

/// A run's connection and lock.
struct Run {
    db: DatabaseConnection,
    /// The connection is a pool of the run's own, closed at the end (else the application's).
    ours: bool,
    lock: lock::RunLock,
}

async fn start(app_db: &DatabaseConnection, options: Options) -> Result<Run, DbErr> {
    let (db, ours) = own_connection(app_db).await.map_err(into_db_err)?;
    let mut on_wait = |holder: Option<&lock::Holder>| {
        let who = holder.map_or("the backend does not tell who", |h| h.who.as_str());
        tracing::info!("waiting for another migration run to finish (it holds the lock: {who})");
    };
    match lock::acquire(&db, DATABASE, options.lock_timeout, &mut on_wait).await {
        Ok(lock) => Ok(Run { db, ours, lock }),
        Err(e) => {
            if ours {
                let _ = db.close().await;
            }
            Err(into_db_err(e))
        }
    }
}

async fn finish(run: Run, result: Result<(), Error>) -> Result<(), DbErr> {
    run.lock.release().await;
    if run.ours {
        let _ = run.db.close().await;
    }
    result.map_err(into_db_err)
}

/// The MySQL journal hears sqlx's statement log (`execute_unprepared` included) through a
/// tracing layer, which the application's subscriber does not have: on MySQL the run gets a
/// subscriber with that layer, which passes every event on to the application's.
async fn with_journal<F: std::future::Future>(backend: DbBackend, run: F) -> F::Output {
    if backend != DbBackend::MySql {
        return run.await;
    }
    let application = tracing::dispatcher::get_default(|d| d.clone());
    let subscriber = tracing_subscriber::registry()
        .with(crate::journal::layer())
        .with(PassOn(application));
    run.with_subscriber(subscriber).await
}

/// Passes events on to another dispatcher (the application's). Spans are not passed on, and an
/// application that logs through the `log` crate without a tracing subscriber does not see the
/// run's events (tracing's `log` fallback is off while a subscriber is set).
struct PassOn(tracing::Dispatch);

impl<S: tracing::Subscriber> Layer<S> for PassOn {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        if self.0.enabled(event.metadata()) {
            self.0.event(event);
        }
    }

    /// As verbose as the application's subscribers are (what tracing allows before the run),
    /// not more.
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::current())
    }
}

/// The connection the run works on: a pool of the run's own, made with the options of the
/// application's (so the application's connections never carry a migration's session settings,
/// such as `foreign_key_checks = 0`), closed at the end.
/// - SQLite: one connection, since the rebuild turns foreign keys off before its transaction and
///   that pragma holds per connection. (A private in-memory database exists only on the
///   application's own connection: there the run uses it.)
/// - PostgreSQL: the application's `search_path` (sea-orm sets it after connecting, which the
///   options do not carry).
/// - MySQL: every statement logged, and the metric callback, for the journal.
async fn own_connection(app: &DatabaseConnection) -> Result<(DatabaseConnection, bool), Error> {
    let opened = |e: sqlx::Error| {
        Error::Db(DbErr::Custom(format!(
            "opening the migration run's connection: {}",
            crate::secrets::hide_secrets(&e.to_string())
        )))
    };
    match app.get_database_backend() {
        #[cfg(feature = "sqlite")]
        DbBackend::Sqlite => {
            let options = (*app.get_sqlite_connection_pool().connect_options()).clone();
            if options.get_filename() == std::path::Path::new(":memory:") {
                return Ok((app.clone(), false));
            }
            // The same options open the same database, a shared in-memory one too (sqlx names it).
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .connect_with(options)
                .await
                .map_err(opened)?;
            Ok((
                sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool),
                true,
            ))
        }
        #[cfg(feature = "postgres")]
        DbBackend::Postgres => {
            let row = app
                .query_one_raw(sea_orm::Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT current_setting('search_path') AS path",
                ))
                .await?;
            let search_path: Option<String> = match row {
                Some(row) => row.try_get("", "path").ok(),
                None => None,
            };
            let options = (*app.get_postgres_connection_pool().connect_options()).clone();
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(2)
                .after_connect(move |conn, _| {
                    let set = search_path
                        .clone()
                        .map(|path| format!("SET search_path TO {path}"));
                    Box::pin(async move {
                        if let Some(set) = set {
                            sqlx::Executor::execute(conn, sqlx::AssertSqlSafe(set)).await?;
                        }
                        Ok(())
                    })
                })
                .connect_with(options)
                .await
                .map_err(opened)?;
            Ok((
                sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool),
                true,
            ))
        }
        #[cfg(feature = "mysql")]
        DbBackend::MySql => {
            use sea_orm::sqlx::ConnectOptions as _;
            let options = (*app.get_mysql_connection_pool().connect_options())
                .clone()
                .log_statements(log::LevelFilter::Debug)
                .log_slow_statements(log::LevelFilter::Debug, Duration::from_secs(1));
            let pool = sqlx::mysql::MySqlPoolOptions::new()
                .max_connections(2)
                .connect_with(options)
                .await
                .map_err(opened)?;
            let mut db = sea_orm::SqlxMySqlConnector::from_sqlx_mysql_pool(pool);
            db.set_metric_callback(crate::journal::record);
            Ok((db, true))
        }
        // A connection of a backend whose feature is off cannot be made; a proxy or mock one can.
        #[allow(unreachable_patterns)]
        other => Err(Error::Db(DbErr::Custom(format!(
            "makemigrations cannot run migrations on a {other:?} connection: enable its feature \
             (`postgres`, `mysql` or `sqlite`) in the migration crate's dependency"
        )))),
    }
}

/// Logs each step as `migrate` prints it.
struct LogSteps;

impl Observer for LogSteps {
    fn begin(&mut self, kind: migrate::RunKind, count: usize) {
        tracing::info!("{kind:?}: {count} migration(s)");
    }

    fn finished(&mut self, name: &str, outcome: StepOutcome) {
        match outcome {
            StepOutcome::Failed | StepOutcome::Stopped => {
                tracing::error!(migration = name, "{outcome:?}")
            }
            _ => tracing::info!(migration = name, "{outcome:?}"),
        }
    }

    fn validating_every_table(&mut self, why: &str) {
        tracing::info!("validating every table: {why}");
    }

    fn validated(&mut self, report: &crate::validate::Report, elapsed: Duration) {
        tracing::info!(
            "validated {} table(s) in {:.2}s",
            report.tables,
            elapsed.as_secs_f64()
        );
        for warning in &report.warnings {
            tracing::warn!("{}", warning.describe());
        }
        for old in &report.preexisting {
            tracing::warn!("already before this run: {}", old.describe());
        }
    }
}

/// The message `migrate` would print, as sea-orm-migration's error type.
fn into_db_err(error: Error) -> DbErr {
    match error {
        Error::Db(e) => e,
        other => DbErr::Custom(other.to_string()),
    }
}

/// Where a database stands against the project's migrations: what [`status`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// The applied migrations of this build, in file order, with when they were applied.
    pub applied: Vec<AppliedMigration>,
    /// What `migrate` (or `Migrator::up`) would run, in order.
    pub pending: Vec<String>,
    /// Squashed migrations that `migrate` would only record, the migrations they replace being
    /// applied here: the schema is already theirs (docs/guide.md, "Squashing migrations").
    pub to_record: Vec<String>,
    /// Migrations the database has applied that this build has no file for: a newer release
    /// ran them (during a rolling deploy; a squashed migration it recorded counts the old files
    /// it replaces as applied here), or a file was deleted.
    pub unknown: Vec<String>,
    /// MySQL/MariaDB: a migration that stopped halfway and must be finished by hand first
    /// (docs/guide.md, "MySQL and MariaDB notes", "No transactions for DDL").
    pub half_applied: Option<String>,
}

/// One applied migration of a [`Status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    /// The migration's name (its file name without `.rs`).
    pub name: String,
    /// When it was applied, in unix seconds (from `seaql_migrations`).
    pub applied_at: i64,
}

impl Status {
    /// Nothing to run and nothing half-applied: the schema is the one this build expects (a
    /// squashed migration still to record changes nothing in it).
    pub fn is_up_to_date(&self) -> bool {
        self.pending.is_empty() && self.half_applied.is_none()
    }
}

/// Where `db` stands: applied, pending, unknown and half-applied migrations. Reads only: it
/// creates nothing (a database without the tracking table has everything pending), takes no
/// lock, and refuses nothing, so that it can report on any database.
pub async fn status(db: &DatabaseConnection, project: &Migrations) -> Result<Status, DbErr> {
    let migrations = (project.migrations)();
    let files: Vec<&str> = migrations.iter().map(|m| m.name()).collect();
    let applied = crate::executor::applied_in_build(db, &files)
        .await
        .map_err(into_db_err)?;
    let applied_names: std::collections::BTreeSet<&str> =
        applied.iter().map(|a| a.name.as_str()).collect();
    let (pending, to_record): (Vec<_>, Vec<_>) = crate::replacement::up_steps(
        project.migration_facts,
        &files,
        &applied_names,
        files.len().saturating_sub(1),
    )
    .map_err(|stranded| into_db_err(Error::StrandedInSquash(stranded)))?
    .into_iter()
    .partition(|(_, step)| *step == crate::replacement::Step::Run);
    let names = |steps: Vec<(&str, _)>| {
        steps
            .into_iter()
            .map(|(name, _)| name.to_string())
            .collect()
    };
    let applied_at: std::collections::BTreeMap<&str, i64> = applied
        .iter()
        .map(|a| (a.name.as_str(), a.applied_at))
        .collect();
    let half_applied = crate::executor::half_applied(db)
        .await?
        .into_iter()
        .next()
        .map(|h| h.name);
    Ok(Status {
        applied: files
            .iter()
            .filter_map(|name| {
                Some(AppliedMigration {
                    name: name.to_string(),
                    applied_at: *applied_at.get(name)?,
                })
            })
            .collect(),
        pending: names(pending),
        to_record: names(to_record),
        unknown: applied
            .iter()
            .filter(|a| !files.contains(&a.name.as_str()))
            .map(|a| a.name.clone())
            .collect(),
        half_applied,
    })
}

/// The names of the pending migrations, in the order `migrate` would apply them.
pub async fn pending(db: &DatabaseConnection, project: &Migrations) -> Result<Vec<String>, DbErr> {
    Ok(status(db, project).await?.pending)
}

/// Why the database is not ready for this build: what [`require_up_to_date`] returns.
#[derive(Debug)]
pub enum NotUpToDate {
    /// Migrations to apply first, in order.
    Pending(Vec<String>),
    /// A migration stopped halfway (MySQL/MariaDB) and must be finished by hand first.
    HalfApplied(String),
    /// The database could not be read.
    Database(DbErr),
}

impl std::fmt::Display for NotUpToDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotUpToDate::Pending(names) => write!(
                f,
                "the database is not up to date: {} migration(s) not applied: {}\n  fix: run `migrate` (or `Migrator::up`) before starting the application",
                names.len(),
                names.join(", ")
            ),
            NotUpToDate::HalfApplied(name) => write!(
                f,
                "the database is not up to date: migration {name} stopped halfway\n  fix: run `migrate`, which says how to finish it"
            ),
            NotUpToDate::Database(e) => write!(f, "the migration status cannot be read: {e}"),
        }
    }
}

impl std::error::Error for NotUpToDate {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NotUpToDate::Database(e) => Some(e),
            _ => None,
        }
    }
}

/// The start-up check: `Ok` when nothing is pending or half-applied, else an error that names
/// the pending migrations, for an application that leaves migrating to a deploy step and must
/// not serve on an older schema. Reads only, takes no lock. Migrations applied by a newer build
/// ([`Status::unknown`]) do not fail it, so the old release keeps running during a rolling
/// deploy.
pub async fn require_up_to_date(
    db: &DatabaseConnection,
    project: &Migrations,
) -> Result<Status, NotUpToDate> {
    let status = status(db, project).await.map_err(NotUpToDate::Database)?;
    if let Some(name) = &status.half_applied {
        return Err(NotUpToDate::HalfApplied(name.clone()));
    }
    if !status.pending.is_empty() {
        return Err(NotUpToDate::Pending(status.pending));
    }
    Ok(status)
}
