//! `--database-schema` (and `DATABASE_SCHEMA`): on PostgreSQL the whole cycle runs in a schema
//! other than `public`, beside a `public` table of the same name that keeps its rows; a schema
//! that does not exist, and the backends without schemas, are refused with nothing created;
//! `migrate --create-db` creates it. The real binary, on every enabled backend.

mod support;

use support::{Backend, TestProject};

/// `schema.table` for every table of the PostgreSQL database outside the system schemas.
async fn postgres_tables(db: &Backend) -> Vec<String> {
    support::texts(
        db,
        "SELECT schemaname || '.' || tablename AS name FROM pg_tables \
         WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
    )
    .await
}

#[tokio::test]
async fn database_schema() {
    let backends = support::enabled_backends().await;
    let project = TestProject::new();
    project.build();
    for db in &backends {
        let name = db.name();
        if !matches!(db, Backend::Postgres { .. }) {
            let out = project.run(db, &["--database-schema", "shop", "showmigrations"]);
            assert_eq!(out.code, Some(2), "{name}: {}", out.text);
            assert!(
                out.text.contains("--database-schema shop:") && out.text.contains("fix:"),
                "{name}: {}",
                out.text
            );
            assert!(
                support::table_names(db).await.is_empty(),
                "{name}: a refused command created tables"
            );
            continue;
        }
        db.execute(
            "CREATE SCHEMA shop; \
             CREATE TABLE public.users (id integer PRIMARY KEY, note text); \
             INSERT INTO public.users VALUES (1, 'not the app''s');",
        )
        .await;

        let out = project.run(db, &["--database-schema", "missing", "showmigrations"]);
        assert_eq!(out.code, Some(2), "{name}: {}", out.text);
        assert!(
            out.text.contains("no such schema") && out.text.contains("CREATE SCHEMA missing"),
            "{name}: {}",
            out.text
        );
        // `migrate --create-db` creates a missing schema as it creates a missing database.
        let out = project.run(db, &["--database-schema", "made", "migrate", "--create-db"]);
        assert!(
            out.success && out.text.contains("Created schema made"),
            "{name}: {}",
            out.text
        );
        let schemas = support::texts(
            db,
            "SELECT nspname::text AS name FROM pg_namespace WHERE nspname = 'made'",
        )
        .await;
        assert_eq!(schemas, ["made"], "{name}: {}", out.text);
        let out = project.run(db, &["--database-schema", "made", "migrate", "--create-db"]);
        assert!(
            out.success && !out.text.contains("Created schema"),
            "{name}: again: {}",
            out.text
        );
        db.execute("DROP SCHEMA made CASCADE").await;

        let out = project.run(
            db,
            &[
                "--database-schema",
                "shop",
                "makemigrations",
                "--no-input",
                "-m",
                "initial",
            ],
        );
        assert!(out.success, "{name}: {}", out.text);
        assert!(
            !out.text.contains("Drop"),
            "{name}: public's table is not this schema's\n{}",
            out.text
        );
        project.build();
        let out = project.run(db, &["--database-schema", "shop", "migrate"]);
        assert!(out.success, "{name}: {}", out.text);

        let tables = postgres_tables(db).await;
        assert!(
            tables.contains(&"shop.users".to_string())
                && tables.contains(&"shop.seaql_migrations".to_string()),
            "{name}: {tables:?}"
        );
        assert_eq!(
            tables
                .iter()
                .filter(|t| t.starts_with("public."))
                .collect::<Vec<_>>(),
            ["public.users"],
            "{name}: only the table that was there is in public"
        );

        // The environment variable works as the flag does.
        let out = project.run_with_env(
            db,
            &["makemigrations", "--check"],
            &[("DATABASE_SCHEMA", "shop")],
        );
        assert!(
            out.success && out.text.contains("No changes detected"),
            "{name}: {}",
            out.text
        );
        let out = project.run(db, &["--database-schema", "shop", "check"]);
        assert!(out.success, "{name}: {}", out.text);

        let out = project.run(db, &["--database-schema", "shop", "rollback", "--all"]);
        assert!(out.success, "{name}: {}", out.text);
        let tables = postgres_tables(db).await;
        assert!(
            !tables.contains(&"shop.users".to_string()),
            "{name}: rollback left {tables:?}"
        );
        assert_eq!(
            support::texts(db, "SELECT note FROM public.users").await,
            ["not the app's"],
            "{name}: public.users keeps its row"
        );
    }
}
