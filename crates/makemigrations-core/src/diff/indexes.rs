//! Indexes, unique ones included, matched by name. An index whose columns or uniqueness changed is
//! dropped and created again.

use super::order::Changes;
use crate::ops::Operation;
use crate::schema::Table;

pub(super) fn diff_indexes(live: &Table, desired: &Table, changes: &mut Changes) {
    for desired_index in &desired.indexes {
        let live_index = live.indexes.iter().find(|i| i.name == desired_index.name);
        if live_index.is_some_and(|i| i.same_as(desired_index)) {
            continue;
        }
        if let Some(live_index) = live_index {
            changes.drop_indexes.push(Operation::DropIndex {
                table: live.name.clone(),
                index: live_index.clone(),
            });
        }
        changes.create_indexes.push(Operation::CreateIndex {
            table: live.name.clone(),
            index: desired_index.clone(),
        });
    }
    for live_index in &live.indexes {
        if !desired.indexes.iter().any(|i| i.name == live_index.name) {
            changes.drop_indexes.push(Operation::DropIndex {
                table: live.name.clone(),
                index: live_index.clone(),
            });
        }
    }
}
