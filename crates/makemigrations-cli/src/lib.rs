//! makemigrations for SeaORM, the tool: compares your entities with the live database and writes
//! reviewable sea-orm-migration files with `up` and `down`, then applies, lists, checks and rolls
//! them back. What migration files and applications need at run time (the prelude, the executor,
//! the run lock, the history's checks) is the `makemigrations` crate; this one adds the command
//! line, reading entities, the scratch comparison and the writer.
//!
//! The pipeline (docs/ARCHITECTURE.md): [`entities`] and [`introspect`] read the two sides,
//! [`shadow`] makes them comparable, `makemigrations_core` diffs them into reversible operations
//! and renders the file, [`writer`] writes it, [`executor`] applies it, and [`cli`] is the only
//! part that prints.

pub mod autodetect;
pub mod backup;
pub mod cli;
pub mod create_db;
pub mod database;
pub mod devdb;
pub mod entities;
pub mod fresh;
pub mod init;
pub mod legs;
pub mod offline_sql;
pub mod questioner;
pub mod replay;
pub mod report;
pub mod row_counts;
pub mod shadow;
pub mod shadow_cache;
pub mod shadow_script;
pub mod squash;
pub mod timings;
pub mod verbose;
pub mod writer;

// The runtime's modules under their old paths, so that the tool's code names them as its own.
pub use makemigrations::{
    app, error, executor, facts, gate, graph, history, independence, interrupt, introspect,
    journal, lock, migrate, prelude, progress, replacement, run_log, runtime, unwind, validate,
};
pub use makemigrations::{is_tool_table, shown_path, shown_time, Migrations};

pub use entities::EntityDef;
pub use error::Error;
pub use facts::{MigrationFacts, UnseenEntity};
pub use makemigrations_core::Keep;

use sea_orm_migration::MigratorTrait;

/// The project the command line works on: its migrations, where new ones go, its entities, and
/// the tables it must leave alone. The migration crate's build script generates the lists.
pub struct Project {
    /// The migrations, their folder and their markers: what a run needs (the runtime's part;
    /// `project.migrations`, `project.migration_facts` read it through `Deref`).
    pub history: Migrations,
    pub entities: Vec<EntityDef>,
    /// Glob patterns (`*`, `?`) of tables that are never created, changed or dropped.
    pub ignore_tables: Vec<String>,
    /// MySQL only: an empty database to build the entities' tables in, for users who may not
    /// create databases (`--shadow-url`, `SHADOW_DATABASE_URL`).
    pub shadow_url: Option<String>,
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
            history: Migrations::new::<M>(migrations_dir),
            entities,
            ignore_tables: Vec::new(),
            shadow_url: None,
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
        self.history.migration_facts = facts;
        self
    }

    /// The build script's `UNSEEN_ENTITIES`.
    pub fn unseen_entities(mut self, unseen: &'static [UnseenEntity]) -> Self {
        self.unseen_entities = unseen;
        self
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

/// The run's part of the project: `migrate::plan_up(&project, ..)` and `project.migration_facts`
/// work on a `Project` as on the [`Migrations`] the application's `Migrator` runs.
impl std::ops::Deref for Project {
    type Target = Migrations;

    fn deref(&self) -> &Migrations {
        &self.history
    }
}
