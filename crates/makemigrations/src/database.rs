//! Which database to talk to, and connecting to it with errors that name the problem and the fix
//! without ever printing a password.

use std::time::Duration;

use makemigrations_core::Backend;
use sea_orm::sqlx::Connection;
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};

use crate::error::Error;

/// The embedded default: a SQLite file in the working directory, created on first use.
pub const DEFAULT_URL: &str = "sqlite://db.sqlite3?mode=rwc";
/// The file of [`DEFAULT_URL`].
pub const DEFAULT_FILE: &str = "db.sqlite3";
/// How long connecting may take before the server counts as unreachable (`--connect-timeout`).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The database a command works on, and where its URL came from (for the line that says which
/// database a command changes, and for the errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub url: String,
    pub source: UrlSource,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlSource {
    /// `--database-url`.
    Flag,
    /// `DATABASE_URL` in the environment.
    Environment,
    /// `DATABASE_URL` in this `.env` file.
    DotEnv(String),
    /// Nothing set: the embedded SQLite file.
    Default,
}

impl Target {
    /// The database as a person should see it, password hidden: `postgres://app:***@db/shop`,
    /// or `SQLite file db.sqlite3 (DATABASE_URL is not set)`.
    pub fn describe(&self) -> String {
        match (sqlite_file(&self.url), &self.source) {
            (Some(file), UrlSource::Default) => {
                format!("SQLite file {file} (DATABASE_URL is not set)")
            }
            (Some(file), _) => format!("SQLite file {file}"),
            (None, _) => redact(&self.url),
        }
    }
}

/// The database URL: `--database-url`, else `DATABASE_URL` from the environment, else from the
/// `.env` file, else the embedded SQLite file. Set but empty is an error, never the default:
/// whoever set it meant a database. Loads `.env` (see [`load_dotenv`]).
pub fn resolve(explicit: Option<String>) -> Result<Target, Error> {
    let in_environment = std::env::var_os("DATABASE_URL").is_some();
    let dotenv = load_dotenv()?;
    if let Some(url) = explicit {
        if url.trim().is_empty() {
            return Err(Error::EmptyUrl {
                origin: "--database-url".into(),
            });
        }
        return Ok(Target {
            url,
            source: UrlSource::Flag,
        });
    }
    let source = match (in_environment, dotenv) {
        (true, _) => UrlSource::Environment,
        (false, Some(path)) => UrlSource::DotEnv(path),
        (false, None) => UrlSource::Default,
    };
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.trim().is_empty() => Err(Error::EmptyUrl {
            origin: match &source {
                UrlSource::DotEnv(path) => format!("DATABASE_URL in {path}"),
                _ => "DATABASE_URL in the environment".into(),
            },
        }),
        Ok(url) => Ok(Target { url, source }),
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::BadUrl {
            url: "DATABASE_URL".into(),
            reason: "it is not valid UTF-8".into(),
        }),
        Err(std::env::VarError::NotPresent) => Ok(Target {
            url: DEFAULT_URL.to_string(),
            source: UrlSource::Default,
        }),
    }
}

/// Loads the `.env` file of the working directory (or of the nearest directory above it that
/// has one, as dotenvy looks for it) into the environment, without overriding what is set there.
/// Returns the file as shown to the user, when there is one; a file that cannot be read or
/// parsed is an error naming it and the line (never its text, which may hold a password).
pub fn load_dotenv() -> Result<Option<String>, Error> {
    let Some(path) = find_dotenv() else {
        return Ok(None);
    };
    let shown = crate::shown_path(&path);
    match dotenvy::from_path(&path) {
        Ok(()) => Ok(Some(shown)),
        Err(dotenvy::Error::LineParse(line, at)) => {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let first = line.lines().next().unwrap_or_default().trim_end();
            let number = text
                .lines()
                .position(|l| l.trim_end() == first)
                .map_or(String::new(), |i| format!("line {}, ", i + 1));
            Err(Error::BadDotenv {
                path: shown,
                reason: format!("{number}character {}: not a `NAME=value` line", at + 1),
            })
        }
        Err(dotenvy::Error::Io(e)) => Err(Error::BadDotenv {
            path: shown,
            reason: e.to_string(),
        }),
        Err(e) => Err(Error::BadDotenv {
            path: shown,
            reason: e.to_string(),
        }),
    }
}

fn find_dotenv() -> Option<std::path::PathBuf> {
    let mut dir = std::env::current_dir().ok()?;
    loop {
        let candidate = dir.join(".env");
        if candidate.is_file() {
            return Some(candidate);
        }
        if !dir.pop() {
            return None;
        }
    }
}

/// The scratch database for MySQL: `--shadow-url`, else `SHADOW_DATABASE_URL` (environment or
/// `.env`, loaded by [`resolve`]), else none (the tool creates one).
pub fn resolve_shadow_url(explicit: Option<String>) -> Option<String> {
    explicit.filter(|u| !u.is_empty()).or_else(|| {
        std::env::var("SHADOW_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
    })
}

/// The file of a SQLite URL (`sqlite://shop.db?mode=rwc` is `shop.db`); `None` for another
/// backend or an in-memory database.
pub fn sqlite_file(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let file = rest.split('?').next().unwrap_or_default();
    let in_memory = file.is_empty() || file == ":memory:" || rest.contains("mode=memory");
    (!in_memory).then(|| percent_decoded(file))
}

/// The URL with any password replaced by `***`, for messages: the one in `user:password@` and a
/// `password=` parameter, replaced where they stand (a short password is not also replaced
/// inside the scheme or the host).
pub fn redact(url: &str) -> String {
    let (head, rest) = match url.split_once(':') {
        Some((scheme, rest)) => {
            let slashes = rest.len() - rest.trim_start_matches('/').len();
            let slashes = slashes.min(2);
            (format!("{scheme}:{}", &rest[..slashes]), &rest[slashes..])
        }
        None => (String::new(), url),
    };
    // The userinfo ends at the last `@`: a password may hold `/`, `?` or `#`.
    let (userinfo, location) = match rest.rsplit_once('@') {
        Some((userinfo, location)) => (Some(userinfo), location),
        None => (None, rest),
    };
    let mut shown = head;
    if let Some(userinfo) = userinfo {
        match userinfo.split_once(':') {
            Some((user, _)) => shown.push_str(&format!("{user}:***@")),
            None => shown.push_str(&format!("{userinfo}@")),
        }
    }
    match location.split_once('?') {
        Some((path, query)) => {
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some(("password", _)) => "password=***".to_string(),
                    _ => pair.to_string(),
                })
                .collect();
            shown.push_str(&format!("{path}?{}", pairs.join("&")));
        }
        None => shown.push_str(location),
    }
    shown
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

/// The backend a URL names, or why the URL is not one: no scheme, an unknown scheme, or a server
/// URL without `//` (`postgres:/app@db/shop` would reach another host than meant).
pub fn backend_of_url(url: &str) -> Result<Backend, Error> {
    let bad = |reason: String| Error::BadUrl {
        url: redact(url),
        reason,
    };
    let Some((scheme, rest)) = url.split_once(':') else {
        return Err(bad(
            "it has no scheme: a database URL starts with postgres://, mysql:// or sqlite://"
                .into(),
        ));
    };
    let backend = match scheme {
        "postgres" | "postgresql" => Backend::Postgres,
        "sqlite" => Backend::Sqlite,
        "mysql" | "mariadb" => Backend::MySql,
        _ => return Err(bad(format!("unknown scheme `{scheme}`"))),
    };
    if backend != Backend::Sqlite && !rest.starts_with("//") {
        return Err(bad(format!(
            "`{scheme}:` must be followed by `//` and the host"
        )));
    }
    // A Unix socket (`?host=/run/postgresql`, `?socket=...`) needs no host.
    let socket = url.contains("?host=")
        || url.contains("&host=")
        || url.contains("?socket=")
        || url.contains("&socket=");
    if backend != Backend::Sqlite && host_of(url).is_empty() && !socket {
        return Err(bad("it names no host".into()));
    }
    Ok(backend)
}

/// The authority of a server URL after the user part: `db:5432` of `postgres://a:b@db:5432/x`.
/// The user part ends at the last `@` (a password may hold `/`, `?` or `#`).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or("", |(_, rest)| rest);
    let after_user = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    after_user.split(['/', '?']).next().unwrap_or_default()
}

/// The database a server URL names (`shop` of `postgres://db:5432/shop?sslmode=off`).
fn database_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let after_user = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let path = after_user.split_once('/')?.1;
    let name = path.split('?').next().unwrap_or_default();
    (!name.is_empty()).then(|| percent_decoded(name))
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

/// Connects, or says why not and what to do, within [`DEFAULT_CONNECT_TIMEOUT`].
pub async fn connect(url: &str) -> Result<DatabaseConnection, Error> {
    connect_within(url, DEFAULT_CONNECT_TIMEOUT).await
}

/// Connects, or says why not and what to do: an unreachable server is answered after `timeout`
/// (the pool would otherwise retry a refused connection for its whole acquire timeout), and the
/// error names the problem (authentication, a missing database, no server, a SQLite file that
/// cannot be opened). SQLite gets a single connection: migrations and the table rebuild set
/// per-connection pragmas, which must apply to every statement that follows.
pub async fn connect_within(url: &str, timeout: Duration) -> Result<DatabaseConnection, Error> {
    let backend = backend_of_url(url)?;
    remember_secrets(url);
    let mut options = ConnectOptions::new(driver_url(url));
    options
        .connect_timeout(timeout)
        .acquire_timeout(Duration::from_secs(30))
        // Every statement at debug level, slow ones too: printed by `-vv` (crate::verbose), and
        // heard by the journal of a MySQL migration (crate::journal), `execute_unprepared` too.
        .sqlx_logging(true)
        .sqlx_logging_level(log::LevelFilter::Debug)
        .sqlx_slow_statements_logging_settings(log::LevelFilter::Debug, Duration::from_secs(1));
    if backend == Backend::Sqlite {
        options.max_connections(1).min_connections(1);
    }
    if refused_at_once(url, backend, timeout).await {
        return Err(Error::Unreachable {
            url: redact(url),
            reason: format!(
                "connection refused at {} (no server listens there)",
                host_of(url)
            ),
        });
    }
    let connected = tokio::time::timeout(timeout, Database::connect(options)).await;
    let mut db = match connected {
        Ok(Ok(db)) => db,
        Ok(Err(e)) => return Err(connect_error(url, &e, timeout).await),
        Err(_) => return Err(no_answer(url, timeout).await),
    };
    if backend == Backend::MySql {
        db.set_metric_callback(crate::journal::record);
    }
    Ok(db)
}

/// Whether the server's port refuses a TCP connection right away: the pool would retry that
/// silently until its timeout. Anything else (a socket URL, a name that does not resolve, no
/// answer) is left to the driver, whose error says more.
async fn refused_at_once(url: &str, backend: Backend, timeout: Duration) -> bool {
    let host = host_of(url);
    if backend == Backend::Sqlite || host.is_empty() || host.contains(',') {
        return false;
    }
    let default_port = if backend == Backend::MySql {
        3306
    } else {
        5432
    };
    let address = match host.rsplit_once(':') {
        Some((name, port)) if !port.contains(']') => match port.parse::<u16>() {
            Ok(port) => (name.trim_matches(['[', ']']).to_string(), port),
            Err(_) => return false,
        },
        _ => (host.trim_matches(['[', ']']).to_string(), default_port),
    };
    let address = (percent_decoded(&address.0), address.1);
    matches!(
        tokio::time::timeout(timeout, tokio::net::TcpStream::connect(address)).await,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused
    )
}

/// The pool gave no connection within `timeout`: it retries a refused connection silently, so
/// one more attempt, alone, says whether the server refused or did not answer at all.
async fn no_answer(url: &str, timeout: Duration) -> Error {
    let waited = format!("no answer within {} s", timeout.as_secs_f64());
    let attempt = async {
        match backend_of_url(url) {
            Ok(Backend::Postgres) => sea_orm::sqlx::PgConnection::connect(&driver_url(url))
                .await
                .map(|_| ()),
            Ok(Backend::MySql) => sea_orm::sqlx::MySqlConnection::connect(&driver_url(url))
                .await
                .map(|_| ()),
            _ => Ok(()),
        }
    };
    match tokio::time::timeout(Duration::from_secs(1), attempt).await {
        Ok(Err(e)) => classify(url, &e).unwrap_or_else(|| Error::Unreachable {
            url: redact(url),
            reason: redact_in(&e.to_string(), url),
        }),
        _ => Error::Unreachable {
            url: redact(url),
            reason: waited,
        },
    }
}

async fn connect_error(url: &str, error: &sea_orm::DbErr, timeout: Duration) -> Error {
    use sea_orm::{error::ConnAcquireErr, DbErr, RuntimeErr};
    match error {
        DbErr::Conn(RuntimeErr::SqlxError(e)) => {
            if let Some(error) = classify(url, e) {
                return error;
            }
        }
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) => return no_answer(url, timeout).await,
        // sea-orm's own parse of the URL.
        DbErr::Conn(RuntimeErr::Internal(message)) if message.contains("cannot be parsed") => {
            return Error::BadUrl {
                url: redact(url),
                reason: "it cannot be parsed as a URL".into(),
            }
        }
        _ => {}
    }
    match sqlite_file(url) {
        Some(file) => sqlite_open_error(&file, &redact_in(&error.to_string(), url)),
        None => Error::Connect {
            url: redact(url),
            reason: redact_in(&error.to_string(), url),
        },
    }
}

/// What a driver error at connection time means to the user, when it is one of the known kinds.
pub(crate) fn classify(url: &str, error: &sea_orm::sqlx::Error) -> Option<Error> {
    use sea_orm::sqlx::Error as E;
    let reason = || redact_in(&error.to_string(), url);
    match error {
        E::Configuration(_) => Some(Error::BadUrl {
            url: redact(url),
            reason: reason(),
        }),
        E::PoolTimedOut => None,
        E::Io(io) => Some(match sqlite_file(url) {
            Some(file) => sqlite_open_error(&file, &io.to_string()),
            None => Error::Unreachable {
                url: redact(url),
                reason: match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => format!(
                        "connection refused at {} (no server listens there)",
                        host_of(url)
                    ),
                    _ if io.to_string().contains("lookup address") => format!(
                        "the host name in {} is not known (it does not resolve)",
                        host_of(url)
                    ),
                    _ => reason(),
                },
            },
        }),
        E::Database(db) => {
            if let Some(file) = sqlite_file(url) {
                return Some(sqlite_open_error(&file, db.message()));
            }
            let kind = connect_failure_kind(
                db.code().as_deref(),
                db.try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>()
                    .map(|e| e.number()),
            )?;
            Some(match kind {
                ConnectFailure::Authentication => Error::AuthFailed {
                    url: redact(url),
                    reason: reason(),
                },
                ConnectFailure::MissingDatabase => {
                    let database = database_of(url).unwrap_or_default();
                    Error::MissingDatabase {
                        url: redact(url),
                        create: match backend_of_url(url) {
                            Ok(Backend::MySql) => {
                                format!("CREATE DATABASE `{}`", database.replace('`', "``"))
                            }
                            _ => format!("CREATE DATABASE \"{}\"", database.replace('"', "\"\"")),
                        },
                        database,
                    }
                }
            })
        }
        _ => None,
    }
}

/// A database error that says the user may not write (PostgreSQL 42501, MySQL's "command
/// denied" numbers, SQLite's read-only database) becomes [`Error::NoPermission`]; any other
/// error is returned as it is.
pub fn explain_permission(error: Error) -> Error {
    use sea_orm::{DbErr, RuntimeErr};
    // Also a migration whose first write is refused: the user, not the migration, is wrong.
    let source = match &error {
        Error::Db(source) | Error::MigrationFailed { source, .. } => source,
        Error::MigrationFailedOnMySql { source, ran, .. } if ran.is_empty() => source,
        _ => return error,
    };
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = source
    else {
        return error;
    };
    let sea_orm::sqlx::Error::Database(db) = &**e else {
        return error;
    };
    let code = db.code().unwrap_or_default();
    let denied =
        if let Some(mysql) = db.try_downcast_ref::<sea_orm::sqlx::mysql::MySqlDatabaseError>() {
            matches!(mysql.number(), 1044 | 1142 | 1143 | 1227 | 1370)
        } else if db
            .try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
            .is_some()
        {
            // SQLITE_READONLY and its extended codes (8 + 256 * n).
            code.parse::<u32>().is_ok_and(|c| c & 0xff == 8)
        } else {
            code == "42501"
        };
    if !denied {
        return error;
    }
    Error::NoPermission {
        reason: db.message().to_string(),
    }
}

/// The kinds of refusal at connection time that get a message of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnectFailure {
    /// Wrong password, unknown user, a user not allowed to log in.
    Authentication,
    MissingDatabase,
}

/// From the server's error: the SQLSTATE (PostgreSQL: class 28 is authentication, 3D000 an
/// unknown database) or MySQL's error number (1045 and 1698 access denied, 1044 access denied
/// to the database, 1049 unknown database).
pub(crate) fn connect_failure_kind(
    sqlstate: Option<&str>,
    mysql_number: Option<u16>,
) -> Option<ConnectFailure> {
    match (mysql_number, sqlstate) {
        (Some(1045 | 1044 | 1698), _) => Some(ConnectFailure::Authentication),
        (Some(1049), _) => Some(ConnectFailure::MissingDatabase),
        (Some(_), _) => None,
        (None, Some(state)) if state.starts_with("28") => Some(ConnectFailure::Authentication),
        (None, Some("3D000")) => Some(ConnectFailure::MissingDatabase),
        _ => None,
    }
}

/// A SQLite file that cannot be opened, with the reason read from the file system where the
/// driver's is vague (`unable to open database file`).
fn sqlite_open_error(file: &str, driver_reason: &str) -> Error {
    let path = std::path::Path::new(file);
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let (reason, fix) = if !parent.is_dir() {
        (
            format!("the directory {} does not exist", parent.display()),
            "create the directory, or correct the path in DATABASE_URL (a relative path is relative to the working directory)".to_string(),
        )
    } else if path.is_dir() {
        (
            "it is a directory".to_string(),
            "give the path of a database file in DATABASE_URL".to_string(),
        )
    } else if !path.exists() {
        (
            "the file does not exist, and the URL does not let it be created".to_string(),
            "add `?mode=rwc` to the URL to create it, or correct the path".to_string(),
        )
    } else if let Err(e) = std::fs::OpenOptions::new().read(true).open(path) {
        (
            e.to_string(),
            "give the user running the command access to the file and its directory".to_string(),
        )
    } else if driver_reason.contains("not a database") {
        (
            "the file is not a SQLite database".to_string(),
            "point DATABASE_URL at the SQLite database file (this one holds something else)"
                .to_string(),
        )
    } else {
        (
            driver_reason.to_string(),
            "check the file's permissions and that it is a SQLite database".to_string(),
        )
    };
    Error::SqliteOpen {
        path: file.to_string(),
        reason,
        fix,
    }
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

    #[test]
    fn redacts_in_place_not_by_likeness() {
        // A one-letter password is hidden where it stands, not in the scheme or the host.
        assert_eq!(redact("mongodb://a:b@h/d"), "mongodb://a:***@h/d");
        assert_eq!(
            redact("postgres://app:p@ss/w?rd@db:5432/shop?sslmode=off&password=x"),
            "postgres://app:***@db:5432/shop?sslmode=off&password=***"
        );
        assert_eq!(
            redact("postgres://app:s#3@db/shop"),
            "postgres://app:***@db/shop"
        );
        assert_eq!(redact("nonsense"), "nonsense");
    }

    #[test]
    fn server_errors_at_login_are_named() {
        use ConnectFailure::*;
        // PostgreSQL: 28P01 wrong password, 28000 a role that may not log in (or none).
        assert_eq!(
            connect_failure_kind(Some("28P01"), None),
            Some(Authentication)
        );
        assert_eq!(
            connect_failure_kind(Some("28000"), None),
            Some(Authentication)
        );
        assert_eq!(
            connect_failure_kind(Some("3D000"), None),
            Some(MissingDatabase)
        );
        assert_eq!(connect_failure_kind(Some("53300"), None), None);
        // MySQL/MariaDB by error number (their SQLSTATE 42000 covers syntax errors too).
        assert_eq!(
            connect_failure_kind(Some("28000"), Some(1045)),
            Some(Authentication)
        );
        assert_eq!(
            connect_failure_kind(Some("42000"), Some(1044)),
            Some(Authentication)
        );
        assert_eq!(
            connect_failure_kind(Some("42000"), Some(1049)),
            Some(MissingDatabase)
        );
        assert_eq!(connect_failure_kind(Some("HY000"), Some(1040)), None);
    }

    #[test]
    fn urls_are_checked_before_connecting() {
        assert_eq!(
            backend_of_url("postgresql://db/shop").unwrap(),
            Backend::Postgres
        );
        assert_eq!(backend_of_url("mariadb://db/shop").unwrap(), Backend::MySql);
        assert_eq!(backend_of_url("sqlite::memory:").unwrap(), Backend::Sqlite);
        for (url, reason) in [
            ("db.sqlite3", "no scheme"),
            ("redis://h/0", "unknown scheme `redis`"),
            ("postgres:/app:s3cret@db/shop", "must be followed by `//`"),
            ("mysql:///shop", "names no host"),
        ] {
            let error = backend_of_url(url).unwrap_err().to_string();
            assert!(error.contains(reason), "{url}: {error}");
            assert!(!error.contains("s3cret"), "{error}");
        }
        assert_eq!(
            database_of("postgres://a:b/c@db:5432/my%20shop?x=1").as_deref(),
            Some("my shop")
        );
        assert_eq!(database_of("postgres://db:5432"), None);
        // A Unix socket needs no host.
        assert!(backend_of_url("postgres:///shop?host=/run/postgresql").is_ok());
        assert!(backend_of_url("mysql://app@/shop?socket=/run/mysqld/mysqld.sock").is_ok());
    }

    #[test]
    fn sqlite_files_and_what_is_shown() {
        assert_eq!(sqlite_file(DEFAULT_URL).as_deref(), Some("db.sqlite3"));
        assert_eq!(
            sqlite_file("sqlite:/tmp/a.db").as_deref(),
            Some("/tmp/a.db")
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("sqlite://x.db?mode=memory"), None);
        assert_eq!(sqlite_file("postgres://db/x"), None);
        let default = Target {
            url: DEFAULT_URL.into(),
            source: UrlSource::Default,
        };
        assert_eq!(
            default.describe(),
            "SQLite file db.sqlite3 (DATABASE_URL is not set)"
        );
        let server = Target {
            url: "postgres://app:s3cret@db:5432/app".into(),
            source: UrlSource::Environment,
        };
        assert_eq!(server.describe(), "postgres://app:***@db:5432/app");
    }
}
