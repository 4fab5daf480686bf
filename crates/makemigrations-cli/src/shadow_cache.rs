//! A memo of the scratch-schema result. The desired schema read back from the scratch place
//! depends only on the DDL that built it and on the server, and building it is what costs: a
//! PostgreSQL server needs some 7 ms per table (about 7 s for 1,000 tables, measured in
//! docs/benchmarks.md). So the result is kept beside the binary, under `makemigrations-cache/`
//! in the target directory, and reused only when the whole key matches exactly: the source of the
//! code that reads a schema, the backend, the server's version and the complete DDL script.
//! Nothing is guessed: a changed entity changes the script, and a changed discoverer or model
//! changes the key. `MAKEMIGRATIONS_NO_CACHE=1` turns it off.

use std::path::PathBuf;

use makemigrations_core::Schema;
use serde::{Deserialize, Serialize};

/// The code whose output is cached (with `makemigrations_core::SCHEMA_SOURCE`): any edit to it
/// invalidates every entry.
const READER_SOURCE: &str = makemigrations::introspect::READER_SOURCE;

pub struct ShadowCache {
    path: Option<PathBuf>,
    key: String,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    schema: Schema,
}

impl ShadowCache {
    pub fn new(backend: &str, server_version: &str, script: &str) -> Self {
        let key = format!(
            "{READER_SOURCE}\n{}\n{backend}\n{server_version}\n{script}",
            makemigrations_core::SCHEMA_SOURCE
        );
        let path = (std::env::var_os("MAKEMIGRATIONS_NO_CACHE").is_none())
            .then(|| std::env::current_exe().ok())
            .flatten()
            .and_then(|exe| exe.parent().map(|dir| dir.join("makemigrations-cache")))
            .map(|dir| dir.join(format!("shadow-{backend}.json")));
        ShadowCache { path, key }
    }

    /// The schema stored under exactly this key, if any.
    pub fn load(&self) -> Option<Schema> {
        let _phase = crate::timings::phase("shadow: cache load");
        let text = std::fs::read_to_string(self.path.as_ref()?).ok()?;
        let entry: Entry = serde_json::from_str(&text).ok()?;
        (entry.key == self.key).then_some(entry.schema)
    }

    /// Stores the schema; a cache that cannot be written is simply not used.
    pub fn store(&self, schema: &Schema) {
        let Some(path) = &self.path else { return };
        let entry = Entry {
            key: self.key.clone(),
            schema: schema.clone(),
        };
        let Ok(text) = serde_json::to_string(&entry) else {
            return;
        };
        let temporary = path.with_extension(format!("{}.tmp", std::process::id()));
        let written = path
            .parent()
            .map(std::fs::create_dir_all)
            .transpose()
            .and_then(|_| std::fs::write(&temporary, text))
            .and_then(|_| std::fs::rename(&temporary, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
    }
}
