//! What the build script reads from the project's source for `migrate`, `rollback`, `check` and
//! `makemigrations`: the markers of each migration file, and the entities it cannot reach. The
//! build script writes them as `MIGRATION_FACTS` and `UNSEEN_ENTITIES`; `migration/src/lib.rs`
//! hands them to [`crate::Migrations`] (and the tool's `Project`).

/// One migration file's markers (docs/guide.md, "Markers in migration files").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigrationFacts {
    /// The module name, `m20261121_093000_drop_bio`.
    pub name: &'static str,
    /// The file relative to the migration crate, `src/migrations/m..._drop_bio.rs`.
    pub file: &'static str,
    /// The `// !` lines of `up`: steps that lose data when applied.
    pub data_loss: &'static [&'static str],
    /// The `// !` lines of `down`: data that the rollback cannot restore.
    pub cannot_restore: &'static [&'static str],
    /// The lines (1-based) that still call `todo_backfill(`.
    pub todo_backfill_lines: &'static [usize],
    /// A baseline (`//! baseline:`): the adopted database's tables. `migrate` records it where
    /// they all exist; `rollback` never runs its `down`.
    pub baseline: bool,
    /// The tables its `up` creates.
    pub created_tables: &'static [&'static str],
    /// The `// postgres-only:` lines: what makes the file PostgreSQL-only (an array column,
    /// `users.tags (text[]) is an array`). `migrate` refuses the file on other backends.
    pub postgres_only: &'static [&'static str],
    /// The checksum of the file's code (`v1:<sha-256>`): its tokens without comments, so that
    /// formatting, comments and line endings do not change it and any changed statement does
    /// (`makemigrations_build::checksum`). Recorded when the migration is applied; `check` and
    /// `migrate` compare it (docs/guide.md, "The history's integrity"). Empty when unknown.
    pub checksum: &'static str,
    /// The names its code can reach a table by: each string literal of the file and each word
    /// in one (`makemigrations_build::names_in_code`). `None` when its code can reach a table
    /// some other way (raw SQL, the project's own functions or constants): `migrate` then
    /// validates every table after it (`validate::reach`).
    pub names_in_code: Option<&'static [&'static str]>,
    /// `//! after: a, b`: the migrations it was written after, its parents in the history's
    /// graph (`graph`); empty for the first one (`//! after: (none)`). `None` for a file
    /// without the line (hand-written, or older than it): its parent is the previous file.
    pub after: Option<&'static [&'static str]>,
    /// `//! state: sha256:...`: the hash of the schema snapshot that the history leaves once it
    /// has run (`snapshot_state`). Empty when the file has none.
    pub state: &'static str,
    /// The enum types its `up` creates: with `created_tables`, the objects whose names
    /// `independence` looks for in each migration's code.
    pub created_enums: &'static [&'static str],
    /// The lines (1-based) whose code changes rows or sends SQL of its own (an `UPDATE`, a
    /// backfill, raw SQL): `squashmigrations` cannot fold them into a schema diff.
    pub data_steps: &'static [usize],
    /// A squashed migration's `//! replaces:` lines: the migrations it stands for, oldest first
    /// (docs/guide.md, "Squashing migrations"). Empty for any other migration.
    pub replaces: &'static [&'static str],
}

impl MigrationFacts {
    /// A file with no markers, no checksum and code of unknown reach: the start of a struct
    /// update (`MigrationFacts { checksum, ..MigrationFacts::plain(name, file) }`).
    pub const fn plain(name: &'static str, file: &'static str) -> Self {
        MigrationFacts {
            name,
            file,
            data_loss: &[],
            cannot_restore: &[],
            todo_backfill_lines: &[],
            baseline: false,
            created_tables: &[],
            postgres_only: &[],
            checksum: "",
            names_in_code: None,
            after: None,
            state: "",
            created_enums: &[],
            data_steps: &[],
            replaces: &[],
        }
    }
}

/// An entity in a module that is not `pub`: the migration crate cannot name it, so the tool does
/// not see it and leaves its table alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnseenEntity {
    /// `entity::internal::audit::Entity`.
    pub entity: &'static str,
    /// From `#[sea_orm(table_name = "...")]`; `None` when the build script could not read it.
    pub table_name: Option<&'static str>,
}
