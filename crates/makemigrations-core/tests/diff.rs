//! The differ on hand-built schemas: no database, one `check` per case, the expected operations
//! written as the lines the user sees.

use std::collections::BTreeSet;

use makemigrations_core::ops::suggest_name;
use makemigrations_core::*;

fn col(name: &str, db_type: &str, col_type: ColumnType) -> Column {
    let mut c = Column::new(name, col_type, db_type);
    c.nullable = false;
    c
}

fn id() -> Column {
    let mut c = col("id", "integer", ColumnType::Integer);
    c.auto_increment = true;
    c
}

fn table(name: &str, columns: Vec<Column>) -> Table {
    let mut t = Table::new(name);
    t.primary_key = vec!["id".into()];
    t.columns = columns;
    t
}

fn fk(columns: &[&str], ref_table: &str) -> ForeignKey {
    ForeignKey {
        name: None,
        columns: columns.iter().map(|c| c.to_string()).collect(),
        ref_table: ref_table.into(),
        ref_columns: vec!["id".into()],
        on_delete: ForeignKeyAction::NoAction,
        on_update: ForeignKeyAction::NoAction,
        declared: DeclaredActions::default(),
    }
}

fn schema(tables: Vec<Table>) -> Schema {
    let mut s = Schema::default();
    for t in tables {
        s.tables.insert(t.name.clone(), t);
    }
    s
}

fn options(backend: Backend, owned: &[&str]) -> DiffOptions {
    DiffOptions {
        backend,
        owned_tables: owned.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>(),
        exact_sqlite_types: false,
        exact_names: false,
    }
}

/// Diffs and returns `describe()` lines, prefixed by the category symbol.
fn lines(live: &Schema, desired: &Schema, options: &DiffOptions) -> Vec<String> {
    diff(live, desired, options)
        .operations
        .iter()
        .map(|op| format!("{} {}", op.category().symbol(), op.describe()))
        .collect()
}

fn check(live: Schema, desired: Schema, backend: Backend, expected: &[&str]) {
    let got = lines(&live, &desired, &options(backend, &[]));
    assert_eq!(got, expected);
    // Applying the reversed operations' reverse is the identity: down undoes up.
    for op in diff(&live, &desired, &options(backend, &[])).operations {
        assert_eq!(op.reverse().reverse(), op);
    }
}

#[test]
fn identical_schemas_have_no_changes() {
    let s = schema(vec![table(
        "users",
        vec![
            id(),
            col("email", "varchar(255)", ColumnType::String(Some(255))),
        ],
    )]);
    check(s.clone(), s, Backend::Postgres, &[]);
}

#[test]
fn new_tables_come_after_the_tables_they_reference() {
    let mut orders = table(
        "orders",
        vec![id(), col("user_id", "integer", ColumnType::Integer)],
    );
    orders.foreign_keys.push(fk(&["user_id"], "users"));
    let desired = schema(vec![orders, table("users", vec![id()])]);
    check(
        Schema::default(),
        desired,
        Backend::Postgres,
        &["+ Create table users", "+ Create table orders"],
    );
}

#[test]
fn a_foreign_key_cycle_is_closed_after_both_tables_exist() {
    let mut a = table("a", vec![id(), col("b_id", "integer", ColumnType::Integer)]);
    a.foreign_keys.push(fk(&["b_id"], "b"));
    let mut b = table("b", vec![id(), col("a_id", "integer", ColumnType::Integer)]);
    b.foreign_keys.push(fk(&["a_id"], "a"));
    check(
        Schema::default(),
        schema(vec![a.clone(), b.clone()]),
        Backend::Postgres,
        &[
            "+ Create table a",
            "+ Create table b",
            "+ Add foreign key a.(b_id) -> b.(id)",
        ],
    );
    let got = lines(
        &schema(vec![a, b]),
        &Schema::default(),
        &options(Backend::Postgres, &["a", "b"]),
    );
    assert_eq!(
        got,
        [
            "- Drop foreign key a.(b_id) -> b.(id)",
            "- Drop table b",
            "- Drop table a"
        ]
    );
}

#[test]
fn only_tables_our_migrations_created_are_dropped() {
    let live = schema(vec![
        table("legacy", vec![id()]),
        table("old_feature", vec![id()]),
    ]);
    let result = diff(
        &live,
        &Schema::default(),
        &options(Backend::Sqlite, &["old_feature"]),
    );
    let described: Vec<String> = result.operations.iter().map(Operation::describe).collect();
    assert_eq!(described, ["Drop table old_feature"]);
    assert_eq!(result.unmanaged_tables, ["legacy"]);
}

#[test]
fn column_changes() {
    let mut email = col("email", "varchar(100)", ColumnType::String(Some(100)));
    let live = schema(vec![table(
        "users",
        vec![id(), email.clone(), col("phone", "text", ColumnType::Text)],
    )]);
    email.db_type = "varchar(255)".into();
    email.col_type = ColumnType::String(Some(255));
    email.nullable = true;
    let mut age = col("age", "integer", ColumnType::Integer);
    age.default = Some(Default {
        sql: "0".into(),
        value: DefaultValue::Int(0),
    });
    let desired = schema(vec![table("users", vec![id(), email, age])]);
    check(
        live,
        desired,
        Backend::Postgres,
        &[
            "+ Add column users.age",
            "~ Alter column users.email: varchar(100) -> varchar(255), NOT NULL -> NULL",
            "- Drop column users.phone",
        ],
    );
}

#[test]
fn comments_are_compared_only_where_the_backend_keeps_them() {
    let live = schema(vec![table("users", vec![id()])]);
    let mut desired = live.clone();
    desired.tables.get_mut("users").unwrap().comment = Some("people".into());
    check(live.clone(), desired.clone(), Backend::Sqlite, &[]);
    check(
        live,
        desired,
        Backend::Postgres,
        &["~ Set comment on table users"],
    );
}

#[test]
fn changed_indexes_and_foreign_keys_are_dropped_and_added_again() {
    let mut live_table = table(
        "orders",
        vec![id(), col("user_id", "integer", ColumnType::Integer)],
    );
    live_table.indexes.push(Index {
        name: "idx-orders-user_id".into(),
        columns: vec!["user_id".into()],
        unique: false,
        constraint: false,
    });
    live_table.foreign_keys.push(fk(&["user_id"], "users"));
    let mut desired_table = live_table.clone();
    desired_table.indexes[0].unique = true;
    desired_table.foreign_keys[0].on_delete = ForeignKeyAction::Cascade;
    let users = table("users", vec![id()]);
    check(
        schema(vec![live_table, users.clone()]),
        schema(vec![desired_table, users]),
        Backend::Postgres,
        &[
            "- Drop foreign key orders.(user_id) -> users.(id)",
            "- Drop index idx-orders-user_id on orders",
            "+ Create unique index idx-orders-user_id on orders (user_id)",
            "+ Add foreign key orders.(user_id) -> users.(id)",
        ],
    );
}

#[test]
fn primary_key_changes() {
    let live = schema(vec![table(
        "items",
        vec![id(), col("sku", "text", ColumnType::Text)],
    )]);
    let mut desired = live.clone();
    desired.tables.get_mut("items").unwrap().primary_key = vec!["id".into(), "sku".into()];
    check(
        live,
        desired,
        Backend::Postgres,
        &["~ Alter primary key of items: (id) -> (id, sku)"],
    );
}

#[test]
fn enum_types_on_postgres() {
    let status = |values: &[&str]| EnumType {
        name: "status".into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    };
    let mut live = Schema::default();
    live.enums.insert("status".into(), status(&["a", "b"]));
    live.enums.insert(
        "gone".into(),
        EnumType {
            name: "gone".into(),
            values: vec!["x".into()],
        },
    );
    let mut desired = Schema::default();
    desired
        .enums
        .insert("status".into(), status(&["a", "c", "b"]));
    desired.enums.insert(
        "mood".into(),
        EnumType {
            name: "mood".into(),
            values: vec!["ok".into()],
        },
    );
    check(
        live,
        desired,
        Backend::Postgres,
        &[
            "+ Create enum mood (ok)",
            "~ Alter enum status: (a, b) -> (a, c, b)",
            "- Drop enum gone",
        ],
    );
}

#[test]
fn enum_types_of_new_columns_are_created_portably_on_sqlite() {
    let mut status = col(
        "status",
        "enum_text",
        ColumnType::Enum {
            name: "status".into(),
            variants: vec!["a".into()],
        },
    );
    status.nullable = true;
    let desired = schema(vec![table("orders", vec![id(), status])]);
    check(
        Schema::default(),
        desired,
        Backend::Sqlite,
        &["+ Create enum status (a)", "+ Create table orders"],
    );
}

#[test]
fn suggested_names() {
    let users = Operation::CreateTable(table("users", vec![id()]));
    let phone = Operation::AddColumn {
        table: "users".into(),
        column: col("phone", "text", ColumnType::Text),
    };
    assert_eq!(suggest_name(std::slice::from_ref(&users), true), "initial");
    assert_eq!(
        suggest_name(std::slice::from_ref(&phone), false),
        "add_phone_to_users"
    );
    assert_eq!(
        suggest_name(&[phone, users], false),
        "add_phone_to_users_and_more"
    );
}

#[test]
fn a_dropped_and_an_added_column_alike_but_for_the_name_may_be_a_rename() {
    use makemigrations_core::questions::{apply_renames, rename_questions, Answer};
    let mut live = schema(vec![table(
        "users",
        vec![id(), col("bio", "text", ColumnType::Text)],
    )]);
    let desired = schema(vec![table(
        "users",
        vec![id(), col("about", "text", ColumnType::Text)],
    )]);
    let ops = diff(&live, &desired, &options(Backend::Postgres, &[])).operations;
    let questions = rename_questions(&ops);
    assert_eq!(questions.len(), 1);
    let question = &questions[0];
    assert_eq!(question.id, "rename_column:users.bio:about");
    assert_eq!(
        question.text(),
        "Did you rename users.bio to users.about (text)?"
    );
    let flags: Vec<String> = question.choices().into_iter().map(|c| c.flag).collect();
    assert_eq!(flags, ["--rename users.bio=about", "--no-rename users.bio"]);
    assert!(question.check(&Answer::Backfill).is_err());

    let mut renamed = apply_renames(&mut live, std::slice::from_ref(&question.subject));
    renamed.extend(diff(&live, &desired, &options(Backend::Postgres, &[])).operations);
    let renamed: Vec<String> = renamed.iter().map(Operation::describe).collect();
    assert_eq!(renamed, ["Rename column users.bio to about"]);

    let other_type = schema(vec![table(
        "users",
        vec![id(), col("about", "varchar", ColumnType::String(None))],
    )]);
    assert!(rename_questions(
        &diff(&live, &other_type, &options(Backend::Postgres, &[])).operations
    )
    .is_empty());
}

/// A dropped and a created table with the same columns may be one table renamed; the keys
/// that point at it follow the rename.
#[test]
fn a_table_with_the_same_columns_under_a_new_name_may_be_a_rename() {
    use makemigrations_core::questions::{apply_renames, rename_questions};
    let review = |name: &str| {
        let mut t = table(
            name,
            vec![id(), col("product_id", "integer", ColumnType::Integer)],
        );
        t.foreign_keys.push(fk(&["product_id"], "products"));
        t
    };
    let mut likes = table(
        "likes",
        vec![id(), col("review_id", "integer", ColumnType::Integer)],
    );
    likes
        .foreign_keys
        .push(fk(&["review_id"], "product_reviews"));
    let mut live = schema(vec![
        table("products", vec![id()]),
        review("product_reviews"),
        likes.clone(),
    ]);
    likes.foreign_keys[0].ref_table = "reviews".into();
    let desired = schema(vec![
        table("products", vec![id()]),
        review("reviews"),
        likes,
    ]);
    let options = options(Backend::Postgres, &["product_reviews"]);
    let ops = diff(&live, &desired, &options).operations;
    let questions = rename_questions(&ops);
    assert_eq!(questions.len(), 1);
    assert_eq!(questions[0].id, "rename_table:product_reviews:reviews");
    assert_eq!(
        questions[0].choices()[0].flag,
        "--rename-table product_reviews=reviews"
    );
    let mut ops = apply_renames(&mut live, &[questions[0].subject.clone()]);
    ops.extend(diff(&live, &desired, &options).operations);
    let lines: Vec<String> = ops.iter().map(Operation::describe).collect();
    assert_eq!(lines, ["Rename table product_reviews to reviews"]);
}

#[test]
fn a_one_off_default_fills_existing_rows_and_is_dropped_after() {
    use makemigrations_core::questions::{apply, value_questions, Answer};
    let live = schema(vec![table("users", vec![id()])]);
    let desired = schema(vec![table(
        "users",
        vec![id(), col("score", "integer", ColumnType::Integer)],
    )]);
    let ops = diff(&live, &desired, &options(Backend::Postgres, &[])).operations;
    let questions = value_questions(&ops);
    assert_eq!(questions.len(), 1);
    assert_eq!(questions[0].id, "not_null:users.score");
    let refused = questions[0]
        .check(&Answer::Default("abc".into()))
        .unwrap_err();
    assert!(refused.contains("whole number"), "{refused}");
    let answer = Answer::Default("0".into());
    questions[0].check(&answer).unwrap();
    let fixed: Vec<String> = apply(ops.clone(), &[(questions[0].clone(), answer)])
        .iter()
        .map(|op| format!("{} {}", op.category().symbol(), op.describe()))
        .collect();
    assert_eq!(
        fixed,
        [
            "+ Add column users.score",
            "~ Alter column users.score: default 0 -> none"
        ]
    );
    let backfilled: Vec<String> = apply(ops, &[(questions[0].clone(), Answer::Backfill)])
        .iter()
        .map(Operation::describe)
        .collect();
    assert_eq!(
        backfilled,
        [
            "Add column users.score",
            "Backfill users.score (a data step for you to write)",
            "Alter column users.score: NULL -> NOT NULL"
        ]
    );
}

/// A nullable column made NOT NULL: the NULLs get the one-off value first.
#[test]
fn a_column_made_not_null_asks_for_the_rows_that_hold_null() {
    use makemigrations_core::questions::{apply, value_questions, Answer};
    let mut nullable = col("phone", "text", ColumnType::Text);
    nullable.nullable = true;
    let live = schema(vec![table("users", vec![id(), nullable])]);
    let desired = schema(vec![table(
        "users",
        vec![id(), col("phone", "text", ColumnType::Text)],
    )]);
    let ops = diff(&live, &desired, &options(Backend::Postgres, &[])).operations;
    let questions = value_questions(&ops);
    assert_eq!(questions.len(), 1);
    assert_eq!(
        questions[0].text(),
        "users.phone becomes NOT NULL: rows where it is NULL need a value."
    );
    let fixed: Vec<String> = apply(
        ops,
        &[(questions[0].clone(), Answer::Default("'n/a'".into()))],
    )
    .iter()
    .map(|op| format!("{} {}", op.category().symbol(), op.describe()))
    .collect();
    assert_eq!(
        fixed,
        [
            "~ Set users.phone to 'n/a' where it is NULL",
            "~ Alter column users.phone: NULL -> NOT NULL"
        ]
    );
}

/// A removed enum value: the rows move to the answer, which may be a value added in the same
/// change, so the new values come first and the old ones go last.
#[test]
fn a_removed_enum_value_moves_its_rows_to_the_answer() {
    use makemigrations_core::questions::{apply, value_questions, Answer};
    let values = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let ops = vec![Operation::AlterEnum {
        name: "order_status".into(),
        from: values(&["pending", "shipped"]),
        to: values(&["pending", "dispatched"]),
        columns: vec![("orders".into(), "status".into())],
    }];
    let questions = value_questions(&ops);
    assert_eq!(questions.len(), 1);
    assert_eq!(questions[0].id, "enum_value_removed:order_status.shipped");
    assert!(questions[0]
        .check(&Answer::Replace("shipped".into()))
        .is_err());
    let fixed: Vec<String> = apply(
        ops,
        &[(questions[0].clone(), Answer::Replace("dispatched".into()))],
    )
    .iter()
    .map(Operation::describe)
    .collect();
    assert_eq!(
        fixed,
        [
            "Alter enum order_status: (pending, shipped) -> (pending, shipped, dispatched)",
            "Set orders.status to 'dispatched' where it is 'shipped'",
            "Alter enum order_status: (pending, shipped, dispatched) -> (pending, dispatched)"
        ]
    );
}

#[test]
fn narrowing_type_changes_are_questions() {
    use makemigrations_core::questions::narrows;
    assert!(narrows(
        &ColumnType::String(Some(100)),
        &ColumnType::String(Some(50))
    ));
    assert!(narrows(&ColumnType::Text, &ColumnType::String(Some(255))));
    assert!(narrows(&ColumnType::BigInteger, &ColumnType::Integer));
    assert!(narrows(&ColumnType::Integer, &ColumnType::Unsigned));
    assert!(narrows(
        &ColumnType::Decimal(Some((10, 2))),
        &ColumnType::Decimal(Some((8, 2)))
    ));
    assert!(!narrows(
        &ColumnType::String(Some(50)),
        &ColumnType::String(Some(100))
    ));
    assert!(!narrows(&ColumnType::Integer, &ColumnType::BigInteger));
    assert!(!narrows(&ColumnType::String(Some(50)), &ColumnType::Text));
}

/// MySQL spells an enum inline, so new values show as a new column type; they are written as a
/// change of the enum type (once, however many columns use it), as PostgreSQL would see it.
#[test]
fn mysql_inline_enum_values_change_the_enum_type() {
    let status = |values: &[&str], name: &str| {
        let quoted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
        let mut c = col(
            "status",
            &format!("enum({})", quoted.join(",")),
            ColumnType::Enum {
                name: name.into(),
                variants: values.iter().map(|v| v.to_string()).collect(),
            },
        );
        c.nullable = true;
        c
    };
    // The live side cannot name the type; the desired side has the entity's name.
    let live = schema(vec![
        table("orders", vec![id(), status(&["new", "paid"], "")]),
        table("returns", vec![id(), status(&["new", "paid"], "")]),
    ]);
    let mut desired = schema(vec![
        table(
            "orders",
            vec![id(), status(&["new", "paid", "sent"], "order_status")],
        ),
        table(
            "returns",
            vec![id(), status(&["new", "paid", "sent"], "order_status")],
        ),
    ]);
    check(
        live.clone(),
        desired.clone(),
        Backend::MySql,
        &["~ Alter enum order_status: (new, paid) -> (new, paid, sent)"],
    );
    // It names the columns it changes: MySQL must not touch another enum with the same values.
    match &diff(&live, &desired, &options(Backend::MySql, &[])).operations[..] {
        [Operation::AlterEnum { columns, .. }] => assert_eq!(
            columns,
            &[
                ("orders".to_string(), "status".to_string()),
                ("returns".to_string(), "status".to_string())
            ]
        ),
        other => panic!("{other:?}"),
    }
    // Anything else that changed with it is still altered.
    desired.tables.get_mut("orders").unwrap().columns[1].nullable = false;
    let got = lines(&live, &desired, &options(Backend::MySql, &[]));
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[1].contains("orders.status"), "{got:?}");
}

/// InnoDB treats RESTRICT and NO ACTION alike (and MariaDB reports RESTRICT where nothing was
/// declared): no change there, a real one elsewhere.
#[test]
fn restrict_and_no_action_are_alike_on_mysql_only() {
    let with_key = |action: ForeignKeyAction| {
        let mut orders = table(
            "orders",
            vec![id(), col("user_id", "int(11)", ColumnType::Integer)],
        );
        let mut key = fk(&["user_id"], "users");
        key.on_delete = action;
        orders.foreign_keys.push(key);
        schema(vec![table("users", vec![id()]), orders])
    };
    let (live, desired) = (
        with_key(ForeignKeyAction::Restrict),
        with_key(ForeignKeyAction::NoAction),
    );
    check(live.clone(), desired.clone(), Backend::MySql, &[]);
    assert_eq!(
        lines(&live, &desired, &options(Backend::Postgres, &[])).len(),
        2
    );
}

/// A key's columns cannot change type under it on MySQL: the key is dropped first and added
/// again after, on every backend, so that the file runs wherever it is applied.
#[test]
fn foreign_keys_are_dropped_around_a_type_change() {
    let schema_with = |db_type: &str, col_type: ColumnType| {
        let mut id = col("id", db_type, col_type.clone());
        id.auto_increment = true;
        let mut orders = table(
            "orders",
            vec![id.clone(), col("user_id", db_type, col_type)],
        );
        orders.foreign_keys.push(fk(&["user_id"], "users"));
        schema(vec![table("users", vec![id]), orders])
    };
    check(
        schema_with("integer", ColumnType::Integer),
        schema_with("bigint", ColumnType::BigInteger),
        Backend::Postgres,
        &[
            "- Drop foreign key orders.(user_id) -> users.(id)",
            "~ Alter column orders.id: integer -> bigint",
            "~ Alter column orders.user_id: integer -> bigint",
            "~ Alter column users.id: integer -> bigint",
            "+ Add foreign key orders.(user_id) -> users.(id)",
        ],
    );
}

/// MySQL stores `string()` as `varchar(255)`, which reads back as `string_len(255)`: where the
/// stored type is the declared one, the live column is rendered with the declared type.
#[test]
fn live_columns_take_the_declared_type_where_stored_alike() {
    let name = |col_type: ColumnType, nullable: bool| {
        let mut c = col("name", "varchar(255)", col_type);
        c.nullable = nullable;
        c
    };
    let mut live = schema(vec![table(
        "users",
        vec![id(), name(ColumnType::String(Some(255)), false)],
    )]);
    let desired = schema(vec![table(
        "users",
        vec![id(), name(ColumnType::String(None), true)],
    )]);
    let alike = diff::stored_alike(&live, &desired);
    assert_eq!(alike.len(), 1);
    assert_eq!(
        alike[0].describe(),
        "users.name (String, stored as varchar(255))"
    );
    diff::declared_types_where_stored_alike(&mut live, &desired);
    let ops = diff(&live, &desired, &options(Backend::MySql, &[])).operations;
    match &ops[..] {
        [Operation::AlterColumn { from, .. }] => {
            assert_eq!(from.col_type, ColumnType::String(None))
        }
        other => panic!("{other:?}"),
    }
}

fn status_enum(name: &str, values: &[&str]) -> ColumnType {
    ColumnType::Enum {
        name: name.into(),
        variants: values.iter().map(|v| v.to_string()).collect(),
    }
}

/// PostgreSQL recreates a changed enum type and converts every column that uses it: columns that
/// stop using it (dropped, made text, or moved to another enum) must do so first, or rows holding
/// a removed value make the conversion fail.
#[test]
fn columns_leave_an_enum_before_the_type_is_recreated() {
    let enum_type = |name: &str, values: &[&str]| EnumType {
        name: name.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    };
    let old = status_enum("status", &["a", "shipped"]);
    let mut live = schema(vec![table(
        "orders",
        vec![
            id(),
            col("status", "status", old.clone()),
            col("former", "status", old.clone()),
            col("moved", "status", old.clone()),
            col("kept", "status", old),
        ],
    )]);
    live.enums
        .insert("status".into(), enum_type("status", &["a", "shipped"]));
    let new = status_enum("status", &["a"]);
    let mut desired = schema(vec![table(
        "orders",
        vec![
            id(),
            col("status", "text", ColumnType::Text),
            col("moved", "mood", status_enum("mood", &["a", "shipped"])),
            col("kept", "status", new),
        ],
    )]);
    desired
        .enums
        .insert("status".into(), enum_type("status", &["a"]));
    desired
        .enums
        .insert("mood".into(), enum_type("mood", &["a", "shipped"]));
    check(
        live,
        desired,
        Backend::Postgres,
        &[
            "+ Create enum mood (a, shipped)",
            "~ Alter column orders.status: status -> text",
            "~ Alter column orders.moved: status -> mood",
            "- Drop column orders.former",
            "~ Alter enum status: (a, shipped) -> (a)",
        ],
    );
}

/// MySQL refuses a new table's key to a column whose type changes in the same migration (error
/// 3780) when the key comes first: it is added after the change, on every backend.
#[test]
fn a_new_tables_key_to_a_retyped_column_is_added_after_the_change() {
    let users = |db_type: &str, col_type: ColumnType| {
        let mut id = col("id", db_type, col_type);
        id.auto_increment = true;
        table("users", vec![id])
    };
    let live = schema(vec![users("int", ColumnType::Integer)]);
    let mut sessions = table(
        "sessions",
        vec![id(), col("user_id", "bigint", ColumnType::BigInteger)],
    );
    sessions.foreign_keys.push(fk(&["user_id"], "users"));
    let desired = schema(vec![users("bigint", ColumnType::BigInteger), sessions]);
    for backend in [Backend::MySql, Backend::Postgres, Backend::Sqlite] {
        check(
            live.clone(),
            desired.clone(),
            backend,
            &[
                "+ Create table sessions",
                "~ Alter column users.id: int -> bigint",
                "+ Add foreign key sessions.(user_id) -> users.(id)",
            ],
        );
    }
    let ops = diff(&live, &desired, &options(Backend::MySql, &[])).operations;
    let Operation::CreateTable(created) = &ops[0] else {
        panic!("{ops:?}")
    };
    assert!(created.foreign_keys.is_empty(), "the key is still inline");
}

/// What is written in the file (declared actions, constraint or index) is never compared: a
/// database cannot tell, so comparing it would be a false difference.
#[test]
fn render_only_facts_are_not_compared() {
    let with = |declared: bool, constraint: bool| {
        let mut orders = table(
            "orders",
            vec![
                id(),
                col("user_id", "integer", ColumnType::Integer),
                col("code", "integer", ColumnType::Integer),
            ],
        );
        let mut key = fk(&["user_id"], "users");
        key.declared = DeclaredActions {
            on_delete: declared,
            on_update: declared,
        };
        orders.foreign_keys.push(key);
        orders.indexes.push(Index {
            name: "uq_orders".into(),
            columns: vec!["user_id".into(), "code".into()],
            unique: true,
            constraint,
        });
        schema(vec![table("users", vec![id()]), orders])
    };
    for backend in [Backend::MySql, Backend::Postgres, Backend::Sqlite] {
        check(with(false, true), with(true, false), backend, &[]);
    }
}

/// A live key states the actions other than NO ACTION, unless the entity's actions behave alike:
/// then it says what the entity says (MariaDB reports RESTRICT where nothing was declared, and a
/// key dropped around a type change must come back as it was, on every backend).
#[test]
fn a_live_key_states_what_the_entity_declares_where_its_actions_are_alike() {
    use ForeignKeyAction::*;
    let with_key = |on_delete, on_update, declared| {
        let mut orders = table(
            "orders",
            vec![id(), col("user_id", "int", ColumnType::Integer)],
        );
        orders.foreign_keys.push(ForeignKey {
            on_delete,
            on_update,
            declared,
            ..fk(&["user_id"], "users")
        });
        schema(vec![table("users", vec![id()]), orders])
    };
    let read = |on_delete, on_update| {
        with_key(
            on_delete,
            on_update,
            DeclaredActions::unless_no_action(on_delete, on_update),
        )
    };
    let nothing = DeclaredActions::default();
    let key = |s: &Schema| s.tables["orders"].foreign_keys[0].clone();

    // MariaDB: nothing declared reads as RESTRICT.
    let mut live = read(Restrict, Restrict);
    assert!(key(&live).declared.on_delete && key(&live).declared.on_update);
    diff::declared_actions_where_alike(
        &mut live,
        &with_key(NoAction, NoAction, nothing),
        Backend::MySql,
    );
    assert_eq!(
        (key(&live).declared, key(&live).on_delete),
        (nothing, NoAction)
    );

    // Not alike on PostgreSQL: the live key keeps what it has.
    let mut live = read(Restrict, NoAction);
    diff::declared_actions_where_alike(
        &mut live,
        &with_key(NoAction, NoAction, nothing),
        Backend::Postgres,
    );
    assert_eq!(key(&live).on_delete, Restrict);
    assert!(key(&live).declared.on_delete);
    assert!(!key(&live).declared.on_update);

    // An action that changes keeps the live one; the other follows the entity.
    let declared = DeclaredActions {
        on_delete: true,
        on_update: true,
    };
    let mut live = read(Restrict, Restrict);
    diff::declared_actions_where_alike(
        &mut live,
        &with_key(Cascade, Restrict, declared),
        Backend::MySql,
    );
    assert_eq!(
        (key(&live).on_delete, key(&live).on_update),
        (Restrict, Restrict)
    );
    assert_eq!(key(&live).declared, declared);
}

/// A column made NOT NULL and retyped at once: the one-off value is a literal of the new type,
/// so the type changes first (NULLs kept), then the NULLs are filled, then NOT NULL is set.
#[test]
fn a_one_off_value_for_a_retyped_column_fills_after_the_type_change() {
    use makemigrations_core::questions::{apply, value_questions, Answer};
    let mut old = col("score", "text", ColumnType::Text);
    old.nullable = true;
    let live = schema(vec![table("users", vec![id(), old])]);
    let desired = schema(vec![table(
        "users",
        vec![id(), col("score", "integer", ColumnType::Integer)],
    )]);
    let ops = diff(&live, &desired, &options(Backend::Postgres, &[])).operations;
    let questions = value_questions(&ops);
    let fixed: Vec<String> = apply(ops, &[(questions[0].clone(), Answer::Default("0".into()))])
        .iter()
        .map(Operation::describe)
        .collect();
    assert_eq!(
        fixed,
        [
            "Alter column users.score: text -> integer",
            "Set users.score to 0 where it is NULL",
            "Alter column users.score: NULL -> NOT NULL"
        ]
    );
}

/// A hand-written SQLite spelling with the entity's affinity is a note, not a rebuild; with
/// another change on the column it is an alter whose `from` keeps the database's spelling (so
/// `down` restores it); the rowid key, another affinity, or exact types stay operations.
#[test]
fn sqlite_spelling_only_changes_are_notes() {
    let hand = |name: &str, declared: &str| {
        let mut c = col(
            name,
            &declared.to_lowercase(),
            ColumnType::Custom(declared.into()),
        );
        c.nullable = true;
        c
    };
    let entity = |name: &str, db_type: &str, col_type: ColumnType| {
        let mut c = col(name, db_type, col_type);
        c.nullable = true;
        c
    };
    let live = schema(vec![table(
        "artists",
        vec![
            id(),
            hand("name", "NVARCHAR(70)"),
            hand("plays", "INT"),
            hand("born", "DATETIME"),
        ],
    )]);
    let desired = schema(vec![table(
        "artists",
        vec![
            id(),
            entity("name", "text", ColumnType::Text),
            entity("plays", "integer", ColumnType::Integer),
            entity("born", "datetime_text", ColumnType::DateTime),
        ],
    )]);
    let result = diff(&live, &desired, &options(Backend::Sqlite, &[]));
    let notes: Vec<String> = result.notes.iter().map(|n| n.describe()).collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes[0].starts_with("artists.name is NVARCHAR(70) in the database and text in the entity, which SQLite treats alike (TEXT affinity)"),
        "{notes:?}"
    );
    assert!(notes[1].starts_with("artists.plays is INT"), "{notes:?}");
    // DATETIME has NUMERIC affinity, datetime_text TEXT: a real change.
    assert_eq!(
        lines(&live, &desired, &options(Backend::Sqlite, &[])),
        ["~ Alter column artists.born: datetime -> datetime_text"]
    );

    let mut exact = options(Backend::Sqlite, &[]);
    exact.exact_sqlite_types = true;
    assert_eq!(diff(&live, &desired, &exact).operations.len(), 3);
    assert!(diff(&live, &desired, &exact).notes.is_empty());

    // Altered for another reason: one alter, from the database's spelling to the entity's.
    let mut not_null = desired.clone();
    not_null.tables.get_mut("artists").unwrap().columns[2].nullable = false;
    let ops = diff(&live, &not_null, &options(Backend::Sqlite, &[])).operations;
    let alter = ops
        .iter()
        .find_map(|op| match op {
            Operation::AlterColumn { from, to, .. } if to.name == "plays" => Some((from, to)),
            _ => None,
        })
        .expect("plays is altered");
    assert_eq!(alter.0.col_type, ColumnType::Custom("INT".into()));
    assert_eq!(alter.1.db_type, "integer");

    // `INT PRIMARY KEY` is not the rowid that `INTEGER PRIMARY KEY` is.
    let mut int_key = live.clone();
    int_key.tables.get_mut("artists").unwrap().columns[0] =
        col("id", "int", ColumnType::Custom("INT".into()));
    let mut integer_key = desired.clone();
    integer_key.tables.get_mut("artists").unwrap().columns[0] =
        col("id", "integer", ColumnType::Integer);
    assert!(
        lines(&int_key, &integer_key, &options(Backend::Sqlite, &[]))
            .iter()
            .any(|l| l.starts_with("~ Alter column artists.id: int -> integer"))
    );
}
