//! Backups of the whole database to a file, and restoring one: `backup`, `backups`, `restore`,
//! and `migrate --backup --restore-on-failure`. The CLI only prints what these return.
//!
//! - PostgreSQL: `pg_dump -Fc` (custom format, compressed). Restoring turns it back into SQL with
//!   `pg_restore` and runs it through `psql --single-transaction`, after statements that drop
//!   what the database holds now: a restore either replaces everything or changes nothing.
//! - MySQL/MariaDB: `mysqldump`/`mariadb-dump --single-transaction --routines --triggers`
//!   (a consistent snapshot of InnoDB tables without locking them). Restoring drops the
//!   database's tables, views and routines and feeds the dump to the `mysql` client; MySQL
//!   commits DDL at once, so a restore that fails halfway is said to have done so.
//! - SQLite: `VACUUM INTO`, an online, consistent copy made in one read transaction on the open
//!   connection (sqlx offers no handle to SQLite's backup API; a second SQLite library for it
//!   would clash with the one sqlx links). Restoring attaches the copy and replaces every table,
//!   index, view and trigger in one transaction, so other connections to the file stay valid
//!   (copying the file over an open database would corrupt what they see).
//!
//! Passwords reach the client programs through the environment (`PGPASSWORD`, `MYSQL_PWD`),
//! never their command line, where any user of the machine could read them.

// The crate's one `Error` enum is large (a failed MySQL migration carries its statements), as
// for every other module's plain functions.
#![allow(clippy::result_large_err)]

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, TransactionTrait};

use makemigrations_core::Backend;

use crate::database::{redact, redact_in, DatabaseUrl};
use crate::error::Error;
use crate::introspect;

/// Where backups go without `--backup-dir`: this variable, else `backups/`.
pub const DIR_VAR: &str = "MAKEMIGRATIONS_BACKUP_DIR";
const DEFAULT_DIR: &str = "backups";
/// A dump being written; renamed to its final name only once it is complete.
const PARTIAL: &str = ".partial";
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
const PG_MAGIC: &[u8] = b"PGDMP";
/// The last line mysqldump and mariadb-dump write; a dump without it was cut short.
const MYSQL_COMPLETED: &str = "-- Dump completed";

/// A backup file that was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    pub path: PathBuf,
    pub size: u64,
    /// The database it holds, as messages show it (password hidden; for SQLite, its file).
    pub database: String,
}

/// A backup that was restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub path: PathBuf,
    /// The database it replaced, as messages show it.
    pub database: String,
}

/// A backup file of this database found in the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub path: PathBuf,
    pub size: u64,
    /// When it was taken (UTC), read from its name.
    pub taken: chrono::NaiveDateTime,
    /// The `--name` it was given, if any.
    pub label: Option<String>,
}

/// `--backup-dir`, else `MAKEMIGRATIONS_BACKUP_DIR`, else `backups/` in the working directory.
pub fn directory(flag: Option<PathBuf>) -> PathBuf {
    flag.filter(|p| !p.as_os_str().is_empty())
        .or_else(|| {
            std::env::var_os(DIR_VAR)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DIR))
}

/// How the client programs reach the database.
enum Target {
    Postgres { url: DatabaseUrl, database: String },
    MySql { url: DatabaseUrl, database: String },
    Sqlite { file: PathBuf },
}

impl Target {
    /// The name used in backup file names.
    fn name(&self) -> String {
        let raw = match self {
            Target::Postgres { database, .. } | Target::MySql { database, .. } => database.clone(),
            Target::Sqlite { file } => file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "sqlite".into()),
        };
        file_name_part(&raw)
    }

    fn extension(&self) -> &'static str {
        match self {
            Target::Postgres { .. } => "dump",
            Target::MySql { .. } => "sql",
            Target::Sqlite { .. } => "sqlite3",
        }
    }

    fn shown(&self, url: &str) -> String {
        match self {
            Target::Sqlite { file } => file.display().to_string(),
            _ => redact(url),
        }
    }
}

/// Letters, digits, `_` and `-` only, so a name is one part of a file name; `.` separates the
/// label (`20261201_221500_shop.pre_release.dump`).
fn file_name_part(raw: &str) -> String {
    let part: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if part.is_empty() {
        "db".into()
    } else {
        part
    }
}

async fn target(db: &DatabaseConnection, url: &str) -> Result<Target, Error> {
    match db.get_database_backend() {
        DbBackend::Postgres | DbBackend::MySql => server_target(url),
        _ => {
            let Some(file) = introspect::sqlite::main_file(db).await? else {
                return Err(Error::Refused(
                    "an in-memory SQLite database has no file to back up or restore\n  fix: use a SQLite file (sqlite://file.sqlite3?mode=rwc)".into(),
                ));
            };
            Ok(Target::Sqlite { file })
        }
    }
}

fn server_target(url: &str) -> Result<Target, Error> {
    let parsed = DatabaseUrl::parse(url)?;
    let Some(database) = parsed.database.clone() else {
        return Err(Error::BadUrl {
            url: redact(url),
            reason: "it names no database".into(),
        });
    };
    Ok(match parsed.backend {
        Backend::MySql => Target::MySql {
            url: parsed,
            database,
        },
        _ => Target::Postgres {
            url: parsed,
            database,
        },
    })
}

/// The environment that points pg_dump, pg_restore and psql at the database of `url`, in libpq's
/// variables (`PGHOST`, `PGSSLMODE`...): no part of the URL goes on a command line, where any user
/// of the machine could read it, and libpq refuses the parameters only sqlx knows. The spellings
/// sqlx takes (`ssl-mode`, `ssl-root-cert`, `ssl-ca`...) become libpq's.
fn postgres_environment(url: &DatabaseUrl, database: &str) -> Vec<(&'static str, String)> {
    let mut env = Vec::new();
    // A socket directory is a host to libpq.
    if let Some(host) = url.socket.as_ref().or(url.host.as_ref()) {
        env.push(("PGHOST", host.clone()));
    }
    env.push(("PGPORT", url.port_or_default().to_string()));
    if let Some(user) = &url.user {
        env.push(("PGUSER", user.clone()));
    }
    if let Some(password) = &url.password {
        env.push(("PGPASSWORD", password.clone()));
    }
    env.push(("PGDATABASE", database.to_string()));
    for (variable, names) in [
        ("PGSSLMODE", &["sslmode", "ssl-mode"][..]),
        ("PGSSLROOTCERT", &["sslrootcert", "ssl-root-cert", "ssl-ca"]),
        ("PGSSLCERT", &["sslcert", "ssl-cert"]),
        ("PGSSLKEY", &["sslkey", "ssl-key"]),
        ("PGAPPNAME", &["application_name"]),
        ("PGCONNECT_TIMEOUT", &["connect_timeout"]),
        ("PGTARGETSESSIONATTRS", &["target_session_attrs"]),
    ] {
        if let Some(value) = url.param(names) {
            env.push((variable, value.to_string()));
        }
    }
    // `options=-c x=y` and sqlx's `options[x]=y`, joined as sqlx joins them.
    let options: Vec<String> = url
        .params
        .iter()
        .filter_map(|(key, value)| match key.as_str() {
            "options" => Some(value.clone()),
            key => key
                .strip_prefix("options[")
                .and_then(|k| k.strip_suffix(']'))
                .map(|k| format!("-c {k}={value}")),
        })
        .collect();
    if !options.is_empty() {
        env.push(("PGOPTIONS", options.join(" ")));
    }
    env
}

/// Which client programs are installed: MariaDB's spell TLS options their own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MySqlClient {
    MySql,
    MariaDb,
}

impl MySqlClient {
    /// Asks the program (`--version` names MariaDB in its builds).
    fn of(program: &Path) -> MySqlClient {
        let version = Command::new(program)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let named = tool_name(program);
        if version.contains("MariaDB") || named.starts_with("mariadb") {
            MySqlClient::MariaDb
        } else {
            MySqlClient::MySql
        }
    }
}

/// The options that point mysqldump or mysql at the server of `url` (the socket, else host and
/// port over TCP; the user; TLS as sqlx-mysql's `ssl-mode`, `ssl-ca`, `ssl-cert` and `ssl-key`
/// say), and the environment that carries the password (`MYSQL_PWD`, never the command line).
fn mysql_connection(
    url: &DatabaseUrl,
    client: MySqlClient,
) -> (Vec<String>, Vec<(&'static str, String)>) {
    let mut args = Vec::new();
    match (&url.socket, &url.host) {
        (Some(socket), _) => {
            args.push("--protocol=SOCKET".to_string());
            args.push(format!("--socket={socket}"));
        }
        (None, host) => {
            args.push(format!("--host={}", host.as_deref().unwrap_or("localhost")));
            args.push(format!("--port={}", url.port_or_default()));
            // Else `localhost` means the default socket to the client programs.
            args.push("--protocol=TCP".to_string());
        }
    }
    // sqlx's default user.
    args.push(format!("--user={}", url.user.as_deref().unwrap_or("root")));
    if let Some(mode) = url.param(&["ssl-mode", "sslmode"]) {
        let mode = mode.to_ascii_uppercase();
        match client {
            MySqlClient::MySql => args.push(format!("--ssl-mode={mode}")),
            // MariaDB's clients have no --ssl-mode: TLS on or off, and whether the server's
            // certificate is checked (always with its host name: the stricter of the two checks).
            MySqlClient::MariaDb => match mode.as_str() {
                "DISABLED" => args.push("--skip-ssl".into()),
                "REQUIRED" => args.push("--ssl".into()),
                "VERIFY_CA" | "VERIFY_IDENTITY" => {
                    args.push("--ssl".into());
                    args.push("--ssl-verify-server-cert".into());
                }
                _ => {}
            },
        }
    }
    for (option, names) in [
        ("--ssl-ca", &["ssl-ca", "sslca"][..]),
        ("--ssl-cert", &["ssl-cert", "sslcert"]),
        ("--ssl-key", &["ssl-key", "sslkey"]),
    ] {
        if let Some(value) = url.param(names) {
            args.push(format!("{option}={value}"));
        }
    }
    // Set even when empty, so that no option file's password is used instead.
    let env = vec![("MYSQL_PWD", url.password.clone().unwrap_or_default())];
    (args, env)
}

/// The first of `names` found on PATH.
fn find_tool(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|dir| {
        names.iter().find_map(|name| {
            let candidate = dir.join(name);
            is_executable(&candidate).then_some(candidate)
        })
    })
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file() || path.with_extension("exe").is_file()
    }
}

/// The client program `names` stands for, or the error that says how to get it.
fn tool(names: &[&str], backend: DbBackend, purpose: &'static str) -> Result<PathBuf, Error> {
    find_tool(names).ok_or_else(|| Error::BackupToolMissing {
        tool: names.join(" or "),
        purpose,
        install: match backend {
            DbBackend::Postgres => "install PostgreSQL's client programs, of the server's major version or newer (Debian/Ubuntu: `apt-get install postgresql-client`; macOS: `brew install libpq`)",
            _ => "install the MySQL or MariaDB client programs (Debian/Ubuntu: `apt-get install mariadb-client`, or `mysql-client` for MySQL; macOS: `brew install mysql-client`)",
        },
    })
}

/// Refuses `backup`, `backups` and `restore` (`purpose`: "back up", ...) without a database to
/// work on: without DATABASE_URL the default SQLite file is one only when it exists, and
/// connecting to it would create it empty.
pub fn require_database(target: &crate::database::Target, purpose: &str) -> Result<(), Error> {
    use crate::database::{UrlSource, DEFAULT_FILE};
    if target.source != UrlSource::Default || Path::new(DEFAULT_FILE).exists() {
        return Ok(());
    }
    Err(Error::Refused(format!(
        "there is no database to {purpose}: DATABASE_URL is not set (in the environment, a .env file or --database-url), and the SQLite file {DEFAULT_FILE} it defaults to does not exist; nothing was done and no file was created\n  \
         fix: set DATABASE_URL to the database's URL (postgres://user:pass@host:5432/db, mysql://user:pass@host:3306/db or sqlite://file.sqlite3), or run the command where {DEFAULT_FILE} is"
    )))
}

/// How many bytes the backup may take: the database's size as its catalog tells (the dump is
/// usually smaller: compressed on PostgreSQL, without indexes on MySQL, compacted on SQLite).
pub async fn estimated_size(db: &DatabaseConnection) -> Result<u64, Error> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => "SELECT pg_database_size(current_database())::bigint AS size",
        DbBackend::MySql => {
            "SELECT CAST(COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) AS SIGNED) AS size \
             FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
        }
        _ => {
            "SELECT (page_count - freelist_count) * page_size AS size \
             FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()"
        }
    };
    let rows = introspect::query(db, sql, vec![]).await?;
    let size: i64 = match rows.first() {
        Some(row) => row.try_get("", "size")?,
        None => 0,
    };
    Ok(size.max(0) as u64)
}

/// Refuses when the directory's file system has less room than the backup may take.
pub fn check_space(dir: &Path, needed: u64, available: u64) -> Result<(), Error> {
    if available >= needed {
        return Ok(());
    }
    Err(Error::BackupNoSpace {
        dir: dir.display().to_string(),
        needed,
        available,
    })
}

/// A backup that can be made: what [`preflight`] checked, for [`create`] to make it
/// without checking again.
pub struct Checked {
    target: Target,
    /// The dump program (none for SQLite, which the connection copies).
    program: Option<PathBuf>,
    dir: PathBuf,
    url: String,
}

/// Checks what a backup needs before anything changes: the client program, and room for the
/// file in `dir`. Creates nothing: the directory is made with the backup. `migrate --backup` calls
/// it before it touches the database, and makes the backup later with what it returns.
pub async fn preflight(
    db: &DatabaseConnection,
    url: &str,
    dir: &Path,
    restore_too: bool,
) -> Result<Checked, Error> {
    let checked = check_can_back_up(db, url, dir).await?;
    // `--restore-on-failure`: the programs that restore must be there before anything runs, not
    // found missing after a failure.
    if restore_too {
        let backend = db.get_database_backend();
        match checked.target {
            Target::Postgres { .. } => {
                tool(&["pg_restore"], backend, "restore a PostgreSQL backup")?;
                tool(&["psql"], backend, "restore a PostgreSQL backup")?;
            }
            Target::MySql { .. } => {
                tool(
                    &["mysql", "mariadb"],
                    backend,
                    "restore a MySQL/MariaDB backup",
                )?;
            }
            Target::Sqlite { .. } => {}
        }
    }
    Ok(checked)
}

async fn check_can_back_up(
    db: &DatabaseConnection,
    url: &str,
    dir: &Path,
) -> Result<Checked, Error> {
    let target = target(db, url).await?;
    let backend = db.get_database_backend();
    let program = match &target {
        Target::Postgres { .. } => Some(tool(&["pg_dump"], backend, "back up PostgreSQL")?),
        Target::MySql { .. } => Some(tool(
            &["mysqldump", "mariadb-dump"],
            backend,
            "back up MySQL/MariaDB",
        )?),
        Target::Sqlite { .. } => None,
    };
    let needed = estimated_size(db).await?;
    // The directory may not exist yet: the room is that of the file system it will be made on.
    let existing = dir
        .ancestors()
        .map(|a| {
            if a.as_os_str().is_empty() {
                Path::new(".")
            } else {
                a
            }
        })
        .find(|a| a.exists())
        .unwrap_or(Path::new("."));
    if !existing.is_dir() {
        return Err(Error::BackupFailed {
            database: target.shown(url),
            reason: format!(
                "{} is not a directory, so the backup directory {} cannot be made",
                existing.display(),
                dir.display()
            ),
        });
    }
    let available =
        fs4::available_space(existing).map_err(|e| backup_failed(&target.shown(url), dir, e))?;
    check_space(dir, needed, available)?;
    Ok(Checked {
        target,
        program,
        dir: dir.to_path_buf(),
        url: url.to_string(),
    })
}

/// Saves the database to a new file in the directory [`preflight`] checked (made now if
/// missing), named `YYYYMMDD_HHMMSS_<database>[.<label>].<ext>` (UTC). On failure, the partial
/// file (and the directory, when made here) is removed. `progress` is called a few times a
/// second with the bytes written so far.
pub async fn create(
    db: &DatabaseConnection,
    checked: &Checked,
    label: Option<&str>,
    progress: &mut dyn FnMut(u64),
) -> Result<Backup, Error> {
    let Checked {
        target,
        program,
        dir,
        url,
    } = checked;
    let shown = target.shown(url);
    // The directories made here, innermost first: removed again when the backup fails.
    let made_dirs: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
        .map(Path::to_path_buf)
        .collect();
    let remove_made_dirs = || {
        for made in &made_dirs {
            let _ = std::fs::remove_dir(made);
        }
    };
    std::fs::create_dir_all(dir).map_err(|e| {
        remove_made_dirs();
        backup_failed(&shown, dir, e)
    })?;
    let label = label
        .map(makemigrations_core::ops::sanitize_name)
        .filter(|l| !l.is_empty());
    let path = next_path(dir, target, label.as_deref()).await;
    let mut partial = path.clone().into_os_string();
    partial.push(PARTIAL);
    let partial = PathBuf::from(partial);
    let work = async {
        match (target, program) {
            (Target::Sqlite { .. }, _) => sqlite_backup(db, &partial, progress).await,
            (_, Some(program)) => dump(target, program, &partial, progress).await,
            (_, None) => unreachable!("a server backup has its program"),
        }
    };
    // Ctrl-C: no partial file is left (at a terminal the dump program gets the signal too).
    let handled = crate::interrupt::Handled::new();
    let written = tokio::select! {
        written = work => written,
        _ = tokio::signal::ctrl_c() => {
            crate::interrupt::seen();
            let _ = std::fs::remove_file(&partial);
            remove_made_dirs();
            return Err(Error::Interrupted);
        }
    };
    drop(handled);
    if let Err(reason) = written {
        let _ = std::fs::remove_file(&partial);
        remove_made_dirs();
        return Err(Error::BackupFailed {
            database: shown,
            reason: redact_in(&reason, url),
        });
    }
    std::fs::rename(&partial, &path).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        remove_made_dirs();
        backup_failed(&shown, &path, e)
    })?;
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    Ok(Backup {
        path,
        size,
        database: shown,
    })
}

fn backup_failed(database: &str, path: &Path, e: std::io::Error) -> Error {
    Error::BackupFailed {
        database: database.to_string(),
        reason: format!("{}: {e}", path.display()),
    }
}

/// A name not taken yet: two backups within one second wait for the next.
async fn next_path(dir: &Path, target: &Target, label: Option<&str>) -> PathBuf {
    loop {
        let stamp = chrono::Utc::now().format("%Y%m%d_%H%M%S");
        let label = label.map(|l| format!(".{l}")).unwrap_or_default();
        let path = dir.join(format!(
            "{stamp}_{}{label}.{}",
            target.name(),
            target.extension()
        ));
        if !path.exists() {
            return path;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Runs the dump program into `partial`, reporting its size while it grows.
async fn dump(
    target: &Target,
    program: &Path,
    partial: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<(), String> {
    let mut command = Command::new(program);
    match target {
        Target::Postgres { url, database } => {
            command
                .arg("--format=custom")
                .arg("--no-password")
                .arg(format!("--file={}", partial.display()))
                .envs(postgres_environment(url, database));
        }
        Target::MySql { url, database } => {
            let (args, env) = mysql_connection(url, MySqlClient::of(program));
            command
                .args(args)
                .envs(env)
                .args([
                    "--single-transaction",
                    "--routines",
                    "--triggers",
                    "--hex-blob",
                    "--no-tablespaces",
                    "--default-character-set=utf8mb4",
                ])
                .arg(format!("--result-file={}", partial.display()))
                .arg("--")
                .arg(database);
        }
        Target::Sqlite { .. } => unreachable!("SQLite is copied by the connection"),
    }
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{} could not start: {e}", program.display()))?;
    let (status, stderr) = wait_reporting(child, partial, progress).await?;
    if status.success() {
        return Ok(());
    }
    Err(format!(
        "{} failed ({status}): {}",
        tool_name(program),
        stderr.trim()
    ))
}

fn tool_name(program: &Path) -> String {
    program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Waits for `child`, calling `progress` with the size of `file` meanwhile; returns its status
/// and what it wrote to stderr (read on a thread, so a chatty program never blocks on it).
async fn wait_reporting(
    mut child: Child,
    file: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<(std::process::ExitStatus, String), String> {
    let stderr = child.stderr.take().map(|mut pipe| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(e.to_string()),
        }
        progress(std::fs::metadata(file).map(|m| m.len()).unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    Ok((status, stderr))
}

/// `VACUUM INTO`: one read transaction, so the copy is consistent while others keep working.
async fn sqlite_backup(
    db: &DatabaseConnection,
    partial: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<(), String> {
    let _ = std::fs::remove_file(partial);
    let sql = format!(
        "VACUUM INTO '{}'",
        partial.display().to_string().replace('\'', "''")
    );
    let copy = db.execute_unprepared(&sql);
    tokio::pin!(copy);
    loop {
        tokio::select! {
            done = &mut copy => return done.map(|_| ()).map_err(|e| e.to_string()),
            _ = tokio::time::sleep(Duration::from_millis(100)) => {
                progress(std::fs::metadata(partial).map(|m| m.len()).unwrap_or(0));
            }
        }
    }
}

/// The backups of this database in `dir`, oldest first, and the database as messages show it.
pub async fn list(
    db: &DatabaseConnection,
    url: &str,
    dir: &Path,
) -> Result<(String, Vec<Listed>), Error> {
    let target = target(db, url).await?;
    let shown = target.shown(url);
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((shown, Vec::new())),
        Err(e) => return Err(e.into()),
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some((taken, label)) = parse_name(&name, &target.name(), target.extension()) {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            found.push(Listed {
                path: entry.path(),
                size,
                taken,
                label,
            });
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((shown, found))
}

/// `YYYYMMDD_HHMMSS_<database>[.<label>].<ext>` of this database: when, and the label.
fn parse_name(
    name: &str,
    database: &str,
    extension: &str,
) -> Option<(chrono::NaiveDateTime, Option<String>)> {
    let stem = name.strip_suffix(&format!(".{extension}"))?;
    let taken = chrono::NaiveDateTime::parse_from_str(stem.get(..15)?, "%Y%m%d_%H%M%S").ok()?;
    let rest = stem.get(15..)?.strip_prefix('_')?.strip_prefix(database)?;
    match rest {
        "" => Some((taken, None)),
        _ => Some((taken, Some(rest.strip_prefix('.')?.to_string()))),
    }
}

/// Replaces the database's whole content with the backup `file`. The caller holds the run lock.
pub async fn restore(db: &DatabaseConnection, url: &str, file: &Path) -> Result<Restored, Error> {
    let target = target(db, url).await?;
    let database = target.shown(url);
    check_file(&target, file)?;
    let backend = db.get_database_backend();
    let failed = |reason: String, unchanged: bool| Error::RestoreFailed {
        file: file.display().to_string(),
        database: database.clone(),
        reason: redact_in(&reason, url),
        unchanged,
    };
    match &target {
        Target::Postgres { url, database } => {
            let pg_restore = tool(&["pg_restore"], backend, "restore a PostgreSQL backup")?;
            let psql = tool(&["psql"], backend, "restore a PostgreSQL backup")?;
            let preamble = postgres_clear_statements(db).await?;
            let env = postgres_environment(url, database);
            postgres_restore(&pg_restore, &psql, &env, file, &preamble)
                .map_err(|reason| failed(reason, true))?;
        }
        Target::MySql { url, database } => {
            let client = tool(
                &["mysql", "mariadb"],
                backend,
                "restore a MySQL/MariaDB backup",
            )?;
            let preamble = mysql_clear_statements(db).await?;
            let (args, env) = mysql_connection(url, MySqlClient::of(&client));
            let mut command = Command::new(&client);
            command
                .args(args)
                .envs(env)
                .arg("--default-character-set=utf8mb4")
                .arg("--batch")
                .arg(format!("--database={database}"));
            feed(command, &preamble, file).map_err(|reason| failed(reason, false))?;
        }
        Target::Sqlite { .. } => {
            sqlite_restore(db, file)
                .await
                .map_err(|e| failed(e.to_string(), true))?;
        }
    }
    Ok(Restored {
        path: file.to_path_buf(),
        database,
    })
}

/// After a migration (or the validation after `migrate`) failed: puts back the backup taken
/// before the run, so the database is as it was before it, tracking tables included (a
/// half-applied record written by the failed run goes with them). The log keeps the run's steps:
/// they are written back after the restore, which took them away with everything else.
pub async fn restore_after_failure(
    db: &DatabaseConnection,
    url: &str,
    backup: &Backup,
) -> Result<Restored, Error> {
    let logged = crate::run_log::read(db, None)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let restored = restore(db, url, &backup.path).await?;
    let kept = crate::run_log::read(db, None)
        .await
        .ok()
        .flatten()
        .map_or(0, |steps| steps.len());
    // The log only grows: what it had beyond the restored rows is this run's (newest first).
    let added = logged.len().saturating_sub(kept);
    let run: Vec<crate::run_log::Step> = logged.into_iter().take(added).rev().collect();
    if let Err(e) = crate::run_log::append(db, &run).await {
        tracing::warn!(target: "makemigrations", "the steps of the restored run were not logged again: {e}");
    }
    Ok(restored)
}

/// Checks that `file` is a backup this database can take, before anyone is asked; returns the
/// database as messages show it.
pub async fn check(db: &DatabaseConnection, url: &str, file: &Path) -> Result<String, Error> {
    let target = target(db, url).await?;
    check_file(&target, file)?;
    Ok(target.shown(url))
}

/// Whether `migrate --restore-on-failure` restores after `failure`: unless the failed
/// migration's transaction took it back whole and nothing of the run was applied before it
/// (`committed`). Earlier migrations of the run committed, so the backup is what brings the
/// database back to where the run started.
pub fn restore_needed(failure: &Error, committed: usize) -> bool {
    // On MySQL even a failure with no statement journaled is restored: a statement that went
    // around the journal may have committed, and restoring an unchanged database costs only time.
    let undone = matches!(failure, Error::MigrationFailed { .. });
    committed > 0 || !undone
}

/// Refuses a file that is missing or is not a backup of this kind of database, before
/// anything is changed.
fn check_file(target: &Target, file: &Path) -> Result<(), Error> {
    let bad = |why: String| Error::BadBackupFile {
        file: file.display().to_string(),
        why,
    };
    let mut head = vec![0u8; 16];
    let read = std::fs::File::open(file)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| bad(e.to_string()))?;
    head.truncate(read);
    let (magic, kind): (&[u8], &str) = match target {
        Target::Postgres { .. } => (
            PG_MAGIC,
            "a pg_dump custom-format file (made by `backup` on PostgreSQL)",
        ),
        Target::Sqlite { .. } => (
            SQLITE_MAGIC,
            "a SQLite database file (made by `backup` on SQLite)",
        ),
        Target::MySql { .. } => {
            // Only the end is read: a dump can be larger than memory.
            let mut dump = std::fs::File::open(file).map_err(|e| bad(e.to_string()))?;
            let length = dump.metadata().map_err(|e| bad(e.to_string()))?.len();
            let mut end = Vec::new();
            dump.seek(std::io::SeekFrom::Start(length.saturating_sub(200)))
                .and_then(|_| dump.read_to_end(&mut end))
                .map_err(|e| bad(e.to_string()))?;
            let tail = String::from_utf8_lossy(&end).into_owned();
            if !tail.contains(MYSQL_COMPLETED) {
                return Err(bad(format!(
                    "it is not a complete mysqldump/mariadb-dump file (made by `backup` on MySQL/MariaDB): its last line is not `{MYSQL_COMPLETED} ...`"
                )));
            }
            return Ok(());
        }
    };
    if !head.starts_with(magic) {
        return Err(bad(format!("it is not {kind}")));
    }
    Ok(())
}

/// PostgreSQL: the statements that empty the database before the dump's own run: every
/// non-system schema but `public` is dropped (the dump creates those it holds); in `public`,
/// which the dump expects to exist, every table, view, sequence, type and routine is dropped,
/// except those of extensions (the dump's `CREATE EXTENSION IF NOT EXISTS` keeps them).
async fn postgres_clear_statements(db: &DatabaseConnection) -> Result<String, Error> {
    let schemas = introspect::query(
        db,
        "SELECT nspname::text AS name FROM pg_namespace \
         WHERE nspname NOT IN ('public', 'information_schema') AND nspname NOT LIKE 'pg\\_%' \
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass \
                           AND d.objid = pg_namespace.oid AND d.deptype = 'e') \
         ORDER BY 1",
        vec![],
    )
    .await?;
    let mut sql = String::new();
    for row in schemas {
        let name: String = row.try_get("", "name")?;
        sql.push_str(&format!(
            "DROP SCHEMA IF EXISTS \"{}\" CASCADE;\n",
            name.replace('"', "\"\"")
        ));
    }
    sql.push_str(
        r#"DO $makemigrations_restore$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.relname, c.relkind FROM pg_class c
           WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                             AND d.objid = c.oid AND d.deptype IN ('e', 'i'))
           ORDER BY c.relkind IN ('r', 'p') DESC LOOP
    EXECUTE format('DROP %s IF EXISTS public.%I CASCADE',
      CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                     WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, r.relname);
  END LOOP;
  FOR r IN SELECT t.typname, t.typtype FROM pg_type t
           WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'r', 'c')
             AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                             AND d.objid = t.oid AND d.deptype = 'e') LOOP
    EXECUTE format('DROP %s IF EXISTS public.%I CASCADE',
      CASE r.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, r.typname);
  END LOOP;
  FOR r IN SELECT p.oid::regprocedure::text AS signature FROM pg_proc p
           WHERE p.pronamespace = 'public'::regnamespace
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                             AND d.objid = p.oid AND d.deptype = 'e') LOOP
    EXECUTE 'DROP ROUTINE IF EXISTS ' || r.signature || ' CASCADE';
  END LOOP;
END
$makemigrations_restore$;
"#,
    );
    Ok(sql)
}

/// `pg_restore -f -` (the dump as SQL) piped into `psql --single-transaction` after `preamble`.
fn postgres_restore(
    pg_restore: &Path,
    psql: &Path,
    env: &[(&'static str, String)],
    file: &Path,
    preamble: &str,
) -> Result<(), String> {
    let mut source = Command::new(pg_restore)
        .args(["--no-owner", "--file=-"])
        .arg(file)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{} could not start: {e}", pg_restore.display()))?;
    let mut sink = Command::new(psql);
    sink.args([
        "--no-psqlrc",
        "--quiet",
        "--no-password",
        "--single-transaction",
        "--set=ON_ERROR_STOP=1",
    ])
    .envs(env.iter().map(|(k, v)| (k, v)));
    let mut stdout = source.stdout.take().expect("piped");
    let source_err = source.stderr.take().map(read_on_thread);
    let fed = feed_from(sink, preamble, &mut stdout);
    drop(stdout);
    let status = source.wait().map_err(|e| e.to_string())?;
    let source_err = source_err.and_then(|t| t.join().ok()).unwrap_or_default();
    fed?;
    if !status.success() {
        return Err(format!(
            "pg_restore failed ({status}): {}",
            source_err.trim()
        ));
    }
    Ok(())
}

fn read_on_thread<R: Read + Send + 'static>(mut pipe: R) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// Runs `command` with `preamble` and then `file` on its standard input.
fn feed(command: Command, preamble: &str, file: &Path) -> Result<(), String> {
    let mut input = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    feed_from(command, preamble, &mut input)
}

fn feed_from(mut command: Command, preamble: &str, input: &mut dyn Read) -> Result<(), String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{program} could not start: {e}"))?;
    let stderr = child.stderr.take().map(read_on_thread);
    let mut stdin = child.stdin.take().expect("piped");
    // A write fails when the program stopped early; its status and stderr say why.
    let _ = stdin
        .write_all(preamble.as_bytes())
        .and_then(|()| std::io::copy(input, &mut stdin).map(|_| ()));
    drop(stdin);
    let status = child.wait().map_err(|e| e.to_string())?;
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    if status.success() {
        return Ok(());
    }
    let name = Path::new(&program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or(program);
    Err(format!("{name} failed ({status}): {}", stderr.trim()))
}

/// MySQL/MariaDB: drops every view, table and routine of the database, so that the dump
/// (whose own `DROP TABLE IF EXISTS` covers only the tables it holds) leaves nothing newer.
async fn mysql_clear_statements(db: &DatabaseConnection) -> Result<String, Error> {
    let quote = |name: &str| format!("`{}`", name.replace('`', "``"));
    let mut sql = String::from("SET FOREIGN_KEY_CHECKS = 0;\n");
    let tables = introspect::query(
        db,
        "SELECT CAST(TABLE_NAME AS CHAR) AS name, CAST(TABLE_TYPE AS CHAR) AS kind \
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
         ORDER BY TABLE_TYPE = 'VIEW' DESC, TABLE_NAME",
        vec![],
    )
    .await?;
    for row in tables {
        let name: String = row.try_get("", "name")?;
        let kind: String = row.try_get("", "kind")?;
        let what = match kind.as_str() {
            "VIEW" => "VIEW",
            "SEQUENCE" => "SEQUENCE",
            _ => "TABLE",
        };
        sql.push_str(&format!("DROP {what} IF EXISTS {};\n", quote(&name)));
    }
    let routines = introspect::query(
        db,
        "SELECT CAST(ROUTINE_NAME AS CHAR) AS name, CAST(ROUTINE_TYPE AS CHAR) AS kind \
         FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE()",
        vec![],
    )
    .await?;
    for row in routines {
        let name: String = row.try_get("", "name")?;
        let kind: String = row.try_get("", "kind")?;
        let what = if kind == "FUNCTION" {
            "FUNCTION"
        } else {
            "PROCEDURE"
        };
        sql.push_str(&format!("DROP {what} IF EXISTS {};\n", quote(&name)));
    }
    Ok(sql)
}

/// SQLite: attaches the backup and, in one transaction, drops every table, view and trigger
/// of the database and creates them again from the backup with their rows.
async fn sqlite_restore(db: &DatabaseConnection, file: &Path) -> Result<(), sea_orm::DbErr> {
    const ALIAS: &str = "makemigrations_backup";
    db.execute_unprepared("PRAGMA foreign_keys = OFF").await?;
    let attach = format!(
        "ATTACH DATABASE '{}' AS {ALIAS}",
        file.display().to_string().replace('\'', "''")
    );
    let result = async {
        db.execute_unprepared(&attach).await?;
        let txn = db.begin().await?;
        let outcome = sqlite_replace(&txn, ALIAS).await;
        match outcome {
            Ok(()) => txn.commit().await,
            Err(e) => {
                txn.rollback().await?;
                Err(e)
            }
        }
    }
    .await;
    let _ = db
        .execute_unprepared(&format!("DETACH DATABASE {ALIAS}"))
        .await;
    db.execute_unprepared("PRAGMA foreign_keys = ON").await?;
    result
}

async fn sqlite_replace<C: ConnectionTrait>(conn: &C, alias: &str) -> Result<(), sea_orm::DbErr> {
    let quote = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
    let objects = |schema: &str| {
        format!(
            "SELECT type, name, sql FROM {schema}.sqlite_master \
             WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND sql IS NOT NULL \
             ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, rowid"
        )
    };
    let read =
        |rows: Vec<sea_orm::QueryResult>| -> Result<Vec<(String, String, String)>, sea_orm::DbErr> {
            rows.iter()
                .map(|r| {
                    Ok((
                        r.try_get("", "type")?,
                        r.try_get("", "name")?,
                        r.try_get("", "sql")?,
                    ))
                })
                .collect()
        };
    let current = read(introspect::query(conn, &objects("main"), vec![]).await?)?;
    // Views and triggers first: a table is dropped with its indexes.
    for (kind, name, _) in current.iter().rev() {
        match kind.as_str() {
            "view" => {
                conn.execute_unprepared(&format!("DROP VIEW IF EXISTS main.{}", quote(name)))
                    .await?
            }
            "trigger" => {
                conn.execute_unprepared(&format!("DROP TRIGGER IF EXISTS main.{}", quote(name)))
                    .await?
            }
            _ => continue,
        };
    }
    for (kind, name, _) in &current {
        if kind == "table" {
            conn.execute_unprepared(&format!("DROP TABLE IF EXISTS main.{}", quote(name)))
                .await?;
        }
    }
    let saved = read(introspect::query(conn, &objects(alias), vec![]).await?)?;
    for (kind, name, sql) in &saved {
        if kind != "table" {
            continue;
        }
        conn.execute_unprepared(sql).await?;
        conn.execute_unprepared(&format!(
            "INSERT INTO main.{table} SELECT * FROM {alias}.{table}",
            table = quote(name)
        ))
        .await?;
    }
    // AUTOINCREMENT counters, so new rows do not reuse the ids of rows deleted before the backup.
    let counters = format!(
        "SELECT COUNT(*) AS found FROM {alias}.sqlite_master WHERE name = 'sqlite_sequence'"
    );
    let has_counters = introspect::query(conn, &counters, vec![])
        .await?
        .first()
        .map(|r| r.try_get::<i64>("", "found"))
        .transpose()?
        .unwrap_or(0)
        > 0;
    if has_counters && crate::executor::table_exists(conn, "sqlite_sequence").await? {
        conn.execute_unprepared("DELETE FROM main.sqlite_sequence")
            .await?;
        conn.execute_unprepared(&format!(
            "INSERT INTO main.sqlite_sequence SELECT * FROM {alias}.sqlite_sequence"
        ))
        .await?;
    }
    for (kind, _, sql) in &saved {
        if kind != "table" {
            conn.execute_unprepared(sql).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        let stamp =
            chrono::NaiveDateTime::parse_from_str("20261201_221500", "%Y%m%d_%H%M%S").unwrap();
        assert_eq!(
            parse_name("20261201_221500_shop.dump", "shop", "dump"),
            Some((stamp, None))
        );
        assert_eq!(
            parse_name(
                "20261201_221500_shop.pre_migration_manual.dump",
                "shop",
                "dump"
            ),
            Some((stamp, Some("pre_migration_manual".into())))
        );
        // Another database whose name starts alike, another backend, a partial file.
        assert_eq!(
            parse_name("20261201_221500_shop_eu.dump", "shop", "dump"),
            None
        );
        assert_eq!(parse_name("20261201_221500_shop.sql", "shop", "dump"), None);
        assert_eq!(
            parse_name("20261201_221500_shop.dump.partial", "shop", "dump"),
            None
        );
        assert_eq!(file_name_part("my db/é"), "my-db--");
    }

    #[test]
    fn a_failure_restores_unless_nothing_of_the_run_stayed() {
        let error = || sea_orm::DbErr::Custom("boom".into());
        let undone = Error::MigrationFailed {
            name: "m".into(),
            source: error(),
        };
        assert!(!restore_needed(&undone, 0));
        assert!(
            restore_needed(&undone, 1),
            "earlier migrations of the run committed"
        );
        let partial = Error::MigrationFailedPartially {
            name: "m".into(),
            source: error(),
        };
        assert!(restore_needed(&partial, 0));
        let mysql = Error::MigrationFailedOnMySql {
            name: "m".into(),
            source: error(),
            ran: Vec::new(),
            failed: None,
        };
        assert!(
            restore_needed(&mysql, 0),
            "a statement may have gone around the journal"
        );
    }

    #[test]
    fn too_little_space_is_refused() {
        assert!(check_space(Path::new("b"), 10, 10).is_ok());
        let err = check_space(Path::new("b"), 11, 10).unwrap_err();
        assert_eq!(err.exit_code(), 9);
        let message = check_space(Path::new("b"), 3 << 20, 1536)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("takes 3.00 MiB") && message.contains("has 1.50 KiB free"),
            "{message}"
        );
    }

    fn pairs(env: &[(&'static str, String)]) -> Vec<String> {
        env.iter().map(|(k, v)| format!("{k}={v}")).collect()
    }

    #[test]
    fn the_password_goes_to_the_environment() {
        let url =
            "postgres://app:s%2Fecret@db:5433/shop?sslmode=disable&statement-cache-capacity=0";
        let Target::Postgres {
            url: parsed,
            database,
        } = server_target(url).unwrap()
        else {
            panic!("a PostgreSQL target");
        };
        assert_eq!(database, "shop");
        assert_eq!(
            pairs(&postgres_environment(&parsed, &database)),
            [
                "PGHOST=db",
                "PGPORT=5433",
                "PGUSER=app",
                "PGPASSWORD=s/ecret",
                "PGDATABASE=shop",
                "PGSSLMODE=disable",
            ]
        );
        let Target::MySql {
            url: parsed,
            database,
        } = server_target("mariadb://root:pw@127.0.0.1/test").unwrap()
        else {
            panic!("a MySQL target");
        };
        assert_eq!(database, "test");
        let (args, env) = mysql_connection(&parsed, MySqlClient::MariaDb);
        assert_eq!(
            args,
            [
                "--host=127.0.0.1",
                "--port=3306",
                "--protocol=TCP",
                "--user=root"
            ]
        );
        assert_eq!(pairs(&env), ["MYSQL_PWD=pw"]);
        assert!(matches!(
            server_target("postgres://db:5432"),
            Err(Error::BadUrl { .. })
        ));
    }

    /// The TLS parameters and the sockets of a URL, as each client program spells them.
    #[test]
    fn tls_and_sockets_reach_the_client_programs() {
        let parse = |url: &str| DatabaseUrl::parse(url).unwrap();
        // sqlx's spellings become libpq's variables; the socket directory is PGHOST.
        let postgres = parse(
            "postgres://app:s3cret@/shop?host=/var/run/postgresql&ssl-mode=verify-full&ssl-root-cert=ca.pem&sslcert=client.pem&ssl-key=client.key&options[search_path]=app",
        );
        assert_eq!(
            pairs(&postgres_environment(&postgres, "shop")),
            [
                "PGHOST=/var/run/postgresql",
                "PGPORT=5432",
                "PGUSER=app",
                "PGPASSWORD=s3cret",
                "PGDATABASE=shop",
                "PGSSLMODE=verify-full",
                "PGSSLROOTCERT=ca.pem",
                "PGSSLCERT=client.pem",
                "PGSSLKEY=client.key",
                "PGOPTIONS=-c search_path=app",
            ]
        );

        let tls = parse(
            "mysql://app:s3cret@db:3307/shop?ssl-mode=verify_ca&ssl-ca=ca.pem&sslcert=client.pem&ssl-key=client.key",
        );
        let (mysql, env) = mysql_connection(&tls, MySqlClient::MySql);
        assert_eq!(
            mysql,
            [
                "--host=db",
                "--port=3307",
                "--protocol=TCP",
                "--user=app",
                "--ssl-mode=VERIFY_CA",
                "--ssl-ca=ca.pem",
                "--ssl-cert=client.pem",
                "--ssl-key=client.key",
            ]
        );
        assert_eq!(pairs(&env), ["MYSQL_PWD=s3cret"]);
        let (mariadb, _) = mysql_connection(&tls, MySqlClient::MariaDb);
        assert_eq!(
            mariadb[4..],
            [
                "--ssl",
                "--ssl-verify-server-cert",
                "--ssl-ca=ca.pem",
                "--ssl-cert=client.pem",
                "--ssl-key=client.key",
            ]
        );
        for (mode, mariadb) in [
            ("DISABLED", &["--skip-ssl"][..]),
            ("preferred", &[]),
            ("REQUIRED", &["--ssl"]),
            ("VERIFY_IDENTITY", &["--ssl", "--ssl-verify-server-cert"]),
        ] {
            let url = parse(&format!("mysql://app@db/shop?ssl-mode={mode}"));
            assert_eq!(
                mysql_connection(&url, MySqlClient::MariaDb).0[4..],
                *mariadb
            );
            assert_eq!(
                mysql_connection(&url, MySqlClient::MySql).0[4..],
                [format!("--ssl-mode={}", mode.to_ascii_uppercase())]
            );
        }

        // A socket: no host, no port, no TCP; no user means sqlx's `root`.
        let socket = parse("mysql://@localhost/shop?socket=/run/mysqld/mysqld.sock");
        let (args, env) = mysql_connection(&socket, MySqlClient::MariaDb);
        assert_eq!(
            args,
            [
                "--protocol=SOCKET",
                "--socket=/run/mysqld/mysqld.sock",
                "--user=root"
            ]
        );
        assert_eq!(pairs(&env), ["MYSQL_PWD="]);
        // The password is never an argument.
        for args in [mysql, mariadb] {
            assert!(args.iter().all(|a| !a.contains("s3cret")), "{args:?}");
        }
    }
}
