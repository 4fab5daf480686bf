//! `cargo xtask bench-app [--with-cli]`: what an application that runs its migrations at start-up
//! pays for them. It writes a PostgreSQL-only application outside the workspace (a temporary
//! directory) that depends on the migration crate as docs/guide.md says (`default-features =
//! false, features = ["postgres"]`) and calls `migration::Migrator::up(&db, None)` in `main`, then
//! counts its dependencies (`cargo tree -e normal`) and times a clean debug build of it into a
//! fresh target directory. `--with-cli` depends on the migration crate with its default features
//! instead (the tool too), which is what every application linked before the runtime was split
//! from the tool. The workspace's Cargo.lock is copied in, so versions match the workspace's.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

pub fn bench_app() -> Result<()> {
    let with_cli = std::env::args().any(|a| a == "--with-cli");
    let root = crate::repo_root();
    let dir = std::env::temp_dir().join(format!("makemigrations-bench-app-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src"))?;
    let migration = root.join("migration");
    let dependency = if with_cli {
        format!(
            "migration = {{ path = {:?} }}",
            migration.display().to_string()
        )
    } else {
        format!(
            "migration = {{ path = {:?}, default-features = false, features = [\"postgres\"] }}",
            migration.display().to_string()
        )
    };
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"bench-app\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\n{dependency}\n\
             sea-orm = {{ version = \"2.0.4\", default-features = false, features = [\"sqlx-postgres\", \"runtime-tokio-rustls\"] }}\n\
             tokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n\n\
             [workspace]\n"
        ),
    )?;
    std::fs::write(dir.join("src/main.rs"), MAIN)?;
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))?;

    let tree = Command::new("cargo")
        .args(["tree", "-e", "normal", "--prefix", "none"])
        .current_dir(&dir)
        .output()
        .context("running cargo tree")?;
    if !tree.status.success() {
        bail!(
            "cargo tree failed:\n{}",
            String::from_utf8_lossy(&tree.stderr)
        );
    }
    let text = String::from_utf8_lossy(&tree.stdout);
    let mut packages: Vec<&str> = text
        .lines()
        .map(|l| l.trim_end_matches(" (*)").trim_end_matches(" (proc-macro)"))
        .filter(|l| !l.is_empty())
        .collect();
    packages.sort_unstable();
    packages.dedup();
    let drivers: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            [
                "sqlx-postgres ",
                "sqlx-mysql ",
                "sqlx-sqlite ",
                "libsqlite3-sys ",
                "clap ",
                "dotenvy ",
                "anyhow ",
            ]
            .iter()
            .any(|name| p.starts_with(name))
        })
        .collect();

    let target = dir.join("target");
    let load_before = load_average();
    let started = Instant::now();
    let status = Command::new("cargo")
        .args(["build", "--quiet"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&dir)
        .status()
        .context("running cargo build")?;
    let elapsed = started.elapsed();
    if !status.success() {
        bail!("the application did not build (in {})", dir.display());
    }
    let load_after = load_average();
    println!(
        "migration crate: {}",
        if with_cli {
            "default features (with the tool)"
        } else {
            "default-features = false, features = [\"postgres\"]"
        }
    );
    println!(
        "dependencies (cargo tree -e normal, unique packages): {}",
        packages.len() - 1
    );
    println!(
        "of which drivers and tool crates: {}",
        if drivers.is_empty() {
            "none".to_string()
        } else {
            drivers.join(", ")
        }
    );
    println!("clean debug build: {:.0} s", elapsed.as_secs_f64());
    println!("load average before/after: {load_before} / {load_after}");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

const MAIN: &str = r#"//! A PostgreSQL application that applies its migrations at start-up.
use migration::MigratorTrait;

#[tokio::main]
async fn main() -> Result<(), sea_orm::DbErr> {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let db = sea_orm::Database::connect(url).await?;
    migration::Migrator::up(&db, None).await
}
"#;

/// The 1-minute load average (Linux), to read the time against.
fn load_average() -> String {
    std::fs::read_to_string(Path::new("/proc/loadavg"))
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}
