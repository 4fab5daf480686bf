//! The statements that changed a MySQL database during one migration, so that a failure, a kill
//! or a lost connection can say exactly what stayed applied: MySQL commits each DDL statement at
//! once, and no transaction can take it back (docs/decisions.md, decision 7).
//!
//! Two sources feed it. sqlx logs every statement it runs, whatever API sent it
//! (`execute_unprepared` included), as a `tracing` event of target `sqlx::query` once the
//! statement completed or failed: [`layer`] hears them in every run of the CLI. sea-orm's metric
//! callback ([`record`], installed when a MySQL connection is made) comes after sqlx's event for
//! the same statement and says whether it failed, with its values inlined, but never comes for
//! `execute_unprepared`. So an entry from the log is kept unconfirmed, and the metric callback
//! that follows replaces it (with its own text and outcome) instead of adding a second entry.
//!
//! Entries are kept only while a journal is open. The progress hook given to [`open`] hears of
//! each statement once, from whichever source told first, before the migration goes on; it runs
//! without the journal's lock held, since it waits for a write on another connection (whose own
//! statements are logged too, and skipped before any lock is taken).

use std::cell::Cell;
use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use sea_orm::metric::Info;
use tracing::field::{Field, Visit};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

/// sqlx's target for the statements it runs.
pub const SQL_TARGET: &str = "sqlx::query";

/// One statement that ran, and whether the server refused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub sql: String,
    pub failed: bool,
    /// Heard from sqlx's log only, and the last statement logged: neither a metric callback nor a
    /// later statement says whether it failed (it went through `execute_unprepared`).
    pub unconfirmed: bool,
}

/// Called after each statement that completed, with every statement that completed so far.
pub type Progress = Box<dyn FnMut(&[String]) + Send>;

#[derive(Default)]
struct Journal {
    entries: Vec<Entry>,
}

impl Journal {
    /// A statement from sqlx's log; the statements completed so far when the hook must hear.
    fn logged(&mut self, sql: String) -> Option<Vec<String>> {
        if !changes_something(&sql) {
            // A read after it: the last statement completed, and is not what a final error is of.
            if let Some(last) = self.entries.last_mut() {
                last.unconfirmed = false;
            }
            return None;
        }
        if let Some(last) = self.entries.last_mut() {
            last.unconfirmed = false;
        }
        self.entries.push(Entry {
            sql,
            failed: false,
            unconfirmed: true,
        });
        Some(self.completed())
    }

    /// A statement from the metric callback; the statements completed so far when the hook must
    /// hear (not when sqlx's log already told of this statement).
    fn metric(&mut self, sql: String, failed: bool) -> Option<Vec<String>> {
        if !changes_something(&sql) {
            return None;
        }
        let entry = Entry {
            sql,
            failed,
            unconfirmed: false,
        };
        match self.entries.last_mut() {
            Some(last) if last.unconfirmed => {
                *last = entry;
                None
            }
            _ => {
                self.entries.push(entry);
                (!failed).then(|| self.completed())
            }
        }
    }

    fn completed(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter(|e| !e.failed)
            .map(|e| e.sql.clone())
            .collect()
    }
}

struct Open {
    journal: Journal,
    /// Taken out while it runs, so that the lock is free meanwhile.
    progress: Option<Progress>,
}

static OPEN: Mutex<Option<Open>> = Mutex::new(None);
/// Whether a journal is open, read without the lock: most statements run with none open.
static IS_OPEN: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// The tool's own bookkeeping runs here (the progress record's thread): never journaled.
    static IGNORED: Cell<bool> = const { Cell::new(false) };
}

/// Marks the calling thread as the tool's own: the statements it runs are never journaled.
pub fn ignore_this_thread() {
    IGNORED.with(|i| i.set(true));
}

/// Starts recording (and forgets anything recorded before); `progress` hears of each statement
/// that completed, before the next statement starts.
pub fn open(progress: Option<Progress>) {
    *lock() = Some(Open {
        journal: Journal::default(),
        progress,
    });
    IS_OPEN.store(true, Ordering::SeqCst);
}

/// Stops recording and returns what was recorded.
pub fn close() -> Vec<Entry> {
    IS_OPEN.store(false, Ordering::SeqCst);
    lock().take().map(|o| o.journal.entries).unwrap_or_default()
}

/// What [`close`] returned, once the migration failed with `error`: the statements that stayed
/// applied and the statement the server refused, if known. An unconfirmed last entry is the
/// refused one when the error is a statement's (`execute_unprepared` reports no failure).
pub fn outcome(entries: Vec<Entry>, error: &sea_orm::DbErr) -> (Vec<String>, Option<String>) {
    let statement_error = matches!(error, sea_orm::DbErr::Exec(_) | sea_orm::DbErr::Query(_));
    let (failed, mut ran): (Vec<_>, Vec<_>) = entries.into_iter().partition(|e| e.failed);
    if let Some(failed) = failed.into_iter().next() {
        return (ran.into_iter().map(|e| e.sql).collect(), Some(failed.sql));
    }
    let refused = match ran.last() {
        Some(last) if last.unconfirmed && statement_error => ran.pop(),
        _ => None,
    };
    (
        ran.into_iter().map(|e| e.sql).collect(),
        refused.map(|e| e.sql),
    )
}

fn lock() -> std::sync::MutexGuard<'static, Option<Open>> {
    OPEN.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `change` on the open journal, then the progress hook (without the lock) when `change`
/// says so.
fn update(change: impl FnOnce(&mut Journal) -> Option<Vec<String>>) {
    let (completed, mut progress) = {
        let mut open = lock();
        let Some(open) = open.as_mut() else {
            return;
        };
        match change(&mut open.journal) {
            Some(completed) => (completed, open.progress.take()),
            None => return,
        }
    };
    if let Some(hook) = progress.as_mut() {
        hook(&completed);
    }
    if let Some(open) = lock().as_mut() {
        if open.progress.is_none() {
            open.progress = progress;
        }
    }
}

/// The metric callback: keeps the statements that can change something (not reads).
pub fn record(info: &Info<'_>) {
    if !IS_OPEN.load(Ordering::SeqCst) || IGNORED.with(|i| i.get()) {
        return;
    }
    let sql = info.statement.to_string();
    if is_own(&sql) {
        return;
    }
    update(|journal| journal.metric(sql, info.failed));
}

/// The layer that feeds sqlx's statement log to the journal: it asks for `sqlx::query` at debug
/// level whatever `-v` prints (sqlx checks that someone listens before it logs).
pub fn layer<S>() -> impl Layer<S> + Send + Sync
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    Listener.with_filter(Targets::new().with_target(SQL_TARGET, LevelFilter::DEBUG))
}

struct Listener;

impl<S: tracing::Subscriber> Layer<S> for Listener {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != SQL_TARGET
            || !IS_OPEN.load(Ordering::SeqCst)
            || IGNORED.with(|i| i.get())
        {
            return;
        }
        let mut fields = SqlFields::default();
        event.record(&mut fields);
        let sql = fields.sql();
        if sql.is_empty() || is_own(&sql) {
            return;
        }
        update(|journal| journal.logged(sql));
    }
}

/// sqlx's `summary` (the whole statement when short) and `db.statement` (the whole statement
/// otherwise, between blank lines).
#[derive(Default)]
pub struct SqlFields {
    summary: String,
    statement: String,
}

impl SqlFields {
    /// The whole statement.
    pub fn sql(&self) -> String {
        match self.statement.trim() {
            "" => self.summary.trim().to_string(),
            whole => whole.to_string(),
        }
    }
}

impl Visit for SqlFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => self.summary = value.to_string(),
            "db.statement" => self.statement = value.to_string(),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        match field.name() {
            "summary" => self.summary = format!("{value:?}"),
            "db.statement" => self.statement = format!("{value:?}"),
            _ => {}
        }
    }
}

/// The tool's own record of a running migration (written by the progress thread, also logged).
fn is_own(sql: &str) -> bool {
    sql.contains(crate::executor::HALF_APPLIED)
}

/// Whether a statement may change the database (reads, session settings and transaction
/// control do not: sqlx logs `BEGIN` and `COMMIT` of a transaction too).
fn changes_something(sql: &str) -> bool {
    let verb = sql
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .trim_end_matches(';')
        .to_ascii_uppercase();
    !matches!(
        verb.as_str(),
        "SELECT"
            | "SHOW"
            | "WITH"
            | "USE"
            | "SET"
            | "BEGIN"
            | "START"
            | "COMMIT"
            | "ROLLBACK"
            | "SAVEPOINT"
            | "RELEASE"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{DbErr, RuntimeErr};

    fn exec_error() -> DbErr {
        DbErr::Exec(RuntimeErr::Internal("refused".into()))
    }

    #[test]
    fn a_statement_heard_from_both_sources_is_kept_once_with_the_metric_text() {
        let mut j = Journal::default();
        // sqlx's log first (placeholders), then the metric callback (values inlined).
        assert_eq!(
            j.logged("INSERT INTO t VALUES (?)".into()),
            Some(vec!["INSERT INTO t VALUES (?)".to_string()])
        );
        assert_eq!(j.metric("INSERT INTO t VALUES (1)".into(), false), None);
        // execute_unprepared: the log only.
        assert!(j.logged("CREATE TABLE u (id int)".into()).is_some());
        // Reads and transaction control are left out, from either source.
        assert_eq!(j.logged("SELECT 1".into()), None);
        assert_eq!(j.logged("BEGIN".into()), None);
        assert_eq!(j.metric("SELECT 1".into(), false), None);
        // A statement that failed, through sea-orm: the metric callback marks it.
        assert!(j.logged("ALTER TABLE t ADD x int".into()).is_some());
        assert_eq!(j.metric("ALTER TABLE t ADD x int".into(), true), None);
        assert_eq!(
            j.entries,
            vec![
                Entry {
                    sql: "INSERT INTO t VALUES (1)".into(),
                    failed: false,
                    unconfirmed: false
                },
                Entry {
                    sql: "CREATE TABLE u (id int)".into(),
                    failed: false,
                    unconfirmed: false
                },
                Entry {
                    sql: "ALTER TABLE t ADD x int".into(),
                    failed: true,
                    unconfirmed: false
                },
            ]
        );
        let (ran, failed) = outcome(j.entries, &exec_error());
        assert_eq!(ran, ["INSERT INTO t VALUES (1)", "CREATE TABLE u (id int)"]);
        assert_eq!(failed.as_deref(), Some("ALTER TABLE t ADD x int"));
    }

    #[test]
    fn without_the_log_the_metric_callback_alone_keeps_each_statement() {
        let mut j = Journal::default();
        assert!(j.metric("CREATE TABLE t (id int)".into(), false).is_some());
        assert!(j.metric("CREATE TABLE u (id int)".into(), false).is_some());
        assert_eq!(j.metric("CREATE TABLE u (id int)".into(), true), None);
        assert_eq!(j.entries.len(), 3);
        assert!(j.entries[2].failed);
    }

    #[test]
    fn an_unconfirmed_last_statement_is_the_failed_one_only_after_a_statement_error() {
        let mut j = Journal::default();
        j.logged("CREATE TABLE t (id int)".into());
        j.logged("INSERT INTO t VALUES (1)".into());
        j.logged("INSERT INTO nowhere VALUES (1)".into());
        let (ran, failed) = outcome(j.entries.clone(), &exec_error());
        assert_eq!(ran, ["CREATE TABLE t (id int)", "INSERT INTO t VALUES (1)"]);
        assert_eq!(failed.as_deref(), Some("INSERT INTO nowhere VALUES (1)"));
        // The migration's own error: everything ran.
        let (ran, failed) = outcome(j.entries.clone(), &DbErr::Migration("no".into()));
        assert_eq!(ran.len(), 3);
        assert_eq!(failed, None);
        // A read after the last statement: that read is what failed.
        j.logged("SELECT * FROM nowhere".into());
        let (ran, failed) = outcome(j.entries, &exec_error());
        assert_eq!(ran.len(), 3);
        assert_eq!(failed, None);
    }

    #[test]
    fn long_statements_are_taken_whole_from_the_log() {
        let short = SqlFields {
            summary: "DROP TABLE t".into(),
            statement: String::new(),
        };
        assert_eq!(short.sql(), "DROP TABLE t");
        let long = SqlFields {
            summary: "INSERT INTO t VALUES …".into(),
            statement: "\n\nINSERT INTO t VALUES (1), (2)\n".into(),
        };
        assert_eq!(long.sql(), "INSERT INTO t VALUES (1), (2)");
        assert!(is_own(
            "UPDATE makemigrations_half_applied SET statements = ?"
        ));
    }
}
