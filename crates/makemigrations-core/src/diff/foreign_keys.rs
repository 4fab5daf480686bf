//! Foreign keys, matched by what they connect (columns -> referenced table and columns), since
//! SQLite does not keep their names. A key whose actions changed is dropped and added again.

use super::order::Changes;
use crate::ops::Operation;
use crate::schema::{Backend, ForeignKey, Table};

pub(super) fn diff_foreign_keys(
    live: &Table,
    desired: &Table,
    backend: Backend,
    changes: &mut Changes,
) {
    let find = |keys: &[ForeignKey], key: &ForeignKey| {
        keys.iter()
            .find(|k| k.signature() == key.signature())
            .cloned()
    };
    for desired_key in &desired.foreign_keys {
        match find(&live.foreign_keys, desired_key) {
            Some(live_key)
                if backend.same_action(live_key.on_delete, desired_key.on_delete)
                    && backend.same_action(live_key.on_update, desired_key.on_update) => {}
            Some(live_key) => {
                changes.drop_foreign_keys.push(Operation::DropForeignKey {
                    table: live.name.clone(),
                    foreign_key: live_key,
                });
                changes.add_foreign_keys.push(Operation::AddForeignKey {
                    table: live.name.clone(),
                    foreign_key: desired_key.clone(),
                });
            }
            None => changes.add_foreign_keys.push(Operation::AddForeignKey {
                table: live.name.clone(),
                foreign_key: desired_key.clone(),
            }),
        }
    }
    for live_key in &live.foreign_keys {
        if find(&desired.foreign_keys, live_key).is_none() {
            changes.drop_foreign_keys.push(Operation::DropForeignKey {
                table: live.name.clone(),
                foreign_key: live_key.clone(),
            });
        }
    }
}
