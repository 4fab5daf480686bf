//! Whether a database looks like a development one, for the commands that throw its content away
//! (`fresh`): they refuse any other unless `--force`. Read from the URL alone, before connecting.
//!
//! The rule (docs/guide.md, "fresh (alias reset)"): a SQLite file, or a server on this machine
//! (`localhost`, a `127.x.x.x` or `::1` address, a Unix socket); and in both cases no word of the
//! database's name (or the file's) is one that names a shared environment: `prod`, `production`,
//! `prd`, `live`, `staging`, `stage`, `stg`.

use makemigrations_core::Backend;

use crate::database::DatabaseUrl;

/// The words of a database name that say it is not a development database.
pub const SHARED_ENVIRONMENT_WORDS: &[&str] = &[
    "prod",
    "production",
    "prd",
    "live",
    "staging",
    "stage",
    "stg",
];

/// Why a database does not look like a development one; `None` when it does.
pub fn not_development(url: &DatabaseUrl) -> Option<String> {
    let name = match url.backend {
        Backend::Sqlite => url.file.clone().unwrap_or_default(),
        _ => url.database.clone().unwrap_or_default(),
    };
    if let Some(word) = shared_environment_word(&name) {
        return Some(format!(
            "its name `{name}` has the word `{word}`, which names a shared environment"
        ));
    }
    // PostgreSQL's schema (`--database-schema`, or the URL's own search_path) counts too.
    let schema = url.search_path();
    if let Some(schema) = schema {
        if let Some(word) = shared_environment_word(&schema) {
            return Some(format!(
                "its schema `{schema}` has the word `{word}`, which names a shared environment"
            ));
        }
    }
    if url.backend == Backend::Sqlite || url.socket.is_some() {
        return None;
    }
    let host = url.host.clone().unwrap_or_default();
    if is_local_host(&host) {
        None
    } else {
        Some(format!(
            "its server `{host}` is not on this machine (localhost, 127.x.x.x, ::1 or a socket)"
        ))
    }
}

/// The first word of `name` (split at anything but letters and digits, and at a path's
/// directories) that names a shared environment: the word itself, followed by digits (`prod1`,
/// `prd01`), or for `prod`, `prd`, `staging` and `stg` at the end of a word (`shopprod`,
/// `shopProd`). `products` and `delivery` are not environments.
fn shared_environment_word(name: &str) -> Option<&'static str> {
    let base = std::path::Path::new(name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    base.split(|c: char| !c.is_ascii_alphanumeric())
        .filter_map(|word| {
            let word = word.to_ascii_lowercase();
            let numbered = word.trim_end_matches(|c: char| c.is_ascii_digit());
            SHARED_ENVIRONMENT_WORDS.iter().copied().find(|w| {
                *w == numbered
                    || (["prod", "prd", "staging", "stg"].contains(w) && numbered.ends_with(w))
            })
        })
        .next()
}

fn is_local_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(address) => address.is_loopback(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(url: &str) -> Option<String> {
        not_development(&DatabaseUrl::parse(url).unwrap())
    }

    #[test]
    fn local_servers_and_sqlite_files_are_development() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/test",
            "postgres://app:secret@localhost/shop_dev",
            "mysql://root@[::1]:3306/shop",
            "mysql://root@localhost/shop?socket=/run/mysqld/mysqld.sock",
            "sqlite://db.sqlite3?mode=rwc",
            "sqlite://data/products.sqlite3",
        ] {
            assert_eq!(verdict(url), None, "{url}");
        }
    }

    #[test]
    fn remote_servers_and_shared_names_are_not() {
        let remote = verdict("postgres://app@db.example.com/shop").unwrap();
        assert!(
            remote.contains("`db.example.com` is not on this machine"),
            "{remote}"
        );
        let named = verdict("postgres://app@localhost/shop_production").unwrap();
        assert!(named.contains("`production`"), "{named}");
        for url in [
            "postgres://app@localhost/prod1",
            "postgres://app@localhost/shopProd",
            "postgres://app@localhost/prd01",
            "postgres://app@localhost/shop?options=-c%20search_path%3Dprod",
        ] {
            assert!(verdict(url).is_some(), "{url}");
        }
        for url in [
            "postgres://app@localhost/delivery",
            "postgres://app@localhost/products",
        ] {
            assert!(verdict(url).is_none(), "{url}");
        }
        assert!(verdict("sqlite://prod.sqlite3").is_some());
        assert!(verdict("mysql://root@127.0.0.1/staging-eu").is_some());
        // `products` is not `prod`: whole words only.
        assert_eq!(verdict("sqlite://products.db"), None);
    }
}
