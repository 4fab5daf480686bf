//! The run lock: `migrate` and `rollback` hold it for their whole run, taken before they read the
//! migration states, so two runs at once (replicas starting together, CI beside a person) apply
//! each migration exactly once: the second one waits, then reads the states the first one left.
//!
//! - PostgreSQL: a session advisory lock on a connection of its own, which stays idle while the
//!   migrations run on the main connection (an idle session holds no snapshot, so it never blocks
//!   a `CREATE INDEX CONCURRENTLY` of the migration itself). After taking it, a second statement
//!   checks in `pg_locks` that this session really holds it: a pooler in transaction mode hands
//!   each statement to another server connection, which silently breaks session locks. The
//!   statement that takes it also checks that the session did not hold it already (a pooler
//!   that ran another client's lock on the same server connection).
//! - MySQL/MariaDB: `GET_LOCK` on a connection of its own.
//! - SQLite: an exclusive advisory file lock (`flock`) on `<database file>.makemigrations.lock`,
//!   which excludes a second process for the whole run whatever the executor does on its single
//!   connection (per-migration transactions, the rebuilds' pragmas); an in-memory database needs
//!   none. The file is left in place: removing it would let a waiter lock a file that no longer
//!   has a name.
//!
//! Every lock is released at the end, and by the server (or the kernel) when the process dies.
//! The connections are plain sqlx connections, not pools: a pool may close an idle connection,
//! and with it the lock. They are opened with the options of the pool `db` was made with, so an
//! application's own connection (`crate::app`) is locked as the command line's is.

use std::time::{Duration, Instant};

#[cfg(any(feature = "postgres", feature = "mysql"))]
use sea_orm::sqlx::{self, ConnectOptions, Connection};
#[cfg(feature = "postgres")]
use sea_orm::ConnectionTrait;
use sea_orm::DatabaseConnection;
#[cfg(any(feature = "postgres", feature = "mysql"))]
use sea_orm::DbBackend;
use sha2::{Digest, Sha256};

use crate::error::Error;
#[cfg(any(feature = "postgres", feature = "mysql"))]
use crate::secrets::hide_secrets;

/// How often a waiting run asks again (PostgreSQL, SQLite; MySQL's `GET_LOCK` waits itself).
const POLL: Duration = Duration::from_millis(100);
/// How long opening the lock's own connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Who holds the lock, as far as the backend tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// For the message: `PostgreSQL backend pid 4242`, `MySQL connection id 17`, `process 9876`.
    pub who: String,
    /// How to end that run if it is stuck: `SELECT pg_terminate_backend(4242)`, `KILL 17`,
    /// `kill 9876`.
    pub stop: String,
}

/// A held run lock; [`RunLock::release`] gives it back.
pub struct RunLock {
    inner: Inner,
    /// The locked database as messages show it (password hidden).
    database: String,
}

enum Inner {
    #[cfg(feature = "postgres")]
    Postgres {
        conn: sqlx::postgres::PgConnection,
        key: i64,
    },
    #[cfg(feature = "mysql")]
    MySql {
        conn: sqlx::mysql::MySqlConnection,
        name: String,
    },
    /// Closing the file releases the lock.
    Sqlite(#[allow(dead_code)] std::fs::File),
    /// An in-memory SQLite database: no other process can see it.
    None,
}

/// The PostgreSQL advisory lock key: a fixed number derived from the tool's name and the
/// database and schema being migrated, so runs against other schemas do not wait for each other.
pub fn postgres_key(database: &str, schema: &str) -> i64 {
    let digest = Sha256::digest(format!("makemigrations\0{database}\0{schema}").as_bytes());
    i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// How `pg_locks` shows a bigint advisory key: `(classid, objid)`, the high and the low 32 bits
/// as unsigned numbers (with `objsubid` 1).
pub fn pg_locks_key(key: i64) -> (i64, i64) {
    let key = key as u64;
    ((key >> 32) as i64, (key & 0xffff_ffff) as i64)
}

/// The MySQL/MariaDB lock name (at most 64 characters, the servers' limit).
pub fn mysql_lock_name(database: &str) -> String {
    let name = format!("makemigrations:{database}");
    if name.chars().count() <= 64 {
        return name;
    }
    let digest = Sha256::digest(database.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("makemigrations:{hex}")
}

/// The lock file of a SQLite database file.
pub fn sqlite_lock_path(database_file: &std::path::Path) -> std::path::PathBuf {
    let mut name = database_file.as_os_str().to_owned();
    name.push(".makemigrations.lock");
    name.into()
}

/// Takes the run lock for the database `db` is connected to (`database`: how messages name it,
/// password hidden), waiting at most `timeout`. `on_wait` is called once, when the lock is found
/// taken, with its holder where the backend tells.
pub async fn acquire(
    db: &DatabaseConnection,
    database: &str,
    timeout: Duration,
    on_wait: &mut (dyn FnMut(Option<&Holder>) + Send),
) -> Result<RunLock, Error> {
    let started = Instant::now();
    let inner = match db.get_database_backend() {
        #[cfg(feature = "postgres")]
        DbBackend::Postgres => {
            // Read through the migrations' own connection: its search_path may be set after
            // connecting (sea-orm's `set_schema_search_path`), which the options do not carry.
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT current_database()::text AS db, current_schema()::text AS schema",
                ))
                .await?;
            let (name, schema) = row
                .map(|row| {
                    (
                        row.try_get::<String>("", "db").unwrap_or_default(),
                        row.try_get::<String>("", "schema").unwrap_or_default(),
                    )
                })
                .unwrap_or_default();
            let key = postgres_key(&name, &schema);
            let options = db.get_postgres_connection_pool().connect_options();
            postgres(&options, key, database, timeout, started, on_wait).await?
        }
        #[cfg(feature = "mysql")]
        DbBackend::MySql => {
            let options = db.get_mysql_connection_pool().connect_options();
            mysql(&options, database, timeout, started, on_wait).await?
        }
        _ => sqlite(db, timeout, started, on_wait).await?,
    };
    Ok(RunLock {
        inner,
        database: database.to_string(),
    })
}

impl RunLock {
    /// Checks that the lock is still held, before each migration: a server connection that was
    /// closed under the run (a restart, a network cut, a pooler, a timeout) took the lock with it,
    /// and another run may have started. `before` names the migration that would run next.
    pub async fn ensure_held(&mut self, before: &str) -> Result<(), Error> {
        // A connection whose server went away can leave a query waiting for a long time.
        let asked = tokio::time::timeout(CONNECT_TIMEOUT, self.is_held()).await;
        let held = asked.unwrap_or_else(|_| {
            Err(format!(
                "the lock's connection gave no answer within {} s",
                CONNECT_TIMEOUT.as_secs()
            ))
        });
        match held {
            Ok(true) => Ok(()),
            Ok(false) => Err(Error::LockLost {
                database: self.database.clone(),
                before: before.to_string(),
                why: "the lock's session no longer holds it".into(),
            }),
            Err(why) => Err(Error::LockLost {
                database: self.database.clone(),
                before: before.to_string(),
                why,
            }),
        }
    }

    async fn is_held(&mut self) -> Result<bool, String> {
        match &mut self.inner {
            #[cfg(feature = "postgres")]
            Inner::Postgres { conn, key } => {
                let (high, low) = pg_locks_key(*key);
                sqlx::query_scalar::<_, i64>(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted \
                     AND pid = pg_backend_pid() AND classid::bigint = $1 \
                     AND objid::bigint = $2 AND objsubid = 1",
                )
                .bind(high)
                .bind(low)
                .fetch_one(conn)
                .await
                .map(|n| n > 0)
                .map_err(|e| hide_secrets(&e.to_string()))
            }
            #[cfg(feature = "mysql")]
            Inner::MySql { conn, name } => sqlx::query_scalar::<_, Option<i64>>(
                "SELECT CAST(IS_USED_LOCK(?) = CONNECTION_ID() AS SIGNED)",
            )
            .bind(name.clone())
            .fetch_one(conn)
            .await
            .map(|held| held == Some(1))
            .map_err(|e| hide_secrets(&e.to_string())),
            // A file lock lasts as long as the process holds the file open.
            Inner::Sqlite(_) | Inner::None => Ok(true),
        }
    }

    /// Gives the lock back. Errors are not reported: closing the lock's connection (or file)
    /// releases it anyway.
    pub async fn release(self) {
        // Bounded: a connection that does not answer is dropped, and its closing frees the lock.
        let _ = tokio::time::timeout(CONNECT_TIMEOUT, self.release_now()).await;
    }

    async fn release_now(self) {
        match self.inner {
            #[cfg(feature = "postgres")]
            Inner::Postgres { mut conn, key } => {
                let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(key)
                    .execute(&mut conn)
                    .await;
                let _ = conn.close().await;
            }
            #[cfg(feature = "mysql")]
            Inner::MySql { mut conn, name } => {
                let _ = sqlx::query("SELECT RELEASE_LOCK(?)")
                    .bind(name)
                    .execute(&mut conn)
                    .await;
                let _ = conn.close().await;
            }
            Inner::Sqlite(file) => drop(file),
            Inner::None => {}
        }
    }
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
fn connect_error(database: &str, reason: String) -> Error {
    Error::Connect {
        url: database.to_string(),
        reason: format!(
            "opening the connection that holds the migration lock: {}",
            hide_secrets(&reason)
        ),
    }
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
/// A connection of the lock's own, with the options of the pool (`options`).
async fn connect<O>(options: &O, database: &str) -> Result<O::Connection, Error>
where
    O: ConnectOptions,
    O::Connection: Sized,
{
    match tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(connect_error(database, e.to_string())),
        Err(_) => Err(connect_error(
            database,
            format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
        )),
    }
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
fn lock_error(e: sqlx::Error) -> Error {
    Error::Db(sea_orm::DbErr::Custom(format!(
        "taking the migration lock: {}",
        hide_secrets(&e.to_string())
    )))
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
fn timed_out(database: &str, timeout: Duration, holder: Option<Holder>) -> Error {
    Error::LockTimeout {
        database: database.to_string(),
        waited_secs: timeout.as_secs(),
        holder,
    }
}

#[cfg(feature = "postgres")]
async fn postgres(
    options: &sqlx::postgres::PgConnectOptions,
    key: i64,
    database_shown: &str,
    timeout: Duration,
    started: Instant,
    on_wait: &mut (dyn FnMut(Option<&Holder>) + Send),
) -> Result<Inner, Error> {
    let mut conn = connect(options, database_shown).await?;
    let err = lock_error;
    // The lock's connection stays idle for the whole run: a server that closes idle sessions
    // would free the lock halfway. (The setting exists from PostgreSQL 14 on.)
    let _ = sqlx::query("SET idle_session_timeout = 0")
        .execute(&mut conn)
        .await;
    // pg_locks shows a bigint key as classid (high half) and objid (low half), objsubid 1.
    let (high, low) = pg_locks_key(key);
    let mut waited: Option<Option<Holder>> = None;
    let pid = loop {
        // `before`: this session held the key before asking, so it was taken by another client
        // whose statements a pooler ran on the same server connection.
        // The subquery (fenced by OFFSET 0) is computed before the outer list, so `before` is
        // read before the lock is tried, never after it (which would see this very lock).
        let (pid, before, taken): (i32, bool, bool) = sqlx::query_as(
            "SELECT pid, before, pg_try_advisory_lock($1) FROM ( \
                 SELECT pg_backend_pid() AS pid, \
                        EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted \
                                AND pid = pg_backend_pid() AND classid::bigint = $2 \
                                AND objid::bigint = $3 AND objsubid = 1) AS before \
                 OFFSET 0) AS session",
        )
        .bind(key)
        .bind(high)
        .bind(low)
        .fetch_one(&mut conn)
        .await
        .map_err(err)?;
        if before {
            let _ = conn.close().await;
            return Err(Error::LockNotHeld {
                database: database_shown.to_string(),
            });
        }
        if taken {
            break pid;
        }
        let holder: Option<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 1 LIMIT 1",
        )
        .bind(high)
        .bind(low)
        .fetch_optional(&mut conn)
        .await
        .map_err(err)?
        .flatten();
        let holder = holder.map(|pid| Holder {
            who: format!("PostgreSQL backend pid {pid}"),
            stop: format!("SELECT pg_terminate_backend({pid})"),
        });
        if waited.is_none() {
            on_wait(holder.as_ref());
        }
        if holder.is_some() || waited.is_none() {
            waited = Some(holder);
        }
        if started.elapsed() >= timeout {
            let _ = conn.close().await;
            return Err(timed_out(database_shown, timeout, waited.flatten()));
        }
        tokio::time::sleep(POLL).await;
    };
    // A second statement: through a pooler in transaction mode it may reach another server
    // connection, which does not hold the lock that the first one took.
    let held: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND pid = pg_backend_pid() AND pid = $3 AND classid::bigint = $1 \
         AND objid::bigint = $2 AND objsubid = 1",
    )
    .bind(high)
    .bind(low)
    .bind(pid)
    .fetch_one(&mut conn)
    .await
    .map_err(err)?;
    if held == 0 {
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(key)
            .execute(&mut conn)
            .await;
        let _ = conn.close().await;
        return Err(Error::LockNotHeld {
            database: database_shown.to_string(),
        });
    }
    Ok(Inner::Postgres { conn, key })
}

#[cfg(feature = "mysql")]
async fn mysql(
    options: &sqlx::mysql::MySqlConnectOptions,
    database_shown: &str,
    timeout: Duration,
    started: Instant,
    on_wait: &mut (dyn FnMut(Option<&Holder>) + Send),
) -> Result<Inner, Error> {
    let mut conn = connect(options, database_shown).await?;
    let err = lock_error;
    // The lock's connection stays idle for the whole run: `wait_timeout` would close it and free
    // the lock halfway.
    sqlx::query("SET SESSION wait_timeout = 31536000")
        .execute(&mut conn)
        .await
        .map_err(err)?;
    let database: Option<String> = sqlx::query_scalar("SELECT CAST(DATABASE() AS CHAR)")
        .fetch_one(&mut conn)
        .await
        .map_err(err)?;
    let name = mysql_lock_name(database.as_deref().unwrap_or_default());
    let get_lock = |seconds: i64| {
        sqlx::query_scalar::<_, Option<i64>>("SELECT CAST(GET_LOCK(?, ?) AS SIGNED)")
            .bind(name.clone())
            .bind(seconds)
    };
    let got = get_lock(0).fetch_one(&mut conn).await.map_err(err)?;
    if got == Some(1) {
        return Ok(Inner::MySql { conn, name });
    }
    let holder: Option<i64> = sqlx::query_scalar("SELECT CAST(IS_USED_LOCK(?) AS SIGNED)")
        .bind(name.clone())
        .fetch_one(&mut conn)
        .await
        .map_err(err)?;
    let holder = holder.map(|id| Holder {
        who: format!("MySQL connection id {id}"),
        stop: format!("KILL {id}"),
    });
    on_wait(holder.as_ref());
    // GET_LOCK waits on the server; whole seconds, at least one when any time is left.
    let left = timeout.saturating_sub(started.elapsed());
    let got = if left.is_zero() {
        Some(0)
    } else {
        let seconds = left.as_secs_f64().ceil() as i64;
        get_lock(seconds.max(1))
            .fetch_one(&mut conn)
            .await
            .map_err(err)?
    };
    if got == Some(1) {
        return Ok(Inner::MySql { conn, name });
    }
    let _ = conn.close().await;
    Err(timed_out(database_shown, timeout, holder))
}

async fn sqlite(
    db: &DatabaseConnection,
    timeout: Duration,
    started: Instant,
    on_wait: &mut (dyn FnMut(Option<&Holder>) + Send),
) -> Result<Inner, Error> {
    let Some(file) = crate::introspect::sqlite::main_file(db).await? else {
        return Ok(Inner::None);
    };
    let path = sqlite_lock_path(&file);
    let lock_file_error = |e: std::io::Error| Error::LockFile {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let mut lock_file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(lock_file_error)?;
    let mut waited = false;
    loop {
        match fs4::FileExt::try_lock(&lock_file) {
            Ok(()) => break,
            Err(fs4::TryLockError::WouldBlock) => {}
            Err(fs4::TryLockError::Error(e)) => return Err(lock_file_error(e)),
        }
        let holder = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| text.trim().parse::<u32>().ok())
            .map(|pid| Holder {
                who: format!("process {pid}"),
                stop: format!("kill {pid}"),
            });
        if !waited {
            on_wait(holder.as_ref());
            waited = true;
        }
        if started.elapsed() >= timeout {
            return Err(Error::LockTimeout {
                database: file.display().to_string(),
                waited_secs: timeout.as_secs(),
                holder,
            });
        }
        tokio::time::sleep(POLL).await;
    }
    // The holder's process id, for the message of a run that waits.
    use std::io::{Seek, Write};
    let written = lock_file
        .set_len(0)
        .and_then(|()| lock_file.seek(std::io::SeekFrom::Start(0)))
        .and_then(|_| write!(lock_file, "{}", std::process::id()))
        .and_then(|()| lock_file.flush());
    written.map_err(lock_file_error)?;
    Ok(Inner::Sqlite(lock_file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_per_database_and_schema() {
        assert_ne!(
            postgres_key("shop", "public"),
            postgres_key("shop", "tenant")
        );
        assert_ne!(
            postgres_key("shop", "public"),
            postgres_key("shop2", "public")
        );
    }

    #[test]
    fn pg_locks_shows_a_key_as_two_unsigned_halves() {
        assert_eq!(pg_locks_key(0x0000_0001_0000_0002), (1, 2));
        // Negative keys: both halves stay unsigned, as the oid columns show them.
        assert_eq!(pg_locks_key(-1), (0xffff_ffff, 0xffff_ffff));
        assert_eq!(pg_locks_key(i64::MIN), (0x8000_0000, 0));
        let key = postgres_key("shop", "public");
        let (high, low) = pg_locks_key(key);
        assert_eq!(((high as u64) << 32 | low as u64) as i64, key);
    }

    #[test]
    fn mysql_lock_names_fit_the_servers_limit() {
        assert_eq!(mysql_lock_name("shop"), "makemigrations:shop");
        // "makemigrations:" is 15 characters: a 49-character name still fits whole.
        let fits = "d".repeat(49);
        assert_eq!(mysql_lock_name(&fits), format!("makemigrations:{fits}"));
        for long in ["d".repeat(50), "é".repeat(60)] {
            let name = mysql_lock_name(&long);
            assert!(name.chars().count() <= 64, "{name}");
            assert!(name.starts_with("makemigrations:"), "{name}");
            assert_ne!(
                name,
                mysql_lock_name(&format!("{long}x")),
                "two databases, one lock"
            );
        }
    }

    #[test]
    fn lock_file_sits_beside_the_database() {
        assert_eq!(
            sqlite_lock_path(std::path::Path::new("/data/app.sqlite3")),
            std::path::Path::new("/data/app.sqlite3.makemigrations.lock")
        );
    }
}
