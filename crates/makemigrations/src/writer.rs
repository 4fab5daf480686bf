//! Writes a rendered migration into the migrations folder: `mYYYYMMDD_HHMMSS_<name>.rs`
//! (sea-orm-cli's naming), formatted with rustfmt when it is installed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use chrono::Timelike;
use makemigrations_core::ops::sanitize_name;

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
}
