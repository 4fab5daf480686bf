//! Foreign keys, matched by what they are: what they connect (columns -> referenced table and
//! columns) and their actions, never by name (SQLite does not even keep names; decision 9). A key
//! whose actions changed is dropped and added again; so is a key whose name alone differs, when
//! the project asks for exact names (no backend renames a foreign key alike: MySQL cannot).

use super::order::Changes;
use super::DiffOptions;
use crate::ops::Operation;
use crate::schema::{Backend, ForeignKey, Schema, Table};

pub(super) fn diff_foreign_keys(
    live: &Table,
    desired: &Table,
    options: &DiffOptions,
    changes: &mut Changes,
) {
    let backend = options.backend;
    let alike = |a: &ForeignKey, b: &ForeignKey| {
        a.signature() == b.signature()
            && backend.same_action(a.on_delete, b.on_delete)
            && backend.same_action(a.on_update, b.on_update)
    };
    let mut unmatched: Vec<&ForeignKey> = live.foreign_keys.iter().collect();
    for desired_key in &desired.foreign_keys {
        // Among keys that connect the same columns, the one whose actions are alike.
        let found = unmatched
            .iter()
            .position(|k| alike(k, desired_key))
            .or_else(|| {
                unmatched
                    .iter()
                    .position(|k| k.signature() == desired_key.signature())
            });
        let Some(at) = found else {
            changes.add_foreign_keys.push(Operation::AddForeignKey {
                table: live.name.clone(),
                foreign_key: desired_key.clone(),
            });
            continue;
        };
        let live_key = unmatched.remove(at);
        let renamed = options.exact_names
            && backend != Backend::Sqlite
            && desired_key.name.is_some()
            && live_key.name != desired_key.name;
        if !alike(live_key, desired_key) || renamed {
            changes.drop_foreign_keys.push(Operation::DropForeignKey {
                table: live.name.clone(),
                foreign_key: live_key.clone(),
            });
            changes.add_foreign_keys.push(Operation::AddForeignKey {
                table: live.name.clone(),
                foreign_key: desired_key.clone(),
            });
        }
    }
    for live_key in unmatched {
        // A second key just like one that stays is left as the database has it.
        let duplicate = desired
            .foreign_keys
            .iter()
            .any(|k| k.signature() == live_key.signature());
        if !duplicate {
            changes.drop_foreign_keys.push(Operation::DropForeignKey {
                table: live.name.clone(),
                foreign_key: live_key.clone(),
            });
        }
    }
}

/// MySQL refuses to change the type of a column that a foreign key uses, on either end, even with
/// foreign-key checks off. So every key on a column whose type changes is dropped before the
/// change and added again after it (Django does the same). The file then runs on every backend,
/// whichever one it was generated on.
///
/// A new table's key to such a column would be created inline, before the change, and MySQL
/// refuses that too (error 3780): it is taken out of the table and added after the change.
pub(super) fn around_type_changes(live: &Schema, desired: &Schema, changes: &mut Changes) {
    let retyped: Vec<(String, String)> = changes
        .alters
        .iter()
        .filter_map(|op| match op {
            Operation::AlterColumn { table, from, to } if from.db_type != to.db_type => {
                Some((table.clone(), from.name.clone()))
            }
            _ => None,
        })
        .collect();
    let uses = |table: &str, key: &ForeignKey, (t, c): &(String, String)| {
        (table == t && key.columns.contains(c))
            || (&key.ref_table == t && key.ref_columns.contains(c))
    };
    for table in &mut changes.create_tables {
        let (deferred, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut table.foreign_keys)
            .into_iter()
            .partition(|key| {
                retyped
                    .iter()
                    .any(|(t, c)| &key.ref_table == t && key.ref_columns.contains(c))
            });
        table.foreign_keys = kept;
        changes
            .add_foreign_keys
            .extend(
                deferred
                    .into_iter()
                    .map(|foreign_key| Operation::AddForeignKey {
                        table: table.name.clone(),
                        foreign_key,
                    }),
            );
    }
    for (table_name, table) in &live.tables {
        for key in &table.foreign_keys {
            if !retyped.iter().any(|r| uses(table_name, key, r)) {
                continue;
            }
            let already_dropped = changes.drop_foreign_keys.iter().any(|op| {
                matches!(op, Operation::DropForeignKey { table: t, foreign_key }
                    if t == table_name && foreign_key.signature() == key.signature())
            });
            if already_dropped {
                continue;
            }
            let kept = desired.tables.get(table_name).and_then(|t| {
                t.foreign_keys
                    .iter()
                    .find(|k| k.signature() == key.signature())
            });
            // A key of a table that is dropped, or that the entities no longer have, is dropped
            // by the table and key differs already.
            if let Some(kept) = kept {
                changes.drop_foreign_keys.push(Operation::DropForeignKey {
                    table: table_name.clone(),
                    foreign_key: key.clone(),
                });
                changes.add_foreign_keys.push(Operation::AddForeignKey {
                    table: table_name.clone(),
                    foreign_key: kept.clone(),
                });
            }
        }
    }
}
