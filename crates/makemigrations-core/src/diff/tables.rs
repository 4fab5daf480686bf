//! Created, dropped and changed tables; a changed table is handed to the per-kind differs.

use super::order::Changes;
use super::{columns, foreign_keys, indexes, DiffOptions};
use crate::ops::Operation;
use crate::schema::Schema;

/// Fills `changes` and returns the live tables that are not managed (sorted).
pub(super) fn diff_tables(
    live: &Schema,
    desired: &Schema,
    options: &DiffOptions,
    changes: &mut Changes,
) -> Vec<String> {
    let mut unmanaged = Vec::new();
    for (name, desired_table) in &desired.tables {
        match live.tables.get(name) {
            None => changes.create_tables.push(desired_table.clone()),
            Some(live_table) => {
                let desired_table =
                    &indexes::unique_columns_in_live_form(live_table, desired_table);
                columns::diff_columns(live_table, desired_table, options, changes);
                indexes::diff_indexes(live_table, desired_table, options, changes);
                foreign_keys::diff_foreign_keys(live_table, desired_table, options, changes);
                if live_table.primary_key != desired_table.primary_key {
                    changes.alters.push(Operation::SetPrimaryKey {
                        table: name.clone(),
                        from: live_table.primary_key.clone(),
                        to: desired_table.primary_key.clone(),
                    });
                }
                if options.backend.keeps_comments() && live_table.comment != desired_table.comment {
                    changes.alters.push(Operation::SetTableComment {
                        table: name.clone(),
                        from: live_table.comment.clone(),
                        to: desired_table.comment.clone(),
                    });
                }
            }
        }
    }
    for (name, live_table) in &live.tables {
        if desired.tables.contains_key(name) {
            continue;
        }
        if options.owned_tables.contains(name) {
            changes.drop_tables.push(live_table.clone());
        } else {
            unmanaged.push(name.clone());
        }
    }
    unmanaged
}
