//! Enum types (PostgreSQL `CREATE TYPE .. AS ENUM`). Elsewhere enums live inside the column type
//! and are compared with it.

use super::order::Changes;
use crate::ops::Operation;
use crate::schema::{Column, ColumnType, EnumType, Schema};

pub(super) fn diff_enums(
    live: &Schema,
    desired: &Schema,
    unmanaged_tables: &[String],
    changes: &mut Changes,
) {
    for (name, desired_enum) in &desired.enums {
        match live.enums.get(name) {
            None => changes
                .create_enums
                .push(Operation::CreateEnum(desired_enum.clone())),
            Some(live_enum) if live_enum.values != desired_enum.values => {
                changes.alter_enums.push(Operation::AlterEnum {
                    name: name.clone(),
                    from: live_enum.values.clone(),
                    to: desired_enum.values.clone(),
                    columns: columns_using(live, desired, name),
                })
            }
            Some(_) => {}
        }
    }
    for (name, live_enum) in &live.enums {
        if desired.enums.contains_key(name) || used_by_unmanaged_table(live, name, unmanaged_tables)
        {
            continue;
        }
        changes
            .drop_enums
            .push(Operation::DropEnum(live_enum.clone()));
    }
}

/// The columns that use the enum type `name` in the entities and exist already.
pub(super) fn columns_using(live: &Schema, desired: &Schema, name: &str) -> Vec<(String, String)> {
    desired
        .tables
        .values()
        .flat_map(|t| t.columns.iter().map(move |c| (t, c)))
        .filter(|(_, c)| matches!(&c.col_type, ColumnType::Enum { name: n, .. } if n == name))
        .filter(|(t, c)| {
            live.tables
                .get(&t.name)
                .is_some_and(|l| l.column(&c.name).is_some())
        })
        .map(|(t, c)| (t.name.clone(), c.name.clone()))
        .collect()
}

/// A type that a table we leave alone still uses must stay.
fn used_by_unmanaged_table(live: &Schema, enum_name: &str, unmanaged_tables: &[String]) -> bool {
    unmanaged_tables
        .iter()
        .filter_map(|t| live.tables.get(t))
        .flat_map(|t| &t.columns)
        .any(|c| {
            matches!(&c.col_type, ColumnType::Enum { name, .. } if name == enum_name)
                || c.db_type == enum_name
        })
}

/// On a backend without named enum types the live schema cannot say which types exist, but a
/// migration generated there must still run on PostgreSQL: each enum type that a new column uses
/// is created first, and each that a changed, dropped or dropped table's column stops using (and
/// that no desired column uses) is dropped last. `create_enum` and `drop_enum` do nothing where
/// enums are inline; on PostgreSQL `create_enum` leaves alone a type that exists with the same
/// values in the same order (and fails when its values differ), and `drop_enum` a type that is
/// still in use.
pub(super) fn with_portable_enum_types(
    operations: Vec<Operation>,
    desired: &Schema,
) -> Vec<Operation> {
    let mut created: Vec<EnumType> = Vec::new();
    let mut note = |column: &Column| {
        if let ColumnType::Enum { name, variants } = &column.col_type {
            if !created.iter().any(|e| &e.name == name) {
                created.push(EnumType {
                    name: name.clone(),
                    values: variants.clone(),
                });
            }
        }
    };
    for op in &operations {
        match op {
            Operation::CreateTable(table) => table.columns.iter().for_each(&mut note),
            Operation::AddColumn { column, .. } => note(column),
            // A column that already was an enum has its type already; its values change through
            // `AlterEnum`.
            Operation::AlterColumn { from, to, .. }
                if from.col_type != to.col_type
                    && !matches!(from.col_type, ColumnType::Enum { .. }) =>
            {
                note(to)
            }
            _ => {}
        }
    }
    let still_used = |name: &str| {
        desired
            .tables
            .values()
            .flat_map(|t| &t.columns)
            .any(|c| matches!(&c.col_type, ColumnType::Enum { name: used, .. } if used == name))
    };
    let mut dropped: Vec<EnumType> = Vec::new();
    let mut unused = |column: &Column| {
        if let ColumnType::Enum { name, variants } = &column.col_type {
            if !name.is_empty() && !still_used(name) && !dropped.iter().any(|e| &e.name == name) {
                dropped.push(EnumType {
                    name: name.clone(),
                    values: variants.clone(),
                });
            }
        }
    };
    for op in &operations {
        match op {
            Operation::DropTable(table) => table.columns.iter().for_each(&mut unused),
            Operation::DropColumn { column, .. } => unused(column),
            Operation::AlterColumn { from, .. } => unused(from),
            _ => {}
        }
    }
    created
        .into_iter()
        .map(Operation::CreateEnum)
        .chain(operations)
        .chain(dropped.into_iter().map(Operation::DropEnum))
        .collect()
}
