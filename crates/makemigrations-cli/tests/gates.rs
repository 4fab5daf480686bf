//! The gates that keep `migrate` and `rollback` from losing data silently, through the real
//! binary of a scratch copy of the sample project: backfill placeholders, the `// !` lines of `up`
//! and `down`, entities the build script cannot reach, and `rollback --force` on tables with rows
//! (on every backend: the fill values are backend SQL).

mod support;

use support::{Backend, TestProject};

/// A project with its initial migration applied.
fn migrated(db: &Backend) -> TestProject {
    let project = TestProject::new();
    project.build();
    let out = project.run(db, &["makemigrations"]);
    assert!(out.success, "{}", out.text);
    project.build();
    let out = project.run(db, &["migrate"]);
    assert!(out.success, "{}", out.text);
    project
}

/// The newest migration file's lines.
fn newest_lines(project: &TestProject) -> Vec<String> {
    project
        .newest_migration_source()
        .lines()
        .map(str::to_string)
        .collect()
}

/// A migrated project with a pending migration `..._drop_name` that drops `users.display_name`,
/// marked as a step that loses data in the generated file (which `migrate` reads).
fn with_drop_name_pending(db: &Backend) -> TestProject {
    let project = migrated(db);
    project.edit_entity("users.rs", "    pub display_name: String,\n", "");
    project.build();
    let out = project.run(db, &["makemigrations", "--name", "drop_name"]);
    assert!(out.success, "{}", out.text);
    assert!(project
        .newest_migration_source()
        .contains("// ! Drop column users.display_name: the data of users.display_name is lost"));
    project.build();
    project
}

/// Drops two NOT NULL columns without defaults (text, date) from tables with rows, and applies
/// the generated migration. (A UNIQUE column gets no fill: one value cannot fit every row.)
fn drop_not_null_columns(project: &TestProject, db: &Backend) {
    project.edit_entity("users.rs", "    pub display_name: String,\n", "");
    project.edit_entity("loyalty_accounts.rs", "    pub member_since: Date,\n", "");
    project.build();
    let out = project.run(db, &["makemigrations", "--name", "drop_columns"]);
    assert!(
        out.success && out.text.contains("! Drop column users.display_name"),
        "{}",
        out.text
    );
    project.build();
    let out = project.run(db, &["migrate"]);
    assert!(out.success, "{}", out.text);
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_refuses_a_backfill_placeholder_and_applies_nothing() {
    let db = Backend::sqlite();
    let project = TestProject::new();
    project.build();
    let out = project.run(&db, &["makemigrations"]);
    assert!(out.success, "{}", out.text);
    // The next file is named after the ones the binary knows.
    project.build();
    let out = project.run(&db, &["makemigrations", "--empty", "--name", "backfill"]);
    assert!(out.success, "{}", out.text);
    project.edit_newest_migration(
        "        // Write the schema",
        "        todo_backfill(\"users\", \"phone\")?;\n        // Write the schema",
    );
    project.build();
    let line = newest_lines(&project)
        .iter()
        .position(|l| l.contains("todo_backfill(\"users\""))
        .unwrap()
        + 1;

    let out = project.run(&db, &["migrate"]);
    assert_eq!(out.code, Some(2), "{}", out.text);
    assert!(
        out.text.contains("backfill placeholder")
            && out.text.contains(&format!("_backfill.rs:{line}"))
            && out.text.contains("migration/src/migrations/")
            && !out.text.contains(&project.path().display().to_string()),
        "{}",
        out.text
    );
    // Nothing ran, not even the migration before it.
    let out = project.run(&db, &["showmigrations"]);
    assert!(
        !out.text.contains("[X]") && out.text.matches("[ ]").count() == 2,
        "{}",
        out.text
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_reports_a_backfill_placeholder() {
    let db = Backend::sqlite();
    let project = migrated(&db);
    let out = project.run(&db, &["makemigrations", "--empty", "--name", "backfill"]);
    assert!(out.success, "{}", out.text);
    project.edit_newest_migration(
        "        // Write the schema",
        "        todo_backfill(\"users\", \"phone\")?;\n        // Write the schema",
    );
    project.build();
    let out = project.run(&db, &["check"]);
    assert_eq!(out.code, Some(10), "{}", out.text);
    assert!(
        out.text.contains("Backfill placeholder")
            && out.text.contains("_backfill.rs:")
            && out.text.contains("Database not compared with the entities"),
        "{}",
        out.text
    );
}

/// Without a terminal, `migrate` proceeds and prints what loses data, per migration.
#[tokio::test(flavor = "multi_thread")]
async fn migrate_lists_the_steps_that_lose_data() {
    let db = Backend::sqlite();
    let project = with_drop_name_pending(&db);
    let out = project.run(&db, &["migrate"]);
    assert!(out.success, "{}", out.text);
    let listed = out.text.find("These steps lose data:");
    let applied = out.text.find("_drop_name ... OK");
    assert!(
        listed.is_some() && applied.is_some() && listed < applied,
        "{}",
        out.text
    );
    assert!(
        out.text
            .contains("_drop_name:\n    ! Drop column users.display_name: the data of users.display_name is lost"),
        "{}",
        out.text
    );
}

/// At a terminal `migrate` asks; only `y` applies. `script` gives the binary a terminal.
#[tokio::test(flavor = "multi_thread")]
async fn migrate_asks_at_a_terminal() {
    let db = Backend::sqlite();
    let project = with_drop_name_pending(&db);
    let at_terminal = |input: &str, colours: bool| {
        let command = format!("{} migrate", project.binary().display());
        let mut script = std::process::Command::new("script");
        if !colours {
            script.env("NO_COLOR", "1");
        }
        let out = script
            .args(["-qec", &command, "/dev/null"])
            .env("DATABASE_URL", db.url())
            .current_dir(project.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child.stdin.take().unwrap().write_all(input.as_bytes())?;
                child.wait_with_output()
            })
            .expect("`script` (util-linux) runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };

    let (code, text) = at_terminal("n\n", false);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("Apply? [y/N]") && text.contains("Nothing applied."),
        "{text}"
    );
    let out = project.run(&db, &["showmigrations"]);
    assert!(out.text.contains("[ ] m"), "{}", out.text);

    let (code, text) = at_terminal("\u{4}", false);
    assert_eq!(code, Some(130), "{text}");

    // A terminal gets colours: `OK` in green.
    let (code, text) = at_terminal("y\n", true);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("_drop_name ... \u{1b}[32mOK\u{1b}[0m"),
        "{text:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_yes_applies_without_asking() {
    let db = Backend::sqlite();
    let project = with_drop_name_pending(&db);
    let out = project.run(&db, &["migrate", "--yes"]);
    assert!(
        out.success && !out.text.contains("Apply?") && out.text.contains("_drop_name ... OK"),
        "{}",
        out.text
    );
}

/// The generated `down` of a dropped column says it cannot restore the data; `rollback` then
/// refuses before touching anything.
#[tokio::test(flavor = "multi_thread")]
async fn rollback_refuses_what_down_cannot_restore() {
    let db = Backend::sqlite();
    let project = migrated(&db);
    drop_not_null_columns(&project, &db);
    let out = project.run(&db, &["rollback"]);
    assert_eq!(out.code, Some(2), "{}", out.text);
    assert!(
        out.text.contains("nothing was rolled back")
            && out.text.contains("_drop_columns:")
            && out.text.contains(
                "! Cannot restore users.display_name's data: the column comes back with '' in every row"
            )
            && out.text.contains("--force"),
        "{}",
        out.text
    );
    let out = project.run(&db, &["showmigrations"]);
    assert!(!out.text.contains("[ ]"), "{}", out.text);
}

/// `rollback --force` runs `down` on tables with rows: the columns come back NOT NULL without a
/// default, exactly as before, and the rows hold the fill values.
async fn force_rollback_restores_the_schema(db: Backend) {
    let project = migrated(&db);
    db.seed().await;
    let before = db.schema_fingerprint().await;
    drop_not_null_columns(&project, &db);
    let out = project.run(&db, &["rollback", "--force"]);
    assert!(
        out.success && out.text.contains("_drop_columns ... OK"),
        "{}: {}",
        db.name(),
        out.text
    );
    similar_asserts::assert_eq!(before, db.schema_fingerprint().await);
    db.assert_seed_intact().await;
    let conn = db.connect().await;
    let backend = conn.get_database_backend();
    let value = |sql: &str| {
        let conn = &conn;
        let sql = sql.to_string();
        async move {
            use sea_orm::ConnectionTrait;
            let row = conn
                .query_one_raw(sea_orm::Statement::from_string(backend, sql))
                .await
                .unwrap()
                .unwrap();
            row.try_get::<String>("", "v").unwrap()
        }
    };
    assert_eq!(value("SELECT display_name AS v FROM users").await, "");
    let date = match backend {
        sea_orm::DbBackend::Postgres => "SELECT member_since::text AS v FROM loyalty_accounts",
        _ => "SELECT CAST(member_since AS CHAR) AS v FROM loyalty_accounts",
    };
    assert_eq!(value(date).await, "1970-01-01");
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_force_on_rows_on_every_backend() {
    for db in support::enabled_backends().await {
        force_rollback_restores_the_schema(db).await;
    }
}

/// An entity in a private module is invisible to the tool: its table is reported and left alone,
/// never dropped.
#[tokio::test(flavor = "multi_thread")]
async fn an_entity_in_a_private_module_keeps_its_table() {
    let db = Backend::sqlite();
    let project = migrated(&db);
    project.edit_entity("lib.rs", "pub mod site_settings {", "mod site_settings {");
    project.build();
    let out = project.run(&db, &["makemigrations", "--check"]);
    assert!(
        out.success
            && out.text.contains(
                "warning: entity entity::site_settings::Entity in a private module is not seen; \
                 its table site_settings is left alone; fix: make the module pub"
            )
            && out.text.contains("No changes detected")
            && !out.text.contains("Drop table site_settings"),
        "{}",
        out.text
    );
}

/// `TABLE_RENAMED_FROM` beside an entity reaches the generated entity list
/// (`EntityDef::renamed_from`), and that list compiles.
#[tokio::test(flavor = "multi_thread")]
async fn table_renamed_from_compiles_into_the_entity_list() {
    let db = Backend::sqlite();
    let project = TestProject::new();
    project.edit_entity(
        "users.rs",
        "use sea_orm::entity::prelude::*;\n",
        "use sea_orm::entity::prelude::*;\n\npub const TABLE_RENAMED_FROM: &str = \"customers\";\n",
    );
    project.build();
    let out = project.run(&db, &["makemigrations", "--check"]);
    assert!(
        out.code == Some(1) && out.text.contains("+ Create table users"),
        "{}",
        out.text
    );
}
