//! MySQL/MariaDB's started-record: the progress of a migration that cannot run in a transaction,
//! kept in `makemigrations_half_applied` so that a failure, a kill or a lost connection halfway
//! leaves a record of what completed (Atlas and Prisma keep such a record; docs/guide.md, "If
//! a migration fails halfway on MySQL").
//!
//! The record is written before the first statement (state `running`, no statement), brought up
//! to date after each statement that completed (one row of `makemigrations_half_applied_statements`
//! added: the write stays the same size however long the migration), and marked `failed` (with
//! the statement the server refused) when the migration returns an error. On success the executor deletes it in
//! the transaction that writes the tracking row. A `running` record that a later run finds (it
//! holds the run lock, so the run that wrote it is gone) is a run that was killed or lost its
//! connection.
//!
//! The writes go through a connection of their own, on a thread of their own (which the journal
//! ignores): the journal's hook runs inside the migration's statement, synchronously, so it hands each write to that
//! thread and waits for it to be committed before the migration's next statement starts. The one
//! window left is between a statement finishing on the server and its record being written: a
//! run killed there completed one statement more than its record says.
//!
//! A write of the record that fails stops the migration before its next statement: going on
//! would leave a kill with no accurate record. The journal's hook has no way to return an error
//! through sqlx, so it unwinds with [`RecordNotWritten`] (without the panic hook, which would
//! print it), and [`crate::unwind::catch_panic`] turns that into the migration's error.

use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;

#[cfg(feature = "mysql")]
use sea_orm::sqlx::{self, Connection};
use sea_orm::{DatabaseConnection, DbErr};

use crate::executor::Direction;

// The table is `HALF_APPLIED`, spelled out: sqlx takes only literal SQL.
#[cfg(feature = "mysql")]
const STARTED_SQL: &str = "INSERT INTO makemigrations_half_applied \
     (version, direction, statements, failed_statement, failed_at, state) \
     VALUES (?, ?, '[]', NULL, ?, 'running') \
     ON DUPLICATE KEY UPDATE direction = VALUES(direction), statements = '[]', \
     failed_statement = NULL, failed_at = VALUES(failed_at), state = 'running'";
/// The rows of a record left from before (`--retry`), or past the statements that completed.
#[cfg(feature = "mysql")]
const FORGET_SQL: &str =
    "DELETE FROM makemigrations_half_applied_statements WHERE version = ? AND ordinal >= ?";
/// A statement that completed: added only while the record is there (a record deleted under the
/// run is an error, as a write of the record that finds no row).
#[cfg(feature = "mysql")]
const COMPLETED_SQL: &str = "INSERT INTO makemigrations_half_applied_statements \
     (version, ordinal, statement, recorded_at) \
     SELECT ?, ?, ?, ? FROM makemigrations_half_applied WHERE version = ?";
#[cfg(feature = "mysql")]
const FAILED_SQL: &str = "UPDATE makemigrations_half_applied \
     SET failed_statement = ?, failed_at = ?, state = 'failed' WHERE version = ?";

/// A write of the record, and where to say it is done.
#[cfg_attr(not(feature = "mysql"), allow(dead_code))]
struct Request {
    /// The rows from `keep` on are no longer the completed statements (the journal replaced or
    /// dropped its last entry): deleted before `append` is added from there.
    keep: usize,
    append: Vec<String>,
    /// `Some` once the migration failed: the statement the server refused, if sea-orm reported it.
    failed: Option<Option<String>>,
    done: mpsc::SyncSender<Result<(), String>>,
}

/// The thread and connection that keep one migration's record.
pub struct Recorder {
    requests: Option<mpsc::Sender<Request>>,
    thread: Option<JoinHandle<()>>,
    /// The statements the record holds, to send only what changed.
    written: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    /// Opens the record's connection and writes the started-record of `name` (over any record
    /// left from before, which `--retry` resolved).
    pub fn start(db: &DatabaseConnection, name: &str, direction: Direction) -> Result<Self, DbErr> {
        #[cfg(feature = "mysql")]
        {
            Self::start_on_mysql(db, name, direction)
        }
        // Only a MySQL run keeps this record, and there is no MySQL connection without the driver.
        #[cfg(not(feature = "mysql"))]
        {
            let _ = (db, direction);
            Err(DbErr::Custom(format!(
                "the progress record of {name} is kept on MySQL only, and makemigrations was built without its `mysql` feature"
            )))
        }
    }

    #[cfg(feature = "mysql")]
    fn start_on_mysql(
        db: &DatabaseConnection,
        name: &str,
        direction: Direction,
    ) -> Result<Self, DbErr> {
        let options = db.get_mysql_connection_pool().connect_options();
        let (requests, inbox) = mpsc::channel::<Request>();
        // The server's own error is kept (not its text): a user who may not write the record gets
        // the same `no_permission` answer as for any other refused write.
        let (started_tx, started_rx) = mpsc::sync_channel::<Result<(), DbErr>>(1);
        let name = name.to_string();
        let direction = match direction {
            Direction::Up => "up",
            Direction::Down => "down",
        };
        let thread = std::thread::Builder::new()
            .name("makemigrations-progress".into())
            .spawn(move || {
                // Its statements are logged by sqlx like the migration's: never the migration's.
                crate::journal::ignore_this_thread();
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        // `start` waits for this answer, so its receiver is there.
                        let _ = started_tx.send(Err(DbErr::Custom(format!(
                            "starting the progress record of {name}: {e}"
                        ))));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let mut conn = match sqlx::mysql::MySqlConnection::connect_with(&options).await
                    {
                        Ok(conn) => conn,
                        Err(e) => {
                            // `start` waits for this answer, so its receiver is there.
                            let _ = started_tx.send(Err(sqlx_error(e)));
                            return;
                        }
                    };
                    let started = write_started(&mut conn, &name, direction).await;
                    let ok = started.is_ok();
                    // `start` waits for this answer, so its receiver is there.
                    let _ = started_tx.send(started.map_err(sqlx_error));
                    if !ok {
                        return;
                    }
                    let mut rows = 0;
                    while let Ok(request) = inbox.recv() {
                        let written = write_progress(&mut conn, &name, &request, rows).await;
                        if written.is_ok() {
                            rows = request.keep + request.append.len();
                        }
                        // `send` waits for this answer, so its receiver is there.
                        let _ = request.done.send(written);
                    }
                    // Every write was committed (autocommit) and answered before this: a close
                    // that fails loses nothing.
                    let _ = conn.close().await;
                });
            })
            .map_err(|e| DbErr::Custom(format!("starting the progress record: {e}")))?;
        let recorder = Recorder {
            requests: Some(requests),
            thread: Some(thread),
            written: Arc::default(),
        };
        match started_rx.recv() {
            Ok(Ok(())) => Ok(recorder),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(DbErr::Custom(
                "the progress record's thread stopped before the migration".into(),
            )),
        }
    }

    /// A handle for the journal's callback: writes the completed statements and waits until
    /// they are committed. A write that fails stops the migration here, before its next
    /// statement, with [`RecordNotWritten`].
    pub fn progress(&self, name: &str) -> crate::journal::Progress {
        let requests = self.requests.clone().expect("open until finish");
        let written = self.written.clone();
        let name = name.to_string();
        Box::new(move |completed: &[String]| {
            if let Err(reason) = send(&requests, &written, completed, None) {
                std::panic::resume_unwind(Box::new(RecordNotWritten {
                    migration: name.clone(),
                    completed: completed.len(),
                    reason,
                }));
            }
        })
    }

    /// Marks the record failed, with what completed and the statement that failed.
    pub fn failed(&self, completed: &[String], failed: Option<String>) -> Result<(), String> {
        match &self.requests {
            Some(requests) => send(requests, &self.written, completed, Some(failed)),
            None => Err("the record was closed".into()),
        }
    }

    /// Closes the record's connection (the record itself stays as last written).
    pub fn finish(mut self) {
        self.requests.take();
        if let Some(thread) = self.thread.take() {
            // A thread that panicked left its last request unanswered, which `send` already
            // reported as a write that failed; nothing more is known here.
            let _ = thread.join();
        }
    }
}

/// A write of the started-record that failed while the migration ran: the migration stops,
/// since a kill from then on would leave a record that says less than what completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordNotWritten {
    pub migration: String,
    /// The statements that had completed, which the record could not be brought up to.
    pub completed: usize,
    pub reason: String,
}

impl std::fmt::Display for RecordNotWritten {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the progress record of {} could not be written to {} after {} completed \
             statement(s) ({}), so the migration was stopped there: a kill from then on would \
             have left no accurate record; check that this connection may still write {}",
            self.migration,
            crate::executor::HALF_APPLIED,
            self.completed,
            self.reason,
            crate::executor::HALF_APPLIED,
        )
    }
}

impl Drop for Recorder {
    /// Without [`Recorder::finish`] (an error, or a migration that panicked while the journal
    /// still holds a handle): the thread ends once the last handle is gone; nothing waits for it.
    fn drop(&mut self) {
        self.requests.take();
    }
}

/// Brings the record to `completed` (and `failed`), sending only what differs from what it
/// holds: the journal only ever appends, or replaces or drops its last entry, so the two agree up
/// to a point near the end.
fn send(
    requests: &mpsc::Sender<Request>,
    written: &Mutex<Vec<String>>,
    completed: &[String],
    failed: Option<Option<String>>,
) -> Result<(), String> {
    let mut written = written.lock().unwrap_or_else(|e| e.into_inner());
    let mut keep = written.len().min(completed.len());
    while keep > 0 && written[keep - 1] != completed[keep - 1] {
        keep -= 1;
    }
    let append = completed[keep..].to_vec();
    let (done, answer) = mpsc::sync_channel(1);
    requests
        .send(Request {
            keep,
            append: append.clone(),
            failed,
            done,
        })
        .map_err(|_| "the progress record's connection is closed".to_string())?;
    answer
        .recv()
        .map_err(|_| "the progress record's connection is closed".to_string())??;
    written.truncate(keep);
    written.extend(append);
    Ok(())
}

#[cfg(feature = "mysql")]
async fn write_started(
    conn: &mut sqlx::mysql::MySqlConnection,
    name: &str,
    direction: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(FORGET_SQL)
        .bind(name)
        .bind(0)
        .execute(&mut *conn)
        .await?;
    sqlx::query(STARTED_SQL)
        .bind(name)
        .bind(direction)
        .bind(chrono::Utc::now().timestamp())
        .execute(conn)
        .await
        .map(|_| ())
}

/// `rows`: how many statement rows the record holds.
#[cfg(feature = "mysql")]
async fn write_progress(
    conn: &mut sqlx::mysql::MySqlConnection,
    name: &str,
    request: &Request,
    rows: usize,
) -> Result<(), String> {
    let now = chrono::Utc::now().timestamp();
    if request.keep < rows {
        sqlx::query(FORGET_SQL)
            .bind(name)
            .bind(request.keep as i64)
            .execute(&mut *conn)
            .await
            .map_err(|e| e.to_string())?;
    }
    for (i, statement) in request.append.iter().enumerate() {
        let done = sqlx::query(COMPLETED_SQL)
            .bind(name)
            .bind((request.keep + i) as i64)
            .bind(statement)
            .bind(now)
            .bind(name)
            .execute(&mut *conn)
            .await
            .map_err(|e| e.to_string())?;
        if done.rows_affected() == 0 {
            return Err(format!("its row for {name} is gone"));
        }
    }
    if let Some(failed) = &request.failed {
        let done = sqlx::query(FAILED_SQL)
            .bind(failed)
            .bind(now)
            .bind(name)
            .execute(&mut *conn)
            .await
            .map_err(|e| e.to_string())?;
        if done.rows_affected() == 0 {
            return Err(format!("its row for {name} is gone"));
        }
    }
    Ok(())
}

#[cfg(feature = "mysql")]
fn sqlx_error(e: sqlx::Error) -> DbErr {
    DbErr::Exec(sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::{HALF_APPLIED, HALF_APPLIED_STATEMENTS};

    #[test]
    fn the_record_is_written_to_the_half_applied_table() {
        for sql in [STARTED_SQL, FAILED_SQL, COMPLETED_SQL] {
            assert!(sql.contains(&format!(" {HALF_APPLIED} ")), "{sql}");
        }
        for sql in [FORGET_SQL, COMPLETED_SQL] {
            assert!(
                sql.contains(&format!(" {HALF_APPLIED_STATEMENTS} ")),
                "{sql}"
            );
        }
    }
}
