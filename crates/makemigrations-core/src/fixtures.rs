//! Hand-built operations that the tests of this crate and of `makemigrations` share: one of
//! every kind, so a snapshot and a compiled golden file cover the whole renderer.

use crate::*;

fn column(name: &str, col_type: ColumnType, db_type: &str, nullable: bool) -> Column {
    let mut c = Column::new(name, col_type, db_type);
    c.nullable = nullable;
    c
}

/// One operation of every kind, with every column feature the renderer writes.
pub fn every_operation() -> Vec<Operation> {
    let status = ColumnType::Enum {
        name: "order_status".into(),
        variants: vec!["pending".into(), "paid".into()],
    };
    let mut id = column("id", ColumnType::BigInteger, "bigint", false);
    id.auto_increment = true;
    let mut email = column(
        "email",
        ColumnType::String(Some(255)),
        "varchar(255)",
        false,
    );
    email.unique = true;
    let mut state = column("state", status.clone(), "order_status", false);
    state.default = Some(Default {
        sql: "'pending'::order_status".into(),
        value: DefaultValue::String("pending".into()),
    });
    let mut created = column(
        "created_at",
        ColumnType::TimestampWithTimeZone,
        "timestamp with time zone",
        false,
    );
    created.default = Some(Default {
        sql: "CURRENT_TIMESTAMP".into(),
        value: DefaultValue::CurrentTimestamp,
    });
    let mut price = column(
        "price",
        ColumnType::Decimal(Some((10, 2))),
        "numeric(10,2)",
        false,
    );
    price.default = Some(Default {
        sql: "0".into(),
        value: DefaultValue::Int(0),
    });
    price.comment = Some("in cents' units".into());
    // Outside i32: the literal needs a suffix to compile.
    let mut quota = column("quota", ColumnType::BigInteger, "bigint", false);
    quota.default = Some(Default {
        sql: "5000000000".into(),
        value: DefaultValue::Int(5_000_000_000),
    });
    let mut orders = Table::new("orders");
    orders.columns = vec![
        id,
        email.clone(),
        state,
        created,
        price,
        quota,
        column("user_id", ColumnType::Integer, "integer", true),
    ];
    orders.primary_key = vec!["id".into()];
    orders.comment = Some("Customer orders".into());
    orders.indexes.push(Index {
        name: "idx-orders-created_at".into(),
        columns: vec!["created_at".into()],
        unique: false,
        constraint: false,
    });
    let user_fk = ForeignKey {
        name: Some("fk-orders-user_id".into()),
        columns: vec!["user_id".into()],
        ref_table: "users".into(),
        ref_columns: vec!["id".into()],
        on_delete: ForeignKeyAction::SetNull,
        on_update: ForeignKeyAction::Cascade,
        declared: DeclaredActions {
            on_delete: true,
            on_update: true,
        },
    };
    orders.foreign_keys.push(user_fk.clone());
    let mut items = Table::new("order_items");
    items.columns = vec![
        column("order_id", ColumnType::BigInteger, "bigint", false),
        column("product_id", ColumnType::Integer, "integer", false),
        column("payload", ColumnType::Json, "json", true),
    ];
    items.primary_key = vec!["order_id".into(), "product_id".into()];
    items.indexes.push(Index {
        name: "uq_order_items_product_order".into(),
        columns: vec!["product_id".into(), "order_id".into()],
        unique: true,
        constraint: true,
    });
    // No action declared: none is written.
    items.foreign_keys.push(ForeignKey {
        name: Some("fk-order_items-order_id".into()),
        columns: vec!["order_id".into()],
        ref_table: "orders".into(),
        ref_columns: vec!["id".into()],
        on_delete: ForeignKeyAction::NoAction,
        on_update: ForeignKeyAction::NoAction,
        declared: DeclaredActions::default(),
    });
    let mut wider = email.clone();
    wider.col_type = ColumnType::String(None);
    wider.db_type = "varchar".into();
    wider.nullable = true;
    wider.unique = false;
    vec![
        Operation::CreateEnum(EnumType {
            name: "order_status".into(),
            values: vec!["pending".into(), "paid".into()],
        }),
        Operation::AlterEnum {
            name: "mood".into(),
            from: vec!["ok".into()],
            to: vec!["ok".into(), "great".into()],
            columns: vec![("users".into(), "mood".into())],
        },
        Operation::CreateTable(orders),
        Operation::CreateTable(items.clone()),
        Operation::AddColumn {
            table: "users".into(),
            column: column("phone", ColumnType::String(Some(20)), "varchar(20)", true),
        },
        Operation::AlterColumn {
            table: "users".into(),
            from: email,
            to: wider,
        },
        Operation::RenameColumn {
            table: "users".into(),
            from: "bio".into(),
            to: "about".into(),
        },
        Operation::RenameTable {
            from: "product_reviews".into(),
            to: "reviews".into(),
        },
        Operation::UpdateRows {
            table: "users".into(),
            column: "about".into(),
            value: "'n/a'".into(),
            when: crate::ops::RowCondition::IsNull,
            reversible: false,
        },
        Operation::UpdateRows {
            table: "orders".into(),
            column: "state".into(),
            value: "'paid'".into(),
            when: crate::ops::RowCondition::Equals("'shipped'".into()),
            reversible: false,
        },
        Operation::DropColumn {
            table: "users".into(),
            column: column("legacy_flag", ColumnType::Boolean, "boolean", true),
        },
        Operation::CreateIndex {
            table: "users".into(),
            index: Index {
                name: "idx-users-name_email".into(),
                columns: vec!["name".into(), "email".into()],
                unique: true,
                constraint: false,
            },
        },
        Operation::DropIndex {
            table: "users".into(),
            index: Index {
                name: "idx-users-old".into(),
                columns: vec!["old".into()],
                unique: false,
                constraint: false,
            },
        },
        // As sea-query writes `Table::create().index(..)`: dropped (and made in `down`) as a
        // constraint.
        Operation::DropIndex {
            table: "users".into(),
            index: Index {
                name: "uq_users_name_old".into(),
                columns: vec!["name".into(), "old".into()],
                unique: true,
                constraint: true,
            },
        },
        // Only with exact names (or when a new index needs the name): the index made above.
        Operation::RenameIndex {
            table: "users".into(),
            index: Index {
                name: "idx-users-name_email".into(),
                columns: vec!["name".into(), "email".into()],
                unique: true,
                constraint: false,
            },
            to: "users_name_email_key".into(),
        },
        Operation::DropForeignKey {
            table: "orders".into(),
            foreign_key: user_fk.clone(),
        },
        Operation::AddForeignKey {
            table: "orders".into(),
            foreign_key: ForeignKey {
                on_delete: ForeignKeyAction::Cascade,
                ..user_fk
            },
        },
        Operation::SetPrimaryKey {
            table: "order_items".into(),
            from: vec!["order_id".into()],
            to: vec!["order_id".into(), "product_id".into()],
        },
        Operation::SetTableComment {
            table: "users".into(),
            from: None,
            to: Some("People who buy".into()),
        },
        Operation::DropTable(items),
        Operation::DropEnum(EnumType {
            name: "mood".into(),
            values: vec!["ok".into(), "great".into()],
        }),
    ]
}

/// PostgreSQL array columns added, changed (narrowed) and made in a new table: a file with
/// these gets its `// postgres-only:` lines.
pub fn array_operations() -> Vec<Operation> {
    let short_texts = ColumnType::Array(Box::new(ColumnType::String(Some(20))));
    let mut tags = column(
        "tags",
        short_texts.clone(),
        "character varying(20)[]",
        false,
    );
    tags.default = Some(Default {
        sql: "'{}'::character varying[]".into(),
        value: DefaultValue::String("{}".into()),
    });
    let labels = column(
        "labels",
        ColumnType::Array(Box::new(ColumnType::Text)),
        "text[]",
        true,
    );
    let short_labels = column("labels", short_texts, "character varying(20)[]", true);
    let mut scores = Table::new("scores");
    scores.columns = vec![
        column("id", ColumnType::Integer, "integer", false),
        column(
            "points",
            ColumnType::Array(Box::new(ColumnType::Integer)),
            "integer[]",
            false,
        ),
        column(
            "grid",
            ColumnType::Array(Box::new(ColumnType::Decimal(Some((10, 2))))),
            "numeric(10,2)[]",
            true,
        ),
    ];
    scores.primary_key = vec!["id".into()];
    vec![
        Operation::CreateTable(scores),
        Operation::AddColumn {
            table: "users".into(),
            column: tags,
        },
        Operation::AlterColumn {
            table: "users".into(),
            from: labels,
            to: short_labels,
        },
    ]
}
