//! Writes a rendered migration into the migrations folder: `mYYYYMMDD_HHMMSS_<name>.rs`
//! (sea-orm-cli's naming), formatted with rustfmt when it is installed; and the schema snapshot
//! beside the folder (`makemigrations_core::snapshot`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::Timelike;
use makemigrations_core::ops::sanitize_name;
use makemigrations_core::snapshot::{self, Snapshot};

use crate::error::Error;

/// The module name for a new migration: a UTC timestamp that sorts after every existing
/// migration, compiled (`existing`) or only on disk (a file written since the last build, by a
/// run in the same second), and the name.
pub fn next_module_name(dir: &Path, name: &str, existing: &[String]) -> String {
    let name = match sanitize_name(name) {
        n if n.is_empty() => "auto".to_string(),
        n => n,
    };
    let on_disk: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|file| file.starts_with('m') && file.ends_with(".rs"))
        .collect();
    // Later than now and than the newest existing migration, so the new file sorts last.
    let newest = existing
        .iter()
        .chain(&on_disk)
        .filter_map(|e| e.get(1..16))
        .filter_map(|stamp| chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%d_%H%M%S").ok())
        .max();
    // Whole seconds, as in the name: a file of this second is "newer" than now.
    let mut time = chrono::Utc::now()
        .naive_utc()
        .with_nanosecond(0)
        .expect("0 is a valid nanosecond");
    if let Some(newest) = newest.filter(|n| *n >= time) {
        time = newest + chrono::Duration::seconds(1);
    }
    format!("{}_{name}", time.format("m%Y%m%d_%H%M%S"))
}

/// The module name of the newest migration file in `dir` (`m..._name`), compiled or not.
pub fn newest_on_disk(dir: &Path) -> Option<String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter_map(|file| file.strip_suffix(".rs").map(str::to_string))
        .filter(|stem| is_migration_module(stem))
        .max()
}

/// `m20261121_093000_name`, as `next_module_name` writes it.
fn is_migration_module(stem: &str) -> bool {
    stem.starts_with('m')
        && stem.get(16..17) == Some("_")
        && stem
            .get(1..16)
            .is_some_and(|t| chrono::NaiveDateTime::parse_from_str(t, "%Y%m%d_%H%M%S").is_ok())
}

/// Formats Rust source with rustfmt; returns it unchanged when rustfmt is not there.
pub fn format_source(source: &str) -> String {
    let child = Command::new("rustfmt")
        .args(["--edition", "2021", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return source.to_string();
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(source.as_bytes());
    }
    match child.wait_with_output() {
        Ok(out) if out.status.success() && !out.stdout.is_empty() => {
            String::from_utf8(out.stdout).unwrap_or_else(|_| source.to_string())
        }
        _ => source.to_string(),
    }
}

/// Writes the file and returns its path. Refuses to overwrite.
pub fn write_migration(dir: &Path, module_name: &str, source: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{module_name}.rs"));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    file.write_all(source.as_bytes())?;
    Ok(path)
}

/// Where the schema snapshot lives: beside the migrations folder (`src/schema.snapshot` for the
/// default `src/migrations`), outside it so that writing it does not rerun the build script.
pub fn snapshot_path(migrations_dir: &Path) -> PathBuf {
    migrations_dir
        .parent()
        .unwrap_or(Path::new("."))
        .join(snapshot::FILE_NAME)
}

/// The snapshot's text, or `None` when there is none yet (a project from before snapshots).
pub fn read_snapshot(path: &Path) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The declared types of the snapshot at `path`, if there is one. A snapshot that cannot be
/// read is refused: it is what a change stored alike is compared with, so a guess would miss one.
pub fn read_declared_types(path: &Path) -> Result<Option<Snapshot>, Error> {
    let Some(text) = read_snapshot(path)? else {
        return Ok(None);
    };
    snapshot::parse(&text)
        .map(Some)
        .map_err(|e| unreadable_snapshot(&crate::shown_path(path), e))
}

/// A snapshot that cannot be read, refused with the way on for each cause.
pub fn unreadable_snapshot(shown: &str, e: snapshot::ParseError) -> Error {
    let fix = match e {
        snapshot::ParseError::OtherFormat { .. } => {
            "fix: run the makemigrations version that wrote it, or a newer one".to_string()
        }
        snapshot::ParseError::Conflict { .. } => {
            "fix: after merging branches, run `makemigrations --merge`: it writes the snapshot again from the entities (or delete it, `migrate`, and run `makemigrations`)".to_string()
        }
        _ => "fix: restore it from git, or delete it and run `makemigrations`, which writes it again from the entities".to_string(),
    };
    Error::Refused(format!(
        "the schema snapshot {shown} cannot be read: {e}; nothing was changed\n  {fix}"
    ))
}

/// Writes the snapshot whole or not at all (a temporary file renamed over it), so that an
/// interrupted run never leaves half a snapshot to be committed.
pub fn write_snapshot(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    // A unique name in the same directory: two runs never share it, the rename stays on one file
    // system, and on any failure before the rename it is removed.
    let mut temporary = tempfile::Builder::new()
        .prefix(".schema.snapshot.")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temporary.write_all(text.as_bytes())?;
    // A temporary file is private (0600); the snapshot keeps the permissions of the one it
    // replaces, or those of an ordinary source file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let permissions = std::fs::metadata(path)
            .map(|m| m.permissions())
            .unwrap_or_else(|_| std::fs::Permissions::from_mode(0o644));
        temporary.as_file().set_permissions(permissions)?;
    }
    // On disk before the rename: after a crash the file is the old snapshot or the new one.
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The `//! state:` of a migration: the hash of the snapshot text the history leaves after it
/// (`sha256:<hex>`), so that the head's can be compared with the snapshot on disk.
pub fn snapshot_state(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The snapshot a run would leave: the one on disk (`None`: there is none yet) and the new text.
pub struct SnapshotUpdate {
    pub path: PathBuf,
    pub old: Option<String>,
    pub new: String,
}

impl SnapshotUpdate {
    /// The snapshot of `schema` (the desired one, ignored tables already out) for the project
    /// whose migrations are in `migrations_dir`.
    pub fn of(
        migrations_dir: &Path,
        schema: &makemigrations_core::Schema,
    ) -> std::io::Result<Self> {
        let path = snapshot_path(migrations_dir);
        let old = read_snapshot(&path)?;
        Ok(SnapshotUpdate {
            path,
            old,
            new: snapshot::render(schema),
        })
    }

    /// Whether writing it would change the file: when nothing changed it is not touched.
    pub fn changes(&self) -> bool {
        self.old.as_deref() != Some(self.new.as_str())
    }

    /// The diff to show; empty for a new snapshot (all of it would be noise).
    pub fn diff(&self) -> String {
        match &self.old {
            Some(old) => snapshot_diff(old, &self.new, &crate::shown_path(&self.path)),
            None => String::new(),
        }
    }

    pub fn write(&self) -> std::io::Result<()> {
        if self.changes() {
            write_snapshot(&self.path, &self.new)?;
        }
        Ok(())
    }
}

/// The unified diff (3 lines of context) from `old` to `new`, with `shown` as the file name in
/// both headers, as `git diff` writes it; empty when they are equal.
pub fn snapshot_diff(old: &str, new: &str, shown: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{shown}"), &format!("b/{shown}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_name_sorts_after_a_file_written_since_the_last_build() {
        let dir = std::env::temp_dir().join(format!("writer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // Written a moment ago in the same second (not yet compiled, so not in `existing`),
        // under a name that sorts after the next one's.
        let now = chrono::Utc::now().naive_utc();
        let older = format!("{}_zzz", now.format("m%Y%m%d_%H%M%S"));
        std::fs::write(dir.join(format!("{older}.rs")), "").unwrap();
        let next = next_module_name(&dir, "add phone", &[]);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(next > older, "{next} sorts before {older}");
        assert!(next.ends_with("_add_phone"), "{next}");
    }

    #[test]
    fn the_snapshot_diff_is_unified_with_the_file_in_its_headers() {
        let old = "# format 1\n\ntable users\n  column id integer() not null\n";
        let new = "# format 1\n\ntable users\n  column id big_integer() not null\n";
        assert_eq!(
            snapshot_diff(old, new, "src/schema.snapshot"),
            "--- a/src/schema.snapshot\n+++ b/src/schema.snapshot\n@@ -1,4 +1,4 @@\n # format 1\n \n table users\n-  column id integer() not null\n+  column id big_integer() not null\n"
        );
        assert_eq!(snapshot_diff(old, old, "x"), "");
    }

    #[test]
    fn the_snapshot_is_beside_the_migrations_folder_and_a_missing_one_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = snapshot_path(&dir.path().join("src/migrations"));
        assert_eq!(path, dir.path().join("src/schema.snapshot"));
        assert_eq!(read_snapshot(&path).unwrap(), None);
        assert!(read_declared_types(&path).unwrap().is_none());
        write_snapshot(&path, "<<<<<<< ours\n").unwrap();
        let refused = read_declared_types(&path).unwrap_err().to_string();
        assert!(
            refused.contains("cannot be read: it has git conflict markers (line 1)"),
            "{refused}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path().join("src"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["schema.snapshot"], "no temporary file is left");
    }

    #[test]
    fn a_snapshot_that_cannot_be_written_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the snapshot goes: the rename over it fails.
        let path = dir.path().join("schema.snapshot");
        std::fs::create_dir(&path).unwrap();
        assert!(write_snapshot(&path, "# format 1\n").is_err());
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["schema.snapshot"]);
    }
}
