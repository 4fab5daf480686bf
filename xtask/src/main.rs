//! Developer tasks: `cargo xtask bench`, `bench-validate`, `bench-squash` (squash_bench.rs),
//! `bench-app` (app_bench.rs).
//!
//! `bench` builds a project of 1,000 generated entities (10 columns, one index and one foreign key
//! each), generates and applies its initial migration, then times the two commands a team runs
//! most against a large schema: `makemigrations` with no changes and `check`. It runs on SQLite
//! always, on PostgreSQL when `MAKEMIGRATIONS_BENCH_POSTGRES` (or `MAKEMIGRATIONS_TEST_POSTGRES`)
//! names a server, and on MySQL/MariaDB when `MAKEMIGRATIONS_BENCH_MYSQL` (or
//! `MAKEMIGRATIONS_TEST_MYSQL`) does. Times are wall-clock medians of 5 runs of the debug binary, as a developer
//! runs it with `cargo run -p migration` (with the recommended `[profile.dev.package."*"]`
//! optimisation unless `--plain-dev-profile`), or of the release binary with `--release`; each
//! run's peak RSS is read from `/usr/bin/time -f %M`.

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
            "usage: cargo xtask bench [--release] [--plain-dev-profile] | bench-validate | bench-squash | bench-app [--with-cli]"
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

/// What `bench` measures: the profile of the binary, and the database it makes on each server.
struct BenchOptions {
    /// `--release`: the binary a team ships or installs; else the debug build of `cargo run`.
    release: bool,
    /// Without `--plain-dev-profile`: the project's manifest has the recommended
    /// [`DEV_PROFILE_OPT_LEVEL`] (it changes nothing in a release build).
    optimized_tool: bool,
    /// `mm_bench_<pid>`: several worktrees on one machine bench the same servers at once.
    database: String,
}

fn bench_options() -> Result<BenchOptions> {
    let mut release = false;
    let mut optimized_tool = true;
    for arg in std::env::args().skip(2) {
        match arg.as_str() {
            "--release" => release = true,
            "--plain-dev-profile" => optimized_tool = false,
            other => bail!("bench takes --release and --plain-dev-profile, not {other}"),
        }
    }
    Ok(BenchOptions {
        release,
        optimized_tool,
        database: format!("mm_bench_{}", std::process::id()),
    })
}

/// One measured run of the migration binary: wall-clock time and peak resident set size.
#[derive(Clone, Copy)]
struct Measured {
    wall: Duration,
    rss_kib: u64,
    /// User and system CPU time: what the process itself spent, which the machine's load
    /// changes far less than the wall-clock time.
    cpu: Duration,
}

fn bench() -> Result<()> {
    let options = bench_options()?;
    let root = repo_root();
    let project = root.join("target/bench-project");
    let target = root.join("target/bench");
    let profile = if options.release { "release" } else { "debug" };
    write_project(&root, &project, options.optimized_tool)?;
    println!(
        "building a project of {TABLES} entities, {profile} (first build takes a few minutes)..."
    );
    cargo_build(&project, &target, options.release)?;

    let database = &options.database;
    let mut backends = vec![(
        "SQLite".to_string(),
        format!(
            "sqlite://{}?mode=rwc",
            project.join("bench.sqlite3").display()
        ),
    )];
    let _ = std::fs::remove_file(project.join("bench.sqlite3"));
    let postgres = server_url("POSTGRES");
    if let Some(admin) = &postgres {
        run(
            "psql",
            &[admin, "-qc", &format!("DROP DATABASE IF EXISTS {database}")],
        )?;
        run(
            "psql",
            &[admin, "-qc", &format!("CREATE DATABASE {database}")],
        )?;
        let base = admin.split('?').next().unwrap_or(admin);
        backends.push((
            "PostgreSQL".into(),
            format!(
                "{}/{database}",
                &base[..base.rfind('/').unwrap_or(base.len())]
            ),
        ));
    } else {
        println!("PostgreSQL skipped: set MAKEMIGRATIONS_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432/test");
    }

    let mysql = server_url("MYSQL");
    if let Some(admin) = &mysql {
        let (base, _) = admin
            .rsplit_once('/')
            .context("a MySQL URL ends with /database")?;
        mysql_admin(
            admin,
            &format!("DROP DATABASE IF EXISTS {database}; CREATE DATABASE {database}"),
        )?;
        backends.push(("MariaDB".into(), format!("{base}/{database}")));
    } else {
        println!("MySQL/MariaDB skipped: set MAKEMIGRATIONS_BENCH_MYSQL=mysql://root@127.0.0.1:3306/test");
    }

    let binary = target.join(profile).join("migration");
    let migrations = project.join("migration/src/migrations");
    let mut report = String::new();
    let mut memory = String::new();
    let mut phases = String::new();
    let columns = [
        "initial makemigrations",
        "migrate",
        "no changes, cold",
        "no changes, warm",
        "check, warm",
        "showmigrations",
        "rollback of the initial migration",
    ];
    writeln!(report, "| backend | {} |", columns[..5].join(" | "))?;
    writeln!(report, "|---|---|---|---|---|---|")?;
    writeln!(memory, "| backend | {} |", columns.join(" | "))?;
    writeln!(memory, "|---|---|---|---|---|---|---|---|")?;
    for (name, url) in &backends {
        for file in std::fs::read_dir(&migrations)? {
            std::fs::remove_file(file?.path())?;
        }
        cargo_build(&project, &target, options.release)?;
        let initial = timed(&binary, &project, url, &["makemigrations", "--no-input"], 0)?;
        println!("{name}: building with the initial migration...");
        cargo_build(&project, &target, options.release)?;
        let migrate = timed(&binary, &project, url, &["migrate"], 0)?;
        // Cold: the scratch schema is built; warm: its memo (shadow_cache.rs) is reused.
        let _ = std::fs::remove_dir_all(target.join(profile).join("makemigrations-cache"));
        let cold = timed(&binary, &project, url, &["makemigrations", "--check"], 0)?;
        let no_changes = median(&binary, &project, url, &["makemigrations", "--check"])?;
        let check = median(&binary, &project, url, &["check"])?;
        let show = median(&binary, &project, url, &["showmigrations"])?;
        writeln!(
            phases,
            "{name}, `makemigrations --check`, warm:\n{}",
            phase_split(&binary, &project, url, &["makemigrations", "--check"])?
        )?;
        writeln!(
            phases,
            "{name}, `check`, warm:\n{}",
            phase_split(&binary, &project, url, &["check"])?
        )?;
        let rollback = timed(&binary, &project, url, &["rollback", "--all", "--force"], 0)?;
        let all = [initial, migrate, cold, no_changes, check, show, rollback];
        let times = all[..5]
            .iter()
            .map(|m| format!("{} ({} CPU)", secs(m.wall), secs(m.cpu)))
            .collect::<Vec<_>>();
        writeln!(report, "| {name} | {} |", times.join(" | "))?;
        let rss = all
            .iter()
            .map(|m| format!("{} MiB", m.rss_kib / 1024))
            .collect::<Vec<_>>();
        writeln!(memory, "| {name} | {} |", rss.join(" | "))?;
        // As it goes: a later backend that fails leaves these figures.
        println!(
            "{name}: {} | peak RSS {}",
            times.join(" | "),
            rss.join(" | ")
        );
    }
    if let Some(admin) = postgres {
        run(
            "psql",
            &[
                &admin,
                "-qc",
                &format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"),
            ],
        )?;
    }
    if let Some(admin) = mysql {
        mysql_admin(&admin, &format!("DROP DATABASE IF EXISTS {database}"))?;
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let tool = match (options.release, options.optimized_tool) {
        (false, true) => format!(" (`[profile.dev.package.\"*\"] {DEV_PROFILE_OPT_LEVEL}`)"),
        _ => String::new(),
    };
    let summary = format!(
        "{TABLES} tables, 10 columns, 1 index and 1 foreign key each; {profile} build{tool}; \
         wall-clock, warm runs and showmigrations medians of {RUNS} runs; load average at the end: {}\n\n\
         wall-clock (user + system CPU):\n\n{report}\nPeak RSS (`/usr/bin/time -f %M`; of the median run where there are {RUNS}):\n\n{memory}\n\
         Phases of one more warm run (`MAKEMIGRATIONS_TIMINGS=1`):\n\n{phases}",
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    );
    println!("\n{summary}");
    let plain = if options.optimized_tool || options.release {
        ""
    } else {
        "-plain"
    };
    std::fs::write(
        target.join(format!("results-{profile}{plain}.md")),
        &summary,
    )?;
    Ok(())
}

/// The phases that `MAKEMIGRATIONS_TIMINGS=1` prints for one run, as they come.
fn phase_split(binary: &Path, project: &Path, url: &str, args: &[&str]) -> Result<String> {
    let out = Command::new(binary)
        .args(args)
        .env("DATABASE_URL", url)
        .env("MAKEMIGRATIONS_TIMINGS", "1")
        .current_dir(project)
        .output()?;
    Ok(String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|line| line.strip_prefix("timing: "))
        .map(|line| format!("    {line}\n"))
        .collect())
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

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn median(binary: &Path, project: &Path, url: &str, args: &[&str]) -> Result<Measured> {
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        runs.push(timed(binary, project, url, args, 0)?);
    }
    runs.sort_by_key(|m| m.wall);
    Ok(runs[RUNS / 2])
}

/// Runs the migration binary under `/usr/bin/time` and returns how long it took and its peak
/// RSS; fails unless it exits with `expect`.
fn timed(binary: &Path, project: &Path, url: &str, args: &[&str], expect: i32) -> Result<Measured> {
    let rss_file = project.join("rss.txt");
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M %U %S")
        .arg("-o")
        .arg(&rss_file)
        .arg(binary)
        .args(args)
        .env("DATABASE_URL", url)
        .current_dir(project)
        .output()
        .context("running the binary under /usr/bin/time (apt-get install time)")?;
    let wall = started.elapsed();
    // /usr/bin/time writes "Command exited with non-zero status N" before the figure.
    let figures = std::fs::read_to_string(&rss_file)?;
    let figures: Vec<&str> = figures
        .lines()
        .last()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let [rss, user, system] = figures[..] else {
        bail!("no RSS and CPU figures from /usr/bin/time");
    };
    let seconds = |s: &str| s.parse::<f64>().map(Duration::from_secs_f64);
    let rss_kib = rss.parse().context("RSS from /usr/bin/time")?;
    let cpu = seconds(user)? + seconds(system)?;
    if out.status.code() != Some(expect) {
        bail!(
            "`migration {}` failed:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(Measured { wall, rss_kib, cpu })
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

fn cargo_build(project: &Path, target: &Path, release: bool) -> Result<()> {
    let mut args = vec!["build", "--quiet", "-p", "migration"];
    if release {
        args.push("--release");
    }
    let status = Command::new(env!("CARGO"))
        .args(args)
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

/// What docs/guide.md ("A faster debug build") recommends in the root manifest of a project:
/// the tool and the libraries under it optimised in the debug build, the project's own crates
/// not. Added to the workspace's `[profile.dev.package."*"]`, which the bench project copies.
pub const DEV_PROFILE_OPT_LEVEL: &str = "opt-level = 1";

/// A workspace with the real `migration` crate and an `entity` crate of generated entities;
/// `optimized_tool`: with [`DEV_PROFILE_OPT_LEVEL`].
fn write_project(root: &Path, project: &Path, optimized_tool: bool) -> Result<()> {
    let mut manifest = bench_manifest(root)?;
    if optimized_tool {
        let table = "[profile.dev.package.\"*\"]\n";
        if !manifest.contains(table) {
            bail!("the workspace manifest has no {table}");
        }
        manifest = manifest.replace(table, &format!("{table}{DEV_PROFILE_OPT_LEVEL}\n"));
    }
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
            entity_source(i),
        )?;
    }
    std::fs::write(project.join("entity/src/lib.rs"), lib)?;
    Ok(())
}

fn entity_source(i: usize) -> String {
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
}}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
{relation}

impl ActiveModelBehavior for ActiveModel {{}}
"#
    )
}
