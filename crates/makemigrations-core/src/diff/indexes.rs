//! Indexes, unique ones and UNIQUE constraints included, matched by what they are: the same
//! columns in the same order, alike in uniqueness (`Index::same_definition`), never by name alone
//! (decision 9). A database the tool did not create names its indexes its own way; a name that
//! differs is kept, unless the project asks for exact names (`DiffOptions::exact_names`), and then
//! renamed. An index whose definition changed is dropped and created again.

use std::borrow::Cow;

use super::order::Changes;
use super::DiffOptions;
use crate::ops::Operation;
use crate::schema::{Backend, Index, Table};

/// The desired table with each single column's uniqueness in the live form. Uniqueness of one
/// column is held either by the column (sea-orm's `#[sea_orm(unique)]`, read as `Column::unique`)
/// or by a unique index on that one column: the same thing under two forms, so the form the
/// database has is kept. Tables only the desired side has are left as they are.
pub(super) fn unique_columns_in_live_form<'a>(live: &Table, desired: &'a Table) -> Cow<'a, Table> {
    let on_column = |index: &Index, name: &str| {
        index.unique && index.columns.len() == 1 && index.columns[0] == name
    };
    let mut adjusted = Cow::Borrowed(desired);
    for (at, column) in desired.columns.iter().enumerate() {
        let Some(live_column) = live.column(&column.name) else {
            continue;
        };
        let name = column.name.as_str();
        if column.unique && !live_column.unique {
            if let Some(index) = live.indexes.iter().find(|i| on_column(i, name)) {
                let table = adjusted.to_mut();
                table.columns[at].unique = false;
                table.indexes.push(index.clone());
            }
        } else if !column.unique
            && live_column.unique
            && !live.indexes.iter().any(|i| on_column(i, name))
            && desired.indexes.iter().any(|i| on_column(i, name))
        {
            let table = adjusted.to_mut();
            table.columns[at].unique = true;
            table.indexes.retain(|i| !on_column(i, name));
        }
    }
    if let Cow::Owned(table) = &mut adjusted {
        table.indexes.sort_by(|a, b| a.name.cmp(&b.name));
    }
    adjusted
}

pub(super) fn diff_indexes(
    live: &Table,
    desired: &Table,
    options: &DiffOptions,
    changes: &mut Changes,
) {
    let mut unmatched: Vec<&Index> = live.indexes.iter().collect();
    // (live, desired) pairs that stay.
    let mut matched: Vec<(&Index, &Index)> = Vec::new();
    let mut created: Vec<&Index> = Vec::new();
    for desired_index in &desired.indexes {
        let same = |l: &&Index| l.same_definition(desired_index);
        let found = unmatched
            .iter()
            .position(|l| same(l) && l.name == desired_index.name)
            .or_else(|| unmatched.iter().position(same));
        match found {
            Some(at) => matched.push((unmatched.remove(at), desired_index)),
            None => created.push(desired_index),
        }
    }
    for (live_index, desired_index) in &matched {
        // A new index can only take its name when the live index holding it moves to its own.
        let name_needed = created.iter().any(|c| c.name == live_index.name);
        if live_index.name != desired_index.name && (options.exact_names || name_needed) {
            changes.rename_indexes.push(Operation::RenameIndex {
                table: live.name.clone(),
                index: (*live_index).clone(),
                to: desired_index.name.clone(),
            });
        }
    }
    for live_index in unmatched {
        // Duplicates: the entities cannot say which of two equal indexes they mean, and a
        // foreign key (PostgreSQL: to the columns; MySQL: from them) may lean on either, so
        // the others stay as the database has them.
        let duplicate = matched.iter().any(|(m, _)| m.same_definition(live_index));
        if duplicate
            || (options.backend == Backend::MySql
                && is_foreign_key_index(live, desired, live_index))
        {
            continue;
        }
        changes.drop_indexes.push(Operation::DropIndex {
            table: live.name.clone(),
            index: live_index.clone(),
        });
    }
    for index in created {
        changes.create_indexes.push(Operation::CreateIndex {
            table: live.name.clone(),
            index: index.clone(),
        });
    }
}

/// MySQL needs an index that leads with a foreign key's columns, and makes one itself (named
/// after the key, which discovery hides) only when there is none. So a live index that serves a
/// key the entities keep, where no index of the entities serves it, is that key's index whatever
/// its name: the desired side lacks it only because its own was hidden. Dropping it would be
/// refused or would have InnoDB make another, and `down` would then create it beside that one.
fn is_foreign_key_index(live: &Table, desired: &Table, index: &Index) -> bool {
    let serves = |index: &Index, columns: &[String]| index.columns.starts_with(columns);
    !index.unique
        && live.foreign_keys.iter().any(|key| {
            serves(index, &key.columns)
                && desired
                    .foreign_keys
                    .iter()
                    .any(|k| k.signature() == key.signature())
                && !desired.indexes.iter().any(|i| serves(i, &key.columns))
        })
}
