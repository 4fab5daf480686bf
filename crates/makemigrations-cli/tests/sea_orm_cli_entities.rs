//! Entities written the way `sea-orm-cli generate entity` 2.0.4 writes them (compact format),
//! against schemas written by hand in SQL, through the real binary on every enabled backend.
//!
//! - `#[sea_orm(ignore, column_type = "custom(..)", select_as = "text")]` is sea-orm-cli's mark
//!   for a column that exists but that it cannot map (PostgreSQL `tsvector`, MySQL `SET(..)`,
//!   SQLite `DATETIME`). The tool must never drop or alter such a column, nor its index.
//! - `#[sea_orm(schema_name = "public", ..)]` (`generate entity -s public`) must build the
//!   tables like any other entity, and a file that applies on every backend; an entity in
//!   another schema is refused before anything is written.

mod support;

use sea_orm::ConnectionTrait;
use support::{Backend, TestProject};

/// What sea-orm-cli maps with `ignore` on one backend, and the hand-written schema around it.
struct Unmapped {
    /// The hand-written schema, with rows.
    schema: &'static str,
    /// The unmapped column's field, exactly as sea-orm-cli writes it.
    field: &'static str,
    /// The unmapped column's values as text, in row order.
    values_sql: &'static str,
    /// `schema_name` as sea-orm-cli writes it: only PostgreSQL's generator writes one (`-s`).
    schema_name: Option<&'static str>,
    /// The integer type sea-orm-cli maps the key columns to.
    int: &'static str,
    /// `customers.email`, as sea-orm-cli writes it.
    email: &'static str,
}

fn unmapped(backend: &Backend) -> Unmapped {
    match backend {
        Backend::Postgres { .. } => Unmapped {
            schema: "CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL UNIQUE);
                CREATE TABLE documents (
                    id serial PRIMARY KEY,
                    customer_id integer NOT NULL REFERENCES customers (id),
                    title text NOT NULL,
                    search tsvector,
                    rating integer
                );
                CREATE INDEX documents_search_idx ON documents USING gin (search);
                INSERT INTO customers (email) VALUES ('ada@example.com');
                INSERT INTO documents (customer_id, title, search, rating) VALUES
                    (1, 'Dune', to_tsvector('english', 'desert planet spice'), 5),
                    (1, 'Emma', to_tsvector('english', 'matchmaking in Highbury'), NULL);",
            field: "    #[sea_orm(ignore, column_type = \"custom(\\\"tsvector\\\")\", select_as = \"text\", nullable)]\n    pub search: Option<String>,\n",
            values_sql: "SELECT search::text AS v FROM documents ORDER BY id",
            schema_name: Some("public"),
            int: "i32",
            email: "    #[sea_orm(column_type = \"Text\", unique)]\n    pub email: String,\n",
        },
        Backend::MySql { .. } => Unmapped {
            schema: "CREATE TABLE customers (
                    id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
                    email varchar(255) NOT NULL UNIQUE
                );
                CREATE TABLE documents (
                    id int NOT NULL AUTO_INCREMENT PRIMARY KEY,
                    customer_id int NOT NULL,
                    title text NOT NULL,
                    search SET('news', 'sport', 'travel'),
                    rating int,
                    CONSTRAINT documents_customer FOREIGN KEY (customer_id) REFERENCES customers (id),
                    KEY documents_search_idx (search)
                );
                INSERT INTO customers (email) VALUES ('ada@example.com');
                INSERT INTO documents (customer_id, title, search, rating) VALUES
                    (1, 'Dune', 'news,travel', 5),
                    (1, 'Emma', 'sport', NULL);",
            field: "    #[sea_orm(ignore, column_type = \"custom(\\\"SET ('news', 'sport', 'travel')\\\")\", select_as = \"text\", nullable)]\n    pub search: Option<String>,\n",
            values_sql: "SELECT CAST(search AS CHAR) AS v FROM documents ORDER BY id",
            schema_name: None,
            int: "i32",
            email: "    #[sea_orm(unique)]\n    pub email: String,\n",
        },
        _ => Unmapped {
            schema: "CREATE TABLE customers (
                    id integer NOT NULL PRIMARY KEY AUTOINCREMENT,
                    email text NOT NULL UNIQUE
                );
                CREATE TABLE documents (
                    id integer NOT NULL PRIMARY KEY AUTOINCREMENT,
                    customer_id integer NOT NULL REFERENCES customers (id),
                    title text NOT NULL,
                    search DATETIME,
                    rating integer
                );
                CREATE INDEX documents_search_idx ON documents (search);
                INSERT INTO customers (email) VALUES ('ada@example.com');
                INSERT INTO documents (customer_id, title, search, rating) VALUES
                    (1, 'Dune', '1965-08-01 10:00:00', 5),
                    (1, 'Emma', '1815-12-23 09:30:00', NULL);",
            field: "    #[sea_orm(ignore, column_type = \"custom(\\\"DATETIME\\\")\", select_as = \"text\", nullable)]\n    pub search: Option<String>,\n",
            values_sql: "SELECT CAST(search AS text) AS v FROM documents ORDER BY id",
            schema_name: None,
            int: "i64",
            email: "    #[sea_orm(column_type = \"Text\", unique)]\n    pub email: String,\n",
        },
    }
}

/// `#[sea_orm(schema_name = "..", table_name = "..")]` or `#[sea_orm(table_name = "..")]`.
fn table_attr(schema_name: Option<&str>, table: &str) -> String {
    match schema_name {
        Some(schema) => format!("#[sea_orm(schema_name = \"{schema}\", table_name = \"{table}\")]"),
        None => format!("#[sea_orm(table_name = \"{table}\")]"),
    }
}

const HEADER: &str = "//! `SeaORM` Entity, @generated by sea-orm-codegen 2.0.4\n\n";

/// `lib.rs`, `prelude.rs`, `customers.rs` and `documents.rs` as sea-orm-cli writes them for the
/// hand-written schema (`--lib`).
fn cli_entities(u: &Unmapped) -> Vec<(&'static str, String)> {
    let int = u.int;
    let customers = format!(
        "{HEADER}use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
{attr}
pub struct Model {{
    #[sea_orm(primary_key)]
    pub id: {int},
{email}}}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {{
    #[sea_orm(has_many = \"super::documents::Entity\")]
    Documents,
}}

impl Related<super::documents::Entity> for Entity {{
    fn to() -> RelationDef {{
        Relation::Documents.def()
    }}
}}

impl ActiveModelBehavior for ActiveModel {{}}
",
        attr = table_attr(u.schema_name, "customers"),
        email = u.email,
    );
    let documents = format!(
        "{HEADER}use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
{attr}
pub struct Model {{
    #[sea_orm(primary_key)]
    pub id: {int},
    pub customer_id: {int},
    #[sea_orm(column_type = \"Text\")]
    pub title: String,
{field}    pub rating: Option<{int}>,
}}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {{
    #[sea_orm(
        belongs_to = \"super::customers::Entity\",
        from = \"Column::CustomerId\",
        to = \"super::customers::Column::Id\",
        on_update = \"NoAction\",
        on_delete = \"NoAction\"
    )]
    Customers,
}}

impl Related<super::customers::Entity> for Entity {{
    fn to() -> RelationDef {{
        Relation::Customers.def()
    }}
}}

impl ActiveModelBehavior for ActiveModel {{}}
",
        attr = table_attr(u.schema_name, "documents"),
        field = u.field,
    );
    vec![
        ("lib.rs", format!("{HEADER}pub mod prelude;\n\npub mod customers;\npub mod documents;\n")),
        (
            "prelude.rs",
            format!("{HEADER}pub use super::customers::Entity as Customers;\npub use super::documents::Entity as Documents;\n"),
        ),
        ("customers.rs", customers),
        ("documents.rs", documents),
    ]
}

fn replace_entities(project: &TestProject, files: &[(&'static str, String)]) {
    let files: Vec<(&str, &str)> = files.iter().map(|(f, t)| (*f, t.as_str())).collect();
    project.replace_entities(&files);
}

/// Adopts `database`, which has tables and rows but no history, the way a user does:
/// `makemigrations --baseline` writes a baseline of its tables and records it as applied.
fn baseline(project: &TestProject, database: &Backend) {
    let out = project.run(database, &["makemigrations", "--baseline", "--no-input"]);
    assert!(
        out.success && out.text.contains("Adopted the database"),
        "{}: {}",
        database.name(),
        out.text
    );
    project.build();
}

async fn text_values(backend: &Backend, sql: &str) -> Vec<Option<String>> {
    let db = backend.connect().await;
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap();
    db.close().await.unwrap();
    rows.iter()
        .map(|r| r.try_get::<Option<String>>("", "v").unwrap())
        .collect()
}

#[tokio::test]
async fn columns_sea_orm_cli_cannot_map_are_kept_through_changes_and_rollbacks() {
    for backend in &support::enabled_backends().await {
        let name = backend.name();
        let u = unmapped(backend);
        backend.execute(u.schema).await;
        let values = text_values(backend, u.values_sql).await;
        assert_eq!(values.len(), 2, "{name}: {values:?}");
        assert!(values.iter().all(Option::is_some), "{name}: {values:?}");

        let project = TestProject::new();
        replace_entities(&project, &cli_entities(&u));
        project.build();
        baseline(&project, backend);
        let adopted = backend.schema_fingerprint().await;
        assert!(
            adopted.iter().any(|l| l.contains("column search")),
            "{name}: {adopted:#?}"
        );

        // Nothing to do: the entity declares the column, mapped or not.
        let out = project.run(backend, &["makemigrations", "--no-input", "--check"]);
        assert!(
            out.success && out.text.contains("No changes detected"),
            "{name}: {}",
            out.text
        );

        // A realistic change: a new nullable column, UNIQUE, which SQLite can only add by
        // rebuilding the table (the rebuild reads the live table, unmapped column included).
        project.edit_entity(
            "documents.rs",
            &format!("    pub rating: Option<{}>,\n", u.int),
            &format!(
                "    pub rating: Option<{}>,\n    #[sea_orm(unique)]\n    pub slug: Option<String>,\n",
                u.int
            ),
        );
        project.build();
        let out = project.run(backend, &["makemigrations", "--no-input", "--name", "slug"]);
        assert!(out.success, "{name}: {}", out.text);
        assert!(
            out.text.contains("+ Add column documents.slug"),
            "{name}: {}",
            out.text
        );
        // No operation touches the column the entity does not map (the schema snapshot's diff
        // after the operations lists it, as the database has it).
        let operations = out.text.split("schema.snapshot").next().unwrap_or_default();
        assert!(!operations.contains("search"), "{name}: {}", out.text);
        let source = project.newest_migration_source();
        assert!(!source.contains("search"), "{name}: {source}");
        project.build();
        let out = project.run(backend, &["migrate"]);
        assert!(out.success, "{name}: {}", out.text);
        assert_eq!(
            text_values(backend, u.values_sql).await,
            values,
            "{name}: the unmapped column lost data"
        );
        let migrated = backend.schema_fingerprint().await;
        assert!(
            migrated.iter().any(|l| l.contains("column slug")),
            "{name}: {migrated:#?}"
        );
        let unmapped_lines = |lines: &[String]| -> Vec<String> {
            lines
                .iter()
                .filter(|l| l.contains("search"))
                .cloned()
                .collect()
        };
        assert_eq!(
            unmapped_lines(&migrated),
            unmapped_lines(&adopted),
            "{name}: the unmapped column or its index changed"
        );

        let out = project.run(backend, &["makemigrations", "--no-input", "--check"]);
        assert!(
            out.success && out.text.contains("No changes detected"),
            "{name}: {}",
            out.text
        );
        let out = project.run(backend, &["check"]);
        assert!(out.success, "{name}: {}", out.text);

        // The new column holds no data yet; --force is for the column `down` drops.
        let out = project.run(backend, &["rollback", "--force"]);
        assert!(out.success, "{name}: {}", out.text);
        assert_eq!(
            backend.schema_fingerprint().await,
            adopted,
            "{name}: rollback did not restore the schema"
        );
        assert_eq!(
            text_values(backend, u.values_sql).await,
            values,
            "{name}: the rollback lost the unmapped column's data"
        );

        // The table renamed through `TABLE_RENAMED_FROM`: the rename is the only operation, and
        // the unmapped column and its index go along with their data.
        let out = project.run(backend, &["migrate"]);
        assert!(out.success, "{name}: {}", out.text);
        project.edit_entity(
            "documents.rs",
            "table_name = \"documents\"",
            "table_name = \"papers\"",
        );
        project.edit_entity(
            "documents.rs",
            "use sea_orm::entity::prelude::*;\n",
            "use sea_orm::entity::prelude::*;\n\npub const TABLE_RENAMED_FROM: &str = \"documents\";\n",
        );
        project.build();
        let out = project.run(
            backend,
            &["makemigrations", "--no-input", "--name", "papers"],
        );
        assert!(
            out.success && out.text.contains("Rename table documents to papers"),
            "{name}: {}",
            out.text
        );
        // No operation touches the column the entity does not map (the schema snapshot's diff
        // after the operations lists it, as the database has it).
        let operations = out.text.split("schema.snapshot").next().unwrap_or_default();
        assert!(!operations.contains("search"), "{name}: {}", out.text);
        let source = project.newest_migration_source();
        assert!(!source.contains("search"), "{name}: {source}");
        project.build();
        let out = project.run(backend, &["migrate"]);
        assert!(out.success, "{name}: {}", out.text);
        let renamed_values_sql = u.values_sql.replace("FROM documents", "FROM papers");
        assert_eq!(
            text_values(backend, &renamed_values_sql).await,
            values,
            "{name}: the rename lost the unmapped column's data"
        );
        if let Backend::Postgres { .. } = backend {
            // A GIN index is left out of discovery (and so of the fingerprint): ask the catalog.
            let index = text_values(
                backend,
                "SELECT indexdef AS v FROM pg_indexes WHERE indexname = 'documents_search_idx'",
            )
            .await;
            assert!(
                matches!(&index[..], [Some(def)] if def.contains("papers USING gin (search)")),
                "{name}: {index:?}"
            );
        } else {
            let renamed = backend.schema_fingerprint().await;
            assert!(
                renamed
                    .iter()
                    .any(|l| l.contains("index documents_search_idx")),
                "{name}: {renamed:#?}"
            );
        }
        let out = project.run(backend, &["makemigrations", "--no-input", "--check"]);
        assert!(
            out.success && out.text.contains("No changes detected"),
            "{name}: {}",
            out.text
        );
        let out = project.run(backend, &["rollback"]);
        assert!(out.success, "{name}: {}", out.text);
        assert_eq!(
            backend.schema_fingerprint().await,
            migrated,
            "{name}: rolling the rename back did not restore the schema"
        );
    }
}

/// Entities as `sea-orm-cli generate entity -s <schema>` writes them, with an index, a composite
/// unique key and a foreign key: every place sea-orm qualifies a table.
fn schema_entities(schema: &str) -> Vec<(&'static str, String)> {
    let customers = format!(
        "{HEADER}use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(schema_name = \"{schema}\", table_name = \"customers\")]
pub struct Model {{
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub email: String,
}}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {{
    #[sea_orm(has_many = \"super::orders::Entity\")]
    Orders,
}}

impl Related<super::orders::Entity> for Entity {{
    fn to() -> RelationDef {{
        Relation::Orders.def()
    }}
}}

impl ActiveModelBehavior for ActiveModel {{}}
"
    );
    let orders = format!(
        "{HEADER}use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(schema_name = \"{schema}\", table_name = \"orders\")]
pub struct Model {{
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(indexed)]
    pub customer_id: i32,
    #[sea_orm(unique_key = \"reference\")]
    pub reference: String,
    #[sea_orm(unique_key = \"reference\")]
    pub year: i32,
}}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {{
    #[sea_orm(
        belongs_to = \"super::customers::Entity\",
        from = \"Column::CustomerId\",
        to = \"super::customers::Column::Id\",
        on_update = \"NoAction\",
        on_delete = \"Cascade\"
    )]
    Customers,
}}

impl Related<super::customers::Entity> for Entity {{
    fn to() -> RelationDef {{
        Relation::Customers.def()
    }}
}}

impl ActiveModelBehavior for ActiveModel {{}}
"
    );
    vec![
        ("lib.rs", format!("{HEADER}pub mod prelude;\n\npub mod customers;\npub mod orders;\n")),
        (
            "prelude.rs",
            format!("{HEADER}pub use super::customers::Entity as Customers;\npub use super::orders::Entity as Orders;\n"),
        ),
        ("customers.rs", customers),
        ("orders.rs", orders),
    ]
}

#[tokio::test]
async fn schema_name_entities_build_their_tables_and_another_schema_is_refused() {
    for backend in support::enabled_backends().await {
        let name = backend.name();
        // The schema the connection works in; SQLite has none, and gets entities generated
        // from PostgreSQL.
        let (live_schema, other_schema) = match &backend {
            Backend::MySql { database, .. } => (database.clone(), "public"),
            _ => ("public".to_string(), "sales"),
        };
        let project = TestProject::new();
        replace_entities(&project, &schema_entities(&live_schema));
        project.build();

        let out = project.run(&backend, &["makemigrations", "--no-input"]);
        assert!(out.success, "{name}: {}", out.text);
        for line in ["+ Create table customers", "+ Create table orders"] {
            assert!(out.text.contains(line), "{name}: {line} in {}", out.text);
        }
        // The file applies on every backend: it names no schema.
        let source = project.newest_migration_source();
        assert!(!source.contains(live_schema.as_str()), "{name}: {source}");
        project.build();
        let out = project.run(&backend, &["migrate"]);
        assert!(out.success, "{name}: {}", out.text);
        let tables = backend.schema_fingerprint().await;
        for line in [
            "table customers",
            "table orders",
            "index idx-orders-customer_id",
            "index idx-orders-reference",
            "fk [\"customer_id\"] -> customers[\"id\"] delete=Cascade",
        ] {
            assert!(
                tables.iter().any(|l| l.trim_start().starts_with(line)),
                "{name}: {line} in {tables:#?}"
            );
        }
        let out = project.run(&backend, &["check"]);
        assert!(out.success, "{name}: {}", out.text);
        let out = project.run(&backend, &["makemigrations", "--no-input"]);
        assert!(
            out.success && out.text.contains("No changes detected"),
            "{name}: {}",
            out.text
        );

        if matches!(backend, Backend::Sqlite { .. }) {
            continue;
        }
        // One entity in a schema that is not the connection's: stopped, nothing written.
        project.edit_entity(
            "orders.rs",
            &format!("schema_name = \"{live_schema}\""),
            &format!("schema_name = \"{other_schema}\""),
        );
        project.build();
        let files = project.migration_files();
        let out = project.run(&backend, &["makemigrations", "--no-input"]);
        assert_eq!(out.code, Some(2), "{name}: {}", out.text);
        for part in [
            "entity `entity::orders`".to_string(),
            format!("schema `{other_schema}`"),
            format!("schema is `{live_schema}`"),
            "fix:".to_string(),
        ] {
            assert!(out.text.contains(&part), "{name}: {part} in {}", out.text);
        }
        assert_eq!(
            project.migration_files(),
            files,
            "{name}: a file was written"
        );

        // The fix the message gives points the tool at that schema: now the other entity is
        // the one outside it.
        if let Backend::Postgres { .. } = backend {
            backend.execute("CREATE SCHEMA sales").await;
            let url = format!("{}?options=-c%20search_path%3Dsales", backend.url());
            // Each schema keeps its own history: the file (which names no schema) applies there.
            let out = project.run(&backend, &["--database-url", &url, "migrate"]);
            assert!(out.success, "{name}: {}", out.text);
            let out = project.run(
                &backend,
                &["--database-url", &url, "makemigrations", "--no-input"],
            );
            assert_eq!(out.code, Some(2), "{name}: {}", out.text);
            assert!(
                out.text
                    .contains("entity `entity::customers` is in schema `public`")
                    && out.text.contains("schema is `sales`"),
                "{name}: {}",
                out.text
            );
            assert_eq!(
                project.migration_files(),
                files,
                "{name}: a file was written"
            );
        }
    }
}
