//! This project's migrations. Every file in `src/migrations/` named `mYYYYMMDD_HHMMSS_name.rs` is
//! a migration; the build script lists them (and the entities of the `entity` crate), so adding
//! or deleting a file needs no edit here.
//!
//! Applications can run them at startup with `migration::Migrator::up(&db, None)`, depending on
//! this crate with `default-features = false` and their database's feature (docs/guide.md).

pub use makemigrations::prelude::MigratorTrait;

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// What only the command line needs: the entities and the project it works on.
#[cfg(feature = "cli")]
mod cli {
    use super::{Migrator, MIGRATIONS_DIR, MIGRATION_FACTS};

    include!(concat!(env!("OUT_DIR"), "/entities.rs"));

    // Makes sure the entity crate is linked, whatever this file names from it.
    extern crate entity as _;

    /// What the command line works on. Add table patterns to `ignore_tables` for tables that
    /// other services or extensions own; the tool then never creates, changes or drops them.
    pub fn project() -> makemigrations_cli::Project {
        makemigrations_cli::Project::new::<Migrator>(MIGRATIONS_DIR, entities())
            .migration_facts(MIGRATION_FACTS)
            .unseen_entities(UNSEEN_ENTITIES)
            .ignore_tables(["spatial_ref_sys"])
    }
}

#[cfg(feature = "cli")]
pub use cli::{entities, project, UNSEEN_ENTITIES};
