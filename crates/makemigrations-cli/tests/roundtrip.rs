//! Round trips through the real command line, on real databases.
//!
//! A copy of the sample `entity` and `migration` crates is edited step by step, as a user would.
//! At each step the real binary writes a migration (snapshotted), the crate is rebuilt, the
//! migration is applied on every enabled backend, and a second `makemigrations` must find nothing.
//! Then the steps are rolled back one by one: each rollback must restore the schema exactly, and
//! rows in columns the migrations did not touch must survive.
//!
//! SQLite always runs. PostgreSQL and MySQL/MariaDB run when `MAKEMIGRATIONS_TEST_POSTGRES` and
//! `MAKEMIGRATIONS_TEST_MYSQL` hold server URLs (each run creates and drops its own database
//! there). The steps are generated on each backend in turn and applied on all of them: one file
//! must mean the same everywhere.

mod support;

use support::TestProject;

/// One user edit of the entity crate and what the generated migration must say.
struct Step {
    name: &'static str,
    edits: &'static [(&'static str, &'static str, &'static str)],
    expected_lines: &'static [&'static str],
    /// Backends that cannot see this change, or part of it (SQLite stores enums as text and i32
    /// like i64, and keeps no comments): where the migration is generated on one of them, what it
    /// writes is applied everywhere, and then a backend that sees the whole change writes what is
    /// left, so every backend is still migrated and checked.
    invisible_on: &'static [&'static str],
    /// Backends whose file for this step would not roll back elsewhere: SQLite stores an enum as
    /// `enum_text`, so the `down` of a file written there cannot restore an enum column on a
    /// server (docs/guide.md, "only the database's spelling is left"). There, another backend
    /// writes the step.
    down_not_portable_from: &'static [&'static str],
    /// Flags that answer this step's questions (`--no-input` stops at an open one).
    answers: &'static [&'static str],
}

const STEPS: &[Step] = &[
    Step {
        name: "initial",
        edits: &[],
        expected_lines: &["+ Create table users", "+ Create table order_items"],
        invisible_on: &[],
        down_not_portable_from: &[],
        answers: &[],
    },
    Step {
        // A file generated where enums are inline cannot know that the type exists: it calls
        // `create_enum`, which PostgreSQL must take as done.
        name: "enum_reused_by_a_new_table",
        edits: &[
            ("lib.rs", "pub mod users;\n", "pub mod users;\npub mod refunds;\n"),
            ("refunds.rs", "", REFUNDS),
        ],
        expected_lines: &["+ Create table refunds"],
        invisible_on: &[],
        down_not_portable_from: &[],
        answers: &[],
    },
    Step {
        name: "alter_columns",
        edits: &[
            // add a column
            ("users.rs", "    pub display_name: String,\n", "    pub display_name: Option<String>,\n    #[sea_orm(column_type = \"String(StringLen::N(20))\", nullable)]\n    pub phone: Option<String>,\n"),
            // change a type
            ("products.rs", "String(StringLen::N(64))", "String(StringLen::N(100))"),
            // change a default
            ("loyalty_accounts.rs", "default_value = \"bronze\"", "default_value = \"silver\""),
            // drop a column
            ("orders.rs", "    #[sea_orm(column_type = \"Text\", nullable)]\n    pub notes: Option<String>,\n", ""),
            // add an index
            ("orders.rs", "#[sea_orm(default_expr = \"Expr::current_timestamp()\")]\n    pub placed_at", "#[sea_orm(default_expr = \"Expr::current_timestamp()\", indexed)]\n    pub placed_at"),
            // change a foreign key's ON DELETE
            ("orders.rs", "on_delete = \"Restrict\"", "on_delete = \"Cascade\""),
        ],
        expected_lines: &[
            "+ Add column users.phone",
            "! Drop column orders.notes",
            "+ Create index idx-orders-placed_at on orders (placed_at)",
            "- Drop foreign key orders.(user_id) -> users.(id)",
            "+ Add foreign key orders.(user_id) -> users.(id)",
            "~ Alter column users.display_name",
            "~ Alter column products.sku",
            "~ Alter column loyalty_accounts.tier",
        ],
        invisible_on: &[],
        down_not_portable_from: &[],
        answers: &[],
    },
    Step {
        name: "tables_and_renames",
        edits: &[
            // a new entity with a foreign key
            ("lib.rs", "pub mod users;\n", "pub mod users;\npub mod coupons;\n"),
            ("coupons.rs", "", COUPONS),
            // a removed entity: its table was created by our migrations, so it is dropped (out of
            // the build; a private module would only hide it, and its table would stay)
            ("lib.rs", "pub mod site_settings {", "#[cfg(test)]\nmod site_settings_removed {"),
            ("prelude.rs", "pub use super::site_settings::Entity as SiteSettings;\n", ""),
            // a declared rename
            ("users.rs", "    pub bio: Option<String>,", "    pub about: Option<String>,"),
            ("users.rs", "#[sea_orm(column_type = \"Text\", nullable)]", "#[sea_orm(column_type = \"Text\", nullable, renamed_from = \"bio\")]"),
        ],
        expected_lines: &[
            "~ Rename column users.bio to about",
            "+ Create table coupons",
            "! Drop table site_settings",
        ],
        invisible_on: &[],
        down_not_portable_from: &[],
        answers: &[],
    },
    Step {
        name: "reserved_words_and_mixed_case",
        edits: &[
            ("lib.rs", "pub mod users;\n", "pub mod users;\npub mod group;\n"),
            ("group.rs", "", GROUP),
        ],
        expected_lines: &["+ Create table group"],
        invisible_on: &[],
        down_not_portable_from: &[],
        answers: &[],
    },
    Step {
        name: "foreign_key_cycle_and_primary_key",
        edits: &[
            ("lib.rs", "pub mod users;\n", "pub mod users;\npub mod members;\npub mod teams;\n"),
            ("members.rs", "", MEMBERS),
            ("teams.rs", "", TEAMS),
            (
                "order_items.rs",
                "    #[sea_orm(default_value = 1)]\n    pub quantity: i32,",
                "    #[sea_orm(primary_key, auto_increment = false, default_value = 1)]\n    pub quantity: i32,",
            ),
        ],
        expected_lines: &[
            "+ Create table members",
            "+ Create table teams",
            "+ Add foreign key members.(team_id) -> teams.(id)",
            "~ Alter primary key of order_items: (order_id, product_id) -> (order_id, product_id, quantity)",
        ],
        invisible_on: &[],
        down_not_portable_from: &[],
        answers: &[],
    },
    Step {
        name: "enum_value_added",
        edits: &[(
            "sea_orm_active_enums.rs",
            "    Shipped,\n",
            "    Shipped,\n    #[sea_orm(string_value = \"refunded\")]\n    Refunded,\n",
        )],
        expected_lines: &["~ Alter enum order_status: (pending, paid, shipped, cancelled) -> (pending, paid, shipped, refunded, cancelled)"],
        invisible_on: &["sqlite"],
        down_not_portable_from: &[],
        answers: &[],
    },
    Step {
        name: "enum_value_removed_and_key_types",
        edits: &[
            ("sea_orm_active_enums.rs", "    #[sea_orm(string_value = \"shipped\")]\n    Shipped,\n", ""),
            // a primary key that foreign keys reference, and those foreign keys, become i64
            ("categories.rs", "pub id: i32", "pub id: i64"),
            ("categories.rs", "pub parent_id: Option<i32>", "pub parent_id: Option<i64>"),
            ("products.rs", "pub category_id: i32", "pub category_id: i64"),
        ],
        expected_lines: &[
            // rows holding the removed value get another one (the flag answers the question)
            "! Set orders.status to 'cancelled' where it is 'shipped'",
            "! Alter enum order_status: (pending, paid, shipped, refunded, cancelled) -> (pending, paid, refunded, cancelled)",
            // (the types are shown as the generating database spells them)
            "~ Alter column categories.id: ",
            "~ Alter column products.category_id: ",
        ],
        invisible_on: &["sqlite"],
        down_not_portable_from: &[],
        answers: &["--replace-enum-value", "order_status.shipped=cancelled"],
    },
    Step {
        name: "uniques_and_comments",
        edits: &[
            // a composite unique index removed, and a UNIQUE added to an existing column
            ("products.rs", "    #[sea_orm(unique_key = \"category_sku\")]\n", ""),
            ("products.rs", "\"String(StringLen::N(100))\", unique_key = \"category_sku\")]", "\"String(StringLen::N(100))\", unique)]"),
            // a UNIQUE dropped from an existing column
            ("categories.rs", "#[sea_orm(column_type = \"String(StringLen::N(120))\", unique)]\n    pub slug", "#[sea_orm(column_type = \"String(StringLen::N(120))\")]\n    pub slug"),
            // a table comment changed (PostgreSQL keeps comments; SQLite has none)
            ("categories.rs", "comment = \"Product categories, arranged as a tree\"", "comment = \"Categories of products\""),
        ],
        expected_lines: &[
            "- Drop index idx-products-category_sku on products",
            "~ Alter column products.sku: add UNIQUE",
            "~ Alter column categories.slug: drop UNIQUE",
            "~ Set comment on table categories",
        ],
        // SQLite keeps no comments.
        invisible_on: &["sqlite"],
        down_not_portable_from: &[],
        answers: &[],
    },
    Step {
        name: "enum_columns_become_strings",
        edits: &[
            // on PostgreSQL the type is dropped after its last column
            ("orders.rs", "use super::sea_orm_active_enums::OrderStatus;\n", ""),
            ("orders.rs", "    pub status: OrderStatus,", "    pub status: String,"),
            ("refunds.rs", "use super::sea_orm_active_enums::OrderStatus;\n", ""),
            ("refunds.rs", "    pub status: OrderStatus,", "    pub status: String,"),
        ],
        expected_lines: &[
            "~ Alter column orders.status",
            "~ Alter column refunds.status",
            "- Drop enum order_status",
        ],
        invisible_on: &[],
        down_not_portable_from: &["sqlite"],
        answers: &[],
    },
];

/// `refunds`: a second table with the enum type that `orders` already uses.
const REFUNDS: &str = r#"use super::sea_orm_active_enums::OrderStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(default_value = "pending")]
    pub status: OrderStatus,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
"#;

const MEMBERS: &str = r#"use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub team_id: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::teams::Entity",
        from = "Column::TeamId",
        to = "super::teams::Column::Id",
        on_delete = "Cascade"
    )]
    Team,
}

impl ActiveModelBehavior for ActiveModel {}
"#;

/// `teams` and `members` reference each other: a cycle.
const TEAMS: &str = r#"use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "teams")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub captain_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::members::Entity",
        from = "Column::CaptainId",
        to = "super::members::Column::Id",
        on_delete = "SetNull"
    )]
    Captain,
}

impl ActiveModelBehavior for ActiveModel {}
"#;

const GROUP: &str = r#"//! `group`: a reserved word as a table name, with mixed-case and reserved column names.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "group")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_name = "userId")]
    pub user_id: Option<i32>,
    #[sea_orm(column_name = "select", column_type = "String(StringLen::N(10))", indexed)]
    pub select: String,
    #[sea_orm(column_name = "Order", default_value = 0)]
    pub order: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
"#;

const COUPONS: &str = r#"//! `coupons`: discount codes, one per user at most.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "coupons", comment = "Discount codes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(column_type = "String(StringLen::N(32))", unique)]
    pub code: String,
    pub user_id: Option<i32>,
    #[sea_orm(column_type = "Decimal(Some((5, 2)))", default_value = 10)]
    pub percent_off: Decimal,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "SetNull"
    )]
    User,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
"#;

/// Migrations generated on PostgreSQL (SQLite when it is the only backend) apply everywhere.
#[tokio::test(flavor = "multi_thread")]
async fn every_step_converges_and_rolls_back_exactly() {
    let backends = support::enabled_backends().await;
    let generator = support::position(&backends, "postgres").unwrap_or(0);
    round_trip(&backends, generator).await;
}

/// Migrations generated on MySQL/MariaDB apply on the other backends, and converge there.
#[tokio::test(flavor = "multi_thread")]
async fn migrations_generated_on_mysql_apply_everywhere() {
    let backends = support::enabled_backends().await;
    if let Some(generator) = support::position(&backends, "mysql") {
        round_trip(&backends, generator).await;
    }
}

/// Migrations generated on SQLite apply on the server backends too, and converge there.
#[tokio::test(flavor = "multi_thread")]
async fn migrations_generated_on_sqlite_apply_everywhere() {
    let backends = support::enabled_backends().await;
    if backends.len() == 1 {
        return; // No server backend is enabled; the first test covered SQLite.
    }
    round_trip(&backends, 0).await;
}

async fn round_trip(backends: &[support::Backend], generator: usize) {
    let project = TestProject::new();
    let generator = &backends[generator];
    let mut schemas: Vec<Vec<Vec<String>>> = vec![Vec::new(); backends.len()];
    for (i, backend) in backends.iter().enumerate() {
        schemas[i].push(backend.schema_fingerprint().await);
    }

    // One entry per migration applied: the step, and the backend that wrote it.
    let mut applied: Vec<String> = Vec::new();
    for step in STEPS {
        for (file, from, to) in step.edits {
            project.edit_entity(file, from, to);
        }
        project.build();
        let elsewhere = |names: &[&str]| backends.iter().find(|b| !names.contains(&b.name()));
        let mut writers = vec![generator];
        if step.down_not_portable_from.contains(&generator.name()) {
            writers = elsewhere(step.down_not_portable_from).into_iter().collect();
        } else if step.invisible_on.contains(&generator.name()) {
            // What the generating backend cannot see is written by one that can.
            writers.extend(elsewhere(step.invisible_on));
        }
        let mut said = String::new();
        for writer in writers {
            let mut args = vec!["makemigrations", "--no-input"];
            args.extend_from_slice(step.answers);
            let out = project.run(writer, &args);
            assert!(
                out.success,
                "makemigrations failed on {} at step {}:\n{}",
                writer.name(),
                step.name,
                out.text
            );
            said.push_str(&out.text);
            if out.text.contains("No changes detected") {
                continue;
            }
            // A file written by another backend is that backend's snapshot already.
            if std::ptr::eq(writer, generator) {
                insta::assert_snapshot!(
                    format!("{}_{}", step.name, generator.name()),
                    project.newest_migration_source()
                );
            }
            project.build();
            for (i, backend) in backends.iter().enumerate() {
                let out = project.run(backend, &["migrate"]);
                assert!(
                    out.success,
                    "migrate failed on {} at step {} (written on {}):\n{}",
                    backend.name(),
                    step.name,
                    writer.name(),
                    out.text
                );
                if step.name == "initial" {
                    backend.seed().await;
                }
                backend.assert_seed_intact().await;
                schemas[i].push(backend.schema_fingerprint().await);
            }
            applied.push(format!("{} (written on {})", step.name, writer.name()));
        }
        for line in step.expected_lines {
            assert!(
                said.contains(line),
                "step {}: expected `{line}` in:\n{said}",
                step.name,
            );
        }
        for backend in backends {
            let again = project.run(backend, &["makemigrations", "--check"]);
            assert!(
                again.success && again.text.contains("No changes detected"),
                "{} is not converged after step {}:\n{}",
                backend.name(),
                step.name,
                again.text
            );
        }
    }

    for (i, backend) in backends.iter().enumerate() {
        // Every backend followed every step.
        let followed = schemas[i].len() - 1;
        assert_eq!(followed, applied.len(), "{} missed steps", backend.name());
        for k in (0..followed).rev() {
            if k == 0 {
                // Rolling back the initial migration drops the seeded tables; check data first.
                backend.assert_seed_intact().await;
            }
            // Steps drop columns and tables, whose `down` cannot restore the rows: --force.
            let out = project.run(backend, &["rollback", "--force"]);
            assert!(
                out.success,
                "rollback failed on {} (step {}):\n{}",
                backend.name(),
                applied[k],
                out.text
            );
            let restored = backend.schema_fingerprint().await;
            similar_asserts::assert_eq!(
                schemas[i][k].join("\n"),
                restored.join("\n"),
                "{}: rolling back {} did not restore the schema",
                backend.name(),
                applied[k]
            );
            if k > 0 {
                backend.assert_seed_intact().await;
            }
        }
    }
}
