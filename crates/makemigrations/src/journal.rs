//! The statements that changed a MySQL database during one migration, so that a failure, a kill
//! or a lost connection can say exactly what stayed applied: MySQL commits each DDL statement at
//! once, and no transaction can take it back (docs/ARCHITECTURE.md, decision 7).
//!
//! sea-orm reports the statements it runs through a connection's metric callback (`SchemaManager`,
//! `execute`, `execute_raw`, queries; not `execute_unprepared`, which sea-orm 2.0 runs without
//! it); the callback is installed when a MySQL connection is made, and keeps entries only while a
//! journal is open. The callback runs
//! after the statement and before the next one can start, so a progress hook given to [`open`]
//! sees each statement before the migration goes on.

use std::sync::Mutex;

use sea_orm::metric::Info;

/// One statement that ran, and whether the server refused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub sql: String,
    pub failed: bool,
}

/// Called after each statement that completed, with every statement that completed so far.
pub type Progress = Box<dyn FnMut(&[String]) + Send>;

struct Journal {
    entries: Vec<Entry>,
    progress: Option<Progress>,
}

static OPEN: Mutex<Option<Journal>> = Mutex::new(None);

/// Starts recording (and forgets anything recorded before); `progress` hears of each statement
/// that completed, before the next statement starts.
pub fn open(progress: Option<Progress>) {
    *OPEN.lock().unwrap_or_else(|e| e.into_inner()) = Some(Journal {
        entries: Vec::new(),
        progress,
    });
}

/// Stops recording and returns what was recorded.
pub fn close() -> Vec<Entry> {
    OPEN.lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .map(|j| j.entries)
        .unwrap_or_default()
}

/// The metric callback: keeps the statements that can change something (not reads).
pub fn record(info: &Info<'_>) {
    let mut open = OPEN.lock().unwrap_or_else(|e| e.into_inner());
    let Some(journal) = open.as_mut() else {
        return;
    };
    let sql = info.statement.to_string();
    if !changes_something(&sql) {
        return;
    }
    journal.entries.push(Entry {
        sql,
        failed: info.failed,
    });
    if info.failed {
        return;
    }
    if let Some(progress) = journal.progress.as_mut() {
        let completed: Vec<String> = journal
            .entries
            .iter()
            .filter(|e| !e.failed)
            .map(|e| e.sql.clone())
            .collect();
        progress(&completed);
    }
}

/// Whether a statement may change the database (reads and session settings do not).
fn changes_something(sql: &str) -> bool {
    let verb = sql
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    !matches!(verb.as_str(), "SELECT" | "SHOW" | "WITH" | "USE" | "SET")
}
