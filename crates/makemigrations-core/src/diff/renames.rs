//! Renames, declared (`#[sea_orm(renamed_from = "old")]` on a column, `TABLE_RENAMED_FROM` beside
//! an entity) or answered (`--rename`, the prompt). They are applied to the live model before
//! diffing, so that the differ compares like with like, and become rename operations that run
//! first.

use crate::ops::Operation;
use crate::schema::Schema;

/// Honours the declared renames: `(old, new)` tables and `(table, old, new)` columns, where the
/// entities have the new name. A rename whose old name is gone or whose new name exists already
/// is skipped (it ran before).
pub fn apply_declared_renames(
    live: &mut Schema,
    desired: &Schema,
    tables: &[(String, String)],
    columns: &[(String, String, String)],
) -> Vec<Operation> {
    let tables: Vec<(String, String)> = tables
        .iter()
        .filter(|(_, new)| desired.tables.contains_key(new))
        .cloned()
        .collect();
    let columns: Vec<(String, String, String)> = columns
        .iter()
        .filter(|(table, _, _)| desired.tables.contains_key(table))
        .cloned()
        .collect();
    apply_renames(live, &tables, &columns)
}

/// Renames tables, then columns (which need their table under its new name), in the live model;
/// returns the rename operations of those that applied.
pub fn apply_renames(
    live: &mut Schema,
    tables: &[(String, String)],
    columns: &[(String, String, String)],
) -> Vec<Operation> {
    let mut ops = Vec::new();
    for (old, new) in tables {
        if rename_table(live, old, new) {
            ops.push(Operation::RenameTable {
                from: old.clone(),
                to: new.clone(),
            });
        }
    }
    for (table, old, new) in columns {
        if rename_column(live, table, old, new) {
            ops.push(Operation::RenameColumn {
                table: table.clone(),
                from: old.clone(),
                to: new.clone(),
            });
        }
    }
    ops
}

/// Renames table `old` to `new` in the live model, with the keys of every table that point at
/// it. False when `old` is missing or `new` exists.
fn rename_table(live: &mut Schema, old: &str, new: &str) -> bool {
    if live.tables.contains_key(new) {
        return false;
    }
    let Some(mut table) = live.tables.remove(old) else {
        return false;
    };
    table.name = new.to_string();
    live.tables.insert(new.to_string(), table);
    for key in live
        .tables
        .values_mut()
        .flat_map(|t| t.foreign_keys.iter_mut())
        .filter(|k| k.ref_table == old)
    {
        key.ref_table = new.to_string();
    }
    true
}

/// Renames a column in the live model, with its key, indexes and the keys that point at it.
/// False when `old` is missing or `new` exists.
fn rename_column(live: &mut Schema, table_name: &str, old: &str, new: &str) -> bool {
    let Some(table) = live.tables.get_mut(table_name) else {
        return false;
    };
    if table.column(new).is_some() || table.column(old).is_none() {
        return false;
    }
    let rename = |name: &mut String| {
        if name == old {
            *name = new.to_string();
        }
    };
    table.columns.iter_mut().for_each(|c| rename(&mut c.name));
    table.primary_key.iter_mut().for_each(rename);
    table
        .indexes
        .iter_mut()
        .flat_map(|i| i.columns.iter_mut())
        .for_each(rename);
    table
        .foreign_keys
        .iter_mut()
        .flat_map(|f| f.columns.iter_mut())
        .for_each(rename);
    for other in live.tables.values_mut() {
        for key in other
            .foreign_keys
            .iter_mut()
            .filter(|k| k.ref_table == table_name)
        {
            key.ref_columns.iter_mut().for_each(rename);
        }
    }
    true
}
