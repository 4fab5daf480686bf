//! Which database to talk to, and connecting to it with errors that name the problem and the fix
//! without ever printing a password.

// The crate's one `Error` enum is large (a failed MySQL migration carries its statements), as
// for every other module's plain functions.
#![allow(clippy::result_large_err)]

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

/// `--database-schema` (or `DATABASE_SCHEMA`, read after `.env` is loaded), as sea-orm-cli has
/// it: PostgreSQL's schema to work in, made the connection's `search_path` by adding
/// `options=-c search_path=SCHEMA` to the URL. Every connection, backup and scratch build then
/// sees the same schema as the URL says, with nothing else to pass on. Only plain lower-case
/// names are taken: anything else needs quoting that the options parameter cannot carry.
pub fn with_schema(target: Target, flag: Option<String>) -> Result<Target, Error> {
    let from_flag = flag.is_some();
    let schema = match flag {
        Some(schema) => schema,
        None => match std::env::var("DATABASE_SCHEMA") {
            Ok(schema) if !schema.trim().is_empty() => schema,
            _ => return Ok(target),
        },
    };
    let refuse = |problem: String, fix: String| Error::DatabaseSchema {
        schema: schema.clone(),
        problem,
        fix,
    };
    let parsed = DatabaseUrl::parse(&target.url)?;
    // DATABASE_SCHEMA is PostgreSQL's, as for sea-orm-cli: a `.env` that sets it for a project
    // on MySQL or SQLite keeps working. Given as a flag there, it is refused below.
    if !from_flag && parsed.backend != Backend::Postgres {
        return Ok(target);
    }
    match parsed.backend {
        Backend::Postgres => {}
        Backend::MySql => {
            return Err(refuse(
                "MySQL/MariaDB has no schemas inside a database".into(),
                format!("name the database in the URL instead (mysql://user@host:3306/{schema})"),
            ))
        }
        Backend::Sqlite => {
            return Err(refuse(
                "SQLite has no schemas".into(),
                "leave --database-schema and DATABASE_SCHEMA unset for SQLite".into(),
            ))
        }
    }
    let plain = schema
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !plain {
        return Err(refuse(
            "only a plain lower-case name (letters, digits, `_`) can be passed this way".into(),
            "rename the schema, or set the search path in DATABASE_URL yourself (`?options=-c%20search_path%3D...`)".into(),
        ));
    }
    if parsed.search_path().is_some() {
        return Err(refuse(
            "DATABASE_URL sets a search_path of its own".into(),
            "give the schema in one place: --database-schema or the URL's options".into(),
        ));
    }
    Ok(Target {
        url: with_param(&target.url, &format!("options=-c%20search_path%3D{schema}")),
        source: target.source,
    })
}

/// PostgreSQL: refuses a connection whose URL puts a schema on the `search_path` that does not
/// exist (a `--database-schema` not created yet): every table would otherwise fail to be
/// created, or be read as missing, with a message about something else. A URL that names no
/// schema costs no query here.
pub async fn require_schema(db: &DatabaseConnection, url: &str) -> Result<(), Error> {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres
        || DatabaseUrl::parse(url)?.search_path().is_none()
    {
        return Ok(());
    }
    if crate::introspect::scalar(db, "SELECT current_schema()::text")
        .await?
        .is_some()
    {
        return Ok(());
    }
    let path = crate::introspect::scalar(db, "SELECT current_setting('search_path')")
        .await?
        .unwrap_or_default();
    let schema = path.trim_matches('"').to_string();
    Err(Error::DatabaseSchema {
        problem: "this database has no such schema".into(),
        fix: format!("create it first (`CREATE SCHEMA {path};`), or name a schema that exists"),
        schema,
    })
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

/// A database URL taken apart once, as the driver reads it: the backend, where the server
/// listens (host and port, or a Unix socket), the login, the database and the query parameters.
/// Server URLs are parsed by the `url` crate, as sqlx parses them; a SQLite URL is a file path
/// with parameters, read as sqlx-sqlite reads it. Every value is percent-decoded.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    pub backend: Backend,
    /// The host name or address (an IPv6 address without its brackets).
    pub host: Option<String>,
    pub port: Option<u16>,
    /// A Unix socket instead of TCP: MySQL's `?socket=` file, or PostgreSQL's socket directory
    /// (`?host=/run/postgresql`, or a percent-encoded path as the host).
    pub socket: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    /// The database of a server URL.
    pub database: Option<String>,
    /// SQLite's file; `None` for an in-memory database.
    pub file: Option<String>,
    /// The query parameters in their order (when one is repeated, the last counts, as for sqlx).
    pub params: Vec<(String, String)>,
}

/// Without the password (in `password` or a `password` parameter), so that a `{:?}` in a log or
/// a panic never shows it.
impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |value: &String| {
            if value.is_empty() {
                String::new()
            } else {
                "***".to_string()
            }
        };
        let params: Vec<(String, String)> = self
            .params
            .iter()
            .map(|(k, v)| {
                let shown = if k.eq_ignore_ascii_case("password") {
                    hidden(v)
                } else {
                    v.clone()
                };
                (k.clone(), shown)
            })
            .collect();
        f.debug_struct("DatabaseUrl")
            .field("backend", &self.backend)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("socket", &self.socket)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(hidden))
            .field("database", &self.database)
            .field("file", &self.file)
            .field("params", &params)
            .finish()
    }
}

impl DatabaseUrl {
    /// PostgreSQL: the first schema the URL's `options` put on the `search_path`
    /// (`options=-c search_path=shop`, which `--database-schema` writes), if any, unquoted;
    /// `$user`, a placeholder rather than a schema's name, is passed over.
    pub fn search_path(&self) -> Option<String> {
        self.params
            .iter()
            .filter(|(key, _)| key.starts_with("options"))
            .find_map(|(_, value)| value.split("search_path=").nth(1))
            .and_then(|rest| {
                rest.split(' ')
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(|entry| entry.trim().trim_matches('"'))
                    .find(|entry| !entry.is_empty() && !entry.starts_with('$'))
                    .map(str::to_string)
            })
    }

    /// Takes `url` apart, or says why it names no database: no scheme, an unknown scheme, a
    /// server URL without `//` (`postgres:/app@db/shop` would reach another host than meant) or
    /// without a host, or one that does not parse.
    pub fn parse(url: &str) -> Result<DatabaseUrl, Error> {
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
            "sqlite" => return Ok(DatabaseUrl::sqlite(rest)),
            "mysql" | "mariadb" => Backend::MySql,
            _ => return Err(bad(format!("unknown scheme `{scheme}`"))),
        };
        if !rest.starts_with("//") {
            return Err(bad(format!(
                "`{scheme}:` must be followed by `//` and the host"
            )));
        }
        let (parsed, placeholder) = parse_server_url(url).map_err(|e| {
            let unencoded = written(url)
                .userinfo
                .is_some_and(|userinfo| userinfo.contains(['/', '?', '#']));
            bad(if unencoded {
                format!("it cannot be parsed as a URL ({e}): the user name or password holds a `/`, `?` or `#` as it is")
            } else {
                format!("it cannot be parsed as a URL ({e})")
            })
        })?;
        let mut parts = DatabaseUrl {
            backend,
            host: None,
            port: parsed.port(),
            socket: None,
            user: Some(decoded(parsed.username())).filter(|u| !u.is_empty()),
            password: parsed.password().map(decoded),
            database: Some(decoded(parsed.path().trim_start_matches('/')))
                .filter(|d| !d.is_empty()),
            file: None,
            params: parsed.query_pairs().into_owned().collect(),
        };
        if let Some(host) = parsed.host_str().map(decoded).filter(|h| !h.is_empty()) {
            if !placeholder {
                parts.set_host(host);
            }
        }
        // The parameters sqlx takes in place of the URL's parts, in their order.
        for (key, value) in parts.params.clone() {
            match (backend, key.as_str()) {
                (Backend::Postgres, "host" | "hostaddr") => parts.set_host(value),
                (Backend::Postgres, "port") => parts.port = value.parse().ok().or(parts.port),
                (Backend::Postgres, "user") => parts.user = Some(value),
                (Backend::Postgres, "password") => parts.password = Some(value),
                (Backend::Postgres, "dbname") => parts.database = Some(value),
                (Backend::MySql, "socket") => parts.socket = Some(value),
                _ => {}
            }
        }
        if parts.host.is_none() && parts.socket.is_none() {
            return Err(bad("it names no host".into()));
        }
        Ok(parts)
    }

    /// `sqlite:` followed by `rest`: `//file`, `file`, `///absolute/file` or `:memory:`, then
    /// the parameters.
    fn sqlite(rest: &str) -> DatabaseUrl {
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let in_memory = path.is_empty()
            || path == ":memory:"
            || params.iter().any(|(k, v)| k == "mode" && v == "memory");
        DatabaseUrl {
            backend: Backend::Sqlite,
            host: None,
            port: None,
            socket: None,
            user: None,
            password: None,
            database: None,
            file: (!in_memory).then(|| decoded(path)),
            params,
        }
    }

    /// PostgreSQL reads a host that is a path as the directory of a Unix socket.
    fn set_host(&mut self, host: String) {
        if self.backend == Backend::Postgres && host.starts_with('/') {
            self.socket = Some(host);
            self.host = None;
        } else {
            self.host = Some(
                host.trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string(),
            );
            if self.backend == Backend::Postgres {
                self.socket = None;
            }
        }
    }

    /// The value of the last parameter named one of `names` (sqlx takes several spellings).
    pub fn param(&self, names: &[&str]) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(key, _)| names.contains(&key.as_str()))
            .map(|(_, value)| value.as_str())
    }

    /// The server's port: the URL's, else the backend's default.
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(match self.backend {
            Backend::MySql => 3306,
            _ => 5432,
        })
    }

    /// Where the server is, for messages: the socket, or `host:port` as the URL gives them.
    pub fn address(&self) -> String {
        match (&self.socket, &self.host, self.port) {
            (Some(socket), _, _) => socket.clone(),
            (None, Some(host), Some(port)) if host.contains(':') => format!("[{host}]:{port}"),
            (None, Some(host), Some(port)) => format!("{host}:{port}"),
            (None, Some(host), None) => host.clone(),
            (None, None, _) => String::new(),
        }
    }
}

/// A server URL parsed as sqlx parses it, and whether `localhost` had to stand in for the
/// missing host of a socket URL (see [`socket_url_with_host`]).
fn parse_server_url(url: &str) -> Result<(url::Url, bool), url::ParseError> {
    match url::Url::parse(url) {
        Err(url::ParseError::EmptyHost) => {
            let with_host = socket_url_with_host(url).ok_or(url::ParseError::EmptyHost)?;
            Ok((url::Url::parse(&with_host)?, true))
        }
        parsed => parsed.map(|p| (p, false)),
    }
}

/// `mysql://app@/shop?socket=...`: the url crate, and so sqlx, wants a host after `user@`, which a
/// socket URL does not need; `localhost` stands in for it (sqlx then takes the socket
/// parameter). `None` when the URL has no user part or names a host.
fn socket_url_with_host(url: &str) -> Option<String> {
    let parts = written(url);
    let userinfo = parts.userinfo?;
    let no_host = parts.location.is_empty() || parts.location.starts_with(['/', '?']);
    no_host.then(|| format!("{}{userinfo}@localhost{}", parts.head, parts.location))
}

fn decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// The file of a SQLite URL (`sqlite://shop.db?mode=rwc` is `shop.db`); `None` for another
/// backend or an in-memory database.
pub fn sqlite_file(url: &str) -> Option<String> {
    DatabaseUrl::parse(url)
        .ok()
        .filter(|u| u.backend == Backend::Sqlite)?
        .file
}

/// A URL cut where it is written, without parsing it: what redaction works on, so that a URL
/// too broken to parse (a `/`, `?` or `#` written as it is in the password) is still shown
/// without its password.
struct Written<'a> {
    /// `scheme:` and at most two slashes.
    head: &'a str,
    /// What stands before the last `@`: a password may hold `/`, `?`, `#` or `@`.
    userinfo: Option<&'a str>,
    /// Host, path and query.
    location: &'a str,
}

fn written(url: &str) -> Written<'_> {
    let head_length = match url.split_once(':') {
        Some((scheme, rest)) => {
            let slashes = (rest.len() - rest.trim_start_matches('/').len()).min(2);
            scheme.len() + 1 + slashes
        }
        None => 0,
    };
    let (head, rest) = url.split_at(head_length);
    match rest.rsplit_once('@') {
        Some((userinfo, location)) => Written {
            head,
            userinfo: Some(userinfo),
            location,
        },
        None => Written {
            head,
            userinfo: None,
            location: rest,
        },
    }
}

/// The URL with any password replaced by `***`, for messages: the one in `user:password@` and a
/// `password=` parameter, replaced where they stand (a short password is not also replaced
/// inside the scheme or the host).
pub fn redact(url: &str) -> String {
    let parts = written(url);
    let mut shown = parts.head.to_string();
    if let Some(userinfo) = parts.userinfo {
        match userinfo.split_once(':') {
            Some((user, _)) => shown.push_str(&format!("{user}:***@")),
            None => shown.push_str(&format!("{userinfo}@")),
        }
    }
    shown.push_str(parts.location);
    for (start, end) in password_params(&shown).into_iter().rev() {
        shown.replace_range(start..end, "***");
    }
    shown
}

/// Where the values of `password=` parameters stand in `text` (after `?` or `&`), as ranges.
fn password_params(text: &str) -> Vec<(usize, usize)> {
    const KEY: &str = "password=";
    text.match_indices(KEY)
        .filter(|(at, _)| *at > 0 && matches!(text.as_bytes()[at - 1], b'?' | b'&'))
        .map(|(at, _)| {
            let start = at + KEY.len();
            let end = text[start..].find('&').map_or(text.len(), |i| start + i);
            (start, end)
        })
        .collect()
}

/// Every spelling of a password that `url` carries: the one in `user:password@` (which may hold
/// `/` or `?`, and after `scheme:/` as well as `scheme://`), a `password=` query parameter, the
/// password the driver reads where that differs, and each of them percent-decoded, as a driver
/// may quote it. Longest first, so that a password that contains another is replaced whole.
fn passwords_of(url: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Some((_, password)) = written(url).userinfo.and_then(|u| u.split_once(':')) {
        found.push(password.to_string());
    }
    for (start, end) in password_params(url) {
        found.push(url[start..end].to_string());
    }
    if let Ok(parsed) = DatabaseUrl::parse(url) {
        found.extend(parsed.password);
    }
    let decoded_too: Vec<String> = found.iter().map(|p| decoded(p)).collect();
    found.extend(decoded_too);
    found.retain(|p| !p.is_empty());
    found.sort_by_key(|p| std::cmp::Reverse(p.len()));
    found.dedup();
    found
}

/// The backend a URL names, or why the URL is not one (see [`DatabaseUrl::parse`]).
pub fn backend_of_url(url: &str) -> Result<Backend, Error> {
    DatabaseUrl::parse(url).map(|u| u.backend)
}

pub use makemigrations::backend_label;

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
    let parsed = DatabaseUrl::parse(url)?;
    let backend = parsed.backend;
    remember_secrets(url);
    let given = driver_url(url);
    let plain = loopback_without_tls(&parsed, &given, |name| std::env::var(name).ok());
    let options = |driver_url: &str| {
        let mut options = ConnectOptions::new(driver_url.to_string());
        options
            .connect_timeout(timeout)
            .acquire_timeout(Duration::from_secs(30))
            // sqlx pings a pooled connection each time it is taken (every statement outside a
            // transaction: a second round trip each). A command's connection is fresh; only one
            // left idle a while (a question at the terminal, a wait for the run lock) is pinged.
            .test_before_acquire_if_idle_for(Duration::from_secs(10))
            // Every statement at debug level, slow ones too: printed by `-v` (crate::verbose), and
            // heard by the journal of a MySQL migration (crate::journal), `execute_unprepared` too.
            .sqlx_logging(true)
            .sqlx_logging_level(log::LevelFilter::Debug)
            .sqlx_slow_statements_logging_settings(log::LevelFilter::Debug, Duration::from_secs(1));
        if backend == Backend::Sqlite {
            options.max_connections(1).min_connections(1);
        }
        options
    };
    if refused_at_once(&parsed, timeout).await {
        return Err(Error::Unreachable {
            url: redact(url),
            reason: format!(
                "connection refused at {} (no server listens there)",
                parsed.address()
            ),
        });
    }
    let deadline = tokio::time::Instant::now() + timeout;
    let mut connected = tokio::time::timeout_at(
        deadline,
        Database::connect(options(plain.as_ref().unwrap_or(&given))),
    )
    .await;
    if let (Some(_), Ok(Err(e))) = (&plain, &connected) {
        if refused_without_tls(e) {
            // A server that takes only encrypted connections (pg_hba `hostssl`): as given.
            connected = tokio::time::timeout_at(deadline, Database::connect(options(&given))).await;
        }
    }
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

/// PostgreSQL on this machine (a loopback address) with no TLS setting in the URL or the
/// environment (`PGSSLMODE`, `PGSSLROOTCERT`, ...: `env` reads a variable): the URL with
/// `sslmode=disable`. Otherwise (`None`) the URL is used as given.
///
/// The default `prefer` encrypts whenever the server can, and sqlx 0.9 opens its sockets with
/// Nagle's algorithm on (launchbadge/sqlx#4335): the TLS handshake writes two small records back
/// to back twice, and each time the second waits for the server's delayed ACK, about 40 ms. That
/// made every connection to a local server take 90 ms instead of 4, and a warm
/// `makemigrations --check` on PostgreSQL 0.5 s instead of 0.2 s. The guide says when TLS on
/// loopback still matters (a plain TCP forwarder to another machine) and how to keep it.
fn loopback_without_tls(
    parsed: &DatabaseUrl,
    driver_url: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let loopback = |host: &str| {
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    };
    let tls_chosen = parsed
        .params
        .iter()
        .any(|(name, _)| name.to_ascii_lowercase().starts_with("ssl"))
        || ["PGSSLMODE", "PGSSLROOTCERT", "PGSSLCERT", "PGSSLKEY"]
            .iter()
            .any(|name| env(name).is_some());
    if parsed.backend != Backend::Postgres
        || parsed.socket.is_some()
        || tls_chosen
        || !parsed.host.as_deref().is_some_and(loopback)
    {
        return None;
    }
    Some(with_param(driver_url, "sslmode=disable"))
}

/// `url` with `param` (`name=value`, already encoded) added to its query, before any fragment.
fn with_param(url: &str, param: &str) -> String {
    let (url, fragment) = match url.split_once('#') {
        Some((url, fragment)) => (url, Some(fragment)),
        None => (url, None),
    };
    let separator = if url.contains('?') { '&' } else { '?' };
    let mut out = format!("{url}{separator}{param}");
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// PostgreSQL refused the connection itself (SQLSTATE 28000, pg_hba.conf: `no pg_hba.conf entry
/// ... no encryption` for a `hostssl`-only server): the one error a connection without TLS may
/// get where the URL as given would not. A wrong password (28P01) is not tried twice.
fn refused_without_tls(error: &sea_orm::DbErr) -> bool {
    use sea_orm::{DbErr, RuntimeErr};
    let DbErr::Conn(RuntimeErr::SqlxError(e)) = error else {
        return false;
    };
    matches!(&**e, sea_orm::sqlx::Error::Database(db) if db.code().as_deref() == Some("28000"))
}

/// Whether the server's port refuses a TCP connection right away: the pool would retry that
/// silently until its timeout. Anything else (a socket URL, a name that does not resolve, no
/// answer) is left to the driver, whose error says more.
async fn refused_at_once(url: &DatabaseUrl, timeout: Duration) -> bool {
    let Some(host) = &url.host else {
        return false;
    };
    if url.backend == Backend::Sqlite || url.socket.is_some() || host.contains(',') {
        return false;
    }
    let address = (host.as_str(), url.port_or_default());
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

/// Where the server of `url` is, for messages.
fn address_of(url: &str) -> String {
    DatabaseUrl::parse(url)
        .map(|u| u.address())
        .unwrap_or_default()
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
                        address_of(url)
                    ),
                    _ if io.to_string().contains("lookup address") => format!(
                        "the host name in {} is not known (it does not resolve)",
                        address_of(url)
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
                    let database = DatabaseUrl::parse(url)
                        .ok()
                        .and_then(|u| u.database)
                        .unwrap_or_default();
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

/// A migration that PostgreSQL refused with "out of shared memory" (SQLSTATE 53200): its
/// transaction filled the server's lock table, which a setting of the server fixes, not the
/// migration file, so it becomes [`Error::LockTableFull`]; any other error is returned as it is.
pub fn explain_lock_table(error: Error) -> Error {
    use sea_orm::{DbErr, RuntimeErr};
    let Error::MigrationFailed { name, source } = &error else {
        return error;
    };
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = source
    else {
        return error;
    };
    let sea_orm::sqlx::Error::Database(db) = &**e else {
        return error;
    };
    if !lock_table_full(db.code().as_deref(), db.message()) {
        return error;
    }
    Error::LockTableFull {
        name: name.clone(),
        reason: db.message().to_string(),
    }
}

/// PostgreSQL's error for a full lock table: SQLSTATE 53200 (out_of_memory) with "out of shared
/// memory" (an out-of-memory error of another kind has another message).
fn lock_table_full(sqlstate: Option<&str>, message: &str) -> bool {
    sqlstate == Some("53200") && message.contains("out of shared memory")
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
            "run `migrate --create-db` or add `?mode=rwc` to the URL to create it, or correct the path".to_string(),
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
/// A socket URL without a host (`mysql://app@/shop?socket=...`) gets `localhost` as its host,
/// which sqlx needs to parse it and then ignores for the socket.
pub fn driver_url(url: &str) -> String {
    let url = match url.strip_prefix("mariadb://") {
        Some(rest) => format!("mysql://{rest}"),
        None => url.to_string(),
    };
    match DatabaseUrl::parse(&url) {
        Ok(parsed) if parsed.backend != Backend::Sqlite && parsed.socket.is_some() => {
            match url::Url::parse(&url) {
                Err(url::ParseError::EmptyHost) => socket_url_with_host(&url).unwrap_or(url),
                _ => url,
            }
        }
        _ => url,
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

/// Hands the passwords of `url` to the runtime, which keeps them out of what it writes.
fn remember_secrets(url: &str) {
    makemigrations::secrets::remember(passwords_of(url));
}

pub use makemigrations::secrets::hide_secrets;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_on_loopback_connects_without_tls_unless_the_url_says() {
        let plain =
            |url: &str| loopback_without_tls(&DatabaseUrl::parse(url).unwrap(), url, |_| None);
        assert_eq!(
            plain("postgres://app@127.0.0.1:5432/shop").as_deref(),
            Some("postgres://app@127.0.0.1:5432/shop?sslmode=disable")
        );
        assert_eq!(
            plain("postgres://app@localhost/shop?application_name=x").as_deref(),
            Some("postgres://app@localhost/shop?application_name=x&sslmode=disable")
        );
        assert!(plain("postgres://app@[::1]:5432/shop").is_some());
        // Chosen in the URL, another host, a socket, another backend: as given.
        assert_eq!(plain("postgres://app@127.0.0.1/shop?sslmode=require"), None);
        assert_eq!(
            plain("postgres://app@localhost/shop?sslrootcert=ca.pem"),
            None
        );
        assert_eq!(plain("postgres://app@db.internal:5432/shop"), None);
        assert_eq!(plain("postgres://app@10.0.0.5/shop"), None);
        assert_eq!(plain("postgres://app@%2Frun%2Fpostgresql/shop"), None);
        assert_eq!(plain("mysql://root@127.0.0.1:3306/shop"), None);
        // Chosen in the environment, which sqlx reads too.
        let url = "postgres://app@127.0.0.1/shop";
        let parsed = DatabaseUrl::parse(url).unwrap();
        for name in ["PGSSLMODE", "PGSSLROOTCERT"] {
            let env = |asked: &str| (asked == name).then(|| "x".to_string());
            assert_eq!(loopback_without_tls(&parsed, url, env), None, "{name}");
        }
        assert_eq!(
            with_param("postgres://h/db#frag", "sslmode=disable"),
            "postgres://h/db?sslmode=disable#frag"
        );
    }

    /// A full lock table is a server setting to raise, and the message says which; other errors
    /// of the class (and other migration failures) keep the migration's own message.
    #[test]
    fn a_full_lock_table_names_the_setting_to_raise() {
        assert!(lock_table_full(Some("53200"), "out of shared memory"));
        assert!(!lock_table_full(Some("53200"), "out of memory"));
        assert!(!lock_table_full(
            Some("42P01"),
            "relation \"t\" does not exist"
        ));
        assert!(!lock_table_full(None, "out of shared memory"));
        let message = Error::LockTableFull {
            name: "m20261201_000000_initial".into(),
            reason: "out of shared memory".into(),
        }
        .to_string();
        for part in [
            "m20261201_000000_initial",
            "rolled back",
            "max_locks_per_transaction",
            "restart PostgreSQL",
        ] {
            assert!(message.contains(part), "{part}: {message}");
        }
        let other = Error::MigrationFailed {
            name: "m".into(),
            source: sea_orm::DbErr::Custom("no".into()),
        };
        assert!(matches!(
            explain_lock_table(other),
            Error::MigrationFailed { .. }
        ));
    }

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
            ("postgres://db/shop?password=p@ss", "p@ss"),
            ("postgres://app:s#3@db/shop", "s#3"),
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
        let database = |url: &str| DatabaseUrl::parse(url).unwrap().database;
        assert_eq!(
            database("postgres://a:b%2Fc@db:5432/my%20shop?x=1").as_deref(),
            Some("my shop")
        );
        assert_eq!(database("postgres://db:5432"), None);
        // A Unix socket needs no host.
        assert!(backend_of_url("postgres:///shop?host=/run/postgresql").is_ok());
        assert!(backend_of_url("mysql://app@/shop?socket=/run/mysqld/mysqld.sock").is_ok());
        // A `/`, `?` or `#` written as it is in a password cuts the host part short: said so.
        for url in [
            "postgres://a:b/c@db:5432/shop",
            "postgres://app:pa#ss@db/shop",
            "mysql://app:pa?ss@db:notaport/shop",
        ] {
            let error = backend_of_url(url).unwrap_err().to_string();
            assert!(
                error.contains("cannot be parsed") && error.contains("as it is"),
                "{url}: {error}"
            );
            assert!(
                !error.contains("pa#ss") && !error.contains("b/c"),
                "{error}"
            );
        }
    }

    #[test]
    fn urls_are_taken_apart_once() {
        let url = DatabaseUrl::parse(
            "postgresql://app:p%40ss@db.example:6543/shop?sslmode=verify-full&sslrootcert=ca.pem&application_name=mm",
        )
        .unwrap();
        assert_eq!(url.backend, Backend::Postgres);
        assert_eq!(
            (url.host.as_deref(), url.port, url.socket.as_deref()),
            (Some("db.example"), Some(6543), None)
        );
        assert_eq!(
            (url.user.as_deref(), url.password.as_deref()),
            (Some("app"), Some("p@ss"))
        );
        assert_eq!(url.database.as_deref(), Some("shop"));
        assert_eq!(url.param(&["sslmode", "ssl-mode"]), Some("verify-full"));
        assert_eq!(url.address(), "db.example:6543");

        // PostgreSQL's socket directory, as a parameter or as a percent-encoded host; parameters
        // that stand for the URL's parts win, as for sqlx.
        let socket = DatabaseUrl::parse(
            "postgres://app@/shop?host=/var/run/postgresql&password=s3cret&user=other",
        )
        .unwrap();
        assert_eq!(socket.socket.as_deref(), Some("/var/run/postgresql"));
        assert_eq!(socket.host, None);
        assert_eq!(socket.password.as_deref(), Some("s3cret"));
        assert_eq!(socket.user.as_deref(), Some("other"));
        let encoded = DatabaseUrl::parse("postgres://%2Fvar%2Frun%2Fpostgresql/shop").unwrap();
        assert_eq!(encoded.socket.as_deref(), Some("/var/run/postgresql"));

        // MySQL: `socket=`; `mariadb://` is MySQL; an IPv6 address loses its brackets.
        let mysql = DatabaseUrl::parse(
            "mariadb://root@localhost/shop?socket=/run/mysqld/mysqld.sock&ssl-mode=DISABLED",
        )
        .unwrap();
        assert_eq!(mysql.backend, Backend::MySql);
        assert_eq!(mysql.socket.as_deref(), Some("/run/mysqld/mysqld.sock"));
        assert_eq!(mysql.address(), "/run/mysqld/mysqld.sock");
        assert_eq!(mysql.port_or_default(), 3306);
        // Without a host, as sqlx needs one to parse the URL (it then uses the socket).
        assert_eq!(
            driver_url("mariadb://app@/shop?socket=/run/mysqld/mysqld.sock"),
            "mysql://app@localhost/shop?socket=/run/mysqld/mysqld.sock"
        );
        assert_eq!(
            driver_url("postgres://app@db/shop"),
            "postgres://app@db/shop"
        );
        let v6 = DatabaseUrl::parse("mysql://[::1]:3307/shop").unwrap();
        assert_eq!(
            (v6.host.as_deref(), v6.address()),
            (Some("::1"), "[::1]:3307".into())
        );

        // SQLite: a file path with parameters, in every shape sqlx reads.
        for (url, file) in [
            ("sqlite::memory:", None),
            ("sqlite:db.sqlite3", Some("db.sqlite3")),
            ("sqlite://db.sqlite3?mode=rwc", Some("db.sqlite3")),
            ("sqlite:///abs/db.sqlite3", Some("/abs/db.sqlite3")),
            ("sqlite://my%20db.sqlite3", Some("my db.sqlite3")),
            ("sqlite://x.db?mode=memory", None),
            ("sqlite://", None),
        ] {
            let parsed = DatabaseUrl::parse(url).unwrap();
            assert_eq!(parsed.backend, Backend::Sqlite, "{url}");
            assert_eq!(parsed.file.as_deref(), file, "{url}");
        }
        assert_eq!(
            DatabaseUrl::parse("sqlite://db.sqlite3?mode=rwc")
                .unwrap()
                .param(&["mode"]),
            Some("rwc")
        );
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
