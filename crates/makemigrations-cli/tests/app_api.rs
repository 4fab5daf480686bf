//! The library API an application calls at start-up, without the command line: the migration
//! crate's `status`, `pending` and `require_up_to_date` (reads only: nothing is created), and
//! `Migrator::up`. The application is a binary of the scratch project, run on every enabled
//! backend.

mod support;

use support::{migration_source, Backend, TestProject};

const FIRST: &str = "m20260101_000001_create_notes";
const SECOND: &str = "m20260101_000002_create_tags";

/// The statement that creates `table`, as an expression.
fn create_table(table: &str) -> String {
    format!(
        r#"        manager
            .create_table(
                Table::create()
                    .table("{table}")
                    .col(ColumnDef::new("id").integer().not_null().primary_key())
                    .to_owned(),
            )
            .await"#
    )
}

fn drop_table(table: &str) -> String {
    format!(r#"        manager.drop_table(Table::drop().table("{table}").to_owned()).await"#)
}

fn create(table: &str) -> String {
    migration_source(&create_table(table), &drop_table(table))
}

/// Start-up code: the check, then (when asked) applying, as an axum or actix `main` would.
const APP: &str = r#"//! An application's start-up.
use migration::MigratorTrait;

#[tokio::main]
async fn main() {
    let db = sea_orm_migration::sea_orm::Database::connect(std::env::var("DATABASE_URL").unwrap())
        .await
        .unwrap();
    let status = migration::status(&db).await.unwrap();
    println!("applied: {:?}", status.applied.iter().map(|a| a.name.as_str()).collect::<Vec<_>>());
    println!("pending: {:?}", migration::pending(&db).await.unwrap());
    match migration::require_up_to_date(&db).await {
        Ok(status) => println!("check: ok ({} applied)", status.applied.len()),
        Err(e) => println!("check: {e}"),
    }
    if std::env::var("APPLY").is_ok() {
        migration::Migrator::up(&db, Some(1)).await.unwrap();
        println!("after up: {:?}", migration::pending(&db).await.unwrap());
    }
}
"#;

fn project() -> TestProject {
    let project = TestProject::new();
    project.write_migrations(&[(FIRST, create("notes")), (SECOND, create("tags"))]);
    project.add_app(APP);
    project.build();
    project
}

fn run_app(project: &TestProject, db: &Backend, apply: bool) -> String {
    let mut command = std::process::Command::new(project.app_binary());
    command.env("DATABASE_URL", db.url());
    if apply {
        command.env("APPLY", "1");
    }
    let out = command.output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{}: the application failed:\n{text}",
        db.name()
    );
    text
}

#[tokio::test]
async fn status_pending_and_the_start_up_check() {
    let backends = support::enabled_backends().await;
    let project = project();
    for db in &backends {
        let name = db.name();
        // A new database: everything pending, the check names both, and nothing was created.
        let text = run_app(&project, db, false);
        assert!(
            text.contains("applied: []")
                && text.contains(&format!("pending: [\"{FIRST}\", \"{SECOND}\"]"))
                && text.contains(&format!(
                    "check: the database is not up to date: 2 migration(s) not applied: {FIRST}, {SECOND}"
                ))
                && text.contains("fix: run `migrate`"),
            "{name}:\n{text}"
        );
        assert!(
            support::table_names(db).await.is_empty(),
            "{name}: reading the status created tables: {:?}",
            support::table_names(db).await
        );

        // One applied through the API: one left, still named.
        let text = run_app(&project, db, true);
        assert!(
            text.contains(&format!("after up: [\"{SECOND}\"]")),
            "{name}:\n{text}"
        );
        let text = run_app(&project, db, false);
        assert!(
            text.contains(&format!("applied: [\"{FIRST}\"]"))
                && text.contains(&format!("1 migration(s) not applied: {SECOND}")),
            "{name}:\n{text}"
        );

        // All applied (by the command line, as a deploy step would): the check passes.
        let out = project.run(db, &["migrate"]);
        assert!(out.success, "{name}: {}", out.text);
        let text = run_app(&project, db, false);
        assert!(
            text.contains("pending: []") && text.contains("check: ok (2 applied)"),
            "{name}:\n{text}"
        );
    }
}

const SQUASHED: &str = "m20260101_000003_squashed_create_notes_to_create_tags";

/// The squash of FIRST and SECOND, as `squashmigrations` heads it.
fn squashed() -> String {
    format!(
        "//! Migration `{SQUASHED}`.\n//!\n//! replaces: {FIRST}\n//! replaces: {SECOND}\n\n{}",
        migration_source(
            &format!(
                "{}?;\n{}?;\n        Ok(())",
                create_table("notes"),
                create_table("tags")
            ),
            &format!(
                "{}?;\n{}?;\n        Ok(())",
                drop_table("tags"),
                drop_table("notes")
            ),
        )
    )
}

/// A rolling deploy of a release that squashed the history: the old release keeps passing its
/// start-up check once the new one has recorded the squashed migration (whose record takes the
/// old rows over), and the new release passes before that too, a record being no schema change.
#[tokio::test]
async fn the_start_up_check_across_a_squash_in_a_rolling_deploy() {
    let backends = support::enabled_backends().await;
    let project = project();
    let old_release = project.path().join("old-release-app");
    std::fs::copy(project.app_binary(), &old_release).unwrap();
    for db in &backends {
        let out = project.run(db, &["migrate"]);
        assert!(out.success, "{}: {}", db.name(), out.text);
    }
    project.write_migrations(&[(SQUASHED, squashed())]);
    project.build();
    for db in &backends {
        let name = db.name();
        let text = run_app(&project, db, false);
        assert!(
            text.contains("pending: []") && text.contains("check: ok (2 applied)"),
            "{name}: the new release before its migrate:\n{text}"
        );
        let out = project.run(db, &["migrate"]);
        assert!(
            out.success && out.text.contains("RECORDED"),
            "{name}: {}",
            out.text
        );
        let text = run_app(&project, db, false);
        assert!(
            text.contains(&format!("applied: [\"{SQUASHED}\"]"))
                && text.contains("check: ok (1 applied)"),
            "{name}: the new release after its migrate:\n{text}"
        );
        let mut command = std::process::Command::new(&old_release);
        let out = command.env("DATABASE_URL", db.url()).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success()
                && text.contains(&format!("applied: [\"{FIRST}\", \"{SECOND}\"]"))
                && text.contains("pending: []")
                && text.contains("check: ok (2 applied)"),
            "{name}: the old release after the squash was recorded:\n{text}"
        );

        // Rolled back past the squashed migration: the old release sees nothing applied again.
        let out = project.run(db, &["rollback"]);
        assert!(out.success, "{name}: {}", out.text);
        let out = command.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            text.contains("applied: []") && text.contains("2 migration(s) not applied"),
            "{name}: the old release after the rollback:\n{text}"
        );
    }
}
