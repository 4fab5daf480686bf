//! Writes a rendered migration into the migrations folder: `mYYYYMMDD_HHMMSS_<name>.rs`
//! (sea-orm-cli's naming), formatted with rustfmt when it is installed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use makemigrations_core::ops::sanitize_name;

/// The module name for a new migration: a UTC timestamp that sorts after every existing file,
/// and the name.
pub fn next_module_name(dir: &Path, name: &str, existing: &[String]) -> String {
    let name = match sanitize_name(name) {
        n if n.is_empty() => "auto".to_string(),
        n => n,
    };
    // Later than now and than the newest existing migration, so the new file sorts last.
    let newest = existing
        .iter()
        .filter_map(|e| e.get(1..16))
        .filter_map(|stamp| chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%d_%H%M%S").ok())
        .max();
    let mut time = chrono::Utc::now().naive_utc();
    if let Some(newest) = newest.filter(|n| *n >= time) {
        time = newest + chrono::Duration::seconds(1);
    }
    loop {
        let stem = format!("{}_{name}", time.format("m%Y%m%d_%H%M%S"));
        if !dir.join(format!("{stem}.rs")).exists() {
            return stem;
        }
        time += chrono::Duration::seconds(1);
    }
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
