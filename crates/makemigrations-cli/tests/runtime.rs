//! The runtime helpers on every enabled backend (SQLite always; PostgreSQL and MySQL/MariaDB when
//! `MAKEMIGRATIONS_TEST_POSTGRES` and `MAKEMIGRATIONS_TEST_MYSQL` are set), each in a database of
//! its own. Each test states what a migration must leave behind, read back from the database.

mod support;

use makemigrations::introspect;
use makemigrations::prelude::*;
use makemigrations_core::render::render_operation;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};
use support::Backend;

fn core_backend(db: &DatabaseConnection) -> makemigrations_core::Backend {
    makemigrations_cli::database::core_backend(db.get_database_backend())
}

async fn schema(backend: &Backend, db: &DatabaseConnection) -> makemigrations_core::Schema {
    let name = match backend {
        Backend::MySql { database, .. } => database.as_str(),
        _ => "public",
    };
    introspect::discover(db, core_backend(db), name)
        .await
        .unwrap()
}

/// The first column of every row, as text.
async fn strings(db: &DatabaseConnection, sql: &str) -> Vec<String> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .collect()
}

/// `expr` read as text on this backend.
fn as_text(backend: &Backend, expr: &str) -> String {
    match backend.name() {
        "postgres" => format!("{expr}::text"),
        "mysql" => format!("CAST({expr} AS CHAR)"),
        _ => format!("CAST({expr} AS TEXT)"),
    }
}

/// A file generated where enums are inline calls `create_enum` for a type that may exist already.
#[tokio::test(flavor = "multi_thread")]
async fn create_enum_leaves_an_equal_type_alone_and_refuses_another() {
    for backend in support::enabled_backends().await {
        let db = backend.connect().await;
        let m = SchemaManager::new(&db);
        create_enum(&m, "mood", ["ok", "great"]).await.unwrap();
        create_enum(&m, "mood", ["ok", "great"])
            .await
            .unwrap_or_else(|e| panic!("{}: same values: {e}", backend.name()));
        let other = create_enum(&m, "mood", ["great", "ok"]).await;
        if backend.name() == "postgres" {
            let message = other.expect_err("other values must fail").to_string();
            for part in ["mood", "(ok, great)", "(great, ok)"] {
                assert!(message.contains(part), "{part} not in: {message}");
            }
            assert_eq!(
                strings(&db, "SELECT unnest(enum_range(NULL::mood))::text").await,
                ["ok", "great"]
            );
        } else {
            // Enums are inline there: nothing to create, nothing to refuse.
            other.unwrap();
        }
    }
}

/// An added value is used in the same transaction: as a new column's default and by a data
/// statement. PostgreSQL refuses a value added by `ALTER TYPE .. ADD VALUE` until it commits.
#[tokio::test(flavor = "multi_thread")]
async fn an_added_enum_value_is_usable_in_the_same_transaction() {
    for backend in support::enabled_backends().await {
        let db = backend.connect().await;
        let m = SchemaManager::new(&db);
        create_enum(&m, "order_status", ["pending", "paid"])
            .await
            .unwrap();
        m.create_table(
            Table::create()
                .table("orders")
                .col(ColumnDef::new("id").integer().not_null().primary_key())
                .col(
                    ColumnDef::new("status")
                        .enumeration("order_status", ["pending", "paid"])
                        .not_null()
                        .default("pending"),
                )
                .to_owned(),
        )
        .await
        .unwrap();
        db.execute_unprepared("INSERT INTO orders (id, status) VALUES (1, 'paid')")
            .await
            .unwrap();

        let txn = db.begin().await.unwrap();
        let m = SchemaManager::new(&txn);
        alter_enum(
            &m,
            "order_status",
            ["pending", "paid"],
            ["pending", "paid", "refunded"],
            [("orders", "status")],
        )
        .await
        .unwrap_or_else(|e| panic!("{}: alter_enum: {e}", backend.name()));
        add_column(
            &m,
            "orders",
            ColumnDef::new("was")
                .enumeration("order_status", ["pending", "paid", "refunded"])
                .null()
                .default("refunded"),
        )
        .await
        .unwrap_or_else(|e| panic!("{}: a default using the value: {e}", backend.name()));
        txn.execute_unprepared("INSERT INTO orders (id, status) VALUES (2, 'refunded')")
            .await
            .unwrap_or_else(|e| panic!("{}: a row using the value: {e}", backend.name()));
        txn.commit().await.unwrap();

        let read = |column: &str| {
            format!(
                "SELECT {} FROM orders ORDER BY id",
                as_text(&backend, column)
            )
        };
        assert_eq!(
            strings(&db, &read("status")).await,
            ["paid", "refunded"],
            "{}",
            backend.name()
        );
        assert_eq!(
            strings(&db, &read("was")).await,
            ["refunded", "refunded"],
            "{}",
            backend.name()
        );
    }
}

/// A column moves from one enum type to another; PostgreSQL has no cast between enum types.
#[tokio::test(flavor = "multi_thread")]
async fn a_column_changes_from_one_enum_type_to_another_with_its_rows() {
    for backend in support::enabled_backends().await {
        let db = backend.connect().await;
        let m = SchemaManager::new(&db);
        create_enum(&m, "mood", ["ok", "bad"]).await.unwrap();
        create_enum(&m, "feeling", ["ok", "great"]).await.unwrap();
        let column = |name: &'static str, values: [&'static str; 2]| {
            ColumnDef::new("state")
                .enumeration(name, values)
                .null()
                .to_owned()
        };
        m.create_table(
            Table::create()
                .table("people")
                .col(ColumnDef::new("id").integer().not_null().primary_key())
                .col(column("mood", ["ok", "bad"]))
                .to_owned(),
        )
        .await
        .unwrap();
        db.execute_unprepared("INSERT INTO people (id, state) VALUES (1, 'ok')")
            .await
            .unwrap();
        alter_column(
            &m,
            "people",
            column("mood", ["ok", "bad"]),
            column("feeling", ["ok", "great"]),
        )
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", backend.name()));
        assert_eq!(
            strings(
                &db,
                &format!("SELECT {} FROM people", as_text(&backend, "state"))
            )
            .await,
            ["ok"]
        );
        let state = schema(&backend, &db).await.tables["people"]
            .column("state")
            .unwrap()
            .clone();
        match backend.name() {
            "postgres" => assert_eq!(state.db_type, "feeling"),
            "mysql" => assert_eq!(state.db_type, "enum('ok','great')"),
            _ => {}
        }
    }
}

/// A table from hand-written migrations, with a UNIQUE constraint as sea-query writes
/// `Table::create().index(Index::create().unique().name("uq_x")..)`.
const HAND_WRITTEN: &str = "CREATE TABLE t (id integer NOT NULL PRIMARY KEY, a integer, \
                            b integer, c integer, CONSTRAINT uq_x UNIQUE (a, b))";

fn the_index(schema: &makemigrations_core::Schema) -> Vec<makemigrations_core::Index> {
    schema.tables["t"].indexes.clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_unique_constraint_survives_a_rebuild_and_is_dropped_and_added_as_one() {
    for backend in support::enabled_backends().await {
        let db = backend.connect().await;
        let m = SchemaManager::new(&db);
        let name = backend.name();
        db.execute_unprepared(HAND_WRITTEN).await.unwrap();
        db.execute_unprepared("INSERT INTO t (id, a, b, c) VALUES (1, 1, 1, 1)")
            .await
            .unwrap();
        // MySQL makes a unique constraint an index; the others keep it a constraint.
        let expected = vec![makemigrations_core::Index {
            name: "uq_x".into(),
            columns: vec!["a".into(), "b".into()],
            unique: true,
            constraint: name != "mysql",
        }];
        let live = schema(&backend, &db).await;
        assert_eq!(the_index(&live), expected, "{name}");

        // Entities without it: the file drops it, and `down` makes it again as it was.
        let mut desired = live.clone();
        desired.tables.get_mut("t").unwrap().indexes.clear();
        let options = makemigrations_core::DiffOptions {
            backend: core_backend(&db),
            owned_tables: Default::default(),
            exact_sqlite_types: false,
            exact_names: false,
        };
        let ops = makemigrations_core::diff(&live, &desired, &options).operations;
        let [drop] = ops.as_slice() else {
            panic!("{name}: {ops:?}")
        };
        let (kind, undo) = if name == "mysql" {
            ("index", "manager.create_index(")
        } else {
            (
                "unique constraint",
                r#"add_unique_constraint(manager, "t", "uq_x", ["a", "b"]).await?;"#,
            )
        };
        assert_eq!(drop.describe(), format!("Drop {kind} uq_x on t"));
        assert_eq!(
            render_operation(drop),
            [r#"drop_index(manager, "t", "uq_x").await?;"#]
        );
        assert!(
            render_operation(&drop.reverse())[0].starts_with(undo),
            "{name}"
        );

        // On SQLite a rebuild, which must not name an index `sqlite_autoindex_*`.
        alter_column(
            &m,
            "t",
            ColumnDef::new("c").integer().null(),
            ColumnDef::new("c").big_integer().null(),
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: alter_column: {e}"));
        assert_eq!(
            the_index(&schema(&backend, &db).await),
            expected,
            "{name}: after the alter"
        );
        let duplicate = db
            .execute_unprepared("INSERT INTO t (id, a, b, c) VALUES (2, 1, 1, 2)")
            .await;
        assert!(duplicate.is_err(), "{name}: the constraint still holds");

        drop_index(&m, "t", "uq_x")
            .await
            .unwrap_or_else(|e| panic!("{name}: drop_index: {e}"));
        assert_eq!(the_index(&schema(&backend, &db).await), [], "{name}");
        db.execute_unprepared("INSERT INTO t (id, a, b, c) VALUES (2, 1, 1, 2)")
            .await
            .unwrap();
        db.execute_unprepared("DELETE FROM t WHERE id = 2")
            .await
            .unwrap();

        // What `down` does.
        add_unique_constraint(&m, "t", "uq_x", ["a", "b"])
            .await
            .unwrap_or_else(|e| panic!("{name}: add_unique_constraint: {e}"));
        assert_eq!(the_index(&schema(&backend, &db).await), expected, "{name}");
        assert_eq!(
            strings(&db, &format!("SELECT {} FROM t", as_text(&backend, "c"))).await,
            ["1"],
            "{name}: rows survive"
        );
    }
}

/// `n` tables, each with a foreign key to the one before it and an index: statements that must
/// run in order (a key names a table created earlier).
fn chain_of_tables(prefix: &str, n: usize) -> Statements {
    let mut statements = Statements::new();
    for i in 0..n {
        let name = format!("{prefix}{i:03}");
        let mut table = Table::create()
            .table(name.clone())
            .col(ColumnDef::new("id").integer().not_null().primary_key())
            .col(ColumnDef::new("parent_id").integer().null())
            .to_owned();
        if i > 0 {
            table.foreign_key(
                ForeignKey::create()
                    .name(format!("fk_{name}_parent"))
                    .from(name.clone(), "parent_id")
                    .to(format!("{prefix}{:03}", i - 1), "id"),
            );
        }
        statements.add(table);
        statements.add(
            Index::create()
                .name(format!("idx_{name}_parent"))
                .table(name.clone())
                .col("parent_id")
                .to_owned(),
        );
    }
    statements
}

/// A large migration's statements (`Statements`, which the renderer writes for parts of plain
/// statements) all run, in order, inside a transaction (PostgreSQL and SQLite send them as
/// scripts) and outside one (one at a time, as on MySQL).
#[tokio::test(flavor = "multi_thread")]
async fn statements_run_in_order_inside_and_outside_a_transaction() {
    for backend in support::enabled_backends().await {
        let db = backend.connect().await;
        let txn = db.begin().await.unwrap();
        // 300 statements: three scripts of 100.
        chain_of_tables("a", 150)
            .run(&SchemaManager::new(&txn))
            .await
            .unwrap_or_else(|e| panic!("{}: in a transaction: {e}", backend.name()));
        txn.commit().await.unwrap();
        chain_of_tables("b", 30)
            .run(&SchemaManager::new(&db))
            .await
            .unwrap_or_else(|e| panic!("{}: without a transaction: {e}", backend.name()));
        let live = schema(&backend, &db).await;
        for prefix in ["a", "b"] {
            let n = if prefix == "a" { 150 } else { 30 };
            for i in 0..n {
                let table = &live.tables[&format!("{prefix}{i:03}")];
                assert_eq!(table.indexes.len(), 1, "{}: {table:?}", backend.name());
                assert_eq!(table.foreign_keys.len(), usize::from(i > 0));
            }
        }
    }
}

/// Adds one statement.
type AddStatement = Box<dyn FnOnce(&mut Statements) + Send>;

/// The statements of `folded_indexes_make_the_same_schema`: a table with a plain index, a unique
/// one and a late one; a table with a foreign key and its plain index, and an index of a
/// descending column.
fn tables_with_indexes() -> Vec<AddStatement> {
    fn index(name: &str, table: &str, columns: &[&str]) -> IndexCreateStatement {
        let mut index = Index::create()
            .name(name)
            .table(String::from(table))
            .to_owned();
        for column in columns {
            index.col(String::from(*column));
        }
        index
    }
    let (a, a_unique, a_late, b, c) = (
        index("idx_f1_name", "f1", &["name"]),
        index("uq_f1_code", "f1", &["code"]).unique().to_owned(),
        index("idx_f1_code_name", "f1", &["code", "name"]),
        index("idx_f2_parent", "f2", &["parent_id"]),
        Index::create()
            .name("idx_f2_name_desc")
            .table("f2")
            .col(("name", IndexOrder::Desc))
            .to_owned(),
    );
    vec![
        Box::new(|s: &mut Statements| {
            s.add(
                Table::create()
                    .table("f1")
                    .col(ColumnDef::new("id").integer().not_null().primary_key())
                    .col(ColumnDef::new("name").string_len(50).not_null())
                    .col(ColumnDef::new("code").string_len(20).not_null())
                    .to_owned(),
            )
        }),
        Box::new(move |s: &mut Statements| s.add(a)),
        Box::new(move |s: &mut Statements| s.add(a_unique)),
        Box::new(|s: &mut Statements| {
            s.add(
                Table::create()
                    .table("f2")
                    .col(ColumnDef::new("id").integer().not_null().primary_key())
                    .col(ColumnDef::new("parent_id").integer().null())
                    .col(ColumnDef::new("name").string_len(50).null())
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_f2_parent")
                            .from("f2", "parent_id")
                            .to("f1", "id"),
                    )
                    .to_owned(),
            )
        }),
        Box::new(move |s: &mut Statements| s.add(b)),
        Box::new(move |s: &mut Statements| s.add(c)),
        Box::new(move |s: &mut Statements| s.add(a_late)),
    ]
}

/// On MySQL a plain index added right after its table is sent inside that table's CREATE TABLE,
/// as `mysqldump` writes it (InnoDB builds each CREATE INDEX as an ALTER of its own); an index
/// that says more (a descending column), or that comes later, stays a statement of its own. On
/// every backend the schema is the one the same statements make one at a time.
#[tokio::test(flavor = "multi_thread")]
async fn folded_indexes_make_the_same_schema() {
    let together = support::enabled_backends().await;
    let alone = support::enabled_backends().await;
    for (together, alone) in together.iter().zip(&alone) {
        // One connection, so that its session counters count every statement sent.
        let db = sea_orm::Database::connect(
            sea_orm::ConnectOptions::new(together.url())
                .max_connections(1)
                .to_owned(),
        )
        .await
        .unwrap();
        let mut statements = Statements::new();
        for add in tables_with_indexes() {
            add(&mut statements);
        }
        statements
            .run(&SchemaManager::new(&db))
            .await
            .unwrap_or_else(|e| panic!("{}: together: {e}", together.name()));
        if together.name() == "mysql" {
            let rows = db
                .query_all_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SHOW SESSION STATUS WHERE Variable_name IN ('Com_create_table', 'Com_create_index')",
                ))
                .await
                .unwrap();
            let mut sent: Vec<String> = rows
                .iter()
                .map(|r| {
                    let name: String = r.try_get_by_index(0).unwrap();
                    let value: String = r.try_get_by_index(1).unwrap();
                    format!("{}={value}", name.to_lowercase())
                })
                .collect();
            sent.sort();
            // Two tables with three of their indexes inside; the descending and the late index apart.
            assert_eq!(sent, ["com_create_index=2", "com_create_table=2"]);
        }

        let one_db = alone.connect().await;
        for add in tables_with_indexes() {
            let mut one = Statements::new();
            add(&mut one);
            one.run(&SchemaManager::new(&one_db))
                .await
                .unwrap_or_else(|e| panic!("{}: one at a time: {e}", alone.name()));
        }
        let (folded, separate) = (schema(together, &db).await, schema(alone, &one_db).await);
        assert_eq!(folded.tables, separate.tables, "{}", together.name());
        assert_eq!(folded.tables["f1"].indexes.len(), 3, "{}", together.name());
    }
}

/// A statement that fails in the middle of a script fails the run with its own error, as it
/// would alone (the script is undone to its savepoint and run again one statement at a time),
/// and rolling the transaction back leaves nothing of the statements before it.
#[tokio::test(flavor = "multi_thread")]
async fn a_failing_statement_in_a_script_fails_with_its_own_error() {
    for backend in support::enabled_backends().await {
        let db = backend.connect().await;
        db.execute_unprepared("CREATE TABLE c140 (id integer PRIMARY KEY)")
            .await
            .unwrap();
        let alone = db
            .execute_unprepared(
                &db.get_database_backend()
                    .build(
                        &Table::create()
                            .table("c140")
                            .col(ColumnDef::new("id").integer().not_null().primary_key())
                            .col(ColumnDef::new("parent_id").integer().null())
                            .to_owned(),
                    )
                    .sql,
            )
            .await
            .expect_err("the table exists")
            .to_string();
        // `c140` is the 281st statement: in the third script.
        let mut statements = chain_of_tables("c", 150);
        let txn = db.begin().await.unwrap();
        let error = match statements.run(&SchemaManager::new(&txn)).await {
            Ok(()) => panic!("{}: the statement must fail", backend.name()),
            Err(e) => e.to_string(),
        };
        assert_eq!(error, alone, "{}", backend.name());
        txn.rollback().await.unwrap();
        let left: Vec<String> = support::table_names(&backend)
            .await
            .into_iter()
            .filter(|t| t.starts_with('c'))
            .collect();
        if backend.name() == "mysql" {
            // Each statement committed on its own before the failure.
            assert_eq!(left.len(), 141, "{left:?}");
        } else {
            assert_eq!(left, ["c140"], "{}", backend.name());
        }
    }
}
