//! The memo of the scratch build, one entry per table. What discovery reads back for a table in
//! the scratch place depends on its own DDL, on what must exist for that DDL to run (the tables
//! its foreign keys reference, its PostgreSQL enum types), on the server and on the code that
//! reads it. Building is what costs: a PostgreSQL server needs some 7 ms per table (about 7 s for
//! 1,000 tables, docs/benchmarks.md). So each table's read-back is kept under a key holding all of
//! that, byte for byte (`ScratchDdl::key`), and after an edit only the tables whose key changed
//! are built again, with the tables their keys point at; the rest comes from the memo.
//!
//! A table whose referenced table changed has that table's DDL in its key, so it is built again
//! too. Names are the one thing the server may choose across tables (PostgreSQL suffixes a
//! generated name that is taken; index names are per schema): a result that any such choice
//! could make differ from a build of every table is thrown away, and every table is built
//! (`in_doubt`). The file lives beside the binary, under `makemigrations-cache/` in the target
//! directory. `MAKEMIGRATIONS_NO_CACHE=1` turns the memo off. A file of another format, tool,
//! server or backend is ignored.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use makemigrations_core::{EnumType, Schema, Table};
use sea_orm::DbBackend;
use serde::{Deserialize, Serialize};

use crate::shadow_script::{Build, ScratchDdl};

/// The code whose output is memoized (with `makemigrations_core::SCHEMA_SOURCE`): any edit to it
/// invalidates every entry.
const READER_SOURCE: &str = makemigrations::introspect::READER_SOURCE;

/// The first bytes of a memo file. The JSON memo of earlier versions (`shadow-<backend>.json`)
/// has another name, and is never read.
const FORMAT: &[u8] = b"makemigrations scratch memo, postcard, 2\n";

pub struct ShadowMemo {
    path: Option<PathBuf>,
    /// The tool's reader and model, the backend and the server: what every entry depends on.
    context: String,
    entries: Entries,
}

#[derive(Default, Serialize, Deserialize)]
struct Entries {
    tables: BTreeMap<String, TableEntry>,
    enums: BTreeMap<String, EnumEntry>,
}

#[derive(Serialize, Deserialize)]
struct TableEntry {
    key: String,
    table: Table,
}

/// A PostgreSQL enum type, keyed by its `CREATE TYPE`.
#[derive(Serialize, Deserialize)]
struct EnumEntry {
    key: String,
    enum_type: EnumType,
}

impl ShadowMemo {
    /// The memo beside the running binary, or none under `MAKEMIGRATIONS_NO_CACHE`.
    pub fn new(backend: &str, server_version: &str) -> Self {
        let dir = (std::env::var_os("MAKEMIGRATIONS_NO_CACHE").is_none())
            .then(|| std::env::current_exe().ok())
            .flatten()
            .and_then(|exe| exe.parent().map(|dir| dir.join("makemigrations-cache")));
        Self::in_dir(dir, backend, server_version)
    }

    /// The memo in `dir` (none when `None`), loaded.
    pub fn in_dir(dir: Option<PathBuf>, backend: &str, server_version: &str) -> Self {
        let context = format!(
            "{READER_SOURCE}\n{}\n{backend}\n{server_version}",
            makemigrations_core::SCHEMA_SOURCE
        );
        let path = dir.map(|dir| dir.join(format!("shadow-{backend}.memo")));
        let _phase = crate::timings::phase("shadow: memo load");
        let entries = path
            .as_ref()
            .and_then(|path| std::fs::read(path).ok())
            .and_then(|bytes| read(&bytes, &context))
            .unwrap_or_default();
        ShadowMemo {
            path,
            context,
            entries,
        }
    }

    /// What must be built: the tables whose entry is missing or keyed otherwise, and what they
    /// need to be created (the tables their keys reference, built bare, and enum types). A table
    /// that references an edited table is among them: its key holds that table's statements.
    /// Empty when the memo holds everything.
    pub fn missing(&self, ddl: &ScratchDdl, keys: &[String]) -> Build {
        let mut build = Build::default();
        for (table, key) in ddl.tables.iter().zip(keys) {
            if self.entries.tables.get(&table.name).map(|e| &e.key) != Some(key) {
                build.whole.insert(table.name.clone());
            }
        }
        for (name, key) in &ddl.enums {
            if self.entries.enums.get(name).map(|e| &e.key) != Some(key) {
                build.enums.insert(name.clone());
            }
        }
        for table in ddl.tables.iter().filter(|t| build.whole.contains(&t.name)) {
            build.bare.extend(
                table
                    .references
                    .iter()
                    .filter(|r| !build.whole.contains(*r) && ddl.table(r).is_some())
                    .cloned(),
            );
        }
        for table in ddl.tables.iter() {
            if build.whole.contains(&table.name) || build.bare.contains(&table.name) {
                build.enums.extend(table.enums.iter().cloned());
            }
        }
        build
    }

    /// The desired schema: what `build` made, read back as `fresh`, for the tables and types
    /// built whole, and the memo for the rest. `None` when the memo lacks an entry or the result
    /// could differ from a build of every table: then every table must be built.
    pub fn assemble(&self, ddl: &ScratchDdl, build: &Build, fresh: &Schema) -> Option<Schema> {
        let mut schema = Schema::default();
        for table in &ddl.tables {
            let read = if build.whole.contains(&table.name) {
                fresh.tables.get(&table.name)?.clone()
            } else {
                self.entries.tables.get(&table.name)?.table.clone()
            };
            schema.tables.insert(table.name.clone(), read);
        }
        for name in ddl.enums.keys() {
            let read = if build.enums.contains(name) {
                fresh.enums.get(name)?.clone()
            } else {
                self.entries.enums.get(name)?.enum_type.clone()
            };
            schema.enums.insert(name.clone(), read);
        }
        (!in_doubt(ddl, &schema)).then_some(schema)
    }

    /// Keeps the entries of `schema`, the result for `ddl` under `keys`; a memo that cannot be
    /// written is simply not used.
    pub fn store(&mut self, ddl: &ScratchDdl, keys: &[String], schema: &Schema) {
        let _phase = crate::timings::phase("shadow: memo store");
        let mut entries = Entries::default();
        for (table, key) in ddl.tables.iter().zip(keys) {
            if let Some(read) = schema.tables.get(&table.name) {
                let entry = TableEntry {
                    key: key.clone(),
                    table: read.clone(),
                };
                entries.tables.insert(table.name.clone(), entry);
            }
        }
        for (name, key) in &ddl.enums {
            if let Some(read) = schema.enums.get(name) {
                let entry = EnumEntry {
                    key: key.clone(),
                    enum_type: read.clone(),
                };
                entries.enums.insert(name.clone(), entry);
            }
        }
        self.entries = entries;
        let Some(path) = &self.path else { return };
        let bytes = FORMAT.to_vec();
        let written = postcard::to_extend(self.context.as_str(), bytes)
            .and_then(|bytes| postcard::to_extend(&self.entries, bytes));
        let Ok(bytes) = written else { return };
        let temporary = path.with_extension(format!("{}.tmp", std::process::id()));
        let written = path
            .parent()
            .map(std::fs::create_dir_all)
            .transpose()
            .and_then(|_| std::fs::write(&temporary, bytes))
            .and_then(|_| std::fs::rename(&temporary, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
    }
}

/// The entries of a memo file written for `context`; `None` for any other file.
fn read(bytes: &[u8], context: &str) -> Option<Entries> {
    let bytes = bytes.strip_prefix(FORMAT)?;
    let (written_for, rest) = postcard::take_from_bytes::<&str>(bytes).ok()?;
    if written_for != context {
        return None;
    }
    postcard::from_bytes(rest).ok()
}

/// Whether a schema put together from a partial build and the memo could differ from a build of
/// every table. Built alone, a table takes names that a build of every table gives to another
/// one, or suffixes differently; so any name that two tables share where the server keeps one
/// namespace, any name the server generated with a suffix, and any name stated in the entities
/// that the server could also generate, send the run back to a build of every table.
fn in_doubt(ddl: &ScratchDdl, schema: &Schema) -> bool {
    let backend = ddl.backend();
    // PostgreSQL: tables, indexes and types share one namespace per schema; SQLite: tables and
    // indexes per database. MySQL keeps index names per table.
    let mut relations: HashSet<&str> = HashSet::new();
    // MySQL/MariaDB keeps foreign-key names unique per database (two stated alike fail a full
    // build). PostgreSQL allows a stated name on several tables, but chooses a name it generates
    // unlike every constraint name in the schema.
    let mut constraints: HashSet<&str> = HashSet::new();
    let mut generated: Vec<&str> = Vec::new();
    let shared_relations = matches!(backend, DbBackend::Postgres | DbBackend::Sqlite);
    let postgres = backend == DbBackend::Postgres;
    if postgres {
        relations.extend(schema.enums.keys().map(String::as_str));
    }
    let mut duplicate = false;
    for table in schema.tables.values() {
        let Some(own) = ddl.table(&table.name) else {
            return true;
        };
        let relation_names =
            std::iter::once(&table.name).chain(table.indexes.iter().map(|i| &i.name));
        for name in relation_names {
            duplicate |= shared_relations && !relations.insert(name);
            if postgres && (looks_generated(name) || (!own.mentions(name) && ends_in_digit(name))) {
                return true;
            }
        }
        for name in table.foreign_keys.iter().filter_map(|k| k.name.as_deref()) {
            if !postgres {
                duplicate |= backend == DbBackend::MySql && !constraints.insert(name);
            } else if own.mentions(name) {
                constraints.insert(name);
            } else if ends_in_digit(name) {
                return true;
            } else {
                generated.push(name);
            }
        }
    }
    for name in generated {
        duplicate |= !constraints.insert(name);
    }
    duplicate
}

fn ends_in_digit(name: &str) -> bool {
    name.ends_with(|c: char| c.is_ascii_digit())
}

/// A name of the form PostgreSQL gives the objects it names that the schema model does not hold
/// (`t_pkey`, `t_id_seq`), with or without a number after it: a table or index of that name
/// meets them only in a build of every table.
fn looks_generated(name: &str) -> bool {
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
    stem.ends_with("_pkey") || stem.ends_with("_seq")
}
