//! A migration that panics is reported like one that fails: its transaction rolled back, nothing
//! recorded, one error message; not a crash with a bare Rust panic message.
//!
//! The process-wide panic hook is never swapped while migrations run (that would race with other
//! threads and could lose the application's hook). One hook is installed once, over whatever hook
//! was there: on a thread that is polling a migration it keeps the panic's message and place for
//! the error; everywhere else it hands the panic to the hook it replaced.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::sync::Once;
use std::task::Poll;

use sea_orm::DbErr;

thread_local! {
    /// Set while this thread polls a migration: its panics become the migration's error.
    static IN_MIGRATION: Cell<bool> = const { Cell::new(false) };
    /// The message and place of the panic this thread caught last.
    static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
}

static INSTALL_HOOK: Once = Once::new();

/// Puts the catching hook in front of the current one, once per process.
fn install_hook() {
    INSTALL_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_MIGRATION.with(Cell::get) {
                CAUGHT.with(|caught| *caught.borrow_mut() = Some(describe(info)));
            } else {
                previous(info);
            }
        }));
    });
}

fn describe(info: &PanicHookInfo<'_>) -> String {
    let place = info
        .location()
        .map(|l| format!(" at {}:{}", l.file(), l.line()))
        .unwrap_or_default();
    format!("{}{place}", payload_message(info.payload()))
}

fn payload_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_string())
}

/// Runs `future`; a panic inside it becomes an error naming the panic's message and place. Panics
/// on other threads meanwhile go to the application's hook as usual.
pub async fn catch_panic<F>(future: F) -> Result<(), DbErr>
where
    F: Future<Output = Result<(), DbErr>>,
{
    install_hook();
    let mut future = std::pin::pin!(future);
    let outcome = std::future::poll_fn(|cx| {
        // Restored after each poll (a migration may run inside another's, as a library call).
        let outer = IN_MIGRATION.with(|flag| flag.replace(true));
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx)));
        IN_MIGRATION.with(|flag| flag.set(outer));
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(result)) => Poll::Ready(Ok(result)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    })
    .await;
    match outcome {
        Ok(result) => result,
        Err(payload) => {
            if let Some(lost) = payload.downcast_ref::<crate::progress::RecordNotWritten>() {
                return Err(DbErr::Migration(lost.to_string()));
            }
            // Without the hook's text (an application replaced the hook since), the payload's
            // message without its place.
            let what = CAUGHT
                .with(|caught| caught.borrow_mut().take())
                .unwrap_or_else(|| payload_message(payload.as_ref()));
            Err(DbErr::Migration(format!("the migration panicked: {what}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_an_error_with_its_message() {
        let err = catch_panic(async { panic!("no such row") })
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("the migration panicked: no such row at "),
            "{text}"
        );
        assert!(text.contains("unwind.rs"), "{text}");
        assert!(catch_panic(async { Ok(()) }).await.is_ok());
    }

    #[test]
    fn two_migrations_panicking_at_once_each_get_their_own_message() {
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let threads: Vec<_> = ["first", "second"]
            .into_iter()
            .map(|name| {
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .build()
                        .unwrap();
                    runtime.block_on(catch_panic(async move {
                        barrier.wait();
                        panic!("{name} failed")
                    }))
                })
            })
            .collect();
        for (thread, name) in threads.into_iter().zip(["first", "second"]) {
            let text = thread.join().unwrap().unwrap_err().to_string();
            assert!(
                text.contains(&format!("the migration panicked: {name} failed at ")),
                "{text}"
            );
        }
    }
}
