//! Added, dropped, renamed and altered columns.

use std::borrow::Cow;

use super::order::Changes;
use super::spelling::{self, Note};
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
                let live_column =
                    match inline_enum_change(live_column, desired_column, options.backend) {
                        Some(change) => {
                            add_enum_change(changes, change, (&live.name, &desired_column.name));
                            // The enum change alters the type; anything else is an alter of its own.
                            Cow::Owned(Column {
                                db_type: desired_column.db_type.clone(),
                                ..live_column.clone()
                            })
                        }
                        None => Cow::Borrowed(live_column),
                    };
                if spelling::spelling_only(live, &live_column, desired_column, options) {
                    let respelled = Column {
                        db_type: desired_column.db_type.clone(),
                        ..live_column.clone().into_owned()
                    };
                    // Altered for another reason, the rebuild writes the entity's spelling, and
                    // `down` (from the live column) the database's.
                    if !columns_differ(&respelled, desired_column, options.backend) {
                        changes.notes.push(Note::SpellingOnly {
                            table: live.name.clone(),
                            column: desired_column.name.clone(),
                            live: match &live_column.col_type {
                                ColumnType::Custom(declared) => declared.clone(),
                                _ => live_column.db_type.clone(),
                            },
                            desired: desired_column.db_type.clone(),
                        });
                        continue;
                    }
                }
                if columns_differ(&live_column, desired_column, options.backend) {
                    changes.alters.push(Operation::AlterColumn {
                        table: live.name.clone(),
                        from: live_column.into_owned(),
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

/// The `(name, from, to)` of an enum whose values changed in a MySQL column: MySQL spells enums
/// inline (`enum('a','b')`), so this shows as a changed column type. It is rendered as a change
/// of the enum type, as on PostgreSQL, so that the file means the same on every backend.
fn inline_enum_change(
    live: &Column,
    desired: &Column,
    backend: Backend,
) -> Option<(String, Vec<String>, Vec<String>)> {
    match (&live.col_type, &desired.col_type) {
        (ColumnType::Enum { variants: from, .. }, ColumnType::Enum { name, variants: to })
            if backend == Backend::MySql && from != to =>
        {
            Some((name.clone(), from.clone(), to.clone()))
        }
        _ => None,
    }
}

/// One `AlterEnum` per type, listing every column it changes.
fn add_enum_change(
    changes: &mut Changes,
    (name, from, to): (String, Vec<String>, Vec<String>),
    (table, column): (&str, &str),
) {
    let used_by = (table.to_string(), column.to_string());
    for op in &mut changes.alter_enums {
        if let Operation::AlterEnum {
            name: n,
            from: f,
            to: t,
            columns,
        } = op
        {
            if *n == name && *f == from && *t == to {
                columns.push(used_by);
                return;
            }
        }
    }
    changes.alter_enums.push(Operation::AlterEnum {
        name,
        from,
        to,
        columns: vec![used_by],
    });
}

/// Compares what the database reports, never the rendered types: two discovered columns of the
/// same backend are alike exactly when these facts are equal.
pub(crate) fn columns_differ(live: &Column, desired: &Column, backend: Backend) -> bool {
    let default_sql = |c: &Column| c.default.as_ref().map(|d| d.sql.clone());
    !crate::schema::same_db_type(&live.db_type, &desired.db_type)
        || live.nullable != desired.nullable
        || default_sql(live) != default_sql(desired)
        || live.unique != desired.unique
        || live.auto_increment != desired.auto_increment
        || (backend.keeps_comments() && live.comment != desired.comment)
}
