//! The SQL that migrations run, without running it: `sqlmigrate NAME [--backwards]`,
//! `migrate --sql [TARGET]` and `rollback --sql` (Django's `sqlmigrate`, Alembic's offline
//! `upgrade --sql`).
//!
//! A migration is Rust code, and some runtime helpers read the live database to decide their SQL
//! (the SQLite table rebuild reads `sqlite_master`, a PostgreSQL enum change reads the catalog,
//! the MySQL helpers read `SHOW CREATE TABLE`). So the SQL is not rendered from the file: each
//! migration's `up` or `down` runs against a connection that records every statement that would
//! change something and sends the reads to the real database.
//!
//! That connection is sea-orm's mock connection with a [`Recorder`] behind it:
//! - `execute` (DDL, DML, `PRAGMA x = y`: anything run for its effect) is recorded, never sent;
//! - `query` of a read (`SELECT`, `WITH`, `SHOW`, `PRAGMA name`, `EXPLAIN`, ...) goes to one
//!   transaction on the real database that cannot write (`READ ONLY` on PostgreSQL and MySQL,
//!   `PRAGMA query_only` on SQLite), and its rows come back as the driver returned them; anything
//!   else asked through `query` (`INSERT .. RETURNING`) is recorded and answers no rows;
//! - `BEGIN`/`COMMIT` are recorded where `migrate` opens them (savepoints for nested ones).
//!
//! Why the mock and not the alternatives: sea-orm's `proxy` connection is the async way, but in
//! 2.0.4 it does not compile with `sqlx-mysql`, and it hands reads back as one fixed value type
//! per column, which readers asking for another (`COUNT(*) > 0` read as bool on MySQL) fail on.
//! Running the migration in a transaction that is rolled back is no alternative either: MySQL
//! commits DDL at once. The mock's calls are synchronous, so a read blocks its worker thread
//! (`block_in_place`): this needs tokio's multi-threaded runtime, which the command line uses.
//!
//! What the reads cannot see: nothing recorded was run, so they see the database as it is now,
//! not as the statements before them would leave it. The SQL of a migration that read the
//! database says so in a comment, and one that reads what an earlier migration of the same output
//! creates fails with an error saying to apply the earlier ones first.
//!
//! The tool's bookkeeping is printed as `migrate` and `rollback` write it: its tables where they
//! are missing, the `seaql_migrations` row, the checksum and position (`makemigrations_checksums`)
//! and which tables the migration created or dropped (`makemigrations_owned_tables`, found from the
//! recorded `CREATE TABLE`, `DROP TABLE` and renames). Before them, as `migrate` does, the checksum
//! rows of migrations applied before checksums were kept. Not printed: the run log and, on MySQL, the
//! started-record that lets `migrate` refuse a migration killed halfway; both describe a run of
//! the tool, not the schema.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseConnectionType, DatabaseTransaction,
    DbBackend, DbErr, ExecResult, MockDatabaseConnection, MockDatabaseTrait, QueryResult,
    Statement, TransactionTrait,
};
use sea_orm_migration::{MigrationTrait, SchemaManager};

use crate::error::Error;
use crate::executor::{self, Direction, CHECKSUMS, TRACKING_TABLE};
use crate::migrate::{self, DownRequest, UpRequest};
use crate::{database, gate, history, introspect, Project};

/// What a script covers, for its first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptKind {
    /// `sqlmigrate NAME`: one migration, applied or not.
    One,
    /// `migrate --sql`: the pending migrations up to the target.
    Pending,
    /// `rollback --sql`: the applied migrations `rollback` would revert, newest first.
    Revert,
}

/// The SQL of a run, migration by migration. Nothing of it was run.
#[derive(Debug, Clone)]
pub struct Script {
    pub backend: DbBackend,
    pub kind: ScriptKind,
    /// The tool's tables that are missing here, which `migrate` creates before anything else.
    pub setup: Vec<String>,
    /// The checksum rows of migrations applied before checksums were kept, which `migrate`
    /// records before running anything (`executor::record_checksums`).
    pub checksums: Vec<String>,
    pub migrations: Vec<MigrationSql>,
}

/// The statements of one migration, in order, without their final `;`.
#[derive(Debug, Clone)]
pub struct MigrationSql {
    pub name: String,
    pub direction: Direction,
    /// A baseline whose tables exist here: `migrate` records it without running it.
    pub recorded_baseline: bool,
    /// Its `// !` lines: what loses data (up), or cannot come back (down).
    pub marked: Vec<String>,
    /// How many reads of the live database decided its statements.
    pub reads: usize,
    pub statements: Vec<String>,
}

/// `sqlmigrate NAME [--backwards]`: the SQL of one migration (a full name or a unique prefix),
/// whether it is applied or not, as `migrate` (or `rollback`) would run it here.
pub async fn one(
    project: &Project,
    db: &DatabaseConnection,
    target: &str,
    direction: Direction,
) -> Result<Script, Error> {
    let applied = executor::applied(db).await?;
    let states = executor::states_from((project.migrations)(), &applied);
    let state = &states[migrate::find_target(&states, target)?];
    let name = state.name();
    let marked = match direction {
        Direction::Up => gate::apply_plan(project.migration_facts, &[name], |f| {
            project.shown_migration_file(f)
        })
        .data_loss
        .into_iter()
        .flat_map(|m| m.lines)
        .collect(),
        Direction::Down => {
            let plan = gate::revert_plan(project.migration_facts, &[name]);
            // `rollback` refuses to revert a baseline (its down drops every adopted table): so
            // does printing it.
            if !plan.baselines.is_empty() {
                return Err(Error::BaselineRollback(plan.baselines));
            }
            plan.cannot_restore
                .into_iter()
                .flat_map(|m| m.lines)
                .collect()
        }
    };
    let checksum = history::file_checksum(project.migration_facts, name);
    let steps = vec![Step {
        migration: state.migration.as_ref(),
        direction,
        checksum,
        marked,
        baseline_tables: None,
    }];
    capture_script(db, ScriptKind::One, None, steps).await
}

/// `migrate --sql [TARGET]`: the SQL of every pending migration up to TARGET, in order, after the
/// same checks as `migrate` (an untrusted history, placeholders, a half-applied migration...).
pub async fn pending(
    project: &Project,
    db: &DatabaseConnection,
    target: Option<&str>,
    allow_out_of_order: bool,
) -> Result<Script, Error> {
    let request = UpRequest {
        target,
        allow_out_of_order,
        ..Default::default()
    };
    let plan = migrate::plan_up(project, db, request).await?;
    let steps = plan
        .steps
        .iter()
        .map(|step| {
            let name = step.name();
            let marked = plan
                .data_loss
                .iter()
                .filter(|m| m.migration == name)
                .flat_map(|m| m.lines.iter().cloned())
                .collect();
            // A squashed migration recorded over its applied range is recorded like a baseline
            // without tables (the rows of the range it forgets are not printed).
            let baseline_tables = if step.replaced.is_some() {
                Some(&[][..])
            } else {
                (step.baseline == gate::BaselineStep::Record).then(|| {
                    gate::baseline_tables(project.migration_facts, name).unwrap_or_default()
                })
            };
            Step {
                migration: step.state.migration.as_ref(),
                direction: Direction::Up,
                checksum: history::file_checksum(project.migration_facts, name),
                marked,
                baseline_tables,
            }
        })
        .collect();
    capture_script(db, ScriptKind::Pending, plan.checksum_rows(), steps).await
}

/// `rollback --sql`: the SQL of the migrations `rollback` would revert with the same selectors,
/// newest first, after the same checks (`--force` for data that cannot come back).
pub async fn revert(
    project: &Project,
    db: &DatabaseConnection,
    request: DownRequest<'_>,
) -> Result<Script, Error> {
    let plan = migrate::plan_down(project, db, request).await?;
    let names: Vec<&str> = plan.steps.iter().map(|s| s.name()).collect();
    let markers = gate::revert_plan(project.migration_facts, &names);
    let steps = plan
        .steps
        .iter()
        .map(|state| Step {
            migration: state.migration.as_ref(),
            direction: Direction::Down,
            checksum: None,
            marked: markers
                .cannot_restore
                .iter()
                .filter(|m| m.migration == state.name())
                .flat_map(|m| m.lines.iter().cloned())
                .collect(),
            baseline_tables: None,
        })
        .collect();
    capture_script(db, ScriptKind::Revert, None, steps).await
}

/// One migration to capture.
struct Step<'a> {
    migration: &'a dyn MigrationTrait,
    direction: Direction,
    checksum: Option<&'a str>,
    marked: Vec<String>,
    /// A baseline recorded rather than run, with its tables.
    baseline_tables: Option<&'a [&'static str]>,
}

/// `checksums`: the rows `migrate` records before the steps (`UpPlan::checksum_rows`).
async fn capture_script(
    db: &DatabaseConnection,
    kind: ScriptKind,
    checksums: Option<&[history::ChecksumRow]>,
    steps: Vec<Step<'_>>,
) -> Result<Script, Error> {
    let capture = Capture::open(db).await?;
    let result = capture_steps(&capture, kind, checksums, steps).await;
    capture.close().await;
    result
}

async fn capture_steps(
    capture: &Capture,
    kind: ScriptKind,
    checksums: Option<&[history::ChecksumRow]>,
    steps: Vec<Step<'_>>,
) -> Result<Script, Error> {
    let backend = capture.backend;
    // The tool's own reads, on the reader: never counted as the migrations'.
    let reader = capture.reader.as_ref();
    let mut tables = executor::table_names(reader).await?;
    let owned = executor::owned_tables(reader).await?;
    let mut last_order = if executor::table_exists(reader, CHECKSUMS).await? {
        let sql = format!("SELECT COALESCE(MAX(applied_order), 0) AS last FROM {CHECKSUMS}");
        match introspect::query(reader, &sql, vec![]).await?.first() {
            Some(row) => row.try_get::<i64>("", "last")?,
            None => 0,
        }
    } else {
        0
    };
    executor::ensure_tracking_tables(&capture.conn).await?;
    let setup = capture.take().statements;
    let checksums = match checksums {
        Some(rows) => {
            executor::record_checksums(&capture.conn, rows).await?;
            // They renumber every applied migration: the new ones come after the last of them.
            last_order = rows.iter().map(|r| r.order).max().unwrap_or(0);
            capture.take().statements
        }
        None => Vec::new(),
    };
    let mut migrations = Vec::new();
    for (position, step) in steps.into_iter().enumerate() {
        let name = step.migration.name().to_string();
        if step.direction == Direction::Up {
            last_order += 1;
        }
        let captured = match step.baseline_tables {
            Some(baseline) => {
                let to_own: Vec<&str> = baseline
                    .iter()
                    .copied()
                    .filter(|t| !owned.contains(*t))
                    .collect();
                record_baseline(capture, &name, &to_own, step.checksum, last_order).await
            }
            None => run_one(capture, &step, last_order, &mut tables).await,
        };
        let captured = captured.map_err(|e| not_decided(&name, step.direction, position, e))?;
        migrations.push(MigrationSql {
            name,
            direction: step.direction,
            recorded_baseline: step.baseline_tables.is_some(),
            marked: step.marked,
            reads: captured.reads,
            statements: captured.statements,
        });
    }
    Ok(Script {
        backend,
        kind,
        setup,
        checksums,
        migrations,
    })
}

/// A migration whose SQL could not be decided: its code failed against the recording connection.
fn not_decided(name: &str, direction: Direction, position: usize, source: DbErr) -> Error {
    let which = match direction {
        Direction::Up => "up",
        Direction::Down => "down",
    };
    let earlier = if position > 0 {
        format!(
            "; its SQL is decided by reading the database as it is now, without the {position} migration(s) printed before it: if it reads what they create, run them first (`migrate`/`rollback` up to the one before it) and ask again"
        )
    } else {
        String::new()
    };
    Error::Refused(format!(
        "cannot print the SQL of {name}: its {which} failed while its statements were being recorded (nothing was run): {source}\n  fix: correct the migration{earlier}"
    ))
}

/// What one migration recorded.
struct Captured {
    statements: Vec<String>,
    reads: usize,
}

/// Runs one migration as `executor::run_one` does (a transaction per migration on PostgreSQL and
/// SQLite unless the migration opts out; on MySQL the tracking rows alone in one), against the
/// recording connection. `tables`: the tables before it, updated with what it creates and drops.
async fn run_one(
    capture: &Capture,
    step: &Step<'_>,
    order: i64,
    tables: &mut BTreeSet<String>,
) -> Result<Captured, DbErr> {
    let conn = &capture.conn;
    let backend = capture.backend;
    let migration = step.migration;
    let transactional = migration.use_transaction() != Some(false) && backend != DbBackend::MySql;
    let sqlite = backend == DbBackend::Sqlite;
    if transactional && sqlite {
        conn.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
    }
    // The statements before the migration's own (the PRAGMA) are part of its output.
    let mut statements = capture.take().statements;
    let txn = if transactional {
        Some(conn.begin().await?)
    } else {
        None
    };
    let outcome = match &txn {
        Some(txn) => {
            executor::run_direction(&SchemaManager::new(txn), migration, step.direction).await
        }
        None => executor::run_direction(&SchemaManager::new(conn), migration, step.direction).await,
    };
    let ran = capture.take();
    outcome?;
    let changes = ran
        .statements
        .iter()
        .flat_map(|s| table_changes(backend, s))
        .collect::<Vec<_>>();
    statements.extend(ran.statements);
    let before = tables.clone();
    apply_changes(tables, &changes);
    let tracking = Tracking {
        name: migration.name(),
        direction: step.direction,
        checksum: step.checksum,
        order,
        created: tables.difference(&before).cloned().collect(),
        dropped: before.difference(tables).cloned().collect(),
        fake: false,
    };
    match txn {
        Some(txn) => {
            tracking.write(&txn).await?;
            txn.commit().await?;
            if sqlite {
                conn.execute_unprepared("PRAGMA foreign_keys = ON").await?;
            }
        }
        // MySQL: the tracking rows in a transaction of their own, after the migration.
        None if backend == DbBackend::MySql => {
            let txn = conn.begin().await?;
            tracking.write(&txn).await?;
            txn.commit().await?;
        }
        None => tracking.write(conn).await?,
    }
    statements.extend(capture.take().statements);
    Ok(Captured {
        statements,
        reads: ran.reads,
    })
}

/// A baseline whose tables exist: recorded as applied, its tables made the project's own
/// (`executor::record_baseline`).
async fn record_baseline(
    capture: &Capture,
    name: &str,
    to_own: &[&str],
    checksum: Option<&str>,
    order: i64,
) -> Result<Captured, DbErr> {
    let txn = capture.conn.begin().await?;
    Tracking {
        name,
        direction: Direction::Up,
        checksum,
        order,
        created: to_own.iter().map(|t| t.to_string()).collect(),
        dropped: Vec::new(),
        fake: true,
    }
    .write(&txn)
    .await?;
    txn.commit().await?;
    Ok(Captured {
        statements: capture.take().statements,
        reads: 0,
    })
}

/// The rows `migrate` and `rollback` write after a migration (`executor::record`).
struct Tracking<'a> {
    name: &'a str,
    direction: Direction,
    checksum: Option<&'a str>,
    /// Its position among the applied migrations (up).
    order: i64,
    created: Vec<String>,
    dropped: Vec<String>,
    /// Recorded without running (a baseline): a row left from before is brought up to date.
    fake: bool,
}

impl Tracking<'_> {
    async fn write<C: ConnectionTrait>(&self, conn: &C) -> Result<(), DbErr> {
        match self.direction {
            Direction::Up => {
                let mut insert = Query::insert()
                    .into_table(TRACKING_TABLE.to_string())
                    .columns(["version".to_string(), "applied_at".to_string()])
                    .values_panic([self.name.into(), chrono::Utc::now().timestamp().into()])
                    .to_owned();
                if self.fake {
                    insert.on_conflict(
                        OnConflict::column("version".to_string())
                            .update_column("applied_at".to_string())
                            .to_owned(),
                    );
                }
                conn.execute(&insert).await?;
                executor::upsert_checksum(conn, self.name, self.checksum, self.order).await?;
            }
            Direction::Down => {
                for table in [TRACKING_TABLE, CHECKSUMS] {
                    let delete = Query::delete()
                        .from_table(table.to_string())
                        .and_where(Expr::col("version".to_string()).eq(self.name))
                        .to_owned();
                    conn.execute(&delete).await?;
                }
            }
        }
        for table in &self.created {
            executor::own(conn, table, self.name).await?;
        }
        for table in &self.dropped {
            executor::forget_owned(conn, table).await?;
        }
        Ok(())
    }
}

impl Script {
    /// The script as a DBA reads or runs it: comment lines, and statements ending in `;`.
    pub fn render(&self) -> String {
        let backend = database::backend_label(self.backend);
        let count = self.migrations.len();
        let mut out = match (self.kind, self.migrations.first()) {
            (_, None) => format!("-- No migrations to {} on {backend}.\n", match self.kind {
                ScriptKind::Revert => "roll back",
                _ => "apply",
            }),
            (ScriptKind::One, Some(m)) => format!(
                "-- The SQL of {} ({}) on {backend}, as `{}` would run it. Nothing was run.\n",
                m.name,
                direction_word(m.direction),
                match m.direction {
                    Direction::Up => "migrate",
                    Direction::Down => "rollback",
                }
            ),
            (ScriptKind::Pending, Some(_)) => format!(
                "-- The SQL of {count} pending migration(s) on {backend}, in the order `migrate` would run them. Nothing was run.\n"
            ),
            (ScriptKind::Revert, Some(_)) => format!(
                "-- The SQL of reverting {count} migration(s) on {backend}, newest first, as `rollback` would run it. Nothing was run.\n"
            ),
        };
        let writes = count > 0 || !self.checksums.is_empty();
        if !self.setup.is_empty() && writes {
            out.push_str("\n-- The tool's tables missing here, which `migrate` creates first:\n");
            for statement in &self.setup {
                push_statement(&mut out, statement);
            }
        }
        if !self.checksums.is_empty() {
            out.push_str("\n-- The checksums and positions of the migrations applied before they were kept, which `migrate` records next:\n");
            for statement in &self.checksums {
                push_statement(&mut out, statement);
            }
        }
        for (position, migration) in self.migrations.iter().enumerate() {
            out.push_str(&format!(
                "\n-- {} ({})\n",
                migration.name,
                direction_word(migration.direction)
            ));
            if migration.recorded_baseline {
                out.push_str(
                    "-- A baseline whose tables exist here: recorded as applied, not run.\n",
                );
            }
            let mark = match migration.direction {
                Direction::Up => "loses data",
                Direction::Down => "cannot restore",
            };
            for line in &migration.marked {
                out.push_str(&format!("-- ! {mark}: {line}\n"));
            }
            if migration.reads > 0 {
                let not_above = if position > 0 {
                    ", not as the statements above would leave it"
                } else {
                    ""
                };
                out.push_str(&format!(
                    "-- Decided by reading the database as it is now ({} read(s)){not_above}: if it changes before this runs, print the SQL again.\n",
                    migration.reads
                ));
            }
            for statement in &migration.statements {
                push_statement(&mut out, statement);
            }
        }
        out
    }
}

fn direction_word(direction: Direction) -> &'static str {
    match direction {
        Direction::Up => "up",
        Direction::Down => "down",
    }
}

fn push_statement(out: &mut String, statement: &str) {
    out.push_str(statement);
    out.push_str(";\n");
}

/// The recording connection and the read-only transaction its reads go to.
struct Capture {
    backend: DbBackend,
    conn: DatabaseConnection,
    reader: Arc<DatabaseTransaction>,
    log: Arc<Mutex<Log>>,
}

/// What the recorder saw since it was last taken.
#[derive(Debug, Default)]
struct Log {
    statements: Vec<String>,
    reads: usize,
    /// Open transactions on the recording connection.
    depth: usize,
    /// SQLite: the foreign-key enforcement that the recorded statements set, which the reads of
    /// `PRAGMA foreign_keys` must see (the real connection's was never changed).
    foreign_keys: Option<bool>,
    /// The tables the recorded statements created (and did not drop since), with the statement
    /// that created each: the MySQL comment helpers read them back (`answer_from_capture`).
    created: std::collections::BTreeMap<String, String>,
}

impl Capture {
    async fn open(db: &DatabaseConnection) -> Result<Capture, Error> {
        if tokio::runtime::Handle::current().runtime_flavor()
            == tokio::runtime::RuntimeFlavor::CurrentThread
        {
            return Err(Error::Refused(
                "printing the SQL of migrations needs tokio's multi-threaded runtime (its reads block a worker thread)\n  fix: run it from `#[tokio::main]` or `#[tokio::test(flavor = \"multi_thread\")]`".into(),
            ));
        }
        let backend = db.get_database_backend();
        let reader = match backend {
            // SQLite has no read-only transaction; `query_only` refuses every change on this
            // connection until it is turned off again (`close`).
            DbBackend::Sqlite => {
                let txn = db.begin().await?;
                txn.execute_unprepared("PRAGMA query_only = ON").await?;
                txn
            }
            // Bounded: a read that waits behind another run's lock must not hang the command.
            DbBackend::Postgres => {
                let txn = db
                    .begin_with_config(None, Some(AccessMode::ReadOnly))
                    .await?;
                txn.execute_unprepared(
                    "SET LOCAL statement_timeout = '30s'; SET LOCAL lock_timeout = '10s'",
                )
                .await?;
                txn
            }
            _ => {
                let txn = db
                    .begin_with_config(None, Some(AccessMode::ReadOnly))
                    .await?;
                txn.execute_unprepared("SET SESSION innodb_lock_wait_timeout = 10")
                    .await?;
                txn
            }
        };
        let reader = Arc::new(reader);
        let log = Arc::new(Mutex::new(Log::default()));
        let recorder = Recorder {
            backend,
            reader: Arc::clone(&reader),
            log: Arc::clone(&log),
        };
        let conn = DatabaseConnectionType::MockDatabaseConnection(Arc::new(
            MockDatabaseConnection::new(recorder),
        ))
        .into();
        Ok(Capture {
            backend,
            conn,
            reader,
            log,
        })
    }

    /// The statements recorded and the reads made since the last call.
    fn take(&self) -> Log {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        Log {
            statements: std::mem::take(&mut log.statements),
            reads: std::mem::take(&mut log.reads),
            ..Log::default()
        }
    }

    /// Ends the read-only transaction (it changed nothing). Best effort: the command's result is
    /// what matters, and the connection is closed right after.
    async fn close(self) {
        let Capture { conn, reader, .. } = self;
        drop(conn);
        let Ok(reader) = Arc::try_unwrap(reader) else {
            return;
        };
        if reader.get_database_backend() == DbBackend::Sqlite {
            let _ = reader.execute_unprepared("PRAGMA query_only = OFF").await;
        }
        let _ = reader.rollback().await;
    }
}

/// The mock connection's database: records what would change something, forwards the reads.
struct Recorder {
    backend: DbBackend,
    reader: Arc<DatabaseTransaction>,
    log: Arc<Mutex<Log>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn record(&self, statement: &Statement) {
        let text = statement.to_string();
        let text = text.trim().trim_end_matches(';').trim_end();
        let mut log = self.log();
        if self.backend == DbBackend::Sqlite {
            if let Some(on) = sets_foreign_keys(text) {
                log.foreign_keys = Some(on);
            }
        }
        for change in table_changes(self.backend, text) {
            match change {
                TableChange::Created(table) => {
                    log.created.insert(table, text.to_string());
                }
                TableChange::Dropped(table) => {
                    log.created.remove(&table);
                }
                TableChange::Renamed(from, to) => {
                    if let Some(create) = log.created.remove(&from) {
                        log.created.insert(to, create);
                    }
                }
            }
        }
        log.statements.push(text.to_string());
    }

    /// MySQL: the reads of the comment helpers (`runtime::mysql`) about a table that a recorded
    /// statement created, which the database does not have yet, answered from what was recorded:
    /// a new table has no comment, and its columns are as its CREATE TABLE states them (without
    /// the keys: `MODIFY COLUMN` restates a column, and a key in it would be added twice).
    fn answer_from_capture(&self, statement: &Statement) -> Option<Statement> {
        if self.backend != DbBackend::MySql {
            return None;
        }
        let log = self.log();
        let words = leading_words(&statement.sql, 4);
        if words.len() >= 4 && words[..3] == ["SHOW", "CREATE", "TABLE"] {
            let create = log.created.get(&words[3])?;
            let text = show_create_table(create)?;
            return Some(Statement::from_sql_and_values(
                self.backend,
                "SELECT ? AS `Table`, ? AS `Create Table`",
                [words[3].as_str().into(), text.into()],
            ));
        }
        let asks_comment =
            statement.sql.contains("TABLE_COMMENT") || statement.sql.contains("COLUMN_COMMENT");
        let table = match statement.values.as_ref()?.0.first()? {
            sea_orm::Value::String(Some(table)) => table.to_string(),
            _ => return None,
        };
        (asks_comment && log.created.contains_key(&table))
            .then(|| Statement::from_string(self.backend, "SELECT '' AS comment"))
    }

    fn record_text(&self, text: String) {
        self.log().statements.push(text);
    }

    /// Closes the innermost transaction; returns how deep it was.
    fn leave(&self) -> usize {
        let mut log = self.log();
        let depth = log.depth;
        log.depth = depth.saturating_sub(1);
        depth
    }
}

impl MockDatabaseTrait for Recorder {
    fn execute(&mut self, _counter: usize, statement: Statement) -> Result<ExecResult, DbErr> {
        self.record(&statement);
        // No row was touched: nothing ran.
        Ok(sea_orm::sqlx::sqlite::SqliteQueryResult::default().into())
    }

    fn query(&mut self, _counter: usize, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        if !only_reads(&statement.sql) {
            self.record(&statement);
            return Ok(Vec::new());
        }
        if let Some(answer) = self.answer_from_capture(&statement) {
            let reader = Arc::clone(&self.reader);
            return tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current().block_on(reader.query_all_raw(answer))
            });
        }
        let foreign_keys = self.log().foreign_keys;
        let statement = match foreign_keys {
            Some(on) if self.backend == DbBackend::Sqlite && reads_foreign_keys(&statement.sql) => {
                Statement::from_string(
                    self.backend,
                    format!("SELECT {} AS foreign_keys", i32::from(on)),
                )
            }
            _ => {
                self.log().reads += 1;
                statement
            }
        };
        let reader = Arc::clone(&self.reader);
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(reader.query_all_raw(statement))
        })
    }

    fn begin(&mut self) {
        let depth = {
            let mut log = self.log();
            log.depth += 1;
            log.depth
        };
        self.record_text(match (depth, self.backend) {
            (1, DbBackend::MySql) => "START TRANSACTION".to_string(),
            (1, _) => "BEGIN".to_string(),
            (n, _) => format!("SAVEPOINT sp{}", n - 1),
        });
    }

    fn commit(&mut self) {
        let depth = self.leave();
        self.record_text(match depth {
            0 | 1 => "COMMIT".to_string(),
            n => format!("RELEASE SAVEPOINT sp{}", n - 1),
        });
    }

    fn rollback(&mut self) {
        let depth = self.leave();
        self.record_text(match depth {
            0 | 1 => "ROLLBACK".to_string(),
            n => format!("ROLLBACK TO SAVEPOINT sp{}", n - 1),
        });
    }

    fn drain_transaction_log(&mut self) -> Vec<sea_orm::Transaction> {
        Vec::new()
    }

    fn get_database_backend(&self) -> DbBackend {
        self.backend
    }

    fn ping(&self) -> Result<(), DbErr> {
        Ok(())
    }
}

/// Whether `sql`, asked through `query`, only reads: then the real database answers it (in a
/// transaction that could not write anyway).
fn only_reads(sql: &str) -> bool {
    let words = leading_words(sql, 1);
    let Some(first) = words.first() else {
        return false;
    };
    match first.as_str() {
        // A read-only transaction still lets a SELECT write a file on a MySQL server.
        "SELECT" | "WITH" => !sql.to_ascii_uppercase().contains(" INTO "),
        "SHOW" | "VALUES" | "TABLE" | "DESCRIBE" | "DESC" => true,
        // EXPLAIN ANALYZE runs the statement.
        "EXPLAIN" => !sql.to_ascii_uppercase().contains("ANALYZE"),
        // `PRAGMA foreign_keys = OFF` and `PRAGMA query_only(0)` set; `PRAGMA foreign_keys`
        // reads, and so do the pragmas that take a table (`table_info("users")`).
        "PRAGMA" => {
            let upper = sql.to_ascii_uppercase();
            !sql.contains('=')
                && (!sql.contains('(')
                    || [
                        "TABLE_INFO",
                        "TABLE_XINFO",
                        "INDEX_LIST",
                        "INDEX_INFO",
                        "INDEX_XINFO",
                        "FOREIGN_KEY_LIST",
                        "FOREIGN_KEY_CHECK",
                    ]
                    .iter()
                    .any(|pragma| upper.contains(pragma)))
        }
        _ => false,
    }
}

/// SQLite: `PRAGMA foreign_keys` read as a whole statement.
fn reads_foreign_keys(sql: &str) -> bool {
    let words = leading_words(sql, 3);
    words.len() == 2 && words[0] == "PRAGMA" && words[1] == "FOREIGN_KEYS"
}

/// SQLite: the enforcement `PRAGMA foreign_keys = ON|OFF` sets.
fn sets_foreign_keys(sql: &str) -> Option<bool> {
    let tokens = tokens(sql);
    match tokens.as_slice() {
        [Token::Word(pragma), Token::Word(name), Token::Other('='), Token::Word(value)]
            if pragma.eq_ignore_ascii_case("pragma")
                && name.eq_ignore_ascii_case("foreign_keys") =>
        {
            match value.to_ascii_lowercase().as_str() {
                "on" | "1" | "true" | "yes" => Some(true),
                "off" | "0" | "false" | "no" => Some(false),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The first `n` tokens of `sql` as upper-case words (quoted names and symbols as they are).
fn leading_words(sql: &str, n: usize) -> Vec<String> {
    tokens(sql)
        .into_iter()
        .skip_while(|t| *t == Token::Other('('))
        .take(n)
        .map(|t| match t {
            Token::Word(w) => w.to_ascii_uppercase(),
            Token::Quoted(q) => q,
            Token::Other(c) => c.to_string(),
            Token::End => ";".to_string(),
        })
        .collect()
}

/// `SHOW CREATE TABLE`'s layout (one column or key a line) of a recorded MySQL `CREATE TABLE`,
/// the columns without their inline keys.
fn show_create_table(create: &str) -> Option<String> {
    let open = create.find('(')?;
    let close = create.rfind(')')?;
    let mut parts = Vec::new();
    let (mut depth, mut start, mut quote) = (0usize, open + 1, None);
    for (i, c) in create[..close]
        .char_indices()
        .skip_while(|(i, _)| *i <= open)
    {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '`' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth = depth.saturating_sub(1),
            (None, ',') if depth == 0 => {
                parts.push(&create[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&create[start..close]);
    let lines: Vec<String> = parts
        .iter()
        .map(|part| {
            let part = part.trim();
            if part.starts_with('`') {
                part.replace(" PRIMARY KEY", "").replace(" UNIQUE", "")
            } else {
                part.to_string()
            }
        })
        .map(|line| format!("  {line}"))
        .collect();
    Some(format!(
        "{}(\n{}\n){}",
        &create[..open],
        lines.join(",\n"),
        &create[close + 1..]
    ))
}

/// A table that a statement creates, drops or renames (in the current schema: a qualified name
/// counts by its last part).
#[derive(Debug, Clone, PartialEq, Eq)]
enum TableChange {
    Created(String),
    Dropped(String),
    Renamed(String, String),
}

fn apply_changes(tables: &mut BTreeSet<String>, changes: &[TableChange]) {
    for change in changes {
        match change {
            TableChange::Created(name) => {
                tables.insert(name.clone());
            }
            TableChange::Dropped(name) => {
                tables.remove(name);
            }
            TableChange::Renamed(from, to) => {
                if tables.remove(from) {
                    tables.insert(to.clone());
                }
            }
        }
    }
}

/// The tables that `sql` (one or more statements) creates, drops or renames, in order. What
/// `executor::record` finds by listing the tables before and after a migration that ran.
fn table_changes(backend: DbBackend, sql: &str) -> Vec<TableChange> {
    let tokens = tokens(sql);
    tokens
        .split(|t| *t == Token::End)
        .flat_map(|statement| statement_changes(backend, statement))
        .collect()
}

fn statement_changes(backend: DbBackend, t: &[Token]) -> Vec<TableChange> {
    let word =
        |i: usize, w: &str| matches!(t.get(i), Some(Token::Word(x)) if x.eq_ignore_ascii_case(w));
    // A (possibly qualified) name at `i`: its last part, and the index after it.
    let name = |mut i: usize| -> Option<(String, usize)> {
        loop {
            let part = match t.get(i)? {
                // PostgreSQL folds unquoted names to lower case.
                Token::Word(w) if backend == DbBackend::Postgres => w.to_lowercase(),
                Token::Word(w) | Token::Quoted(w) => w.clone(),
                _ => return None,
            };
            i += 1;
            if t.get(i) != Some(&Token::Other('.')) {
                return Some((part, i));
            }
            i += 1;
        }
    };
    let mut i = 1;
    let mut changes = Vec::new();
    if word(0, "CREATE") {
        if word(i, "OR") && word(i + 1, "REPLACE") {
            i += 2;
        }
        if word(i, "GLOBAL") || word(i, "LOCAL") {
            i += 1;
        }
        if word(i, "TEMP") || word(i, "TEMPORARY") {
            return changes;
        }
        if word(i, "UNLOGGED") {
            i += 1;
        }
        if !word(i, "TABLE") {
            return changes;
        }
        i += 1;
        if word(i, "IF") && word(i + 1, "NOT") && word(i + 2, "EXISTS") {
            i += 3;
        }
        // A partition is never a table of the project's own (`executor::table_names`).
        let partition = t
            .windows(2)
            .any(|w| matches!(w, [Token::Word(a), Token::Word(b)] if a.eq_ignore_ascii_case("partition") && b.eq_ignore_ascii_case("of")));
        if let (Some((table, _)), false) = (name(i), partition) {
            changes.push(TableChange::Created(table));
        }
    } else if word(0, "DROP") && word(1, "TABLE") {
        i = 2;
        if word(i, "IF") && word(i + 1, "EXISTS") {
            i += 2;
        }
        while let Some((table, next)) = name(i) {
            changes.push(TableChange::Dropped(table));
            if t.get(next) != Some(&Token::Other(',')) {
                break;
            }
            i = next + 1;
        }
    } else if word(0, "ALTER") && word(1, "TABLE") {
        i = 2;
        if word(i, "IF") && word(i + 1, "EXISTS") {
            i += 2;
        }
        if word(i, "ONLY") {
            i += 1;
        }
        // `RENAME TO new` renames the table; `RENAME [COLUMN] a TO b` a column.
        if let Some((table, next)) = name(i) {
            if word(next, "RENAME") && (word(next + 1, "TO") || word(next + 1, "AS")) {
                if let Some((new, end)) = name(next + 2) {
                    if end == t.len() {
                        changes.push(TableChange::Renamed(table, new));
                    }
                }
            }
        }
    } else if word(0, "RENAME") && word(1, "TABLE") {
        i = 2;
        while let Some((from, next)) = name(i) {
            if !word(next, "TO") {
                break;
            }
            let Some((to, after)) = name(next + 1) else {
                break;
            };
            changes.push(TableChange::Renamed(from, to));
            if t.get(after) != Some(&Token::Other(',')) {
                break;
            }
            i = after + 1;
        }
    }
    changes
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A keyword, an unquoted name or a number, as written.
    Word(String),
    /// A quoted name (`"x"`, `` `x` ``, `[x]`), without its quotes.
    Quoted(String),
    /// A string literal is `Other('\'')`; any other symbol is itself.
    Other(char),
    /// `;`
    End,
}

/// Just enough of SQL's lexical rules to find statements, names and keywords: comments and
/// string literals are skipped, quoted names kept whole.
fn tokens(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    // The text up to the closing `close` (a doubled one stands for itself), and the index after.
    let quoted = |start: usize, close: char| -> (String, usize) {
        let mut text = String::new();
        let mut j = start;
        while j < chars.len() {
            if chars[j] == close {
                if chars.get(j + 1) == Some(&close) && close != ']' {
                    text.push(close);
                    j += 2;
                    continue;
                }
                return (text, j + 1);
            }
            text.push(chars[j]);
            j += 1;
        }
        (text, j)
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            _ if c.is_whitespace() => i += 1,
            '-' if chars.get(i + 1) == Some(&'-') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                    i += 1;
                }
                i += 2;
            }
            '\'' => {
                i = quoted(i + 1, '\'').1;
                out.push(Token::Other('\''));
            }
            '"' | '`' | '[' => {
                let close = match c {
                    '[' => ']',
                    other => other,
                };
                let (text, next) = quoted(i + 1, close);
                out.push(Token::Quoted(text));
                i = next;
            }
            ';' => {
                out.push(Token::End);
                i += 1;
            }
            _ if c.is_alphanumeric() || c == '_' || c == '$' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
                {
                    i += 1;
                }
                out.push(Token::Word(chars[start..i].iter().collect()));
            }
            _ => {
                out.push(Token::Other(c));
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_reads_from_writes() {
        for read in [
            "SELECT 1",
            "  select name FROM sqlite_master",
            "(SELECT 1) UNION (SELECT 2)",
            "WITH t AS (SELECT 1) SELECT * FROM t",
            "SHOW CREATE TABLE `users`",
            "PRAGMA foreign_keys",
            "PRAGMA table_info(\"users\")",
            "-- a comment\nSELECT 1",
            "EXPLAIN SELECT 1",
        ] {
            assert!(only_reads(read), "{read} reads");
        }
        for write in [
            "INSERT INTO t VALUES (1) RETURNING id",
            "UPDATE t SET a = 1",
            "DELETE FROM t",
            "PRAGMA foreign_keys = OFF",
            "CREATE TABLE t (id int)",
            "EXPLAIN ANALYZE DELETE FROM t",
            "",
        ] {
            assert!(!only_reads(write), "{write} writes");
        }
    }

    #[test]
    fn reads_the_foreign_key_pragma() {
        assert!(reads_foreign_keys("PRAGMA foreign_keys"));
        assert!(!reads_foreign_keys("PRAGMA foreign_key_check"));
        assert_eq!(sets_foreign_keys("PRAGMA foreign_keys = OFF"), Some(false));
        assert_eq!(sets_foreign_keys("pragma FOREIGN_KEYS=1"), Some(true));
        assert_eq!(sets_foreign_keys("PRAGMA foreign_keys"), None);
        assert_eq!(sets_foreign_keys("PRAGMA query_only = ON"), None);
    }

    fn changes(backend: DbBackend, sql: &str) -> Vec<TableChange> {
        table_changes(backend, sql)
    }

    #[test]
    fn finds_the_tables_statements_create_drop_and_rename() {
        use TableChange::*;
        let pg = DbBackend::Postgres;
        assert_eq!(
            changes(
                pg,
                r#"CREATE TABLE IF NOT EXISTS "users" ("id" serial PRIMARY KEY, "name" varchar)"#
            ),
            [Created("users".into())]
        );
        assert_eq!(
            changes(pg, "CREATE TABLE Public.Orders (id int)"),
            [Created("orders".into())]
        );
        assert_eq!(changes(pg, "CREATE TEMPORARY TABLE scratch (id int)"), []);
        assert_eq!(
            changes(pg, "CREATE TABLE p1 PARTITION OF orders FOR VALUES IN (1)"),
            []
        );
        assert_eq!(changes(pg, "CREATE INDEX i ON t (a)"), []);
        assert_eq!(
            changes(pg, r#"DROP TABLE IF EXISTS "a", "b" CASCADE"#),
            [Dropped("a".into()), Dropped("b".into())]
        );
        assert_eq!(
            changes(pg, r#"ALTER TABLE "a" RENAME TO "b""#),
            [Renamed("a".into(), "b".into())]
        );
        // A column renamed, with and without the COLUMN keyword.
        assert_eq!(
            changes(pg, r#"ALTER TABLE "a" RENAME COLUMN "x" TO "y""#),
            []
        );
        assert_eq!(changes(pg, r#"ALTER TABLE "a" RENAME "x" TO "y""#), []);
        assert_eq!(
            changes(DbBackend::MySql, "RENAME TABLE `a` TO `b`, `c` TO `d`"),
            [
                Renamed("a".into(), "b".into()),
                Renamed("c".into(), "d".into())
            ]
        );
        // Several statements, comments and literals that look like statements.
        assert_eq!(
            changes(
                DbBackend::Sqlite,
                "-- DROP TABLE x\nCREATE TABLE \"t\" (a text DEFAULT 'DROP TABLE y; x'); /* CREATE TABLE z */ DROP TABLE `u`"
            ),
            [Created("t".into()), Dropped("u".into())]
        );
    }

    #[test]
    fn lays_out_a_recorded_create_table_as_mysql_shows_it() {
        let create = "CREATE TABLE `t` ( `id` int NOT NULL AUTO_INCREMENT PRIMARY KEY, `code` varchar(8) NOT NULL UNIQUE, `note` varchar(20) DEFAULT 'a,b', `n` decimal(10, 2), FOREIGN KEY (`id`) REFERENCES `u` (`id`) ) ENGINE=InnoDB";
        assert_eq!(
            show_create_table(create).unwrap(),
            "CREATE TABLE `t` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  `code` varchar(8) NOT NULL,\n  `note` varchar(20) DEFAULT 'a,b',\n  `n` decimal(10, 2),\n  FOREIGN KEY (`id`) REFERENCES `u` (`id`)\n) ENGINE=InnoDB"
        );
    }

    #[test]
    fn a_sqlite_rebuild_leaves_the_table_list_as_it_was() {
        let mut tables: BTreeSet<String> = ["users".to_string()].into();
        let sql = [
            r#"CREATE TABLE "_makemigrations_new_users" ("id" integer)"#,
            r#"INSERT INTO "_makemigrations_new_users" ("id") SELECT "id" FROM "users""#,
            r#"DROP TABLE "users""#,
            r#"ALTER TABLE "_makemigrations_new_users" RENAME TO "users""#,
        ];
        let all: Vec<TableChange> = sql
            .iter()
            .flat_map(|s| table_changes(DbBackend::Sqlite, s))
            .collect();
        apply_changes(&mut tables, &all);
        assert_eq!(tables, ["users".to_string()].into());
    }

    #[test]
    fn renders_statements_with_their_semicolons_and_comments() {
        let script = Script {
            backend: DbBackend::Postgres,
            kind: ScriptKind::Pending,
            setup: vec!["CREATE TABLE \"seaql_migrations\" (\"version\" varchar)".into()],
            checksums: vec![],
            migrations: vec![
                MigrationSql {
                    name: "m1".into(),
                    direction: Direction::Up,
                    recorded_baseline: false,
                    marked: vec![],
                    reads: 0,
                    statements: vec![
                        "BEGIN".into(),
                        "CREATE TABLE t (id int)".into(),
                        "COMMIT".into(),
                    ],
                },
                MigrationSql {
                    name: "m2".into(),
                    direction: Direction::Up,
                    recorded_baseline: false,
                    marked: vec!["drops column t.a".into()],
                    reads: 2,
                    statements: vec!["ALTER TABLE t DROP COLUMN a".into()],
                },
            ],
        };
        let text = script.render();
        assert_eq!(
            text,
            "-- The SQL of 2 pending migration(s) on PostgreSQL, in the order `migrate` would run them. Nothing was run.\n\
             \n-- The tool's tables missing here, which `migrate` creates first:\n\
             CREATE TABLE \"seaql_migrations\" (\"version\" varchar);\n\
             \n-- m1 (up)\nBEGIN;\nCREATE TABLE t (id int);\nCOMMIT;\n\
             \n-- m2 (up)\n-- ! loses data: drops column t.a\n\
             -- Decided by reading the database as it is now (2 read(s)), not as the statements above would leave it: if it changes before this runs, print the SQL again.\n\
             ALTER TABLE t DROP COLUMN a;\n"
        );
    }
}
