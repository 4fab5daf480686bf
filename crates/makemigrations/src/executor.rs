//! Applies and reverts migrations, and keeps the records of what ran.
//!
//! sea-orm-migration's `MigrationTrait` and its `seaql_migrations` table are kept as they are
//! (docs/decisions.md, decision 5), so `Migrator::up` in an application still works. The loop is
//! our own so that it can time each migration, run each one in a transaction on PostgreSQL and
//! SQLite (unless the migration opts out with `use_transaction() -> Some(false)`), and record in
//! `makemigrations_owned_tables` which tables the project's migrations created: only those may be
//! dropped when their entity is removed.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use sea_orm::sea_query::{ColumnDef, Expr, ExprTrait, OnConflict, Query, Table};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, Schema,
    TransactionTrait,
};
use sea_orm_migration::{seaql_migrations, MigrationTrait, SchemaManager};

use crate::error::Error;
use crate::history::{self, Applied};
use crate::introspect;

pub const TRACKING_TABLE: &str = "seaql_migrations";
pub const OWNED_TABLES: &str = "makemigrations_owned_tables";
/// MySQL only: the migration that is running, or that failed, was killed or lost its connection
/// after some of its statements had committed (`progress`).
pub const HALF_APPLIED: &str = "makemigrations_half_applied";
/// MySQL only: the statements of a running (or failed) migration that completed, one row each,
/// added as each completes (`progress`). One row per statement rather than the record's list
/// written whole after each one: that grew with the migration, and rewriting it after every
/// statement of a 2,000-statement migration wrote hundreds of megabytes. A record's statements
/// are its `statements` list (records of earlier versions, and the fallback of
/// `record_half_applied`) followed by its rows here.
pub const HALF_APPLIED_STATEMENTS: &str = "makemigrations_half_applied_statements";
/// The checksum of each applied migration's code and the position in which it was applied
/// (`crate::history`). Beside `seaql_migrations`, which stays as sea-orm-migration reads it.
pub const CHECKSUMS: &str = "makemigrations_checksums";
/// Each migration whose row a squashed migration's record took over, and that squashed
/// migration: a build from before the squash has the old files and not the squashed one, and
/// reads from here that they are applied (a rolling deploy's old release, `app::status`).
pub const REPLACED: &str = "makemigrations_replaced";

/// A migration file and whether (and when, in unix seconds) it was applied.
pub struct MigrationState {
    pub migration: Box<dyn MigrationTrait>,
    pub applied_at: Option<i64>,
}

impl MigrationState {
    pub fn name(&self) -> &str {
        self.migration.name()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// Creates the tracking tables that are missing. Only the commands that change the database call
/// this (`migrate`, `rollback`, and `makemigrations` when it records a baseline): the read-only
/// commands read a missing table as empty, so they work for a user who may not create tables. A
/// table that exists is not created again, not even with `IF NOT EXISTS` (PostgreSQL checks the
/// right to create in the schema before it sees that the table exists).
pub async fn ensure_tracking_tables(db: &DatabaseConnection) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    if !table_exists(db, TRACKING_TABLE).await? {
        let mut tracking = Schema::new(backend).create_table_from_entity(seaql_migrations::Entity);
        db.execute(tracking.if_not_exists()).await?;
    }
    if !table_exists(db, OWNED_TABLES).await? {
        let owned = Table::create()
            .table(OWNED_TABLES.to_string())
            .if_not_exists()
            .col(
                ColumnDef::new("table_name")
                    .string()
                    .not_null()
                    .primary_key(),
            )
            .col(ColumnDef::new("created_by").string().not_null())
            .to_owned();
        db.execute(&owned).await?;
    }
    if backend == DbBackend::MySql && !table_exists(db, HALF_APPLIED).await? {
        let half_applied = Table::create()
            .table(HALF_APPLIED.to_string())
            .if_not_exists()
            .col(ColumnDef::new("version").string().not_null().primary_key())
            .col(ColumnDef::new("direction").string().not_null())
            .col(ColumnDef::new("statements").text().not_null())
            .col(ColumnDef::new("failed_statement").text().null())
            .col(ColumnDef::new("failed_at").big_integer().not_null())
            .col(
                ColumnDef::new("state")
                    .string_len(16)
                    .not_null()
                    .default("failed"),
            )
            .to_owned();
        db.execute(&half_applied).await?;
    } else if backend == DbBackend::MySql && !has_state_column(db).await? {
        // A table of the layout before the started-record: its rows are failures.
        db.execute_unprepared(&format!(
            "ALTER TABLE {HALF_APPLIED} ADD COLUMN state varchar(16) NOT NULL DEFAULT 'failed'"
        ))
        .await?;
    }
    if backend == DbBackend::MySql && !table_exists(db, HALF_APPLIED_STATEMENTS).await? {
        let statements = Table::create()
            .table(HALF_APPLIED_STATEMENTS.to_string())
            .if_not_exists()
            .col(ColumnDef::new("version").string().not_null())
            .col(ColumnDef::new("ordinal").integer().not_null())
            .col(ColumnDef::new("statement").text().not_null())
            .col(ColumnDef::new("recorded_at").big_integer().not_null())
            .primary_key(
                sea_orm::sea_query::Index::create()
                    .col("version".to_string())
                    .col("ordinal".to_string()),
            )
            .to_owned();
        db.execute(&statements).await?;
    }
    crate::run_log::ensure_table(db).await?;
    if !table_exists(db, CHECKSUMS).await? {
        let checksums = Table::create()
            .table(CHECKSUMS.to_string())
            .if_not_exists()
            .col(ColumnDef::new("version").string().not_null().primary_key())
            .col(ColumnDef::new("checksum").string().null())
            .col(ColumnDef::new("applied_order").big_integer().not_null())
            .to_owned();
        db.execute(&checksums).await?;
    }
    Ok(())
}

async fn has_state_column(db: &DatabaseConnection) -> Result<bool, DbErr> {
    let rows = introspect::query(
        db,
        "SELECT COUNT(*) AS found FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = 'state'",
        vec![HALF_APPLIED.into()],
    )
    .await?;
    match rows.first() {
        Some(row) => Ok(row.try_get::<i64>("", "found")? > 0),
        None => Ok(false),
    }
}

/// Whether the table `name` is in the current schema (where CREATE TABLE puts it). Reading a
/// catalog needs no right on the table.
pub async fn table_exists<C: ConnectionTrait>(conn: &C, name: &str) -> Result<bool, DbErr> {
    let (sql, values): (&str, Vec<sea_orm::Value>) = match conn.get_database_backend() {
        DbBackend::Postgres => (
            // In the schema that CREATE TABLE writes to, not anywhere on search_path: with
            // `search_path=sales,public` the tables of `public` belong to another history.
            "SELECT COUNT(*) AS found FROM pg_class \
             WHERE relnamespace = current_schema()::regnamespace AND relname = $1 \
               AND relkind IN ('r', 'p')",
            vec![name.into()],
        ),
        DbBackend::MySql => (
            "SELECT COUNT(*) AS found FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
            vec![name.into()],
        ),
        _ => (
            "SELECT COUNT(*) AS found FROM sqlite_master WHERE type = 'table' AND name = ?",
            vec![name.into()],
        ),
    };
    let rows = introspect::query(conn, sql, values).await?;
    match rows.first() {
        Some(row) => Ok(row.try_get::<i64>("", "found")? > 0),
        None => Ok(false),
    }
}

/// A migration that failed, was killed or lost its connection on MySQL after some of its
/// statements had committed: the database is between two versions, and `migrate`/`rollback`
/// refuse to go on until the user says how it was resolved (Atlas and Prisma keep such a record;
/// Alembic and Django keep none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HalfApplied {
    pub name: String,
    pub direction: Direction,
    /// The statements that stayed applied, in order.
    pub ran: Vec<String>,
    pub failed: Option<String>,
    /// When the record was last written (unix seconds).
    pub failed_at: i64,
    /// The run stopped without failing (killed, or its connection lost) while the migration was
    /// running: the statement after `ran` may have completed too.
    pub interrupted: bool,
}

/// The half-applied migrations (none where DDL is transactional).
pub async fn half_applied(db: &DatabaseConnection) -> Result<Vec<HalfApplied>, DbErr> {
    if db.get_database_backend() != DbBackend::MySql {
        return Ok(Vec::new());
    }
    let mut reads = introspect::TextReads::acquire(db).await?;
    let tables = table_columns(&mut reads, &[HALF_APPLIED, HALF_APPLIED_STATEMENTS]).await?;
    if !tables.contains_key(HALF_APPLIED) {
        return Ok(Vec::new());
    }
    // `*`: a table of the layout before `state` reads as failures.
    let sql = format!("SELECT * FROM {HALF_APPLIED} ORDER BY version");
    let rows = reads.query(&sql).await?;
    let mut records: Vec<HalfApplied> = rows
        .iter()
        .map(|row| {
            Ok(HalfApplied {
                name: row.try_get("", "version")?,
                direction: match row.try_get::<String>("", "direction")?.as_str() {
                    "down" => Direction::Down,
                    _ => Direction::Up,
                },
                ran: introspect::json_strings(row.try_get("", "statements")?)?,
                failed: row.try_get("", "failed_statement")?,
                failed_at: row.try_get("", "failed_at")?,
                interrupted: row.try_get::<String>("", "state").ok().as_deref() == Some("running"),
            })
        })
        .collect::<Result<_, DbErr>>()?;
    if tables.contains_key(HALF_APPLIED_STATEMENTS) {
        let sql = format!(
            "SELECT version, statement, recorded_at FROM {HALF_APPLIED_STATEMENTS} \
             ORDER BY version, ordinal"
        );
        for row in reads.query(&sql).await? {
            let version: String = row.try_get("", "version")?;
            if let Some(record) = records.iter_mut().find(|r| r.name == version) {
                record.ran.push(row.try_get("", "statement")?);
                let recorded_at: i64 = row.try_get("", "recorded_at")?;
                record.failed_at = Ord::max(record.failed_at, recorded_at);
            }
        }
    }
    Ok(records)
}

async fn record_half_applied(db: &DatabaseConnection, record: &HalfApplied) -> Result<(), DbErr> {
    // The whole list goes into the record: rows the progress thread added would repeat it.
    clear_statement_rows(db, &record.name).await?;
    let statements = serde_json::to_string(&record.ran).unwrap_or_default();
    let insert = Query::insert()
        .into_table(HALF_APPLIED.to_string())
        .columns(
            [
                "version",
                "direction",
                "statements",
                "failed_statement",
                "failed_at",
                "state",
            ]
            .map(str::to_string),
        )
        .values_panic([
            record.name.as_str().into(),
            match record.direction {
                Direction::Up => "up",
                Direction::Down => "down",
            }
            .into(),
            statements.into(),
            record.failed.clone().into(),
            record.failed_at.into(),
            if record.interrupted {
                "running"
            } else {
                "failed"
            }
            .into(),
        ])
        .on_conflict(
            OnConflict::column("version".to_string())
                .update_columns(
                    [
                        "direction",
                        "statements",
                        "failed_statement",
                        "failed_at",
                        "state",
                    ]
                    .map(str::to_string),
                )
                .to_owned(),
        )
        .to_owned();
    db.execute(&insert).await.map(|_| ())
}

/// Forgets that `name` (or, with `None`, every migration) was half-applied.
pub async fn clear_half_applied<C: ConnectionTrait>(
    db: &C,
    name: Option<&str>,
) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::MySql || !table_exists(db, HALF_APPLIED).await? {
        return Ok(());
    }
    for table in [HALF_APPLIED, HALF_APPLIED_STATEMENTS] {
        if table == HALF_APPLIED_STATEMENTS && !table_exists(db, table).await? {
            continue;
        }
        let mut delete = Query::delete();
        delete.from_table(table.to_string());
        if let Some(name) = name {
            delete.and_where(Expr::col("version".to_string()).eq(name));
        }
        db.execute(&delete).await?;
    }
    Ok(())
}

/// Deletes the statement rows of `name`'s record, if the table is there.
async fn clear_statement_rows<C: ConnectionTrait>(db: &C, name: &str) -> Result<(), DbErr> {
    if !table_exists(db, HALF_APPLIED_STATEMENTS).await? {
        return Ok(());
    }
    let delete = Query::delete()
        .from_table(HALF_APPLIED_STATEMENTS.to_string())
        .and_where(Expr::col("version".to_string()).eq(name))
        .to_owned();
    db.execute(&delete).await.map(|_| ())
}

/// Every migration file in order, with its state. An applied migration whose file is missing is
/// an error: the history cannot be trusted without it. Nothing is created: without the tracking
/// table nothing is applied.
pub async fn states(
    db: &DatabaseConnection,
    migrations: Vec<Box<dyn MigrationTrait>>,
) -> Result<Vec<MigrationState>, Error> {
    Ok(states_and_applied(db, migrations).await?.0)
}

/// `states`, and the applied rows they come from (with checksums and positions).
pub async fn states_and_applied(
    db: &DatabaseConnection,
    migrations: Vec<Box<dyn MigrationTrait>>,
) -> Result<(Vec<MigrationState>, Vec<Applied>), Error> {
    let applied = applied(db).await?;
    let names: BTreeSet<&str> = migrations.iter().map(|m| m.name()).collect();
    if let Some(missing) = applied.iter().find(|a| !names.contains(a.name.as_str())) {
        return Err(Error::MissingFile(missing.name.clone()));
    }
    Ok((states_from(migrations, &applied), applied))
}

/// Every migration file in order, with its state in `applied` (which may name files that are
/// gone: `history::inspect` reports those).
pub fn states_from(
    migrations: Vec<Box<dyn MigrationTrait>>,
    applied: &[Applied],
) -> Vec<MigrationState> {
    let applied_at: BTreeMap<&str, i64> = applied
        .iter()
        .map(|a| (a.name.as_str(), a.applied_at))
        .collect();
    migrations
        .into_iter()
        .map(|migration| {
            let applied_at = applied_at.get(migration.name()).copied();
            MigrationState {
                migration,
                applied_at,
            }
        })
        .collect()
}

/// `applied`, plus the rows a squashed migration took over where this build has the old files
/// and not the squashed one (it predates the squash): for such a build they are applied, with
/// the squashed migration's time. Reads only; a missing `makemigrations_replaced` adds nothing.
pub async fn applied_in_build(
    db: &DatabaseConnection,
    files: &[&str],
) -> Result<Vec<Applied>, Error> {
    let mut reads = introspect::TextReads::acquire(db).await?;
    let tables = table_columns(&mut reads, &[TRACKING_TABLE, CHECKSUMS, REPLACED]).await?;
    let mut applied = read_applied(&mut reads, &tables).await?;
    if !tables.contains_key(REPLACED) {
        return Ok(applied);
    }
    let sql = format!("SELECT version, replaced_by FROM {REPLACED}");
    let mut taken_over = Vec::new();
    for row in reads.query(&sql).await? {
        let unreadable = |e: DbErr| Error::CorruptTrackingTable {
            table: REPLACED,
            problem: format!("a row cannot be read ({e})"),
        };
        let version: String = row.try_get("", "version").map_err(unreadable)?;
        let replaced_by: String = row.try_get("", "replaced_by").map_err(unreadable)?;
        taken_over.push((version, replaced_by));
    }
    for (version, replaced_by) in taken_over {
        let known = |name: &str| files.contains(&name);
        let recorded = |name: &str| applied.iter().find(|a| a.name == name);
        if !known(&version) || known(&replaced_by) || recorded(&version).is_some() {
            continue;
        }
        if let Some(squashed) = recorded(&replaced_by) {
            let applied_at = squashed.applied_at;
            applied.push(Applied {
                name: version,
                applied_at,
                checksum: None,
                order: None,
            });
        }
    }
    Ok(applied)
}

/// The applied migrations as recorded: `seaql_migrations`, with the checksum and position that
/// `makemigrations_checksums` holds for each. Reads only; a missing table reads as empty. A table
/// without the expected columns, or a row that cannot be read, is `Error::CorruptTrackingTable`.
pub async fn applied(db: &DatabaseConnection) -> Result<Vec<Applied>, Error> {
    let mut reads = introspect::TextReads::acquire(db).await?;
    let tables = table_columns(&mut reads, &[TRACKING_TABLE, CHECKSUMS]).await?;
    read_applied(&mut reads, &tables).await
}

/// Every command reads this first, so it takes three round trips to a server on one connection,
/// whatever the history: one for the tables' columns, one per table read.
async fn read_applied(
    reads: &mut introspect::TextReads<'_>,
    tables: &BTreeMap<String, BTreeSet<String>>,
) -> Result<Vec<Applied>, Error> {
    let Some(columns) = tables.get(TRACKING_TABLE) else {
        return Ok(Vec::new());
    };
    expect_columns(TRACKING_TABLE, columns, &["version", "applied_at"])?;
    let sql = format!("SELECT version, applied_at FROM {TRACKING_TABLE}");
    let mut applied = Vec::new();
    for (i, row) in reads.query(&sql).await?.iter().enumerate() {
        let unreadable = |e: DbErr| Error::CorruptTrackingTable {
            table: TRACKING_TABLE,
            problem: format!("row {} cannot be read ({e})", i + 1),
        };
        applied.push(Applied {
            name: row.try_get("", "version").map_err(unreadable)?,
            applied_at: row.try_get("", "applied_at").map_err(unreadable)?,
            checksum: None,
            order: None,
        });
    }
    if let Some(columns) = tables.get(CHECKSUMS) {
        expect_columns(
            CHECKSUMS,
            columns,
            &["version", "checksum", "applied_order"],
        )?;
        let sql = format!("SELECT version, checksum, applied_order FROM {CHECKSUMS}");
        for (i, row) in reads.query(&sql).await?.iter().enumerate() {
            let unreadable = |e: DbErr| Error::CorruptTrackingTable {
                table: CHECKSUMS,
                problem: format!("row {} cannot be read ({e})", i + 1),
            };
            let version: String = row.try_get("", "version").map_err(unreadable)?;
            // A row of a migration that is no longer applied (reverted by another tool) is
            // overwritten when it is applied again.
            if let Some(record) = applied.iter_mut().find(|a| a.name == version) {
                record.checksum = row.try_get("", "checksum").map_err(unreadable)?;
                record.order = Some(row.try_get("", "applied_order").map_err(unreadable)?);
            }
        }
    }
    Ok(applied)
}

/// Those of the tool's `tables` that exist, in the schema that CREATE TABLE writes to (as
/// `table_exists` has it), each with the names of its columns (lowercase) that the user can see:
/// one query.
async fn table_columns(
    reads: &mut introspect::TextReads<'_>,
    tables: &[&str],
) -> Result<BTreeMap<String, BTreeSet<String>>, DbErr> {
    use crate::runtime::literal;
    let names = tables
        .iter()
        .map(|t| literal(t))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = match reads.backend() {
        // pg_attribute, not information_schema: that one hides the columns of a table the
        // user has no right on, which would read as a table without columns. Not anywhere on
        // search_path: with `search_path=sales,public` the tables of `public` belong to another
        // history.
        DbBackend::Postgres => format!(
            "SELECT c.relname::text AS tbl, a.attname::text AS name FROM pg_class c \
             LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped \
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relname IN ({names}) \
               AND c.relkind IN ('r', 'p')"
        ),
        // MariaDB fills information_schema on demand, narrowed only by a constant equality on
        // the schema and the table name: each table gets its own branch.
        DbBackend::MySql => tables
            .iter()
            .map(|t| {
                let t = literal(t);
                format!(
                    "SELECT CAST(TABLE_NAME AS CHAR) AS tbl, CAST(NULL AS CHAR) AS name \
                     FROM information_schema.TABLES \
                     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {t} \
                     UNION ALL SELECT CAST(TABLE_NAME AS CHAR), CAST(COLUMN_NAME AS CHAR) \
                     FROM information_schema.COLUMNS \
                     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {t}"
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL "),
        _ => format!(
            "SELECT m.name AS tbl, p.name AS name FROM sqlite_master m \
             LEFT JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name IN ({names})"
        ),
    };
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in reads.query(&sql).await? {
        let table: String = row.try_get("", "tbl")?;
        // The name exactly: MySQL compares its catalog's names without regard to case.
        if !tables.contains(&table.as_str()) {
            continue;
        }
        let columns = found.entry(table).or_default();
        if let Some(column) = row.try_get::<Option<String>>("", "name")? {
            columns.insert(column.to_lowercase());
        }
    }
    Ok(found)
}

/// Fails with `Error::CorruptTrackingTable` when `table` lacks one of `columns`.
fn expect_columns(
    table: &'static str,
    present: &BTreeSet<String>,
    columns: &[&str],
) -> Result<(), Error> {
    let missing: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| !present.contains(*c))
        .collect();
    // No column visible at all: the catalog hides them from this user; the read that follows
    // reports what the server says.
    if missing.is_empty() || present.is_empty() {
        return Ok(());
    }
    Err(Error::CorruptTrackingTable {
        table,
        problem: format!(
            "it has no column {} (it has: {})",
            missing.join(", "),
            present.iter().cloned().collect::<Vec<_>>().join(", ")
        ),
    })
}

/// Writes the checksum and position of applied migrations that had none (`history::adoption`),
/// in one transaction.
pub async fn record_checksums(
    db: &DatabaseConnection,
    rows: &[history::ChecksumRow],
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    for row in rows {
        upsert_checksum(&txn, &row.version, row.checksum.as_deref(), row.order).await?;
    }
    txn.commit().await
}

pub async fn upsert_checksum<C: ConnectionTrait>(
    conn: &C,
    name: &str,
    checksum: Option<&str>,
    order: i64,
) -> Result<(), DbErr> {
    let insert = Query::insert()
        .into_table(CHECKSUMS.to_string())
        .columns(["version", "checksum", "applied_order"].map(str::to_string))
        .values_panic([
            name.into(),
            checksum.map(str::to_string).into(),
            order.into(),
        ])
        .on_conflict(
            OnConflict::column("version".to_string())
                .update_columns(["checksum", "applied_order"].map(str::to_string))
                .to_owned(),
        )
        .to_owned();
    conn.execute(&insert).await.map(|_| ())
}

/// Re-records the checksum of migrations edited on purpose (`rehash`), keeping their position.
pub async fn rehash(db: &DatabaseConnection, rows: &[(String, String)]) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    for (name, checksum) in rows {
        let update = Query::update()
            .table(CHECKSUMS.to_string())
            .value("checksum".to_string(), checksum.as_str())
            .and_where(Expr::col("version".to_string()).eq(name.as_str()))
            .to_owned();
        txn.execute(&update).await?;
    }
    txn.commit().await
}

/// The tables this project's migrations created (none while the table that records them is
/// missing).
pub async fn owned_tables<C: ConnectionTrait>(db: &C) -> Result<BTreeSet<String>, DbErr> {
    if !table_exists(db, OWNED_TABLES).await? {
        return Ok(BTreeSet::new());
    }
    let sql = format!("SELECT table_name FROM {OWNED_TABLES}");
    let rows = introspect::query(db, &sql, vec![]).await?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "table_name"))
        .collect()
}

/// Runs one migration in `direction` and records it (applied, with `checksum`, the file's code's
/// checksum where known); returns how long it took. On failure the migration's transaction is
/// rolled back, so the database is as it was before. Either way the step is logged (`run_log`),
/// after the transaction ended.
pub async fn run_one(
    db: &DatabaseConnection,
    migration: &dyn MigrationTrait,
    direction: Direction,
    checksum: Option<&str>,
) -> Result<Duration, Error> {
    let started_at = chrono::Utc::now();
    let started = Instant::now();
    let result = run_one_unlogged(db, migration, direction, checksum).await;
    let error = result.as_ref().err().map(|e| format!("{e:#}"));
    let action = crate::run_log::Action::run(direction);
    crate::run_log::write(
        db,
        migration.name(),
        action,
        started_at,
        started.elapsed(),
        error.as_deref(),
    )
    .await;
    result
}

async fn run_one_unlogged(
    db: &DatabaseConnection,
    migration: &dyn MigrationTrait,
    direction: Direction,
    checksum: Option<&str>,
) -> Result<Duration, Error> {
    let started = Instant::now();
    let name = migration.name().to_string();
    let fail = |source: DbErr| Error::MigrationFailed {
        name: name.clone(),
        source,
    };
    let transactional =
        migration.use_transaction() != Some(false) && db.get_database_backend() != DbBackend::MySql;
    if transactional {
        let sqlite = db.get_database_backend() == DbBackend::Sqlite;
        if sqlite {
            // Table rebuilds need enforcement off; it can only change outside a transaction.
            db.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
        }
        let in_transaction = async {
            let txn = db.begin().await?;
            // Rows that were already broken before the migration are not its fault.
            let broken_before = if sqlite {
                foreign_key_violations(&txn).await?
            } else {
                0
            };
            let outcome = match run_in(&txn, migration, direction, checksum).await {
                Ok(()) if sqlite => check_foreign_keys(&txn, broken_before).await,
                other => other,
            };
            match outcome {
                Ok(()) => txn.commit().await.map_err(fail),
                Err(e) => {
                    txn.rollback().await?;
                    Err(fail(e))
                }
            }
        };
        let committed: Result<(), Error> = in_transaction.await;
        // On every path out of the transaction, errors included.
        if sqlite {
            db.execute_unprepared("PRAGMA foreign_keys = ON").await?;
        }
        committed?;
    } else if db.get_database_backend() == DbBackend::MySql {
        run_on_mysql(db, migration, direction, checksum).await?;
    } else {
        let before = table_names(db).await?;
        if let Err(source) = run_direction(&SchemaManager::new(db), migration, direction).await {
            return Err(Error::MigrationFailedPartially { name, source });
        }
        record(db, &name, direction, &before, checksum).await?;
    }
    Ok(started.elapsed())
}

/// MySQL: no transaction can take DDL back, so the migration runs with its started-record kept
/// up to date after each statement (`progress`); the record is deleted in the transaction that
/// writes the tracking row, or marked failed with what completed.
async fn run_on_mysql(
    db: &DatabaseConnection,
    migration: &dyn MigrationTrait,
    direction: Direction,
    checksum: Option<&str>,
) -> Result<(), Error> {
    let name = migration.name().to_string();
    let before = table_names(db).await?;
    let recorder = crate::progress::Recorder::start(db, &name, direction)?;
    crate::journal::open(Some(recorder.progress(&name)));
    let outcome = run_direction(&SchemaManager::new(db), migration, direction).await;
    let journal = crate::journal::close();
    if let Err(source) = outcome {
        let (ran, failed) = crate::journal::outcome(journal, &source);
        let record = HalfApplied {
            name,
            direction,
            ran,
            failed,
            failed_at: chrono::Utc::now().timestamp(),
            interrupted: false,
        };
        // The failure is what the user must see (its message lists what completed); a record
        // that cannot be written loses the next run's refusal, which the user is warned of.
        if record.ran.is_empty() {
            drop(recorder);
            if let Err(e) = clear_half_applied(db, Some(&record.name)).await {
                tracing::warn!(target: "makemigrations", "the started-record of {} (nothing of it completed) was not removed from {HALF_APPLIED}: {e}", record.name);
            }
        } else if let Err(progress_error) = recorder.failed(&record.ran, record.failed.clone()) {
            drop(recorder);
            if let Err(e) = record_half_applied(db, &record).await {
                tracing::warn!(target: "makemigrations", "the failure of {} was not recorded in {HALF_APPLIED} ({progress_error}; {e}): the next `migrate` will not refuse to run it again", record.name);
            }
        } else {
            recorder.finish();
        }
        return Err(Error::MigrationFailedOnMySql {
            name: record.name,
            source,
            ran: record.ran,
            failed: record.failed,
        });
    }
    recorder.finish();
    // The tracking row and the end of the started-record together (InnoDB rows are
    // transactional): a kill in between leaves the record, never neither.
    let txn = db.begin().await?;
    record(&txn, &name, direction, &before, checksum).await?;
    clear_half_applied(&txn, Some(&name)).await?;
    txn.commit().await?;
    Ok(())
}

async fn foreign_key_violations<C: ConnectionTrait>(conn: &C) -> Result<usize, DbErr> {
    Ok(introspect::query(conn, "PRAGMA foreign_key_check", vec![])
        .await?
        .len())
}

/// Fails when the migration left more rows referencing rows that do not exist than there were
/// before it (SQLite checked nothing while enforcement was off).
pub async fn check_foreign_keys<C: ConnectionTrait>(conn: &C, before: usize) -> Result<(), DbErr> {
    let broken = introspect::query(conn, "PRAGMA foreign_key_check", vec![]).await?;
    if broken.len() <= before {
        return Ok(());
    }
    let tables: BTreeSet<String> = broken
        .iter()
        .filter_map(|r| r.try_get_by_index::<String>(0).ok())
        .collect();
    Err(DbErr::Migration(format!(
        "the migration left {} row(s) in {} referencing rows that do not exist ({} before it); \
         fix the data or the migration",
        broken.len() - before,
        tables.into_iter().collect::<Vec<_>>().join(", "),
        before
    )))
}

/// Records a migration as applied (or not) without running it: Django's `--fake`, for a
/// migration that was completed (or undone) by hand. Faked down, the migration's tables that are
/// gone (dropped by hand) stop being this project's; those still there stay its own, so that
/// `migrate` after `rollback --fake` finds the records as a real run leaves them.
pub async fn record_only(
    db: &DatabaseConnection,
    name: &str,
    direction: Direction,
    checksum: Option<&str>,
) -> Result<(), DbErr> {
    let action = crate::run_log::Action::fake(direction);
    logged(
        db,
        name,
        action,
        record_only_unlogged(db, name, direction, checksum),
    )
    .await
}

async fn record_only_unlogged(
    db: &DatabaseConnection,
    name: &str,
    direction: Direction,
    checksum: Option<&str>,
) -> Result<(), DbErr> {
    ensure_tracking_tables(db).await?;
    let txn = db.begin().await?;
    record_version(&txn, name, direction, Recording::Fake, checksum).await?;
    // Faked after it failed halfway (finished or undone by hand): its record goes with the
    // tracking row, so a kill in between leaves one of them, never neither.
    clear_half_applied(&txn, Some(name)).await?;
    if direction == Direction::Down {
        let present = table_names(&txn).await?;
        let sql = format!("SELECT table_name, created_by FROM {OWNED_TABLES}");
        for row in introspect::query(&txn, &sql, vec![]).await? {
            let table: String = row.try_get("", "table_name")?;
            let created_by: String = row.try_get("", "created_by")?;
            if created_by == name && !present.contains(&table) {
                forget_owned(&txn, &table).await?;
            }
        }
    }
    txn.commit().await
}

/// Records a baseline as applied on the database it describes, and its tables as this
/// project's own (an entity removed later drops its table, as for any table a migration made).
/// `checksum` is `None` for a baseline just written: this binary has no facts of it yet, and the
/// next `migrate` records its checksum.
pub async fn record_baseline(
    db: &DatabaseConnection,
    name: &str,
    tables: &[&str],
    checksum: Option<&str>,
) -> Result<(), DbErr> {
    let action = crate::run_log::Action::Baseline;
    let step = record_baseline_unlogged(db, name, tables, checksum);
    logged(db, name, action, step).await
}

/// Runs `step` and logs it, failed or not.
async fn logged(
    db: &DatabaseConnection,
    name: &str,
    action: crate::run_log::Action,
    step: impl std::future::Future<Output = Result<(), DbErr>>,
) -> Result<(), DbErr> {
    let started_at = chrono::Utc::now();
    let started = Instant::now();
    let result = step.await;
    let error = result.as_ref().err().map(|e| e.to_string());
    crate::run_log::write(
        db,
        name,
        action,
        started_at,
        started.elapsed(),
        error.as_deref(),
    )
    .await;
    result
}

async fn record_baseline_unlogged(
    db: &DatabaseConnection,
    name: &str,
    tables: &[&str],
    checksum: Option<&str>,
) -> Result<(), DbErr> {
    ensure_tracking_tables(db).await?;
    let txn = db.begin().await?;
    record_version(&txn, name, Direction::Up, Recording::Fake, checksum).await?;
    let owned = owned_tables(&txn).await?;
    for table in tables.iter().filter(|t| !owned.contains(**t)) {
        own(&txn, table, name).await?;
    }
    txn.commit().await
}

/// Records a squashed migration as applied where every migration it replaces is, in one
/// transaction: its row is written, theirs are deleted (so their files can be deleted later
/// without leaving rows of missing files), and the tables they created become its own. Each is
/// noted in `makemigrations_replaced`, for the builds from before the squash that still run
/// against this database (`applied_in_build`).
pub async fn record_squashed(
    db: &DatabaseConnection,
    name: &str,
    replaced: &[&str],
    checksum: Option<&str>,
) -> Result<(), DbErr> {
    let action = crate::run_log::Action::Squashed;
    let step = async {
        ensure_tracking_tables(db).await?;
        // Only a database that recorded a squash has this table.
        if !table_exists(db, REPLACED).await? {
            let create = Table::create()
                .table(REPLACED.to_string())
                .if_not_exists()
                .col(ColumnDef::new("version").string().not_null().primary_key())
                .col(ColumnDef::new("replaced_by").string().not_null())
                .to_owned();
            db.execute(&create).await?;
        }
        let txn = db.begin().await?;
        for old in replaced {
            record_version(&txn, old, Direction::Down, Recording::Fake, None).await?;
            let mut marker = Query::insert()
                .into_table(REPLACED.to_string())
                .columns(["version".to_string(), "replaced_by".to_string()])
                .values_panic([(*old).into(), name.into()])
                .to_owned();
            marker.on_conflict(
                OnConflict::column("version".to_string())
                    .update_column("replaced_by".to_string())
                    .to_owned(),
            );
            txn.execute(&marker).await?;
            let update = Query::update()
                .table(OWNED_TABLES.to_string())
                .value("created_by".to_string(), name)
                .and_where(Expr::col("created_by".to_string()).eq(*old))
                .to_owned();
            txn.execute(&update).await?;
        }
        record_version(&txn, name, Direction::Up, Recording::Fake, checksum).await?;
        txn.commit().await
    };
    logged(db, name, action, step).await
}

/// Runs and records one migration inside `txn`, which the caller commits or rolls back.
pub async fn run_in(
    txn: &DatabaseTransaction,
    migration: &dyn MigrationTrait,
    direction: Direction,
    checksum: Option<&str>,
) -> Result<(), DbErr> {
    let before = table_names(txn).await?;
    run_direction(&SchemaManager::new(txn), migration, direction).await?;
    record(txn, migration.name(), direction, &before, checksum).await
}

pub async fn run_direction(
    manager: &SchemaManager<'_>,
    migration: &dyn MigrationTrait,
    direction: Direction,
) -> Result<(), DbErr> {
    // A panic in the migration's code is reported like a failure, its transaction rolled back.
    crate::unwind::catch_panic(async {
        match direction {
            Direction::Up => migration.up(manager).await,
            Direction::Down => migration.down(manager).await,
        }
    })
    .await
}

/// Writes the tracking row, and which tables the migration created or dropped.
async fn record<C: ConnectionTrait>(
    conn: &C,
    name: &str,
    direction: Direction,
    tables_before: &BTreeSet<String>,
    checksum: Option<&str>,
) -> Result<(), DbErr> {
    record_version(conn, name, direction, Recording::Run, checksum).await?;
    let after = table_names(conn).await?;
    let created: Vec<&str> = after
        .difference(tables_before)
        .map(String::as_str)
        .collect();
    own_all(conn, &created, name).await?;
    for dropped in tables_before.difference(&after) {
        forget_owned(conn, dropped).await?;
    }
    Ok(())
}

/// Records `table` as created by `migration`, over any record left from before (a table dropped
/// by hand after `rollback --fake`, created again by `migrate`).
pub async fn own<C: ConnectionTrait>(conn: &C, table: &str, migration: &str) -> Result<(), DbErr> {
    let insert = Query::insert()
        .into_table(OWNED_TABLES.to_string())
        .columns(["table_name".to_string(), "created_by".to_string()])
        .values_panic([table.into(), migration.into()])
        .on_conflict(
            OnConflict::column("table_name".to_string())
                .update_column("created_by".to_string())
                .to_owned(),
        )
        .to_owned();
    conn.execute(&insert).await.map(|_| ())
}

/// `own` for many tables, in statements of up to 500 rows: an initial migration of 1,000 tables
/// records them in two round trips rather than 1,000.
async fn own_all<C: ConnectionTrait>(
    conn: &C,
    tables: &[&str],
    migration: &str,
) -> Result<(), DbErr> {
    for chunk in tables.chunks(500) {
        let mut insert = Query::insert()
            .into_table(OWNED_TABLES.to_string())
            .columns(["table_name".to_string(), "created_by".to_string()])
            .on_conflict(
                OnConflict::column("table_name".to_string())
                    .update_column("created_by".to_string())
                    .to_owned(),
            )
            .to_owned();
        for table in chunk {
            insert.values_panic([(*table).into(), migration.into()]);
        }
        conn.execute(&insert).await?;
    }
    Ok(())
}

pub async fn forget_owned<C: ConnectionTrait>(conn: &C, table: &str) -> Result<(), DbErr> {
    let delete = Query::delete()
        .from_table(OWNED_TABLES.to_string())
        .and_where(Expr::col("table_name".to_string()).eq(table))
        .to_owned();
    conn.execute(&delete).await.map(|_| ())
}

/// How a tracking row is written.
#[derive(Clone, Copy, PartialEq)]
enum Recording {
    /// A migration that ran: a row already there means another run applied it too, and the
    /// primary key must refuse (the migration's transaction is rolled back with it).
    Run,
    /// `--fake` or a baseline: a row left from before is brought up to date.
    Fake,
}

/// Writes (up) or deletes (down) the tracking row, and the row of its checksum and position
/// (the next one: the run lock keeps two runs from taking the same).
async fn record_version<C: ConnectionTrait>(
    conn: &C,
    name: &str,
    direction: Direction,
    recording: Recording,
    checksum: Option<&str>,
) -> Result<(), DbErr> {
    match direction {
        Direction::Up => {
            let now = chrono::Utc::now().timestamp();
            let mut insert = Query::insert()
                .into_table(TRACKING_TABLE.to_string())
                .columns(["version".to_string(), "applied_at".to_string()])
                .values_panic([name.into(), now.into()])
                .to_owned();
            if recording == Recording::Fake {
                // A row left from before (`migrate --fake` over a recorded migration, or a
                // record the user restored) is brought up to date rather than refused.
                insert.on_conflict(
                    OnConflict::column("version".to_string())
                        .update_column("applied_at".to_string())
                        .to_owned(),
                );
            }
            conn.execute(&insert).await?;
            let sql = format!("SELECT COALESCE(MAX(applied_order), 0) AS last FROM {CHECKSUMS}");
            let last = match introspect::query(conn, &sql, vec![]).await?.first() {
                Some(row) => row.try_get::<i64>("", "last")?,
                None => 0,
            };
            upsert_checksum(conn, name, checksum, last + 1).await?;
        }
        Direction::Down => {
            for table in [TRACKING_TABLE, CHECKSUMS] {
                let delete = Query::delete()
                    .from_table(table.to_string())
                    .and_where(Expr::col("version".to_string()).eq(name))
                    .to_owned();
                conn.execute(&delete).await?;
            }
            // A squashed migration rolled back takes the database back before its range.
            if table_exists(conn, REPLACED).await? {
                let delete = Query::delete()
                    .from_table(REPLACED.to_string())
                    .and_where(Expr::col("replaced_by".to_string()).eq(name))
                    .to_owned();
                conn.execute(&delete).await?;
            }
        }
    }
    Ok(())
}

/// The names of the user tables in the current schema.
pub async fn table_names<C: ConnectionTrait>(conn: &C) -> Result<BTreeSet<String>, DbErr> {
    let sql: &str = match conn.get_database_backend() {
        DbBackend::Postgres => {
            // Partitions and tables that an extension created are never this project's own.
            "SELECT c.relname::text AS name FROM pg_class c \
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') \
               AND NOT c.relispartition \
               AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
                               AND d.objid = c.oid AND d.deptype = 'e')"
        }
        DbBackend::MySql => {
            "SELECT CAST(TABLE_NAME AS CHAR) AS name FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'"
        }
        _ => &format!(
            "SELECT m.name AS name FROM sqlite_master m WHERE {}",
            introspect::sqlite::USER_TABLES
        ),
    };
    let rows = introspect::query(conn, sql, vec![]).await?;
    rows.iter()
        .map(|r| r.try_get::<String>("", "name"))
        .collect()
}
