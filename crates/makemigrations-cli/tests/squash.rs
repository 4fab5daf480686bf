//! `squashmigrations FROM TO`: a range folded into one migration that replaces it, with the real
//! binary on every enabled backend. The add-then-drop pair and the two alters of one column are
//! not in the squashed file; databases before, inside and at the end of the range all reach the
//! same schema as a fresh one; rollback works in both shapes; bad ranges and data steps are
//! refused with nothing written (docs/guide.md, "Squashing migrations").

mod support;

use support::{Backend, TestProject};

const NOTES: &str = "m20990101_000000_notes";
const ADD_DRAFT: &str = "m20990102_000000_add_draft";
const WIDEN_TITLE: &str = "m20990103_000000_widen_title";
const DROP_DRAFT: &str = "m20990104_000000_drop_draft";
const WIDEN_AGAIN: &str = "m20990105_000000_widen_title_again";
const TAGS: &str = "m20990106_000000_tags";
const NAME_TAGS: &str = "m20990107_000000_name_tags";
const SQUASHED: &str = "m20990105_000001_squashed_add_draft_to_widen_title_again";

/// A migration as makemigrations writes one: `up` and `down` bodies.
fn generated(up: &str, down: &str) -> String {
    support::migration_source(
        &format!("{up}\n        Ok(())"),
        &format!("{down}\n        Ok(())"),
    )
}

fn title(len: u32) -> String {
    format!("ColumnDef::new(\"title\").string_len({len}).not_null()")
}

fn history() -> Vec<(&'static str, String)> {
    let alter = |from: u32, to: u32| {
        generated(
            &format!(
                "        // ~ Alter column notes.title\n        alter_column(manager, \"notes\", {}, {}).await?;",
                title(from),
                title(to)
            ),
            &format!(
                "        // ~ Alter column notes.title\n        alter_column(manager, \"notes\", {}, {}).await?;",
                title(to),
                title(from)
            ),
        )
    };
    let draft = "ColumnDef::new(\"draft\").text().null()";
    vec![
        (
            NOTES,
            generated(
                &format!(
                    "        // + Create table notes\n        manager.create_table(Table::create().table(\"notes\")\
                     .col(ColumnDef::new(\"id\").integer().not_null().auto_increment().primary_key())\
                     .col({}).to_owned()).await?;",
                    title(100)
                ),
                "        // - Drop table notes\n        // ! Cannot restore notes's rows\n        manager.drop_table(Table::drop().table(\"notes\").to_owned()).await?;",
            ),
        ),
        (
            ADD_DRAFT,
            generated(
                &format!("        // + Add column notes.draft\n        add_column(manager, \"notes\", {draft}).await?;"),
                "        // - Drop column notes.draft\n        // ! Cannot restore notes.draft's data\n        drop_column(manager, \"notes\", \"draft\").await?;",
            ),
        ),
        (WIDEN_TITLE, alter(100, 200)),
        (
            DROP_DRAFT,
            generated(
                "        // ! Drop column notes.draft: the data of notes.draft is lost\n        drop_column(manager, \"notes\", \"draft\").await?;",
                &format!("        // + Add column notes.draft\n        add_column(manager, \"notes\", {draft}).await?;"),
            ),
        ),
        (WIDEN_AGAIN, alter(200, 300)),
        (
            TAGS,
            generated(
                "        // + Create table tags\n        manager.create_table(Table::create().table(\"tags\")\
                 .col(ColumnDef::new(\"id\").integer().not_null().auto_increment().primary_key())\
                 .col(ColumnDef::new(\"name\").string_len(50).null()).to_owned()).await?;",
                "        // - Drop table tags\n        manager.drop_table(Table::drop().table(\"tags\").to_owned()).await?;",
            ),
        ),
        (
            NAME_TAGS,
            generated(
                "        // A data step.\n        manager.exec_stmt(Query::update().table(\"tags\").value(\"name\", Expr::cust(\"'n/a'\")).and_where(Expr::col(\"name\").is_null()).to_owned()).await?;",
                "        // A data step.\n        manager.exec_stmt(Query::update().table(\"tags\").value(\"name\", Expr::cust(\"NULL\")).and_where(Expr::col(\"name\").eq(\"n/a\")).to_owned()).await?;",
            ),
        ),
    ]
}

fn squashed_path(project: &TestProject) -> std::path::PathBuf {
    project
        .crates()
        .join("migration/src/migrations")
        .join(format!("{SQUASHED}.rs"))
}

/// Every backend's databases: `(fresh, before the range, inside it, at its end)`.
async fn databases() -> Vec<[Backend; 4]> {
    let mut sets: Vec<Vec<Backend>> = Vec::new();
    for _ in 0..4 {
        sets.push(support::enabled_backends().await);
    }
    let [a, b, c, d]: [Vec<Backend>; 4] = sets.try_into().unwrap_or_else(|_| unreachable!());
    a.into_iter()
        .zip(b)
        .zip(c)
        .zip(d)
        .map(|(((a, b), c), d)| [a, b, c, d])
        .collect()
}

fn assert_refused(out: &support::Output, what: &str) {
    assert_eq!(out.code, Some(2), "{what}:\n{}", out.text);
    assert!(out.text.contains("error: "), "{what}:\n{}", out.text);
    assert!(out.text.contains("\n  fix: "), "{what}:\n{}", out.text);
    assert!(
        out.text.contains("nothing was written"),
        "{what}:\n{}",
        out.text
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_squashed_range_migrates_databases_at_every_point_of_it() {
    let project = TestProject::new();
    project.write_migrations(&history());
    project.build();
    let all = databases().await;
    for [_, start, middle, end] in &all {
        for (db, target) in [(start, NOTES), (middle, WIDEN_TITLE), (end, WIDEN_AGAIN)] {
            let out = project.run(db, &["migrate", target]);
            assert!(
                out.success,
                "{}: migrate {target}:\n{}",
                db.name(),
                out.text
            );
        }
    }
    let files_before = project.migration_files();
    for [fresh, ..] in &all {
        let name = fresh.name();
        // Refusals: nothing written, exit 2, the problem and the fix.
        let reversed = project.run(fresh, &["squashmigrations", WIDEN_AGAIN, ADD_DRAFT]);
        assert_refused(&reversed, "FROM after TO");
        assert!(
            reversed.text.contains("FROM must be the older"),
            "{}",
            reversed.text
        );
        let unknown = project.run(fresh, &["squashmigrations", "m1999", WIDEN_AGAIN]);
        assert_eq!(unknown.code, Some(2), "{name}: {}", unknown.text);
        assert!(
            unknown.text.contains("no migration matches `m1999`"),
            "{}",
            unknown.text
        );
        let data = project.run(fresh, &["squashmigrations", TAGS, NAME_TAGS]);
        assert_refused(&data, "a data step");
        assert!(
            data.text.contains(&format!("{NAME_TAGS}.rs:")),
            "{name}: the data step's file and line:\n{}",
            data.text
        );
        // What it would write, from this backend.
        let dry = project.run(
            fresh,
            &["squashmigrations", ADD_DRAFT, WIDEN_AGAIN, "--dry-run"],
        );
        assert!(dry.success, "{name}: --dry-run:\n{}", dry.text);
        let file = dry
            .text
            .split_once(".rs:\n")
            .map(|(_, f)| f)
            .unwrap_or_default();
        assert!(
            !file.contains("\"draft\""),
            "{name}: the add-then-drop pair is gone:\n{file}"
        );
        // The same file from every backend.
        insta::assert_snapshot!("squashed_file", file);
        assert_eq!(
            project.migration_files(),
            files_before,
            "{name}: --dry-run wrote nothing"
        );
        assert_eq!(
            support::table_names(fresh).await,
            Vec::<String>::new(),
            "{name}: no table"
        );
    }

    // Written from the first backend (SQLite), and applied everywhere: files are portable.
    let out = project.run(&all[0][0], &["squashmigrations", ADD_DRAFT, WIDEN_AGAIN]);
    assert!(out.success, "{}", out.text);
    assert!(squashed_path(&project).exists(), "{}", out.text);
    assert!(out.text.contains("Squashed 4 migrations"), "{}", out.text);
    project.build();

    for [fresh, start, middle, end] in &all {
        let name = fresh.name();
        let check = project.run(fresh, &["squashmigrations", "--check"]);
        assert!(
            check.success,
            "{name}: squashmigrations --check:\n{}",
            check.text
        );
        for db in [fresh, start, middle, end] {
            let out = project.run(db, &["migrate"]);
            assert!(out.success, "{name}: migrate:\n{}", out.text);
        }
        let expected = fresh.schema_fingerprint().await;
        for (db, point) in [
            (start, "before"),
            (middle, "inside"),
            (end, "at the end of"),
        ] {
            assert_eq!(
                db.schema_fingerprint().await,
                expected,
                "{name}: a database {point} the range reaches the fresh schema"
            );
            let shown = project.run(db, &["showmigrations"]);
            assert!(
                shown.text.contains(&format!(" [X] {SQUASHED}")),
                "{name}, {point}:\n{}",
                shown.text
            );
            assert!(
                shown
                    .text
                    .contains(&format!(" [-] {WIDEN_TITLE}  (replaced by {SQUASHED}")),
                "{name}, {point}:\n{}",
                shown.text
            );
            // `check` says nothing of the replaced files: not pending, late or missing.
            let check = project.run(db, &["check"]);
            for replaced in [ADD_DRAFT, WIDEN_TITLE, DROP_DRAFT, WIDEN_AGAIN] {
                assert!(
                    !check.text.contains(replaced),
                    "{name}, {point}: check names {replaced}:\n{}",
                    check.text
                );
            }
        }
        // The migration ran whole on a fresh database, and only the record was written where the
        // range was applied.
        let fresh_log = project.run(fresh, &["history"]).text;
        assert!(!fresh_log.contains(WIDEN_TITLE), "{name}:\n{fresh_log}");
        assert!(
            fresh_log
                .lines()
                .any(|l| l.contains(SQUASHED) && l.contains("  up ")),
            "{name}: it ran:\n{fresh_log}"
        );
        let end_log = project.run(end, &["history"]).text;
        assert!(
            end_log
                .lines()
                .any(|l| l.contains(SQUASHED) && l.contains("  squashed  ok")),
            "{name}: it was recorded:\n{end_log}"
        );

        // Rollback past the squashed migration, in both shapes, then up again.
        for db in [start, end] {
            let out = project.run(db, &["rollback", "--to", NOTES]);
            assert!(out.success, "{name}: rollback --to {NOTES}:\n{}", out.text);
            assert!(out.text.contains(SQUASHED), "{}", out.text);
            let out = project.run(db, &["showmigrations"]);
            assert!(
                out.text.contains(&format!(" [ ] {WIDEN_TITLE}")),
                "{}",
                out.text
            );
            let out = project.run(db, &["migrate"]);
            assert!(out.success, "{name}: migrate again:\n{}", out.text);
            assert_eq!(db.schema_fingerprint().await, expected, "{name}");
        }
        // A point inside the range is no longer there once the squashed one is applied.
        let out = project.run(start, &["rollback", "--to", WIDEN_TITLE]);
        assert_eq!(out.code, Some(2), "{name}:\n{}", out.text);
        assert!(
            out.text.contains(&format!("replaced by {SQUASHED}")),
            "{}",
            out.text
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_range_crossing_a_baseline_or_a_squash_is_refused() {
    let project = TestProject::new();
    let mut migrations = history();
    migrations.truncate(3);
    // The first migration is an adopted database's baseline.
    migrations[0].1 = format!(
        "//! Migration `{NOTES}`.\n//!\n//! baseline: the tables of the database this project adopted.\n{}",
        migrations[0].1
    );
    project.write_migrations(&migrations);
    project.build();
    let db = Backend::sqlite();
    let files = project.migration_files();
    let out = project.run(&db, &["squashmigrations", NOTES, WIDEN_TITLE]);
    assert_refused(&out, "a baseline");
    assert!(
        out.text.contains(&format!("{NOTES} is a baseline")),
        "{}",
        out.text
    );
    assert!(
        out.text.contains(&format!("starts after {NOTES}")),
        "{}",
        out.text
    );
    let one = project.run(&db, &["squashmigrations", ADD_DRAFT, ADD_DRAFT]);
    assert_refused(&one, "a range of one");
    assert_eq!(project.migration_files(), files);
}
