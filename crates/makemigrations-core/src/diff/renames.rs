//! Renames the entities declare (`#[sea_orm(renamed_from = "old")]`). They are applied to the
//! live model before diffing, so that the differ compares like with like, and become rename
//! operations that run first.

use crate::ops::Operation;
use crate::schema::Schema;

/// Honours `#[sea_orm(renamed_from = "old")]`: renames the column in the live model (so the
/// differ compares like with like) and returns the rename operations, which run first.
pub fn apply_declared_renames(
    live: &mut Schema,
    desired: &Schema,
    renames: &[(String, String, String)],
) -> Vec<Operation> {
    let mut ops = Vec::new();
    for (table_name, old, new) in renames {
        let Some(table) = live.tables.get_mut(table_name) else {
            continue;
        };
        if table.column(new).is_some()
            || table.column(old).is_none()
            || !desired.tables.contains_key(table_name)
        {
            continue;
        }
        let rename = |name: &mut String| {
            if name == old {
                *name = new.clone();
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
        // Keys of every table that point at the renamed column follow it.
        for other in live.tables.values_mut() {
            for key in other
                .foreign_keys
                .iter_mut()
                .filter(|k| &k.ref_table == table_name)
            {
                for column in key.ref_columns.iter_mut().filter(|c| *c == old) {
                    *column = new.clone();
                }
            }
        }
        ops.push(Operation::RenameColumn {
            table: table_name.clone(),
            from: old.clone(),
            to: new.clone(),
        });
    }
    ops
}
