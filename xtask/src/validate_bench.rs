//! `cargo xtask bench-validate`: times the integrity validation that `migrate` runs, called
//! directly on a fixture of 1,000 tables (no project to build): a pass over every table, and the
//! two passes (before and after) of a run whose migration names one of them.
//!
//! The fixture is made once per backend and kept (`target/bench/validate.sqlite3`, database
//! `mm_bench_validate` on the servers): 1,000 tables `t0000` … `t0999`, each with an integer key,
//! a nullable foreign key to the previous table, a NOT NULL `varchar(100)` with an index, a unique
//! `varchar`, two more NOT NULL columns, and 3 rows; nothing to find.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use makemigrations::validate::{self, Reach, RunValidation, Scope};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend};

const TABLES: usize = 1000;
const RUNS: usize = 5;
const FIXTURE: &str = "mm_bench_validate";

pub fn bench_validate() -> Result<()> {
    let root = super::repo_root();
    std::fs::create_dir_all(root.join("target/bench"))?;
    let mut backends = vec![(
        "SQLite",
        format!(
            "sqlite://{}?mode=rwc",
            root.join("target/bench/validate.sqlite3").display()
        ),
    )];
    if let Some(admin) = super::server_url("POSTGRES") {
        let base = admin.split('?').next().unwrap_or(&admin).to_string();
        let place = &base[..base.rfind('/').unwrap_or(base.len())];
        let exists = std::process::Command::new("psql")
            .args([
                &admin,
                "-tAc",
                &format!("SELECT 1 FROM pg_database WHERE datname = '{FIXTURE}'"),
            ])
            .output()?;
        if String::from_utf8_lossy(&exists.stdout).trim() != "1" {
            super::run(
                "psql",
                &[&admin, "-qc", &format!("CREATE DATABASE {FIXTURE}")],
            )?;
        }
        backends.push(("PostgreSQL", format!("{place}/{FIXTURE}")));
    }
    if let Some(admin) = super::server_url("MYSQL") {
        let (base, _) = admin
            .rsplit_once('/')
            .context("a MySQL URL ends with /database")?;
        super::mysql_admin(&admin, &format!("CREATE DATABASE IF NOT EXISTS {FIXTURE}"))?;
        backends.push(("MariaDB", format!("{base}/{FIXTURE}")));
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let mut report = String::new();
    writeln!(
        report,
        "| backend | one pass, every table | migrate's two passes, one table named |"
    )?;
    writeln!(report, "|---|---|---|")?;
    for (name, url) in &backends {
        let row = runtime.block_on(async {
            let db = Database::connect(url.as_str()).await?;
            ensure_fixture(&db).await?;
            let all = timings(|| async {
                let report = validate::validate(&db, &Scope::All).await?;
                anyhow::ensure!(report.ok() && report.tables == TABLES, "{report:?}");
                Ok(())
            })
            .await?;
            // A migration whose code names `t0500` (say, a column added): `t0500` and `t0501`,
            // whose key points at it, are checked before and after.
            let reach = Reach::Names(["t0500", "name", "string_len"].map(String::from).into());
            let run = timings(|| async {
                let run = RunValidation::start(&db, reach.clone()).await?;
                let report = run.finish(&db).await?;
                anyhow::ensure!(report.ok() && report.tables == 2, "{report:?}");
                Ok(())
            })
            .await?;
            db.close().await?;
            anyhow::Ok(format!("| {name} | {} | {} |", range(&all), range(&run)))
        })?;
        println!("{row}");
        writeln!(report, "{row}")?;
    }
    println!("\n{TABLES} tables, 3 rows each; fastest – slowest of {RUNS} runs:\n\n{report}");
    Ok(())
}

/// `RUNS` timings of `pass`.
async fn timings<F, Fut>(mut pass: F) -> Result<Vec<Duration>>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        pass().await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times)
}

fn range(times: &[Duration]) -> String {
    format!(
        "{:.3} – {:.3} s",
        times[0].as_secs_f64(),
        times[times.len() - 1].as_secs_f64()
    )
}

/// Creates the fixture's tables unless all of them are there.
async fn ensure_fixture(db: &DatabaseConnection) -> Result<()> {
    let backend = db.get_database_backend();
    let count_sql = match backend {
        DbBackend::Postgres => {
            "SELECT COUNT(*)::bigint AS n FROM pg_tables WHERE schemaname = current_schema()"
        }
        DbBackend::MySql => {
            "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
        }
        _ => "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'",
    };
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(backend, count_sql))
        .await?
        .context("a count")?;
    let present: i64 = row.try_get("", "n")?;
    if present == TABLES as i64 {
        return Ok(());
    }
    anyhow::ensure!(
        present == 0,
        "the fixture is incomplete ({present} tables): drop database {FIXTURE} (SQLite: delete target/bench/validate.sqlite3) and run again"
    );
    println!("creating the {TABLES}-table fixture (once; MariaDB takes a minute or two)...");
    let boolean = if backend == DbBackend::Sqlite {
        "integer"
    } else {
        "boolean"
    };
    let truth = if backend == DbBackend::Sqlite {
        "1"
    } else {
        "true"
    };
    let mut script = String::new();
    for i in 0..TABLES {
        let parent = if i == 0 {
            String::new()
        } else {
            format!(", FOREIGN KEY (parent_id) REFERENCES t{:04} (id)", i - 1)
        };
        let _ = write!(
            script,
            "CREATE TABLE t{i:04} (id integer PRIMARY KEY, parent_id integer NULL, \
             name varchar(100) NOT NULL, code varchar(100) NOT NULL UNIQUE, \
             quantity integer NOT NULL DEFAULT 0, active {boolean} NOT NULL DEFAULT {truth}{parent}); \
             CREATE INDEX ix_t{i:04}_name ON t{i:04} (name); "
        );
        let parent_id = |id: usize| {
            if i == 0 {
                "NULL".to_string()
            } else {
                id.to_string()
            }
        };
        let rows: Vec<String> = (1..=3)
            .map(|id| format!("({id}, {}, 'n{id}', 'c{id}', {id}, {truth})", parent_id(id)))
            .collect();
        let _ = write!(
            script,
            "INSERT INTO t{i:04} (id, parent_id, name, code, quantity, active) VALUES {}; ",
            rows.join(", ")
        );
    }
    match backend {
        DbBackend::Sqlite => {
            db.execute_unprepared(&format!("BEGIN; {script} COMMIT;"))
                .await?;
        }
        _ => {
            // In parts, so that no statement batch grows too big for the server.
            for part in script.split_inclusive("; ").collect::<Vec<_>>().chunks(300) {
                db.execute_unprepared(&part.concat()).await?;
            }
        }
    }
    Ok(())
}
