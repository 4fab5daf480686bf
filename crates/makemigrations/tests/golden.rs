//! The renderer's output for every kind of operation is compiled here, against the real
//! `makemigrations::prelude`: a generated file that does not type-check fails this build.
//! `golden/every_operation.rs` is committed; when the renderer changes, the test rewrites it and
//! fails once, so the new output is reviewed in the diff (rust-analyzer's `ensure_file_contents`).

#[path = "golden/every_operation.rs"]
#[allow(dead_code)]
mod every_operation;

use makemigrations_core::fixtures::every_operation;
use makemigrations_core::render::{render_migration, MigrationFile};

#[test]
fn golden_file_matches_the_renderer() {
    let ops = every_operation();
    let rendered = makemigrations::writer::format_source(&render_migration(&MigrationFile {
        name: "every_operation",
        message: Some("every operation kind (compiled by tests/golden.rs)"),
        up: &ops,
        down: None,
    }));
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/every_operation.rs");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != rendered {
        if std::env::var_os("CI").is_none() {
            std::fs::write(&path, &rendered).unwrap();
        }
        panic!(
            "{} was out of date (rewritten unless CI is set): rerun the tests and commit it",
            path.display()
        );
    }
}
