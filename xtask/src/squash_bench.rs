//! `cargo xtask bench-squash`: what squashing saves at build time. Every migration file is a
//! module of the migration crate, so a long history is compiled code. This writes a history of
//! 100 migrations as makemigrations writes them (tables created, columns added, widened and
//! dropped), times `cargo build -p migration` of the migration crate alone (its
//! dependencies built), squashes the whole history with `squashmigrations` (on SQLite), and
//! times the build again: with the old files kept beside the squashed one (the transition) and
//! after they are deleted. Debug builds, as `cargo run -p migration` builds, medians of 3; with
//! `--release`, release builds, one each, and no transition (it compiles what the history does).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

const MIGRATIONS: usize = 100;
const TABLES: usize = 20;
const RUNS: usize = 3;

pub fn bench_squash() -> Result<()> {
    let release = match std::env::args().nth(2).as_deref() {
        None => false,
        Some("--release") => true,
        Some(other) => bail!("bench-squash takes --release, not {other}"),
    };
    let (profile, runs) = if release {
        ("release", 1)
    } else {
        ("debug", RUNS)
    };
    let root = super::repo_root();
    let project = root.join("target/bench-squash-project");
    // The workspace's target directory, which the integration tests' scratch projects share:
    // the dependencies are built already, so only the small crates compile here.
    let target = root.join("target");
    write_project(&root, &project)?;
    let migrations = project.join("migration/src/migrations");
    let names = write_history(&migrations)?;
    println!("building the migration crate's dependencies (the first time takes minutes)...");
    super::cargo_build(&project, &target, release)?;
    let history = median_build(&project, &target, release, runs)?;

    let url = format!(
        "sqlite://{}?mode=rwc",
        project.join("bench.sqlite3").display()
    );
    let started = Instant::now();
    let out = Command::new(target.join(profile).join("migration"))
        .args(["squashmigrations", &names[0], &names[MIGRATIONS - 1]])
        .env("DATABASE_URL", &url)
        .current_dir(&project)
        .output()?;
    let squash_time = started.elapsed();
    if !out.status.success() {
        bail!(
            "squashmigrations failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let transition = if release {
        None
    } else {
        super::cargo_build(&project, &target, release)?;
        Some(median_build(&project, &target, release, runs)?)
    };

    // The transition's end: the old files and the `//! replaces:` lines go.
    for name in &names {
        std::fs::remove_file(migrations.join(format!("{name}.rs")))?;
    }
    for file in std::fs::read_dir(&migrations)? {
        let path = file?.path();
        let text = std::fs::read_to_string(&path)?;
        let kept: String = text
            .lines()
            .filter(|l| !l.starts_with("//! replaces:"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&path, kept)?;
    }
    super::cargo_build(&project, &target, release)?;
    let squashed = median_build(&project, &target, release, runs)?;

    let mut report = String::new();
    writeln!(
        report,
        "| migration files | `cargo build -p migration` ({profile}), the crate alone |"
    )?;
    writeln!(report, "|---|---|")?;
    writeln!(report, "| {MIGRATIONS} (the history) | {} |", secs(history))?;
    if let Some(transition) = transition {
        writeln!(
            report,
            "| {} (squashed, the old files kept) | {} |",
            MIGRATIONS + 1,
            secs(transition)
        )?;
    }
    writeln!(
        report,
        "| 1 (squashed, old files deleted) | {} |",
        secs(squashed)
    )?;
    println!(
        "\n{MIGRATIONS} migrations over {TABLES} tables; squashmigrations took {} on SQLite; \
         {profile} builds, medians of {runs}:\n",
        secs(squash_time)
    );
    println!("{report}");
    std::fs::write(
        project.join(format!("squash-results-{profile}.md")),
        &report,
    )?;
    Ok(())
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// Rebuilds the migration crate alone: its artifacts are cleaned, its dependencies are not.
fn median_build(project: &Path, target: &Path, release: bool, runs: usize) -> Result<Duration> {
    let mut times = Vec::new();
    for _ in 0..runs {
        times.push(super::clean_build(project, target, release)?);
    }
    times.sort();
    Ok(times[runs / 2])
}

/// The real `migration` crate and the sample `entity` crate, in a workspace of their own.
fn write_project(root: &Path, project: &Path) -> Result<()> {
    let manifest = super::bench_manifest(root)?;
    let _ = std::fs::remove_dir_all(project);
    std::fs::create_dir_all(project.join("migration/src/migrations"))?;
    std::fs::write(project.join("Cargo.toml"), manifest)?;
    std::fs::copy(root.join("Cargo.lock"), project.join("Cargo.lock"))?;
    copy_dir(&root.join("entity"), &project.join("entity"))?;
    for file in ["Cargo.toml", "build.rs", "src/lib.rs", "src/main.rs"] {
        std::fs::copy(
            root.join("migration").join(file),
            project.join("migration").join(file),
        )
        .with_context(|| format!("copying migration/{file}"))?;
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// 100 migrations as a project's history grows: the first 20 create a table each; then, for
/// each table in turn, a column added, a column widened, the added column dropped again, and the
/// widened column widened again.
fn write_history(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for i in 0..MIGRATIONS {
        let t = format!("bench_{:02}", i % TABLES);
        let round = i / TABLES;
        let (name, up, down) = match round {
            0 => (
                format!("create_{t}"),
                format!(
                    "        // + Create table {t}\n        manager\n            .create_table(\n                Table::create()\n                    .table(\"{t}\")\n                    .col(ColumnDef::new(\"id\").integer().not_null().auto_increment().primary_key())\n                    .col(ColumnDef::new(\"name\").string_len(50).not_null())\n                    .col(ColumnDef::new(\"created_at\").timestamp_with_time_zone().not_null())\n                    .to_owned(),\n            )\n            .await?;"
                ),
                format!(
                    "        // - Drop table {t}\n        // ! Cannot restore {t}'s rows\n        manager\n            .drop_table(Table::drop().table(\"{t}\").to_owned())\n            .await?;"
                ),
            ),
            1 => (
                format!("add_note_to_{t}"),
                format!(
                    "        // + Add column {t}.note\n        add_column(manager, \"{t}\", ColumnDef::new(\"note\").text().null()).await?;"
                ),
                format!(
                    "        // - Drop column {t}.note\n        // ! Cannot restore {t}.note's data\n        drop_column(manager, \"{t}\", \"note\").await?;"
                ),
            ),
            2 | 4 => {
                let (from, to) = if round == 2 { (50, 100) } else { (100, 200) };
                let def = |n: u32| format!("ColumnDef::new(\"name\").string_len({n}).not_null()");
                (
                    format!("widen_{t}_name_{to}"),
                    format!(
                        "        // ~ Alter column {t}.name\n        alter_column(manager, \"{t}\", {}, {}).await?;",
                        def(from),
                        def(to)
                    ),
                    format!(
                        "        // ~ Alter column {t}.name\n        alter_column(manager, \"{t}\", {}, {}).await?;",
                        def(to),
                        def(from)
                    ),
                )
            }
            _ => (
                format!("drop_note_from_{t}"),
                format!(
                    "        // ! Drop column {t}.note: the data of {t}.note is lost\n        drop_column(manager, \"{t}\", \"note\").await?;"
                ),
                format!(
                    "        // + Add column {t}.note\n        // ! Cannot restore {t}.note's data\n        add_column(manager, \"{t}\", ColumnDef::new(\"note\").text().null()).await?;"
                ),
            ),
        };
        let stamp = format!("m20990101_{:02}{:02}00", i / 60, i % 60);
        let module = format!("{stamp}_{name}");
        let source = format!(
            "//! Migration `{module}`.\n\nuse makemigrations::prelude::*;\n\n#[derive(DeriveMigrationName)]\npub struct Migration;\n\n\
             #[async_trait::async_trait]\nimpl MigrationTrait for Migration {{\n    \
             async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {{\n{up}\n        Ok(())\n    }}\n\n    \
             async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {{\n{down}\n        Ok(())\n    }}\n}}\n"
        );
        std::fs::write(dir.join(format!("{module}.rs")), source)?;
        names.push(module);
    }
    Ok(names)
}
