//! `MAKEMIGRATIONS_TIMINGS=1` prints how long each phase took, to standard error: for finding
//! where the time goes on a large schema (see docs/benchmarks.md).

use std::time::Instant;

pub struct Phase {
    name: &'static str,
    started: Instant,
}

pub fn phase(name: &'static str) -> Phase {
    Phase {
        name,
        started: Instant::now(),
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        if std::env::var_os("MAKEMIGRATIONS_TIMINGS").is_some() {
            eprintln!(
                "timing: {:<28} {:>8.1} ms",
                self.name,
                self.started.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
}
