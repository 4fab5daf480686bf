//! `migrate --create-db`: creates the database that DATABASE_URL names when it is missing, as
//! `createdb` or `CREATE DATABASE` would, so that a new checkout or a CI job needs one command.
//! PostgreSQL is asked through its `postgres` maintenance database (else `template1`), MySQL
//! through a connection to the server without a database, and a SQLite file is created empty.

// The crate's one `Error` enum is large, as for every other module's plain functions.
#![allow(clippy::result_large_err)]

use std::time::Duration;

use makemigrations_core::Backend;
use sea_orm::{ConnectionTrait, DatabaseConnection, Value};

use crate::database::{self, DatabaseUrl};
use crate::error::Error;
use crate::introspect;

/// What `--create-db` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The database's name (a SQLite file's path).
    pub database: String,
    /// `false` when it was there already.
    pub created: bool,
    /// PostgreSQL: the schema the URL puts first on the `search_path` (`--database-schema`),
    /// when it was missing and has been created.
    pub created_schema: Option<String>,
}

/// Creates the database of `url` unless it exists. An in-memory SQLite database is always there.
pub async fn create_if_missing(url: &str, timeout: Duration) -> Result<Outcome, Error> {
    let parsed = DatabaseUrl::parse(url)?;
    match parsed.backend {
        Backend::Sqlite => create_sqlite_file(&parsed),
        Backend::Postgres => {
            let name = database_name(url, &parsed)?;
            let server = match connect_to_server(url, "postgres", timeout).await {
                Err(Error::MissingDatabase { .. }) => {
                    connect_to_server(url, "template1", timeout).await?
                }
                other => other?,
            };
            let exists = "SELECT 1 AS found FROM pg_database WHERE datname = $1";
            let quoted = format!("\"{}\"", name.replace('"', "\"\""));
            let mut outcome = create_unless_found(&server, &name, exists, &quoted).await?;
            if let Some(schema) = parsed.search_path() {
                outcome.created_schema = create_schema_if_missing(url, &schema, timeout).await?;
            }
            Ok(outcome)
        }
        Backend::MySql => {
            let name = database_name(url, &parsed)?;
            let server = connect_to_server(url, "", timeout).await?;
            let exists = "SELECT 1 AS found FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?";
            let quoted = format!("`{}`", name.replace('`', "``"));
            create_unless_found(&server, &name, exists, &quoted).await
        }
    }
}

fn database_name(url: &str, parsed: &DatabaseUrl) -> Result<String, Error> {
    parsed.database.clone().ok_or_else(|| Error::BadUrl {
        url: database::redact(url),
        reason: "it names no database to create (add `/name` after the host)".into(),
    })
}

/// PostgreSQL: creates `schema` in the database of `url` unless it is there; `Some` when it
/// was created.
async fn create_schema_if_missing(
    url: &str,
    schema: &str,
    timeout: Duration,
) -> Result<Option<String>, Error> {
    let schema = schema.to_string();
    let db = database::connect_within(url, timeout).await?;
    let exists = "SELECT 1 AS found FROM pg_namespace WHERE nspname = $1";
    let found = introspect::query(&db, exists, vec![Value::from(schema.as_str())]).await?;
    let mut created = None;
    if found.is_empty() {
        let quoted = format!("\"{}\"", schema.replace('"', "\"\""));
        if let Err(e) = db
            .execute_unprepared(&format!("CREATE SCHEMA {quoted}"))
            .await
        {
            let _ = db.close().await;
            return Err(Error::Refused(format!(
                "the schema `{schema}` is missing and could not be created: {}\n  fix: create it as a user who may (CREATE SCHEMA {quoted}), or give this user that right",
                database::hide_secrets(&e.to_string())
            )));
        }
        created = Some(schema);
    }
    let _ = db.close().await;
    Ok(created)
}

async fn create_unless_found(
    server: &DatabaseConnection,
    name: &str,
    exists_sql: &str,
    quoted: &str,
) -> Result<Outcome, Error> {
    let found = introspect::query(server, exists_sql, vec![Value::from(name)]).await?;
    let created = found.is_empty();
    if created {
        let result = server
            .execute_unprepared(&format!("CREATE DATABASE {quoted}"))
            .await;
        if let Err(e) = result {
            let _ = server.clone().close().await;
            return Err(Error::Refused(format!(
                "the database `{name}` is missing and could not be created: {}; nothing was changed\n  fix: create it as a user who may create databases (CREATE DATABASE {quoted}), or give this user that right",
                database::hide_secrets(&e.to_string())
            )));
        }
    }
    let _ = server.clone().close().await;
    Ok(Outcome {
        database: name.to_string(),
        created,
        created_schema: None,
    })
}

/// A connection to the server of `url`, to the database `maintenance` (empty: none).
async fn connect_to_server(
    url: &str,
    maintenance: &str,
    timeout: Duration,
) -> Result<DatabaseConnection, Error> {
    let mut server = url::Url::parse(&database::driver_url(url)).map_err(|e| Error::BadUrl {
        url: database::redact(url),
        reason: e.to_string(),
    })?;
    server.set_path(&format!("/{maintenance}"));
    let kept: Vec<(String, String)> = server
        .query_pairs()
        .filter(|(k, _)| k != "dbname")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        server.set_query(None);
    } else {
        server.query_pairs_mut().clear().extend_pairs(kept);
    }
    database::connect_within(server.as_str(), timeout).await
}

/// An empty file is an empty SQLite database; its directory must exist (as for the connection).
fn create_sqlite_file(parsed: &DatabaseUrl) -> Result<Outcome, Error> {
    let Some(file) = parsed.file.clone() else {
        return Ok(Outcome {
            database: ":memory:".into(),
            created: false,
            created_schema: None,
        });
    };
    let path = std::path::Path::new(&file);
    if path.exists() {
        return Ok(Outcome {
            database: file,
            created: false,
            created_schema: None,
        });
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Error::SqliteOpen {
            path: file.clone(),
            reason: format!("it cannot be created: {e}"),
            fix: "create its directory, or correct the path in DATABASE_URL (a relative path is relative to the working directory)".into(),
        })?;
    Ok(Outcome {
        database: file,
        created: true,
        created_schema: None,
    })
}
