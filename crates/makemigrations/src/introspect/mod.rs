//! Reads a live database (or the scratch copy built from the entities) into the neutral model.
//!
//! Each backend has the same pair of files: `<backend>.rs` runs the bulk catalog queries (a fixed
//! handful per schema, never a few per table: docs/decisions.md, decision 3) and `<backend>/types.rs`
//! maps the database's own spellings back to sea-query types and default values.

pub mod mysql;
pub mod postgres;
pub mod sqlite;

use makemigrations_core::{Backend, Schema};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Statement};

/// Reads every table and enum type of `schema_name` (the PostgreSQL schema or the MySQL
/// database; ignored on SQLite).
pub async fn discover<C: ConnectionTrait>(
    conn: &C,
    backend: Backend,
    schema_name: &str,
) -> Result<Schema, DbErr> {
    match backend {
        Backend::Postgres => postgres::discover(conn, schema_name).await,
        Backend::Sqlite => sqlite::discover(conn).await,
        Backend::MySql => mysql::discover(conn, schema_name).await,
    }
}

/// The source of the schema readers: the scratch-schema cache of the command line keys its
/// entries on it, so that any edit to a reader invalidates them.
pub const READER_SOURCE: &str = concat!(
    include_str!("postgres.rs"),
    include_str!("postgres/types.rs"),
    include_str!("sqlite.rs"),
    include_str!("sqlite/types.rs"),
    include_str!("mysql.rs"),
    include_str!("mysql/types.rs"),
);

pub async fn query<C: ConnectionTrait>(
    conn: &C,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<QueryResult>, DbErr> {
    conn.query_all_raw(Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        values,
    ))
    .await
}

/// The first value of the first row of `sql`, as text: `None` for no row or NULL.
pub async fn scalar<C: ConnectionTrait>(conn: &C, sql: &str) -> Result<Option<String>, DbErr> {
    let rows = query(conn, sql, vec![]).await?;
    rows.first()
        .map(|r| r.try_get_by_index::<Option<String>>(0))
        .transpose()
        .map(Option::flatten)
}

/// A JSON array of strings, as `json_agg(..)::text` returns it.
pub fn json_strings(raw: Option<String>) -> Result<Vec<String>, DbErr> {
    match raw {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| DbErr::Custom(format!("unexpected catalog answer {text:?}: {e}"))),
    }
}
