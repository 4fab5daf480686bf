//! Which database to talk to, and connecting to it with errors that name the problem and the fix
//! without ever printing a password.

use std::time::Duration;

use makemigrations_core::Backend;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};

use crate::error::Error;

/// The embedded default: a SQLite file in the working directory, created on first use.
pub const DEFAULT_URL: &str = "sqlite://db.sqlite3?mode=rwc";

/// `DATABASE_URL` from the environment, or from `.env` in the working directory, or the default.
pub fn resolve_url(explicit: Option<String>) -> String {
    flag_or_env(explicit, "DATABASE_URL").unwrap_or_else(|| DEFAULT_URL.to_string())
}

/// The scratch database for MySQL: `--shadow-url`, else `SHADOW_DATABASE_URL` (environment or
/// `.env`), else none (the tool creates one).
pub fn resolve_shadow_url(explicit: Option<String>) -> Option<String> {
    flag_or_env(explicit, "SHADOW_DATABASE_URL")
}

/// The command-line value, else `var` from the environment or `.env`; empty counts as unset.
fn flag_or_env(explicit: Option<String>, var: &str) -> Option<String> {
    explicit.filter(|u| !u.is_empty()).or_else(|| {
        let _ = dotenvy::dotenv();
        std::env::var(var).ok().filter(|u| !u.is_empty())
    })
}

/// The URL with any password replaced by `***`, for messages.
pub fn redact(url: &str) -> String {
    match password_of(url) {
        Some(password) if !password.is_empty() => redact_in(url, url),
        _ => url.to_string(),
    }
}

/// The password in `scheme://user:password@host/...`, if there is one.
fn password_of(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    userinfo.split_once(':').map(|(_, password)| password)
}

pub fn backend_of_url(url: &str) -> Result<Backend, Error> {
    let scheme = url.split(':').next().unwrap_or_default();
    match scheme {
        "postgres" | "postgresql" => Ok(Backend::Postgres),
        "sqlite" => Ok(Backend::Sqlite),
        "mysql" | "mariadb" => Ok(Backend::MySql),
        _ => Err(Error::BadUrl {
            url: redact(url),
            reason: format!("unknown scheme `{scheme}`"),
        }),
    }
}

pub fn core_backend(backend: DbBackend) -> Backend {
    match backend {
        DbBackend::Postgres => Backend::Postgres,
        DbBackend::MySql => Backend::MySql,
        _ => Backend::Sqlite,
    }
}

/// Connects, or says why not and what to do. SQLite gets a single connection: migrations and the
/// table rebuild set per-connection pragmas, which must apply to every statement that follows.
pub async fn connect(url: &str) -> Result<DatabaseConnection, Error> {
    let backend = backend_of_url(url)?;
    let mut options = ConnectOptions::new(driver_url(url));
    options
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false);
    if backend == Backend::Sqlite {
        options.max_connections(1).min_connections(1);
    }
    let mut db = Database::connect(options)
        .await
        .map_err(|e| Error::Connect {
            url: redact(url),
            reason: redact_in(&e.to_string(), url),
        })?;
    if backend == Backend::MySql {
        db.set_metric_callback(crate::journal::record);
    }
    Ok(db)
}

/// The URL as the driver wants it: sqlx knows `mariadb://` only as `mysql://`.
pub fn driver_url(url: &str) -> String {
    match url.strip_prefix("mariadb://") {
        Some(rest) => format!("mysql://{rest}"),
        None => url.to_string(),
    }
}

/// Removes the password of `url` from a message (a driver may quote the URL).
pub(crate) fn redact_in(message: &str, url: &str) -> String {
    match password_of(url) {
        Some(p) if !p.is_empty() => message
            .replace(&format!(":{p}@"), ":***@")
            .replace(p, "***"),
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/shop"),
            "postgres://app:***@db:5432/shop"
        );
        assert_eq!(redact("postgres://app@db/shop"), "postgres://app@db/shop");
        assert_eq!(
            redact("sqlite://db.sqlite3?mode=rwc"),
            "sqlite://db.sqlite3?mode=rwc"
        );
        assert_eq!(
            redact_in("bad password s3cret", "postgres://a:s3cret@h/d"),
            "bad password ***"
        );
    }
}
