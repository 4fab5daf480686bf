//! Validation of the data against the schema: `validate` on demand (read-only) and after
//! `migrate`. Rows that violate a foreign key, let in with the checks off (SQLite
//! `PRAGMA foreign_keys=OFF`, MySQL `SET foreign_key_checks=0`, a PostgreSQL `NOT VALID`
//! constraint), are named with the table, the constraint and the keys, exit 8; a clean database
//! exits 0. The real binary, on every enabled backend.

mod support;

use support::{Backend, TestProject};

/// An order for a user that does not exist, inserted as each backend lets it in.
async fn insert_orphan(db: &Backend) -> String {
    match db {
        Backend::Sqlite { .. } => {
            db.execute(
                "PRAGMA foreign_keys = OFF; \
                 INSERT INTO orders (reference, user_id) VALUES ('6e0e1b3a-8a5d-4c1e-9a63-2f1f0c6b7a11', 4242); \
                 INSERT INTO orders (reference, user_id) VALUES ('6e0e1b3a-8a5d-4c1e-9a63-2f1f0c6b7a12', 4343)",
            )
            .await;
            "(user_id) -> users(id)".to_string()
        }
        Backend::MySql { .. } => {
            db.execute(
                "SET foreign_key_checks = 0; \
                 INSERT INTO orders (reference, user_id) VALUES (UNHEX(REPLACE('6e0e1b3a-8a5d-4c1e-9a63-2f1f0c6b7a11', '-', '')), 4242); \
                 INSERT INTO orders (reference, user_id) VALUES (UNHEX(REPLACE('6e0e1b3a-8a5d-4c1e-9a63-2f1f0c6b7a12', '-', '')), 4343)",
            )
            .await;
            let names = support::texts(
                db,
                "SELECT CAST(CONSTRAINT_NAME AS CHAR) FROM information_schema.REFERENTIAL_CONSTRAINTS \
                 WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'orders' AND REFERENCED_TABLE_NAME = 'users'",
            )
            .await;
            assert_eq!(names.len(), 1, "{names:?}");
            names[0].clone()
        }
        Backend::Postgres { .. } => {
            let names = support::texts(
                db,
                "SELECT conname::text FROM pg_constraint WHERE conrelid = 'orders'::regclass \
                 AND confrelid = 'users'::regclass AND contype = 'f'",
            )
            .await;
            assert_eq!(names.len(), 1, "{names:?}");
            // Dropped and added again NOT VALID: the rows already there are not checked.
            db.execute(&format!(
                "ALTER TABLE orders DROP CONSTRAINT \"{}\"; \
                 INSERT INTO orders (reference, user_id) VALUES ('6e0e1b3a-8a5d-4c1e-9a63-2f1f0c6b7a11', 4242), \
                   ('6e0e1b3a-8a5d-4c1e-9a63-2f1f0c6b7a12', 4343); \
                 ALTER TABLE orders ADD CONSTRAINT orders_user_not_valid FOREIGN KEY (user_id) \
                   REFERENCES users (id) NOT VALID",
                names[0]
            ))
            .await;
            "orders_user_not_valid".to_string()
        }
        Backend::Url(_) => unreachable!(),
    }
}

fn assert_names_orphans(name: &str, text: &str, constraint: &str) {
    assert!(
        text.contains("validation failed")
            && text.contains("orders: 2 row(s) reference rows that do not exist")
            && text.contains(constraint)
            && text.contains("user_id=4242")
            && text.contains("user_id=4343")
            && text.contains("fix: "),
        "{name}: the table, the constraint ({constraint}) and the keys\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn validate_finds_rows_that_violate_foreign_keys() {
    let backends = support::enabled_backends().await;
    // A portable history, written once on SQLite.
    let project = TestProject::with_initial_migration(&backends[0]);
    project.build();

    let mut constraints = Vec::new();
    for db in &backends {
        let name = db.name();
        // Nothing to check yet: an empty database is clean, and validate creates nothing.
        let out = project.run(db, &["validate"]);
        assert_eq!(out.code, Some(0), "{name}: {}", out.text);
        assert!(
            support::table_names(db).await.is_empty(),
            "{name}: validate created a table"
        );

        let out = project.run(db, &["migrate"]);
        assert!(
            out.success && out.text.contains("Validating ... OK ("),
            "{name}: {}",
            out.text
        );
        db.seed().await;
        let out = project.run(db, &["validate"]);
        assert_eq!(out.code, Some(0), "{name}: a clean database\n{}", out.text);
        assert!(
            out.text.contains("OK: 8 table(s) checked"),
            "{name}: {}",
            out.text
        );

        let constraint = insert_orphan(db).await;
        let before = support::table_names(db).await;
        let out = project.run(db, &["validate"]);
        assert_eq!(out.code, Some(8), "{name}: {}", out.text);
        assert_names_orphans(name, &out.text, &constraint);
        assert_eq!(
            support::table_names(db).await,
            before,
            "{name}: validate created a table"
        );
        constraints.push(constraint);
    }

    // A migration applied on top of rows that were already broken: they are not the run's
    // failure (they are listed), so `migrate` exits 0.
    let out = project.run(
        &backends[0],
        &["makemigrations", "--empty", "--name", "noop"],
    );
    assert!(out.success, "{}", out.text);
    project.build();
    for (db, constraint) in backends.iter().zip(&constraints) {
        let name = db.name();
        let out = project.run(db, &["migrate"]);
        assert_eq!(out.code, Some(0), "{name}: {}", out.text);
        assert!(
            out.text.contains("Validating ... OK")
                && out
                    .text
                    .contains("already before this run: orders: 2 row(s)")
                && out.text.contains(constraint.as_str())
                && out.text.contains("user_id=4242"),
            "{name}: {}",
            out.text
        );
    }

    // A migration that lets rows in that break a foreign key: `migrate` applies it, then the
    // validation fails with exit 8 naming the new rows (the migration stays applied). SQLite's
    // own check after each migration refuses it first, and its transaction undoes it (exit 2).
    let out = project.run(
        &backends[0],
        &["makemigrations", "--empty", "--name", "orphan"],
    );
    assert!(out.success, "{}", out.text);
    project.edit_newest_migration(
        "let _ = manager;",
        r#"let sql = match manager.get_database_backend() {
            sea_orm::DbBackend::MySql => "SET foreign_key_checks = 0;                 INSERT INTO orders (reference, user_id) VALUES (UNHEX(REPLACE('6e0e1b3a-8a5d-4c1e-9a63-2f1f0c6b7a13', '-', '')), 4444);                 SET foreign_key_checks = 1",
            sea_orm::DbBackend::Postgres => "ALTER TABLE orders DROP CONSTRAINT orders_user_not_valid;                 INSERT INTO orders (reference, user_id) VALUES ('6e0e1b3a-8a5d-4c1e-9a63-2f1f0c6b7a13', 4444);                 ALTER TABLE orders ADD CONSTRAINT orders_user_not_valid FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID",
            _ => "INSERT INTO orders (reference, user_id) VALUES ('6e0e1b3a-8a5d-4c1e-9a63-2f1f0c6b7a13', 4444)",
        };
        manager.get_connection().execute_unprepared(sql).await?;
        let _ = manager;"#,
    );
    project.build();
    let orphan = project.migration_files()[2]
        .trim_end_matches(".rs")
        .to_string();
    for (db, constraint) in backends.iter().zip(&constraints) {
        let name = db.name();
        let out = project.run(db, &["migrate"]);
        if name == "sqlite" {
            assert_eq!(out.code, Some(2), "{name}: {}", out.text);
            assert!(
                out.text.contains("referencing rows that do not exist"),
                "{name}: {}",
                out.text
            );
        } else {
            assert_eq!(out.code, Some(8), "{name}: {}", out.text);
            assert!(
                out.text.contains(&format!("{orphan} ... OK"))
                    && out.text.contains("Validating ... FAILED")
                    && out
                        .text
                        .contains("validation failed: 1 integrity problem(s)")
                    && out.text.contains(constraint.as_str())
                    && out.text.contains("user_id=4444")
                    && out
                        .text
                        .contains("The migrations of this run stay applied and recorded."),
                "{name}: {}",
                out.text
            );
            let out = project.run(db, &["current"]);
            assert!(
                out.text.contains(&format!("{orphan} (head)")),
                "{name}: {}",
                out.text
            );
        }

        // The rows fixed, `validate` passes.
        db.execute("DELETE FROM orders WHERE user_id IN (4242, 4343, 4444)")
            .await;
        let out = project.run(db, &["validate"]);
        assert_eq!(out.code, Some(0), "{name}: {}", out.text);
    }

    // PostgreSQL: a unique index that a concurrent build left invalid is named with the
    // duplicated key; a NOT VALID constraint every row satisfies is only a warning.
    if let Some(i) = support::position(&backends, "postgres") {
        let db = &backends[i];
        db.execute("INSERT INTO categories (name, slug) VALUES ('Books again', 'books-2')")
            .await;
        let conn = db.connect().await;
        use sea_orm::ConnectionTrait;
        let failed = conn
            .execute_unprepared("CREATE UNIQUE INDEX CONCURRENTLY categories_name_prefix ON categories (left(name, 5))")
            .await;
        assert!(failed.is_err(), "duplicates make the build fail");
        conn.execute_unprepared(
            "CREATE TABLE dup (id int PRIMARY KEY, code text); \
             INSERT INTO dup VALUES (1, 'a'), (2, 'a'), (3, 'b')",
        )
        .await
        .unwrap();
        let failed = conn
            .execute_unprepared("CREATE UNIQUE INDEX CONCURRENTLY dup_code ON dup (code)")
            .await;
        assert!(failed.is_err(), "duplicates make the build fail");
        conn.close().await.unwrap();
        let out = project.run(db, &["validate"]);
        assert_eq!(out.code, Some(8), "{}", out.text);
        assert!(
            out.text.contains("dup: index dup_code is invalid")
                && out.text.contains("code=a")
                && out
                    .text
                    .contains("categories: index categories_name_prefix is invalid"),
            "{}",
            out.text
        );
        db.execute("DROP INDEX dup_code; DROP INDEX categories_name_prefix")
            .await;
        db.execute("ALTER TABLE dup ADD CONSTRAINT positive CHECK (id > 0) NOT VALID")
            .await;
        let out = project.run(db, &["validate"]);
        assert_eq!(out.code, Some(0), "{}", out.text);
        assert!(
            out.text
                .contains("warning: dup: constraint positive is NOT VALID"),
            "{}",
            out.text
        );
    }
}
