//! The fill values `down` uses to add back a NOT NULL column without a default.

use makemigrations_core::rollback::{cannot_restore, fill_restored_columns, fill_value};
use makemigrations_core::*;

fn not_null(name: &str, col_type: ColumnType) -> Column {
    let mut c = Column::new(name, col_type, "x");
    c.nullable = false;
    c
}

fn down_of(column: Column) -> Vec<String> {
    let up = Operation::DropColumn {
        table: "t".into(),
        column,
    };
    fill_restored_columns(vec![up.reverse()])
        .iter()
        .map(Operation::describe)
        .collect()
}

#[test]
fn each_type_gets_its_fill_value() {
    let cases = [
        (ColumnType::Integer, DefaultValue::Int(0)),
        (ColumnType::BigUnsigned, DefaultValue::Int(0)),
        (
            ColumnType::Decimal(Some((10, 2))),
            DefaultValue::Float("0.0".into()),
        ),
        (ColumnType::Boolean, DefaultValue::Bool(false)),
        (
            ColumnType::String(Some(20)),
            DefaultValue::String("".into()),
        ),
        (ColumnType::Text, DefaultValue::String("".into())),
        (ColumnType::Date, DefaultValue::String("1970-01-01".into())),
        (
            ColumnType::DateTime,
            DefaultValue::String("1970-01-01 00:00:00".into()),
        ),
        (
            ColumnType::TimestampWithTimeZone,
            DefaultValue::String("1970-01-02 00:00:00".into()),
        ),
        (ColumnType::Time, DefaultValue::String("00:00:00".into())),
        (ColumnType::Json, DefaultValue::String("{}".into())),
        (
            ColumnType::Uuid,
            DefaultValue::String("00000000-0000-0000-0000-000000000000".into()),
        ),
        (
            ColumnType::Enum {
                name: "mood".into(),
                variants: vec!["ok".into(), "great".into()],
            },
            DefaultValue::String("ok".into()),
        ),
    ];
    for (col_type, expected) in cases {
        assert_eq!(
            fill_value(&col_type).map(|d| d.value),
            Some(expected),
            "{col_type:?}"
        );
    }
    assert_eq!(fill_value(&ColumnType::Custom("citext".into())), None);
}

#[test]
fn a_not_null_column_is_added_filled_then_loses_the_default() {
    assert_eq!(
        down_of(not_null("n", ColumnType::Integer)),
        ["Add column t.n", "Alter column t.n: default 0 -> none"]
    );
}

#[test]
fn columns_that_can_come_back_alone_are_left_as_they_are() {
    let nullable = Column::new("a", ColumnType::Integer, "integer");
    let mut with_default = not_null("b", ColumnType::Integer);
    with_default.default = Some(Default {
        sql: "7".into(),
        value: DefaultValue::Int(7),
    });
    let mut serial = not_null("c", ColumnType::Integer);
    serial.auto_increment = true;
    for column in [nullable, with_default, serial] {
        assert_eq!(down_of(column.clone()).len(), 1, "{column:?}");
    }
}

#[test]
fn the_marker_says_what_rows_get() {
    let filled = fill_restored_columns(vec![Operation::AddColumn {
        table: "users".into(),
        column: not_null("active", ColumnType::Boolean),
    }]);
    assert_eq!(
        cannot_restore(&filled[0]).as_deref(),
        Some("Cannot restore users.active's data: the column comes back with false in every row")
    );
    assert_eq!(cannot_restore(&filled[1]), None);
    let custom = Operation::AddColumn {
        table: "users".into(),
        column: not_null("tag", ColumnType::Custom("citext".into())),
    };
    assert!(cannot_restore(&custom)
        .unwrap()
        .contains("adding it back fails while users has rows"));
}

/// One value cannot fill a column whose values must differ or point at other rows: it comes
/// back without a fill (and fails on a table with rows), and its mark says so.
#[test]
fn unique_and_foreign_key_columns_get_no_fill() {
    let mut email = not_null("email", ColumnType::String(Some(255)));
    email.unique = true;
    assert_eq!(down_of(email), ["Add column t.email"]);

    let user_id = not_null("user_id", ColumnType::Integer);
    let up = [
        Operation::DropForeignKey {
            table: "t".into(),
            foreign_key: ForeignKey {
                name: None,
                columns: vec!["user_id".into()],
                ref_table: "users".into(),
                ref_columns: vec!["id".into()],
                on_delete: ForeignKeyAction::NoAction,
                on_update: ForeignKeyAction::NoAction,
                declared: DeclaredActions::default(),
            },
        },
        Operation::DropColumn {
            table: "t".into(),
            column: user_id,
        },
    ];
    let down = fill_restored_columns(up.iter().rev().map(Operation::reverse).collect());
    let lines: Vec<String> = down.iter().map(Operation::describe).collect();
    assert_eq!(
        lines,
        [
            "Add column t.user_id",
            "Add foreign key t.(user_id) -> users.(id)"
        ]
    );
    assert!(cannot_restore(&down[0])
        .unwrap()
        .contains("no one value fits every row"));
}
