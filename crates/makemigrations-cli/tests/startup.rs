//! An application that applies the migrations from its own start-up code
//! (`Migrator::up(&db, None)` on a pool of several connections): the generated `Migrator` runs
//! them as `migrate` does (`makemigrations::app`). On PostgreSQL and SQLite each migration and its
//! tracking rows commit together, a table rebuild included, with foreign-key enforcement on again
//! afterwards whatever happens: a failed migration leaves nothing, its rows and the rows that
//! reference a rebuilt table (ON DELETE CASCADE) as they were. Replicas starting together apply
//! each migration once (the run lock). On MySQL a migration that fails halfway leaves the
//! started-record that `migrate` reads.

mod support;

use support::{migration_source, texts, Backend, TestProject};

const CREATE: &str = "m20260101_000001_create_parents";
const WIDEN_THEN_FAIL: &str = "m20260101_000002_widen_then_fail";
const BROKEN_KEY: &str = "m20260101_000003_broken_key";
const DROP_NAME: &str = "m20260101_000004_drop_name";

fn create() -> String {
    migration_source(
        r#"        manager
            .create_table(
                Table::create()
                    .table("parents")
                    .col(ColumnDef::new("id").integer().not_null().primary_key())
                    .col(ColumnDef::new("name").string_len(40).not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(Index::create().name("idx-parents-name").table("parents").col("name").to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("children")
                    .col(ColumnDef::new("id").integer().not_null().primary_key())
                    .col(ColumnDef::new("parent_id").integer().not_null())
                    .col(ColumnDef::new("other_id").integer().null())
                    .col(ColumnDef::new("label").string_len(40).not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-children-parent_id")
                            .from("children", "parent_id")
                            .to("parents", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await"#,
        r#"        manager.drop_table(Table::drop().table("children").to_owned()).await?;
        manager.drop_table(Table::drop().table("parents").to_owned()).await"#,
    )
}

/// A `down` that does nothing.
const NO_DOWN: &str = "        let _ = manager;\n        Ok(())";

/// A rebuild of `parents` (referenced with ON DELETE CASCADE) that succeeds, then a failure.
fn widen_then_fail() -> String {
    migration_source(
        r#"        alter_column(
            manager,
            "parents",
            ColumnDef::new("name").string_len(40).not_null(),
            ColumnDef::new("name").string_len(80).not_null(),
        )
        .await?;
        Err(DbErr::Migration("a deliberate failure after the rebuild".into()))"#,
        NO_DOWN,
    )
}

/// A rebuild that fails itself, after its DROP TABLE and RENAME: the foreign key it adds is
/// broken by a row.
fn broken_key() -> String {
    migration_source(
        r#"        add_foreign_key(
            manager,
            ForeignKey::create()
                .name("fk-children-other_id")
                .from("children", "other_id")
                .to("parents", "id")
                .to_owned(),
        )
        .await"#,
        NO_DOWN,
    )
}

/// A rebuild (the column is indexed) that fails after the old table is gone: a view reads the
/// dropped column, so it cannot be created again.
fn drop_name() -> String {
    migration_source(
        r#"        drop_column(manager, "parents", "name").await"#,
        NO_DOWN,
    )
}

/// What the application does at start-up, and what it then finds on its own connection.
const APP: &str = r#"//! An application applying the migrations at start-up.
use migration::MigratorTrait;
use makemigrations::prelude::sea_orm::{ConnectOptions, ConnectionTrait, Database, Statement, TransactionTrait};

#[tokio::main]
async fn main() {
    let url = std::env::var("DATABASE_URL").unwrap();
    // A pool of several connections, as applications have; or sea-orm's defaults.
    let mut options = ConnectOptions::new(url);
    if std::env::var("DEFAULT_POOL").is_err() {
        options.max_connections(5);
    }
    if std::env::var("NO_SQL_LOGGING").is_ok() {
        options.sqlx_logging(false);
    }
    let db = Database::connect(options).await.unwrap();
    let result = if std::env::var("IN_TRANSACTION").is_ok() {
        let txn = db.begin().await.unwrap();
        migration::Migrator::up(&txn, None).await
    } else if std::env::var("TWICE").is_ok() {
        // Two start-up tasks of one process at once.
        let (a, b) = tokio::join!(migration::Migrator::up(&db, None), migration::Migrator::up(&db, None));
        a.and(b)
    } else {
        migration::Migrator::up(&db, None).await
    };
    match result {
        Ok(()) => println!("up: ok"),
        Err(e) => println!("up: error: {e}"),
    }
    if db.get_database_backend() == makemigrations::prelude::sea_orm::DbBackend::Sqlite {
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), "PRAGMA foreign_keys"))
            .await
            .unwrap()
            .unwrap();
        println!("foreign_keys={}", row.try_get_by_index::<i64>(0).unwrap());
    }
}
"#;

fn project(migrations: &[(&str, String)]) -> TestProject {
    let project = TestProject::new();
    project.write_migrations(migrations);
    project.add_app(APP);
    project.build();
    project
}

fn app(project: &TestProject, db: &Backend) -> std::process::Command {
    let mut command = std::process::Command::new(project.app_binary());
    command
        .env("DATABASE_URL", db.url())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    command
}

fn run_app(project: &TestProject, db: &Backend) -> String {
    finished(app(project, db).output().unwrap(), db)
}

fn finished(out: std::process::Output, db: &Backend) -> String {
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{}: the application crashed:\n{text}",
        db.name()
    );
    text
}

async fn seed(project: &TestProject, db: &Backend) {
    let out = project.run(db, &["migrate", CREATE]);
    assert!(out.success, "{}: {}", db.name(), out.text);
    db.execute(
        "INSERT INTO parents (id, name) VALUES (1, 'p1'), (2, 'p2'); \
         INSERT INTO children (id, parent_id, other_id, label) VALUES (1, 1, 999, 'c1'), (2, 2, NULL, 'c2'); \
         CREATE VIEW parent_names AS SELECT name FROM parents",
    )
    .await;
}

async fn assert_rows_intact(db: &Backend, what: &str) {
    assert_eq!(
        texts(db, "SELECT name FROM parents ORDER BY id").await,
        ["p1", "p2"],
        "{}: {what}",
        db.name()
    );
    assert_eq!(
        texts(db, "SELECT label FROM children ORDER BY id").await,
        ["c1", "c2"],
        "{}: {what}: the referencing rows",
        db.name()
    );
    assert_eq!(
        texts(db, "SELECT version FROM seaql_migrations ORDER BY version").await,
        [CREATE],
        "{}: {what}: only the first migration is recorded",
        db.name()
    );
    let tables = {
        let conn = db.connect().await;
        let tables = makemigrations::executor::table_names(&conn).await.unwrap();
        conn.close().await.unwrap();
        tables
    };
    assert!(
        !tables.iter().any(|t| t.starts_with("_makemigrations_new_")),
        "{}: {what}: a half-made table is left: {tables:?}",
        db.name()
    );
}

/// The backends where each migration is one transaction; MySQL commits each statement, which the
/// started-record follows instead (`a_failure_at_start_up_is_what_migrate_would_report`).
async fn backends() -> Vec<Backend> {
    support::enabled_backends()
        .await
        .into_iter()
        .filter(|b| !matches!(b, Backend::MySql { .. }))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_migration_failing_after_a_rebuild_leaves_rows_and_foreign_keys_on() {
    let project = project(&[(CREATE, create()), (WIDEN_THEN_FAIL, widen_then_fail())]);
    for db in backends().await {
        seed(&project, &db).await;
        let before = db.schema_fingerprint().await;
        let out = run_app(&project, &db);
        assert!(
            out.contains("up: error") && out.contains("a deliberate failure after the rebuild"),
            "{}: {out}",
            db.name()
        );
        assert_rows_intact(&db, "a migration failing after a rebuild").await;
        // One transaction for the whole migration, the rebuild included: the change is gone
        // with it.
        assert_eq!(db.schema_fingerprint().await, before, "{}", db.name());
        if let Backend::Sqlite { .. } = db {
            assert!(out.contains("foreign_keys=1"), "{}: {out}", db.name());
            assert!(texts(&db, "PRAGMA foreign_key_check").await.is_empty());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rebuild_that_fails_leaves_the_table_as_it_was() {
    let project = project(&[
        (CREATE, create()),
        (BROKEN_KEY, broken_key()),
        (DROP_NAME, drop_name()),
    ]);
    for db in backends().await {
        seed(&project, &db).await;
        let before = db.schema_fingerprint().await;
        let out = run_app(&project, &db);
        assert!(out.contains("up: error"), "{}: {out}", db.name());
        assert_rows_intact(&db, "a rebuild that failed").await;
        assert_eq!(
            db.schema_fingerprint().await,
            before,
            "{}: the table changed: {out}",
            db.name()
        );
        if let Backend::Sqlite { .. } = db {
            assert!(
                out.contains("foreign_keys=1") && out.contains("point nowhere"),
                "{}: {out}",
                db.name()
            );
        }
        // Once the row is fixed, the same start-up applies it, and stops at the next rebuild,
        // which fails after its DROP TABLE: the view reads the dropped column.
        db.execute("UPDATE children SET other_id = NULL WHERE other_id = 999")
            .await;
        let out = run_app(&project, &db);
        assert!(out.contains("up: error"), "{}: {out}", db.name());
        assert_eq!(
            texts(&db, "SELECT version FROM seaql_migrations ORDER BY version").await,
            [CREATE, BROKEN_KEY],
            "{}: {out}",
            db.name()
        );
        assert!(
            db.schema_fingerprint()
                .await
                .contains(&"  index idx-parents-name [\"name\"] unique=false".to_string()),
            "{}: the table lost its index: {out}",
            db.name()
        );
        assert_eq!(
            texts(&db, "SELECT name FROM parent_names ORDER BY name").await,
            ["p1", "p2"],
            "{}: the view and the column it reads",
            db.name()
        );
        assert_eq!(
            texts(&db, "SELECT label FROM children ORDER BY id").await,
            ["c1", "c2"],
            "{}",
            db.name()
        );
        if let Backend::Sqlite { .. } = db {
            assert!(
                out.contains("foreign_keys=1") && out.contains("cannot be created again"),
                "{}: {out}",
                db.name()
            );
        }
        // Without the view, it applies.
        db.execute("DROP VIEW parent_names").await;
        let out = run_app(&project, &db);
        assert!(out.contains("up: ok"), "{}: {out}", db.name());
        assert_eq!(
            texts(&db, "SELECT label FROM children ORDER BY id").await,
            ["c1", "c2"],
            "{}",
            db.name()
        );
    }
}

const FILL: &str = "m20260101_000005_fill";

/// A data step: one row per run that applies it.
fn fill() -> String {
    migration_source(
        r#"        let db = manager.get_connection();
        db.execute_unprepared("INSERT INTO parents (id, name) VALUES (100, 'filled')").await?;
        db.execute_unprepared("INSERT INTO children (id, parent_id, label) VALUES (100, 100, 'filled')").await?;
        Ok(())"#,
        r#"        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM children WHERE id = 100").await?;
        db.execute_unprepared("DELETE FROM parents WHERE id = 100").await?;
        Ok(())"#,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn replicas_starting_together_apply_each_migration_once() {
    let project = project(&[(CREATE, create()), (FILL, fill())]);
    for db in support::enabled_backends().await {
        // Replicas as applications make them: several pools, sea-orm's default pool, no
        // statement logging, two tasks of one process.
        let replicas: Vec<_> = [
            None,
            Some("DEFAULT_POOL"),
            Some("NO_SQL_LOGGING"),
            Some("TWICE"),
        ]
        .into_iter()
        .map(|variant| {
            let mut command = app(&project, &db);
            if let Some(variant) = variant {
                command.env(variant, "1");
            }
            command.spawn().unwrap()
        })
        .collect();
        for replica in replicas {
            let out = finished(replica.wait_with_output().unwrap(), &db);
            assert!(out.contains("up: ok"), "{}: {out}", db.name());
        }
        assert_eq!(
            texts(&db, "SELECT version FROM seaql_migrations ORDER BY version").await,
            [CREATE, FILL],
            "{}",
            db.name()
        );
        assert_eq!(
            texts(&db, "SELECT name FROM parents ORDER BY id").await,
            ["filled"],
            "{}: the data step ran once",
            db.name()
        );
        // Recorded as `migrate` records: with checksums, so the command line trusts it.
        let out = project.run(&db, &["check"]);
        assert!(!out.text.contains("edited"), "{}: {}", db.name(), out.text);
        assert_eq!(
            texts(
                &db,
                "SELECT version FROM makemigrations_checksums ORDER BY version"
            )
            .await,
            [CREATE, FILL],
            "{}",
            db.name()
        );
    }
}

const FILL_THEN_FAIL: &str = "m20260101_000006_fill_then_fail";

fn fill_then_fail() -> String {
    migration_source(
        r#"        let db = manager.get_connection();
        db.execute_unprepared("INSERT INTO parents (id, name) VALUES (200, 'half')").await?;
        db.execute_unprepared("INSERT INTO nowhere (id) VALUES (1)").await?;
        Ok(())"#,
        "        let _ = manager;\n        Ok(())",
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failure_at_start_up_is_what_migrate_would_report() {
    let project = project(&[(CREATE, create()), (FILL_THEN_FAIL, fill_then_fail())]);
    for db in support::enabled_backends().await {
        // Without sqlx's statement log in the application: the journal still hears every
        // statement (the run logs its own).
        let out = finished(
            app(&project, &db)
                .env("NO_SQL_LOGGING", "1")
                .output()
                .unwrap(),
            &db,
        );
        assert!(out.contains("up: error"), "{}: {out}", db.name());
        assert_eq!(
            texts(&db, "SELECT version FROM seaql_migrations ORDER BY version").await,
            [CREATE],
            "{}: {out}",
            db.name()
        );
        let half = texts(&db, "SELECT name FROM parents WHERE id = 200").await;
        match db {
            // The insert committed on its own; the started-record says so, and both the next
            // start-up and `migrate` refuse until it is resolved.
            Backend::MySql { .. } => {
                assert_eq!(half, ["half"], "{}", db.name());
                let again = run_app(&project, &db);
                assert!(
                    again.contains("up: error") && again.contains("failed halfway"),
                    "{}: {again}",
                    db.name()
                );
                let cli = project.run(&db, &["migrate"]);
                assert!(
                    !cli.success && cli.text.contains("INSERT INTO parents"),
                    "{}: {}",
                    db.name(),
                    cli.text
                );
            }
            _ => assert!(half.is_empty(), "{}: the insert stayed: {out}", db.name()),
        }
        // A transaction of the application's own cannot hold the per-migration transactions.
        let out = finished(
            app(&project, &db)
                .env("IN_TRANSACTION", "1")
                .output()
                .unwrap(),
            &db,
        );
        assert!(
            out.contains("up: error") && out.contains("pass the DatabaseConnection"),
            "{}: {out}",
            db.name()
        );
    }
}
