//! `check` sets three things against each other: the entities, the schema snapshot (what the
//! migrations create) and the database. Through the real binary on every backend: an index made
//! by hand is drift (exit 11), a change the entities and the database share but no migration makes
//! is noted, an entity change without a migration is one (exit 1) even while migrations
//! are pending (exit 10 alone). And two changes that SQLite stores alike, seen against the
//! snapshot: a column renamed and widened at once, and a text column made an enum.

mod support;

use support::{enabled_backends, Backend, TestProject};

fn json(text: &str) -> serde_json::Value {
    let start = text.find('{').expect(text);
    serde_json::from_str(&text[start..]).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn kinds(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect()
}

fn drop_index(backend: &Backend, name: &str) -> String {
    match backend {
        Backend::MySql { .. } => format!("DROP INDEX {name} ON categories"),
        _ => format!("DROP INDEX {name}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn check_tells_entity_changes_pending_migrations_and_drift_apart() {
    let backends = enabled_backends().await;
    let project = TestProject::with_initial_migration(&backends[0]);
    project.build();
    for backend in &backends {
        let name = backend.name();
        let out = project.run(backend, &["migrate"]);
        assert!(out.success, "{name}: {}", out.text);
        let out = project.run(backend, &["check"]);
        assert_eq!(out.code, Some(0), "{name}: {}", out.text);

        // An index made by hand: the entities agree with the snapshot, the database does not.
        backend
            .execute("CREATE INDEX by_hand ON categories (position)")
            .await;
        let out = project.run(backend, &["check"]);
        assert_eq!(out.code, Some(11), "{name}: {}", out.text);
        assert!(
            out.text.contains(
                "Drift: the database differs from what its migrations create (changed by hand?); the operations below would bring it back"
            ) && out.text.contains("by_hand")
                && out.text.contains("fix: undo the change in this database"),
            "{name}: {}",
            out.text
        );
        assert!(
            !out.text.contains("Entity changes with no migration"),
            "{name}: {}",
            out.text
        );
        let out = project.run(backend, &["check", "--format", "json"]);
        assert_eq!(out.code, Some(11), "{name}: {}", out.text);
        let report = json(&out.text);
        assert_eq!(kinds(&report), ["drift"], "{name}: {report}");
        assert_eq!(report["exit_code"], 11);
        assert!(
            report["drift"][0]["description"]
                .as_str()
                .unwrap()
                .contains("by_hand"),
            "{name}: {report}"
        );
        assert_eq!(report["operations"].as_array().unwrap().len(), 0);
        backend.execute(&drop_index(backend, "by_hand")).await;
    }

    // The entities index `position`; each database gets an index like it by hand.
    project.edit_entity(
        "categories.rs",
        "#[sea_orm(default_value = 0)]\n    pub position: i32,",
        "#[sea_orm(default_value = 0, indexed)]\n    pub position: i32,",
    );
    project.build();
    for backend in &backends {
        let name = backend.name();
        let out = project.run(backend, &["check"]);
        assert_eq!(out.code, Some(1), "{name}: {}", out.text);
        assert!(
            out.text
                .contains("Entity changes with no migration: run `makemigrations`")
                && out.text.contains("idx-categories-position"),
            "{name}: {}",
            out.text
        );
        assert!(!out.text.contains("Drift"), "{name}: {}", out.text);

        backend
            .execute("CREATE INDEX by_hand ON categories (position)")
            .await;
        // Only a note: a database built from the migrations shows it as an entity change.
        let out = project.run(backend, &["check"]);
        assert_eq!(out.code, Some(0), "{name}: {}", out.text);
        assert!(
            out.text.contains(
                "Note: the entities differ from the schema snapshot in what this database needs no operation for: the keys, indexes or comment of table categories"
            ),
            "{name}: {}",
            out.text
        );
        // `makemigrations` alone would never write it: the database has it already.
        let out = project.run(backend, &["makemigrations", "--check"]);
        assert_eq!(out.code, Some(0), "{name}: {}", out.text);
        backend.execute(&drop_index(backend, "by_hand")).await;
    }

    // A migration for the index, pending everywhere, and one more entity change after it.
    let sqlite = &backends[0];
    let out = project.run(sqlite, &["makemigrations", "-m", "index position"]);
    assert!(out.success, "{}", out.text);
    project.edit_entity(
        "categories.rs",
        "    pub position: i32,\n}",
        "    pub position: i32,\n    pub note: Option<String>,\n}",
    );
    project.build();
    for backend in &backends {
        let name = backend.name();
        let out = project.run(backend, &["check"]);
        // The entity change outranks the pending migration.
        assert_eq!(out.code, Some(1), "{name}: {}", out.text);
        assert!(
            out.text.contains("Pending migrations (1): run `migrate`")
                && out.text.contains(
                    "Entity changes with no migration: run `makemigrations` (after `migrate`)"
                )
                && out.text.contains("+  column note string() null"),
            "{name}: {}",
            out.text
        );
        let out = project.run(backend, &["check", "--format", "json"]);
        let report = json(&out.text);
        assert_eq!(
            kinds(&report),
            ["pending", "entity_changes"],
            "{name}: {report}"
        );
        assert_eq!(
            report["changed_objects"],
            serde_json::json!(["column categories.note"])
        );
        assert_eq!(report["entities_compared"], false);
    }

    // Without the second change, only the pending migration: exit 10.
    project.edit_entity("categories.rs", "    pub note: Option<String>,\n", "");
    project.build();
    for backend in &backends {
        let name = backend.name();
        let out = project.run(backend, &["check"]);
        assert_eq!(out.code, Some(10), "{name}: {}", out.text);
        let out = project.run(backend, &["migrate"]);
        assert!(out.success, "{name}: {}", out.text);
        let out = project.run(backend, &["check"]);
        assert_eq!(out.code, Some(0), "{name}: {}", out.text);
    }
}

/// A declared rename and an `i32 -> i64` change of the same column, made on SQLite (which stores
/// both widths alike): the snapshot knows the column by its old name, and the migration does both.
#[tokio::test(flavor = "multi_thread")]
async fn a_column_renamed_and_widened_on_sqlite_is_both_everywhere() {
    let backends = enabled_backends().await;
    let sqlite = &backends[0];
    let project = TestProject::with_initial_migration(sqlite);
    project.build();
    let out = project.run(sqlite, &["migrate"]);
    assert!(out.success, "{}", out.text);
    project.edit_entity(
        "categories.rs",
        "#[sea_orm(default_value = 0)]\n    pub position: i32,",
        "#[sea_orm(default_value = 0, renamed_from = \"position\")]\n    pub sort_order: i64,",
    );
    project.build();
    let out = project.run(
        sqlite,
        &["makemigrations", "--no-input", "-m", "sort order"],
    );
    assert!(out.success, "{}", out.text);
    assert!(
        out.text
            .contains("Rename column categories.position to sort_order")
            || out.text.contains("categories.position -> sort_order"),
        "{}",
        out.text
    );
    assert!(
        out.text
            .contains("declared integer() -> big_integer() (stored alike as integer)"),
        "{}",
        out.text
    );
    project.build();
    for backend in &backends {
        let name = backend.name();
        let out = project.run(backend, &["migrate"]);
        assert!(out.success, "{name}: {}", out.text);
        let out = project.run(backend, &["check"]);
        assert_eq!(out.code, Some(0), "{name}: {}", out.text);
    }
    for backend in &backends[1..] {
        let column_type = support::column_data_type(backend, "categories", "sort_order").await;
        assert_eq!(column_type, ["bigint"], "{}", backend.name());
    }
}

/// A text column made an enum, on SQLite, where both are text: the snapshot sees it, and the
/// migration creates the type and changes the column where enums are types (PostgreSQL) or
/// inline (MySQL).
#[tokio::test(flavor = "multi_thread")]
async fn a_text_column_made_an_enum_on_sqlite_is_an_alter_everywhere() {
    let backends = enabled_backends().await;
    let sqlite = &backends[0];
    let project = TestProject::with_initial_migration(sqlite);
    project.build();
    let out = project.run(sqlite, &["migrate"]);
    assert!(out.success, "{}", out.text);
    project.edit_entity(
        "sea_orm_active_enums.rs",
        "use sea_orm::entity::prelude::*;\n",
        "use sea_orm::entity::prelude::*;\n\n\
         /// A loyalty account's tier.\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]\n\
         #[sea_orm(rs_type = \"String\", db_type = \"Enum\", enum_name = \"tier\")]\n\
         pub enum Tier {\n    #[sea_orm(string_value = \"bronze\")]\n    Bronze,\n    \
         #[sea_orm(string_value = \"silver\")]\n    Silver,\n}\n",
    );
    project.edit_entity(
        "loyalty_accounts.rs",
        "pub tier: String,",
        "pub tier: super::sea_orm_active_enums::Tier,",
    );
    project.build();
    let out = project.run(sqlite, &["check"]);
    assert_eq!(out.code, Some(1), "{}", out.text);
    let out = project.run(sqlite, &["makemigrations", "--no-input", "-m", "tier enum"]);
    assert!(out.success, "{}", out.text);
    let source = project.newest_migration_source();
    assert!(
        source.contains("create_enum(") && source.contains("alter_column("),
        "{source}"
    );
    assert!(
        out.text
            .contains("+  column tier enumeration(tier) not null default \"bronze\""),
        "{}",
        out.text
    );
    project.build();
    for backend in &backends {
        let name = backend.name();
        let out = project.run(backend, &["migrate"]);
        assert!(out.success, "{name}: {}", out.text);
        let out = project.run(backend, &["check"]);
        assert_eq!(out.code, Some(0), "{name}: {}", out.text);
    }
}

/// A migration written by hand that makes the entities' change: `check` names the change the
/// snapshot lacks, `makemigrations --snapshot-only` records it (refused before the migration
/// ran). And an index made by hand is named as drift when `makemigrations` would undo it.
#[tokio::test(flavor = "multi_thread")]
async fn a_migration_written_by_hand_is_recorded_with_snapshot_only() {
    let db = Backend::sqlite();
    let project = TestProject::with_initial_migration(&db);
    project.build();
    let out = project.run(&db, &["migrate"]);
    assert!(out.success, "{}", out.text);
    let snapshot = project.crates().join("migration/src/schema.snapshot");
    let before = std::fs::read_to_string(&snapshot).unwrap();

    project.edit_entity(
        "categories.rs",
        "#[sea_orm(default_value = 0)]\n    pub position: i32,",
        "#[sea_orm(default_value = 0, indexed)]\n    pub position: i32,",
    );
    project.build();
    let out = project.run(
        &db,
        &["makemigrations", "--empty", "--name", "index_by_hand"],
    );
    assert!(out.success, "{}", out.text);
    project.edit_newest_migration(
        "        // Write the schema",
        "        manager\n            .create_index(\n                Index::create()\n                    .name(\"idx-categories-position\")\n                    .table(\"categories\")\n                    .col(\"position\")\n                    .to_owned(),\n            )\n            .await?;\n        // Write the schema",
    );
    project.build();
    // Not applied yet: `--snapshot-only` is refused (the migration is pending) and writes nothing.
    let out = project.run(&db, &["makemigrations", "--snapshot-only"]);
    assert_eq!(out.code, Some(2), "{}", out.text);
    assert_eq!(std::fs::read_to_string(&snapshot).unwrap(), before);
    let out = project.run(&db, &["migrate"]);
    assert!(out.success, "{}", out.text);
    let out = project.run(&db, &["check"]);
    assert_eq!(out.code, Some(0), "{}", out.text);
    assert!(
        out.text.contains(
            "Note: the entities differ from the schema snapshot in what this database needs no operation for: the keys, indexes or comment of table categories"
        ) && out.text.contains("makemigrations --snapshot-only"),
        "{}",
        out.text
    );
    let out = project.run(&db, &["makemigrations", "--snapshot-only"]);
    assert!(out.success, "{}", out.text);
    assert!(
        out.text
            .contains("+  index idx-categories-position (position)"),
        "{}",
        out.text
    );
    assert_ne!(std::fs::read_to_string(&snapshot).unwrap(), before);
    let out = project.run(&db, &["check"]);
    assert_eq!(out.code, Some(0), "{}", out.text);

    // One more field, and an index made by hand that the migration would drop.
    project.edit_entity(
        "categories.rs",
        "    pub position: i32,\n}",
        "    pub position: i32,\n    pub note: Option<String>,\n}",
    );
    project.build();
    db.execute("CREATE INDEX by_hand ON categories (name)")
        .await;
    let recorded = std::fs::read_to_string(&snapshot).unwrap();
    let out = project.run(&db, &["makemigrations", "--snapshot-only"]);
    assert_eq!(out.code, Some(2), "{}", out.text);
    assert!(
        out.text
            .contains("--snapshot-only: the database differs from the entities")
            && out
                .text
                .contains("fix: apply the migration written by hand first"),
        "{}",
        out.text
    );
    assert_eq!(std::fs::read_to_string(&snapshot).unwrap(), recorded);
    let out = project.run(&db, &["makemigrations", "--dry-run"]);
    assert!(out.success, "{}", out.text);
    let warning = out
        .text
        .find("warning: these steps undo changes made to this database outside its migrations")
        .unwrap_or_else(|| panic!("{}", out.text));
    let listed = &out.text[warning..];
    let listed = &listed[..listed.find("fix:").expect(listed)];
    assert!(
        listed.contains("by_hand") && !listed.contains("note"),
        "{}",
        out.text
    );
}
