//! Developer tasks: `cargo xtask bench`, `bench-validate`, `bench-squash` (squash_bench.rs),
//! `bench-app` (app_bench.rs).
//!
//! `bench` builds a project of 1,000 generated entities (10 columns, one index and one foreign key
//! each), generates and applies its initial migration, then times the two commands a team runs
//! most against a large schema: `makemigrations` with no changes and `check`. It runs on SQLite
//! always, on PostgreSQL when `MAKEMIGRATIONS_BENCH_POSTGRES` (or `MAKEMIGRATIONS_TEST_POSTGRES`)
//! names a server, and on MySQL/MariaDB when `MAKEMIGRATIONS_BENCH_MYSQL` (or
//! `MAKEMIGRATIONS_TEST_MYSQL`) does. Times are wall-clock medians of 5 runs of the debug binary, as a developer
//! runs it with `cargo run -p migration`.
//!
//! Beside `migrate`, it times the server's own time for the same schema (raw DDL: `pg_dump
//! --schema-only` loaded with `psql --single-transaction`, `mysqldump --no-data` loaded with the
//! `mariadb` client, into a fresh database) and prints the ratio; and it times the build of the
//! migration crate alone (its artifacts cleaned, its dependencies built) without a migration and
//! with the 1,000-table initial migration. `--keep` leaves `mm_bench` on the servers;
//! `--servers-only` leaves SQLite out.
//! `MAKEMIGRATIONS_BENCH_DATABASE` names another database than `mm_bench` (benches run side by side).

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

/// The database the bench creates on each server: `mm_bench`, or `MAKEMIGRATIONS_BENCH_DATABASE`.
fn bench_database() -> String {
    std::env::var("MAKEMIGRATIONS_BENCH_DATABASE").unwrap_or_else(|_| "mm_bench".to_string())
}
const RUNS: usize = 5;

fn main() -> Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    match task.as_str() {
        "bench" => bench(
            std::env::args().any(|a| a == "--keep"),
            std::env::args().any(|a| a == "--servers-only"),
        ),
        "bench-validate" => validate_bench::bench_validate(),
        "bench-squash" => squash_bench::bench_squash(),
        "bench-app" => app_bench::bench_app(),
        _ => bail!(
            "usage: cargo xtask bench [--keep] [--servers-only] | bench-validate | bench-squash | bench-app [--with-cli]"
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

fn bench(keep: bool, servers_only: bool) -> Result<()> {
    let db = bench_database();
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
    if servers_only {
        backends.clear();
    }
    let postgres = server_url("POSTGRES");
    if let Some(admin) = &postgres {
        run(
            "psql",
            &[admin, "-qc", &format!("DROP DATABASE IF EXISTS {db}")],
        )?;
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
        mysql_admin(
            admin,
            &format!("DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db}"),
        )?;
        backends.push(("MariaDB".into(), format!("{base}/{db}")));
    } else {
        println!("MySQL/MariaDB skipped: set MAKEMIGRATIONS_BENCH_MYSQL=mysql://root@127.0.0.1:3306/test");
    }

    let binary = target.join("debug/migration");
    let migrations = project.join("migration/src/migrations");
    let mut report = String::new();
    writeln!(
        report,
        "| backend | initial makemigrations | migrate | raw DDL | migrate / raw DDL | no changes, cold | no changes, warm | check, warm |"
    )?;
    writeln!(report, "|---|---|---|---|---|---|---|---|")?;
    let mut builds = None;
    for (name, url) in &backends {
        for file in std::fs::read_dir(&migrations)? {
            std::fs::remove_file(file?.path())?;
        }
        let without = clean_build(&project, &target)?;
        let initial = timed(&binary, &project, url, &["makemigrations", "--no-input"], 0)?;
        let with = clean_build(&project, &target)?;
        // The first backend's build stands for all: the file is alike on each.
        builds.get_or_insert((without, with));
        println!(
            "migration crate built in {} without a migration, {} with the initial one",
            secs(without),
            secs(with)
        );
        let migrate = timed(&binary, &project, url, &["migrate"], 0)?;
        let raw = match name.as_str() {
            "PostgreSQL" => Some(raw_ddl_postgres(url, &target)?),
            "MariaDB" => Some(raw_ddl_mysql(url, &target)?),
            _ => None,
        };
        let (raw_cell, ratio_cell) = match raw {
            Some(raw) => (
                secs(raw),
                format!("{:.2}", migrate.as_secs_f64() / raw.as_secs_f64()),
            ),
            None => ("-".to_string(), "-".to_string()),
        };
        // Cold: the scratch schema is built; warm: its memo (shadow_cache.rs) is reused.
        let _ = std::fs::remove_dir_all(target.join("debug/makemigrations-cache"));
        let cold = timed(&binary, &project, url, &["makemigrations", "--check"], 0)?;
        let no_changes = median(&binary, &project, url, &["makemigrations", "--check"])?;
        let check = median(&binary, &project, url, &["check"])?;
        let row = format!(
            "| {name} | {} | {} | {raw_cell} | {ratio_cell} | {} | {} | {} |",
            secs(initial),
            secs(migrate),
            secs(cold),
            secs(no_changes),
            secs(check)
        );
        // As it comes: a later backend that fails does not lose it.
        println!("{row}");
        writeln!(report, "{row}")?;
    }
    if let Some((without, with)) = builds {
        writeln!(
            report,
            "\n| `cargo build -p migration` (debug), the crate alone | seconds |\n|---|---|\n\
             | {TABLES} entities, no migration | {:.1} |\n| {TABLES} entities and their initial migration | {:.1} |",
            without.as_secs_f64(),
            with.as_secs_f64()
        )?;
    }
    if keep {
        println!("--keep: {db} is left on the servers");
    } else {
        drop_bench_databases(postgres.as_deref(), mysql.as_deref())?;
    }
    println!(
        "\n{TABLES} tables, 10 columns, 1 index and 1 foreign key each; medians of {RUNS} runs:\n"
    );
    println!("{report}");
    std::fs::write(target.join("results.md"), &report)?;
    Ok(())
}

fn drop_bench_databases(postgres: Option<&str>, mysql: Option<&str>) -> Result<()> {
    if let Some(admin) = postgres {
        run(
            "psql",
            &[
                admin,
                "-qc",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", bench_database()),
            ],
        )?;
    }
    if let Some(admin) = mysql {
        mysql_admin(
            admin,
            &format!("DROP DATABASE IF EXISTS {}", bench_database()),
        )?;
    }
    Ok(())
}

/// The tables the tool keeps beside the user's: not part of the schema that raw DDL loads.
const TOOL_TABLES: [&str; 6] = [
    "seaql_migrations",
    "makemigrations_owned_tables",
    "makemigrations_checksums",
    "makemigrations_log",
    "makemigrations_half_applied",
    "makemigrations_half_applied_statements",
];

/// The server's own time for the schema `migrate` made in `url`: `pg_dump --schema-only` loaded
/// into a fresh database with `psql --single-transaction`.
fn raw_ddl_postgres(url: &str, target: &Path) -> Result<Duration> {
    let dump = target.join("raw-ddl-postgres.sql");
    let mut args = vec![
        "--schema-only".to_string(),
        "--no-owner".to_string(),
        "--no-privileges".to_string(),
        "-f".to_string(),
        dump.display().to_string(),
    ];
    for table in TOOL_TABLES {
        args.push(format!("--exclude-table={table}"));
    }
    args.push(url.to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run("pg_dump", &args)?;
    let raw = format!("{}_raw", bench_database());
    let raw_url = format!("{url}_raw");
    run(
        "psql",
        &[url, "-qc", &format!("DROP DATABASE IF EXISTS {raw}")],
    )?;
    run("psql", &[url, "-qc", &format!("CREATE DATABASE {raw}")])?;
    let file = dump.display().to_string();
    let args = [
        raw_url.as_str(),
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "--single-transaction",
        "-o",
        "/dev/null",
        "-f",
        &file,
    ];
    // One transaction locks every table it creates; on a server that other transactions of
    // that size share, the lock table can run out ("out of shared memory"): try again.
    let mut attempt = 1;
    let elapsed = loop {
        let started = Instant::now();
        match run("psql", &args) {
            Ok(()) => break started.elapsed(),
            Err(e) if attempt < 3 => {
                println!("raw DDL load failed ({e}); trying again");
                attempt += 1;
                run(
                    "psql",
                    &[url, "-qc", &format!("DROP DATABASE {raw} WITH (FORCE)")],
                )?;
                run("psql", &[url, "-qc", &format!("CREATE DATABASE {raw}")])?;
            }
            Err(e) => return Err(e),
        }
    };
    run(
        "psql",
        &[url, "-qc", &format!("DROP DATABASE {raw} WITH (FORCE)")],
    )?;
    Ok(elapsed)
}

/// The same on MySQL/MariaDB: `mysqldump --no-data` loaded with the `mariadb` client.
fn raw_ddl_mysql(url: &str, target: &Path) -> Result<Duration> {
    let dump = target.join("raw-ddl-mysql.sql");
    let db = bench_database();
    let raw = format!("{db}_raw");
    let mut args = mysql_client_args(url)?;
    args.push("--no-data".to_string());
    for table in TOOL_TABLES {
        args.push(format!("--ignore-table={db}.{table}"));
    }
    args.push(format!("--result-file={}", dump.display()));
    args.push(db.clone());
    let status = Command::new("mysqldump").args(&args).status()?;
    if !status.success() {
        bail!("mysqldump failed");
    }
    mysql_admin(
        url,
        &format!("DROP DATABASE IF EXISTS {raw}; CREATE DATABASE {raw}"),
    )?;
    let mut load = mysql_client_args(url)?;
    load.push(raw.clone());
    let started = Instant::now();
    let status = Command::new("mariadb")
        .args(&load)
        .stdin(std::fs::File::open(&dump)?)
        .status()?;
    let elapsed = started.elapsed();
    if !status.success() {
        bail!("loading the mysqldump output failed");
    }
    mysql_admin(url, &format!("DROP DATABASE {raw}"))?;
    Ok(elapsed)
}

/// Runs `sql` with the `mariadb` client as the user and host of `url` (mysql://user[:pw]@host:port/db).
fn mysql_admin(url: &str, sql: &str) -> Result<()> {
    let mut args = mysql_client_args(url)?;
    args.extend(["-e".to_string(), sql.to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run("mariadb", &args)
}

/// The user, password, host and port of `url` (mysql://user[:pw]@host:port/db) as client options.
fn mysql_client_args(url: &str) -> Result<Vec<String>> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (auth, place) = rest.rsplit_once('@').context("a MySQL URL names a user")?;
    let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
    let host_port = place.split('/').next().unwrap_or(place);
    let (host, port) = host_port.split_once(':').unwrap_or((host_port, "3306"));
    let mut args = vec![
        format!("-u{user}"),
        format!("-h{host}"),
        format!("-P{port}"),
    ];
    if !password.is_empty() {
        args.insert(0, format!("-p{password}"));
    }
    Ok(args)
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
    let started = Instant::now();
    let out = Command::new(binary)
        .args(args)
        .env("DATABASE_URL", url)
        .current_dir(project)
        .output()?;
    let elapsed = started.elapsed();
    if out.status.code() != Some(expect) {
        bail!(
            "`migration {}` failed:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(elapsed)
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

/// Builds the migration crate alone, its artifacts cleaned first (its dependencies stay built),
/// and returns how long that took.
fn clean_build(project: &Path, target: &Path) -> Result<Duration> {
    let status = Command::new(env!("CARGO"))
        .args(["clean", "--quiet", "-p", "migration"])
        .env("CARGO_TARGET_DIR", target)
        .current_dir(project)
        .status()?;
    if !status.success() {
        bail!("cargo clean -p migration failed");
    }
    let started = Instant::now();
    cargo_build(project, target)?;
    Ok(started.elapsed())
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
    write_if_changed(&project.join("Cargo.toml"), &manifest)?;
    write_if_changed(
        &project.join("Cargo.lock"),
        &std::fs::read_to_string(root.join("Cargo.lock"))?,
    )?;
    write_if_changed(
        &project.join("entity/Cargo.toml"),
        &std::fs::read_to_string(root.join("entity/Cargo.toml"))?,
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
        write_if_changed(
            &project.join(format!("entity/src/t{i:04}.rs")),
            &entity_source(i),
        )?;
    }
    write_if_changed(&project.join("entity/src/lib.rs"), &lib)?;
    Ok(())
}

/// Writes `text` unless the file holds it already: a rewritten file is compiled again, and the
/// 1,000 entities take minutes.
fn write_if_changed(path: &Path, text: &str) -> Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text)?;
    }
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
