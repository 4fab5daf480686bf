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
    redact_in(url, url)
}

/// Every spelling of a password that `url` carries: the one in `user:password@` (which may hold
/// `/` or `?`, and after `scheme:/` as well as `scheme://`), a `password=` query parameter, and
/// each of them percent-decoded, as a driver may quote it. Longest first, so that a password
/// that contains another is replaced whole.
fn passwords_of(url: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Some((_, rest)) = url.split_once(':') {
        let rest = rest.trim_start_matches('/');
        // The userinfo ends at the last `@`: a password may hold `/`, `?` or `#`.
        if let Some((userinfo, _)) = rest.rsplit_once('@') {
            if let Some((_, password)) = userinfo.split_once(':') {
                found.push(password.to_string());
            }
        }
    }
    if let Some((_, query)) = url.split_once('?') {
        for pair in query.split('&') {
            if let Some(value) = pair.strip_prefix("password=") {
                found.push(value.to_string());
            }
        }
    }
    let decoded: Vec<String> = found.iter().map(|p| percent_decoded(p)).collect();
    found.extend(decoded);
    found.retain(|p| !p.is_empty());
    found.sort_by_key(|p| std::cmp::Reverse(p.len()));
    found.dedup();
    found
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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

/// The backend as messages name it.
pub fn backend_label(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "PostgreSQL",
        DbBackend::MySql => "MySQL/MariaDB",
        _ => "SQLite",
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
    remember_secrets(url);
    let mut options = ConnectOptions::new(driver_url(url));
    options
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        // Every statement at debug level, slow ones too: printed by `-vv` (crate::verbose), and
        // nearly free otherwise (sqlx asks the subscriber first).
        .sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Debug)
        .sqlx_slow_statements_logging_settings(log::LevelFilter::Debug, Duration::from_secs(1));
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

/// Removes the password of `url` from a message (a driver may quote the URL), whatever the
/// shape of the URL.
pub(crate) fn redact_in(message: &str, url: &str) -> String {
    let mut message = message.to_string();
    for password in passwords_of(url) {
        message = message.replace(&password, "***");
    }
    message
}

/// The passwords of every URL this process connected with, for [`hide_secrets`].
static SECRETS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn remember_secrets(url: &str) {
    let mut secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    for password in passwords_of(url) {
        if !secrets.contains(&password) {
            secrets.push(password);
        }
    }
    secrets.sort_by_key(|p| std::cmp::Reverse(p.len()));
}

/// `text` without any password of a URL this process connected with: for what is written
/// where the URL is not at hand (the log table, the `-v` trace).
pub fn hide_secrets(text: &str) -> String {
    let secrets = SECRETS.lock().unwrap_or_else(|e| e.into_inner());
    let mut text = text.to_string();
    for password in secrets.iter() {
        text = text.replace(password.as_str(), "***");
    }
    text
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
        // The shapes that leaked: `/` or `?` in the password, a `password=` parameter, one slash,
        // a percent-encoded password quoted decoded.
        for (url, secret) in [
            ("postgres://app:pa/ss@db/shop", "pa/ss"),
            ("postgres://app:pa?ss@db/shop", "pa?ss"),
            (
                "postgres://app@db/shop?password=s3cret&sslmode=off",
                "s3cret",
            ),
            ("postgres:/app:s3cret@db/shop", "s3cret"),
            ("mysql://app:p%40ss@db/shop", "p@ss"),
        ] {
            let shown = redact(url);
            assert!(!shown.contains(secret), "{url} shown as {shown}");
            assert!(shown.contains("***"), "{url} shown as {shown}");
            let message = redact_in(&format!("error with {secret} in {url}"), url);
            assert!(!message.contains(secret), "{message}");
        }
    }
}
