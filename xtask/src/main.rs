//! Developer tasks: `cargo xtask bench`, `bench-validate`, `bench-squash` (squash_bench.rs),
//! `bench-app` (app_bench.rs), `bench-latency` (latency_bench.rs).
//!
//! `bench` builds a project of 1,000 generated entities (10 columns, one index and one foreign key
//! each), generates and applies its initial migration, then times the two commands a team runs
//! most against a large schema: `makemigrations` with no changes and `check`. It runs on SQLite
//! always, on PostgreSQL when `MAKEMIGRATIONS_BENCH_POSTGRES` (or `MAKEMIGRATIONS_TEST_POSTGRES`)
//! names a server, and on MySQL/MariaDB when `MAKEMIGRATIONS_BENCH_MYSQL` (or
//! `MAKEMIGRATIONS_TEST_MYSQL`) does. Times are wall-clock medians of 5 runs of the debug binary, as a developer
//! runs it with `cargo run -p migration` (with the recommended `[profile.dev.package."*"]`
//! optimisation unless `--plain-dev-profile`), or of the release binary with `--release`; each
//! run's peak RSS is read from `/usr/bin/time -f %M`. Then it edits entities (one column added to
//! `t0500`, in the middle of the foreign-key chain; then to every tenth entity, 10 %) and times
//! the first `makemigrations --check` after each edit, from the memo the warm runs left.
//!
//! Beside `migrate`, it times the server's own time for the same schema (raw DDL: `pg_dump
//! --schema-only` loaded with `psql --single-transaction`, `mysqldump --no-data` loaded with the
//! `mariadb` client, into a fresh database) and prints the ratio; and it times the build of the
//! migration crate alone (its artifacts cleaned, its dependencies built) without a migration and
//! with the 1,000-table initial migration. `--keep` leaves `mm_bench_<pid>` on the servers;
//! `--servers-only` leaves SQLite out.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

mod app_bench;
mod latency_bench;
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
        "bench-latency" => latency_bench::bench_latency(),
        _ => bail!(
            "usage: cargo xtask bench [--release] [--plain-dev-profile] [--keep] [--servers-only] | bench-validate | bench-squash [--release] | bench-app [--with-cli] | bench-latency [--one-way-ms N]"
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
    /// `--keep`: the database is left on the servers, for a look afterwards.
    keep: bool,
    /// `--servers-only`: SQLite is left out.
    servers_only: bool,
}

fn bench_options() -> Result<BenchOptions> {
    let (mut release, mut optimized_tool, mut keep, mut servers_only) = (false, true, false, false);
    for arg in std::env::args().skip(2) {
        match arg.as_str() {
            "--release" => release = true,
            "--plain-dev-profile" => optimized_tool = false,
            "--keep" => keep = true,
            "--servers-only" => servers_only = true,
            other => bail!(
                "bench takes --release, --plain-dev-profile, --keep and --servers-only, not {other}"
            ),
        }
    }
    Ok(BenchOptions {
        release,
        optimized_tool,
        database: format!("mm_bench_{}", std::process::id()),
        keep,
        servers_only,
    })
}

/// One measured run of the migration binary: wall-clock time and peak resident set size.
#[derive(Clone)]
struct Measured {
    wall: Duration,
    rss_kib: u64,
    /// User and system CPU time: what the process itself spent, which the machine's load
    /// changes far less than the wall-clock time.
    cpu: Duration,
    /// What `MAKEMIGRATIONS_TIMINGS=1` printed: the run's phases.
    timings: String,
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
    // With no build of this profile in the target directory yet, the first build is the one a
    // new clone of a 1,000-entity project makes: every dependency, the entities, the tool.
    let from_empty = !target.join(profile).join("deps").exists();
    let started = Instant::now();
    cargo_build(&project, &target, options.release)?;
    let first_build = from_empty.then(|| started.elapsed());

    let database = &options.database;
    let mut backends = vec![(
        "SQLite".to_string(),
        format!(
            "sqlite://{}?mode=rwc",
            project.join("bench.sqlite3").display()
        ),
    )];
    let _ = std::fs::remove_file(project.join("bench.sqlite3"));
    if options.servers_only {
        backends.clear();
    }
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
    let memo = target.join(profile).join("makemigrations-cache");
    let memo_kept = |name: &str| target.join(format!("memo-{name}"));
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
    writeln!(
        report,
        "| backend | {} | memo load, warm |",
        columns[..5].join(" | ")
    )?;
    writeln!(report, "|---|---|---|---|---|---|---|")?;
    writeln!(memory, "| backend | {} |", columns.join(" | "))?;
    writeln!(memory, "|---|---|---|---|---|---|---|---|")?;
    let mut raw_ddl = String::new();
    writeln!(
        raw_ddl,
        "| backend | migrate | raw DDL | migrate / raw DDL |"
    )?;
    writeln!(raw_ddl, "|---|---|---|---|")?;
    let mut builds = None;
    for (name, url) in &backends {
        for file in std::fs::read_dir(&migrations)? {
            std::fs::remove_file(file?.path())?;
        }
        let without = clean_build(&project, &target, options.release)?;
        let initial = timed(&binary, &project, url, &["makemigrations", "--no-input"], 0)?;
        // One initial migration for every backend (the file is alike on each, but for its
        // timestamp): the binary built for the runs after an edit below knows one file, and each
        // backend's database must have applied that one.
        let first_file = target.join("bench-initial-migration");
        if builds.is_some() {
            for file in std::fs::read_dir(&migrations)? {
                std::fs::remove_file(file?.path())?;
            }
            copy_dir(&first_file, &migrations)?;
        } else {
            let _ = std::fs::remove_dir_all(&first_file);
            copy_dir(&migrations, &first_file)?;
        }
        println!("{name}: building with the initial migration...");
        let with = clean_build(&project, &target, options.release)?;
        // The first backend's build stands for all: the file is alike on each.
        builds.get_or_insert((without, with));
        let migrate = timed(&binary, &project, url, &["migrate"], 0)?;
        let raw = match name.as_str() {
            "PostgreSQL" => Some(raw_ddl_postgres(url, database, &target)?),
            "MariaDB" => Some(raw_ddl_mysql(url, database, &target)?),
            _ => None,
        };
        if let Some(raw) = raw {
            let row = format!(
                "| {name} | {} | {} | {:.2} |",
                secs(migrate.wall),
                secs(raw),
                migrate.wall.as_secs_f64() / raw.as_secs_f64()
            );
            println!("{row}");
            writeln!(raw_ddl, "{row}")?;
        }
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
        let memo_load = median_phase(&binary, &project, url, "shadow: memo load", 0)?;
        // The memo as a warm run leaves it, for the runs after an edit below.
        let _ = std::fs::remove_dir_all(memo_kept(name));
        copy_dir(&memo, &memo_kept(name))?;
        // PostgreSQL's default lock table (max_locks_per_transaction 64) holds the locks of
        // about 700 tables dropped in one transaction: the rollback fails there, changing
        // nothing, and says so (lock_table_full). That is a finding, not a broken bench.
        let rollback = match timed(&binary, &project, url, &["rollback", "--all", "--force"], 0) {
            Ok(rollback) => {
                // Applied again: the runs after an edit below expect only the edit to be missing.
                timed(&binary, &project, url, &["migrate"], 0)?;
                Some(rollback)
            }
            Err(e) if format!("{e:#}").contains("lock table is full") => {
                println!("{name}: the rollback fills the server's lock table (lock_table_full)");
                None
            }
            Err(e) => return Err(e),
        };
        let all = [initial, migrate, cold, no_changes, check, show];
        let times = all[..5]
            .iter()
            .map(|m| format!("{} ({} CPU)", secs(m.wall), secs(m.cpu)))
            .collect::<Vec<_>>();
        writeln!(
            report,
            "| {name} | {} | {memo_load:.1} ms |",
            times.join(" | ")
        )?;
        let mut rss = all
            .iter()
            .map(|m| format!("{} MiB", m.rss_kib / 1024))
            .collect::<Vec<_>>();
        rss.push(rollback.map_or("fails: lock table full".to_string(), |m| {
            format!("{} MiB", m.rss_kib / 1024)
        }));
        writeln!(memory, "| {name} | {} |", rss.join(" | "))?;
        // As it goes: a later backend that fails leaves these figures.
        println!(
            "{name}: {} | peak RSS {}",
            times.join(" | "),
            rss.join(" | ")
        );
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
        cargo_build(&project, &target, options.release)?;
        for ((name, url), row) in backends.iter().zip(&mut edited_rows) {
            let mut times = Vec::new();
            let mut builds = Vec::new();
            for _ in 0..RUNS {
                let _ = std::fs::remove_dir_all(&memo);
                copy_dir(&memo_kept(name), &memo)?;
                // Exit 1: a migration is needed.
                let run = timed(&binary, &project, url, &["makemigrations", "--check"], 1)?;
                times.push(run.wall);
                builds.push(phase_ms(&run.timings, "shadow: build"));
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
    if let Some((without, with)) = builds {
        writeln!(
            raw_ddl,
            "\n| `cargo build -p migration` ({profile}), the crate alone | seconds |\n|---|---|\n\
             | {TABLES} entities, no migration | {:.1} |\n| {TABLES} entities and their initial migration | {:.1} |",
            without.as_secs_f64(),
            with.as_secs_f64()
        )?;
    }
    if let Some(first) = first_build {
        writeln!(
            raw_ddl,
            "\nThe first build of the project, every dependency included (the target directory \
             had no {profile} build): {:.1} s",
            first.as_secs_f64()
        )?;
    }
    if options.keep {
        println!("--keep: {database} is left on the servers");
    } else if let Some(admin) = postgres {
        run(
            "psql",
            &[
                &admin,
                "-qc",
                &format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"),
            ],
        )?;
    }
    if let (false, Some(admin)) = (options.keep, mysql) {
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
         wall-clock (user + system CPU):\n\n{report}\n`migrate` beside the server's own time, and build times:\n\n{raw_ddl}\nPeak RSS (`/usr/bin/time -f %M`; of the median run where there are {RUNS}):\n\n{memory}\n\
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

/// The tables the tool keeps beside the user's: not part of the schema that raw DDL loads.
const TOOL_TABLES: [&str; 7] = [
    "seaql_migrations",
    "makemigrations_owned_tables",
    "makemigrations_checksums",
    "makemigrations_log",
    "makemigrations_half_applied",
    "makemigrations_half_applied_statements",
    "makemigrations_replaced",
];

/// The server's own time for the schema `migrate` made in `url`: `pg_dump --schema-only` loaded
/// into a fresh database with `psql --single-transaction`.
fn raw_ddl_postgres(url: &str, database: &str, target: &Path) -> Result<Duration> {
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
    let raw = format!("{database}_raw");
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
fn raw_ddl_mysql(url: &str, database: &str, target: &Path) -> Result<Duration> {
    let dump = target.join("raw-ddl-mysql.sql");
    let db = database.to_string();
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

fn median(binary: &Path, project: &Path, url: &str, args: &[&str]) -> Result<Measured> {
    let mut runs = Vec::new();
    for _ in 0..RUNS {
        runs.push(timed(binary, project, url, args, 0)?);
    }
    runs.sort_by_key(|m| m.wall);
    Ok(runs.swap_remove(RUNS / 2))
}

/// Runs the migration binary under `/usr/bin/time` with `MAKEMIGRATIONS_TIMINGS=1` and returns
/// how long it took, its peak RSS and CPU time, and the phases it printed; fails unless it exits
/// with `expect`.
fn timed(binary: &Path, project: &Path, url: &str, args: &[&str], expect: i32) -> Result<Measured> {
    // Not in `project`, which may be the repository itself (bench-latency).
    let rss_file = std::env::temp_dir().join(format!("mm-bench-rss-{}.txt", std::process::id()));
    let mut attempts = 0;
    let (out, wall) = loop {
        let started = Instant::now();
        let out = Command::new("/usr/bin/time")
            .arg("-f")
            .arg("%M %U %S")
            .arg("-o")
            .arg(&rss_file)
            .arg(binary)
            .args(args)
            .env("MAKEMIGRATIONS_TIMINGS", "1")
            .env("DATABASE_URL", url)
            .current_dir(project)
            .output()
            .context("running the binary under /usr/bin/time (apt-get install time)")?;
        let wall = started.elapsed();
        // A server shared with other benchmarks runs out of its lock table while two of them
        // build 1,000 tables at once (PostgreSQL's max_locks_per_transaction): that run says
        // nothing about this one, so it is run again, and said so.
        attempts += 1;
        if attempts < 2 && String::from_utf8_lossy(&out.stderr).contains("out of shared memory") {
            println!(
                "`migration {}`: the server ran out of shared memory; again",
                args.join(" ")
            );
            std::thread::sleep(Duration::from_secs(10));
            continue;
        }
        break (out, wall);
    };
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
    Ok(Measured {
        wall,
        rss_kib,
        cpu,
        timings: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// The median of `phase` (`MAKEMIGRATIONS_TIMINGS`) over `RUNS` runs of
/// `makemigrations --check`, in milliseconds; 0 where the run has no such phase.
fn median_phase(binary: &Path, project: &Path, url: &str, phase: &str, expect: i32) -> Result<f64> {
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let run = timed(binary, project, url, &["makemigrations", "--check"], expect)?;
        times.push(phase_ms(&run.timings, phase));
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

fn run(program: &str, args: &[&str]) -> Result<()> {
    let status = Command::new(program)
        .args(args)
        .status()
        .with_context(|| format!("running {program}"))?;
    if !status.success() {
        let shown: Vec<String> = args.iter().map(|a| without_password(a)).collect();
        bail!("{program} {} failed", shown.join(" "));
    }
    Ok(())
}

/// `arg` with the password of a URL in it (`scheme://user:password@host`) or of a client option
/// (`-pSECRET`) replaced by `***`: the bench's server URLs may carry one, and errors print them.
fn without_password(arg: &str) -> String {
    if let Some(secret) = arg.strip_prefix("-p").filter(|s| !s.is_empty()) {
        return arg.replace(secret, "***");
    }
    if arg.starts_with("--password=") {
        return "--password=***".to_string();
    }
    let Some((scheme, rest)) = arg.split_once("://") else {
        return arg.to_string();
    };
    match rest.rsplit_once('@') {
        Some((auth, place)) => match auth.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{place}"),
            None => arg.to_string(),
        },
        None => arg.to_string(),
    }
}

/// Builds the migration crate alone, its artifacts cleaned first (its dependencies stay built),
/// and returns how long that took.
fn clean_build(project: &Path, target: &Path, release: bool) -> Result<Duration> {
    // `cargo clean -p` cleans the dev profile's directory unless told the release one.
    let mut args = vec!["clean", "--quiet", "-p", "migration"];
    if release {
        args.push("--release");
    }
    let status = Command::new(env!("CARGO"))
        .args(args)
        .env("CARGO_TARGET_DIR", target)
        .current_dir(project)
        .status()?;
    if !status.success() {
        bail!("cargo clean -p migration failed");
    }
    let started = Instant::now();
    cargo_build(project, target, release)?;
    Ok(started.elapsed())
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

/// What `makemigrations init` writes into the root manifest of a project (docs/guide.md, "A
/// faster debug build"): every dependency optimised in the debug build, the project's own crates
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
            &entity_source(i, false),
        )?;
    }
    write_if_changed(&project.join("entity/src/lib.rs"), &lib)?;
    Ok(())
}

/// Writes `text` unless the file holds it already: an unchanged entity is not compiled again.
fn write_if_changed(path: &Path, text: &str) -> Result<()> {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::write(path, text)?;
    }
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

#[test]
fn failed_commands_are_shown_without_passwords() {
    assert_eq!(
        without_password("postgres://admin:s3cret@db:5432/postgres"),
        "postgres://admin:***@db:5432/postgres"
    );
    assert_eq!(without_password("-ps3cret"), "-p***");
    assert_eq!(without_password("--password=s3cret"), "--password=***");
    assert_eq!(
        without_password("postgres://postgres@127.0.0.1/test"),
        "postgres://postgres@127.0.0.1/test"
    );
    assert_eq!(without_password("-qc"), "-qc");
}

/// The bench measures what `init` writes (the tool is only a dev-dependency here).
#[test]
fn the_bench_profile_is_inits() {
    assert_eq!(
        DEV_PROFILE_OPT_LEVEL,
        format!(
            "opt-level = {}",
            makemigrations_cli::init::DEV_PROFILE_OPT_LEVEL
        )
    );
}
