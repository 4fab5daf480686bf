//! The schema snapshot through the real binary: the same entities write the same bytes on every
//! backend; a missing snapshot is written without a diff; `--dry-run` shows the diff and writes
//! nothing (nor do `--check` and `--plan`); and an `i32 -> i64` change, which SQLite stores alike, is seen against the snapshot,
//! reported by `check` and written as an alter that PostgreSQL and MySQL apply.

mod support;

use support::{enabled_backends, TestProject};

fn snapshot_path(project: &TestProject) -> std::path::PathBuf {
    project.crates().join("migration/src/schema.snapshot")
}

fn read_snapshot(project: &TestProject) -> String {
    std::fs::read_to_string(snapshot_path(project)).expect("the snapshot was written")
}

fn remove_migrations(project: &TestProject) {
    let dir = project.crates().join("migration/src/migrations");
    for file in project.migration_files() {
        std::fs::remove_file(dir.join(file)).unwrap();
    }
}

/// Each backend writes the initial migration and the snapshot into the same (emptied) project:
/// the snapshots must be byte-identical, and the first one is written without diff noise.
#[tokio::test(flavor = "multi_thread")]
async fn every_backend_writes_the_same_snapshot() {
    let backends = enabled_backends().await;
    let project = TestProject::new();
    project.build();
    let mut written: Vec<(&str, String)> = Vec::new();
    for backend in &backends {
        remove_migrations(&project);
        let _ = std::fs::remove_file(snapshot_path(&project));
        let out = project.run(backend, &["makemigrations", "--no-input"]);
        assert!(out.success, "{}: {}", backend.name(), out.text);
        assert!(
            out.text.contains(
                "migration/src/schema.snapshot, the schema snapshot: commit it with the migrations."
            ),
            "{}: {}",
            backend.name(),
            out.text
        );
        assert!(
            !out.text.contains("+++") && !out.text.contains("@@"),
            "{}: a new snapshot is shown as a diff:\n{}",
            backend.name(),
            out.text
        );
        written.push((backend.name(), read_snapshot(&project)));
    }
    let (first, expected) = &written[0];
    for (name, text) in &written[1..] {
        similar_asserts::assert_eq!(
            expected,
            text,
            "the snapshot written on {name} differs from {first}'s"
        );
    }
    insta::assert_snapshot!("sample_project", expected);

    // Left with git's conflict markers, it is refused with the way out, and nothing is written.
    let sqlite = &backends[0];
    remove_migrations(&project);
    std::fs::write(
        snapshot_path(&project),
        "<<<<<<< HEAD\n# format 1\n=======\n# format 1\n>>>>>>> other\n",
    )
    .unwrap();
    let out = project.run(sqlite, &["makemigrations", "--no-input"]);
    assert_eq!(out.code, Some(2), "{}", out.text);
    assert!(
        out.text.contains(
            "schema.snapshot cannot be read: it has git conflict markers (line 1); nothing was changed"
        ) && out.text.contains("fix: after merging branches, run `makemigrations --merge`"),
        "{}",
        out.text
    );
    assert!(project.migration_files().is_empty());
}

/// SQLite stores `i32` and `i64` both as `integer`: the change is seen against the snapshot on
/// SQLite, and the migration it writes widens the column where the width is kept.
#[tokio::test(flavor = "multi_thread")]
async fn a_wider_integer_made_on_sqlite_is_an_alter_everywhere() {
    let backends = enabled_backends().await;
    let sqlite = &backends[0];
    let project = TestProject::with_initial_migration(sqlite);
    project.build();
    let out = project.run(sqlite, &["migrate"]);
    assert!(out.success, "{}", out.text);
    let before = read_snapshot(&project);
    assert!(
        before.contains("  column position integer() not null default 0\n"),
        "{before}"
    );

    project.edit_entity("categories.rs", "pub position: i32,", "pub position: i64,");
    project.build();
    let alter =
        "~ Alter column categories.position: declared integer() -> big_integer() (stored alike as integer)";

    // `check` reports it (before, it said OK: SQLite has no other way to see it).
    let out = project.run(sqlite, &["check"]);
    assert_eq!(out.code, Some(1), "{}", out.text);
    assert!(out.text.contains(alter), "{}", out.text);

    // --dry-run: the operation, then the snapshot's diff; nothing written.
    let out = project.run(sqlite, &["makemigrations", "--dry-run"]);
    assert!(out.success, "{}", out.text);
    let diff = "Would update ";
    let at = out.text.find(diff).expect(&out.text);
    assert!(out.text.find(alter).expect(&out.text) < at, "{}", out.text);
    assert!(
        out.text[at..].contains(
            "-  column position integer() not null default 0\n+  column position big_integer() not null default 0\n"
        ),
        "{}",
        out.text
    );
    assert!(out.text.contains("--- a/"), "{}", out.text);
    assert_eq!(
        read_snapshot(&project),
        before,
        "--dry-run wrote the snapshot"
    );
    assert_eq!(
        project.migration_files().len(),
        1,
        "--dry-run wrote a migration"
    );

    // Nor does any other run that only reports: the snapshot stays byte for byte.
    let before_bytes = std::fs::read(snapshot_path(&project)).unwrap();
    for (args, code) in [
        (&["makemigrations", "--check"][..], 1),
        (&["makemigrations", "--plan", "--format", "json"][..], 0),
        (&["makemigrations", "--dry-run", "--format", "json"][..], 0),
    ] {
        let out = project.run(sqlite, args);
        assert_eq!(out.code, Some(code), "{args:?}: {}", out.text);
        assert!(out.text.contains("position"), "{args:?}: {}", out.text);
        assert_eq!(
            std::fs::read(snapshot_path(&project)).unwrap(),
            before_bytes,
            "{args:?} changed the snapshot"
        );
        assert_eq!(
            project.migration_files().len(),
            1,
            "{args:?} wrote a migration"
        );
    }

    // The migration: the alter, in both directions; the snapshot updated, with its diff shown.
    let out = project.run(
        sqlite,
        &["makemigrations", "--no-input", "-m", "wider position"],
    );
    assert!(out.success, "{}", out.text);
    assert!(out.text.contains("Updated "), "{}", out.text);
    assert!(
        out.text
            .contains("+  column position big_integer() not null default 0\n"),
        "{}",
        out.text
    );
    let source = project.newest_migration_source();
    assert!(
        source.contains(".big_integer()") && source.contains("alter_column"),
        "{source}"
    );
    let after = read_snapshot(&project);
    assert_eq!(
        after,
        before.replace("position integer()", "position big_integer()")
    );
    project.build();
    let out = project.run(sqlite, &["migrate"]);
    assert!(out.success, "{}", out.text);
    let out = project.run(sqlite, &["check"]);
    assert!(out.success, "{}", out.text);

    // Where the width is kept, the history makes a bigint, and the entities then match it.
    for backend in &backends[1..] {
        let out = project.run(backend, &["migrate"]);
        assert!(out.success, "{}: {}", backend.name(), out.text);
        let column_type = support::column_data_type(backend, "categories", "position").await;
        assert_eq!(column_type, ["bigint"], "{}", backend.name());
        let out = project.run(backend, &["check"]);
        assert!(out.success, "{}: {}", backend.name(), out.text);
    }

    // A project from before snapshots: the first run writes it, says so, and shows no diff.
    std::fs::remove_file(snapshot_path(&project)).unwrap();
    let out = project.run(sqlite, &["makemigrations", "--no-input"]);
    assert!(out.success, "{}", out.text);
    assert!(out.text.contains("No changes detected"), "{}", out.text);
    assert!(out.text.contains("Wrote "), "{}", out.text);
    assert!(!out.text.contains("+++"), "{}", out.text);
    assert_eq!(read_snapshot(&project), after);
    // And a run with nothing to change leaves it alone.
    let out = project.run(sqlite, &["makemigrations", "--no-input"]);
    assert!(
        out.success && !out.text.contains("schema.snapshot"),
        "{}",
        out.text
    );
}
