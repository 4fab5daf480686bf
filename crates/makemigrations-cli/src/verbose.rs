//! `-v` and `-vv`: what the tool does, on standard error, as it happens.
//!
//! The source is `tracing`. `-v` shows the tool's own events (each migration step with its
//! duration, from `run_log`) and every SQL statement with its duration as it runs; `-vv` adds the
//! tool's debug events. The statements
//! come from sqlx's own statement log (`database::connect` turns it on at debug level; the
//! journal of MySQL migrations listens to it in every run, and only `-v` prints it): sqlx logs every statement that reaches the
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
use crate::timings::PHASE_TARGET;

/// The target of the tool's own events.
pub const TARGET: &str = "makemigrations";

/// Installs the printer for this process: 0 shows warnings only, 1 adds each step and every
/// statement, 2 or more the tool's debug events. A second call changes nothing. Without `-v`, at
/// a terminal, a phase that takes a while (building the scratch schema of a large project,
/// reading its catalog) shows a spinner on standard error that says what it does.
pub fn init(verbosity: u8) {
    use std::io::IsTerminal;
    let spinner = verbosity == 0 && std::io::stderr().is_terminal();
    let _ = tracing::subscriber::set_global_default(subscriber(verbosity, spinner));
}

/// The printer, and the journal's listener (crate::journal), which hears sqlx's statements
/// whatever the printer prints: each has its own filter.
fn subscriber(verbosity: u8, spinner: bool) -> impl tracing::Subscriber + Send + Sync {
    let (own, sql) = match verbosity {
        0 => (LevelFilter::WARN, LevelFilter::OFF),
        1 => (LevelFilter::INFO, LevelFilter::DEBUG),
        _ => (LevelFilter::DEBUG, LevelFilter::DEBUG),
    };
    let targets = Targets::new()
        .with_target(TARGET, own)
        .with_target(SQL_TARGET, sql);
    tracing_subscriber::registry()
        .with(Printer.with_filter(targets))
        .with(crate::journal::layer())
        // Always a layer with its own filter (empty when off): an absent layer would count as
        // one that listens to everything.
        .with(PhaseSpinner::default().with_filter(if spinner {
            Targets::new().with_target(PHASE_TARGET, Level::TRACE)
        } else {
            Targets::new()
        }))
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
        print_line(&crate::database::hide_secrets(&line));
    }
}

/// What a user is told while a phase runs; phases not named here are quick or print their own
/// lines.
fn phase_message(phase: &str) -> Option<&'static str> {
    Some(match phase {
        "connect" => "Connecting to the database",
        "shadow: build" => "Building the entities' tables in a scratch schema",
        "shadow: discover" => "Reading the scratch schema",
        "live: discover" => "Reading the database's schema",
        "diff" => "Comparing",
        _ => return None,
    })
}

/// How long a phase runs before its spinner shows: quick commands stay free of flicker.
const SPINNER_DELAY: std::time::Duration = std::time::Duration::from_millis(400);

/// The spinner on screen, if any: the printer draws its lines above it rather than through it.
static SHOWN: std::sync::Mutex<Option<indicatif::ProgressBar>> = std::sync::Mutex::new(None);

/// Writes one line to standard error, above the spinner when one is drawn. Never panics
/// (eprintln! would, on a closed pipe): this may run on a driver's worker thread, whose death
/// would stall the command.
fn print_line(line: &str) {
    let write = || {
        let _ = writeln!(std::io::stderr(), "{line}");
    };
    match SHOWN.lock().ok().as_deref().and_then(Option::as_ref) {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// The message of the innermost running phase that has one: a quick phase inside a slow one
/// (the memo read while the scratch schema is built) leaves the slow one's spinner up.
fn shown_phase(running: &[String]) -> Option<&'static str> {
    running.iter().rev().find_map(|phase| phase_message(phase))
}

/// A spinner on standard error while a phase runs (indicatif draws only at a terminal).
#[derive(Default)]
struct PhaseSpinner {
    /// The phases started and not ended, outermost first.
    running: std::sync::Mutex<Vec<String>>,
}

impl<S: tracing::Subscriber> Layer<S> for PhaseSpinner {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = PhaseFields::default();
        event.record(&mut fields);
        let (Ok(mut running), Ok(mut shown)) = (self.running.lock(), SHOWN.lock()) else {
            return;
        };
        if fields.started {
            running.push(fields.phase);
        } else if let Some(at) = running.iter().rposition(|p| *p == fields.phase) {
            running.remove(at);
        }
        let message = shown_phase(&running);
        if shown.as_ref().map(|bar| bar.message()) == message.map(str::to_string) {
            return;
        }
        if let Some(bar) = shown.take() {
            bar.finish_and_clear();
        }
        let Some(message) = message else {
            return;
        };
        let bar = indicatif::ProgressBar::hidden();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .expect("the template is valid"),
        );
        bar.set_message(message);
        let later = bar.clone();
        std::thread::spawn(move || {
            std::thread::sleep(SPINNER_DELAY);
            if !later.is_finished() {
                later.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                later.enable_steady_tick(std::time::Duration::from_millis(100));
            }
        });
        *shown = Some(bar);
    }
}

#[derive(Default)]
struct PhaseFields {
    phase: String,
    started: bool,
}

impl Visit for PhaseFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "phase" {
            self.phase = value.to_string();
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if field.name() == "started" {
            self.started = value;
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn Debug) {}
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
            tracing::subscriber::with_default(subscriber(verbosity, false), || {
                assert!(tracing::enabled!(target: "sqlx::query", Level::DEBUG));
                assert_eq!(
                    tracing::enabled!(target: "makemigrations", Level::INFO),
                    verbosity > 0
                );
            });
        }
    }

    #[test]
    fn the_innermost_phase_with_a_message_is_shown() {
        let running = |phases: &[&str]| phases.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        assert_eq!(
            shown_phase(&running(&["shadow: build", "shadow: memo load"])),
            Some("Building the entities' tables in a scratch schema")
        );
        assert_eq!(
            shown_phase(&running(&["connect", "live: discover"])),
            Some("Reading the database's schema")
        );
        assert_eq!(shown_phase(&running(&["shadow: memo load"])), None);
        assert_eq!(shown_phase(&[]), None);
    }
}
