//! The read-only commands create nothing and work for a user who may only read the live
//! database; `check` never runs a pending migration; `rollback --fake` then `migrate` keeps the
//! tool's own tables consistent. The real binary, on every enabled backend.
//!
//! The read-only user may read the live schema and nothing more there. It may build the scratch
//! place (docs/guide.md, "A read-only user"): on PostgreSQL a schema inside a transaction that is
//! always rolled back (so it may create schemas in the database, not tables in `public`), on
//! MySQL/MariaDB an empty database of its own named with `SHADOW_DATABASE_URL`; SQLite's is in
//! memory, and the live file is opened with `mode=ro`.

mod support;

use sea_orm::{ConnectionTrait, Database};
use support::{Backend, TestProject};

/// The statement the pending migration runs: its table shows whether it ran.
const CREATE_PROBE: &str = "manager.create_table(Table::create().table(\"probe\").col(ColumnDef::new(\"id\").integer().not_null().primary_key()).to_owned()).await?;";

/// Every table of the database (on PostgreSQL in every schema, so that a scratch schema left
/// behind would show), sorted.
async fn tables(db: &Backend) -> Vec<String> {
    let sql = match db {
        Backend::Postgres { .. } => "SELECT schemaname || '.' || tablename AS name FROM pg_tables \
             WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
            .to_string(),
        Backend::MySql { database, .. } => format!(
            "SELECT CAST(TABLE_NAME AS CHAR) AS name FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = '{database}' ORDER BY 1"
        ),
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1".to_string(),
    };
    support::texts(db, &sql).await
}

/// The rows of the tool's record of owned tables, as `table by migration`.
async fn owned(db: &Backend) -> Vec<String> {
    let conn = db.connect().await;
    let rows = conn
        .query_all_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT table_name, created_by FROM makemigrations_owned_tables ORDER BY table_name",
        ))
        .await
        .unwrap();
    conn.close().await.unwrap();
    rows.iter()
        .map(|r| {
            format!(
                "{} by {}",
                r.try_get::<String>("", "table_name").unwrap(),
                r.try_get::<String>("", "created_by").unwrap()
            )
        })
        .collect()
}

/// A user of `admin`'s database who may read it and build the scratch place, and its clean-up.
struct ReadOnly {
    backend: Backend,
    env: Vec<(&'static str, String)>,
    cleanup: Option<(String, Vec<String>)>,
}

impl ReadOnly {
    async fn new(admin: &Backend) -> ReadOnly {
        let unique = format!("mm_ro_{}", support::unique_suffix_short());
        let mut env = vec![("MAKEMIGRATIONS_NO_CACHE", "1".to_string())];
        match admin {
            Backend::Sqlite { .. } => {
                // The file exists (mode=ro cannot create it).
                admin.execute("SELECT 1").await;
                ReadOnly {
                    backend: Backend::Url(admin.url().replace("mode=rwc", "mode=ro")),
                    env,
                    cleanup: None,
                }
            }
            Backend::Postgres { database, .. } => {
                // PostgreSQL 15 gives PUBLIC no CREATE on schema public; revoked anyway, so the
                // test means the same on older servers.
                admin
                    .execute(&format!(
                        "CREATE ROLE {unique} LOGIN; \
                         REVOKE CREATE ON SCHEMA public FROM PUBLIC; \
                         GRANT CONNECT, CREATE ON DATABASE \"{database}\" TO {unique}; \
                         GRANT USAGE ON SCHEMA public TO {unique}; \
                         GRANT SELECT ON ALL TABLES IN SCHEMA public TO {unique}; \
                         ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {unique}"
                    ))
                    .await;
                let url = admin.url().replacen("postgres@", &format!("{unique}@"), 1);
                assert_ne!(url, admin.url(), "the test expects a postgres@ URL");
                ReadOnly {
                    backend: Backend::Url(url),
                    env,
                    cleanup: Some((
                        admin.url().to_string(),
                        vec![
                            format!("DROP OWNED BY {unique}"),
                            format!("DROP ROLE {unique}"),
                        ],
                    )),
                }
            }
            Backend::MySql { database, .. } => {
                let shadow = format!("{database}_ro_shadow");
                admin
                    .execute(&format!(
                        "CREATE USER '{unique}'@'%'; CREATE DATABASE `{shadow}`; \
                         GRANT SELECT ON `{database}`.* TO '{unique}'@'%'; \
                         GRANT ALL ON `{shadow}`.* TO '{unique}'@'%'"
                    ))
                    .await;
                let server = &admin.url()[..admin.url().rfind('/').unwrap()];
                let server = server.replacen("root@", &format!("{unique}@"), 1);
                env.push(("SHADOW_DATABASE_URL", format!("{server}/{shadow}")));
                ReadOnly {
                    backend: Backend::Url(format!("{server}/{database}")),
                    env,
                    cleanup: Some((
                        admin.url().to_string(),
                        vec![
                            format!("DROP USER IF EXISTS '{unique}'@'%'"),
                            format!("DROP DATABASE IF EXISTS `{shadow}`"),
                        ],
                    )),
                }
            }
            Backend::Url(_) => unreachable!(),
        }
    }

    fn run(&self, project: &TestProject, args: &[&str]) -> support::Output {
        let env: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        project.run_with_env(&self.backend, args, &env)
    }
}

/// The user (and MySQL's scratch database) goes also when the test fails.
impl Drop for ReadOnly {
    fn drop(&mut self) {
        let Some((url, statements)) = self.cleanup.take() else {
            return;
        };
        // Drop runs outside async code: a runtime of its own on a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async {
                if let Ok(db) = Database::connect(url.as_str()).await {
                    for sql in statements {
                        let _ = db.execute_unprepared(&sql).await;
                    }
                    let _ = db.close().await;
                }
            });
        })
        .join();
    }
}

/// The five read-only commands as the read-only user: none fails for want of a right, and the
/// tables are as they were. With a migration pending, `makemigrations --check` refuses (exit 2,
/// naming it) as it does for anyone.
async fn read_only_commands(
    project: &TestProject,
    admin: &Backend,
    ro: &ReadOnly,
    stage: &str,
    pending: bool,
) -> Vec<support::Output> {
    let name = admin.name();
    let before = tables(admin).await;
    let mut outputs = Vec::new();
    for args in [
        &["showmigrations"][..],
        &["current"],
        &["history"],
        &["check"],
        &["makemigrations", "--check", "--no-input"],
    ] {
        let out = ro.run(project, args);
        let allowed: &[i32] = match args[0] {
            "showmigrations" | "current" | "history" => &[0],
            "makemigrations" if pending => &[2],
            "check" if pending => &[10],
            _ => &[0, 1],
        };
        if pending && args[0] == "makemigrations" {
            assert!(out.text.contains("not applied yet"), "{name}: {}", out.text);
        }
        assert!(
            out.code.is_some_and(|c| allowed.contains(&c)),
            "{name} {stage}: {args:?} as the read-only user\n{}",
            out.text
        );
        assert!(
            !out.text.to_lowercase().contains("permission")
                && !out.text.contains("denied")
                && !out.text.contains("readonly"),
            "{name} {stage}: {args:?}\n{}",
            out.text
        );
        outputs.push(out);
    }
    assert_eq!(
        tables(admin).await,
        before,
        "{name} {stage}: a read-only command created a table"
    );
    outputs
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_commands_create_nothing_and_check_runs_no_migration() {
    let backends = support::enabled_backends().await;
    for admin in &backends {
        let name = admin.name();
        // A project of its own per backend: each starts with no migration.
        let project = TestProject::new();
        project.build();
        let ro = ReadOnly::new(admin).await;

        // No tracking tables, no migrations: everything reads as empty.
        assert!(tables(admin).await.is_empty(), "{name}");
        let outs = read_only_commands(&project, admin, &ro, "empty database", false).await;
        assert!(outs[0].text.contains("(no migrations)"), "{}", outs[0].text);
        assert!(
            outs[1].text.contains("No migrations applied."),
            "{}",
            outs[1].text
        );
        assert!(
            outs[3].code == Some(1) && outs[3].text.contains("Entity changes with no migration"),
            "{name}: {}",
            outs[3].text
        );
        assert!(
            outs[4].code == Some(1) && outs[4].text.contains("+ Create table users"),
            "{name}: {}",
            outs[4].text
        );

        // One migration written, none applied, still no tracking table.
        let out = project.run(admin, &["makemigrations", "--no-input"]);
        assert!(out.success, "{name}: {}", out.text);
        project.build();
        let before = tables(admin).await;
        assert!(before.is_empty(), "{name}: makemigrations wrote {before:?}");
        let outs = read_only_commands(&project, admin, &ro, "not migrated", true).await;
        assert!(outs[0].text.contains("[ ] m"), "{}", outs[0].text);
        let out = &outs[3];
        assert!(
            out.code == Some(10)
                && out.text.contains("Pending migrations (1)")
                && out.text.contains("Database not compared with the entities")
                && !out.text.contains("Entity changes"),
            "{name}: {}",
            out.text
        );
        assert_eq!(tables(admin).await, before, "{name}: check with pending");

        // Migrated by the owner; read by the read-only user.
        let out = project.run(admin, &["migrate"]);
        assert!(out.success, "{name}: {}", out.text);
        let outs = read_only_commands(&project, admin, &ro, "migrated", false).await;
        assert!(outs[0].text.contains("[X] m"), "{}", outs[0].text);
        assert!(outs[1].text.contains("(head)"), "{}", outs[1].text);
        assert!(
            outs[3].code == Some(0) && outs[3].text.contains("OK: no pending migrations"),
            "{name}: {}",
            outs[3].text
        );
        assert!(
            outs[4].code == Some(0) && outs[4].text.contains("No changes detected"),
            "{name}: {}",
            outs[4].text
        );

        // A pending migration whose effect would show: `check` (even by the owner, who could
        // run it) reports it and runs nothing.
        let out = project.run(admin, &["makemigrations", "--empty", "--name", "probe"]);
        assert!(out.success, "{name}: {}", out.text);
        project.edit_newest_migration(
            "        // Write the schema",
            &format!("        {CREATE_PROBE}\n        // Write the schema"),
        );
        project.build();
        let before = tables(admin).await;
        let fingerprint = admin.schema_fingerprint().await;
        for out in [project.run(admin, &["check"]), ro.run(&project, &["check"])] {
            assert!(
                out.code == Some(10)
                    && out.text.contains("Pending migrations (1)")
                    && out.text.contains("_probe")
                    && out.text.contains(
                        "Database not compared with the entities: check compares them once no migration is pending"
                    ),
                "{name}: {}",
                out.text
            );
        }
        assert_eq!(
            tables(admin).await,
            before,
            "{name}: check ran the migration"
        );
        assert_eq!(admin.schema_fingerprint().await, fingerprint, "{name}");
        read_only_commands(&project, admin, &ro, "pending", true).await;

        // rollback --fake, then migrate: the migration runs again and is recorded once.
        let out = project.run(admin, &["migrate"]);
        assert!(out.success, "{name}: {}", out.text);
        assert!(owned(admin)
            .await
            .iter()
            .any(|o| o.starts_with("probe by m")));
        let out = project.run(admin, &["rollback", "--fake"]);
        assert!(
            out.success && out.text.contains("FAKED"),
            "{name}: {}",
            out.text
        );
        // Undone by hand after the record (the order the guide allows either way).
        admin.execute("DROP TABLE probe").await;
        let out = project.run(admin, &["migrate"]);
        assert!(
            out.success && out.text.contains("_probe ... OK"),
            "{name}: migrate after rollback --fake\n{}",
            out.text
        );
        assert_eq!(
            owned(admin)
                .await
                .iter()
                .filter(|o| o.starts_with("probe by "))
                .count(),
            1,
            "{name}"
        );
        // Undone by hand first: the record of the dropped table goes with the faked rollback.
        admin.execute("DROP TABLE probe").await;
        let out = project.run(admin, &["rollback", "--fake"]);
        assert!(out.success, "{name}: {}", out.text);
        assert!(
            !owned(admin)
                .await
                .iter()
                .any(|o| o.starts_with("probe by ")),
            "{name}: {:?}",
            owned(admin).await
        );
        let out = project.run(admin, &["migrate"]);
        assert!(out.success, "{name}: {}", out.text);
        // Not undone at all: recorded again with --fake, no duplicate.
        let out = project.run(admin, &["rollback", "--fake"]);
        assert!(out.success, "{name}: {}", out.text);
        let out = project.run(admin, &["migrate", "--fake"]);
        assert!(
            out.success && out.text.contains("FAKED"),
            "{name}: {}",
            out.text
        );
        let out = project.run(admin, &["migrate", "--fake"]);
        assert!(
            out.success && out.text.contains("No migrations to apply"),
            "{name}: {}",
            out.text
        );
        let out = ro.run(&project, &["showmigrations"]);
        assert!(
            out.success && out.text.matches("[X] m").count() == 2 && !out.text.contains("[ ]"),
            "{name}: {}",
            out.text
        );

        drop(ro);
    }
}
