//! The statements that changed a MySQL database during one migration, so that a failure can say
//! exactly what stayed applied: MySQL commits each DDL statement at once, and no transaction can
//! take it back (docs/ARCHITECTURE.md, decision 7).
//!
//! sea-orm reports every statement it runs through a connection's metric callback; the callback
//! is installed when a MySQL connection is made, and keeps entries only while a journal is open.

use std::sync::Mutex;

use sea_orm::metric::Info;

/// One statement that ran, and whether the server refused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub sql: String,
    pub failed: bool,
}

static OPEN: Mutex<Option<Vec<Entry>>> = Mutex::new(None);

/// Starts recording (and forgets anything recorded before).
pub fn open() {
    *OPEN.lock().unwrap_or_else(|e| e.into_inner()) = Some(Vec::new());
}

/// Stops recording and returns what was recorded.
pub fn close() -> Vec<Entry> {
    OPEN.lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_default()
}

/// The metric callback: keeps the statements that can change something (not reads).
pub fn record(info: &Info<'_>) {
    let mut open = OPEN.lock().unwrap_or_else(|e| e.into_inner());
    let Some(entries) = open.as_mut() else {
        return;
    };
    let sql = info.statement.to_string();
    let verb = sql
        .trim_start()
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    if !matches!(verb.as_str(), "SELECT" | "SHOW" | "WITH" | "USE" | "SET") {
        entries.push(Entry {
            sql,
            failed: info.failed,
        });
    }
}
