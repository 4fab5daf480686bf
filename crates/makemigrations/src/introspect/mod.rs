//! Reads a live database (or the scratch copy built from the entities) into the neutral model.
//!
//! Each backend has the same pair of files: `<backend>.rs` runs the bulk catalog queries (a fixed
//! handful per schema, never a few per table: docs/decisions.md, decision 3) and `<backend>/types.rs`
//! maps the database's own spellings back to sea-query types and default values.

pub mod mysql;
pub mod postgres;
pub mod sqlite;

use makemigrations_core::{Backend, Schema};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, QueryResult, Statement};

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

/// One pooled connection held for a few reads without parameters, each sent as text in one
/// round trip. Through sea-orm every statement is prepared first (two round trips: prepare,
/// execute), takes a connection from the pool and gives it back with a ping (a third), during
/// which the next statement opens another connection: against a database 20 ms away that is
/// most of a command's time. The rows come as text, which sqlx decodes into the same Rust types.
pub enum TextReads<'d> {
    #[cfg(feature = "postgres")]
    Postgres(sea_orm::sqlx::pool::PoolConnection<sea_orm::sqlx::Postgres>),
    #[cfg(feature = "mysql")]
    MySql(sea_orm::sqlx::pool::PoolConnection<sea_orm::sqlx::MySql>),
    /// SQLite is in the process: a prepared statement costs no round trip.
    Other(&'d DatabaseConnection),
}

impl<'d> TextReads<'d> {
    pub async fn acquire(db: &'d DatabaseConnection) -> Result<Self, DbErr> {
        #[cfg(any(feature = "postgres", feature = "mysql"))]
        use sea_orm::DatabaseConnectionType as Pool;
        // By the connection's kind, not its backend: a mock or proxy connection that says
        // PostgreSQL has no pool, and goes through sea-orm.
        Ok(match &db.inner {
            #[cfg(feature = "postgres")]
            Pool::SqlxPostgresPoolConnection(_) => Self::Postgres(
                db.get_postgres_connection_pool()
                    .acquire()
                    .await
                    .map_err(acquire_failed)?,
            ),
            #[cfg(feature = "mysql")]
            Pool::SqlxMySqlPoolConnection(_) => Self::MySql(
                db.get_mysql_connection_pool()
                    .acquire()
                    .await
                    .map_err(acquire_failed)?,
            ),
            _ => Self::Other(db),
        })
    }

    pub fn backend(&self) -> DbBackend {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => DbBackend::Postgres,
            #[cfg(feature = "mysql")]
            Self::MySql(_) => DbBackend::MySql,
            Self::Other(db) => db.get_database_backend(),
        }
    }

    /// The rows of `sql`, which takes no parameters.
    pub async fn query(&mut self, sql: &str) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            #[cfg(feature = "postgres")]
            Self::Postgres(conn) => text_rows::<sea_orm::sqlx::Postgres>(conn, sql).await,
            #[cfg(feature = "mysql")]
            Self::MySql(conn) => text_rows::<sea_orm::sqlx::MySql>(conn, sql).await,
            Self::Other(db) => query(*db, sql, vec![]).await,
        }
    }
}

/// `sql` over sqlx's text protocol, its rows as sea-orm's.
#[cfg(any(feature = "postgres", feature = "mysql"))]
async fn text_rows<DB>(conn: &mut DB::Connection, sql: &str) -> Result<Vec<QueryResult>, DbErr>
where
    DB: sea_orm::sqlx::Database,
    for<'c> &'c mut DB::Connection: sea_orm::sqlx::Executor<'c, Database = DB>,
    QueryResult: From<DB::Row>,
{
    use sea_orm::sqlx;
    let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_all(conn)
        .await
        .map_err(|e| DbErr::Query(sea_orm::RuntimeErr::SqlxError(e.into())))?;
    Ok(rows.into_iter().map(QueryResult::from).collect())
}

/// As sea-orm reports a connection the pool could not give.
#[cfg(any(feature = "postgres", feature = "mysql"))]
fn acquire_failed(e: sea_orm::sqlx::Error) -> DbErr {
    use sea_orm::{sqlx::Error as E, ConnAcquireErr};
    match e {
        E::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        E::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        e => DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())),
    }
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
