//! Branches of the history: each migration names its parents (`//! after:`) and the state it
//! leaves (`//! state:`); two heads (two migrations written after the same one, as after merging
//! two git branches) stop `makemigrations` and `migrate` and are a `check` finding;
//! `makemigrations --merge` joins independent branches (asked for, or `--yes`) and refuses
//! overlapping ones naming the objects; `showmigrations --graph` draws it; a late migration on an
//! independent branch applies without `--allow-out-of-order`, a dependent one does not. The real
//! binary, on every enabled backend (docs/guide.md, "Branches").

mod support;

use support::{Backend, Output, TestProject};

/// Branch one: a data step on `products`, applied first on every database.
const PRODUCTS: &str = "m20990102_000000_products_step";
/// Branch two, merged later with an older name: a data step on `categories`.
const CATEGORIES: &str = "m20990101_000000_categories_step";
/// Written after CATEGORIES, older than PRODUCTS, and on `products` too.
const PRODUCTS_LATE: &str = "m20990101_500000_products_late";
/// A merge written by hand, without the check `--merge` makes.
const HAND_MERGE: &str = "m20990104_000000_hand_merge";

/// A data step as `makemigrations --empty` would be filled in: sea-query only, so the build
/// script can read which tables it names.
fn data_step(name: &str, after: &str, table: &str) -> String {
    format!(
        r#"//! Migration `{name}`.
//!
//! A data step written by hand.
//!
//! after: {after}

use makemigrations::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {{
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {{
        manager
            .exec_stmt(
                Query::update()
                    .table("{table}")
                    .value("name", "renamed")
                    .and_where(Expr::col("name").eq("{name}"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }}

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {{
        let _ = manager;
        Ok(())
    }}
}}
"#
    )
}

fn expect(out: &Output, code: i32, parts: &[&str], what: &str) {
    assert_eq!(out.code, Some(code), "{what}: exit code\n{}", out.text);
    for part in parts {
        assert!(
            out.text.contains(part),
            "{what}: no {part:?} in\n{}",
            out.text
        );
    }
}

/// The lines of `showmigrations --graph` under the folder's line, with the applied times left
/// out.
fn graph(project: &TestProject, db: &Backend) -> Vec<String> {
    let out = project.run(db, &["showmigrations", "--graph"]);
    assert!(out.success, "{}", out.text);
    out.text
        .lines()
        .skip_while(|l| !l.ends_with("migrations:"))
        .skip(1)
        .map(|line| match (line.find("(applied "), line.find(')')) {
            (Some(start), Some(end)) if end > start => {
                format!("{}(applied){}", &line[..start], &line[end + 1..])
            }
            _ => line.to_string(),
        })
        .collect()
}

fn source(project: &TestProject, name: &str) -> String {
    std::fs::read_to_string(
        project
            .crates()
            .join(format!("migration/src/migrations/{name}.rs")),
    )
    .unwrap()
}

/// The value of a `//! key: value` line of a migration file.
fn marker(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("//! {key}: ")))
        .unwrap_or_else(|| panic!("no //! {key}: line in\n{text}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn branches_are_found_merged_when_independent_and_refused_when_not() {
    let backends = support::enabled_backends().await;
    let project = TestProject::with_initial_migration(&backends[0]);
    let initial = project.migration_files()[0]
        .trim_end_matches(".rs")
        .to_string();
    let initial_text = source(&project, &initial);
    // The first migration has no parent; its state is the snapshot's hash.
    assert_eq!(marker(&initial_text, "after"), "(none)");
    assert!(marker(&initial_text, "state").starts_with("sha256:"));

    // One branch, applied everywhere.
    project.write_migrations(&[(PRODUCTS, data_step(PRODUCTS, &initial, "products"))]);
    project.build();
    for db in &backends {
        expect(
            &project.run(db, &["migrate"]),
            0,
            &["Applying 2 migration(s)"],
            db.name(),
        );
    }

    // The other branch arrives from a git merge: written after the same migration, older name.
    project.write_migrations(&[(CATEGORIES, data_step(CATEGORIES, &initial, "categories"))]);
    project.build();
    let files_before = project.migration_files();
    for db in &backends {
        let name = db.name();
        let fork = [
            format!("the history has 2 heads: it forked after {initial}"),
            format!("branch {CATEGORIES}: {CATEGORIES}"),
            format!("branch {PRODUCTS}: {PRODUCTS}"),
            "fix: run `makemigrations --merge`".to_string(),
        ];
        let fork: Vec<&str> = fork.iter().map(String::as_str).collect();
        expect(
            &project.run(db, &["makemigrations", "--no-input"]),
            2,
            &fork,
            name,
        );
        expect(&project.run(db, &["migrate"]), 2, &fork, name);
        let check = project.run(db, &["check"]);
        expect(
            &check,
            6,
            &[&format!(
                "Multiple heads: the history forked after {initial} into {CATEGORIES} ({CATEGORIES}) and {PRODUCTS} ({PRODUCTS}); run `makemigrations --merge`"
            )],
            name,
        );
        // Late, but on a branch that touches other tables than the newer applied one.
        assert!(
            !check.text.contains("Out of order"),
            "{name}: {}",
            check.text
        );
        let json = project.run(db, &["check", "--format", "json"]);
        let report: serde_json::Value = serde_json::from_str(&json.text).unwrap();
        let kinds: Vec<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            ["pending", "multiple_heads"],
            "{name}: {}",
            json.text
        );
        assert_eq!(
            graph(&project, db),
            [
                format!(" * [X] {initial}  (applied)"),
                " |\\".to_string(),
                format!(" * | [ ] {CATEGORIES}  (head)"),
                // CATEGORIES's lane ends there: nothing comes after it.
                format!("   * [X] {PRODUCTS}  (applied)  (head)"),
            ],
            "{name}"
        );
        // Without a terminal the question is not asked: exit 3, the flag named, nothing written.
        expect(
            &project.run(db, &["makemigrations", "--merge", "--no-input"]),
            3,
            &[
                &format!("merging {CATEGORIES} and {PRODUCTS} writes a migration"),
                "fix: run `makemigrations --merge --yes`",
            ],
            name,
        );
        assert_eq!(project.migration_files(), files_before, "{name}");
    }

    // At a terminal it asks; no writes nothing.
    #[cfg(unix)]
    {
        use rexpect::process::wait::WaitStatus;
        let command = project.command(&backends[0], &["makemigrations", "--merge"]);
        let mut session = rexpect::session::spawn_command(command, Some(60_000)).unwrap();
        session
            .exp_string(&format!("Merge {CATEGORIES} and {PRODUCTS}? [y/N]"))
            .unwrap();
        session.send_line("n").unwrap();
        session.exp_string("Nothing written.").unwrap();
        assert_eq!(
            session.process.wait().unwrap(),
            WaitStatus::Exited(session.process.child_pid, 1)
        );
        assert_eq!(project.migration_files(), files_before);
    }

    // As git leaves it after merging two branches that both changed it: `--merge` writes it again.
    let snapshot_path = project.crates().join("migration/src/schema.snapshot");
    let merged_text = std::fs::read_to_string(&snapshot_path).unwrap();
    std::fs::write(
        &snapshot_path,
        format!("<<<<<<< HEAD\n{merged_text}=======\n{merged_text}>>>>>>> other\n"),
    )
    .unwrap();
    let out = project.run(&backends[0], &["makemigrations", "--merge", "--yes"]);
    assert!(
        !std::fs::read_to_string(&snapshot_path)
            .unwrap()
            .contains("<<<<<<<"),
        "--merge left the conflict markers"
    );
    expect(
        &out,
        0,
        &[
            &format!("The history forked after {initial}:"),
            "They change different tables and enum types",
            &format!("(merges {CATEGORIES} and {PRODUCTS})"),
        ],
        "merge",
    );
    let merge = project
        .migration_files()
        .last()
        .unwrap()
        .trim_end_matches(".rs")
        .to_string();
    assert!(
        merge.ends_with("_merge") && merge.as_str() > PRODUCTS,
        "{merge}"
    );
    let merge_text = source(&project, &merge);
    assert_eq!(
        marker(&merge_text, "after"),
        format!("{CATEGORIES}, {PRODUCTS}")
    );
    // Neither branch changes the schema: the merged history leaves the first one's state.
    assert_eq!(marker(&merge_text, "state"), marker(&initial_text, "state"));
    project.build();
    for db in &backends {
        let name = db.name();
        assert_eq!(
            graph(&project, db),
            [
                format!(" * [X] {initial}  (applied)"),
                " |\\".to_string(),
                format!(" * | [ ] {CATEGORIES}"),
                format!(" | * [X] {PRODUCTS}  (applied)"),
                " |/".to_string(),
                format!(" * [ ] {merge}  (head)"),
            ],
            "{name}"
        );
        // The late migration is independent of the newer applied one: no flag needed.
        let out = project.run(db, &["migrate"]);
        expect(
            &out,
            0,
            &["Applying 2 migration(s)", CATEGORIES, &merge],
            name,
        );
        expect(&project.run(db, &["check"]), 0, &["OK"], name);
    }

    // A branch written after CATEGORIES that changes `products`, as PRODUCTS did.
    project.write_migrations(&[(
        PRODUCTS_LATE,
        data_step(PRODUCTS_LATE, CATEGORIES, "products"),
    )]);
    project.build();
    let files_before = project.migration_files();
    for db in &backends {
        let name = db.name();
        expect(
            &project.run(db, &["makemigrations", "--merge", "--yes"]),
            2,
            &[
                &format!(
                    "the branches ending in {PRODUCTS_LATE} and {merge} change the same objects"
                ),
                &format!("products: changed by {PRODUCTS_LATE} and by {PRODUCTS}"),
                "fix: make the history one line by hand",
            ],
            name,
        );
        assert_eq!(project.migration_files(), files_before, "{name}");
    }

    // Merged by hand anyway: `migrate` refuses the late migration, naming the overlap.
    let hand_merge = data_step(
        HAND_MERGE,
        &format!("{merge}, {PRODUCTS_LATE}"),
        "categories",
    );
    project.write_migrations(&[(HAND_MERGE, hand_merge)]);
    project.build();
    for db in &backends {
        let name = db.name();
        expect(
            &project.run(db, &["migrate"]),
            6,
            &[
                &format!("out of order: {PRODUCTS_LATE} is pending but older than {merge}"),
                &format!("products: changed by {PRODUCTS_LATE} and by {PRODUCTS}"),
            ],
            name,
        );
        expect(
            &project.run(db, &["check"]),
            6,
            &[&format!("Out of order: {PRODUCTS_LATE} is pending")],
            name,
        );
        expect(
            &project.run(db, &["migrate", "--allow-out-of-order"]),
            0,
            &["Applying 2 migration(s)"],
            name,
        );
    }
}
