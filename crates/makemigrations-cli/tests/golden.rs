//! The renderer's output for every kind of operation is compiled here, against the real
//! `makemigrations::prelude`: a generated file that does not type-check fails this build.
//! `golden/every_operation.rs` is committed; when the renderer changes, the test rewrites it and
//! fails once, so the new output is reviewed in the diff (rust-analyzer's `ensure_file_contents`).

#[path = "golden/every_operation.rs"]
#[allow(dead_code)]
mod every_operation;

// A large migration: parts of plain statements added to a `Statements`, and awaited parts.
#[path = "golden/large.rs"]
#[deny(warnings)]
#[allow(dead_code)]
mod large;

#[path = "golden/arrays.rs"]
#[allow(dead_code)]
mod arrays;

// The `--empty` template must compile without warnings as written, and its commented examples
// must compile once uncommented.
#[path = "golden/empty.rs"]
#[deny(warnings)]
#[allow(dead_code)]
mod empty;
#[path = "golden/empty_uncommented.rs"]
#[deny(warnings)]
#[allow(dead_code)]
mod empty_uncommented;

use makemigrations_core::fixtures::{array_operations, every_operation};
use makemigrations_core::render::{render_migration, MigrationFile};

#[test]
fn golden_file_matches_the_renderer() {
    let ops = every_operation();
    let rendered = makemigrations_cli::writer::format_source(&render_migration(&MigrationFile {
        name: "every_operation",
        message: Some("every operation kind (compiled by tests/golden.rs)"),
        up: &ops,
        down: None,
    }));
    ensure_file_contents("every_operation.rs", &rendered);
}

/// 25 tables with an index each (with the table, or on its own): `up` is plain statements only;
/// `down` drops each index made on its own with the `drop_index` helper, so its parts are awaited.
#[test]
fn large_golden_file_matches_the_renderer() {
    use makemigrations_core::{Column, ColumnType, Index, Operation, Table};
    let mut ops = Vec::new();
    for i in 0..25 {
        let name = format!("t{i:02}");
        let mut table = Table::new(name.clone());
        let mut id = Column::new("id", ColumnType::Integer, "integer");
        id.nullable = false;
        table.columns.push(id);
        table.columns.push(Column::new(
            "name",
            ColumnType::String(Some(100)),
            "varchar(100)",
        ));
        table.primary_key = vec!["id".into()];
        let index = Index {
            name: format!("idx_{name}_name"),
            columns: vec!["name".into()],
            unique: false,
            constraint: false,
        };
        // As an initial migration has it: the index with its table; later, on its own.
        if i % 2 == 0 {
            table.indexes.push(index);
            ops.push(Operation::CreateTable(table));
        } else {
            ops.push(Operation::CreateTable(table));
            ops.push(Operation::CreateIndex {
                table: name.clone(),
                index,
            });
        }
    }
    let rendered = makemigrations_cli::writer::format_source(&render_migration(&MigrationFile {
        name: "large",
        message: Some("a large migration (compiled by tests/golden.rs)"),
        up: &ops,
        down: None,
    }));
    ensure_file_contents("large.rs", &rendered);
}

#[test]
fn arrays_golden_file_matches_the_renderer() {
    let ops = array_operations();
    let rendered = makemigrations_cli::writer::format_source(&render_migration(&MigrationFile {
        name: "arrays",
        message: Some("PostgreSQL array columns (compiled by tests/golden.rs)"),
        up: &ops,
        down: None,
    }));
    ensure_file_contents("arrays.rs", &rendered);
}

#[test]
fn empty_template_matches_the_renderer() {
    let rendered = makemigrations_cli::writer::format_source(&render_migration(&MigrationFile {
        name: "empty",
        message: Some("the --empty template (compiled by tests/golden.rs)"),
        up: &[],
        down: Some(&[]),
    }));
    ensure_file_contents("empty.rs", &rendered);
    // The examples are the commented lines of code: `manager` and what continues it.
    let uncommented: String = rendered
        .lines()
        .map(|line| {
            let indent = line.len() - line.trim_start().len();
            match line.trim_start().strip_prefix("// ") {
                Some(code) if code.starts_with("manager") || code.starts_with(' ') => {
                    format!("{}{code}\n", &line[..indent])
                }
                _ => format!("{line}\n"),
            }
        })
        .collect();
    assert!(uncommented.contains("Query::update()") && uncommented.contains("execute_unprepared"));
    ensure_file_contents("empty_uncommented.rs", &uncommented);
}

/// Fails when the committed golden file differs from `rendered`, and rewrites it (unless CI is
/// set) so that the next run compiles and checks the new text.
fn ensure_file_contents(file: &str, rendered: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(file);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != rendered {
        if std::env::var_os("CI").is_none() {
            std::fs::write(&path, rendered).unwrap();
        }
        panic!(
            "{} was out of date (rewritten unless CI is set): rerun the tests and commit it",
            path.display()
        );
    }
}
