//! The command line as a user meets it: help, flags, exit codes, and every guard's message. Runs
//! the real binary of a scratch copy of the sample project on SQLite (the guards do not depend on
//! the backend), plus the connection errors of an unreachable PostgreSQL URL.

mod support;

use support::{Backend, TestProject};

fn sqlite(project: &TestProject) -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("cli.sqlite3").display()
    );
    let _ = project;
    Backend::Sqlite { url, _dir: dir }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_command_line_guards_and_flags() {
    let project = TestProject::new();
    project.build();
    let db = sqlite(&project);

    // Help names every command.
    let help = project.run(&db, &["--help"]);
    for command in [
        "makemigrations",
        "migrate",
        "rollback",
        "showmigrations",
        "current",
        "history",
        "check",
    ] {
        assert!(
            help.text.contains(command),
            "--help lacks {command}:\n{}",
            help.text
        );
    }
    let help = project.run(&db, &["makemigrations", "--help"]);
    for flag in [
        "--message",
        "--name",
        "--empty",
        "--dry-run",
        "--check",
        "--no-input",
    ] {
        assert!(
            help.text.contains(flag),
            "makemigrations --help lacks {flag}:\n{}",
            help.text
        );
    }

    // --check and --dry-run write nothing; --check exits 1 when a migration is missing.
    let out = project.run(&db, &["makemigrations", "--check"]);
    assert_eq!(out.code, Some(1), "{}", out.text);
    assert!(out.text.contains("+ Create table users"), "{}", out.text);
    let out = project.run(&db, &["makemigrations", "--dry-run"]);
    assert!(
        out.success && out.text.contains("async fn down"),
        "{}",
        out.text
    );
    // `--empty` with JSON: one document, `written` null for --dry-run, the file otherwise.
    let out = project.run(
        &db,
        &["makemigrations", "--empty", "--dry-run", "--format", "json"],
    );
    let document: serde_json::Value =
        serde_json::from_str(out.text[out.text.find('{').unwrap_or(0)..].trim())
            .unwrap_or_else(|e| panic!("{e}: {}", out.text));
    assert!(
        out.success
            && document["written"].is_null()
            && document["operations"] == serde_json::json!([]),
        "{document}"
    );
    assert_eq!(
        project.migration_files().len(),
        0,
        "--check/--dry-run wrote a file"
    );
    let out = project.run(
        &db,
        &[
            "makemigrations",
            "--empty",
            "--name",
            "by_hand",
            "--format",
            "json",
        ],
    );
    let document: serde_json::Value =
        serde_json::from_str(out.text[out.text.find('{').unwrap_or(0)..].trim())
            .unwrap_or_else(|e| panic!("{e}: {}", out.text));
    assert!(
        out.success
            && document["written"]
                .as_str()
                .is_some_and(|w| w.ends_with("_by_hand.rs")),
        "{document}"
    );
    let dir = project.crates().join("migration/src/migrations");
    for file in project.migration_files() {
        std::fs::remove_file(dir.join(file)).unwrap();
    }

    // The first migration is named `initial`; -m names the next one.
    let out = project.run(&db, &["makemigrations"]);
    assert!(out.success, "{}", out.text);
    assert!(project.migration_files()[0].ends_with("_initial.rs"));
    project.build();

    // makemigrations refuses while a migration is pending, naming it and suggesting `migrate`.
    let out = project.run(&db, &["makemigrations"]);
    assert_eq!(out.code, Some(2), "{}", out.text);
    assert!(
        out.text.contains("not applied yet")
            && out.text.contains("_initial")
            && out.text.contains("run `migrate`"),
        "{}",
        out.text
    );
    let out = project.run(&db, &["check"]);
    assert_eq!(out.code, Some(10));
    assert!(
        out.text.contains("Pending migrations (1)") && !out.text.contains("Entity changes"),
        "{}",
        out.text
    );

    // Unknown and ambiguous targets.
    let out = project.run(&db, &["migrate", "m1999"]);
    assert_eq!(out.code, Some(2));
    assert!(
        out.text.contains("no migration matches `m1999`"),
        "{}",
        out.text
    );
    let out = project.run(&db, &["makemigrations", "--empty", "--name", "backfill"]);
    assert!(out.success && out.text.contains("empty"), "{}", out.text);
    project.build();
    let out = project.run(&db, &["migrate", "m"]);
    assert_eq!(out.code, Some(2));
    assert!(
        out.text.contains("matches several migrations"),
        "{}",
        out.text
    );

    // migrate prints each migration with its time; then everything is in order.
    let out = project.run(&db, &["migrate"]);
    assert!(
        out.success
            && out.text.contains("_initial ... OK (")
            && out.text.contains("_backfill ... OK ("),
        "{}",
        out.text
    );
    let out = project.run(&db, &["check"]);
    assert!(out.success, "{}", out.text);
    let out = project.run(&db, &["makemigrations", "--check"]);
    assert!(
        out.success && out.text.contains("No changes detected"),
        "{}",
        out.text
    );
    let out = project.run(&db, &["showmigrations"]);
    assert!(
        out.text.contains("[X] m") && !out.text.contains("[ ]"),
        "{}",
        out.text
    );
    let out = project.run(&db, &["current"]);
    assert!(out.text.contains("_backfill (head)"), "{}", out.text);
    let out = project.run(&db, &["history", "-l", "1"]);
    assert_eq!(out.text.lines().count(), 1, "{}", out.text);

    // A table nobody manages is mentioned once and never counted as a difference.
    db.execute("CREATE TABLE audit_log (id integer PRIMARY KEY, note text)")
        .await;
    let out = project.run(&db, &["makemigrations", "--check"]);
    assert!(
        out.success && out.text.contains("Left alone") && out.text.contains("audit_log"),
        "{}",
        out.text
    );
    let out = project.run(&db, &["--ignore-table", "audit_*", "check"]);
    assert!(out.success, "{}", out.text);

    // Rolling back past the first migration is refused; rollback --to keeps its target.
    let out = project.run(&db, &["rollback", "-s", "3"]);
    assert_eq!(out.code, Some(2));
    assert!(
        out.text.contains("only 2 applied") && out.text.contains("--all"),
        "{}",
        out.text
    );
    let initial = project.migration_files()[0].clone();
    let initial = initial.trim_end_matches(".rs");
    let out = project.run(&db, &["rollback", "--to", initial]);
    assert!(
        out.success && out.text.contains("Reverting 1 migration"),
        "{}",
        out.text
    );
    let out = project.run(&db, &["showmigrations"]);
    assert!(
        out.text.contains("[ ] m") && out.text.contains("[X] m"),
        "{}",
        out.text
    );

    // An applied migration whose file is gone.
    db.execute(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20000101_000000_lost', 0)",
    )
    .await;
    let out = project.run(&db, &["showmigrations"]);
    // 6: the history cannot be trusted.
    assert_eq!(out.code, Some(6));
    assert!(
        out.text.contains("m20000101_000000_lost is applied")
            && out.text.contains("restore the file"),
        "{}",
        out.text
    );
    db.execute("DELETE FROM seaql_migrations WHERE version = 'm20000101_000000_lost'")
        .await;

    // Bad and unreachable URLs: a clear message, never the password.
    let bad = Backend::Url("mongodb://app:s3cret@localhost/shop".into());
    let out = project.run(&bad, &["showmigrations"]);
    assert_eq!(out.code, Some(2));
    assert!(
        out.text.contains("unknown scheme") && !out.text.contains("s3cret"),
        "{}",
        out.text
    );
    let unreachable = Backend::Url("postgres://app:s3cret@127.0.0.1:1/shop".into());
    let out = project.run(&unreachable, &["migrate"]);
    assert_eq!(out.code, Some(5));
    assert!(
        out.text.contains("cannot reach the database server")
            && out.text.contains("app:***@")
            && !out.text.contains("s3cret"),
        "{}",
        out.text
    );
}

/// MySQL/MariaDB: the scratch database needs a right to create databases; without it the error
/// names `--shadow-url` and `SHADOW_DATABASE_URL`, which are then checked (not the live database,
/// empty) and used. A migration that fails halfway says which statements stayed, and `--fake`
/// records it once it is finished by hand.
#[tokio::test(flavor = "multi_thread")]
async fn mysql_scratch_database_and_partial_failure() {
    let backends = support::enabled_backends().await;
    let Some(admin) = backends.iter().find(|b| b.name() == "mysql") else {
        return;
    };
    let Backend::MySql { database, .. } = admin else {
        unreachable!()
    };
    let project = TestProject::new();
    project.build();

    // A user who may use two databases but create none.
    let user = format!("mm_user_{}", std::process::id());
    let shadow = format!("{database}_shadow");
    admin
        .execute(&format!(
            "DROP USER IF EXISTS {user}; CREATE USER {user} IDENTIFIED BY 's3cret'; \
             CREATE DATABASE `{shadow}`; GRANT ALL ON `{database}`.* TO {user}; \
             GRANT ALL ON `{shadow}`.* TO {user}"
        ))
        .await;
    let server = admin.url()[..admin.url().rfind('/').unwrap()].replacen(
        "mysql://root@",
        &format!("mysql://{user}:s3cret@"),
        1,
    );
    let limited = Backend::Url(format!("{server}/{database}"));
    let shadow_url = format!("{server}/{shadow}");

    // Without the memo of an earlier run's scratch result (which would need no scratch place).
    let out = project.run_with_env(
        &limited,
        &["makemigrations", "--no-input"],
        &[("MAKEMIGRATIONS_NO_CACHE", "1")],
    );
    assert_eq!(out.code, Some(2), "{}", out.text);
    assert!(
        out.text.contains("cannot create the scratch database")
            && out.text.contains("--shadow-url")
            && out.text.contains("SHADOW_DATABASE_URL")
            && !out.text.contains("s3cret"),
        "{}",
        out.text
    );
    assert!(project.migration_files().is_empty());

    let out = project.run(&limited, &["makemigrations", "--shadow-url", &shadow_url]);
    assert!(
        out.success && out.text.contains("+ Create table users"),
        "{}",
        out.text
    );
    project.build();
    let out = project.run(&limited, &["migrate"]);
    assert!(out.success, "{}", out.text);
    let out = project.run_with_env(
        &limited,
        &["makemigrations", "--check"],
        &[
            ("SHADOW_DATABASE_URL", &shadow_url),
            ("MAKEMIGRATIONS_NO_CACHE", "1"),
        ],
    );
    assert!(
        out.success && out.text.contains("No changes detected"),
        "{}",
        out.text
    );

    // The live database is not a shadow database, and neither is a non-empty one.
    let live_url = limited.url().to_string();
    let out = project.run_with_env(
        &limited,
        &["makemigrations", "--check", "--shadow-url", &live_url],
        &[("MAKEMIGRATIONS_NO_CACHE", "1")],
    );
    assert!(
        out.code == Some(2) && out.text.contains("is the database being migrated"),
        "{}",
        out.text
    );
    admin
        .execute(&format!("CREATE TABLE `{shadow}`.leftover (id int)"))
        .await;
    let out = project.run_with_env(
        &limited,
        &["makemigrations", "--check", "--shadow-url", &shadow_url],
        &[("MAKEMIGRATIONS_NO_CACHE", "1")],
    );
    assert!(
        out.code == Some(2) && out.text.contains("is not empty") && !out.text.contains("s3cret"),
        "{}",
        out.text
    );
    admin
        .execute(&format!("DROP TABLE `{shadow}`.leftover"))
        .await;

    // A migration whose second statement fails: the first stays, and the output says so.
    let out = project.run(&limited, &["makemigrations", "--empty", "--name", "broken"]);
    assert!(out.success, "{}", out.text);
    let add_note = "manager.alter_table(Table::alter().table(\"users\").add_column(ColumnDef::new(\"note\").string().null()).to_owned()).await?;";
    project.edit_newest_migration(
        "        Ok(())\n    }",
        &format!("        {add_note}\n        {add_note}\n        Ok(())\n    }}"),
    );
    project.build();
    let out = project.run(&limited, &["migrate"]);
    assert_eq!(out.code, Some(2), "{}", out.text);
    assert!(
        out.text
            .contains("these 1 statement(s) ran and stayed applied")
            && out
                .text
                .contains("1. ALTER TABLE `users` ADD COLUMN `note`")
            && out.text.contains("the statement that failed")
            && out.text.contains("--fake"),
        "{}",
        out.text
    );
    // Until the user says how it was resolved, nothing goes on from there.
    let out = project.run(&limited, &["showmigrations"]);
    assert!(
        out.text.contains("[!] m") && out.text.contains("failed halfway"),
        "{}",
        out.text
    );
    let out = project.run(&limited, &["check"]);
    assert!(
        out.code == Some(10) && out.text.contains("Failed halfway"),
        "{}",
        out.text
    );
    let out = project.run(&limited, &["migrate"]);
    assert_eq!(out.code, Some(2), "{}", out.text);
    assert!(
        out.text.contains("failed halfway")
            && out
                .text
                .contains("1. ALTER TABLE `users` ADD COLUMN `note`")
            && out.text.contains("migrate --retry")
            && out.text.contains("--fake"),
        "{}",
        out.text
    );
    // Retried as it is, its first statement now fails: nothing more stays, nothing is recorded.
    let out = project.run(&limited, &["migrate", "--retry"]);
    assert!(
        out.code == Some(2) && out.text.contains("nothing was changed"),
        "{}",
        out.text
    );
    let out = project.run(&limited, &["migrate", "--fake"]);
    assert!(out.success && out.text.contains("FAKED"), "{}", out.text);
    let out = project.run(&limited, &["showmigrations"]);
    assert!(!out.text.contains("[ ]"), "{}", out.text);
    let out = project.run(&limited, &["rollback", "--fake"]);
    assert!(out.success && out.text.contains("FAKED"), "{}", out.text);

    admin
        .execute(&format!(
            "DROP USER IF EXISTS {user}; DROP DATABASE IF EXISTS `{shadow}`"
        ))
        .await;
}
