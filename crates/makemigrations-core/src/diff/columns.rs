//! Added, dropped, renamed and altered columns.

use super::order::Changes;
use super::DiffOptions;
use crate::ops::Operation;
use crate::schema::{Backend, Column, Table};

pub(super) fn diff_columns(
    live: &Table,
    desired: &Table,
    options: &DiffOptions,
    changes: &mut Changes,
) {
    for desired_column in &desired.columns {
        match live.column(&desired_column.name) {
            Some(live_column) => {
                if columns_differ(live_column, desired_column, options.backend) {
                    changes.alters.push(Operation::AlterColumn {
                        table: live.name.clone(),
                        from: live_column.clone(),
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
