//! Backups and restore through the real binary, on every enabled backend (docs/guide.md,
//! "Backups and restore"): `backup` then `restore` gives back the rows and the schema of the
//! moment of the backup; `restore` asks first; `migrate --backup --restore-on-failure` puts the
//! database back as before the run when a migration fails; a missing client program or too
//! little disk space stops before anything changes (exit 9); no password is ever printed.

mod support;

use std::path::{Path, PathBuf};

use support::{Backend, TestProject};

const CREATE_GOOD: &str = "manager.create_table(Table::create().table(\"probe_ok\").col(ColumnDef::new(\"id\").integer().not_null().primary_key()).to_owned()).await?;";
/// A table, a row, then a row with the same key: fails on its third statement. On MySQL the
/// first two stay (DDL and autocommit); elsewhere the transaction takes them back.
const BROKEN: &str = "manager.create_table(Table::create().table(\"probe\").col(ColumnDef::new(\"id\").integer().not_null().primary_key()).to_owned()).await?;\n        manager.get_connection().execute_unprepared(\"INSERT INTO probe (id) VALUES (1)\").await?;\n        manager.get_connection().execute_unprepared(\"INSERT INTO probe (id) VALUES (1)\").await?;";

/// The backup files in `dir` (none when it does not exist), sorted.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Every table of the database, tool tables included, sorted.
async fn tables(db: &Backend) -> Vec<String> {
    let sql = match db {
        Backend::Postgres { .. } => "SELECT schemaname || '.' || tablename FROM pg_tables \
             WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
            .to_string(),
        Backend::MySql { database, .. } => format!(
            "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = '{database}' ORDER BY 1"
        ),
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1".to_string(),
    };
    support::texts(db, &sql).await
}

async fn applied(db: &Backend) -> Vec<String> {
    support::texts(db, "SELECT version FROM seaql_migrations ORDER BY version").await
}

/// The one file whose name contains `part` and is not in `before`, as a path.
fn only_file(dir: &Path, part: &str, before: &[String]) -> PathBuf {
    let found: Vec<String> = files_in(dir)
        .into_iter()
        .filter(|n| n.contains(part) && !before.contains(n))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "files with {part} in {}: {found:?}",
        dir.display()
    );
    dir.join(&found[0])
}

/// The same database reached with a password in the URL (which the server checks, or, on
/// PostgreSQL with trust authentication, ignores), to see that it is never printed. SQLite has
/// no password.
async fn with_password(admin: &Backend, secret: &str) -> Option<(Backend, Option<String>)> {
    match admin {
        Backend::Postgres { .. } => Some((
            Backend::Url(
                admin
                    .url()
                    .replacen("postgres@", &format!("postgres:{secret}@"), 1),
            ),
            None,
        )),
        Backend::MySql { database, .. } => {
            let user = format!("mm_bk_{}", std::process::id());
            admin
                .execute(&format!(
                    "DROP USER IF EXISTS '{user}'@'%'; CREATE USER '{user}'@'%' IDENTIFIED BY '{secret}'; \
                     GRANT ALL ON `{database}`.* TO '{user}'@'%'"
                ))
                .await;
            let url = admin
                .url()
                .replacen("root@", &format!("{user}:{secret}@"), 1);
            assert_ne!(url, admin.url(), "the test expects a root@ URL");
            Some((Backend::Url(url), Some(user)))
        }
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn backup_restore_and_migrate_restore_on_failure() {
    let backends = support::enabled_backends().await;
    // The initial migration, written once on a SQLite file of its own.
    let project = TestProject::new();
    project.build();
    let generator = Backend::sqlite();
    let out = project.run(
        &generator,
        &["makemigrations", "--no-input", "-m", "initial"],
    );
    assert!(out.success, "{}", out.text);
    project.build();
    let backups = project.path().join("backups");

    for db in &backends {
        let name = db.name();
        let out = project.run(db, &["migrate"]);
        assert!(out.success, "{name}: {}", out.text);
        db.seed().await;
        let fingerprint = db.schema_fingerprint().await;
        let tables_before = tables(db).await;

        // backup --name: a file in backups/ named for the time, the database and the label.
        let files_before = files_in(&backups);
        let out = project.run(db, &["backup", "--name", "pre migration manual"]);
        assert!(out.success, "{name}: {}", out.text);
        let file = only_file(&backups, ".pre_migration_manual.", &files_before);
        let shown = file
            .strip_prefix(project.path())
            .unwrap()
            .display()
            .to_string();
        assert!(
            out.text.contains(&format!("to {shown} (")) && out.text.contains("KiB)"),
            "{name}: {}",
            out.text
        );
        let out = project.run(db, &["backups"]);
        assert!(
            out.success
                && out
                    .text
                    .contains(file.file_name().unwrap().to_str().unwrap()),
            "{name}: {}",
            out.text
        );

        // The data and the schema change after the backup.
        let conn = db.connect().await;
        for sql in [
            "UPDATE users SET email = 'changed@example.com'",
            "DELETE FROM loyalty_accounts",
            "CREATE TABLE extra (id INTEGER PRIMARY KEY)",
        ] {
            sea_orm::ConnectionTrait::execute_unprepared(&conn, sql)
                .await
                .unwrap_or_else(|e| panic!("{name}: {sql}: {e}"));
        }
        conn.close().await.unwrap();
        let changed = db.schema_fingerprint().await;
        assert_ne!(changed, fingerprint, "{name}");

        // Without --yes and without a terminal, nobody was asked: refused, nothing changed.
        let out = project.run(db, &["restore", file.to_str().unwrap()]);
        assert_eq!(out.code, Some(3), "{name}: {}", out.text);
        assert!(
            out.text.contains("nobody was asked") && out.text.contains("--yes"),
            "{name}: {}",
            out.text
        );
        assert_eq!(db.schema_fingerprint().await, changed, "{name}");
        assert_eq!(
            support::texts(db, "SELECT email FROM users").await,
            ["changed@example.com"],
            "{name}"
        );
        // A file that is not a backup of this kind of database: refused, nothing changed.
        let other = project.path().join("not-a-backup.txt");
        std::fs::write(&other, "hello").unwrap();
        let out = project.run(db, &["restore", "--yes", other.to_str().unwrap()]);
        assert!(
            out.code == Some(2) && out.text.contains("cannot be restored"),
            "{name}: {}",
            out.text
        );
        assert_eq!(db.schema_fingerprint().await, changed, "{name}");

        // restore --yes, by its name in the backup directory: rows and schema as at backup time.
        let out = project.run(
            db,
            &[
                "restore",
                "--yes",
                file.file_name().unwrap().to_str().unwrap(),
            ],
        );
        assert!(
            out.success && out.text.contains("Restored "),
            "{name}: {}",
            out.text
        );
        assert_eq!(db.schema_fingerprint().await, fingerprint, "{name}");
        assert_eq!(tables(db).await, tables_before, "{name}");
        db.assert_seed_intact().await;
        assert_eq!(
            support::texts(
                db,
                "SELECT CAST(member_since AS CHAR(10)) FROM loyalty_accounts"
            )
            .await,
            ["2026-01-01"],
            "{name}"
        );
        let out = project.run(db, &["showmigrations"]);
        assert!(
            out.success && out.text.contains("[X] m") && !out.text.contains("[ ]"),
            "{name}: {}",
            out.text
        );

        // The password is never printed, also not by the client programs' messages.
        if let Some((secret_db, user)) = with_password(db, "S3cr3t-bk").await {
            let out = project.run(&secret_db, &["backup", "--name", "secret"]);
            assert!(out.success, "{name}: {}", out.text);
            assert!(
                !out.text.contains("S3cr3t-bk") && out.text.contains("***"),
                "{name}: {}",
                out.text
            );
            let secret_file = only_file(&backups, ".secret.", &[]);
            let out = project.run(&secret_db, &["backups"]);
            assert!(
                out.success && !out.text.contains("S3cr3t-bk"),
                "{name}: {}",
                out.text
            );
            let out = project.run(
                &secret_db,
                &["restore", "--yes", secret_file.to_str().unwrap()],
            );
            assert!(
                out.success && !out.text.contains("S3cr3t-bk") && out.text.contains("***"),
                "{name}: {}",
                out.text
            );
            std::fs::remove_file(secret_file).unwrap();
            if let Some(user) = user {
                db.execute(&format!("DROP USER IF EXISTS '{user}'@'%'"))
                    .await;
            }
        }
        assert_eq!(db.schema_fingerprint().await, fingerprint, "{name}");
    }

    // Two migrations: one that works, then one that fails on its third statement.
    // Written within one second, they sort by name: the names keep their order.
    for (label, body) in [("step1_good", CREATE_GOOD), ("step2_broken", BROKEN)] {
        let out = project.run(&generator, &["makemigrations", "--empty", "--name", label]);
        assert!(out.success, "{}", out.text);
        project.edit_newest_migration(
            "        // Write the schema",
            &format!("        {body}\n        // Write the schema"),
        );
    }
    project.build();

    for db in &backends {
        let name = db.name();
        let before_run = db.schema_fingerprint().await;
        let tables_before = tables(db).await;
        let applied_before = applied(db).await;
        let files_before = files_in(&backups);

        // The run applies `good`, then `broken` fails: the backup taken first is restored.
        let out = project.run(db, &["migrate", "--restore-on-failure"]);
        assert_eq!(out.code, Some(2), "{name}: {}", out.text);
        let new_files: Vec<String> = files_in(&backups)
            .into_iter()
            .filter(|f| !files_before.contains(f))
            .collect();
        assert_eq!(new_files.len(), 1, "{name}: {new_files:?}\n{}", out.text);
        let made = format!("backups/{}", new_files[0]);
        assert!(
            out.text.contains("Backed up ")
                && out.text.contains(&format!("Restored {made} into "))
                && out.text.contains("as it was before this run")
                && out.text.contains("_good ... OK")
                && out.text.contains("_broken ... FAILED"),
            "{name}: {}",
            out.text
        );
        assert_eq!(db.schema_fingerprint().await, before_run, "{name}");
        assert_eq!(
            tables(db).await,
            tables_before,
            "{name}: probe tables stayed"
        );
        assert_eq!(applied(db).await, applied_before, "{name}");
        db.assert_seed_intact().await;
        // No half-applied record stays (MySQL), so nothing blocks the next run.
        let out = project.run(db, &["showmigrations"]);
        assert!(
            out.text.matches("[ ] m").count() == 2 && !out.text.contains("[!]"),
            "{name}: {}",
            out.text
        );

        // Only `good` applied; then `broken` alone fails first in the run.
        let good = project
            .migration_files()
            .into_iter()
            .find(|f| f.contains("_good"))
            .unwrap()
            .replace(".rs", "");
        let out = project.run(db, &["migrate", &good]);
        assert!(out.success, "{name}: {}", out.text);
        let with_good = db.schema_fingerprint().await;
        let out = project.run(db, &["migrate", "--restore-on-failure"]);
        assert_eq!(out.code, Some(2), "{name}: {}", out.text);
        match db {
            // Its transaction took it back and nothing else of the run was applied.
            Backend::Sqlite { .. } | Backend::Postgres { .. } => assert!(
                out.text.contains("No restore needed") && !out.text.contains("Restored "),
                "{name}: {}",
                out.text
            ),
            // Its first two statements stayed: the backup puts the database back.
            _ => assert!(
                out.text.contains("Restored backups/") && out.text.contains("half-applied"),
                "{name}: {}",
                out.text
            ),
        }
        assert_eq!(db.schema_fingerprint().await, with_good, "{name}");
        let out = project.run(db, &["showmigrations"]);
        assert!(
            out.text.matches("[ ] m").count() == 1 && !out.text.contains("[!]"),
            "{name}: {}",
            out.text
        );
    }
}

/// Where `program` is on PATH.
fn find_on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// A missing client program and too little disk space: exit 9 before anything changes, with no
/// file left behind.
#[tokio::test(flavor = "multi_thread")]
async fn missing_tools_and_full_disk_change_nothing() {
    let backends = support::enabled_backends().await;
    let project = TestProject::new();
    project.build();
    let generator = Backend::sqlite();
    let out = project.run(
        &generator,
        &["makemigrations", "--no-input", "-m", "initial"],
    );
    assert!(out.success, "{}", out.text);
    project.build();
    let empty_path = tempfile::tempdir().unwrap();
    let backups = project.path().join("backups");

    // A file system with 4 KiB: less than any of the databases takes.
    let small = tempfile::tempdir().unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4k", "tmpfs"])
        .arg(small.path())
        .status()
        .expect("mount runs");
    assert!(
        mounted.success(),
        "this test mounts a small tmpfs to fill a disk for real; it needs root (CAP_SYS_ADMIN)"
    );
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(small.path().to_path_buf());

    for db in &backends {
        let name = db.name();
        // A table with a row, so that even the SQLite file takes more than the 4 KiB there are;
        // nothing applied yet: `migrate --backup` would apply the initial migration.
        db.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY)")
            .await;
        db.execute("INSERT INTO filler (id) VALUES (1)").await;
        let before = tables(db).await;

        // A backup directory that does not exist yet is not made by a refusal.
        let not_yet = small.path().join("not-yet");
        let out = project.run(
            db,
            &[
                "migrate",
                "--backup",
                "--backup-dir",
                not_yet.to_str().unwrap(),
            ],
        );
        assert_eq!(out.code, Some(9), "{name}: {}", out.text);
        assert!(
            out.text.contains("not enough free space")
                && out.text.contains("--backup-dir")
                && !out.text.contains("Applying"),
            "{name}: {}",
            out.text
        );
        assert!(files_in(small.path()).is_empty(), "{name}");
        assert!(!not_yet.exists(), "{name}: the refusal made {not_yet:?}");
        assert_eq!(tables(db).await, before, "{name}: something was applied");

        if let Backend::Sqlite { .. } = db {
            // SQLite needs no client program.
            continue;
        }
        // PATH without the client programs.
        let path = [("PATH", empty_path.path().to_str().unwrap())];
        let out = project.run_with_env(db, &["migrate", "--backup"], &path);
        assert_eq!(out.code, Some(9), "{name}: {}", out.text);
        let tool = match db {
            Backend::Postgres { .. } => "`pg_dump`",
            _ => "`mysqldump or mariadb-dump`",
        };
        assert!(
            out.text.contains(tool)
                && out.text.contains("is not on PATH")
                && out.text.contains("apt-get install")
                && !out.text.contains("Applying"),
            "{name}: {}",
            out.text
        );
        assert!(
            files_in(&backups).is_empty(),
            "{name}: {:?}",
            files_in(&backups)
        );
        assert_eq!(tables(db).await, before, "{name}: something was applied");

        // `--restore-on-failure` with the dump program but not the restoring ones: refused
        // before the backup directory is made.
        let dump_only = tempfile::tempdir().unwrap();
        // The names the tool looks for; MariaDB may ship only `mariadb-dump`.
        let names: &[&str] = match db {
            Backend::Postgres { .. } => &["pg_dump"],
            _ => &["mysqldump", "mariadb-dump"],
        };
        let (dump, program) = names
            .iter()
            .find_map(|name| find_on_path(name).map(|path| (*name, path)))
            .unwrap_or_else(|| panic!("{name}: none of {names:?} is on PATH"));
        std::os::unix::fs::symlink(program, dump_only.path().join(dump)).unwrap();
        let path = [("PATH", dump_only.path().to_str().unwrap())];
        let out = project.run_with_env(db, &["migrate", "--restore-on-failure"], &path);
        assert_eq!(out.code, Some(9), "{name}: {}", out.text);
        assert!(
            out.text.contains("restore a ") && out.text.contains("is not on PATH"),
            "{name}: {}",
            out.text
        );
        assert!(!backups.exists(), "{name}: the refusal made backups/");
        assert_eq!(tables(db).await, before, "{name}: something was applied");

        // restore needs its programs too: refused before anything is dropped.
        let path = [("PATH", empty_path.path().to_str().unwrap())];
        let out = project.run(db, &["migrate", "--backup"]);
        assert!(out.success, "{name}: {}", out.text);
        let applied = db.schema_fingerprint().await;
        let file = files_in(&backups).pop().expect("a backup");
        let out = project.run_with_env(
            db,
            &["restore", "--yes", backups.join(&file).to_str().unwrap()],
            &path,
        );
        assert_eq!(out.code, Some(9), "{name}: {}", out.text);
        assert!(out.text.contains("is not on PATH"), "{name}: {}", out.text);
        assert_eq!(db.schema_fingerprint().await, applied, "{name}");
        std::fs::remove_dir_all(&backups).unwrap();
    }
}

/// Backups reach the server the way the URL says, as the tool's own connection does: through
/// a Unix socket (MariaDB's `?socket=` file, PostgreSQL's `?host=` socket directory, both in
/// the `user@/database` shape), and with TLS parameters over TCP (MariaDB's client takes none of
/// MySQL's `--ssl-mode`: the URL's `ssl-mode` must reach it in its own spelling).
#[tokio::test(flavor = "multi_thread")]
async fn backups_through_sockets_and_with_tls_parameters() {
    let backends = support::enabled_backends().await;
    let servers: Vec<&Backend> = backends
        .iter()
        .filter(|b| !matches!(b, Backend::Sqlite { .. }))
        .collect();
    // Sockets and TLS are a server's: without one configured (enabled_backends printed which
    // were skipped, and `.ci/run` configures both) there is nothing to run here.
    if servers.is_empty() {
        return;
    }
    let project = TestProject::new();
    project.build();
    let generator = Backend::sqlite();
    let out = project.run(
        &generator,
        &["makemigrations", "--no-input", "-m", "initial"],
    );
    assert!(out.success, "{}", out.text);
    project.build();
    let backups = project.path().join("backups");

    for db in servers {
        let name = db.name();
        let out = project.run(db, &["migrate"]);
        assert!(out.success, "{name}: {}", out.text);
        db.seed().await;
        let seeded = db.schema_fingerprint().await;
        let tcp = url::Url::parse(db.url()).unwrap();
        let database = tcp.path().trim_start_matches('/').to_string();

        // Where the server's socket is, as the server says.
        let (socket_url, tls_url) = match db {
            Backend::Postgres { .. } => {
                let dirs = support::texts(db, "SHOW unix_socket_directories").await;
                let dir = dirs[0].split(',').next().unwrap().trim().to_string();
                (
                    format!("postgres://{}@/{database}?host={dir}", tcp.username()),
                    format!("{}?sslmode=require", db.url()),
                )
            }
            _ => {
                let socket = support::texts(db, "SELECT @@socket").await;
                // A user of its own with a password, which reaches the client through MYSQL_PWD.
                let user = format!("mm_sock_{}", std::process::id());
                db.execute(&format!(
                    "DROP USER IF EXISTS '{user}'@'localhost'; CREATE USER '{user}'@'localhost' IDENTIFIED BY 'S0ck-pw'; \
                     GRANT ALL ON `{database}`.* TO '{user}'@'localhost'"
                ))
                .await;
                (
                    format!("mysql://{user}:S0ck-pw@/{database}?socket={}", socket[0]),
                    format!("{}?ssl-mode=DISABLED", db.url()),
                )
            }
        };

        for (how, url) in [("socket", &socket_url), ("tls parameters", &tls_url)] {
            let via = Backend::Url(url.clone());
            let out = project.run(&via, &["backup", "--name", how]);
            assert!(
                out.success && out.text.contains("Backed up "),
                "{name} {how}: {}",
                out.text
            );
            assert!(!out.text.contains("S0ck-pw"), "{name} {how}: {}", out.text);
            let file = only_file(&backups, &format!(".{}.", how.replace(' ', "_")), &[]);

            db.execute("DELETE FROM loyalty_accounts").await;
            db.execute("CREATE TABLE after_backup (id INTEGER PRIMARY KEY)")
                .await;
            assert_ne!(db.schema_fingerprint().await, seeded, "{name} {how}");

            let out = project.run(&via, &["restore", "--yes", file.to_str().unwrap()]);
            assert!(
                out.success && out.text.contains("Restored "),
                "{name} {how}: {}",
                out.text
            );
            assert!(!out.text.contains("S0ck-pw"), "{name} {how}: {}", out.text);
            assert_eq!(db.schema_fingerprint().await, seeded, "{name} {how}");
            db.assert_seed_intact().await;
            std::fs::remove_file(file).unwrap();
        }
        if let Backend::MySql { .. } = db {
            let user = format!("mm_sock_{}", std::process::id());
            db.execute(&format!("DROP USER IF EXISTS '{user}'@'localhost'"))
                .await;
        }
    }
}
