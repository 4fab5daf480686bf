//! The run-time half of makemigrations for SeaORM: what committed migration files and an
//! application that applies them at start-up need, and nothing of the command line.
//!
//! The stable API is small:
//! - [`prelude`]: what every generated migration file imports (`use makemigrations::prelude::*;`):
//!   sea-orm-migration's prelude and the helpers of [`runtime`] the files call.
//! - [`app`]: what the generated `Migrator`'s `up` and `down` run ([`app::up`], [`app::down`],
//!   [`app::Options`]), given the project's [`Migrations`].
//! - [`Migrations`], [`MigrationFacts`] and [`UnseenEntity`]: what the migration crate's build
//!   script generates.
//!
//! Every other module is public only for the command line (the `makemigrations-cli` crate) and is
//! hidden from the documentation: applications must not rely on it, and it changes with the tool.
//!
//! Each database driver is behind a feature (`postgres`, `mysql`, `sqlite`), so an application
//! links only its own; the async runtime and TLS are chosen with `runtime-tokio-rustls` (the
//! default) or `runtime-tokio-native-tls`.

#![warn(missing_docs)]

#[cfg(not(any(feature = "postgres", feature = "mysql", feature = "sqlite")))]
compile_error!(
    "makemigrations needs a database driver: enable the feature `postgres`, `mysql` or `sqlite` (of the migration crate, or of makemigrations)"
);

pub mod app;
#[doc(hidden)]
pub mod error;
#[doc(hidden)]
pub mod executor;
pub mod facts;
#[doc(hidden)]
pub mod gate;
#[doc(hidden)]
pub mod graph;
#[doc(hidden)]
pub mod history;
#[doc(hidden)]
pub mod independence;
#[doc(hidden)]
pub mod interrupt;
#[doc(hidden)]
pub mod introspect;
#[doc(hidden)]
pub mod journal;
#[doc(hidden)]
pub mod lock;
#[doc(hidden)]
pub mod migrate;
#[doc(hidden)]
pub mod progress;
#[doc(hidden)]
pub mod replacement;
#[doc(hidden)]
pub mod run_log;
pub mod runtime;
#[doc(hidden)]
pub mod secrets;
#[doc(hidden)]
pub mod unwind;
#[doc(hidden)]
pub mod validate;

#[doc(hidden)]
pub use error::Error;
pub use facts::{MigrationFacts, UnseenEntity};

use sea_orm::DbBackend;
use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// Everything generated migration files need: sea-orm-migration's prelude and our helpers.
pub mod prelude {
    pub use crate::runtime::{
        add_column, add_foreign_key, add_unique_constraint, alter_column, alter_enum,
        baseline_tables_exist, comment_on_column, comment_on_table, create_enum, drop_column,
        drop_enum, drop_foreign_key, drop_index, rename_index, set_primary_key, todo_backfill,
        Statements,
    };
    pub use sea_orm_migration::prelude::*;
}

/// A project's migrations as a run needs them: the list, where the files are, and their markers.
/// The migration crate's build script generates the value (`app_project()`); the command line's
/// `Project` carries one too.
pub struct Migrations {
    /// The migrations, oldest first (the generated `Migrator::migrations`).
    pub migrations: fn() -> Vec<Box<dyn MigrationTrait>>,
    /// The folder of the migration files, as the build script found it.
    pub migrations_dir: String,
    /// The markers of each migration file, which the gates of `migrate`, `rollback` and `check`
    /// read (the build script's `MIGRATION_FACTS`).
    pub migration_facts: &'static [MigrationFacts],
}

impl Migrations {
    /// The migrations of `M`, whose files are in `migrations_dir`; no markers yet.
    pub fn new<M: MigratorTrait>(migrations_dir: impl Into<String>) -> Self {
        Migrations {
            migrations: M::migrations,
            migrations_dir: migrations_dir.into(),
            migration_facts: &[],
        }
    }

    /// The build script's `MIGRATION_FACTS`. Without them the gates see no markers.
    pub fn migration_facts(mut self, facts: &'static [MigrationFacts]) -> Self {
        self.migration_facts = facts;
        self
    }

    /// A migration file as the user should see it: relative to the working directory when it is
    /// below it, else as the facts give it (relative to the migration crate), never absolute.
    pub fn shown_migration_file(&self, facts: &MigrationFacts) -> String {
        let file_name = std::path::Path::new(facts.file)
            .file_name()
            .unwrap_or_default();
        let path = std::path::Path::new(&self.migrations_dir).join(file_name);
        let cwd = std::env::current_dir().unwrap_or_default();
        match path.strip_prefix(&cwd) {
            Ok(relative) => relative.display().to_string(),
            Err(_) => facts.file.to_string(),
        }
    }
}

/// The backend as messages name it.
#[doc(hidden)]
pub fn backend_label(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "PostgreSQL",
        DbBackend::MySql => "MySQL/MariaDB",
        _ => "SQLite",
    }
}

#[doc(hidden)]
/// `path` relative to the working directory when it is below it.
pub fn shown_path(path: &std::path::Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[doc(hidden)]
/// A time as messages show it: `2026-12-02 01:23:45 UTC` (from unix seconds).
pub fn shown_time(unix_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(unix_seconds, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

#[doc(hidden)]
/// `seaql_migrations` and our own bookkeeping are never diffed, created or dropped.
pub fn is_tool_table(table: &str) -> bool {
    table == executor::TRACKING_TABLE
        || table == executor::OWNED_TABLES
        || table == executor::HALF_APPLIED
        || table == executor::HALF_APPLIED_STATEMENTS
        || table == run_log::LOG_TABLE
        || table == executor::CHECKSUMS
        || table == executor::REPLACED
}
