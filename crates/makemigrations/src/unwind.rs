//! A migration that panics is reported like one that fails: its transaction rolled back, nothing
//! recorded, one error message; not a crash with a bare Rust panic message.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::task::Poll;

use sea_orm::DbErr;

/// The message and place of the panic caught last.
static CAUGHT: Mutex<Option<String>> = Mutex::new(None);

/// Runs `future`; a panic inside it becomes an error naming the panic's message and place. While
/// it runs, panics are recorded instead of printed by the default hook.
pub async fn catch_panic<F>(future: F) -> Result<(), DbErr>
where
    F: Future<Output = Result<(), DbErr>>,
{
    let mut future = std::pin::pin!(future);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_string());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        *CAUGHT.lock().unwrap_or_else(|e| e.into_inner()) = Some(format!("{message}{place}"));
    }));
    let outcome = std::future::poll_fn(|cx| {
        match std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(result)) => Poll::Ready(Ok(result)),
            Err(_) => Poll::Ready(Err(())),
        }
    })
    .await;
    std::panic::set_hook(previous);
    match outcome {
        Ok(result) => result,
        Err(()) => {
            let what = CAUGHT
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .unwrap_or_else(|| "a panic".to_string());
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
}
