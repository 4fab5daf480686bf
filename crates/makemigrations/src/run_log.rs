//! The log of every step that `migrate` and `rollback` took: applied, reverted, faked, recorded
//! as a baseline, or failed, with its duration, the database and user (never a password), the
//! client's host and the tool's version. `history` shows it.
//!
//! The table is created only by the commands that change the database
//! (`executor::ensure_tracking_tables`); reading a database without it is reading an empty log,
//! so `history` works for a read-only user. A step is written after its transaction ended, so a
//! failure on PostgreSQL or SQLite is kept although the migration's transaction rolled back.

use std::time::Duration;

use sea_orm::sea_query::{ColumnDef, Query, Table};
use sea_orm::{ConnectionTrait, DbBackend, DbErr};

use crate::executor::{table_exists, Direction};
use crate::introspect;

pub const LOG_TABLE: &str = "makemigrations_log";

/// What a step did to a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    /// `migrate --fake`.
    FakeUp,
    /// `rollback --fake`.
    FakeDown,
    /// A baseline recorded where its tables exist.
    Baseline,
    /// A squashed migration recorded where the migrations it replaces are all applied.
    Squashed,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Up => "up",
            Action::Down => "down",
            Action::FakeUp => "fake-up",
            Action::FakeDown => "fake-down",
            Action::Baseline => "baseline",
            Action::Squashed => "squashed",
        }
    }

    pub fn run(direction: Direction) -> Action {
        match direction {
            Direction::Up => Action::Up,
            Direction::Down => Action::Down,
        }
    }

    pub fn fake(direction: Direction) -> Action {
        match direction {
            Direction::Up => Action::FakeUp,
            Direction::Down => Action::FakeDown,
        }
    }
}

/// Creates the log table when it is missing (the commands that change the database only).
pub async fn ensure_table<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    if table_exists(db, LOG_TABLE).await? {
        return Ok(());
    }
    let create = Table::create()
        .table(LOG_TABLE.to_string())
        .if_not_exists()
        .col(
            ColumnDef::new("id")
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(ColumnDef::new("version").string().not_null())
        .col(ColumnDef::new("action").string_len(16).not_null())
        .col(ColumnDef::new("outcome").string_len(16).not_null())
        .col(ColumnDef::new("duration_ms").big_integer().not_null())
        .col(ColumnDef::new("error").text().null())
        .col(ColumnDef::new("database_name").string().not_null())
        .col(ColumnDef::new("db_user").string().not_null())
        .col(ColumnDef::new("client_host").string().not_null())
        .col(ColumnDef::new("tool_version").string_len(32).not_null())
        .col(ColumnDef::new("started_at").big_integer().not_null())
        .to_owned();
    db.execute(&create).await.map(|_| ())
}

/// Writes one step: `error` is `None` when it succeeded. Best effort: the step itself already
/// happened (or failed) and is what the user must see, so a log that cannot be written is a
/// warning on the trace (`-v`), not a second failure. Nothing is written where the table is
/// missing (an application's own migrator, before any `migrate`).
pub async fn write<C: ConnectionTrait>(
    db: &C,
    version: &str,
    action: Action,
    started_at: chrono::DateTime<chrono::Utc>,
    duration: Duration,
    error: Option<&str>,
) {
    let ms = duration.as_millis();
    match error {
        None => {
            tracing::info!(target: "makemigrations", "{version} {} ok ({ms} ms)", action.as_str())
        }
        Some(e) => tracing::info!(
            target: "makemigrations",
            "{version} {} FAILED ({ms} ms): {}",
            action.as_str(),
            crate::secrets::hide_secrets(e)
        ),
    }
    if let Err(e) = insert(db, version, action, started_at, duration, error).await {
        tracing::warn!(target: "makemigrations", "the step of {version} was not logged: {e}");
    }
}

async fn insert<C: ConnectionTrait>(
    db: &C,
    version: &str,
    action: Action,
    started_at: chrono::DateTime<chrono::Utc>,
    duration: Duration,
    error: Option<&str>,
) -> Result<(), DbErr> {
    if !table_exists(db, LOG_TABLE).await? {
        return Ok(());
    }
    let who = identity(db).await?;
    let step = Step {
        version: version.to_string(),
        action: action.as_str().to_string(),
        outcome: if error.is_some() { "failed" } else { "ok" }.to_string(),
        duration_ms: duration.as_millis() as i64,
        error: error.map(crate::secrets::hide_secrets),
        database: who.database,
        user: who.user,
        client_host: client_host(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at: started_at.timestamp(),
    };
    insert_step(db, &step).await
}

async fn insert_step<C: ConnectionTrait>(db: &C, step: &Step) -> Result<(), DbErr> {
    let insert = Query::insert()
        .into_table(LOG_TABLE.to_string())
        .columns(
            [
                "version",
                "action",
                "outcome",
                "duration_ms",
                "error",
                "database_name",
                "db_user",
                "client_host",
                "tool_version",
                "started_at",
            ]
            .map(str::to_string),
        )
        .values_panic([
            step.version.clone().into(),
            step.action.clone().into(),
            step.outcome.clone().into(),
            step.duration_ms.into(),
            step.error.clone().into(),
            step.database.clone().into(),
            step.user.clone().into(),
            step.client_host.clone().into(),
            step.tool_version.clone().into(),
            step.started_at.into(),
        ])
        .to_owned();
    db.execute(&insert).await.map(|_| ())
}

/// Writes `steps` (oldest first) back as they were: the steps of a run that
/// `--restore-on-failure` undid, which restoring the older backup took out of the log.
pub async fn append<C: ConnectionTrait>(db: &C, steps: &[Step]) -> Result<(), DbErr> {
    if steps.is_empty() {
        return Ok(());
    }
    ensure_table(db).await?;
    for step in steps {
        insert_step(db, step).await?;
    }
    Ok(())
}

/// Who ran a step where: asked of the connection itself, so no URL (and so no password) is
/// ever involved.
struct Identity {
    /// `PostgreSQL 127.0.0.1:5432/shop`, `MySQL/MariaDB db-1:3306/shop`, `SQLite data/app.db`.
    database: String,
    user: String,
}

async fn identity<C: ConnectionTrait>(db: &C) -> Result<Identity, DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT current_user::text AS db_user, \
               COALESCE(host(inet_server_addr()) || ':' || inet_server_port()::text, 'local socket') \
                 || '/' || current_database() AS place"
        }
        DbBackend::MySql => {
            "SELECT CAST(SUBSTRING_INDEX(USER(), '@', 1) AS CHAR) AS db_user, \
               CAST(CONCAT(@@hostname, ':', @@port, '/', COALESCE(DATABASE(), '')) AS CHAR) AS place"
        }
        _ => "SELECT '' AS db_user, file AS place FROM pragma_database_list WHERE name = 'main'",
    };
    let rows = introspect::query(db, sql, vec![]).await?;
    let row = rows.first();
    let get = |column: &str| -> Result<String, DbErr> {
        Ok(match row {
            Some(r) => r.try_get::<Option<String>>("", column)?.unwrap_or_default(),
            None => String::new(),
        })
    };
    let mut user = get("db_user")?;
    let mut place = get("place")?;
    if backend == DbBackend::Sqlite {
        // SQLite has no users: the operating system's account ran the step.
        user = ["USER", "LOGNAME", "USERNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
            .unwrap_or_else(|| "unknown".to_string());
        if place.is_empty() {
            place = "in memory".to_string();
        }
    }
    Ok(Identity {
        database: format!("{} {place}", crate::backend_label(backend)),
        user,
    })
}

/// The name of the machine that ran the step.
fn client_host() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .or_else(|_| std::fs::read_to_string("/etc/hostname"))
                .ok()
        })
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// One row of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub version: String,
    pub action: String,
    pub outcome: String,
    pub duration_ms: i64,
    pub error: Option<String>,
    pub database: String,
    pub user: String,
    pub client_host: String,
    pub tool_version: String,
    pub started_at: i64,
}

/// The log, newest first (at most `limit` steps); `None` where the database has no log (a
/// database from before it, or one that only read-only commands have seen).
pub async fn read<C: ConnectionTrait>(
    db: &C,
    limit: Option<usize>,
) -> Result<Option<Vec<Step>>, DbErr> {
    if !table_exists(db, LOG_TABLE).await? {
        return Ok(None);
    }
    let limit = limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
    let sql = format!(
        "SELECT version, action, outcome, duration_ms, error, database_name, db_user, \
           client_host, tool_version, started_at FROM {LOG_TABLE} ORDER BY id DESC{limit}"
    );
    let rows = introspect::query(db, &sql, vec![]).await?;
    let steps = rows
        .iter()
        .map(|r| {
            Ok(Step {
                version: r.try_get("", "version")?,
                action: r.try_get("", "action")?,
                outcome: r.try_get("", "outcome")?,
                duration_ms: r.try_get("", "duration_ms")?,
                error: r.try_get("", "error")?,
                database: r.try_get("", "database_name")?,
                user: r.try_get("", "db_user")?,
                client_host: r.try_get("", "client_host")?,
                tool_version: r.try_get("", "tool_version")?,
                started_at: r.try_get("", "started_at")?,
            })
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    Ok(Some(steps))
}
