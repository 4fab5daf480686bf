//! What an application's `Migrator::up` and `Migrator::down` run. The migration crate's
//! generated `Migrator` hands sea-orm-migration's versions over to these, so that migrations
//! applied from start-up code get what `migrate` gives: the run lock (replicas starting together
//! apply each migration once), the history checks, each migration and its tracking rows in one
//! transaction on PostgreSQL and SQLite (a table rebuild included), the started-record on MySQL,
//! checksums, the log, and the integrity checks after the run. The same plan and runner as the
//! command line (`crate::migrate`); steps are logged through `tracing` instead of printed.

use std::time::Duration;

use sea_orm::sqlx;
use sea_orm::{DatabaseConnection, DatabaseExecutor, DbBackend, DbErr};
use tracing::instrument::WithSubscriber;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

use crate::error::Error;
use crate::migrate::{self, DownRequest, Observer, StepOutcome, UpRequest};
use crate::{lock, Project};

/// How long start-up waits for another run (another replica) to finish its migrations.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// How the lock's messages name the database: the application knows which one it is.
const DATABASE: &str = "the application's database";

/// Applies pending migrations (at most `steps`), as `migrate` does.
pub async fn up(
    db: DatabaseExecutor<'_>,
    project: &Project,
    steps: Option<u32>,
) -> Result<(), DbErr> {
    let Run { db, ours, mut lock } = start(connection(db, "up")?).await?;
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
        migrate::apply(project, &db, plan, &mut lock, true, &mut LogSteps)
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
    project: &Project,
    steps: Option<u32>,
) -> Result<(), DbErr> {
    let Run { db, ours, mut lock } = start(connection(db, "down")?).await?;
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

/// A run's connection and lock.
struct Run {
    db: DatabaseConnection,
    /// The connection is a pool of the run's own, closed at the end (else the application's).
    ours: bool,
    lock: lock::RunLock,
}

async fn start(app_db: &DatabaseConnection) -> Result<Run, DbErr> {
    let (db, ours) = own_connection(app_db).await.map_err(into_db_err)?;
    let mut on_wait = |holder: Option<&lock::Holder>| {
        let who = holder.map_or("the backend does not tell who", |h| h.who.as_str());
        tracing::info!("waiting for another migration run to finish (it holds the lock: {who})");
    };
    match lock::acquire(&db, DATABASE, LOCK_TIMEOUT, &mut on_wait).await {
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

/// Passes events on to another dispatcher (the application's).
struct PassOn(tracing::Dispatch);

impl<S: tracing::Subscriber> Layer<S> for PassOn {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        if self.0.enabled(event.metadata()) {
            self.0.event(event);
        }
    }
}

/// The connection the run works on. SQLite: one connection (a pool of the run's own, unless the
/// application's has a single one), since the rebuild turns foreign keys off before its
/// transaction and that pragma holds per connection. MySQL: the journal's metric callback, set
/// on a copy of the application's handle (which shares its pool, not its callback).
async fn own_connection(db: &DatabaseConnection) -> Result<(DatabaseConnection, bool), Error> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            if pool.options().get_max_connections() == 1 {
                return Ok((db.clone(), false));
            }
            // The same options open the same database, an in-memory one too (sqlx names it).
            let options = (*pool.connect_options()).clone();
            let single = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .connect_with(options)
                .await
                .map_err(|e| {
                    Error::Db(DbErr::Custom(format!("opening the run's connection: {e}")))
                })?;
            Ok((
                sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(single),
                true,
            ))
        }
        DbBackend::MySql => {
            let mut own = db.clone();
            own.set_metric_callback(crate::journal::record);
            Ok((own, false))
        }
        _ => Ok((db.clone(), false)),
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
