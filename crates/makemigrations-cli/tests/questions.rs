//! The question contract through the real binary: without a terminal an open question stops
//! `makemigrations` with exit 3 and nothing written; flags, an answers file and a terminal give
//! the same answers; and the answered migrations keep the rows, on every enabled backend (the
//! files are generated on a server backend when one is enabled, and applied on all).

mod support;

use sea_orm::ConnectionTrait;
use support::{Backend, TestProject};

/// One value of `SELECT expr FROM table` as text, on any backend.
async fn value(backend: &Backend, table: &str, column: &str) -> String {
    let db = backend.connect().await;
    let cast = match backend {
        Backend::MySql { .. } => format!("CAST(`{column}` AS CHAR)"),
        _ => format!("CAST(\"{column}\" AS TEXT)"),
    };
    let quoted = match backend {
        Backend::MySql { .. } => format!("`{table}`"),
        _ => format!("\"{table}\""),
    };
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT {cast} AS v FROM {quoted}"),
        ))
        .await
        .unwrap_or_else(|e| panic!("{}: reading {table}.{column}: {e}", backend.name()))
        .unwrap_or_else(|| panic!("{}: {table} has no row", backend.name()));
    db.close().await.unwrap();
    row.try_get::<String>("", "v").unwrap()
}

fn assert_ok(out: &support::Output, what: &str) {
    assert!(out.success, "{what}:\n{}", out.text);
}

/// Generates with `args` on `generator`, then migrates every backend and checks that each is
/// converged.
fn generate_and_apply(
    project: &TestProject,
    backends: &[Backend],
    generator: &Backend,
    args: &[&str],
) -> String {
    let mut full = vec!["makemigrations", "--no-input"];
    full.extend_from_slice(args);
    let out = project.run(generator, &full);
    assert_ok(&out, &format!("makemigrations {args:?}"));
    project.build();
    migrate_everywhere(project, backends);
    out.text
}

/// `migrate` on every backend, each then converged with the entities.
fn migrate_everywhere(project: &TestProject, backends: &[Backend]) {
    for backend in backends {
        let out = project.run(backend, &["migrate"]);
        assert_ok(&out, &format!("migrate on {}", backend.name()));
        let again = project.run(backend, &["makemigrations", "--check"]);
        assert!(
            again.success && again.text.contains("No changes detected"),
            "{} is not converged:\n{}",
            backend.name(),
            again.text
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn answered_questions_keep_the_rows_on_every_backend() {
    let backends = support::enabled_backends().await;
    let generator = &backends[support::position(&backends, "postgres")
        .or_else(|| support::position(&backends, "mysql"))
        .unwrap_or(0)];
    let project = TestProject::new();
    project.build();
    let out = project.run(generator, &["makemigrations"]);
    assert_ok(&out, "initial makemigrations");
    project.build();
    let mut fingerprints = Vec::new();
    for backend in &backends {
        assert_ok(&project.run(backend, &["migrate"]), "initial migrate");
        backend.seed().await;
        backend.execute("UPDATE users SET bio = 'Hello'").await;
        backend
            .execute("UPDATE orders SET status = 'shipped'")
            .await;
        fingerprints.push(vec![backend.schema_fingerprint().await]);
    }

    // A renamed column and two NOT NULL columns on tables with rows: without answers the
    // command stops with exit 3, lists every question with its flags and writes nothing.
    project.edit_entity(
        "users.rs",
        "pub bio: Option<String>",
        "pub about: Option<String>",
    );
    project.edit_entity(
        "users.rs",
        "pub display_name: String,",
        "pub display_name: String,\n    pub country: String,",
    );
    project.edit_entity(
        "products.rs",
        "pub is_available: bool,",
        "pub is_available: bool,\n    pub stock: i32,",
    );
    project.build();
    let files = project.migration_files();
    for args in [
        &["makemigrations"][..],
        &["makemigrations", "--no-input"],
        &["makemigrations", "--check"],
        &["makemigrations", "--dry-run"],
    ] {
        let out = project.run(generator, args);
        assert_eq!(out.code, Some(3), "{args:?}:\n{}", out.text);
        for flag in [
            "--rename users.bio=about",
            "--no-rename users.bio",
            "--default users.country=VALUE",
            "--backfill products.stock",
            "users has 1 row",
        ] {
            assert!(
                out.text.contains(flag),
                "{args:?} lacks {flag}:\n{}",
                out.text
            );
        }
    }
    // The same for programs: the error's stable code and the open questions, as JSON.
    let out = project.run(generator, &["makemigrations", "--format", "json"]);
    assert_eq!(out.code, Some(3), "{}", out.text);
    let error: serde_json::Value =
        serde_json::from_str(out.text.lines().next().unwrap()).expect("the error is JSON");
    assert_eq!(
        error["error"]["code"], "unanswered_questions",
        "{}",
        out.text
    );
    assert_eq!(
        error["questions"].as_array().map(Vec::len),
        Some(3),
        "{}",
        out.text
    );

    // A one-off value that is not a literal of the column's type is refused before anything.
    let out = project.run(
        generator,
        &[
            "makemigrations",
            "--rename",
            "users.bio=about",
            "--default",
            "users.country=abc",
            "--backfill",
            "products.stock",
        ],
    );
    assert_eq!(out.code, Some(2), "{}", out.text);
    assert!(
        out.text.contains("text is quoted in SQL, like 'abc'"),
        "{}",
        out.text
    );
    assert_eq!(
        project.migration_files(),
        files,
        "a refused run wrote a file"
    );

    // The plan for programs: the questions by id, and the hash their answers must carry.
    let out = project.run(generator, &["makemigrations", "--plan", "--format", "json"]);
    assert_ok(&out, "--plan --format json");
    let plan: serde_json::Value = serde_json::from_str(&out.text).expect("the plan is JSON");
    let ids: Vec<&str> = plan["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "rename_column:users.bio:about",
            "not_null:products.stock",
            "not_null:users.country"
        ]
    );
    let answers_file = project.path().join("answers.json");
    let answers = |hash: &str| {
        serde_json::json!({
            "schema_hash": hash,
            "answers": {
                "rename_column:users.bio:about": {"choice": "rename"},
                "not_null:users.country": {"choice": "default", "value": "'XX'"},
                "not_null:products.stock": {"choice": "backfill"},
            }
        })
        .to_string()
    };
    std::fs::write(&answers_file, answers("0000")).unwrap();
    let answers_arg = answers_file.display().to_string();
    let out = project.run(
        generator,
        &[
            "makemigrations",
            "--plan",
            "--format",
            "json",
            "--answers",
            &answers_arg,
        ],
    );
    assert_eq!(out.code, Some(2), "{}", out.text);
    assert!(
        out.text.contains("\"code\":\"stale_answers\""),
        "{}",
        out.text
    );
    std::fs::write(
        &answers_file,
        answers(plan["schema_hash"].as_str().unwrap()),
    )
    .unwrap();
    let out = generate_and_apply_with_backfill(&project, &backends, generator, &answers_arg);
    assert!(out.contains("~ Rename column users.bio to about"), "{out}");
    for backend in &backends {
        assert_eq!(
            value(backend, "users", "about").await,
            "Hello",
            "{}",
            backend.name()
        );
        assert_eq!(
            value(backend, "users", "country").await,
            "XX",
            "{}",
            backend.name()
        );
        assert_eq!(
            value(backend, "products", "stock").await,
            "7",
            "{}",
            backend.name()
        );
        backend.assert_seed_intact().await;
    }
    for (i, backend) in backends.iter().enumerate() {
        fingerprints[i].push(backend.schema_fingerprint().await);
    }

    // A table renamed, with a foreign key pointing at it, answered with a flag.
    project.edit_entity(
        "products.rs",
        "#[sea_orm(table_name = \"products\")]",
        "#[sea_orm(table_name = \"items\")]",
    );
    project.build();
    let out = project.run(generator, &["makemigrations", "--no-input"]);
    assert_eq!(out.code, Some(3), "{}", out.text);
    assert!(
        out.text.contains("--rename-table products=items"),
        "{}",
        out.text
    );
    let out = generate_and_apply(
        &project,
        &backends,
        generator,
        &["--rename-table", "products=items"],
    );
    assert!(out.contains("~ Rename table products to items"), "{out}");
    assert!(!out.contains("Drop table"), "{out}");
    for (i, backend) in backends.iter().enumerate() {
        assert_eq!(value(backend, "items", "name").await, "Dune");
        fingerprints[i].push(backend.schema_fingerprint().await);
    }

    // A table rename declared beside the entity needs no answer either.
    project.edit_entity(
        "products.rs",
        "#[sea_orm(table_name = \"items\")]",
        "#[sea_orm(table_name = \"goods\")]",
    );
    project.edit_entity(
        "products.rs",
        "use sea_orm::entity::prelude::*;",
        "use sea_orm::entity::prelude::*;\n\npub const TABLE_RENAMED_FROM: &str = \"items\";",
    );
    project.build();
    let out = generate_and_apply(&project, &backends, generator, &[]);
    assert!(out.contains("~ Rename table items to goods"), "{out}");
    for (i, backend) in backends.iter().enumerate() {
        assert_eq!(value(backend, "goods", "name").await, "Dune");
        fingerprints[i].push(backend.schema_fingerprint().await);
    }

    // A column rename declared in the entity needs no answer.
    project.edit_entity(
        "users.rs",
        "pub about: Option<String>",
        "#[sea_orm(renamed_from = \"about\")]\n    pub biography: Option<String>",
    );
    project.build();
    generate_and_apply(&project, &backends, generator, &[]);
    for (i, backend) in backends.iter().enumerate() {
        assert_eq!(value(backend, "users", "biography").await, "Hello");
        fingerprints[i].push(backend.schema_fingerprint().await);
    }

    // A column renamed, answered with a flag.
    project.edit_entity(
        "users.rs",
        "pub display_name: String,",
        "pub full_name: String,",
    );
    project.build();
    let out = generate_and_apply(
        &project,
        &backends,
        generator,
        &["--rename", "users.display_name=full_name"],
    );
    assert!(
        out.contains("~ Rename column users.display_name to full_name"),
        "{out}"
    );
    for (i, backend) in backends.iter().enumerate() {
        assert_eq!(value(backend, "users", "full_name").await, "Ada");
        fingerprints[i].push(backend.schema_fingerprint().await);
    }

    // An enum value replaced: the rows that held it get the answer (SQLite stores enums as
    // text and sees no change, so the step needs a generator that sees enums).
    if generator.name() != "sqlite" {
        project.edit_entity(
            "sea_orm_active_enums.rs",
            "#[sea_orm(string_value = \"shipped\")]",
            "#[sea_orm(string_value = \"dispatched\")]",
        );
        project.build();
        let out = project.run(generator, &["makemigrations", "--no-input"]);
        assert_eq!(out.code, Some(3), "{}", out.text);
        assert!(
            out.text
                .contains("--replace-enum-value order_status.shipped=VALUE"),
            "{}",
            out.text
        );
        generate_and_apply(
            &project,
            &backends,
            generator,
            &["--replace-enum-value", "order_status.shipped=dispatched"],
        );
        for (i, backend) in backends.iter().enumerate() {
            assert_eq!(value(backend, "orders", "status").await, "dispatched");
            fingerprints[i].push(backend.schema_fingerprint().await);
        }
    }

    // Each backend rolls back every step and comes back to the schema it had, with the data of
    // the renamed columns and tables back under their old names.
    for (i, backend) in backends.iter().enumerate() {
        for k in (0..fingerprints[i].len() - 1).rev() {
            let out = project.run(backend, &["rollback", "--force"]);
            assert_ok(&out, &format!("rollback on {}", backend.name()));
            similar_asserts::assert_eq!(
                fingerprints[i][k].join("\n"),
                backend.schema_fingerprint().await.join("\n"),
                "{}: rollback of step {} did not restore the schema",
                backend.name(),
                k + 1
            );
        }
        assert_eq!(value(backend, "users", "bio").await, "Hello");
        assert_eq!(value(backend, "users", "display_name").await, "Ada");
        assert_eq!(value(backend, "products", "name").await, "Dune");
        backend.assert_seed_intact().await;
    }
}

/// Answers from a file; the backfill step is then written by hand (as the user would), since
/// `migrate` refuses the placeholder.
fn generate_and_apply_with_backfill(
    project: &TestProject,
    backends: &[Backend],
    generator: &Backend,
    answers: &str,
) -> String {
    let out = project.run(
        generator,
        &["makemigrations", "--no-input", "--answers", answers],
    );
    assert_ok(&out, "makemigrations --answers");
    assert!(project
        .newest_migration_source()
        .contains("todo_backfill(\"products\", \"stock\")?;"));
    project.build();
    let refused = project.run(&backends[0], &["migrate"]);
    assert_eq!(refused.code, Some(2), "{}", refused.text);
    assert!(refused.text.contains("todo_backfill"), "{}", refused.text);
    project.edit_newest_migration(
        "todo_backfill(\"products\", \"stock\")?;",
        "manager.get_connection().execute_unprepared(\"UPDATE products SET stock = 7\").await?;",
    );
    project.build();
    migrate_everywhere(project, backends);
    out.text
}
