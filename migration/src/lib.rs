//! This project's migrations. Every file in `src/migrations/` named `mYYYYMMDD_HHMMSS_name.rs` is
//! a migration; the build script lists them (and the entities of the `entity` crate), so adding
//! or deleting a file needs no edit here.
//!
//! Applications can run them at start-up with `migration::Migrator::up(&db, None)`, depending on
//! this crate with `default-features = false` and their database's feature (docs/guide.md), or
//! check that nothing is pending (a deploy step migrates) with [`require_up_to_date`]:
//!
//! ```no_run
//! # use makemigrations::prelude::sea_orm;
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let db = sea_orm::Database::connect(std::env::var("DATABASE_URL")?).await?;
//!     migration::require_up_to_date(&db).await?; // or: migration::Migrator::up(&db, None).await?
//!     // ... build the router with `db` and serve
//!     Ok(())
//! }
//! ```

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
