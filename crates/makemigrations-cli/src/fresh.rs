//! `fresh` (alias `reset`): what the project owns in a database, and dropping it, so that every
//! migration can be applied again from the start. The command line asks first and refuses a
//! database that does not look like a development one (`crate::devdb`).
//!
//! The project owns the tables its migrations created or a baseline adopted (the owned-tables
//! record), the tables its entities describe, the tool's own tables and, on PostgreSQL, the enum
//! types of those tables and entities. Tables matched by `ignore_tables`, tables of entities the
//! build script could not reach, views, and every other table stay as they are.

use std::collections::BTreeSet;

use sea_orm::sea_query::{Table, TableDropStatement};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, TransactionTrait};

use crate::error::Error;
use crate::{executor, introspect, run_log, Project};

/// What `fresh` drops, read before asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    /// The project's tables that exist, by name.
    pub tables: Vec<String>,
    /// PostgreSQL: the enum types of those tables and of the entities that exist and that no
    /// other table uses.
    pub enum_types: Vec<String>,
    /// The tool's own tables that exist (the record of applied migrations among them).
    pub tool_tables: Vec<String>,
    /// How many migrations are recorded as applied.
    pub applied: usize,
    /// Tables that stay: not the project's, or ignored.
    pub left_alone: Vec<String>,
}

impl Owned {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.enum_types.is_empty() && self.tool_tables.is_empty()
    }
}

/// The tool's tables, dropped with the project's (recreated by the next `migrate`).
const TOOL_TABLES: &[&str] = &[
    executor::TRACKING_TABLE,
    executor::CHECKSUMS,
    executor::HALF_APPLIED,
    executor::HALF_APPLIED_STATEMENTS,
    executor::OWNED_TABLES,
    executor::REPLACED,
    run_log::LOG_TABLE,
];

/// Reads what the project owns in `db`. Reads only.
pub async fn owned(project: &Project, db: &DatabaseConnection) -> Result<Owned, Error> {
    let backend = db.get_database_backend();
    let live = executor::table_names(db).await?;
    let mut claimed = executor::owned_tables(db).await?;
    claimed.extend(
        project
            .entities
            .iter()
            .filter_map(|e| e.statements(backend).map(|s| s.table_name)),
    );
    let (mut tables, mut left_alone) = (Vec::new(), Vec::new());
    for table in &live {
        if crate::is_tool_table(table) {
            continue;
        }
        if claimed.contains(table) && !project.is_ignored(table) {
            tables.push(table.clone());
        } else {
            left_alone.push(table.clone());
        }
    }
    let tool_tables = TOOL_TABLES
        .iter()
        .filter(|t| live.contains(**t))
        .map(|t| t.to_string())
        .collect();
    let enum_types = match backend {
        DbBackend::Postgres => postgres_enum_types(project, db, &tables, &left_alone).await?,
        _ => Vec::new(),
    };
    let applied = executor::applied(db).await?.len();
    Ok(Owned {
        tables,
        enum_types,
        tool_tables,
        applied,
        left_alone,
    })
}

/// Drops what [`owned`] found: in one transaction on PostgreSQL and SQLite (a table another
/// object still needs, such as a view on PostgreSQL or a foreign key of a table that stays,
/// fails the whole drop and leaves the database as it was); on MySQL table by table, with its
/// foreign-key checks off for the run's session.
pub async fn drop_owned(db: &DatabaseConnection, owned: &Owned) -> Result<(), Error> {
    let backend = db.get_database_backend();
    drop_in_transaction(db, owned).await.map_err(|e| {
        let (what, state) = match backend {
            DbBackend::MySql => (
                "a table",
                "the tables dropped before it stay dropped (MySQL cannot roll DDL back); run `fresh` again once it is fixed",
            ),
            _ => ("the project's tables", "nothing was dropped"),
        };
        Error::Refused(format!(
            "fresh could not drop {what}: {}; {state}\n  fix: drop or change what still needs them (a view, or a foreign key of a table that is not the project's), or leave such tables out with --ignore-table",
            crate::database::hide_secrets(&e.to_string())
        ))
    })
}

async fn drop_in_transaction(db: &DatabaseConnection, owned: &Owned) -> Result<(), Error> {
    let backend = db.get_database_backend();
    let every_table: Vec<&String> = owned.tables.iter().chain(&owned.tool_tables).collect();
    let txn = db.begin().await?;
    match backend {
        DbBackend::Postgres => {
            if !every_table.is_empty() {
                // One statement: foreign keys between the dropped tables need no order.
                let mut drop = Table::drop();
                for table in &every_table {
                    drop.table(table.to_string());
                }
                txn.execute(&drop).await?;
            }
            for name in &owned.enum_types {
                txn.execute_unprepared(&format!("DROP TYPE \"{}\"", name.replace('"', "\"\"")))
                    .await?;
            }
        }
        DbBackend::MySql => {
            txn.execute_unprepared("SET FOREIGN_KEY_CHECKS = 0").await?;
            let dropped = drop_each(&txn, &every_table).await;
            txn.execute_unprepared("SET FOREIGN_KEY_CHECKS = 1").await?;
            dropped?;
        }
        _ => {
            // Foreign keys are checked at the end of the transaction, when both sides are gone.
            txn.execute_unprepared("PRAGMA defer_foreign_keys = ON")
                .await?;
            drop_each(&txn, &every_table).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

async fn drop_each<C: ConnectionTrait>(conn: &C, tables: &[&String]) -> Result<(), Error> {
    for table in tables {
        let drop: TableDropStatement = Table::drop().table(table.to_string()).to_owned();
        conn.execute(&drop).await?;
    }
    Ok(())
}

/// The enum types of the current schema that the project's tables use or its entities declare,
/// and that no table left alone uses.
async fn postgres_enum_types(
    project: &Project,
    db: &DatabaseConnection,
    tables: &[String],
    left_alone: &[String],
) -> Result<Vec<String>, Error> {
    let used_by = |tables: &[String]| {
        let names = if tables.is_empty() {
            "NULL".to_string()
        } else {
            tables
                .iter()
                .map(|t| format!("'{}'", t.replace('\'', "''")))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "SELECT DISTINCT e.typname::text AS name FROM pg_attribute a \
             JOIN pg_class c ON c.oid = a.attrelid \
             JOIN pg_type t ON t.oid = a.atttypid \
             JOIN pg_type e ON e.oid = CASE WHEN t.typelem <> 0 THEN t.typelem ELSE t.oid END \
             WHERE c.relnamespace = current_schema()::regnamespace \
               AND c.relname::text IN ({names}) AND a.attnum > 0 AND NOT a.attisdropped \
               AND e.typtype = 'e'"
        )
    };
    let names = |rows: Vec<sea_orm::QueryResult>| -> Result<BTreeSet<String>, sea_orm::DbErr> {
        rows.iter()
            .map(|r| r.try_get::<String>("", "name"))
            .collect()
    };
    let mut ours = names(introspect::query(db, &used_by(tables), vec![]).await?)?;
    let live = names(
        introspect::query(
            db,
            "SELECT t.typname::text AS name FROM pg_type t \
             WHERE t.typnamespace = current_schema()::regnamespace AND t.typtype = 'e'",
            vec![],
        )
        .await?,
    )?;
    ours.extend(
        project
            .entities
            .iter()
            .filter_map(|e| e.enum_type().map(|t| t.name))
            .filter(|name| live.contains(name)),
    );
    let kept = names(introspect::query(db, &used_by(left_alone), vec![]).await?)?;
    Ok(ours.difference(&kept).cloned().collect())
}
