//! Developer tasks: `cargo xtask bench`, `bench-validate`, `bench-squash` (squash_bench.rs),
//! `bench-app` (app_bench.rs).
//!
//! `bench` builds a project of 1,000 generated entities (10 columns, one index and one foreign key
//! each), generates and applies its initial migration, then times the two commands a team runs
//! most against a large schema: `makemigrations` with no changes and `check`. It runs on SQLite
//! always, on PostgreSQL when `MAKEMIGRATIONS_BENCH_POSTGRES` (or `MAKEMIGRATIONS_TEST_POSTGRES`)
//! names a server, and on MySQL/MariaDB when `MAKEMIGRATIONS_BENCH_MYSQL` (or
//! `MAKEMIGRATIONS_TEST_MYSQL`) does. Times are wall-clock medians of 5 runs of the debug binary, as a developer
//! runs it with `cargo run -p migration`. Then it edits entities (one column added to `t0500`, in
//! the middle of the foreign-key chain; then to every tenth entity, 10 %) and times the first
//! `makemigrations --check` after each edit, from the memo the warm runs left.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

mod app_bench;
mod squash_bench;
mod tidy;
mod validate_bench;

const TABLES: usize = 1000;
const RUNS: usize = 5;

fn main() -> Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    match task.as_str() {
        "bench" => bench(),
        "bench-validate" => validate_bench::bench_validate(),
        "bench-squash" => squash_bench::bench_squash(),
        "bench-app" => app_bench::bench_app(),
        _ => bail!(
            "usage: cargo xtask bench | bench-validate | bench-squash | bench-app [--with-cli]"
        ),
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("repo root")
}

/// The server named by `MAKEMIGRATIONS_BENCH_<KIND>`, else `MAKEMIGRATIONS_TEST_<KIND>`.
fn server_url(kind: &str) -> Option<String> {
    std::env::var(format!("MAKEMIGRATIONS_BENCH_{kind}"))
        .or_else(|_| std::env::var(format!("MAKEMIGRATIONS_TEST_{kind}")))
        .ok()
}

fn bench() -> Result<()> {
    let root = repo_root();
    let project = root.join("target/bench-project");
    let target = root.join("target/bench");
    write_project(&root, &project)?;
    println!("building a project of {TABLES} entities (first build takes a few minutes)...");
    cargo_build(&project, &target)?;

    let mut backends = vec![(
        "SQLite".to_string(),
        format!(
            "sqlite://{}?mode=rwc",
            project.join("bench.sqlite3").display()
        ),
    )];
    let _ = std::fs::remove_file(project.join("bench.sqlite3"));
    // A database of this run's own: benchmarks of two checkouts may share a server.
    let db = format!("mm_bench_{}", std::process::id());
    let postgres = server_url("POSTGRES");
    if let Some(admin) = &postgres {
        run("psql", &[admin, "-qc", &format!("CREATE DATABASE {db}")])?;
        let base = admin.split('?').next().unwrap_or(admin);
        backends.push((
            "PostgreSQL".into(),
            format!("{}/{db}", &base[..base.rfind('/').unwrap_or(base.len())]),
        ));
    } else {
        println!("PostgreSQL skipped: set MAKEMIGRATIONS_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432/test");
    }

    let mysql = server_url("MYSQL");
    if let Some(admin) = &mysql {
        let (base, _) = admin
            .rsplit_once('/')
            .context("a MySQL URL ends with /database")?;
        mysql_admin(admin, &format!("CREATE DATABASE {db}"))?;
        backends.push(("MariaDB".into(), format!("{base}/{db}")));
    } else {
        println!("MySQL/MariaDB skipped: set MAKEMIGRATIONS_BENCH_MYSQL=mysql://root@127.0.0.1:3306/test");
    }

    let binary = target.join("debug/migration");
    let migrations = project.join("migration/src/migrations");
    let memo = target.join("debug/makemigrations-cache");
    let memo_kept = |name: &str| target.join(format!("memo-{name}"));
    let mut report = String::new();
    writeln!(
        report,
        "| backend | initial makemigrations | migrate | no changes, cold | no changes, warm | check, warm | memo load, warm |"
    )?;
    writeln!(report, "|---|---|---|---|---|---|---|")?;
    for (name, url) in &backends {
        for file in std::fs::read_dir(&migrations)? {
            std::fs::remove_file(file?.path())?;
        }
        cargo_build(&project, &target)?;
        let initial = timed(&binary, &project, url, &["makemigrations", "--no-input"], 0)?;
        cargo_build(&project, &target)?;
        let migrate = timed(&binary, &project, url, &["migrate"], 0)?;
        // Cold: the scratch schema is built; warm: its memo (shadow_cache.rs) is reused.
        let _ = std::fs::remove_dir_all(target.join("debug/makemigrations-cache"));
        let cold = timed(&binary, &project, url, &["makemigrations", "--check"], 0)?;
        let no_changes = median(&binary, &project, url, &["makemigrations", "--check"])?;
        let check = median(&binary, &project, url, &["check"])?;
        let memo_load = median_phase(&binary, &project, url, "shadow: memo load", 0)?;
        let row = [initial, migrate, cold, no_changes, check]
            .map(secs)
            .join(" | ");
        writeln!(report, "| {name} | {row} | {memo_load:.1} ms |")?;
        // The memo as a warm run leaves it, for the runs after an edit below.
        let _ = std::fs::remove_dir_all(memo_kept(name));
        copy_dir(&memo, &memo_kept(name))?;
    }

    // The first run after an edit: each run starts from the memo of the unedited entities.
    writeln!(
        report,
        "\n| backend | first run, one entity edited | its scratch build | first run, 10 % edited | its scratch build |"
    )?;
    writeln!(report, "|---|---|---|---|---|")?;
    let mut edited_rows: Vec<Vec<String>> = vec![Vec::new(); backends.len()];
    for edited in [EDITED_ONE, EDITED_TENTH] {
        for i in 0..TABLES {
            std::fs::write(
                project.join(format!("entity/src/t{i:04}.rs")),
                entity_source(i, edited(i)),
            )?;
        }
        cargo_build(&project, &target)?;
        for ((name, url), row) in backends.iter().zip(&mut edited_rows) {
            let mut times = Vec::new();
            let mut builds = Vec::new();
            for _ in 0..RUNS {
                let _ = std::fs::remove_dir_all(&memo);
                copy_dir(&memo_kept(name), &memo)?;
                // Exit 1: a migration is needed.
                let (wall, timings) =
                    run_timed(&binary, &project, url, &["makemigrations", "--check"], 1)?;
                times.push(wall);
                builds.push(phase_ms(&timings, "shadow: build"));
            }
            times.sort();
            builds.sort_by(f64::total_cmp);
            row.push(secs(times[RUNS / 2]));
            row.push(format!("{:.2} s", builds[RUNS / 2] / 1000.0));
        }
    }
    for ((name, _), row) in backends.iter().zip(&edited_rows) {
        writeln!(report, "| {name} | {} |", row.join(" | "))?;
    }
    if let Some(admin) = postgres {
        run(
            "psql",
            &[
                &admin,
                "-qc",
                &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
            ],
        )?;
    }
    if let Some(admin) = mysql {
        mysql_admin(&admin, &format!("DROP DATABASE IF EXISTS {db}"))?;
    }
    println!(
        "\n{TABLES} tables, 10 columns, 1 index and 1 foreign key each; medians of {RUNS} runs:\n"
    );
    println!("{report}");
    std::fs::write(target.join("results.md"), &report)?;
    Ok(())
}

/// Runs `sql` with the `mariadb` client as the user and host of `url` (mysql://user[:pw]@host:port/db).
fn mysql_admin(url: &str, sql: &str) -> Result<()> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (auth, place) = rest.rsplit_once('@').context("a MySQL URL names a user")?;
    let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
    let host_port = place.split('/').next().unwrap_or(place);
    let (host, port) = host_port.split_once(':').unwrap_or((host_port, "3306"));
    let mut args = vec![
        format!("-u{user}"),
        format!("-h{host}"),
        format!("-P{port}"),
        "-e".to_string(),
        sql.to_string(),
    ];
    if !password.is_empty() {
        args.insert(0, format!("-p{password}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run("mariadb", &args)
}

/// The benchmark's edits: one entity in the middle of the foreign-key chain, and every tenth.
const EDITED_ONE: fn(usize) -> bool = |i| i == TABLES / 2;
const EDITED_TENTH: fn(usize) -> bool = |i| i % 10 == 0;

/// Copies a directory of files (the memo directory: no subdirectories).
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for file in std::fs::read_dir(from)? {
        let file = file?;
        std::fs::copy(file.path(), to.join(file.file_name()))?;
    }
    Ok(())
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn median(binary: &Path, project: &Path, url: &str, args: &[&str]) -> Result<Duration> {
    let mut times = Vec::new();
    for _ in 0..RUNS {
        times.push(timed(binary, project, url, args, 0)?);
    }
    times.sort();
    Ok(times[RUNS / 2])
}

/// Runs the migration binary and returns how long it took; fails unless it exits with `expect`.
fn timed(binary: &Path, project: &Path, url: &str, args: &[&str], expect: i32) -> Result<Duration> {
    Ok(run_timed(binary, project, url, args, expect)?.0)
}

/// The median of `phase` (`MAKEMIGRATIONS_TIMINGS`) over `RUNS` runs of
/// `makemigrations --check`, in milliseconds; 0 where the run has no such phase.
fn median_phase(binary: &Path, project: &Path, url: &str, phase: &str, expect: i32) -> Result<f64> {
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let (_, timings) = run_timed(binary, project, url, &["makemigrations", "--check"], expect)?;
        times.push(phase_ms(&timings, phase));
    }
    times.sort_by(f64::total_cmp);
    Ok(times[RUNS / 2])
}

/// The total of `phase` in the `timing:` lines of a run, in milliseconds.
fn phase_ms(timings: &str, phase: &str) -> f64 {
    timings
        .lines()
        .filter_map(|line| line.strip_prefix("timing: "))
        .filter_map(|line| line.strip_prefix(phase))
        .filter_map(|rest| {
            rest.trim()
                .trim_end_matches("ms")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .sum()
}

/// Runs the migration binary with `MAKEMIGRATIONS_TIMINGS=1`: how long it took and its standard
/// error; fails unless it exits with `expect`.
fn run_timed(
    binary: &Path,
    project: &Path,
    url: &str,
    args: &[&str],
    expect: i32,
) -> Result<(Duration, String)> {
    let mut attempts = 0;
    let (out, elapsed) = loop {
        let started = Instant::now();
        let out = Command::new(binary)
            .args(args)
            .env("MAKEMIGRATIONS_TIMINGS", "1")
            .env("DATABASE_URL", url)
            .current_dir(project)
            .output()?;
        let elapsed = started.elapsed();
        // A server shared with other benchmarks runs out of its lock table while two of them
        // build 1,000 tables at once (PostgreSQL's max_locks_per_transaction): that run says
        // nothing about this one, so it is run again, and said so.
        attempts += 1;
        if attempts < 5 && String::from_utf8_lossy(&out.stderr).contains("out of shared memory") {
            println!(
                "`migration {}`: the server ran out of shared memory; again",
                args.join(" ")
            );
            std::thread::sleep(Duration::from_secs(10));
            continue;
        }
        break (out, elapsed);
    };
    if out.status.code() != Some(expect) {
        bail!(
            "`migration {}` failed:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok((elapsed, String::from_utf8_lossy(&out.stderr).into_owned()))
}

fn run(program: &str, args: &[&str]) -> Result<()> {
    let status = Command::new(program)
        .args(args)
        .status()
        .with_context(|| format!("running {program}"))?;
    if !status.success() {
        bail!("{program} {} failed", args.join(" "));
    }
    Ok(())
}

fn cargo_build(project: &Path, target: &Path) -> Result<()> {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", "migration"])
        .env("CARGO_TARGET_DIR", target)
        .current_dir(project)
        .status()?;
    if !status.success() {
        bail!("the benchmark project does not build");
    }
    Ok(())
}

/// The workspace manifest for a benchmark project: the `entity` and `migration` crates only,
/// the tool's crates taken from this checkout.
fn bench_manifest(root: &Path) -> Result<String> {
    Ok(std::fs::read_to_string(root.join("Cargo.toml"))?
        .replace(
            r#"members = ["crates/*", "entity", "migration", "xtask"]"#,
            r#"members = ["entity", "migration"]"#,
        )
        .replace(
            r#"default-members = ["crates/*", "entity", "migration"]"#,
            "",
        )
        .replace(
            r#"path = "crates/"#,
            &format!(r#"path = "{}/crates/"#, root.display()),
        ))
}

/// A workspace with the real `migration` crate and an `entity` crate of generated entities.
fn write_project(root: &Path, project: &Path) -> Result<()> {
    let manifest = bench_manifest(root)?;
    // Start from no migrations: a file left by an earlier run would be compiled first.
    let _ = std::fs::remove_dir_all(project.join("migration/src/migrations"));
    std::fs::create_dir_all(project.join("entity/src"))?;
    std::fs::create_dir_all(project.join("migration/src/migrations"))?;
    std::fs::write(project.join("Cargo.toml"), manifest)?;
    std::fs::copy(root.join("Cargo.lock"), project.join("Cargo.lock"))?;
    std::fs::copy(
        root.join("entity/Cargo.toml"),
        project.join("entity/Cargo.toml"),
    )?;
    for file in ["Cargo.toml", "build.rs", "src/lib.rs", "src/main.rs"] {
        std::fs::copy(
            root.join("migration").join(file),
            project.join("migration").join(file),
        )?;
    }
    let mut lib = String::new();
    for i in 0..TABLES {
        writeln!(lib, "pub mod t{i:04};")?;
        std::fs::write(
            project.join(format!("entity/src/t{i:04}.rs")),
            entity_source(i, false),
        )?;
    }
    std::fs::write(project.join("entity/src/lib.rs"), lib)?;
    Ok(())
}

/// Entity `t<i>`; `edited` adds one nullable column.
fn entity_source(i: usize, edited: bool) -> String {
    let extra = if edited {
        "    pub extra: Option<i32>,\n"
    } else {
        ""
    };
    let relation = if i == 0 {
        "pub enum Relation {}".to_string()
    } else {
        format!(
            "pub enum Relation {{\n    #[sea_orm(belongs_to = \"super::t{p:04}::Entity\", from = \"Column::ParentId\", \
             to = \"super::t{p:04}::Column::Id\", on_delete = \"SetNull\")]\n    Parent,\n}}",
            p = i - 1
        )
    };
    format!(
        r#"use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "t{i:04}")]
pub struct Model {{
    #[sea_orm(primary_key)]
    pub id: i32,
    pub parent_id: Option<i32>,
    #[sea_orm(column_type = "String(StringLen::N(100))", indexed)]
    pub name: String,
    pub code: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub notes: Option<String>,
    #[sea_orm(default_value = 0)]
    pub quantity: i32,
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    pub price: Decimal,
    #[sea_orm(default_value = true)]
    pub active: bool,
    pub created_at: DateTimeWithTimeZone,
    pub payload: Option<Json>,
{extra}}}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
{relation}

impl ActiveModelBehavior for ActiveModel {{}}
"#
    )
}
