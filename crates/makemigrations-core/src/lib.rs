//! The pure core of makemigrations: the backend-neutral schema model, the differ that compares two
//! schemas, the reversible operations it produces, and the renderer that writes them as a
//! sea-orm-migration file. Nothing here does IO or knows sea-orm: that keeps the whole comparison
//! testable without a database.

pub mod adoption;
pub mod diff;
#[doc(hidden)]
pub mod fixtures;
pub mod literal;
pub mod ops;
pub mod questions;
pub mod render;
pub mod rollback;
pub mod schema;
pub mod snapshot;

pub use adoption::Keep;
pub use diff::{diff, Diff, DiffOptions};
pub use ops::{Category, Operation};
pub use schema::*;

/// The model's own source, so that caches of serialized schemas can tell when it changed.
pub const SCHEMA_SOURCE: &str = include_str!("schema.rs");
