//! What `down` can and cannot give back.
//!
//! `down` adds a dropped column back, but not its data. A NOT NULL column without a default cannot
//! even be added back to a table that has rows ("contains null values"), so the rollback would
//! fail exactly when it matters. [`fill_restored_columns`] adds such a column with a fill value of
//! its type and then drops that default (Django's one-off default with `preserve_default=False`):
//! the schema comes back exactly, and the rows get the fill value. [`cannot_restore`] is the
//! `// !` line that `down` carries for each such step, which makes `rollback` ask for `--force`.

use crate::ops::Operation;
use crate::schema::{Column, ColumnType, Default, DefaultValue};

/// Rewrites the derived `down` operations: each column added back that is NOT NULL without a
/// default (and not auto-increment) is added with its type's fill value, then loses the default.
///
/// A column that must hold distinct values (UNIQUE, in a unique index) or values of another
/// table (a foreign key that `down` adds back) gets no fill: one value cannot fit every row, so
/// adding it back fails on a table with rows, and its `// !` line says so.
pub fn fill_restored_columns(down: Vec<Operation>) -> Vec<Operation> {
    down.iter()
        .flat_map(|op| fill_restored_column(op.clone(), &down))
        .collect()
}

/// [`fill_restored_columns`] for one operation of `down`, the whole of which tells which columns
/// a foreign key or a unique index constrains.
pub fn fill_restored_column(op: Operation, down: &[Operation]) -> Vec<Operation> {
    match op {
        Operation::AddColumn { table, column }
            if needs_fill(&column)
                && !down
                    .iter()
                    .any(|other| constrains(other, &table, &column.name)) =>
        {
            match fill_value(&column.col_type) {
                Some(fill) => Operation::add_column_filled(table, column, fill).to_vec(),
                None => vec![Operation::AddColumn { table, column }],
            }
        }
        other => vec![other],
    }
}

fn needs_fill(column: &Column) -> bool {
    !column.nullable && column.default.is_none() && !column.auto_increment && !column.unique
}

/// Whether a unique index or a foreign key of `op` constrains `table.column`.
fn constrains(op: &Operation, table: &str, column: &str) -> bool {
    let (on, columns) = match op {
        Operation::CreateIndex { table, index } if index.unique => (table, &index.columns),
        Operation::AddForeignKey { table, foreign_key } => (table, &foreign_key.columns),
        _ => return false,
    };
    on == table && columns.iter().any(|c| c == column)
}

/// The value rows get when a NOT NULL column of this type comes back: zero, empty, false, the
/// epoch, the first enum value, the nil uuid, an empty array. `None` for a custom type, whose values are unknown.
pub fn fill_value(col_type: &ColumnType) -> Option<Default> {
    use ColumnType::*;
    let text = |s: &str| Default {
        sql: format!("'{s}'"),
        value: DefaultValue::String(s.to_string()),
    };
    Some(match col_type {
        Char(_) | String(_) | Text | Blob | Binary(_) | VarBinary(_) => text(""),
        TinyInteger | SmallInteger | Integer | BigInteger | TinyUnsigned | SmallUnsigned
        | Unsigned | BigUnsigned => Default {
            sql: "0".into(),
            value: DefaultValue::Int(0),
        },
        Float | Double | Decimal(_) => Default {
            sql: "0".into(),
            value: DefaultValue::Float("0.0".into()),
        },
        Boolean => Default {
            sql: "false".into(),
            value: DefaultValue::Bool(false),
        },
        Date => text("1970-01-01"),
        DateTime => text("1970-01-01 00:00:00"),
        // MySQL's TIMESTAMP starts one second after the epoch in UTC, later in zones east of it.
        Timestamp | TimestampWithTimeZone => text("1970-01-02 00:00:00"),
        Time => text("00:00:00"),
        Json | JsonBinary => text("{}"),
        Uuid => text("00000000-0000-0000-0000-000000000000"),
        Enum { variants, .. } => text(variants.first()?),
        Array(_) => text("{}"),
        Custom(_) => return None,
    })
}

/// The `// !` line of a `down` step that brings back an object without its data, or `None`.
pub fn cannot_restore(op: &Operation) -> Option<String> {
    match op {
        Operation::AddColumn { table, column } => {
            let rows_get = match &column.default {
                Some(default) => shown(&default.value),
                None if column.auto_increment => "new numbers".to_string(),
                None if column.nullable => "NULL".to_string(),
                None => {
                    return Some(format!(
                        "Cannot restore {table}.{}: it is NOT NULL and no one value fits every row (its type, a UNIQUE or a foreign key), so adding it back fails while {table} has rows",
                        column.name
                    ))
                }
            };
            Some(format!(
                "Cannot restore {table}.{}'s data: the column comes back with {rows_get} in every row",
                column.name
            ))
        }
        Operation::CreateTable(table) => Some(format!(
            "Cannot restore {}'s rows: the table comes back empty",
            table.name
        )),
        _ => None,
    }
}

fn shown(value: &DefaultValue) -> String {
    match value {
        DefaultValue::Bool(b) => b.to_string(),
        DefaultValue::Int(i) => i.to_string(),
        DefaultValue::Float(f) => f.clone(),
        DefaultValue::String(s) => format!("'{}'", s.replace('\'', "''")),
        DefaultValue::CurrentTimestamp => "CURRENT_TIMESTAMP".into(),
        DefaultValue::CurrentDate => "CURRENT_DATE".into(),
        DefaultValue::CurrentTime => "CURRENT_TIME".into(),
        DefaultValue::Null => "NULL".into(),
        DefaultValue::Custom(sql) => sql.clone(),
    }
}
