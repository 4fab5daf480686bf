//! `MAKEMIGRATIONS_TIMINGS=1` prints how long each phase took, to standard error: for finding
//! where the time goes on a large schema (see docs/benchmarks.md). Each phase is also a pair of
//! `tracing` events (target [`PHASE_TARGET`]), from which the command line shows a spinner while
//! a slow one runs (crate::verbose).

use std::time::Instant;

pub struct Phase {
    name: &'static str,
    started: Instant,
}

/// The target of the events that start (`started = true`) and end a phase.
pub const PHASE_TARGET: &str = "makemigrations_phase";

pub fn phase(name: &'static str) -> Phase {
    tracing::trace!(target: PHASE_TARGET, phase = name, started = true);
    Phase {
        name,
        started: Instant::now(),
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        tracing::trace!(target: PHASE_TARGET, phase = self.name, started = false);
        if std::env::var_os("MAKEMIGRATIONS_TIMINGS").is_some() {
            eprintln!(
                "timing: {:<28} {:>8.1} ms",
                self.name,
                self.started.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
}
