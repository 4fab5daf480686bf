//! makemigrations for SeaORM: compares your entities with the live database and writes reviewable
//! sea-orm-migration files with `up` and `down`, then applies, lists, checks and rolls them back.
//!
//! The pipeline (docs/ARCHITECTURE.md): [`entities`] and [`introspect`] read the two sides,
//! [`shadow`] makes them comparable, `makemigrations_core` diffs them into reversible operations
//! and renders the file, [`writer`] writes it, [`executor`] applies it, and [`cli`] is the only
//! part that prints. [`prelude`] is what generated migrations import.

pub mod app;
pub mod autodetect;
pub mod backup;
pub mod cli;
pub mod create_db;
pub mod database;
pub mod devdb;
pub mod entities;
pub mod error;
pub mod executor;
pub mod facts;
pub mod fresh;
pub mod gate;
pub mod graph;
pub mod history;
pub mod independence;
pub mod init;
pub mod interrupt;
pub mod introspect;
pub mod journal;
pub mod legs;
pub mod lock;
pub mod migrate;
pub mod offline_sql;
pub mod progress;
pub mod questioner;
pub mod replacement;
pub mod replay;
pub mod report;
pub mod row_counts;
pub mod run_log;
pub mod runtime;
pub mod shadow;
pub mod shadow_cache;
pub mod squash;
pub mod timings;
pub mod unwind;
pub mod validate;
pub mod verbose;
pub mod writer;

pub use entities::EntityDef;
pub use error::Error;
pub use facts::{MigrationFacts, UnseenEntity};
pub use makemigrations_core::Keep;

use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// Everything generated migration files need: sea-orm-migration's prelude and our helpers.
pub mod prelude {
    pub use crate::runtime::{
        add_column, add_foreign_key, add_unique_constraint, alter_column, alter_enum,
        baseline_tables_exist, comment_on_column, comment_on_table, create_enum, drop_column,
        drop_enum, drop_foreign_key, drop_index, rename_index, set_primary_key, todo_backfill,
    };
    pub use sea_orm_migration::prelude::*;
}

/// The project the command line works on: its migrations, where new ones go, its entities, and
/// the tables it must leave alone. The migration crate's build script generates the lists.
pub struct Project {
    pub migrations: fn() -> Vec<Box<dyn MigrationTrait>>,
    pub migrations_dir: String,
    pub entities: Vec<EntityDef>,
    /// Glob patterns (`*`, `?`) of tables that are never created, changed or dropped.
    pub ignore_tables: Vec<String>,
    /// MySQL only: an empty database to build the entities' tables in, for users who may not
    /// create databases (`--shadow-url`, `SHADOW_DATABASE_URL`).
    pub shadow_url: Option<String>,
    /// The markers of each migration file, which the gates of `migrate`, `rollback` and `check`
    /// read (the build script's `MIGRATION_FACTS`).
    pub migration_facts: &'static [MigrationFacts],
    /// Entities the build script could not reach; their tables are left alone.
    pub unseen_entities: &'static [UnseenEntity],
    /// SQLite: make an operation (a table rebuild) of a declared type that differs from the
    /// entity's in spelling only (`INT` and `integer`), instead of a note.
    pub exact_sqlite_types: bool,
    /// Kinds of difference where the database's version stays (docs/guide.md, "Adopting an
    /// existing database").
    pub keep_database: Vec<Keep>,
    /// Give live indexes, UNIQUE constraints and foreign keys the names the entities give them.
    /// Off by default: objects are matched by what they are, and a database keeps its own names.
    pub exact_names: bool,
}

impl Project {
    pub fn new<M: MigratorTrait>(
        migrations_dir: impl Into<String>,
        entities: Vec<EntityDef>,
    ) -> Self {
        Project {
            migrations: M::migrations,
            migrations_dir: migrations_dir.into(),
            entities,
            ignore_tables: Vec::new(),
            shadow_url: None,
            migration_facts: &[],
            unseen_entities: &[],
            exact_sqlite_types: false,
            keep_database: Vec::new(),
            exact_names: false,
        }
    }

    /// On SQLite, changes of declared type spelling with the same affinity (`INT` to `integer`,
    /// `NVARCHAR(70)` to `text`) are notes unless this is on; then each rebuilds its table.
    pub fn exact_sqlite_types(mut self, exact: bool) -> Self {
        self.exact_sqlite_types = exact;
        self
    }

    /// Leaves the database's version of these kinds of difference alone: undeclared indexes,
    /// defaults, lengths, types (every type difference but lengths and enums), undeclared
    /// columns, or objects by name. For a database adopted with entities that do not carry every
    /// detail of it.
    pub fn keep_database<I: IntoIterator<Item = Keep>>(mut self, kinds: I) -> Self {
        self.keep_database.extend(kinds);
        self
    }

    /// Rename live indexes, UNIQUE constraints and foreign keys that are what an entity declares
    /// under another name (`ALTER INDEX .. RENAME`, or the key dropped and added again).
    pub fn exact_names(mut self, exact: bool) -> Self {
        self.exact_names = exact;
        self
    }

    /// The build script's `MIGRATION_FACTS`. Without them the gates see no markers.
    pub fn migration_facts(mut self, facts: &'static [MigrationFacts]) -> Self {
        self.migration_facts = facts;
        self
    }

    /// The build script's `UNSEEN_ENTITIES`.
    pub fn unseen_entities(mut self, unseen: &'static [UnseenEntity]) -> Self {
        self.unseen_entities = unseen;
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

    /// Marks more tables as unmanaged.
    pub fn ignore_tables<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        patterns: I,
    ) -> Self {
        self.ignore_tables
            .extend(patterns.into_iter().map(Into::into));
        self
    }

    /// The migrations folder as the user should see it: relative to the working directory.
    pub fn shown_migrations_dir(&self) -> String {
        shown_path(std::path::Path::new(&self.migrations_dir))
    }

    /// The tool's own tables, the configured patterns and the tables of unseen entities (which
    /// would otherwise look dropped).
    pub fn is_ignored(&self, table: &str) -> bool {
        is_tool_table(table)
            || self
                .ignore_tables
                .iter()
                .any(|p| makemigrations_core::adoption::glob_match(p, table))
            || self
                .unseen_entities
                .iter()
                .any(|e| e.table_name == Some(table))
    }
}

/// `path` relative to the working directory when it is below it.
pub fn shown_path(path: &std::path::Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A time as messages show it: `2026-12-02 01:23:45 UTC` (from unix seconds).
pub fn shown_time(unix_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(unix_seconds, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// `seaql_migrations` and our own bookkeeping are never diffed, created or dropped.
pub fn is_tool_table(table: &str) -> bool {
    table == executor::TRACKING_TABLE
        || table == executor::OWNED_TABLES
        || table == executor::HALF_APPLIED
        || table == run_log::LOG_TABLE
        || table == executor::CHECKSUMS
}
