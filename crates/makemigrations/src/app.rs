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
