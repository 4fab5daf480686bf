//! The three legs of `check` set against each other: the entities, the schema snapshot (what
//! the migrations create) and the database. A difference between the database and the
//! entities is an entity change where the entities differ from the snapshot, and drift where
//! they agree with it; a change the entities and the database share that the snapshot lacks was
//! made by hand (or by a migration written by hand). `check` reports the legs; `makemigrations`
//! warns about operations that would undo drift.

use makemigrations_core::snapshot::{self, Object};
use makemigrations_core::Operation;
use sea_orm::DbBackend;

use crate::autodetect::Compared;
use crate::error::Error;

/// The differences between the database and the entities, sorted by the snapshot.
#[derive(Debug, Default)]
pub struct Legs {
    /// Operations for changes of the entities: their objects differ from the snapshot.
    pub entity_operations: Vec<Operation>,
    /// Operations for differences of the database alone: the entities agree with the snapshot.
    pub drift: Vec<Operation>,
    /// Objects that differ from the snapshot and that this backend can show (described).
    pub changed_objects: Vec<String>,
    /// Of those, the ones the database already has as the entities say.
    pub unrecorded: Vec<String>,
    pub snapshot_diff: String,
}

/// Sorts `operations`, the differences between the database and the entities (empty when the
/// database was not compared, `database_compared` false), by what the snapshot says: where the
/// entities differ from the snapshot it is an entity change; where they agree with it and the
/// database does not, drift. Without a snapshot every difference is an entity change, as before
/// snapshots. On a backend that keeps no comments and no enum types (SQLite), a change of a
/// comment or of an enum's values is not reported: the database cannot show it, and
/// `makemigrations` writes no migration for it there.
pub fn sort(
    compared: &Compared,
    operations: Vec<Operation>,
    snapshot: Option<&str>,
    database_compared: bool,
    backend: DbBackend,
    shown_snapshot: &str,
) -> Result<Legs, Error> {
    let Some(snapshot) = snapshot else {
        return Ok(Legs {
            entity_operations: operations,
            ..Legs::default()
        });
    };
    let entities = snapshot::render(compared.snapshot_schema());
    let unreadable = |e| crate::writer::unreadable_snapshot(shown_snapshot, e);
    // Every change sorts the operations; only what this backend can show is reported.
    // The same text has no changed object: parsing and comparing 1,000 tables to learn that
    // took most of a warm debug `check` (0.6 s under load).
    let same = snapshot == entities;
    let changed = match same {
        true => Vec::new(),
        false => snapshot::changed_objects(snapshot, &entities).map_err(unreadable)?,
    };
    let shown: Vec<Object> = if same || crate::database::core_backend(backend).keeps_comments() {
        changed.clone()
    } else {
        snapshot::changed_objects_but_comments(snapshot, &entities)
            .map_err(unreadable)?
            .into_iter()
            .filter(|object| !matches!(object, Object::Enum(_)))
            .collect()
    };
    let is_changed = |object: &Object| {
        changed.contains(object)
            || object
                .table()
                .is_some_and(|t| changed.contains(&Object::Table(t.to_string())))
    };
    let (entity_operations, drift): (Vec<Operation>, Vec<Operation>) = operations
        .into_iter()
        .partition(|op| Object::touched_by(op).iter().any(is_changed));
    let touched: Vec<Object> = entity_operations
        .iter()
        .flat_map(Object::touched_by)
        .collect();
    // An object counts as made when an operation makes it or the table it belongs to.
    let made = |object: &Object| {
        touched.contains(object)
            || object
                .table()
                .is_some_and(|t| touched.contains(&Object::Table(t.to_string())))
    };
    let unrecorded = if database_compared {
        shown
            .iter()
            .filter(|object| !made(object))
            .map(Object::describe)
            .collect()
    } else {
        Vec::new()
    };
    Ok(Legs {
        entity_operations,
        drift,
        changed_objects: shown.iter().map(Object::describe).collect(),
        unrecorded,
        snapshot_diff: if shown.is_empty() {
            String::new()
        } else {
            crate::writer::snapshot_diff(snapshot, &entities, shown_snapshot)
        },
    })
}
