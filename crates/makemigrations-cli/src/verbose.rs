//! `-v` and `-vv`: what the tool does, on standard error, as it happens.
//!
//! The source is `tracing`. `-v` shows the tool's own events (each migration step with its
//! duration, from `run_log`); `-vv` adds every SQL statement with its duration. The statements
//! come from sqlx's own statement log (`database::connect` turns it on at debug level; the
//! journal of MySQL migrations listens to it in every run, and only `-vv` prints it): sqlx logs every statement that reaches the
//! server whatever API sent it (`execute_unprepared` included, which sea-orm's metric callback
//! never sees), each exactly once. Every line goes through `database::hide_secrets`.

use std::fmt::Debug;
use std::io::Write;

use tracing::field::{Field, Visit};
use tracing::Level;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

use crate::journal::SQL_TARGET;

/// The target of the tool's own events.
pub const TARGET: &str = "makemigrations";

/// Installs the printer for this process: 0 shows warnings only, 1 adds each step, 2 or more
/// every statement. A second call changes nothing.
pub fn init(verbosity: u8) {
    let _ = tracing::subscriber::set_global_default(subscriber(verbosity));
}

/// The printer, and the journal's listener (crate::journal), which hears sqlx's statements
/// whatever the printer prints: each has its own filter.
fn subscriber(verbosity: u8) -> impl tracing::Subscriber + Send + Sync {
    let (own, sql) = match verbosity {
        0 => (LevelFilter::WARN, LevelFilter::OFF),
        1 => (LevelFilter::INFO, LevelFilter::OFF),
        _ => (LevelFilter::DEBUG, LevelFilter::DEBUG),
    };
    let targets = Targets::new()
        .with_target(TARGET, own)
        .with_target(SQL_TARGET, sql);
    tracing_subscriber::registry()
        .with(Printer.with_filter(targets))
        .with(crate::journal::layer())
}

/// Prints one line per event to standard error.
struct Printer;

impl<S: tracing::Subscriber> Layer<S> for Printer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let line = if event.metadata().target() == SQL_TARGET {
            // sqlx gives a short summary, and the whole statement only when it is longer.
            let statement = match fields.statement.trim() {
                "" => fields.summary.trim(),
                whole => whole,
            };
            format!("sql ({:.1} ms): {statement}", fields.elapsed_secs * 1000.0)
        } else {
            let level = match *event.metadata().level() {
                Level::ERROR => "error",
                Level::WARN => "warning",
                Level::INFO => "info",
                _ => "debug",
            };
            format!("{level}: {}", fields.message)
        };
        // Never panics (eprintln! would, on a closed pipe): this may run on a driver's worker
        // thread, whose death would stall the command.
        let _ = writeln!(
            std::io::stderr(),
            "{}",
            crate::database::hide_secrets(&line)
        );
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    summary: String,
    statement: String,
    elapsed_secs: f64,
}

impl Fields {
    fn set(&mut self, field: &Field, value: String) {
        match field.name() {
            "message" => self.message = value,
            "summary" => self.summary = value,
            "db.statement" => self.statement = value,
            _ => {}
        }
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.set(field, value.to_string());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.elapsed_secs = value;
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.set(field, format!("{value:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// sqlx logs a statement only when someone listens: the journal does at every verbosity,
    /// while the printer keeps its own levels.
    #[test]
    fn sqlx_statements_are_heard_at_every_verbosity() {
        for verbosity in 0..3 {
            tracing::subscriber::with_default(subscriber(verbosity), || {
                assert!(tracing::enabled!(target: "sqlx::query", Level::DEBUG));
                assert_eq!(
                    tracing::enabled!(target: "makemigrations", Level::INFO),
                    verbosity > 0
                );
            });
        }
    }
}
