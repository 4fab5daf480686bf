//! Replays migrations in a scratch place on the live database's backend and reads the schema they
//! leave, with the same discovery code as everywhere else: what `squashmigrations` compares. The
//! live database's schema is never read or written.
//!
//! PostgreSQL: a scratch schema inside a transaction that is always rolled back. SQLite: an
//! in-memory database. MySQL/MariaDB: a scratch database that is created and dropped here, or the
//! user's empty `--shadow-url` database, whose tables are dropped again afterwards.

use makemigrations_core::Schema;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr,
    TransactionTrait,
};
use sea_orm_migration::{MigrationTrait, SchemaManager};

use crate::error::Error;
use crate::runtime::{ident, mysql_ident};
use crate::{executor, introspect};

/// Runs `migrations` in order from an empty scratch place and returns the schema after the
/// first `n` of them for each `n` of `checkpoints` (ascending).
pub async fn schemas_after(
    db: &DatabaseConnection,
    migrations: &[&dyn MigrationTrait],
    checkpoints: &[usize],
    shadow_url: Option<&str>,
) -> Result<Vec<Schema>, Error> {
    match db.get_database_backend() {
        DbBackend::Postgres => on_postgres(db, migrations, checkpoints).await,
        DbBackend::MySql => on_mysql(db, migrations, checkpoints, shadow_url).await,
        _ => on_sqlite(migrations, checkpoints).await,
    }
}

/// Runs the migrations through `manager` (on `conn`), reading the schema of `schema` at each
/// checkpoint.
async fn replay_on<C: ConnectionTrait>(
    conn: &C,
    manager: &SchemaManager<'_>,
    migrations: &[&dyn MigrationTrait],
    checkpoints: &[usize],
    schema: &str,
) -> Result<Vec<Schema>, Error> {
    let backend = crate::database::core_backend(conn.get_database_backend());
    let mut remaining = migrations.iter();
    let mut done = 0;
    let mut schemas = Vec::new();
    for &checkpoint in checkpoints {
        for migration in remaining.by_ref().take(checkpoint - done) {
            executor::run_direction(manager, *migration, executor::Direction::Up)
                .await
                .map_err(|e| failed(migration.name(), e))?;
        }
        done = checkpoint;
        schemas.push(introspect::discover(conn, backend, schema).await?);
    }
    Ok(schemas)
}

/// A migration that failed in the scratch place: the squash cannot be computed.
fn failed(migration: &str, error: DbErr) -> Error {
    Error::CannotSquash(
        format!("{migration} failed while the history was replayed in a scratch place: {error}"),
        "correct that migration (it must run on an empty database of this backend), or squash a range on the backend it was written for".into(),
    )
}

async fn on_postgres(
    db: &DatabaseConnection,
    migrations: &[&dyn MigrationTrait],
    checkpoints: &[usize],
) -> Result<Vec<Schema>, Error> {
    let scratch = format!("_makemigrations_replay_{}", std::process::id());
    let txn = db.begin().await?;
    let result = async {
        txn.execute_unprepared(&format!("CREATE SCHEMA {}", ident(&scratch)))
            .await?;
        txn.execute_unprepared(&format!("SET LOCAL search_path TO {}", ident(&scratch)))
            .await?;
        let manager = SchemaManager::new(&txn);
        replay_on(&txn, &manager, migrations, checkpoints, &scratch).await
    }
    .await;
    txn.rollback().await?;
    result
}

async fn on_sqlite(
    migrations: &[&dyn MigrationTrait],
    checkpoints: &[usize],
) -> Result<Vec<Schema>, Error> {
    // One connection: each connection to `:memory:` is a database of its own.
    let mut options = ConnectOptions::new("sqlite::memory:");
    options.max_connections(1).sqlx_logging(false);
    let scratch = Database::connect(options).await?;
    let result = async {
        // As `executor` runs them: SQLite's table rebuilds need foreign keys off.
        scratch
            .execute_unprepared("PRAGMA foreign_keys = OFF")
            .await?;
        let manager = SchemaManager::new(&scratch);
        replay_on(&scratch, &manager, migrations, checkpoints, "").await
    }
    .await;
    scratch.close().await?;
    result
}

async fn on_mysql(
    db: &DatabaseConnection,
    migrations: &[&dyn MigrationTrait],
    checkpoints: &[usize],
    shadow_url: Option<&str>,
) -> Result<Vec<Schema>, Error> {
    if let Some(url) = shadow_url {
        return in_given_database(url, migrations, checkpoints).await;
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let scratch = format!("_makemigrations_replay_{}_{nanos}", std::process::id());
    let live = introspect::scalar(db, "SELECT DATABASE()")
        .await?
        .unwrap_or_default();
    let defaults = "SELECT CONCAT('CHARACTER SET ', @@character_set_database, \
                    ' COLLATE ', @@collation_database)";
    let charset = introspect::scalar(db, defaults).await?.unwrap_or_default();
    let create = format!("CREATE DATABASE {} {charset}", mysql_ident(&scratch));
    if let Err(e) = db.execute_unprepared(&create).await {
        return Err(Error::CannotSquash(
            format!("cannot create the scratch database {scratch} to replay the history in: {e}"),
            "grant this user CREATE and DROP on `\\_makemigrations\\_replay\\_%`, or give an empty database with --shadow-url (or SHADOW_DATABASE_URL)".into(),
        ));
    }
    // One pinned connection for all of it: `USE` is per connection. DDL commits at once on
    // MySQL, so the transaction only pins the connection.
    let result = async {
        let pinned = db.begin().await?;
        let replayed = async {
            pinned
                .execute_unprepared(&format!("USE {}", mysql_ident(&scratch)))
                .await?;
            let manager = SchemaManager::new(&pinned);
            replay_on(&pinned, &manager, migrations, checkpoints, &scratch).await
        }
        .await;
        // Back to the live database before the connection returns to the pool.
        let back = pinned
            .execute_unprepared(&format!("USE {}", mysql_ident(&live)))
            .await;
        let _ = pinned.rollback().await;
        back?;
        replayed
    }
    .await;
    let _ = db
        .execute_unprepared(&format!(
            "DROP DATABASE IF EXISTS {}",
            mysql_ident(&scratch)
        ))
        .await;
    result
}

/// The user's own empty database (`--shadow-url`): replayed there, its tables dropped again.
async fn in_given_database(
    url: &str,
    migrations: &[&dyn MigrationTrait],
    checkpoints: &[usize],
) -> Result<Vec<Schema>, Error> {
    let mut options = ConnectOptions::new(crate::database::driver_url(url));
    options.max_connections(1).sqlx_logging(false);
    let scratch = Database::connect(options).await?;
    let name = introspect::scalar(&scratch, "SELECT DATABASE()")
        .await?
        .unwrap_or_default();
    if !executor::table_names(&scratch).await?.is_empty() {
        return Err(Error::CannotSquash(
            format!(
                "the shadow database {} is not empty",
                crate::database::redact(url)
            ),
            "give --shadow-url (or SHADOW_DATABASE_URL) an empty database: the history is replayed there and its tables dropped again".into(),
        ));
    }
    let manager = SchemaManager::new(&scratch);
    let result = replay_on(&scratch, &manager, migrations, checkpoints, &name).await;
    let built = executor::table_names(&scratch).await?;
    if !built.is_empty() {
        let list: Vec<String> = built.iter().map(|t| mysql_ident(t)).collect();
        scratch
            .execute_unprepared(&format!(
                "SET FOREIGN_KEY_CHECKS = 0; DROP TABLE {}; SET FOREIGN_KEY_CHECKS = 1",
                list.join(", ")
            ))
            .await?;
    }
    scratch.close().await?;
    result
}
