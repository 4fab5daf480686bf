//! Added, dropped, renamed and altered columns.

use super::order::Changes;
use super::DiffOptions;
use crate::ops::Operation;
use crate::schema::{Backend, Column, ColumnType, Table};

pub(super) fn diff_columns(
    live: &Table,
    desired: &Table,
    options: &DiffOptions,
    changes: &mut Changes,
) {
    for desired_column in &desired.columns {
        match live.column(&desired_column.name) {
            Some(live_column) => {
                let enum_change = inline_enum_change(live_column, desired_column, options.backend);
                if let Some(change) = enum_change.clone() {
                    if !changes.alter_enums.contains(&change) {
                        changes.alter_enums.push(change);
                    }
                }
                let mut live_column = live_column.clone();
                if enum_change.is_some() {
                    // The enum change alters the type; anything else is an alter of its own.
                    live_column.db_type = desired_column.db_type.clone();
                }
                if columns_differ(&live_column, desired_column, options.backend) {
                    changes.alters.push(Operation::AlterColumn {
                        table: live.name.clone(),
                        from: live_column,
                        to: desired_column.clone(),
                    });
                }
            }
            None => changes.add_columns.push(Operation::AddColumn {
                table: live.name.clone(),
                column: desired_column.clone(),
            }),
        }
    }
    for live_column in &live.columns {
        if desired.column(&live_column.name).is_none() {
            changes.drop_columns.push(Operation::DropColumn {
                table: live.name.clone(),
                column: live_column.clone(),
            });
        }
    }
}

/// MySQL spells enums inline (`enum('a','b')`), so a changed list of values shows as a changed
/// column type. It is rendered as a change of the enum type, as on PostgreSQL, so that the file
/// means the same on every backend (`alter_enum` alters every column that uses the type).
fn inline_enum_change(live: &Column, desired: &Column, backend: Backend) -> Option<Operation> {
    match (&live.col_type, &desired.col_type) {
        (ColumnType::Enum { variants: from, .. }, ColumnType::Enum { name, variants: to })
            if backend == Backend::MySql && from != to =>
        {
            Some(Operation::AlterEnum {
                name: name.clone(),
                from: from.clone(),
                to: to.clone(),
            })
        }
        _ => None,
    }
}

/// Compares what the database reports, never the rendered types: two discovered columns of the
/// same backend are alike exactly when these facts are equal.
pub(crate) fn columns_differ(live: &Column, desired: &Column, backend: Backend) -> bool {
    let default_sql = |c: &Column| c.default.as_ref().map(|d| d.sql.clone());
    live.db_type != desired.db_type
        || live.nullable != desired.nullable
        || default_sql(live) != default_sql(desired)
        || live.unique != desired.unique
        || live.auto_increment != desired.auto_increment
        || (backend.keeps_comments() && live.comment != desired.comment)
}
