//! The log of every migration step and `-v`: `migrate`, `rollback`, `--fake` and a failing
//! migration each leave a row in `makemigrations_log` that `history` prints (action, outcome,
//! duration, user, host, tool version, never the password); a read-only user reads it and
//! creates nothing; `-vv` prints each statement once. The real binary, on every enabled backend.

mod support;

use support::{Backend, TestProject};

const PASSWORD: &str = "s3cret-pw";

/// The statement the failing migration runs after creating a table: it names no real table.
const FAILING_UP: &str = "manager.create_table(Table::create().table(\"log_probe\").col(ColumnDef::new(\"id\").integer().not_null().primary_key()).to_owned()).await?;\n        manager.get_connection().execute_unprepared(\"INSERT INTO no_such_table VALUES (1)\").await?;";

/// The URL to use (with a password where the server checks or ignores it), the user the log
/// must name, and statements that undo what was set up (run with the admin URL).
async fn with_password(db: &Backend) -> (Backend, String, Vec<String>) {
    match db {
        // PostgreSQL here trusts local connections: the password is sent and ignored.
        Backend::Postgres { .. } => (
            Backend::Url(
                db.url()
                    .replacen("postgres@", &format!("postgres:{PASSWORD}@"), 1),
            ),
            "postgres".to_string(),
            Vec::new(),
        ),
        Backend::MySql { database, .. } => {
            let user = format!("mm_log_{}", std::process::id());
            db.execute(&format!(
                "CREATE USER '{user}'@'%' IDENTIFIED BY '{PASSWORD}'; \
                 GRANT ALL ON `{database}`.* TO '{user}'@'%'"
            ))
            .await;
            let url = db
                .url()
                .replacen("root@", &format!("{user}:{PASSWORD}@"), 1);
            (
                Backend::Url(url),
                user.clone(),
                vec![format!("DROP USER IF EXISTS '{user}'@'%'")],
            )
        }
        _ => (
            Backend::Url(db.url().to_string()),
            "mm-tester".to_string(),
            Vec::new(),
        ),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_step_is_logged_and_history_shows_it() {
    let backends = support::enabled_backends().await;
    // A portable history: written once on SQLite, applied on every backend.
    let project = TestProject::with_initial_migration(&backends[0]);
    // Built first, so that the binary knows the initial migration and names the next one after it.
    project.build();
    let out = project.run(
        &backends[0],
        &["makemigrations", "--empty", "--name", "broken"],
    );
    assert!(out.success, "{}", out.text);
    project.edit_newest_migration(
        "        // Write the schema",
        &format!("        {FAILING_UP}\n        // Write the schema"),
    );
    project.build();
    let initial = project.migration_files()[0]
        .trim_end_matches(".rs")
        .to_string();
    let broken = project.migration_files()[1]
        .trim_end_matches(".rs")
        .to_string();
    let version = format!("makemigrations {}", env!("CARGO_PKG_VERSION"));

    for admin in &backends {
        let name = admin.name();
        let (db, user, cleanup) = with_password(admin).await;
        let env = [("USER", "mm-tester")];
        let run = |args: &[&str]| project.run_with_env(&db, args, &env);

        // Before any command that changes the database, there is no log: history lists the
        // migrations as it always did, and creates nothing.
        let out = run(&["history"]);
        assert!(
            out.success && out.text.contains(&format!("{broken}  pending")),
            "{name}: {}",
            out.text
        );
        assert!(
            support::table_names(admin).await.is_empty(),
            "{name}: history created a table"
        );

        let out = run(&["-v", "migrate", &initial]);
        assert!(out.success, "{name}: {}", out.text);
        assert!(
            out.text.contains(&format!("info: {initial} up ok (")),
            "{name}: -v names the step\n{}",
            out.text
        );
        assert!(
            out.text.contains("sql (") && out.text.contains(" ms): "),
            "{name}: -v prints the statements as they run\n{}",
            out.text
        );
        let out = run(&["rollback"]);
        assert!(out.success, "{name}: {}", out.text);
        let out = run(&["migrate", &initial, "--fake"]);
        assert!(out.success, "{name}: {}", out.text);
        let out = run(&["rollback", "--fake"]);
        assert!(out.success, "{name}: {}", out.text);

        // -vv (as -v): every statement as it runs, with its duration, each once.
        let out = run(&["-vv", "migrate", &initial]);
        assert!(out.success, "{name}: {}", out.text);
        let create_users = ["CREATE TABLE \"users\"", "CREATE TABLE `users`"];
        let printed: Vec<&str> = out
            .text
            .lines()
            .filter(|l| l.starts_with("sql (") && l.contains(" ms): "))
            .collect();
        assert_eq!(
            printed
                .iter()
                .filter(|l| create_users.iter().any(|c| l.contains(c)))
                .count(),
            1,
            "{name}: CREATE TABLE users printed once\n{}",
            out.text
        );
        assert!(
            printed
                .iter()
                .any(|l| l.contains("INSERT INTO") && l.contains("seaql_migrations")),
            "{name}: the tracking row's statement\n{}",
            out.text
        );

        // The broken migration fails; its failure is logged although (PostgreSQL, SQLite) its
        // transaction was rolled back.
        let out = run(&["migrate"]);
        assert_eq!(out.code, Some(2), "{name}: {}", out.text);
        assert!(out.text.contains("no_such_table"), "{name}: {}", out.text);

        let out = run(&["history"]);
        assert!(out.success, "{name}: {}", out.text);
        let lines: Vec<&str> = out.text.lines().collect();
        let steps: Vec<(String, String, String)> = lines
            .iter()
            .map(|l| {
                let words: Vec<&str> = l.split_whitespace().collect();
                // `2026-12-01 21:13:55 UTC  up  ok  0.03s  m..._initial  by ...`
                (
                    words[3].to_string(),
                    words[4].to_string(),
                    words[6].to_string(),
                )
            })
            .collect();
        let expected: Vec<(String, String, String)> = [
            ("up", "failed", &broken),
            ("up", "ok", &initial),
            ("fake-down", "ok", &initial),
            ("fake-up", "ok", &initial),
            ("down", "ok", &initial),
            ("up", "ok", &initial),
        ]
        .iter()
        .map(|(a, o, v)| (a.to_string(), o.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            steps, expected,
            "{name}: history, newest first\n{}",
            out.text
        );
        for line in &lines {
            assert!(
                line.contains(&format!("by {user}@")) && line.contains(&version),
                "{name}: user and tool version in {line}"
            );
            let duration = line.split_whitespace().nth(5).unwrap();
            assert!(
                duration.ends_with('s') && duration.trim_end_matches('s').parse::<f64>().is_ok(),
                "{name}: duration in {line}"
            );
        }
        assert!(
            lines[0].contains("error: ") && lines[0].contains("no_such_table"),
            "{name}: {}",
            lines[0]
        );
        assert!(
            !out.text.contains(PASSWORD),
            "{name}: history shows the password\n{}",
            out.text
        );
        let out = run(&["history", "--limit", "2"]);
        assert_eq!(out.text.lines().count(), 2, "{name}: {}", out.text);

        // Nothing of the log holds the password, whatever column.
        let every_column = match admin {
            // MySQL reads `||` as OR.
            Backend::MySql { .. } => "SELECT CONCAT_WS('|', version, action, outcome, COALESCE(error, ''), database_name, db_user, client_host, tool_version) FROM makemigrations_log",
            _ => "SELECT version || '|' || action || '|' || outcome || '|' || COALESCE(error, '') || '|' || database_name || '|' || db_user || '|' || client_host || '|' || tool_version FROM makemigrations_log",
        };
        let rows = support::texts(admin, every_column).await;
        assert_eq!(rows.len(), 6, "{name}: {rows:?}");
        assert!(
            rows.iter().all(|r| !r.contains(PASSWORD)),
            "{name}: {rows:?}"
        );

        // A read-only user reads the log and creates nothing.
        let before = support::table_names(admin).await;
        let (ro, ro_cleanup) = support::read_only_user(admin).await;
        let out = project.run(&ro, &["history", "-l", "1"]);
        assert!(
            out.success,
            "{name}: history as a read-only user\n{}",
            out.text
        );
        assert!(
            out.text.contains(&broken) && out.text.contains(" failed "),
            "{name}: {}",
            out.text
        );
        assert_eq!(
            support::table_names(admin).await,
            before,
            "{name}: the read-only history created a table"
        );
        for sql in ro_cleanup.iter().chain(&cleanup) {
            admin.execute(sql).await;
        }
    }
}
