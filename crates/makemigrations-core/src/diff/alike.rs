//! Entity columns whose declared type this backend stores like another type (SQLite stores `i32`
//! and `i64` both as `integer`, MySQL a uuid as `binary(16)`): a change between such types does
//! not reach the database, so no comparison there can see it. The tool says so rather than
//! claiming there is nothing to do.

use crate::schema::{Backend, ColumnType, Schema};

/// One such column: the type the entity declares and the type the database keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAlike {
    pub table: String,
    pub column: String,
    pub declared: ColumnType,
    pub stored_as: String,
}

impl StoredAlike {
    /// `users.public_id (Uuid, stored as binary(16))`.
    pub fn describe(&self) -> String {
        let declared = format!("{:?}", self.declared);
        let kind = declared
            .split(['(', ' ', '{'])
            .next()
            .unwrap_or_default()
            .to_string();
        format!(
            "{}.{} ({kind}, stored as {})",
            self.table, self.column, self.stored_as
        )
    }
}

/// The columns of tables on both sides whose database type is the same but whose declared type
/// is not the one the database's spelling maps back to.
pub fn stored_alike(live: &Schema, desired: &Schema) -> Vec<StoredAlike> {
    let mut found = Vec::new();
    for (name, desired_table) in &desired.tables {
        let Some(live_table) = live.tables.get(name) else {
            continue;
        };
        for column in &desired_table.columns {
            let Some(live_column) = live_table.column(&column.name) else {
                continue;
            };
            if live_column.db_type == column.db_type
                && !same_type(&live_column.col_type, &column.col_type)
            {
                found.push(StoredAlike {
                    table: name.clone(),
                    column: column.name.clone(),
                    declared: column.col_type.clone(),
                    stored_as: column.db_type.clone(),
                });
            }
        }
    }
    found
}

/// Enum names are not stored where enums are inline; their values are.
fn same_type(live: &ColumnType, declared: &ColumnType) -> bool {
    match (live, declared) {
        (ColumnType::Enum { variants: a, .. }, ColumnType::Enum { variants: b, .. }) => a == b,
        _ => live == declared,
    }
}

/// Where a live column is stored exactly as its entity declares it, the database cannot tell its
/// declared type apart from others (`varchar(255)` on MySQL is `string()` or `string_len(255)`),
/// but the entity can: the live column takes the declared type and default value, so that code
/// rendered from it (the `from` of an alter, in `down`) restores the same column on every backend.
pub fn declared_types_where_stored_alike(live: &mut Schema, desired: &Schema) {
    for (name, live_table) in live.tables.iter_mut() {
        let Some(desired_table) = desired.tables.get(name) else {
            continue;
        };
        for column in &mut live_table.columns {
            let Some(declared) = desired_table.column(&column.name) else {
                continue;
            };
            if column.db_type == declared.db_type {
                column.col_type = declared.col_type.clone();
            }
            if let (Some(live_default), Some(declared_default)) =
                (column.default.as_mut(), declared.default.as_ref())
            {
                if live_default.sql == declared_default.sql {
                    live_default.value = declared_default.value.clone();
                }
            }
        }
    }
}

/// A live key cannot say which of its actions were declared (MariaDB reports RESTRICT for
/// "nothing declared"), but where the entity's action behaves alike, the entity can: the live key
/// takes the entity's action and declaration, so that code rendered from it (a key dropped around
/// a type change, re-added in `down`) restores the same key on every backend.
pub fn declared_actions_where_alike(live: &mut Schema, desired: &Schema, backend: Backend) {
    for (name, live_table) in live.tables.iter_mut() {
        let Some(desired_table) = desired.tables.get(name) else {
            continue;
        };
        for key in &mut live_table.foreign_keys {
            let Some(declared) = desired_table
                .foreign_keys
                .iter()
                .find(|k| k.signature() == key.signature())
            else {
                continue;
            };
            if backend.same_action(key.on_delete, declared.on_delete) {
                key.on_delete = declared.on_delete;
                key.declared.on_delete = declared.declared.on_delete;
            }
            if backend.same_action(key.on_update, declared.on_update) {
                key.on_update = declared.on_update;
                key.declared.on_update = declared.declared.on_update;
            }
        }
    }
}
