//! The history's integrity: a checksum of each applied migration's code, so that an applied file
//! edited since is reported (and reformatting, comments or CRLF line endings are not); an applied
//! file that is gone; a pending file older than the newest applied one (a branch merged late),
//! which `migrate` applies only with `--allow-out-of-order` and `rollback` then reverts first; a
//! tracking table that cannot be read; and refusals that create nothing. The real binary, on
//! every enabled backend (docs/guide.md, "The history's integrity").

mod support;

use support::{Backend, Output, TestProject};

const BOOKS: &str = "m20990101_000000_books";
const SECOND: &str = "m20990102_000000_second";
const THIRD: &str = "m20990103_000000_third";

/// A data migration as a person writes one: it adds the category `slug`, and its `down` removes
/// it.
fn data_migration(name: &str, slug: &str) -> String {
    format!(
        r#"//! Migration `{name}`: a data step written by hand.

use makemigrations::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {{
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {{
        manager
            .get_connection()
            .execute_unprepared("INSERT INTO categories (name, slug) VALUES ('{slug}', '{slug}')")
            .await?;
        Ok(())
    }}

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {{
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM categories WHERE slug = '{slug}'")
            .await?;
        Ok(())
    }}
}}
"#
    )
}

/// The same code as `data_migration(name, slug)`, laid out and commented otherwise.
fn reformatted(slug: &str) -> String {
    format!(
        r#"// Reformatted by hand; the module's doc comment is gone.
use makemigrations::prelude::*;
/// The migration.
#[derive(DeriveMigrationName)] pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {{
  /// Adds the first category.
  async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {{
    manager.get_connection().execute_unprepared("INSERT INTO categories (name, slug) VALUES ('{slug}', '{slug}')").await?; // the only row
    /* nothing else */ Ok(())
  }}
  async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {{
    manager.get_connection().execute_unprepared(r"DELETE FROM categories WHERE slug = '{slug}'").await?;
    Ok(())
  }}
}}
"#
    )
}

fn migration_path(project: &TestProject, name: &str) -> std::path::PathBuf {
    project
        .crates()
        .join(format!("migration/src/migrations/{name}.rs"))
}

fn write_migration(project: &TestProject, name: &str, text: &str) {
    std::fs::write(migration_path(project, name), text).unwrap();
}

/// The initial migration (written on the first backend, SQLite, without applying it), and the
/// data migrations `(name, slug)`; then the project is built.
fn project_with(data: &[(&str, &str)], backends: &[Backend]) -> TestProject {
    let project = TestProject::with_initial_migration(&backends[0]);
    for (name, slug) in data {
        write_migration(&project, name, &data_migration(name, slug));
    }
    project.build();
    project
}

fn initial_name(project: &TestProject) -> String {
    project.migration_files()[0]
        .trim_end_matches(".rs")
        .to_string()
}

async fn slugs(db: &Backend) -> Vec<String> {
    support::texts(db, "SELECT slug FROM categories ORDER BY slug").await
}

/// The versions in `makemigrations_checksums`, in the order they were applied.
async fn checksum_versions(db: &Backend) -> Vec<String> {
    support::texts(
        db,
        "SELECT version FROM makemigrations_checksums ORDER BY applied_order",
    )
    .await
}

/// Exits with `code` and says each of `parts`.
fn expect(out: &Output, code: i32, parts: &[&str], what: &str) {
    assert_eq!(out.code, Some(code), "{what}: exit code\n{}", out.text);
    for part in parts {
        assert!(
            out.text.contains(part),
            "{what}: no {part:?} in\n{}",
            out.text
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_are_reported_and_formatting_is_not() {
    let backends = support::enabled_backends().await;
    let project = project_with(&[(BOOKS, "books")], &backends);
    let initial = initial_name(&project);
    for db in &backends {
        let name = db.name();
        let out = project.run(db, &["migrate"]);
        expect(&out, 0, &["Applying 2 migration(s)"], name);
        assert_eq!(slugs(db).await, ["books"], "{name}");
        assert_eq!(
            checksum_versions(db).await,
            [initial.as_str(), BOOKS],
            "{name}"
        );
        let checksums = support::texts(db, "SELECT checksum FROM makemigrations_checksums").await;
        assert!(
            checksums.iter().all(|c| c.starts_with("v1:")),
            "{name}: {checksums:?}"
        );

        // A database migrated before checksums were recorded: `check` has nothing to compare
        // and says nothing; `migrate` records the files' checksums, in the order applied.
        db.execute("DROP TABLE makemigrations_checksums").await;
        let out = project.run(db, &["check"]);
        expect(
            &out,
            0,
            &["OK: no pending"],
            &format!("{name}: check without checksums"),
        );
        let out = project.run(db, &["migrate"]);
        expect(&out, 0, &["No migrations to apply"], name);
        assert_eq!(
            checksum_versions(db).await,
            [initial.as_str(), BOOKS],
            "{name}"
        );
        let adopted = support::texts(db, "SELECT checksum FROM makemigrations_checksums").await;
        assert_eq!(adopted.len(), 2, "{name}");
        assert!(
            adopted.iter().all(|c| c.starts_with("v1:")),
            "{name}: {adopted:?}"
        );
    }

    // Reformatted, commented, raw strings, CRLF: the same code, no report.
    write_migration(&project, BOOKS, &reformatted("books").replace('\n', "\r\n"));
    project.build();
    for db in &backends {
        let name = db.name();
        let out = project.run(db, &["check"]);
        expect(
            &out,
            0,
            &["OK: no pending"],
            &format!("{name}: check after reformatting"),
        );
        let out = project.run(db, &["migrate"]);
        expect(&out, 0, &["No migrations to apply"], name);
    }

    // A changed statement: `check` and `migrate` exit 6, naming it; `rehash` records
    // the edit once it is meant, after `--dry-run` showed what it would record.
    write_migration(
        &project,
        BOOKS,
        &data_migration(BOOKS, "books")
            .replace("VALUES ('books', 'books')", "VALUES ('books', 'novels')"),
    );
    project.build();
    for db in &backends {
        let name = db.name();
        let out = project.run(db, &["check"]);
        expect(
            &out,
            6,
            &[&format!("Edited after it was applied: {BOOKS}"), "rehash"],
            &format!("{name}: check after an edit"),
        );
        let out = project.run(db, &["migrate"]);
        expect(
            &out,
            6,
            &[
                &format!("edited:  {BOOKS}"),
                "nothing was applied",
                "fix:",
                "rehash",
            ],
            &format!("{name}: migrate after an edit"),
        );
        let out = project.run(db, &["migrate", "--fake"]);
        expect(
            &out,
            6,
            &[BOOKS],
            &format!("{name}: migrate --fake after an edit"),
        );
        let out = project.run(db, &["rehash", "--dry-run"]);
        expect(&out, 0, &["Would record", BOOKS], name);
        let out = project.run(db, &["check"]);
        expect(
            &out,
            6,
            &[BOOKS],
            &format!("{name}: --dry-run records nothing"),
        );
        let out = project.run(db, &["rehash", &initial]);
        expect(&out, 0, &["nothing to re-record"], name);
        let out = project.run(db, &["rehash", "m2099"]);
        expect(&out, 0, &["Recorded the checksum of 1", BOOKS], name);
        let out = project.run(db, &["check"]);
        expect(
            &out,
            0,
            &["OK: no pending"],
            &format!("{name}: check after rehash"),
        );
        let out = project.run(db, &["migrate"]);
        expect(&out, 0, &["No migrations to apply"], name);
        // Nothing ran again: the row is the one the first run inserted.
        assert_eq!(slugs(db).await, ["books"], "{name}");
    }

    // An applied migration whose file is gone.
    std::fs::remove_file(migration_path(&project, BOOKS)).unwrap();
    project.build();
    for db in &backends {
        let name = db.name();
        let out = project.run(db, &["check"]);
        expect(
            &out,
            6,
            &[&format!("Missing file: {BOOKS} is applied")],
            &format!("{name}: check without the file"),
        );
        let out = project.run(db, &["migrate"]);
        expect(
            &out,
            6,
            &[&format!("missing: {BOOKS}"), "restore the missing file"],
            &format!("{name}: migrate without the file"),
        );
        let out = project.run(db, &["showmigrations"]);
        expect(&out, 6, &[BOOKS, "restore the file"], name);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_late_file_is_refused_then_applied_and_reverted_first() {
    let backends = support::enabled_backends().await;
    let project = project_with(&[(THIRD, "third")], &backends);
    let initial = initial_name(&project);
    for db in &backends {
        let out = project.run(db, &["migrate"]);
        expect(&out, 0, &["Applying 2 migration(s)"], db.name());
    }

    // A teammate's branch, merged after THIRD was applied, brings an older file.
    write_migration(&project, SECOND, &data_migration(SECOND, "second"));
    project.build();
    for db in &backends {
        let name = db.name();
        let out = project.run(db, &["check"]);
        expect(
            &out,
            6,
            &[&format!(
                "Out of order: {SECOND} is pending but older than {THIRD}"
            )],
            &format!("{name}: check with a late file"),
        );
        let out = project.run(db, &["migrate"]);
        expect(
            &out,
            6,
            &[&format!("out of order: {SECOND}"), "--allow-out-of-order"],
            &format!("{name}: migrate with a late file"),
        );
        assert_eq!(slugs(db).await, ["third"], "{name}: nothing ran");

        let out = project.run(db, &["migrate", "--allow-out-of-order"]);
        expect(&out, 0, &["Applying 1 migration(s)", SECOND], name);
        assert_eq!(slugs(db).await, ["second", "third"], "{name}");
        assert_eq!(
            checksum_versions(db).await,
            [initial.as_str(), THIRD, SECOND],
            "{name}"
        );
        let out = project.run(db, &["showmigrations"]);
        let marked: Vec<&str> = out
            .text
            .lines()
            .filter(|l| l.contains("out of order"))
            .collect();
        assert!(
            marked.len() == 1 && marked[0].contains(SECOND),
            "{name}: showmigrations\n{}",
            out.text
        );

        // The migration applied last is reverted, not the newest by name.
        let out = project.run(db, &["rollback"]);
        expect(
            &out,
            0,
            &["Reverting 1 migration(s)", &format!("  {SECOND} ... OK")],
            &format!("{name}: rollback after an out-of-order apply"),
        );
        assert_eq!(slugs(db).await, ["third"], "{name}");
        assert_eq!(
            checksum_versions(db).await,
            [initial.as_str(), THIRD],
            "{name}"
        );

        // `rollback --to` reverts what was applied after its target, newest applied first.
        let out = project.run(db, &["migrate", "--allow-out-of-order"]);
        expect(&out, 0, &[SECOND], name);
        let out = project.run(db, &["rollback", "--to", &initial]);
        expect(&out, 0, &["Reverting 2 migration(s)"], name);
        let second_at = out.text.find(&format!("{SECOND} ...")).unwrap();
        let third_at = out.text.find(&format!("{THIRD} ...")).unwrap();
        assert!(second_at < third_at, "{name}: order\n{}", out.text);
        assert_eq!(slugs(db).await, Vec::<String>::new(), "{name}");

        // Back in order, nothing is late any more.
        let out = project.run(db, &["migrate"]);
        expect(&out, 0, &["Applying 2 migration(s)"], name);
        let out = project.run(db, &["check"]);
        expect(&out, 0, &["OK: no pending"], name);
    }
}

/// A command that refuses leaves a fresh database without a table; a tracking table that cannot
/// be read stops every command with exit 6, naming it and the fix.
#[tokio::test(flavor = "multi_thread")]
async fn refusals_create_nothing_and_a_corrupt_tracking_table_is_named() {
    let backends = support::enabled_backends().await;
    let project = project_with(&[(BOOKS, "books")], &backends);
    for db in &backends {
        let name = db.name();
        for (args, code, says) in [
            (&["migrate", "m1999"][..], 2, "no migration matches"),
            (&["rollback"], 2, "no migration is applied"),
            (&["rollback", "--to", BOOKS], 2, "no migration is applied"),
            (&["rehash", BOOKS], 2, "not applied"),
            (&["rehash"], 0, "nothing to re-record"),
        ] {
            let out = project.run(db, args);
            expect(&out, code, &[says], &format!("{name}: {args:?}"));
            assert_eq!(
                support::table_names(db).await,
                Vec::<String>::new(),
                "{name}: {args:?} created a table"
            );
        }

        // The tracking table without sea-orm-migration's columns.
        db.execute("CREATE TABLE seaql_migrations (id integer)")
            .await;
        for args in [
            &["showmigrations"][..],
            &["check"],
            &["migrate"],
            &["rollback"],
        ] {
            let out = project.run(db, args);
            expect(
                &out,
                6,
                &[
                    "seaql_migrations cannot be read",
                    "no column version, applied_at",
                    "fix: restore seaql_migrations",
                ],
                &format!("{name}: {args:?} with a corrupt table"),
            );
        }
        assert_eq!(
            support::table_names(db).await,
            ["seaql_migrations"],
            "{name}"
        );
        db.execute("DROP TABLE seaql_migrations").await;

        // A row that cannot be read.
        db.execute(
            "CREATE TABLE seaql_migrations (version varchar(255) PRIMARY KEY, applied_at text)",
        )
        .await;
        db.execute(&format!(
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('{BOOKS}', 'yesterday')"
        ))
        .await;
        let out = project.run(db, &["migrate"]);
        expect(
            &out,
            6,
            &["seaql_migrations cannot be read", "row 1 cannot be read"],
            &format!("{name}: an unreadable row"),
        );
        db.execute("DROP TABLE seaql_migrations").await;

        // Our own table without its columns: dropping it is the fix, and `migrate` records the
        // checksums again.
        let out = project.run(db, &["migrate"]);
        expect(&out, 0, &["Applying 2 migration(s)"], name);
        db.execute("DROP TABLE makemigrations_checksums").await;
        db.execute("CREATE TABLE makemigrations_checksums (version varchar(255))")
            .await;
        let out = project.run(db, &["check"]);
        expect(
            &out,
            6,
            &[
                "makemigrations_checksums cannot be read",
                "no column checksum, applied_order",
                "drop the table makemigrations_checksums",
            ],
            &format!("{name}: a corrupt checksums table"),
        );
        db.execute("DROP TABLE makemigrations_checksums").await;
        let out = project.run(db, &["migrate"]);
        expect(&out, 0, &["No migrations to apply"], name);
        assert_eq!(checksum_versions(db).await.len(), 2, "{name}");
    }
}
