//! MySQL/MariaDB discovery against a real server, on tables built the way the scratch database
//! builds them: by sea-query. Runs when `MAKEMIGRATIONS_TEST_MYSQL` holds a server URL
//! (`mysql://root@127.0.0.1:3306/test`); each test creates and drops databases of its own.

use makemigrations::introspect;
use makemigrations_core::{
    Backend, Column, ColumnType, DeclaredActions, DefaultValue, ForeignKey, ForeignKeyAction,
    Index, Schema, Table,
};
use sea_orm::sea_query::{
    ColumnDef, ColumnType as Sea, Expr, ForeignKey as Fk, ForeignKeyAction as FkAction,
    Index as Idx, IntoIden, MysqlQueryBuilder, StringLen, Table as Tbl,
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

const MYSQL_VAR: &str = "MAKEMIGRATIONS_TEST_MYSQL";

/// Every column type sea-query writes for MySQL, with MariaDB's spelling of it and the type read
/// back. Where sea-query writes two types alike, the plainer one comes back: `String(None)` is
/// `varchar(255)`, `Uuid` is `binary(16)`.
fn kinds() -> Vec<(Sea, &'static str, ColumnType)> {
    use ColumnType as T;
    let enumeration = Sea::Enum {
        name: "mood".into_iden(),
        variants: vec!["happy".into_iden(), "sad".into_iden()],
    };
    let variants = vec!["happy".into(), "sad".into()];
    vec![
        (Sea::Char(Some(3)), "char(3)", T::Char(Some(3))),
        (
            Sea::String(StringLen::None),
            "varchar(255)",
            T::String(Some(255)),
        ),
        (
            Sea::String(StringLen::N(120)),
            "varchar(120)",
            T::String(Some(120)),
        ),
        (Sea::Text, "text", T::Text),
        (Sea::TinyInteger, "tinyint(4)", T::TinyInteger),
        (Sea::SmallInteger, "smallint(6)", T::SmallInteger),
        (Sea::Integer, "int(11)", T::Integer),
        (Sea::BigInteger, "bigint(20)", T::BigInteger),
        (Sea::TinyUnsigned, "tinyint(3) unsigned", T::TinyUnsigned),
        (Sea::SmallUnsigned, "smallint(5) unsigned", T::SmallUnsigned),
        (Sea::Unsigned, "int(10) unsigned", T::Unsigned),
        (Sea::BigUnsigned, "bigint(20) unsigned", T::BigUnsigned),
        (Sea::Float, "float", T::Float),
        (Sea::Double, "double", T::Double),
        (
            Sea::Decimal(Some((10, 2))),
            "decimal(10,2)",
            T::Decimal(Some((10, 2))),
        ),
        (Sea::DateTime, "datetime", T::DateTime),
        (Sea::Timestamp, "timestamp", T::Timestamp),
        (Sea::Time, "time", T::Time),
        (Sea::Date, "date", T::Date),
        (Sea::Binary(4), "binary(4)", T::Binary(4)),
        (
            Sea::VarBinary(StringLen::N(32)),
            "varbinary(32)",
            T::VarBinary(Some(32)),
        ),
        (Sea::Blob, "blob", T::Blob),
        (Sea::Boolean, "tinyint(1)", T::Boolean),
        (Sea::Json, "json", T::Json),
        (Sea::Uuid, "binary(16)", T::Binary(16)),
        (
            enumeration,
            "enum('happy','sad')",
            T::Enum {
                name: String::new(),
                variants,
            },
        ),
    ]
}

/// MySQL 8.0.19+ drops the display width of integer types, except for `tinyint(1)`.
fn server_spelling(mariadb_spelling: &str, mariadb: bool) -> String {
    let is_int = ["tinyint(", "smallint(", "int(", "bigint("]
        .iter()
        .any(|p| mariadb_spelling.starts_with(p));
    match mariadb_spelling.split_once('(') {
        Some((base, rest)) if !mariadb && is_int && mariadb_spelling != "tinyint(1)" => {
            format!("{base}{}", &rest[rest.find(')').unwrap() + 1..])
        }
        _ => mariadb_spelling.to_string(),
    }
}

fn ddl() -> Vec<String> {
    let mut kinds = Tbl::create();
    kinds.table("kinds").col(
        ColumnDef::new("id")
            .big_unsigned()
            .not_null()
            .auto_increment()
            .primary_key(),
    );
    for (i, (sea_type, _, _)) in self::kinds().into_iter().enumerate() {
        // NULL explicitly: before 10.10, MariaDB makes a timestamp column NOT NULL otherwise.
        kinds.col(ColumnDef::new_with_type(format!("c{i}"), sea_type).null());
    }
    vec![
        Tbl::create()
            .table("parent")
            .comment("the parent's table")
            .col(
                ColumnDef::new("id")
                    .integer()
                    .not_null()
                    .auto_increment()
                    .primary_key(),
            )
            .col(ColumnDef::new("code").string_len(10).unique_key())
            .col(ColumnDef::new("a").integer())
            .col(ColumnDef::new("b").integer())
            .index(
                Idx::create()
                    .name("idx-parent-a-b")
                    .col("a")
                    .col("b")
                    .unique(),
            )
            .to_string(MysqlQueryBuilder),
        kinds.to_string(MysqlQueryBuilder),
        Tbl::create()
            .table("defaults")
            .col(
                ColumnDef::new("id")
                    .integer()
                    .not_null()
                    .auto_increment()
                    .primary_key(),
            )
            .col(ColumnDef::new("d_string").string_len(20).default("it's"))
            .col(ColumnDef::new("d_int").integer().not_null().default(42))
            .col(ColumnDef::new("d_bool").boolean().not_null().default(true))
            .col(ColumnDef::new("d_float").double().default(1.5))
            .col(
                ColumnDef::new("d_ts")
                    .timestamp()
                    .not_null()
                    .default(Expr::current_timestamp()),
            )
            .col(
                ColumnDef::new("d_none")
                    .string_len(5)
                    .comment("no default, a column's comment"),
            )
            .to_string(MysqlQueryBuilder),
        Tbl::create()
            .table("child")
            .col(
                ColumnDef::new("id")
                    .integer()
                    .not_null()
                    .auto_increment()
                    .primary_key(),
            )
            .col(ColumnDef::new("parent_id").integer().not_null())
            .col(ColumnDef::new("other_id").integer())
            .col(ColumnDef::new("label").string_len(200))
            // No index covers parent_id: InnoDB creates one named after the key.
            .foreign_key(
                Fk::create()
                    .name("fk-child-parent_id")
                    .from("child", "parent_id")
                    .to("parent", "id")
                    .on_delete(FkAction::Cascade),
            )
            .foreign_key(
                Fk::create()
                    .name("fk-child-other_id")
                    .from("child", "other_id")
                    .to("parent", "id"),
            )
            .index(Idx::create().name("idx-child-other_id").col("other_id"))
            .to_string(MysqlQueryBuilder),
        Idx::create()
            .name("idx-child-label")
            .table("child")
            .col(("label", 10))
            .to_string(MysqlQueryBuilder),
        Idx::create()
            .name("idx-child-label-text")
            .table("child")
            .col("label")
            .full_text()
            .to_string(MysqlQueryBuilder),
        Tbl::create()
            .table("membership")
            .col(ColumnDef::new("user_id").integer().not_null())
            .col(ColumnDef::new("group_id").integer().not_null())
            .primary_key(Idx::create().col("user_id").col("group_id"))
            .to_string(MysqlQueryBuilder),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_what_sea_query_creates() {
    let Some(url) = server_url() else { return };
    let db = ScratchDatabase::create(&url).await;
    let (schema, mariadb) = db.build_and_discover(&ddl()).await;
    assert_eq!(schema.enums.len(), 0);
    assert_eq!(
        schema.tables.keys().collect::<Vec<_>>(),
        ["child", "defaults", "kinds", "membership", "parent"]
    );

    let column = |name: &str, col_type: ColumnType, db_type: &str| {
        Column::new(name, col_type, server_spelling(db_type, mariadb))
    };
    let serial = |c: Column| Column {
        nullable: false,
        auto_increment: true,
        ..c
    };

    let kinds = &schema.tables["kinds"];
    assert_eq!(kinds.primary_key, ["id"]);
    assert_eq!(
        kinds.columns[0],
        serial(column("id", ColumnType::BigUnsigned, "bigint(20) unsigned"))
    );
    let expected: Vec<Column> = self::kinds()
        .into_iter()
        .enumerate()
        .map(|(i, (_, db_type, col_type))| column(&format!("c{i}"), col_type, db_type))
        .collect();
    assert_eq!(kinds.columns[1..], expected);

    let parent = &schema.tables["parent"];
    let mut expected = Table::new("parent");
    expected.comment = Some("the parent's table".into());
    expected.primary_key = vec!["id".into()];
    expected.columns = vec![
        serial(column("id", ColumnType::Integer, "int(11)")),
        Column {
            unique: true,
            ..column("code", ColumnType::String(Some(10)), "varchar(10)")
        },
        column("a", ColumnType::Integer, "int(11)"),
        column("b", ColumnType::Integer, "int(11)"),
    ];
    expected.indexes = vec![Index {
        name: "idx-parent-a-b".into(),
        columns: vec!["a".into(), "b".into()],
        unique: true,
        constraint: false,
    }];
    assert_eq!(parent, &expected);

    let defaults = &schema.tables["defaults"];
    let found: Vec<_> = defaults
        .columns
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.nullable,
                c.default
                    .as_ref()
                    .map(|d| (d.sql.as_str(), d.value.clone())),
            )
        })
        .collect();
    let current_timestamp = if mariadb {
        "current_timestamp()"
    } else {
        "CURRENT_TIMESTAMP"
    };
    assert_eq!(
        found,
        [
            ("id", false, None),
            (
                "d_string",
                true,
                Some(("'it''s'", DefaultValue::String("it's".into())))
            ),
            ("d_int", false, Some(("42", DefaultValue::Int(42)))),
            ("d_bool", false, Some(("1", DefaultValue::Bool(true)))),
            (
                "d_float",
                true,
                Some(("1.5", DefaultValue::Float("1.5".into())))
            ),
            (
                "d_ts",
                false,
                Some((current_timestamp, DefaultValue::CurrentTimestamp))
            ),
            ("d_none", true, None),
        ]
    );
    assert_eq!(
        defaults.columns[6].comment.as_deref(),
        Some("no default, a column's comment")
    );
    assert!(defaults
        .columns
        .iter()
        .all(|c| c.auto_increment == (c.name == "id")));
    assert_eq!(defaults.comment, None);

    let child = &schema.tables["child"];
    // The prefix and FULLTEXT indexes are left out, and so is the index InnoDB made for
    // fk-child-parent_id.
    assert_eq!(
        child.indexes,
        [Index {
            name: "idx-child-other_id".into(),
            columns: vec!["other_id".into()],
            unique: false,
            constraint: false,
        }]
    );
    let fk = |name: &str, column: &str, on_delete| ForeignKey {
        name: Some(name.into()),
        columns: vec![column.into()],
        ref_table: "parent".into(),
        ref_columns: vec!["id".into()],
        on_delete,
        // Nothing declared reads as RESTRICT on MariaDB.
        on_update: ForeignKeyAction::Restrict,
        // The database cannot tell RESTRICT from nothing declared: stated.
        declared: DeclaredActions {
            on_delete: true,
            on_update: true,
        },
    };
    assert_eq!(
        child.foreign_keys,
        [
            fk("fk-child-other_id", "other_id", ForeignKeyAction::Restrict),
            fk("fk-child-parent_id", "parent_id", ForeignKeyAction::Cascade),
        ]
    );
    assert!(child
        .columns
        .iter()
        .all(|c| !c.unique && c.comment.is_none()));

    let membership = &schema.tables["membership"];
    assert_eq!(membership.primary_key, ["user_id", "group_id"]);
    assert!(membership.indexes.is_empty());
    assert!(membership
        .columns
        .iter()
        .all(|c| !c.nullable && !c.auto_increment));
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_the_same_ddl_alike_in_two_databases() {
    let Some(url) = server_url() else { return };
    let (first, second) = (
        ScratchDatabase::create(&url).await,
        ScratchDatabase::create(&url).await,
    );
    let (first, _) = first.build_and_discover(&ddl()).await;
    let (second, _) = second.build_and_discover(&ddl()).await;
    assert_eq!(first, second);
}

fn server_url() -> Option<String> {
    std::env::var(MYSQL_VAR).ok().filter(|v| !v.is_empty())
}

/// A database of its own on the test server, dropped when the test ends, failed or not.
struct ScratchDatabase {
    admin_url: String,
    url: String,
    name: String,
}

impl ScratchDatabase {
    async fn create(admin_url: &str) -> Self {
        // The tests of this binary run on threads of one process, and a coarse clock (seen in
        // CI) can give two of them the same nanoseconds: the counter keeps their names apart.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let name = format!("mm_disc_{}_{n}_{nanos}", std::process::id());
        let admin = Database::connect(admin_url)
            .await
            .unwrap_or_else(|e| panic!("{MYSQL_VAR} is set but the server is unreachable: {e}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE `{name}`"))
            .await
            .unwrap();
        admin.close().await.unwrap();
        let base = admin_url.split('?').next().unwrap();
        let url = format!("{}/{name}", &base[..base.rfind('/').unwrap()]);
        ScratchDatabase {
            admin_url: admin_url.to_string(),
            url,
            name,
        }
    }

    /// Runs the DDL, then discovers; also says whether the server is MariaDB.
    async fn build_and_discover(&self, ddl: &[String]) -> (Schema, bool) {
        let db: DatabaseConnection = Database::connect(&self.url).await.unwrap();
        for sql in ddl {
            db.execute_unprepared(sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let version = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT CAST(VERSION() AS CHAR) AS v",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<String>("", "v")
            .unwrap();
        let schema = introspect::discover(&db, Backend::MySql, &self.name)
            .await
            .unwrap();
        db.close().await.unwrap();
        (schema, version.contains("MariaDB"))
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs outside async code: a runtime of its own, on a thread of its own.
        let _ = std::thread::spawn(move || {
            tokio::runtime::Runtime::new().unwrap().block_on(async {
                if let Ok(db) = Database::connect(&admin_url).await {
                    let _ = db
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
                        .await;
                }
            });
        })
        .join();
    }
}
