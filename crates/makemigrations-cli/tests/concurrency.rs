//! Exactly once, under concurrency: `migrate` and `rollback` hold a lock for the whole run (an
//! advisory lock on PostgreSQL, `GET_LOCK` on MySQL/MariaDB, a file lock beside a SQLite file),
//! so several runs started at once apply each migration once, and a run that cannot get the lock
//! within `--lock-timeout` exits 4 with nothing changed. Through the real binary, on every
//! enabled backend (docs/guide.md, "Running migrate from several replicas").

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};
use support::{Backend, TestProject};

/// How many `migrate` processes start at once.
const RUNS: usize = 8;

/// A project with `names.len()` migrations, written on a SQLite file of its own (each applied
/// there before the next is written), and built with all of them: on any other database they
/// are all pending.
fn project_with_migrations(names: &[&str]) -> TestProject {
    let generator = Backend::sqlite();
    let project = TestProject::new();
    let edits: [&dyn Fn(&TestProject); 3] = [
        &|_| {},
        &|p| {
            p.edit_entity(
                "users.rs",
                "    pub display_name: String,\n",
                "    pub display_name: String,\n    pub phone: Option<String>,\n",
            )
        },
        &|p| {
            p.edit_entity(
                "products.rs",
                "    pub weight_kg: Option<f64>,\n",
                "    pub weight_kg: Option<f64>,\n    pub barcode: Option<String>,\n",
            )
        },
    ];
    for (i, name) in names.iter().enumerate() {
        edits[i](&project);
        project.build();
        if i > 0 {
            let out = project.run(&generator, &["migrate"]);
            assert!(out.success, "{}", out.text);
        }
        let out = project.run(
            &generator,
            &[
                "makemigrations",
                "--no-input",
                "--ignore-table",
                RUNS_TABLE,
                "--name",
                name,
            ],
        );
        assert!(
            out.success && !out.text.contains("No changes detected"),
            "{}",
            out.text
        );
        // A data step that leaves one row per run of the migration: what a migration applied
        // twice would show, where the tracking row's primary key cannot.
        let create = if i == 0 {
            format!(
                "        manager.get_connection().execute_unprepared(\"CREATE TABLE {RUNS_TABLE} (migration varchar(100) NOT NULL)\").await?;\n"
            )
        } else {
            String::new()
        };
        let up = "    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {\n";
        project.edit_newest_migration(
            up,
            &format!(
                "{up}{create}        manager.get_connection().execute_unprepared(\"INSERT INTO {RUNS_TABLE} (migration) VALUES ('{name}')\").await?;\n"
            ),
        );
    }
    project.build();
    assert_eq!(project.migration_files().len(), names.len());
    project
}

/// The table where each migration's data step leaves a row per run.
const RUNS_TABLE: &str = "migration_runs";

/// The versions recorded in `seaql_migrations`.
async fn recorded(db: &Backend) -> Vec<String> {
    support::texts(db, "SELECT version FROM seaql_migrations ORDER BY version").await
}

/// How many times each migration's data step ran, by the name it was written with.
async fn effects(db: &Backend) -> Vec<(String, i64)> {
    let conn = db.connect().await;
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            format!(
                "SELECT migration, COUNT(*) AS n FROM {RUNS_TABLE} GROUP BY migration ORDER BY migration"
            ),
        ))
        .await
        .unwrap();
    conn.close().await.unwrap();
    rows.iter()
        .map(|r| {
            (
                r.try_get::<String>("", "migration").unwrap(),
                r.try_get::<i64>("", "n").unwrap(),
            )
        })
        .collect()
}

struct Run {
    code: Option<i32>,
    text: String,
    elapsed: Duration,
}

#[tokio::test(flavor = "multi_thread")]
async fn eight_migrate_runs_at_once_apply_each_migration_once() {
    let project = project_with_migrations(&["initial", "add_phone", "add_barcode"]);
    let files: Vec<String> = project
        .migration_files()
        .iter()
        .map(|f| f.trim_end_matches(".rs").to_string())
        .collect();
    for db in support::enabled_backends().await {
        let started = Instant::now();
        let children: Vec<_> = (0..RUNS)
            .map(|_| {
                let mut command: Command = project.command(&db, &["migrate"]);
                command.stdout(Stdio::piped()).stderr(Stdio::piped());
                (Instant::now(), command.spawn().unwrap())
            })
            .collect();
        let runs: Vec<Run> = children
            .into_iter()
            .map(|(spawned, child)| {
                let out = child.wait_with_output().unwrap();
                let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
                text.push_str(&String::from_utf8_lossy(&out.stderr));
                Run {
                    code: out.status.code(),
                    text,
                    elapsed: spawned.elapsed(),
                }
            })
            .collect();
        let wall = started.elapsed();
        let all = runs
            .iter()
            .map(|r| format!("--- exit {:?}\n{}", r.code, r.text))
            .collect::<Vec<_>>()
            .join("\n");
        for run in &runs {
            assert!(
                run.code == Some(0)
                    || (run.code == Some(4) && run.text.contains("still holds the lock")),
                "{}: a run ended otherwise than done or lock timeout:\n{all}",
                db.name()
            );
        }
        let succeeded = runs.iter().filter(|r| r.code == Some(0)).count();
        assert!(succeeded >= 1, "{}: no run succeeded:\n{all}", db.name());
        // Each migration ran in exactly one process.
        for file in &files {
            let ran = runs
                .iter()
                .filter(|r| r.text.contains(&format!("{file} ... OK")))
                .count();
            assert_eq!(ran, 1, "{}: {file} ran {ran} times:\n{all}", db.name());
        }
        let waited = runs
            .iter()
            .filter(|r| {
                r.text
                    .contains("waiting for another migration run to finish")
            })
            .count();
        assert!(
            waited >= 1,
            "{}: no run waited for the lock:\n{all}",
            db.name()
        );
        // ... its effect happened once, and it is recorded.
        let mut names = ["initial", "add_phone", "add_barcode"];
        names.sort();
        let once: Vec<(String, i64)> = names.iter().map(|n| (n.to_string(), 1)).collect();
        assert_eq!(effects(&db).await, once, "{}:\n{all}", db.name());
        assert_eq!(recorded(&db).await, files, "{}:\n{all}", db.name());
        let check = project.run(
            &db,
            &["makemigrations", "--check", "--ignore-table", RUNS_TABLE],
        );
        assert!(
            check.success && check.text.contains("No changes detected"),
            "{}: the schema is not what the entities describe:\n{}",
            db.name(),
            check.text
        );
        let slowest = runs.iter().map(|r| r.elapsed).max().unwrap();
        eprintln!(
            "concurrency {}: {RUNS} runs, {succeeded} exit 0, {} lock timeout, {waited} waited; \
             wall {:.2}s, slowest run {:.2}s",
            db.name(),
            RUNS - succeeded,
            wall.as_secs_f64(),
            slowest.as_secs_f64()
        );
    }
}

/// Holds the run lock of `db` from the test, as another run would; returns what the waiting run
/// must name as the holder, and what keeps the lock alive.
async fn hold_lock(db: &Backend) -> (String, Held) {
    match db {
        Backend::Sqlite { url, .. } => {
            let file = url
                .strip_prefix("sqlite://")
                .unwrap()
                .split('?')
                .next()
                .unwrap();
            let path = makemigrations::lock::sqlite_lock_path(std::path::Path::new(file));
            let lock = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)
                .unwrap();
            fs4::FileExt::try_lock(&lock).unwrap();
            std::fs::write(&path, std::process::id().to_string()).unwrap();
            (format!("process {}", std::process::id()), Held::File(lock))
        }
        Backend::Postgres { .. } | Backend::MySql { .. } => {
            let mut options = ConnectOptions::new(db.url());
            options.max_connections(1).min_connections(1);
            let conn = Database::connect(options).await.unwrap();
            let backend = conn.get_database_backend();
            let one = |sql: String| {
                let conn = &conn;
                async move {
                    conn.query_one_raw(Statement::from_string(backend, sql))
                        .await
                        .unwrap()
                        .unwrap()
                }
            };
            let holder = if let Backend::Postgres { .. } = db {
                let row = one(
                    "SELECT current_database()::text AS d, current_schema()::text AS s, \
                     pg_backend_pid() AS pid"
                        .into(),
                )
                .await;
                let key = makemigrations::lock::postgres_key(
                    &row.try_get::<String>("", "d").unwrap(),
                    &row.try_get::<String>("", "s").unwrap(),
                );
                one(format!("SELECT pg_advisory_lock({key})::text AS ok")).await;
                format!(
                    "PostgreSQL backend pid {}",
                    row.try_get::<i32>("", "pid").unwrap()
                )
            } else {
                let row = one(
                    "SELECT CAST(DATABASE() AS CHAR) AS d, CAST(CONNECTION_ID() AS SIGNED) AS id"
                        .into(),
                )
                .await;
                let name =
                    makemigrations::lock::mysql_lock_name(&row.try_get::<String>("", "d").unwrap());
                let got = one(format!(
                    "SELECT CAST(GET_LOCK('{name}', 0) AS SIGNED) AS ok"
                ))
                .await;
                assert_eq!(got.try_get::<i64>("", "ok").unwrap(), 1);
                format!(
                    "MySQL connection id {}",
                    row.try_get::<i64>("", "id").unwrap()
                )
            };
            (holder, Held::Connection(conn))
        }
        Backend::Url(_) => unreachable!(),
    }
}

enum Held {
    File(#[allow(dead_code)] std::fs::File),
    Connection(DatabaseConnection),
}

impl Held {
    async fn release(self) {
        match self {
            Held::File(file) => drop(file),
            Held::Connection(conn) => conn.close().await.unwrap(),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_held_lock_times_out_with_nothing_changed() {
    let project = project_with_migrations(&["initial"]);
    let file = project.migration_files()[0]
        .trim_end_matches(".rs")
        .to_string();
    for db in support::enabled_backends().await {
        let (holder, held) = hold_lock(&db).await;
        let started = Instant::now();
        let out = project.run(&db, &["migrate", "--lock-timeout", "1"]);
        let waited = started.elapsed();
        assert_eq!(out.code, Some(4), "{}:\n{}", db.name(), out.text);
        assert!(
            out.text.contains(&format!(
                "waiting for another migration run to finish (it holds the lock: {holder})"
            )) && out.text.contains(&format!(
                "still holds the lock after 1 s (it holds the lock: {holder}); nothing was applied"
            )) && out.text.contains("--lock-timeout SECONDS"),
            "{}:\n{}",
            db.name(),
            out.text
        );
        assert!(
            !out.text.contains("Applying"),
            "{}:\n{}",
            db.name(),
            out.text
        );
        // Nothing changed: not even the tracking tables were created.
        let conn = db.connect().await;
        let tables = makemigrations::executor::table_names(&conn).await.unwrap();
        conn.close().await.unwrap();
        assert!(tables.is_empty(), "{}: {tables:?}", db.name());
        held.release().await;

        // Released, the lock is free again: the same command applies the migration.
        let out = project.run(&db, &["migrate", "--lock-timeout", "1"]);
        assert!(out.success, "{}:\n{}", db.name(), out.text);
        assert_eq!(recorded(&db).await, std::slice::from_ref(&file));

        // `rollback` waits for the same lock.
        let (_, held) = hold_lock(&db).await;
        let out = project.run(&db, &["rollback", "--lock-timeout", "1"]);
        assert_eq!(out.code, Some(4), "{}:\n{}", db.name(), out.text);
        assert!(out.text.contains("nothing was applied or reverted"));
        assert_eq!(recorded(&db).await, std::slice::from_ref(&file));
        held.release().await;
        eprintln!(
            "lock timeout {}: `migrate --lock-timeout 1` gave up after {:.2}s",
            db.name(),
            waited.as_secs_f64()
        );
    }
}
