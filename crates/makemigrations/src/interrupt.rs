//! Ctrl-C. Once any part of the process listens for it, tokio keeps its handler installed for
//! good and the default "end the process" is gone. So the command line listens from the start:
//! inside a section that handles Ctrl-C itself (a prompt, the scratch database build) the section
//! decides; anywhere else Ctrl-C ends the process at once with exit code 130, as it would
//! without a handler. (A migration's transaction is then rolled back by the server.)

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

static HANDLED: AtomicUsize = AtomicUsize::new(0);
/// A handled section saw the Ctrl-C and is ending the command with it.
static SEEN: AtomicBool = AtomicBool::new(false);

/// Ends the process with exit code 130 on Ctrl-C outside a [`Handled`] section.
pub fn exit_on_ctrl_c() {
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            // Both listeners get the signal; under load this one may look only after the section
            // that handled it has ended, and must not print over the section's own message.
            if HANDLED.load(Ordering::SeqCst) == 0 && !SEEN.swap(false, Ordering::SeqCst) {
                eprintln!("interrupted");
                std::process::exit(130);
            }
        }
    });
}

/// Called by a [`Handled`] section that saw Ctrl-C, before it ends: the command stops with its
/// own message, and the process-wide handler leaves that signal alone.
pub fn seen() {
    SEEN.store(true, Ordering::SeqCst);
}

/// While one lives, Ctrl-C is left to the code that holds it.
pub struct Handled(());

impl Handled {
    pub fn new() -> Handled {
        HANDLED.fetch_add(1, Ordering::SeqCst);
        Handled(())
    }
}

impl Default for Handled {
    fn default() -> Self {
        Handled::new()
    }
}

impl Drop for Handled {
    fn drop(&mut self) {
        HANDLED.fetch_sub(1, Ordering::SeqCst);
    }
}
