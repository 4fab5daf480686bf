//! Compare a live schema with the desired one and produce the operations that turn the first
//! into the second. Pure: no IO, no database; both schemas were read by the same discoverer, so
//! comparing their facts field by field gives no false differences (docs/decisions.md, decision 1).

mod alike;
mod columns;
mod enums;
mod foreign_keys;
mod indexes;
mod order;
mod renames;
mod spelling;
mod tables;

pub use alike::{
    declared_actions_where_alike, declared_types_where_stored_alike, stored_alike, StoredAlike,
};
pub use renames::{apply_declared_renames, apply_renames};
pub use spelling::Note;

use std::collections::BTreeSet;

use crate::ops::Operation;
use crate::schema::{Backend, Schema};

/// What the differ needs to know besides the two schemas.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    pub backend: Backend,
    /// Live tables that this project's migrations created. A live table that no entity describes
    /// is dropped only when it is listed here; any other is unmanaged and left alone.
    pub owned_tables: BTreeSet<String>,
    /// SQLite: a change of declared type spelling with the same affinity (`INT` to `integer`)
    /// is an operation (a table rebuild), not a note.
    pub exact_sqlite_types: bool,
    /// Rename live indexes, UNIQUE constraints and foreign keys that match the entities' ones
    /// by definition but not by name. Off: a difference of name alone is no change (decision 9).
    pub exact_names: bool,
}

/// The differ's answer: the operations in an order that runs, the live tables it left alone,
/// and the differences it saw but did not turn into operations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diff {
    pub operations: Vec<Operation>,
    pub unmanaged_tables: Vec<String>,
    pub notes: Vec<Note>,
}

pub fn diff(live: &Schema, desired: &Schema, options: &DiffOptions) -> Diff {
    let mut changes = order::Changes::default();
    let unmanaged_tables = tables::diff_tables(live, desired, options, &mut changes);
    enums::diff_enums(live, desired, &unmanaged_tables, &mut changes);
    foreign_keys::around_type_changes(live, desired, &mut changes);
    let notes = std::mem::take(&mut changes.notes);
    let mut operations = changes.into_ordered();
    if options.backend != Backend::Postgres {
        operations = enums::with_portable_enum_types(operations, desired);
    }
    Diff {
        operations,
        unmanaged_tables,
        notes,
    }
}
