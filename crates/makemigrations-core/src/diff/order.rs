//! Puts the operations in an order that runs: enum types before the columns that use them,
//! referenced tables before the tables that reference them, foreign keys and indexes dropped
//! before what they depend on, drops of tables in the reverse order of their creation. Foreign-key
//! cycles between new (or dropped) tables are broken by adding (or dropping) those keys separately.
//!
//! Within that, what loses data comes last: columns and tables are dropped after every change
//! that can fail on existing rows (a type change, a unique index, a foreign key). MySQL commits
//! each statement at once, so a failure there then leaves nothing lost and the least to undo.

use std::collections::{BTreeMap, BTreeSet};

use crate::ops::Operation;
use crate::schema::{Column, ColumnType, Table};

/// The differ's findings, bucketed by kind until they are ordered.
#[derive(Debug, Default)]
pub(super) struct Changes {
    pub create_enums: Vec<Operation>,
    pub alter_enums: Vec<Operation>,
    pub drop_enums: Vec<Operation>,
    pub create_tables: Vec<Table>,
    pub drop_tables: Vec<Table>,
    pub add_columns: Vec<Operation>,
    pub alters: Vec<Operation>,
    pub drop_columns: Vec<Operation>,
    pub create_indexes: Vec<Operation>,
    pub drop_indexes: Vec<Operation>,
    pub rename_indexes: Vec<Operation>,
    pub add_foreign_keys: Vec<Operation>,
    pub drop_foreign_keys: Vec<Operation>,
    pub notes: Vec<super::Note>,
}

impl Changes {
    pub fn into_ordered(mut self) -> Vec<Operation> {
        let (create_tables, deferred_keys) = creation_order(&self.create_tables);
        let (drop_order, early_key_drops) = creation_order(&self.drop_tables);

        let (mut leaving_alters, mut leaving_drops) = self.columns_leaving_altered_enums();

        let mut ops = Vec::new();
        ops.append(&mut self.create_enums);
        // Keys of dropped tables that close a cycle go first, so each table can then be dropped.
        ops.extend(
            early_key_drops
                .into_iter()
                .map(|(table, foreign_key)| Operation::DropForeignKey { table, foreign_key }),
        );
        ops.append(&mut self.drop_foreign_keys);
        ops.append(&mut self.drop_indexes);
        // After the drops, which may free the names they take.
        ops.append(&mut self.rename_indexes);
        // PostgreSQL recreates a changed enum type and converts every column that still uses it:
        // a column that stops using it must do so first, or its rows holding a removed value
        // make the conversion fail.
        ops.append(&mut leaving_alters);
        ops.append(&mut leaving_drops);
        ops.append(&mut self.alter_enums);
        ops.extend(create_tables.into_iter().map(Operation::CreateTable));
        ops.append(&mut self.add_columns);
        ops.append(&mut self.alters);
        ops.append(&mut self.create_indexes);
        ops.append(&mut self.add_foreign_keys);
        ops.extend(
            deferred_keys
                .into_iter()
                .map(|(table, foreign_key)| Operation::AddForeignKey { table, foreign_key }),
        );
        ops.append(&mut self.drop_columns);
        ops.extend(drop_order.into_iter().rev().map(Operation::DropTable));
        ops.append(&mut self.drop_enums);
        ops
    }
}

impl Changes {
    /// Takes out the column alters and drops whose column uses, before the change, an enum type
    /// whose values change, and after it does not use that type any more.
    fn columns_leaving_altered_enums(&mut self) -> (Vec<Operation>, Vec<Operation>) {
        let altered: BTreeSet<String> = self
            .alter_enums
            .iter()
            .filter_map(|op| match op {
                Operation::AlterEnum { name, .. } => Some(name.clone()),
                _ => None,
            })
            .collect();
        let enum_of = |column: &Column| match &column.col_type {
            ColumnType::Enum { name, .. } if altered.contains(name) => Some(name.clone()),
            _ => None,
        };
        let (leaving_alters, alters) =
            std::mem::take(&mut self.alters)
                .into_iter()
                .partition(|op| match op {
                    Operation::AlterColumn { from, to, .. } => {
                        let before = enum_of(from);
                        before.is_some() && before != enum_of(to)
                    }
                    _ => false,
                });
        self.alters = alters;
        let (leaving_drops, drops) = std::mem::take(&mut self.drop_columns)
            .into_iter()
            .partition(
                |op| matches!(op, Operation::DropColumn { column, .. } if enum_of(column).is_some()),
            );
        self.drop_columns = drops;
        (leaving_alters, leaving_drops)
    }
}

type DeferredKey = (String, crate::schema::ForeignKey);

/// Orders `tables` so that each comes after the tables it references (among `tables`). Where a
/// cycle leaves no such order, the keys that close it are taken out of their tables and returned
/// separately, to be added after all the tables exist. Deterministic: ties go by name.
fn creation_order(tables: &[Table]) -> (Vec<Table>, Vec<DeferredKey>) {
    let mut remaining: BTreeMap<String, Table> =
        tables.iter().map(|t| (t.name.clone(), t.clone())).collect();
    let mut ordered = Vec::new();
    let mut deferred = Vec::new();
    let mut placed: BTreeSet<String> = BTreeSet::new();
    while !remaining.is_empty() {
        let ready = remaining
            .values()
            .find(|t| {
                t.referenced_tables()
                    .all(|r| placed.contains(r) || !remaining.contains_key(r))
            })
            .map(|t| t.name.clone());
        let name = match ready {
            Some(name) => name,
            None => {
                // A cycle: take the first table by name and defer its keys into the cycle.
                let name = remaining.keys().next().cloned().expect("not empty");
                let table = remaining.get_mut(&name).expect("present");
                let (keep, defer): (Vec<_>, Vec<_>) =
                    table.foreign_keys.drain(..).partition(|fk| {
                        fk.ref_table == name || !remaining_contains(&placed, &fk.ref_table, tables)
                    });
                table.foreign_keys = keep;
                deferred.extend(defer.into_iter().map(|fk| (name.clone(), fk)));
                name
            }
        };
        let table = remaining.remove(&name).expect("present");
        placed.insert(name);
        ordered.push(table);
    }
    (ordered, deferred)
}

/// True when `table` is one of `tables` that has not been placed yet.
fn remaining_contains(placed: &BTreeSet<String>, table: &str, tables: &[Table]) -> bool {
    !placed.contains(table) && tables.iter().any(|t| t.name == table)
}
