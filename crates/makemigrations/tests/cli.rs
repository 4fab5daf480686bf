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
    assert_eq!(
        project.migration_files().len(),
        0,
        "--check/--dry-run wrote a file"
    );

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
    assert_eq!(out.code, Some(1));
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
    assert_eq!(out.code, Some(2));
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
    assert_eq!(out.code, Some(2));
    assert!(
        out.text.contains("cannot connect")
            && out.text.contains("app:***@")
            && !out.text.contains("s3cret"),
        "{}",
        out.text
    );
}
