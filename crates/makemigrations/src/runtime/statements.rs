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
//! - MySQL/MariaDB: one at a time, unprepared, so the journal records each statement as it
//!   commits (a half-applied migration says exactly what stayed; sqlx's log names the one that
//!   failed). Unprepared is one round trip where a prepared statement takes two, and it avoids a
//!   stall of sqlx 0.9: its sockets leave Nagle's algorithm on (launchbadge/sqlx#4335), and once
//!   its cache of 100 prepared statements is full, each new one is sent as two small writes
//!   (close the oldest, execute), the second held back until the server's delayed ACK, about
//!   40 ms later. A 1,000-table migration spent 85 of its 89 s waiting there. A plain index created
//!   right after its table is written into the `CREATE TABLE` (`KEY name (columns)`), as
//!   `mysqldump` writes it: InnoDB builds a `CREATE INDEX` as an `ALTER TABLE` of its own, which
//!   doubled the time of a large initial migration; the schema that results is the same.

use std::any::Any;

use sea_orm::sea_query::{IndexCreateStatement, TableCreateStatement};
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
    pending: Vec<Pending>,
}

/// A statement added, kept typed where MySQL may fold an index into its table.
enum Pending {
    CreateTable(Box<TableCreateStatement>),
    CreateIndex(Box<IndexCreateStatement>),
    Other(Box<dyn StatementBuilder + Send>),
}

impl Pending {
    fn build(&self, backend: &DbBackend) -> sea_orm::Statement {
        match self {
            Pending::CreateTable(table) => backend.build(table.as_ref()),
            Pending::CreateIndex(index) => backend.build(index.as_ref()),
            Pending::Other(statement) => statement.build(backend),
        }
    }
}

impl Statements {
    /// No statements yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a sea-query statement (`Table::create()...to_owned()`, `Index::create()...`, ...).
    pub fn add<S: StatementBuilder + Send + 'static>(&mut self, statement: S) {
        let mut slot = Some(statement);
        let any: &mut dyn Any = &mut slot;
        let pending = if let Some(table) = any.downcast_mut::<Option<TableCreateStatement>>() {
            Pending::CreateTable(Box::new(table.take().expect("just set")))
        } else if let Some(index) = any.downcast_mut::<Option<IndexCreateStatement>>() {
            Pending::CreateIndex(Box::new(index.take().expect("just set")))
        } else {
            Pending::Other(Box::new(slot.take().expect("just set")))
        };
        self.pending.push(pending);
    }

    /// Runs the statements added so far, in order, and forgets them. A statement with bound
    /// values (an insert added here by hand) is sent alone with its values, never in a script.
    pub async fn run(&mut self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let mut pending: Vec<Pending> = self.pending.drain(..).collect();
        if backend == DbBackend::MySql {
            pending = fold_indexes(pending);
        }
        let statements: Vec<sea_orm::Statement> = pending
            .iter()
            .map(|statement| statement.build(&backend))
            .collect();
        let conn = manager.get_connection();
        let bound = |s: &sea_orm::Statement| s.values.as_ref().is_some_and(|v| !v.0.is_empty());
        if backend != DbBackend::MySql && conn.is_transaction() {
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

/// MySQL: each plain index that follows its table's `CREATE TABLE` (with only other such indexes
/// between) goes into that statement.
fn fold_indexes(pending: Vec<Pending>) -> Vec<Pending> {
    let mut folded: Vec<Pending> = Vec::with_capacity(pending.len());
    for statement in pending {
        if let (Some(Pending::CreateTable(table)), Pending::CreateIndex(index)) =
            (folded.last_mut(), &statement)
        {
            if fold_index(table, index) {
                continue;
            }
        }
        folded.push(statement);
    }
    folded
}

/// MySQL: writes `index` into `table`'s `CREATE TABLE` as `[UNIQUE] KEY name (columns)` when
/// that says exactly what the `CREATE INDEX` would (see [`foldable`]); false, and `table`
/// unchanged, otherwise. The scratch build folds the entities' indexes the same way.
pub fn fold_index(table: &mut TableCreateStatement, index: &IndexCreateStatement) -> bool {
    if !foldable(table, index) {
        return false;
    }
    table.index(&mut index.clone());
    true
}

/// `index` says no more on MySQL than `[UNIQUE] KEY name (columns)` inside `table`'s own
/// `CREATE TABLE` would: a named index of plain columns of that table, without a type, a
/// prefix length, an order or a condition (read from the SQL it makes, since sea-query keeps
/// those fields private). A table created `IF NOT EXISTS` keeps its indexes apart: folded, an
/// existing table would also skip the index.
fn foldable(table: &TableCreateStatement, index: &IndexCreateStatement) -> bool {
    let table_sql = DbBackend::MySql.build(table).sql;
    let Some(name) = table_sql
        .strip_prefix("CREATE TABLE `")
        .and_then(|rest| rest.split_once("` ("))
        .map(|(name, _)| name)
    else {
        return false;
    };
    let index_sql = DbBackend::MySql.build(index).sql;
    let Some(rest) = index_sql
        .strip_prefix("CREATE INDEX `")
        .or_else(|| index_sql.strip_prefix("CREATE UNIQUE INDEX `"))
    else {
        return false;
    };
    let Some((index_name, rest)) = rest.split_once("` ON `") else {
        return false;
    };
    let Some(columns) = rest
        .strip_prefix(name)
        .and_then(|rest| rest.strip_prefix("` ("))
        .and_then(|rest| rest.strip_suffix(')'))
    else {
        return false;
    };
    let plain = |identifier: &str| !identifier.is_empty() && !identifier.contains('`');
    plain(name)
        && plain(index_name)
        && columns.split(", ").all(|column| {
            column
                .strip_prefix('`')
                .and_then(|c| c.strip_suffix('`'))
                .is_some_and(plain)
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{ColumnDef, Index, IndexOrder, IndexType, Table};

    fn table() -> TableCreateStatement {
        Table::create()
            .table("t")
            .col(ColumnDef::new("id").integer().not_null().primary_key())
            .col(ColumnDef::new("name").string_len(50))
            .to_owned()
    }

    fn index() -> IndexCreateStatement {
        Index::create()
            .name("idx_t_name")
            .table("t")
            .col("name")
            .to_owned()
    }

    /// Only an index that says no more than `KEY name (columns)` goes into the table's CREATE
    /// TABLE; anything else stays a statement of its own.
    #[test]
    fn only_plain_indexes_of_the_same_table_are_folded() {
        let mut folded = table();
        assert!(fold_index(&mut folded, &index()));
        assert!(fold_index(
            &mut folded,
            &Index::create()
                .name("uq_t_name")
                .table("t")
                .col("name")
                .unique()
                .to_owned()
        ));
        let sql = DbBackend::MySql.build(&folded).sql;
        assert!(
            sql.contains("KEY `idx_t_name` (`name`)") && sql.contains("UNIQUE KEY `uq_t_name`"),
            "{sql}"
        );

        let not_folded = [
            ("another table", index().table("u").to_owned()),
            ("unnamed", Index::create().table("t").col("name").to_owned()),
            ("descending", {
                let mut i = index();
                i.col(("id", IndexOrder::Desc));
                i
            }),
            ("a type", index().index_type(IndexType::BTree).to_owned()),
            ("full text", index().full_text().to_owned()),
            ("a prefix", {
                let mut i = Index::create().name("idx_t_name").table("t").to_owned();
                i.col(("name", 10));
                i
            }),
        ];
        for (what, index) in not_folded {
            let mut table = table();
            let before = DbBackend::MySql.build(&table).sql;
            assert!(!fold_index(&mut table, &index), "{what}");
            assert_eq!(DbBackend::MySql.build(&table).sql, before, "{what}");
        }
        for (what, mut table) in [
            ("IF NOT EXISTS", table().if_not_exists().to_owned()),
            ("in a schema", {
                let mut t = table();
                t.table(("shop", "t"));
                t
            }),
        ] {
            assert!(!fold_index(&mut table, &index()), "{what}");
        }
    }

    /// Folding keeps the order: an index after another statement stays where it is.
    #[test]
    fn an_index_after_another_statement_is_not_folded() {
        let mut statements = Statements::new();
        statements.add(table());
        statements.add(Table::drop().table("old").to_owned());
        statements.add(index());
        let folded = fold_indexes(statements.pending);
        assert_eq!(folded.len(), 3);
        assert!(matches!(folded[2], Pending::CreateIndex(_)));
    }
}
