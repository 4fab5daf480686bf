//! The type matrix: an entity with a column of every type SeaORM entities can declare (and the
//! defaults they can state) is generated on each enabled backend, applied on every one, and must
//! then show no difference there; a rollback must leave no table behind. A type the tool cannot
//! handle is refused, naming the entity, the column and why. docs/types.md is the table of what
//! each type becomes on each backend.

mod support;

use support::{Backend, TestProject};

const TYPE_MATRIX: &str = r#"use sea_orm::entity::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "shade")]
pub enum Shade {
    #[sea_orm(string_value = "light")]
    Light,
    #[sea_orm(string_value = "dark")]
    Dark,
}

#[derive(Debug, Clone, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "i32", db_type = "Integer")]
pub enum Priority {
    #[sea_orm(num_value = 1)]
    Low,
    #[sea_orm(num_value = 2)]
    High,
}

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "type_matrix")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tiny: i8,
    pub small: i16,
    pub int: i32,
    pub big: i64,
    pub tiny_u: u8,
    pub small_u: u16,
    pub int_u: u32,
    pub big_u: u64,
    pub float: f32,
    pub double: f64,
    #[sea_orm(column_type = "Decimal(Some((12, 4)))")]
    pub decimal: Decimal,
    pub flag: bool,
    pub unbounded: String,
    #[sea_orm(column_type = "String(StringLen::N(40))")]
    pub bounded: String,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    #[sea_orm(column_type = "Char(Some(2))")]
    pub code: String,
    #[sea_orm(column_type = "Binary(16)")]
    pub fixed_bytes: Vec<u8>,
    #[sea_orm(column_type = "VarBinary(StringLen::N(64))")]
    pub var_bytes: Vec<u8>,
    pub raw: Vec<u8>,
    #[sea_orm(column_type = "Blob")]
    pub blob: Vec<u8>,
    pub day: Date,
    pub clock: Time,
    pub local: DateTime,
    #[sea_orm(column_type = "Timestamp")]
    pub stamp: DateTime,
    pub aware: DateTimeWithTimeZone,
    pub token: Uuid,
    pub doc: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub doc_binary: Json,
    pub shade: Shade,
    pub priority: Priority,
    pub maybe: Option<i32>,
    #[sea_orm(default_value = "n/a")]
    pub label: String,
    #[sea_orm(default_value = 7)]
    pub seven: i32,
    #[sea_orm(default_value = 2.5)]
    pub ratio: f64,
    #[sea_orm(default_value = false)]
    pub off: bool,
    #[sea_orm(column_type = "Decimal(Some((8, 2)))", default_value = 0)]
    pub amount: Decimal,
    #[sea_orm(default_expr = "Expr::current_timestamp()")]
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
"#;

fn with_type_matrix() -> TestProject {
    let project = TestProject::new();
    project.edit_entity(
        "lib.rs",
        "pub mod users;\n",
        "pub mod users;\npub mod type_matrix;\n",
    );
    project.edit_entity("type_matrix.rs", "", TYPE_MATRIX);
    project.build();
    project
}

#[tokio::test(flavor = "multi_thread")]
async fn every_type_round_trips_from_postgres() {
    let backends = support::enabled_backends().await;
    match support::position(&backends, "postgres") {
        Some(generator) => types_round_trip(&backends, generator).await,
        // Without a server, SQLite generates and applies.
        None => types_round_trip(&backends, 0).await,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_type_round_trips_from_mysql() {
    let backends = support::enabled_backends().await;
    if let Some(generator) = support::position(&backends, "mysql") {
        types_round_trip(&backends, generator).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_type_round_trips_from_sqlite() {
    let backends = support::enabled_backends().await;
    if backends.len() > 1 {
        types_round_trip(&backends, 0).await;
    }
}

async fn types_round_trip(backends: &[Backend], generator: usize) {
    let project = with_type_matrix();
    let generator = &backends[generator];
    let out = project.run(generator, &["makemigrations", "--no-input"]);
    assert!(
        out.success && out.text.contains("+ Create table type_matrix"),
        "{}",
        out.text
    );
    insta::assert_snapshot!(
        format!("type_matrix_{}", generator.name()),
        project.newest_migration_source()
    );
    project.build();
    for backend in backends {
        let out = project.run(backend, &["migrate"]);
        assert!(out.success, "migrate on {}:\n{}", backend.name(), out.text);
        let again = project.run(backend, &["makemigrations", "--check"]);
        assert!(
            again.success && again.text.contains("No changes detected"),
            "{} sees a difference after applying the file generated on {}:\n{}",
            backend.name(),
            generator.name(),
            again.text
        );
        let out = project.run(backend, &["rollback", "--all"]);
        assert!(out.success, "rollback on {}:\n{}", backend.name(), out.text);
        let left: Vec<String> = backend
            .schema_fingerprint()
            .await
            .into_iter()
            .filter(|line| line.starts_with("table ") || line.starts_with("enum "))
            .collect();
        assert!(left.is_empty(), "{} keeps {left:?}", backend.name());
    }
}

/// `Interval` (and the other refused types of docs/types.md) cannot be represented on every
/// backend; the tool refuses them before anything is written. (Arrays: tests/arrays.rs.)
#[tokio::test(flavor = "multi_thread")]
async fn unsupported_types_are_refused_with_entity_column_and_reason() {
    let project = TestProject::new();
    project.edit_entity(
        "users.rs",
        "    pub display_name: String,\n",
        "    pub display_name: String,\n    #[sea_orm(column_type = \"Interval(None, None)\")]\n    pub shift: String,\n",
    );
    project.build();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Backend::Url(format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("t.sqlite3").display()
    ));
    let out = project.run(&sqlite, &["makemigrations", "--no-input"]);
    assert_eq!(out.code, Some(2), "{}", out.text);
    assert!(
        out.text.contains("entity `entity::users`, column `shift`")
            && out.text.contains("Interval")
            && out.text.contains("not supported"),
        "{}",
        out.text
    );
    assert!(project.migration_files().is_empty());
}
