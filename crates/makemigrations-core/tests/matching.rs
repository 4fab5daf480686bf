//! Indexes, UNIQUE constraints and foreign keys are matched by what they are, never by name
//! alone (docs/decisions.md, decision 9): on hand-built schemas, no database.

use makemigrations_core::*;

fn col(name: &str) -> Column {
    let mut c = Column::new(name, ColumnType::Integer, "integer");
    c.nullable = false;
    c
}

fn index(name: &str, columns: &[&str], unique: bool) -> Index {
    Index {
        name: name.into(),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        unique,
        constraint: false,
    }
}

fn key(name: &str, columns: &[&str], ref_table: &str) -> ForeignKey {
    ForeignKey {
        name: Some(name.into()),
        columns: columns.iter().map(|c| c.to_string()).collect(),
        ref_table: ref_table.into(),
        ref_columns: vec!["id".into()],
        on_delete: ForeignKeyAction::Cascade,
        on_update: ForeignKeyAction::NoAction,
        declared: DeclaredActions {
            on_delete: true,
            on_update: false,
        },
    }
}

/// `orders (id, customer_id, code, email)` with the given indexes and keys.
fn orders(indexes: Vec<Index>, keys: Vec<ForeignKey>) -> Schema {
    let mut t = Table::new("orders");
    t.primary_key = vec!["id".into()];
    t.columns = ["id", "customer_id", "code", "email"]
        .into_iter()
        .map(col)
        .collect();
    t.indexes = indexes;
    t.foreign_keys = keys;
    let mut s = Schema::default();
    s.tables.insert(t.name.clone(), t);
    s
}

fn with_unique_column(mut schema: Schema, column: &str) -> Schema {
    let table = schema.tables.get_mut("orders").unwrap();
    table
        .columns
        .iter_mut()
        .find(|c| c.name == column)
        .unwrap()
        .unique = true;
    schema
}

/// The lines the user sees, checking on the way that each operation's reverse undoes it.
fn lines(live: &Schema, desired: &Schema, backend: Backend, exact_names: bool) -> Vec<String> {
    let options = DiffOptions {
        backend,
        owned_tables: std::collections::BTreeSet::new(),
        exact_names,
        exact_sqlite_types: false,
    };
    let ops = diff(live, desired, &options).operations;
    for op in &ops {
        assert_eq!(op.reverse().reverse(), *op);
    }
    ops.iter()
        .map(|op| format!("{} {}", op.category().symbol(), op.describe()))
        .collect()
}

const ALL: [Backend; 3] = [Backend::Postgres, Backend::MySql, Backend::Sqlite];

#[test]
fn an_index_under_another_name_is_no_change_unless_exact_names_are_asked() {
    let live = orders(
        vec![index("orders_code_uniq", &["code", "email"], true)],
        vec![],
    );
    let desired = orders(
        vec![index("idx-orders-code", &["code", "email"], true)],
        vec![],
    );
    for backend in ALL {
        assert_eq!(lines(&live, &desired, backend, false), Vec::<String>::new());
        assert_eq!(
            lines(&live, &desired, backend, true),
            ["~ Rename unique index orders_code_uniq on orders to idx-orders-code"]
        );
    }
}

#[test]
fn a_unique_constraint_and_a_unique_index_on_the_same_columns_are_the_same() {
    let mut constraint = index("uq_orders_code_email", &["code", "email"], true);
    constraint.constraint = true;
    let live = orders(vec![constraint], vec![]);
    let desired = orders(
        vec![index("idx-orders-code", &["code", "email"], true)],
        vec![],
    );
    assert_eq!(
        lines(&live, &desired, Backend::Postgres, false),
        Vec::<String>::new()
    );
    // The database keeps its form: a constraint is renamed as one.
    assert_eq!(
        lines(&live, &desired, Backend::Postgres, true),
        ["~ Rename unique constraint uq_orders_code_email on orders to idx-orders-code"]
    );
}

#[test]
fn a_column_unique_and_a_unique_index_on_that_one_column_are_the_same() {
    let unique_index = orders(vec![index("orders_email_idx", &["email"], true)], vec![]);
    let unique_column = with_unique_column(orders(vec![], vec![]), "email");
    for backend in ALL {
        for exact_names in [false, true] {
            assert_eq!(
                lines(&unique_index, &unique_column, backend, exact_names),
                Vec::<String>::new()
            );
            assert_eq!(
                lines(&unique_column, &unique_index, backend, exact_names),
                Vec::<String>::new()
            );
        }
    }
    // Other changes to the column keep the database's form: no UNIQUE appears or goes.
    let mut longer = unique_column.clone();
    let email = &mut longer.tables.get_mut("orders").unwrap().columns[3];
    email.db_type = "bigint".into();
    email.col_type = ColumnType::BigInteger;
    assert_eq!(
        lines(&unique_index, &longer, Backend::Postgres, false),
        ["~ Alter column orders.email: integer -> bigint"]
    );
    // Uniqueness itself is still a change, in either form.
    let plain = orders(vec![], vec![]);
    assert_eq!(
        lines(&unique_index, &plain, Backend::Postgres, false),
        ["- Drop index orders_email_idx on orders"]
    );
    assert_eq!(
        lines(&plain, &unique_column, Backend::Postgres, false),
        ["~ Alter column orders.email: add UNIQUE"]
    );
}

#[test]
fn a_changed_definition_is_dropped_and_created_whatever_the_names() {
    let live = orders(vec![index("idx-orders-code", &["code"], false)], vec![]);
    let reordered = orders(
        vec![index("idx-orders-code", &["email", "code"], false)],
        vec![],
    );
    assert_eq!(
        lines(&live, &reordered, Backend::Sqlite, false),
        [
            "- Drop index idx-orders-code on orders",
            "+ Create index idx-orders-code on orders (email, code)",
        ]
    );
    let made_unique = orders(vec![index("orders_code", &["code"], true)], vec![]);
    assert_eq!(
        lines(&live, &made_unique, Backend::Sqlite, false),
        [
            "- Drop index idx-orders-code on orders",
            "+ Create unique index orders_code on orders (code)",
        ]
    );
}

/// The entities cannot say which of two equal indexes they mean, and a foreign key may lean on
/// either: one is matched, the others stay as the database has them.
#[test]
fn duplicates_of_a_matched_index_are_left_alone() {
    let live = orders(
        vec![
            index("a_code", &["code"], false),
            index("b_code", &["code"], false),
            index("idx-orders-code", &["code"], false),
        ],
        vec![],
    );
    let desired = orders(vec![index("idx-orders-code", &["code"], false)], vec![]);
    for backend in ALL {
        assert_eq!(lines(&live, &desired, backend, true), Vec::<String>::new());
    }
    // With nothing declared on those columns, every one of them is undeclared.
    assert_eq!(
        lines(&live, &orders(vec![], vec![]), Backend::Postgres, false),
        [
            "- Drop index a_code on orders",
            "- Drop index b_code on orders",
            "- Drop index idx-orders-code on orders",
        ]
    );
}

#[test]
fn a_new_index_takes_a_name_that_a_matched_index_gives_up() {
    // The live `idx-orders-code` is what the entity calls `idx-orders-email`.
    let live = orders(vec![index("idx-orders-code", &["email"], false)], vec![]);
    let desired = orders(
        vec![
            index("idx-orders-code", &["code"], false),
            index("idx-orders-email", &["email"], false),
        ],
        vec![],
    );
    assert_eq!(
        lines(&live, &desired, Backend::Postgres, false),
        [
            "~ Rename index idx-orders-code on orders to idx-orders-email",
            "+ Create index idx-orders-code on orders (code)",
        ]
    );
}

/// InnoDB needs an index that leads with a foreign key's columns and hides its own: a named
/// one there is the key's index, not an undeclared index.
#[test]
fn on_mysql_a_named_index_serving_a_kept_foreign_key_stays() {
    let fk = key("fk_orders_customer", &["customer_id"], "customers");
    let live = orders(
        vec![index(
            "orders_customer_created",
            &["customer_id", "code"],
            false,
        )],
        vec![fk.clone()],
    );
    let desired = orders(
        vec![],
        vec![key("fk-orders-customer_id", &["customer_id"], "customers")],
    );
    assert_eq!(
        lines(&live, &desired, Backend::MySql, false),
        Vec::<String>::new()
    );
    // Elsewhere a key needs no index: it is an undeclared index.
    assert_eq!(
        lines(&live, &desired, Backend::Postgres, false),
        ["- Drop index orders_customer_created on orders"]
    );
    // Where the entities give the key an index of their own, or drop the key, it may go.
    let served = orders(
        vec![index("idx-orders-customer_id", &["customer_id"], false)],
        vec![fk],
    );
    assert_eq!(
        lines(&live, &served, Backend::MySql, false),
        [
            "- Drop index orders_customer_created on orders",
            "+ Create index idx-orders-customer_id on orders (customer_id)",
        ]
    );
    assert_eq!(
        lines(&live, &orders(vec![], vec![]), Backend::MySql, false),
        [
            "- Drop foreign key orders.(customer_id) -> customers.(id)",
            "- Drop index orders_customer_created on orders",
        ]
    );
}

#[test]
fn foreign_keys_are_matched_by_columns_target_and_actions() {
    let live = orders(
        vec![],
        vec![key("orders_customer_fk", &["customer_id"], "customers")],
    );
    let desired = orders(
        vec![],
        vec![key("fk-orders-customer_id", &["customer_id"], "customers")],
    );
    for backend in ALL {
        assert_eq!(lines(&live, &desired, backend, false), Vec::<String>::new());
    }
    // Exact names: no backend renames a key alike, so it is dropped and added; SQLite keeps
    // no key names at all.
    let renamed = [
        "- Drop foreign key orders.(customer_id) -> customers.(id)",
        "+ Add foreign key orders.(customer_id) -> customers.(id)",
    ];
    assert_eq!(lines(&live, &desired, Backend::Postgres, true), renamed);
    assert_eq!(lines(&live, &desired, Backend::MySql, true), renamed);
    assert_eq!(
        lines(&live, &desired, Backend::Sqlite, true),
        Vec::<String>::new()
    );

    // Of two keys on the same columns, the one with alike actions is the match; the other stays.
    let mut set_null = key("orders_customer_fk2", &["customer_id"], "customers");
    set_null.on_delete = ForeignKeyAction::SetNull;
    let two = orders(
        vec![],
        vec![
            set_null,
            key("orders_customer_fk", &["customer_id"], "customers"),
        ],
    );
    assert_eq!(
        lines(&two, &desired, Backend::Postgres, false),
        Vec::<String>::new()
    );
    // A changed action is a change.
    let mut cascade_less = desired.clone();
    cascade_less.tables.get_mut("orders").unwrap().foreign_keys[0].on_delete =
        ForeignKeyAction::Restrict;
    assert_eq!(
        lines(&live, &cascade_less, Backend::Postgres, false),
        renamed
    );
}
