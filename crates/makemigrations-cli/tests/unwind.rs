//! A migration that panics is caught without taking the process-wide panic hook from the
//! application: a panic on another thread while a migration runs, and any panic after, still
//! reaches the hook the application installed. A test binary of its own, so that no other test
//! sets a hook meanwhile.

use std::sync::{Arc, Mutex};

use makemigrations::unwind::catch_panic;

#[test]
fn panics_outside_the_migration_reach_the_applications_hook() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let heard = seen.clone();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_default();
        heard.lock().unwrap().push(message);
    }));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let error = runtime
        .block_on(catch_panic(async {
            // Another thread of the application panics while the migration runs.
            let elsewhere = std::thread::spawn(|| panic!("a panic elsewhere"));
            assert!(elsewhere.join().is_err());
            panic!("a panic in the migration")
        }))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("the migration panicked: a panic in the migration at "),
        "{error}"
    );
    // After the migration, on its own thread too.
    assert!(std::panic::catch_unwind(|| panic!("a panic after")).is_err());
    let _ = std::panic::take_hook();
    assert_eq!(
        *seen.lock().unwrap(),
        ["a panic elsewhere", "a panic after"],
        "what the application's hook heard"
    );
}
