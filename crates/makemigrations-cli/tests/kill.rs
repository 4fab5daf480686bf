//! Progress that survives a kill: `migrate` is SIGKILLed at many moments of a run over several
//! migrations (a data step that inserts thousands of rows, pauses between statements, a column
//! type change that SQLite makes by rebuilding a populated table that another table references
//! with ON DELETE CASCADE). After each kill, PostgreSQL and SQLite are at a recorded boundary
//! (the schema is the one after exactly the recorded migrations); MySQL/MariaDB is at one or has a
//! started-record that the next `migrate` names, with the statements that completed. The next
//! `migrate` (after doing by hand what the refusal says, on MySQL) ends at head, with every data
//! step applied exactly once and the seeded rows intact. Through the real binary, on every
//! enabled backend (docs/guide.md, "If migrate is killed").

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};
use support::{migration_source, texts, Backend, TestProject};

/// Kills per backend, spread over the measured run time.
const KILLS: usize = 12;
/// Rows of the data step: one, doubled this many times.
const DOUBLINGS: u32 = 13;

const CREATE_ITEMS: &str = "m20260101_000001_create_items";
const FILL_ITEMS: &str = "m20260101_000002_fill_items";
const SLOW_NOTE: &str = "m20260101_000003_slow_note";
const WIDEN_NAME: &str = "m20260101_000004_widen_name";

/// A pause of about 0.3 s as one statement (SQLite has no sleep: a long count).
const PAUSE: &str = r#"
async fn pause(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match manager.get_database_backend() {
        sea_orm::DbBackend::Postgres => db.execute_unprepared("SELECT pg_sleep(0.3)").await?,
        sea_orm::DbBackend::MySql => db.execute_unprepared("DO SLEEP(0.3)").await?,
        _ => db
            .execute_unprepared(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 600000) \
                 SELECT count(*) FROM c",
            )
            .await?,
    };
    Ok(())
}
"#;

/// Where the migrations leave a file named after themselves as their `up` starts.
const STARTED_DIR_VAR: &str = "MIGRATION_STARTED_DIR";

/// A file named after the migration in the directory `STARTED_DIR_VAR` names, written first thing
/// in `up`: with the tracking table after a kill, it tells a kill inside a migration (its `up` had
/// started, its tracking row was not committed) from one between migrations.
const MARK_STARTED: &str = r#"
fn mark_started(name: &str) {
    if let Ok(dir) = std::env::var("MIGRATION_STARTED_DIR") {
        std::fs::write(std::path::Path::new(&dir).join(name), "").unwrap();
    }
}
"#;

fn migrations() -> Vec<(&'static str, String)> {
    let create = migration_source(
        r#"        manager
            .create_table(
                Table::create()
                    .table("items")
                    .col(ColumnDef::new("id").integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new("name").string_len(40).not_null())
                    .col(ColumnDef::new("qty").integer().not_null().default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("notes")
                    .col(ColumnDef::new("id").integer().not_null().auto_increment().primary_key())
                    .col(ColumnDef::new("item_id").integer().not_null())
                    .col(ColumnDef::new("body").string_len(40).not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk-notes-item_id")
                            .from("notes", "item_id")
                            .to("items", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await"#,
        r#"        manager.drop_table(Table::drop().table("notes").to_owned()).await?;
        manager.drop_table(Table::drop().table("items").to_owned()).await"#,
    );
    let fill = migration_source(
        &format!(
            r#"        mark_started("{FILL_ITEMS}");
        // `execute_raw`: a statement sea-orm reports, so MySQL's record lists it.
        let db = manager.get_connection();
        let sql = |text: &str| sea_orm::Statement::from_string(manager.get_database_backend(), text);
        db.execute_raw(sql("INSERT INTO items (name, qty) VALUES ('gen', 0)")).await?;
        for _ in 0..{DOUBLINGS} {{
            db.execute_raw(sql(
                "INSERT INTO items (name, qty) SELECT name, qty FROM items WHERE name = 'gen'",
            ))
            .await?;
        }}
        Ok(())"#
        ),
        r#"        manager
            .get_connection()
            .execute_unprepared("DELETE FROM items WHERE name = 'gen'")
            .await?;
        Ok(())"#,
    ) + MARK_STARTED;
    let slow = migration_source(
        &format!(
            r#"        mark_started("{SLOW_NOTE}");
        manager
            .alter_table(
                Table::alter()
                    .table("items")
                    .add_column(ColumnDef::new("note").string_len(20).null())
                    .to_owned(),
            )
            .await?;
        pause(manager).await?;
        manager
            .get_connection()
            .execute_raw(sea_orm::Statement::from_string(
                manager.get_database_backend(),
                "UPDATE items SET note = 'noted'",
            ))
            .await?;
        pause(manager).await?;
        manager
            .create_index(
                Index::create()
                    .name("idx-items-note")
                    .table("items")
                    .col("note")
                    .to_owned(),
            )
            .await"#
        ),
        r#"        manager
            .drop_index(Index::drop().name("idx-items-note").table("items").to_owned())
            .await?;
        drop_column(manager, "items", "note").await"#,
    ) + PAUSE
        + MARK_STARTED;
    let widen = migration_source(
        &format!(
            r#"        mark_started("{WIDEN_NAME}");
        pause(manager).await?;
        alter_column(
            manager,
            "items",
            ColumnDef::new("name").string_len(40).not_null(),
            ColumnDef::new("name").string_len(80).not_null(),
        )
        .await"#
        ),
        r#"        alter_column(
            manager,
            "items",
            ColumnDef::new("name").string_len(80).not_null(),
            ColumnDef::new("name").string_len(40).not_null(),
        )
        .await"#,
    ) + PAUSE
        + MARK_STARTED;
    vec![
        (CREATE_ITEMS, create),
        (FILL_ITEMS, fill),
        (SLOW_NOTE, slow),
        (WIDEN_NAME, widen),
    ]
}

/// The two tests take turns: a build beside the kills would skew their timing.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn project() -> TestProject {
    let project = TestProject::new();
    project.write_migrations(&migrations());
    project.build();
    project
}

/// Empties the database: every table goes (the tool's own too).
async fn reset(db: &Backend) {
    match db {
        Backend::Sqlite { url, .. } => {
            let file = url
                .strip_prefix("sqlite://")
                .unwrap()
                .split('?')
                .next()
                .unwrap();
            for suffix in ["", "-journal", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{file}{suffix}"));
            }
        }
        Backend::Postgres { .. } => {
            db.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
                .await
        }
        Backend::MySql { .. } => {
            let tables = texts(
                db,
                "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
                 WHERE TABLE_SCHEMA = DATABASE()",
            )
            .await;
            if !tables.is_empty() {
                let list: Vec<String> = tables.iter().map(|t| format!("`{t}`")).collect();
                db.execute(&format!(
                    "SET FOREIGN_KEY_CHECKS = 0; DROP TABLE {}; SET FOREIGN_KEY_CHECKS = 1",
                    list.join(", ")
                ))
                .await;
            }
        }
        Backend::Url(_) => unreachable!(),
    }
}

/// The state every kill starts from: the first migration applied, and rows of our own in both
/// tables (the notes reference items with ON DELETE CASCADE: a rebuild that dropped `items` with
/// enforcement on would delete them).
async fn prepare(project: &TestProject, db: &Backend) {
    reset(db).await;
    let out = project.run(db, &["migrate", CREATE_ITEMS]);
    assert!(out.success, "{}: {}", db.name(), out.text);
    db.execute(
        "INSERT INTO items (name, qty) VALUES ('alpha', 1), ('beta', 2), ('gamma', 3); \
         INSERT INTO notes (item_id, body) VALUES (1, 'keep me'), (2, 'and me')",
    )
    .await;
}

/// The one number `sql` answers.
async fn count(db: &Backend, sql: &str) -> i64 {
    let conn = db.connect().await;
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{}: {sql}: {e}", db.name()))
        .unwrap();
    conn.close().await.unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn recorded(db: &Backend) -> Vec<String> {
    texts(db, "SELECT version FROM seaql_migrations ORDER BY version").await
}

/// MySQL: the started-records left (`version`, `state`), none where the table is missing.
async fn half_applied(db: &Backend) -> Vec<(String, String)> {
    if !matches!(db, Backend::MySql { .. })
        || count(
            db,
            "SELECT COUNT(*) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'makemigrations_half_applied'",
        )
        .await
            == 0
    {
        return Vec::new();
    }
    let versions = texts(
        db,
        "SELECT version FROM makemigrations_half_applied ORDER BY version",
    )
    .await;
    let states = texts(
        db,
        "SELECT state FROM makemigrations_half_applied ORDER BY version",
    )
    .await;
    versions.into_iter().zip(states).collect()
}

/// Waits until no other connection works on this database, so that what a killed run had sent
/// (a statement, or the COMMIT of its last migration) has finished on the server before the test
/// looks at (or undoes) its work.
async fn wait_for_server_side_end(db: &Backend) {
    let sql = match db {
        Backend::Postgres { .. } => {
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        }
        _ => {
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST \
             WHERE DB = DATABASE() AND ID <> CONNECTION_ID()"
        }
    };
    let started = Instant::now();
    loop {
        let others = count(db, sql).await;
        if others == 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the killed run's connection stays on the server"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Columns and indexes of `items` on MySQL, to undo by hand what completed.
async fn mysql_has(db: &Backend, what: &str, name: &str) -> bool {
    let sql = match what {
        "column" => format!(
            "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME = 'items' AND COLUMN_NAME = '{name}'"
        ),
        _ => format!(
            "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() \
             AND TABLE_NAME = 'items' AND INDEX_NAME = '{name}'"
        ),
    };
    count(db, &sql).await > 0
}

/// What a person does by hand after the refusal on MySQL: undo what completed of `migration`
/// and `migrate --retry`, or (for the last one) finish it and `migrate <name> --fake`.
async fn resolve_by_hand(project: &TestProject, db: &Backend, migration: &str) -> String {
    let command: Vec<String> = match migration {
        FILL_ITEMS => {
            db.execute("DELETE FROM items WHERE name = 'gen'").await;
            vec!["migrate".into(), "--retry".into()]
        }
        SLOW_NOTE => {
            if mysql_has(db, "index", "idx-items-note").await {
                db.execute("DROP INDEX `idx-items-note` ON items").await;
            }
            if mysql_has(db, "column", "note").await {
                db.execute("ALTER TABLE items DROP COLUMN note").await;
            }
            vec!["migrate".into(), "--retry".into()]
        }
        WIDEN_NAME => {
            db.execute("ALTER TABLE items MODIFY name varchar(80) NOT NULL")
                .await;
            vec!["migrate".into(), WIDEN_NAME.into(), "--fake".into()]
        }
        other => panic!("no started-record expected for {other}"),
    };
    let args: Vec<&str> = command.iter().map(String::as_str).collect();
    let out = project.run(db, &args);
    assert!(
        out.success,
        "{}: `{}` after undoing {migration} by hand:\n{}",
        db.name(),
        args.join(" "),
        out.text
    );
    args.join(" ")
}

async fn assert_at_head(db: &Backend, head: &[String], what: &str) {
    assert_eq!(
        recorded(db).await,
        [CREATE_ITEMS, FILL_ITEMS, SLOW_NOTE, WIDEN_NAME],
        "{}: {what}",
        db.name()
    );
    assert_eq!(
        db.schema_fingerprint().await,
        head,
        "{}: {what}: not the schema of head",
        db.name()
    );
    // The data step ran exactly once, and the seeded rows are as they were.
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM items WHERE name = 'gen'").await,
        1i64 << DOUBLINGS,
        "{}: {what}",
        db.name()
    );
    assert_eq!(
        texts(
            db,
            "SELECT name FROM items WHERE name <> 'gen' AND qty IN (1, 2, 3) ORDER BY id"
        )
        .await,
        ["alpha", "beta", "gamma"],
        "{}: {what}",
        db.name()
    );
    assert_eq!(
        texts(db, "SELECT body FROM notes ORDER BY id").await,
        ["keep me", "and me"],
        "{}: {what}",
        db.name()
    );
    if let Backend::Sqlite { .. } = db {
        assert!(
            texts(db, "PRAGMA foreign_key_check").await.is_empty(),
            "{}: {what}",
            db.name()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_killed_at_any_moment_resumes_to_head() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let project = project();
    for db in support::enabled_backends().await {
        let test_started = Instant::now();
        // The schema after exactly k migrations, k = 1..=4, one `migrate <target>` at a time.
        prepare(&project, &db).await;
        let mut boundaries = vec![db.schema_fingerprint().await];
        for target in [FILL_ITEMS, SLOW_NOTE, WIDEN_NAME] {
            let out = project.run(&db, &["migrate", target]);
            assert!(out.success, "{}: {}", db.name(), out.text);
            boundaries.push(db.schema_fingerprint().await);
        }
        let head = boundaries[3].clone();
        eprintln!(
            "kill {}: boundaries after {:.1}s",
            db.name(),
            test_started.elapsed().as_secs_f64()
        );
        assert_at_head(&db, &head, "applied one by one").await;
        assert_ne!(boundaries[1], boundaries[2], "{}", db.name());
        assert_ne!(boundaries[2], boundaries[3], "{}", db.name());

        // The whole run, timed from the start of the process to its end.
        prepare(&project, &db).await;
        let started = Instant::now();
        let out = project.run(&db, &["migrate"]);
        let run_time = started.elapsed();
        assert!(out.success, "{}: {}", db.name(), out.text);
        assert_at_head(&db, &head, "one uninterrupted run").await;

        let mut outcomes = Vec::new();
        let mut kills_inside = 0;
        for i in 0..KILLS {
            // Denser early on, where process start-up and the short data step are.
            let share = (i as f64 + 0.5) / KILLS as f64;
            let at = run_time.mul_f64(share * share);
            prepare(&project, &db).await;
            let started_dir = tempfile::tempdir().unwrap();
            let mut child = project
                .command(&db, &["migrate"])
                .env(STARTED_DIR_VAR, started_dir.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            tokio::time::sleep(at).await;
            let _ = child.kill(); // SIGKILL
            let killed = child.wait_with_output().unwrap();
            let what = format!(
                "killed after {:.2}s of {:.2}s; its output:\n{}",
                at.as_secs_f64(),
                run_time.as_secs_f64(),
                String::from_utf8_lossy(&killed.stdout)
            );
            if !matches!(db, Backend::Sqlite { .. }) {
                wait_for_server_side_end(&db).await;
            }
            let applied = recorded(&db).await;
            let records = half_applied(&db).await;
            // The migration whose `up` had started and whose tracking row was not committed:
            // the kill landed inside it.
            let inside: Vec<String> = std::fs::read_dir(started_dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|m| !applied.contains(m))
                .collect();
            assert!(inside.len() <= 1, "{}: {inside:?}: {what}", db.name());
            if let (Backend::MySql { .. }, [migration]) = (&db, inside.as_slice()) {
                assert_eq!(
                    records.iter().map(|(v, _)| v).collect::<Vec<_>>(),
                    [migration],
                    "{}: killed inside {migration}, which left no started-record: {what}",
                    db.name()
                );
            }
            if !inside.is_empty() || !records.is_empty() {
                kills_inside += 1;
            }
            let outcome = match (&db, records.as_slice()) {
                (Backend::MySql { .. }, [(migration, state)]) => {
                    // A recorded, resumable state: the next run refuses, naming it.
                    assert_eq!(state, "running", "{}: {what}", db.name());
                    let out = project.run(&db, &["migrate"]);
                    assert_eq!(out.code, Some(2), "{}: {what}\n{}", db.name(), out.text);
                    assert!(
                        out.text
                            .contains(&format!("migration {migration} was interrupted"))
                            && out.text.contains("statement(s) of it had completed")
                            && out.text.contains("may also have completed")
                            && out.text.contains("migrate --retry")
                            && out.text.contains(&format!("migrate {migration} --fake")),
                        "{}: {what}\nthe refusal:\n{}",
                        db.name(),
                        out.text
                    );
                    let shown = project.run(&db, &["showmigrations"]);
                    assert!(
                        shown
                            .text
                            .contains(&format!("[!] {migration}  (stopped halfway")),
                        "{}: {}",
                        db.name(),
                        shown.text
                    );
                    let completed = out
                        .text
                        .split(" statement(s) of it had completed")
                        .next()
                        .and_then(|head| head.rsplit(' ').next())
                        .unwrap_or("?")
                        .to_string();
                    let done = resolve_by_hand(&project, &db, migration).await;
                    format!(
                        "{} recorded, {migration} running after {completed} statement(s) -> {done}",
                        applied.len()
                    )
                }
                (_, []) => {
                    // At a boundary: the schema of exactly the recorded migrations.
                    assert!(!applied.is_empty(), "{}: {what}", db.name());
                    assert_eq!(
                        db.schema_fingerprint().await,
                        boundaries[applied.len() - 1],
                        "{}: {what}\nnot at the boundary after {applied:?}",
                        db.name()
                    );
                    format!("{} recorded", applied.len())
                }
                (_, records) => panic!(
                    "{}: unexpected half-applied records {records:?}: {what}",
                    db.name()
                ),
            };
            let out = project.run(&db, &["migrate"]);
            assert!(out.success, "{}: {what}\n{}", db.name(), out.text);
            assert_at_head(&db, &head, &what).await;
            assert!(half_applied(&db).await.is_empty(), "{}", db.name());
            let outcome = match inside.first() {
                Some(migration) => format!("{outcome}, killed inside {migration}"),
                None => outcome,
            };
            eprintln!(
                "kill {} {i}: {:.2}s: {outcome}",
                db.name(),
                at.as_secs_f64()
            );
            outcomes.push(format!("{:.2}s: {outcome}", at.as_secs_f64()));
        }
        eprintln!(
            "kill {}: run {:.2}s, {KILLS} kills ({kills_inside} inside a migration) in {:.1}s: {}",
            db.name(),
            run_time.as_secs_f64(),
            test_started.elapsed().as_secs_f64(),
            outcomes.join("; ")
        );
        // Kills only before the first migration or between two would prove nothing.
        assert!(
            kills_inside >= 1,
            "{}: no kill landed inside a migration: {}",
            db.name(),
            outcomes.join("; ")
        );
    }
}

/// `--fake` and the tool's own tables: after `rollback --fake` and dropping the tables by hand,
/// `migrate` applies the migration again (its tracking and owned-table rows are written over
/// what was left).
#[tokio::test(flavor = "multi_thread")]
async fn migrate_after_rollback_fake_applies_again() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let project = project();
    for db in support::enabled_backends().await {
        let out = project.run(&db, &["migrate", CREATE_ITEMS]);
        assert!(out.success, "{}: {}", db.name(), out.text);
        let out = project.run(&db, &["rollback", "--fake"]);
        assert!(
            out.success && out.text.contains("FAKED"),
            "{}: {}",
            db.name(),
            out.text
        );
        db.execute("DROP TABLE notes").await;
        db.execute("DROP TABLE items").await;
        let out = project.run(&db, &["migrate", CREATE_ITEMS]);
        assert!(
            out.success && out.text.contains(&format!("{CREATE_ITEMS} ... OK")),
            "{}: {}",
            db.name(),
            out.text
        );
        assert_eq!(recorded(&db).await, [CREATE_ITEMS], "{}", db.name());
        assert_eq!(
            texts(
                &db,
                "SELECT table_name FROM makemigrations_owned_tables ORDER BY table_name"
            )
            .await,
            ["items", "notes"],
            "{}",
            db.name()
        );
        let out = project.run(&db, &["rollback", "--all"]);
        assert!(out.success, "{}: {}", db.name(), out.text);
        assert!(recorded(&db).await.is_empty(), "{}", db.name());
    }
}

/// The run lock's own connection ended under a run (a pooler, a network cut, an administrator's
/// `pg_terminate_backend` or `KILL`): the lock went with it, so `migrate` stops before the next
/// migration rather than go on unlocked, and the next run finishes the job.
#[tokio::test(flavor = "multi_thread")]
async fn migrate_stops_when_its_lock_is_lost() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let project = project();
    let servers: Vec<Backend> = support::enabled_backends()
        .await
        .into_iter()
        .filter(|b| !matches!(b, Backend::Sqlite { .. }))
        .collect();
    for db in servers {
        prepare(&project, &db).await;
        let child = project
            .command(&db, &["migrate"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let holder_sql = match db {
            Backend::Postgres { .. } => {
                "SELECT CAST(COALESCE(MAX(pid), 0) AS bigint) FROM pg_locks WHERE locktype = 'advisory' \
                 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            }
            _ => "SELECT COALESCE(IS_USED_LOCK(CONCAT('makemigrations:', DATABASE())), 0)",
        };
        let started = Instant::now();
        let holder = loop {
            let holder = count(&db, holder_sql).await;
            if holder != 0 {
                break holder;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{}: the run never took its lock",
                db.name()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        match db {
            Backend::Postgres { .. } => {
                db.execute(&format!("SELECT pg_terminate_backend({holder})"))
                    .await
            }
            _ => db.execute(&format!("KILL {holder}")).await,
        }
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {text}", db.name());
        assert!(
            text.contains("the lock that keeps two migration runs on")
                && text.contains("was lost before migration m2026")
                && text.contains("fix: run the command again"),
            "{}: {text}",
            db.name()
        );
        let applied = recorded(&db).await;
        assert!(applied.len() < 4, "{}: went on to head: {text}", db.name());
        let out = project.run(&db, &["migrate"]);
        assert!(out.success, "{}: {}", db.name(), out.text);
        let head = recorded(&db).await;
        assert_eq!(head.len(), 4, "{}: {}", db.name(), out.text);
        eprintln!(
            "lock lost {}: stopped with {} migration(s) recorded",
            db.name(),
            applied.len()
        );
    }
}

/// MySQL: a `makemigrations_half_applied` made before the started-record (no `state` column)
/// still works: its rows read as failures, and `migrate` adds the column.
#[tokio::test(flavor = "multi_thread")]
async fn a_half_applied_table_of_the_older_layout_still_works() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let project = project();
    for db in support::enabled_backends().await {
        let Backend::MySql { .. } = db else { continue };
        prepare(&project, &db).await;
        db.execute(
            "DROP TABLE makemigrations_half_applied; \
             CREATE TABLE makemigrations_half_applied (version varchar(255) NOT NULL PRIMARY KEY, \
               direction varchar(255) NOT NULL, statements text NOT NULL, failed_statement text NULL, \
               failed_at bigint NOT NULL)",
        )
        .await;
        db.execute(&format!(
            "INSERT INTO makemigrations_half_applied VALUES ('{FILL_ITEMS}', 'up', \
             '[\"INSERT INTO items (name, qty) VALUES (''gen'', 0)\"]', 'INSERT INTO items ...', 1764547200); \
             INSERT INTO items (name, qty) VALUES ('gen', 0)"
        ))
        .await;
        let out = project.run(&db, &["showmigrations"]);
        assert!(
            out.success
                && out
                    .text
                    .contains(&format!("[!] {FILL_ITEMS}  (failed halfway")),
            "{}",
            out.text
        );
        let out = project.run(&db, &["migrate"]);
        assert_eq!(out.code, Some(2), "{}", out.text);
        assert!(
            out.text
                .contains(&format!("migration {FILL_ITEMS} failed halfway"))
                && out
                    .text
                    .contains("1. INSERT INTO items (name, qty) VALUES ('gen', 0)"),
            "{}",
            out.text
        );
        let state_columns = "SELECT COUNT(*) FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'makemigrations_half_applied' \
               AND COLUMN_NAME = 'state'";
        // A refused run changes nothing; the command that resolves the record brings the table
        // up to date.
        assert_eq!(
            count(&db, state_columns).await,
            0,
            "a refused migrate changed the table"
        );
        resolve_by_hand(&project, &db, FILL_ITEMS).await;
        assert_eq!(
            count(&db, state_columns).await,
            1,
            "the state column was not added"
        );
        let out = project.run(&db, &["migrate"]);
        assert!(out.success, "{}", out.text);
        assert_eq!(recorded(&db).await.len(), 4, "{}", out.text);
        assert!(half_applied(&db).await.is_empty());
    }
}

const LOSE_RECORD: &str = "m20260101_000005_lose_record";

/// MySQL: a write of the started-record that fails while the migration runs stops it before its
/// next statement (a kill from then on would leave no accurate record), with an error that names
/// the record and what completed; the failure is still recorded, and the next run refuses.
#[tokio::test(flavor = "multi_thread")]
async fn a_progress_record_that_cannot_be_written_stops_the_migration() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let project = TestProject::new();
    // The record's row is deleted under it (the statement is the tool's own table's, so it is
    // not itself recorded); the next write of the record finds no row.
    let up = r#"        let db = manager.get_connection();
        db.execute_unprepared("CREATE TABLE lost_a (id int)").await?;
        db.execute_unprepared("DELETE FROM makemigrations_half_applied").await?;
        db.execute_unprepared("CREATE TABLE lost_b (id int)").await?;
        db.execute_unprepared("CREATE TABLE lost_c (id int)").await?;
        Ok(())"#;
    project.write_migrations(&[
        (CREATE_ITEMS, migrations().swap_remove(0).1),
        (
            LOSE_RECORD,
            migration_source(up, "        let _ = manager;\n        Ok(())"),
        ),
    ]);
    project.build();
    for db in support::enabled_backends().await {
        let Backend::MySql { .. } = db else { continue };
        let out = project.run(&db, &["migrate"]);
        assert_eq!(out.code, Some(2), "{}", out.text);
        assert!(
            out.text.contains(&format!(
                "migration {LOSE_RECORD} failed: Migration Error: the progress record of \
                 {LOSE_RECORD} could not be written to makemigrations_half_applied after 2 \
                 completed statement(s) (its row for {LOSE_RECORD} is gone), so the migration \
                 was stopped there"
            )) && out.text.contains("1. CREATE TABLE lost_a (id int)")
                && out.text.contains("2. CREATE TABLE lost_b (id int)")
                && !out.text.contains("lost_c"),
            "{}",
            out.text
        );
        let tables = support::table_names(&db).await;
        assert!(
            tables.contains(&"lost_b".to_string()) && !tables.contains(&"lost_c".to_string()),
            "the statement after the lost write ran: {tables:?}"
        );
        assert_eq!(
            half_applied(&db).await,
            [(LOSE_RECORD.to_string(), "failed".to_string())],
            "the failure is recorded through the run's own connection"
        );
        let out = project.run(&db, &["migrate"]);
        assert_eq!(out.code, Some(2), "{}", out.text);
        assert!(
            out.text
                .contains(&format!("migration {LOSE_RECORD} failed halfway")),
            "{}",
            out.text
        );
    }
}
