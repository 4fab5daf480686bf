//! `cargo xtask bench-latency [--one-way-ms N]`: the commands a team runs most, against each
//! server directly and through a forwarder on loopback that holds every chunk of bytes for N ms
//! (default 10) on its way in each direction: a 20 ms round trip, a database in another zone. On
//! the repository's own `migration` crate (the sample domain, a handful of tables), so what it
//! shows is not the schema's size but the round trips a command makes one after another.
//!
//! Each server gets a database of the run's own (`mm_bench_rt_<pid>`), migrated directly first,
//! and dropped at the end. The forwarder's address is a loopback one, so PostgreSQL connects
//! without TLS as it does directly; a remote server would add the TLS handshake to each
//! connection.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};

const COMMANDS: [&[&str]; 4] = [
    &["showmigrations"],
    &["check"],
    &["makemigrations", "--check"],
    &["migrate"],
];

pub fn bench_latency() -> Result<()> {
    let one_way_ms: u64 = match std::env::args().skip(2).collect::<Vec<_>>().as_slice() {
        [] => 10,
        [flag, ms] if flag == "--one-way-ms" => {
            ms.parse().context("--one-way-ms takes a number")?
        }
        other => bail!(
            "bench-latency takes --one-way-ms N, not {}",
            other.join(" ")
        ),
    };
    let delay = Duration::from_millis(one_way_ms);
    let root = super::repo_root();
    let servers: Vec<(&str, String)> = [("PostgreSQL", "POSTGRES"), ("MariaDB", "MYSQL")]
        .into_iter()
        .filter_map(|(name, kind)| super::server_url(kind).map(|url| (name, url)))
        .collect();
    if servers.is_empty() {
        bail!(
            "bench-latency needs a server: set MAKEMIGRATIONS_BENCH_POSTGRES and/or MAKEMIGRATIONS_BENCH_MYSQL"
        );
    }
    let built = std::process::Command::new("cargo")
        .args(["build", "--quiet", "-p", "migration"])
        .current_dir(&root)
        .status()?;
    if !built.success() {
        bail!("cargo build -p migration failed");
    }
    let binary = root.join("target/debug/migration");
    let database = format!("mm_bench_rt_{}", std::process::id());

    let mut report = String::new();
    writeln!(
        report,
        "`migration` (debug build) on the sample domain; medians of {} runs; each chunk held \
         {one_way_ms} ms each way ({} ms round trip):\n",
        super::RUNS,
        2 * one_way_ms
    )?;
    writeln!(
        report,
        "| server | command | direct | {} ms round trip | round trips, about |",
        2 * one_way_ms
    )?;
    writeln!(report, "|---|---|---|---|---|")?;
    for (name, admin) in servers {
        let url = database_url(&admin, &database)?;
        admin_sql(name, &admin, &format!("CREATE DATABASE {database}"))?;
        let measured = measure(&root, &binary, &url, delay);
        admin_sql(name, &admin, &format!("DROP DATABASE IF EXISTS {database}"))?;
        for (command, direct, slow) in measured? {
            let trips = (slow - direct).as_secs_f64() / (2.0 * delay.as_secs_f64());
            let row = format!(
                "| {name} | `{command}` | {} | {} | {trips:.0} |",
                super::secs(direct),
                super::secs(slow)
            );
            println!("{row}");
            writeln!(report, "{row}")?;
        }
    }
    let out = root.join("target/bench/latency.md");
    std::fs::create_dir_all(root.join("target/bench"))?;
    std::fs::write(&out, &report)?;
    println!("\n{report}(also in {})", out.display());
    Ok(())
}

/// Each command's median directly and through the forwarder.
fn measure(
    root: &Path,
    binary: &Path,
    url: &str,
    delay: Duration,
) -> Result<Vec<(String, Duration, Duration)>> {
    super::timed(binary, root, url, &["migrate"], 0)?;
    let upstream = host_port(url)?;
    // Here, not in the forwarder, where a failure would only show as the commands' own errors.
    TcpStream::connect(&upstream)
        .with_context(|| format!("bench-latency forwards over TCP; {upstream} does not answer"))?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let slow_url = with_host_port(url, &listener.local_addr()?.to_string())?;
    std::thread::spawn(move || forward(listener, upstream, delay));
    let mut rows = Vec::new();
    for args in COMMANDS {
        let direct = super::median(binary, root, url, args)?.wall;
        let slow = super::median(binary, root, &slow_url, args)?.wall;
        rows.push((args.join(" "), direct, slow));
    }
    Ok(rows)
}

/// Accepts connections for as long as the bench runs, each forwarded to `upstream` with every
/// chunk held for `delay` in each direction (in order: a chunk that arrives during the wait of
/// the one before waits its turn, as on a slow link).
fn forward(listener: TcpListener, upstream: String, delay: Duration) {
    for client in listener.incoming().flatten() {
        let Ok(server) = TcpStream::connect(&upstream) else {
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        for (from, to) in [(&client, &server), (&server, &client)] {
            let (Ok(from), Ok(to)) = (from.try_clone(), to.try_clone()) else {
                continue;
            };
            std::thread::spawn(move || pipe(from, to, delay));
        }
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    let mut buffer = vec![0; 64 * 1024];
    while let Ok(n @ 1..) = from.read(&mut buffer) {
        std::thread::sleep(delay);
        if to.write_all(&buffer[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// `host:port` of `scheme://[user[:password]@]host[:port]/...`, with the backend's default port.
fn host_port(url: &str) -> Result<String> {
    let (scheme, authority, _) = split_url(url)?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.contains(':') {
        return Ok(host.to_string());
    }
    let port = if scheme.starts_with("postgres") {
        5432
    } else {
        3306
    };
    Ok(format!("{host}:{port}"))
}

/// `url` with its host and port replaced.
fn with_host_port(url: &str, host_port: &str) -> Result<String> {
    let (scheme, authority, rest) = split_url(url)?;
    let user = authority.rsplit_once('@').map(|(u, _)| format!("{u}@"));
    Ok(format!(
        "{scheme}://{}{host_port}{rest}",
        user.unwrap_or_default()
    ))
}

/// The scheme, the authority and the rest (from the `/` of the path) of `url`.
fn split_url(url: &str) -> Result<(&str, &str, &str)> {
    let (scheme, rest) = url.split_once("://").context("a server URL has a scheme")?;
    let end = rest.find('/').unwrap_or(rest.len());
    Ok((scheme, &rest[..end], &rest[end..]))
}

/// The URL of `database` on the server of `admin`, with `admin`'s parameters.
fn database_url(admin: &str, database: &str) -> Result<String> {
    let (scheme, authority, rest) = split_url(admin)?;
    let query = rest.find('?').map_or("", |i| &rest[i..]);
    Ok(format!("{scheme}://{authority}/{database}{query}"))
}

/// Runs `sql` with the server's own client, as `admin`.
fn admin_sql(server: &str, admin: &str, sql: &str) -> Result<()> {
    if server == "PostgreSQL" {
        super::run("psql", &[admin, "-qc", sql])
    } else {
        super::mysql_admin(admin, sql)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_pointed_at_the_forwarder() {
        let url = "postgres://postgres:secret@127.0.0.1:5432/test?sslmode=disable";
        assert_eq!(host_port(url).unwrap(), "127.0.0.1:5432");
        assert_eq!(
            with_host_port(url, "127.0.0.1:40000").unwrap(),
            "postgres://postgres:secret@127.0.0.1:40000/test?sslmode=disable"
        );
        assert_eq!(
            database_url(url, "mm_x").unwrap(),
            "postgres://postgres:secret@127.0.0.1:5432/mm_x?sslmode=disable"
        );
        assert_eq!(
            host_port("mysql://root@localhost/test").unwrap(),
            "localhost:3306"
        );
    }
}
