//! [`Statements`]: the plain schema statements of a large generated migration, built by plain
//! functions and sent together.
//!
//! Written as one `manager.create_table(..).await?` per statement, a migration of thousands of
//! statements costs rustc minutes (every await is a state of an async function's state machine)
//! and costs the run a round trip or two per statement (sqlx prepares each one). So the renderer
//! writes the parts of a large migration that are plain sea-query statements as plain functions
//! that add them here, and `run` sends them:
//!
//! - PostgreSQL and SQLite, inside the migration's transaction: as scripts of [`BATCH`]
//!   statements, one round trip each (no prepare), each under a savepoint. When a script fails,
//!   the savepoint is rolled back and its statements run again one at a time, so the error the
//!   run reports is the failing statement's own, exactly as if each had been sent alone.
//! - Outside a transaction (`use_transaction() -> Some(false)`), one at a time, unprepared: a
//!   failure leaves exactly the statements before it applied.
//! - MySQL/MariaDB: one at a time through `execute_raw`, as the other helpers send theirs, so
//!   the journal records each statement as it commits (a half-applied migration says exactly
//!   what stayed) and sea-orm's metric callback says which one failed.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, StatementBuilder};
use sea_orm_migration::SchemaManager;

/// Statements per script on PostgreSQL and SQLite: few round trips, and little to run again one
/// at a time to name a failing statement.
pub const BATCH: usize = 100;

/// The savepoint around each script: a failed script is undone to it and run again one at a time.
const SAVEPOINT: &str = "makemigrations_statements";

/// Schema statements to run in order: `add` them, then `run` them. Generated files use it for
/// migrations of many operations (docs/guide.md, "Large migrations").
#[derive(Default)]
pub struct Statements {
    pending: Vec<Box<dyn StatementBuilder + Send>>,
}

impl Statements {
    /// No statements yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a sea-query statement (`Table::create()...to_owned()`, `Index::create()...`, ...).
    pub fn add(&mut self, statement: impl StatementBuilder + Send + 'static) {
        self.pending.push(Box::new(statement));
    }

    /// Runs the statements added so far, in order, and forgets them. A statement with bound
    /// values (an insert added here by hand) is sent alone with its values, never in a script.
    pub async fn run(&mut self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let statements: Vec<sea_orm::Statement> = self
            .pending
            .drain(..)
            .map(|statement| statement.build(&backend))
            .collect();
        let conn = manager.get_connection();
        let bound = |s: &sea_orm::Statement| s.values.as_ref().is_some_and(|v| !v.0.is_empty());
        if backend == DbBackend::MySql {
            for statement in statements {
                conn.execute_raw(statement).await?;
            }
        } else if conn.is_transaction() {
            let mut plain: Vec<String> = Vec::new();
            for statement in statements {
                if bound(&statement) {
                    for batch in plain.chunks(BATCH) {
                        run_script(conn, batch).await?;
                    }
                    plain.clear();
                    conn.execute_raw(statement).await?;
                } else {
                    plain.push(statement.sql);
                }
            }
            for batch in plain.chunks(BATCH) {
                run_script(conn, batch).await?;
            }
        } else {
            for statement in statements {
                if bound(&statement) {
                    conn.execute_raw(statement).await?;
                } else {
                    conn.execute_unprepared(&statement.sql).await?;
                }
            }
        }
        Ok(())
    }
}

/// `batch` as one script under a savepoint; when it fails, undone and run again one statement
/// at a time, so the error names the statement that fails.
async fn run_script<C: ConnectionTrait>(conn: &C, batch: &[String]) -> Result<(), DbErr> {
    if let [only] = batch {
        return conn.execute_unprepared(only).await.map(|_| ());
    }
    // One round trip: the savepoint, the statements and its release.
    let script = format!(
        "SAVEPOINT {SAVEPOINT};\n{};\nRELEASE SAVEPOINT {SAVEPOINT}",
        batch.join(";\n")
    );
    if conn.execute_unprepared(&script).await.is_ok() {
        return Ok(());
    }
    conn.execute_unprepared(&format!("ROLLBACK TO SAVEPOINT {SAVEPOINT}"))
        .await?;
    for sql in batch {
        conn.execute_unprepared(sql).await?;
    }
    // Every statement went through alone (a failure that did not repeat, such as a lock
    // timeout): the batch is applied.
    conn.execute_unprepared(&format!("RELEASE SAVEPOINT {SAVEPOINT}"))
        .await
        .map(|_| ())
}
