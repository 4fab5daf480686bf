//! The runtime helpers against a real MySQL or MariaDB: set MAKEMIGRATIONS_TEST_MYSQL (for
//! example `mysql://root@127.0.0.1:3306/test`) to run them; without it they pass silently. Each
//! test works in a database of its own, dropped afterwards even when the test fails.

#[path = "golden/every_operation.rs"]
mod every_operation;
mod support;

use std::sync::{Arc, Mutex};

use makemigrations::prelude::*;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

const MYSQL_VAR: &str = "MAKEMIGRATIONS_TEST_MYSQL";

/// A scratch database, and the DDL statements executed on it (through sea-orm's metric callback,
/// which is what the executor lists after a failed migration).
struct TestDb {
    conn: DatabaseConnection,
    server: String,
    name: String,
    statements: Arc<Mutex<Vec<String>>>,
}

impl TestDb {
    async fn new() -> Option<Self> {
        let url = std::env::var(MYSQL_VAR).ok().filter(|v| !v.is_empty())?;
        let server = url.rsplit_once('/').expect("a database URL").0.to_string();
        let name = format!("mm_rt_{}", support::unique_suffix());
        let admin = Database::connect(&server).await.unwrap();
        admin
            .execute_unprepared(&format!("CREATE DATABASE `{name}`"))
            .await
            .unwrap();
        let mut conn = Database::connect(format!("{server}/{name}")).await.unwrap();
        let statements = Arc::new(Mutex::new(Vec::new()));
        let seen = statements.clone();
        conn.set_metric_callback(move |info| {
            let sql = info.statement.to_string();
            if !sql.starts_with("SELECT") && !sql.starts_with("SHOW") {
                seen.lock().unwrap().push(sql);
            }
        });
        Some(Self {
            conn,
            server,
            name,
            statements,
        })
    }

    fn manager(&self) -> SchemaManager<'_> {
        SchemaManager::new(&self.conn)
    }

    async fn run(&self, sql: &str) {
        self.conn.execute_unprepared(sql).await.unwrap();
    }

    /// The first column of every row, as text.
    async fn strings(&self, sql: &str) -> Vec<String> {
        let rows = self
            .conn
            .query_all_raw(Statement::from_string(DbBackend::MySql, sql))
            .await
            .unwrap();
        rows.iter()
            .map(|r| r.try_get_by_index::<Option<String>>(0).unwrap())
            .map(|v| v.unwrap_or_else(|| "NULL".into()))
            .collect()
    }

    async fn show_create(&self, table: &str) -> String {
        let rows = self
            .conn
            .query_all_raw(Statement::from_string(
                DbBackend::MySql,
                format!("SHOW CREATE TABLE `{table}`"),
            ))
            .await
            .unwrap();
        rows[0].try_get("", "Create Table").unwrap()
    }

    /// `COLUMN_TYPE|IS_NULLABLE|COLUMN_DEFAULT|EXTRA|COLUMN_COMMENT` of a column.
    async fn column(&self, table: &str, column: &str) -> String {
        let sql = format!(
            "SELECT CONCAT_WS('|', COLUMN_TYPE, IS_NULLABLE, IFNULL(COLUMN_DEFAULT, 'NULL'), \
                    EXTRA, COLUMN_COMMENT) \
             FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}' AND COLUMN_NAME = '{column}'"
        );
        self.strings(&sql).await.remove(0)
    }

    /// `name(columns)` of each index of a table, unique ones marked `!`.
    async fn indexes(&self, table: &str) -> Vec<String> {
        let sql = format!(
            "SELECT CONCAT(IF(MIN(NON_UNIQUE) = 0, '!', ''), INDEX_NAME, '(', \
                    GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX), ')') \
             FROM information_schema.STATISTICS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}' \
             GROUP BY INDEX_NAME ORDER BY INDEX_NAME"
        );
        self.strings(&sql).await
    }

    /// The statements executed since the last call.
    fn executed(&self) -> Vec<String> {
        std::mem::take(&mut self.statements.lock().unwrap())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Drop cannot await, and the test's runtime may be unwinding: a runtime of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(admin) = Database::connect(&server).await {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
                        .await;
                }
            });
        })
        .join();
    }
}

macro_rules! test_db {
    () => {
        match TestDb::new().await {
            Some(db) => db,
            None => return,
        }
    };
}

#[tokio::test]
async fn enums_are_inline_so_create_and_drop_do_nothing() {
    let db = test_db!();
    create_enum(&db.manager(), "mood", ["ok", "great"])
        .await
        .unwrap();
    drop_enum(&db.manager(), "mood").await.unwrap();
    assert!(db.executed().is_empty());
}

#[tokio::test]
async fn alter_column_changes_type_null_and_default_and_keeps_data() {
    let db = test_db!();
    let m = db.manager();
    db.run(
        "CREATE TABLE items (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, \
         price int NOT NULL DEFAULT 0 COMMENT 'cents')",
    )
    .await;
    db.run("INSERT INTO items (price) VALUES (1), (25)").await;
    db.executed();
    alter_column(
        &m,
        "items",
        ColumnDef::new("price")
            .integer()
            .not_null()
            .default(0)
            .comment("cents"),
        ColumnDef::new("price")
            .decimal_len(10, 2)
            .null()
            .default(1.5)
            .comment("cents"),
    )
    .await
    .unwrap();
    assert_eq!(db.executed().len(), 1);
    assert_eq!(
        db.column("items", "price").await,
        "decimal(10,2)|YES|1.50||cents"
    );
    assert_eq!(
        db.strings("SELECT CAST(price AS CHAR) FROM items ORDER BY id")
            .await,
        ["1.00", "25.00"]
    );

    // The primary key column: MODIFY restates AUTO_INCREMENT and adds no second primary key.
    alter_column(
        &m,
        "items",
        ColumnDef::new("id")
            .integer()
            .not_null()
            .auto_increment()
            .primary_key(),
        ColumnDef::new("id")
            .big_integer()
            .not_null()
            .auto_increment()
            .primary_key(),
    )
    .await
    .unwrap();
    assert_eq!(
        db.column("items", "id").await,
        "bigint(20)|NO|NULL|auto_increment|"
    );
    assert_eq!(db.indexes("items").await, ["!PRIMARY(id)"]);

    // Nothing differs: nothing runs.
    db.executed();
    let same = || ColumnDef::new("price").decimal_len(10, 2).null().to_owned();
    alter_column(&m, "items", same(), same()).await.unwrap();
    assert!(db.executed().is_empty());
}

#[tokio::test]
async fn alter_column_adds_and_drops_unique_in_one_statement() {
    let db = test_db!();
    let m = db.manager();
    db.run("CREATE TABLE users (id int PRIMARY KEY, email varchar(255) NOT NULL)")
        .await;
    db.run("INSERT INTO users VALUES (1, 'a@x'), (2, 'b@x')")
        .await;
    db.executed();
    let unique = || {
        ColumnDef::new("email")
            .string_len(255)
            .not_null()
            .unique_key()
            .to_owned()
    };
    let plain = || {
        ColumnDef::new("email")
            .string_len(255)
            .not_null()
            .to_owned()
    };
    alter_column(&m, "users", plain(), unique()).await.unwrap();
    assert_eq!(db.executed().len(), 1);
    assert_eq!(db.indexes("users").await, ["!email(email)", "!PRIMARY(id)"]);

    // As in a generated file: the type, the nullability and the uniqueness change together.
    let loose = || ColumnDef::new("email").string().null().to_owned();
    alter_column(&m, "users", unique(), loose()).await.unwrap();
    assert_eq!(db.executed().len(), 1);
    assert_eq!(db.indexes("users").await, ["!PRIMARY(id)"]);
    assert_eq!(db.column("users", "email").await, "varchar(255)|YES|NULL||");
    alter_column(&m, "users", loose(), unique()).await.unwrap();
    assert_eq!(db.indexes("users").await, ["!email(email)", "!PRIMARY(id)"]);
    assert_eq!(
        db.strings("SELECT email FROM users ORDER BY id").await,
        ["a@x", "b@x"]
    );
}

/// A one-to-one key: InnoDB uses the column's unique index for the key and makes none of its own,
/// so dropping the unique adds the key's index in the same statement (error 1553 otherwise).
#[tokio::test]
async fn dropping_the_unique_that_a_foreign_key_uses_keeps_an_index_for_the_key() {
    let db = test_db!();
    let m = db.manager();
    db.run("CREATE TABLE users (id int PRIMARY KEY)").await;
    db.run(
        "CREATE TABLE profiles (id int PRIMARY KEY, user_id int NOT NULL UNIQUE, \
         CONSTRAINT `fk-profiles-user_id` FOREIGN KEY (user_id) REFERENCES users (id))",
    )
    .await;
    db.executed();
    let column = |unique: bool| {
        let mut def = ColumnDef::new("user_id").integer().not_null().to_owned();
        if unique {
            def.unique_key();
        }
        def
    };
    alter_column(&m, "profiles", column(true), column(false))
        .await
        .unwrap();
    assert_eq!(db.executed().len(), 1);
    assert_eq!(
        db.indexes("profiles").await,
        ["fk-profiles-user_id(user_id)", "!PRIMARY(id)"]
    );
}

#[tokio::test]
async fn add_and_drop_columns_including_unique_and_primary_key() {
    let db = test_db!();
    let m = db.manager();
    db.run("CREATE TABLE t (name varchar(20) NULL)").await;
    db.run("INSERT INTO t VALUES ('a'), ('b')").await;
    add_column(
        &m,
        "t",
        ColumnDef::new("code").string_len(20).null().unique_key(),
    )
    .await
    .unwrap();
    add_column(
        &m,
        "t",
        ColumnDef::new("id")
            .integer()
            .not_null()
            .auto_increment()
            .primary_key(),
    )
    .await
    .unwrap();
    assert_eq!(db.indexes("t").await, ["!code(code)", "!PRIMARY(id)"]);
    assert_eq!(
        db.strings("SELECT CAST(id AS CHAR) FROM t ORDER BY id")
            .await,
        ["1", "2"]
    );
    drop_column(&m, "t", "code").await.unwrap();
    assert_eq!(db.indexes("t").await, ["!PRIMARY(id)"]);
}

#[tokio::test]
async fn comments_are_set_changed_and_removed_and_left_alone_when_equal() {
    let db = test_db!();
    let m = db.manager();
    // As a generated file creates a table: inline comments, then the comment helpers.
    m.create_table(
        Table::create()
            .table("orders")
            .col(ColumnDef::new("id").integer().not_null().primary_key())
            .col(
                ColumnDef::new("price")
                    .decimal_len(10, 2)
                    .not_null()
                    .default(0)
                    .comment("in cents' units"),
            )
            .col(
                ColumnDef::new("note")
                    .string_len(30)
                    .null()
                    .default(" COMMENT 'x'"),
            )
            .comment("Customer orders")
            .to_owned(),
    )
    .await
    .unwrap();
    db.executed();
    comment_on_table(&m, "orders", Some("Customer orders"))
        .await
        .unwrap();
    comment_on_column(&m, "orders", "price", Some("in cents' units"))
        .await
        .unwrap();
    assert!(db.executed().is_empty());

    let table_comment = "SELECT TABLE_COMMENT FROM information_schema.TABLES \
                         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders'";
    comment_on_table(&m, "orders", Some(r"it's a \ new one"))
        .await
        .unwrap();
    assert_eq!(db.strings(table_comment).await, [r"it's a \ new one"]);
    comment_on_table(&m, "orders", None).await.unwrap();
    assert_eq!(db.strings(table_comment).await, [""]);

    comment_on_column(&m, "orders", "price", Some(r#"say "hi" \ it's"#))
        .await
        .unwrap();
    assert_eq!(
        db.column("orders", "price").await,
        r#"decimal(10,2)|NO|0.00||say "hi" \ it's"#
    );
    comment_on_column(&m, "orders", "price", None)
        .await
        .unwrap();
    assert_eq!(
        db.column("orders", "price").await,
        "decimal(10,2)|NO|0.00||"
    );
    // A default that looks like a comment stays a default.
    comment_on_column(&m, "orders", "note", Some("free text"))
        .await
        .unwrap();
    assert_eq!(
        db.column("orders", "note").await,
        "varchar(30)|YES|' COMMENT ''x'''||free text"
    );
    assert_eq!(db.executed().len(), 5);
}

#[tokio::test]
async fn alter_enum_changes_the_listed_columns_with_those_values() {
    let db = test_db!();
    let m = db.manager();
    db.run(
        "CREATE TABLE orders (id int PRIMARY KEY, \
         state enum('pending','paid') NOT NULL DEFAULT 'pending' COMMENT 'where it is', \
         other enum('paid','pending') NULL)",
    )
    .await;
    db.run("CREATE TABLE archive (state enum('pending','paid') NULL)")
        .await;
    db.run("INSERT INTO orders VALUES (1, 'pending', 'paid'), (2, 'paid', NULL)")
        .await;
    db.executed();

    alter_enum(
        &m,
        "order_status",
        ["pending", "paid"],
        ["pending", "paid", "shipped"],
        [("orders", "state")],
    )
    .await
    .unwrap();
    assert_eq!(db.executed().len(), 1);
    assert_eq!(
        db.column("orders", "state").await,
        "enum('pending','paid','shipped')|NO|'pending'||where it is"
    );
    // Another column with the same values belongs to another enum: it is left alone.
    assert_eq!(
        db.column("archive", "state").await,
        "enum('pending','paid')|YES|NULL||"
    );
    assert_eq!(
        db.column("orders", "other").await,
        "enum('paid','pending')|YES|NULL||"
    );

    db.run("UPDATE orders SET state = 'shipped' WHERE id = 2")
        .await;
    alter_enum(
        &m,
        "order_status",
        ["pending", "paid", "shipped"],
        ["pending", "shipped"],
        [("orders", "state")],
    )
    .await
    .unwrap();
    alter_enum(
        &m,
        "order_status",
        ["pending", "shipped"],
        ["shipped", "pending"],
        [("orders", "state")],
    )
    .await
    .unwrap();
    assert_eq!(
        db.column("orders", "state").await,
        "enum('shipped','pending')|NO|'pending'||where it is"
    );
    assert_eq!(
        db.strings("SELECT state FROM orders ORDER BY id").await,
        ["pending", "shipped"]
    );

    // Values are matched as MySQL spells them: quotes doubled, backslashes escaped. A
    // hand-written call that lists no columns changes every column with those values.
    db.run(r"CREATE TABLE odd (v enum('it''s','a\\b') NOT NULL DEFAULT 'it''s')")
        .await;
    alter_enum(&m, "odd", ["it's", r"a\b"], ["it's", r"a\b", "c"], [])
        .await
        .unwrap();
    assert_eq!(
        db.column("odd", "v").await,
        r"enum('it''s','a\\b','c')|NO|'it''s'||"
    );
}

fn order_user_key() -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name("fk-orders-user_id")
        .from("orders", "user_id")
        .to("users", "id")
        .on_delete(ForeignKeyAction::SetNull)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

#[tokio::test]
async fn drop_foreign_key_leaves_the_table_as_before_the_key() {
    let db = test_db!();
    let m = db.manager();
    db.run("CREATE TABLE users (id int PRIMARY KEY)").await;
    db.run("CREATE TABLE orders (id int PRIMARY KEY, user_id int NULL)")
        .await;
    let before = db.show_create("orders").await;
    add_foreign_key(&m, order_user_key()).await.unwrap();
    let with_key = db.show_create("orders").await;
    assert!(with_key.contains("KEY `fk-orders-user_id` (`user_id`)"));
    db.executed();
    // Found by what it connects, whatever it is called here.
    let mut renamed = order_user_key();
    renamed.name("another name");
    drop_foreign_key(&m, renamed).await.unwrap();
    assert_eq!(
        db.executed(),
        ["ALTER TABLE `orders` DROP FOREIGN KEY `fk-orders-user_id`, DROP INDEX `fk-orders-user_id`"]
    );
    assert_eq!(db.show_create("orders").await, before);
    add_foreign_key(&m, order_user_key()).await.unwrap();
    assert_eq!(db.show_create("orders").await, with_key);
    drop_foreign_key(&m, order_user_key()).await.unwrap();
    assert_eq!(db.show_create("orders").await, before);
    assert!(drop_foreign_key(&m, order_user_key()).await.is_err());

    // An index of the user's own serves the key: InnoDB creates none, and it stays.
    db.run("CREATE INDEX by_user ON orders (user_id)").await;
    let before = db.show_create("orders").await;
    add_foreign_key(&m, order_user_key()).await.unwrap();
    drop_foreign_key(&m, order_user_key()).await.unwrap();
    assert_eq!(db.show_create("orders").await, before);
}

#[tokio::test]
async fn set_primary_key_single_composite_single_none() {
    let db = test_db!();
    let m = db.manager();
    db.run(
        "CREATE TABLE order_items (order_id int NOT NULL AUTO_INCREMENT PRIMARY KEY, \
         product_id int NOT NULL)",
    )
    .await;
    db.run("INSERT INTO order_items (product_id) VALUES (7), (8)")
        .await;
    db.executed();
    set_primary_key(&m, "order_items", ["order_id", "product_id"])
        .await
        .unwrap();
    assert_eq!(
        db.executed(),
        ["ALTER TABLE `order_items` DROP PRIMARY KEY, ADD PRIMARY KEY (`order_id`, `product_id`)"]
    );
    assert_eq!(
        db.indexes("order_items").await,
        ["!PRIMARY(order_id,product_id)"]
    );
    set_primary_key(&m, "order_items", ["order_id"])
        .await
        .unwrap();
    assert_eq!(db.indexes("order_items").await, ["!PRIMARY(order_id)"]);
    assert_eq!(
        db.column("order_items", "order_id").await,
        "int(11)|NO|NULL|auto_increment|"
    );
    // The AUTO_INCREMENT column would not lead the key any more: it stops auto-incrementing.
    set_primary_key(&m, "order_items", ["product_id", "order_id"])
        .await
        .unwrap();
    assert_eq!(db.executed().len(), 2);
    assert_eq!(
        db.indexes("order_items").await,
        ["!PRIMARY(product_id,order_id)"]
    );
    assert_eq!(
        db.column("order_items", "order_id").await,
        "int(11)|NO|NULL||"
    );
    set_primary_key(&m, "order_items", []).await.unwrap();
    assert!(db.indexes("order_items").await.is_empty());
    set_primary_key(&m, "order_items", ["order_id"])
        .await
        .unwrap();
    assert_eq!(db.indexes("order_items").await, ["!PRIMARY(order_id)"]);
    assert_eq!(db.executed().len(), 2);

    // An AUTO_INCREMENT column that leads another index keeps AUTO_INCREMENT.
    db.run("CREATE TABLE events (id int NOT NULL AUTO_INCREMENT, at int NOT NULL, KEY (id))")
        .await;
    set_primary_key(&m, "events", ["at", "id"]).await.unwrap();
    assert_eq!(db.indexes("events").await, ["id(id)", "!PRIMARY(at,id)"]);
    assert_eq!(
        db.column("events", "id").await,
        "int(11)|NO|NULL|auto_increment|"
    );
}

/// The generated file that uses every helper, up and down, on the schema it expects.
#[tokio::test]
async fn every_operation_applies_and_reverts() {
    let db = test_db!();
    let m = db.manager();
    db.run(
        "CREATE TABLE users (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, \
         email varchar(255) NOT NULL UNIQUE, name varchar(50) NULL, bio text NULL, \
         old int NULL, mood enum('ok') NULL, legacy_flag bool NULL, KEY `idx-users-old` (old), \
         CONSTRAINT uq_users_name_old UNIQUE (name, old))",
    )
    .await;
    db.run("CREATE TABLE product_reviews (id int NOT NULL AUTO_INCREMENT PRIMARY KEY)")
        .await;
    let before = db.show_create("users").await;
    every_operation::Migration.up(&m).await.unwrap();
    assert_eq!(
        db.column("users", "mood").await,
        "enum('ok','great')|YES|NULL||"
    );
    every_operation::Migration.down(&m).await.unwrap();
    // Re-added last by `down`, `legacy_flag` is created last here.
    assert_eq!(db.show_create("users").await, before);
}

/// The binary, with a data migration that sends its statements with `execute_unprepared` (which
/// sea-orm's metric callback never reports; the journal hears sqlx's statement log): a success
/// leaves no started-record and `-vv` prints each statement once; a failure on the third statement
/// names the two that stayed and the one that failed, keeps the record, and `--retry` goes on
/// once they are undone.
#[tokio::test(flavor = "multi_thread")]
async fn statements_sent_with_execute_unprepared_are_journaled() {
    if std::env::var(MYSQL_VAR).map_or(true, |v| v.is_empty()) {
        return;
    }
    let backends = support::enabled_backends().await;
    let db = &backends[support::position(&backends, "mysql").unwrap()];
    let project = support::TestProject::new();
    project.build();
    let out = project.run(db, &["makemigrations", "--no-input", "-m", "initial"]);
    assert!(out.success, "{}", out.text);
    project.build();
    let out = project.run(db, &["migrate"]);
    assert!(out.success, "{}", out.text);
    let unprepared = |sql: &str| {
        format!("manager.get_connection().execute_unprepared(\"{sql}\").await?;\n        ")
    };
    let half_applied = "SELECT CAST(COUNT(*) AS CHAR) FROM makemigrations_half_applied";

    // A success: no record left, and each statement printed once by -vv.
    let out = project.run(db, &["makemigrations", "--empty", "--name", "data_ok"]);
    assert!(out.success, "{}", out.text);
    project.edit_newest_migration(
        "        // Write the schema",
        &format!(
            "        {}{}// Write the schema",
            unprepared("CREATE TABLE notes_ok (id int PRIMARY KEY)"),
            unprepared("INSERT INTO notes_ok VALUES (1)")
        ),
    );
    project.build();
    let out = project.run(db, &["-vv", "migrate"]);
    assert!(out.success, "{}", out.text);
    for sql in [
        "CREATE TABLE notes_ok (id int PRIMARY KEY)",
        "INSERT INTO notes_ok VALUES (1)",
    ] {
        let printed = out
            .text
            .lines()
            .filter(|l| l.starts_with("sql (") && l.ends_with(sql))
            .count();
        assert_eq!(printed, 1, "{sql} printed once\n{}", out.text);
    }
    assert_eq!(support::texts(db, half_applied).await, ["0"]);

    // A failure on the third statement: the first two stayed, and are named.
    let out = project.run(db, &["makemigrations", "--empty", "--name", "data_broken"]);
    assert!(out.success, "{}", out.text);
    project.edit_newest_migration(
        "        // Write the schema",
        &format!(
            "        {}{}{}// Write the schema",
            unprepared("CREATE TABLE notes (id int PRIMARY KEY)"),
            unprepared("INSERT INTO notes VALUES (1)"),
            unprepared("INSERT INTO no_such_table VALUES (1)")
        ),
    );
    project.build();
    let out = project.run(db, &["migrate"]);
    assert_eq!(out.code, Some(2), "{}", out.text);
    assert!(
        out.text
            .contains("these 2 statement(s) ran and stayed applied")
            && out
                .text
                .contains("1. CREATE TABLE notes (id int PRIMARY KEY)\n")
            && out.text.contains("2. INSERT INTO notes VALUES (1)\n")
            && out
                .text
                .contains("the statement that failed:\n    INSERT INTO no_such_table VALUES (1)")
            && !out.text.contains("nothing was changed"),
        "{}",
        out.text
    );
    assert_eq!(support::texts(db, half_applied).await, ["1"]);
    let out = project.run(db, &["showmigrations"]);
    assert!(
        out.text.contains("[!] m") && out.text.contains("failed halfway"),
        "{}",
        out.text
    );
    let out = project.run(db, &["migrate"]);
    assert_eq!(out.code, Some(2), "{}", out.text);
    assert!(
        out.text.contains("failed halfway")
            && out.text.contains("2 statement(s) of it stayed applied")
            && out.text.contains("2. INSERT INTO notes VALUES (1)")
            && out.text.contains("migrate --retry"),
        "{}",
        out.text
    );

    // Undone by hand and the migration corrected: --retry applies it once.
    db.execute("DROP TABLE notes").await;
    project.edit_newest_migration("no_such_table VALUES (1)", "notes VALUES (2)");
    project.build();
    let out = project.run(db, &["migrate", "--retry"]);
    assert!(out.success, "{}", out.text);
    assert_eq!(
        support::texts(db, "SELECT CAST(id AS CHAR) FROM notes ORDER BY id").await,
        ["1", "2"]
    );
    assert_eq!(support::texts(db, half_applied).await, ["0"]);
}
