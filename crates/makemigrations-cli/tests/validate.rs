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

    // A migration applied on top of rows that were already broken, in tables it cannot touch
    // (it names none): only what it can touch is validated, so they are neither checked nor
    // this run's failure, and `migrate` exits 0 (`a_run_validates_what_its_migrations_can_touch`
    // lists them when the run can touch them).
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
            out.text.contains("Validating ... OK (0 table(s)")
                && !out.text.contains("already before this run")
                && !out.text.contains(constraint.as_str()),
            "{name}: {}",
            out.text
        );
    }

    // A migration written as generated files are (it names `users`): both passes cover `users`
    // and the tables whose keys point at it, not every table; the rows of `orders` broken before
    // the run are among them, listed, and not the run's failure.
    let out = project.run(
        &backends[0],
        &["makemigrations", "--empty", "--name", "nick"],
    );
    assert!(out.success, "{}", out.text);
    project.edit_newest_migration(
        "let _ = manager;",
        r#"manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(ColumnDef::new("nick").string_len(20).null())
                    .to_owned(),
            )
            .await?;"#,
    );
    project.build();
    for (db, constraint) in backends.iter().zip(&constraints) {
        let name = db.name();
        let out = project.run(db, &["migrate"]);
        assert_eq!(out.code, Some(0), "{name}: {}", out.text);
        let checked: usize = out
            .text
            .split("Validating ... OK (")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name}: {}", out.text));
        assert!(
            (2..8).contains(&checked)
                && !out.text.contains("Validating every table")
                && out
                    .text
                    .contains("already before this run: orders: 2 row(s)")
                && out.text.contains(constraint.as_str()),
            "{name}: {checked} table(s)\n{}",
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
    let orphan = project.migration_files()[3]
        .trim_end_matches(".rs")
        .to_string();
    for (db, constraint) in backends.iter().zip(&constraints) {
        let name = db.name();
        let out = project.run(db, &["migrate"]);
        // Raw SQL: its tables cannot be read from the file, so every table is validated.
        assert!(
            out.text.contains(&format!(
                "Validating every table: {orphan} runs code whose tables cannot be read"
            )),
            "{name}: {}",
            out.text
        );
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

/// The facts the build script writes for a migration file of this text.
fn facts_of(name: &'static str, text: &str) -> makemigrations::MigrationFacts {
    let names = makemigrations_build::names_in_code(text).map(|names| {
        let names: Vec<&'static str> = names
            .into_iter()
            .map(|n| &*Box::leak(n.into_boxed_str()))
            .collect();
        &*Box::leak(names.into_boxed_slice())
    });
    makemigrations::MigrationFacts {
        names_in_code: names,
        ..makemigrations::MigrationFacts::plain(name, "src/migrations/x.rs")
    }
}

fn migration_text(up: &str) -> String {
    format!(
        "use makemigrations::prelude::*;\n\n#[derive(DeriveMigrationName)]\npub struct Migration;\n\n\
         #[async_trait::async_trait]\nimpl MigrationTrait for Migration {{\n    \
         async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {{\n{up}\n        Ok(())\n    }}\n}}\n"
    )
}

/// Runs `sql` with the backend's foreign key enforcement off, as a migration can: SQLite's
/// executor runs each migration with `foreign_keys` off, MySQL's `foreign_key_checks=0`;
/// PostgreSQL's `session_replication_role = replica` stands for a write the child's `NOT VALID`
/// key did not see.
async fn with_checks_off(db: &Backend, sql: &str) {
    let script = match db {
        Backend::Sqlite { .. } => format!("PRAGMA foreign_keys = OFF; {sql}"),
        Backend::MySql { .. } => {
            format!("SET foreign_key_checks = 0; {sql}; SET foreign_key_checks = 1")
        }
        _ => format!(
            "SET session_replication_role = replica; {sql}; SET session_replication_role = DEFAULT"
        ),
    };
    db.execute(&script).await;
}

fn problems_of<'a>(
    problems: &'a [makemigrations::validate::Problem],
    table: &str,
) -> Vec<&'a makemigrations::validate::Problem> {
    problems.iter().filter(|p| p.table == table).collect()
}

/// `migrate`'s two passes over what its migrations can touch (validate::RunValidation), called
/// directly, so that a migration can break rows as generated code cannot: a migration that names `authors` is checked on
/// `authors` and `books` (whose key points at it), so the rows it breaks in `books` are caught,
/// while `tag_links`, broken before and never named, is neither checked nor reported. A
/// migration with raw SQL is checked on every table.
#[tokio::test(flavor = "multi_thread")]
async fn a_run_validates_what_its_migrations_can_touch() {
    use makemigrations::validate::{self, Kind, Reach, RunValidation, Scope};
    for db in support::enabled_backends().await {
        let name = db.name();
        let postgres = matches!(db, Backend::Postgres { .. });
        // PostgreSQL checks the rows of NOT VALID keys only: both keys are made so.
        let inline_key = |column: &str, parent: &str| {
            if postgres {
                String::new()
            } else {
                format!(", FOREIGN KEY ({column}) REFERENCES {parent} (id)")
            }
        };
        db.execute(&format!(
            "CREATE TABLE authors (id integer PRIMARY KEY, name varchar(50) NOT NULL); \
             CREATE TABLE books (id integer PRIMARY KEY, author_id integer{}); \
             CREATE TABLE tags (id integer PRIMARY KEY); \
             CREATE TABLE tag_links (id integer PRIMARY KEY, tag_id integer{}); \
             INSERT INTO authors VALUES (1, 'Ann'), (2, 'Bo'); \
             INSERT INTO books VALUES (1, 1), (2, 2); \
             INSERT INTO tags VALUES (1); \
             INSERT INTO tag_links VALUES (1, 1)",
            inline_key("author_id", "authors"),
            inline_key("tag_id", "tags"),
        ))
        .await;
        if postgres {
            db.execute(
                "ALTER TABLE books ADD CONSTRAINT books_author FOREIGN KEY (author_id) \
                   REFERENCES authors (id) NOT VALID; \
                 ALTER TABLE tag_links ADD CONSTRAINT tag_links_tag FOREIGN KEY (tag_id) \
                   REFERENCES tags (id) NOT VALID",
            )
            .await;
        }
        // Broken before any run, in a table no migration below names.
        with_checks_off(&db, "INSERT INTO tag_links VALUES (2, 77)").await;
        let conn = db.connect().await;
        let everything = validate::validate(&conn, &Scope::All).await.unwrap();
        assert_eq!(
            problems_of(&everything.failures, "tag_links").len(),
            1,
            "{name}: {everything:?}"
        );

        // A generated-style migration that rewrites a key of `authors`.
        let text = migration_text(
            r#"        manager
            .exec_stmt(
                Query::update()
                    .table("authors")
                    .value("id", 20)
                    .and_where(Expr::col("id").eq(2))
                    .to_owned(),
            )
            .await?;"#,
        );
        let facts = [facts_of("m20261202_000001_renumber", &text)];
        let reach = validate::reach(&facts, &["m20261202_000001_renumber"]);
        assert!(
            matches!(&reach, Reach::Names(n) if n.contains("authors")),
            "{reach:?}"
        );
        let run = RunValidation::start(&conn, reach).await.unwrap();
        let expected: std::collections::BTreeSet<String> =
            ["authors", "books"].map(String::from).into();
        assert_eq!(run.scope(), &Scope::Tables(expected), "{name}");
        assert!(
            run.before().failures.is_empty() && run.before().tables == 2,
            "{name}: tag_links is not checked: {:?}",
            run.before()
        );
        with_checks_off(&db, "UPDATE authors SET id = 20 WHERE id = 2").await;
        let after = run.finish(&conn).await.unwrap();
        assert_eq!(after.tables, 2, "{name}: {after:?}");
        let books = problems_of(&after.failures, "books");
        assert!(
            after.failures.len() == 1
                && books.len() == 1
                && books[0].kind == Kind::ForeignKey
                && books[0].sample == ["author_id=2"],
            "{name}: the orphaned book is this run's failure: {after:?}"
        );
        assert!(
            after.preexisting.is_empty(),
            "{name}: tag_links is not reported: {after:?}"
        );

        // Raw SQL: the file cannot say what it touches, so every table is checked; what it
        // breaks in a table no name says is caught, and what was broken before is listed.
        let text = migration_text(
            r#"        manager
            .get_connection()
            .execute_unprepared("INSERT INTO tag_links VALUES (3, 88)")
            .await?;"#,
        );
        let facts = [facts_of("m20261202_000002_raw", &text)];
        let reach = validate::reach(&facts, &["m20261202_000002_raw"]);
        assert_eq!(
            reach,
            Reach::Any {
                migration: "m20261202_000002_raw".into()
            }
        );
        let run = RunValidation::start(&conn, reach).await.unwrap();
        assert_eq!(run.scope(), &Scope::All, "{name}");
        with_checks_off(&db, "INSERT INTO tag_links VALUES (3, 88)").await;
        let after = run.finish(&conn).await.unwrap();
        assert_eq!(after.tables, 4, "{name}: {after:?}");
        let new = problems_of(&after.failures, "tag_links");
        assert!(
            after.failures.len() == 1
                && new.len() == 1
                && new[0].sample.contains(&"tag_id=88".to_string()),
            "{name}: the new orphan is this run's failure: {after:?}"
        );
        assert!(
            problems_of(&after.preexisting, "books").len() == 1,
            "{name}: the book orphaned before this run is listed: {after:?}"
        );
        conn.close().await.unwrap();
    }
}
