//! Test support: a scratch copy of the sample project, and the databases to run it against.
// Each test binary uses part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use makemigrations::introspect;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

pub const POSTGRES_VAR: &str = "MAKEMIGRATIONS_TEST_POSTGRES";
pub const MYSQL_VAR: &str = "MAKEMIGRATIONS_TEST_MYSQL";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A copy of `entity/` and `migration/` (without migrations) in a workspace of its own, built
/// into the workspace's target directory so that only the small crates recompile.
pub struct TestProject {
    dir: tempfile::TempDir,
    sub: String,
}

pub struct Output {
    pub success: bool,
    pub code: Option<i32>,
    pub text: String,
}

impl TestProject {
    pub fn new() -> Self {
        let root = repo_root();
        let dir = tempfile::Builder::new()
            .prefix("mm-roundtrip-")
            .tempdir()
            .unwrap();
        // Cargo names a path package's artifacts after its path relative to the workspace root:
        // two scratch projects laid out alike would overwrite each other's artifacts in the shared
        // target directory. A subdirectory of their own keeps them apart.
        static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let sub = format!("p{}_{n}", std::process::id());
        let manifest = std::fs::read_to_string(root.join("Cargo.toml"))
            .unwrap()
            .replace(
                r#"members = ["crates/*", "entity", "migration", "xtask"]"#,
                &format!(r#"members = ["{sub}/entity", "{sub}/migration"]"#),
            )
            .replace(
                r#"default-members = ["crates/*", "entity", "migration"]"#,
                "",
            )
            .replace(
                r#"entity = { path = "entity" }"#,
                &format!(r#"entity = {{ path = "{sub}/entity" }}"#),
            )
            .replace(
                r#"path = "crates/"#,
                &format!(r#"path = "{}/crates/"#, root.display()),
            );
        std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
        std::fs::copy(root.join("Cargo.lock"), dir.path().join("Cargo.lock")).unwrap();
        let crates = dir.path().join(&sub);
        copy_dir(&root.join("entity"), &crates.join("entity"));
        for file in ["Cargo.toml", "build.rs", "src/lib.rs", "src/main.rs"] {
            let target = crates.join("migration").join(file);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(root.join("migration").join(file), target).unwrap();
        }
        std::fs::create_dir_all(crates.join("migration/src/migrations")).unwrap();
        // And a binary of its own name: cargo does not copy a binary that is already fresh to
        // target/debug, so a shared name could hand out another project's.
        let migration_manifest = crates.join("migration/Cargo.toml");
        let mut text = std::fs::read_to_string(&migration_manifest).unwrap();
        text.push_str(&format!(
            "\n[[bin]]\nname = \"migration-{sub}\"\npath = \"src/main.rs\"\n"
        ));
        std::fs::write(migration_manifest, text).unwrap();
        TestProject { dir, sub }
    }

    /// A project whose initial migration was generated on `first` (and not applied there);
    /// the caller builds it again once it has added what it needs.
    pub fn with_initial_migration(first: &Backend) -> Self {
        let project = Self::new();
        project.build();
        let out = project.run(first, &["makemigrations", "--no-input", "-m", "initial"]);
        assert!(out.success, "{}", out.text);
        project
    }

    /// Writes migrations written by hand, `(name, source)`, into the migration crate; the
    /// caller builds.
    pub fn write_migrations(&self, migrations: &[(&str, String)]) {
        let dir = self.crates().join("migration/src/migrations");
        for (name, source) in migrations {
            std::fs::write(dir.join(format!("{name}.rs")), source).unwrap();
        }
    }

    /// Adds an application to the migration crate: `source` as `src/app.rs`, a binary named
    /// after the project (the target directory is shared), run with [`Self::app_binary`].
    pub fn add_app(&self, source: &str) {
        let crates = self.crates();
        std::fs::write(crates.join("migration/src/app.rs"), source).unwrap();
        let manifest = crates.join("migration/Cargo.toml");
        let mut text = std::fs::read_to_string(&manifest).unwrap();
        text.push_str(&format!(
            "\n[[bin]]\nname = \"app-{}\"\npath = \"src/app.rs\"\n",
            self.sub
        ));
        std::fs::write(manifest, text).unwrap();
    }

    /// The binary of [`Self::add_app`]'s application.
    pub fn app_binary(&self) -> PathBuf {
        self.binary().with_file_name(format!("app-{}", self.sub))
    }

    /// Where `entity/` and `migration/` are.
    pub fn crates(&self) -> PathBuf {
        self.dir.path().join(&self.sub)
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The workspace's own target directory: the scratch projects then reuse the dependencies
    /// (sea-orm, sqlx, ...) that `cargo test` built, instead of building them a second time.
    /// Only the tool's crates, `entity` and `migration` compile per project (cargo keys a path
    /// package by its path relative to the workspace root).
    fn target_dir() -> PathBuf {
        std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo_root().join("target"))
    }

    /// Replaces `from` by `to` in an entity source file; an empty `from` creates the file.
    pub fn edit_entity(&self, file: &str, from: &str, to: &str) {
        let path = self.crates().join("entity/src").join(file);
        if from.is_empty() {
            std::fs::write(&path, to).unwrap();
            return;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} does not contain {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }

    /// Replaces the whole entity crate's sources by `files` (`(path under src/, text)`), for
    /// entities written the way sea-orm-cli writes them. `lib.rs` must be among them.
    pub fn replace_entities(&self, files: &[(&str, &str)]) {
        let src = self.crates().join("entity/src");
        std::fs::remove_dir_all(&src).unwrap();
        for (file, text) in files {
            let path = src.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        assert!(
            src.join("lib.rs").exists(),
            "replace_entities needs a lib.rs"
        );
    }

    /// The adoption path that needs no baseline: the initial migration generated on the empty
    /// database `empty`, then recorded as applied on `db` with `migrate --fake`.
    pub fn fake_initial(&self, empty: &Backend, db: &Backend) {
        let out = self.run(empty, &["makemigrations", "--no-input", "-m", "initial"]);
        assert!(
            out.success,
            "{}: initial migration:\n{}",
            db.name(),
            out.text
        );
        self.build();
        let out = self.run(db, &["migrate", "--fake"]);
        assert!(out.success, "{}: migrate --fake:\n{}", db.name(), out.text);
    }

    /// Builds the migration crate, and fails on a compiler warning too: a user builds the
    /// generated files, and a warning there is one they would see.
    pub fn build(&self) {
        let out = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "migration"])
            .env("CARGO_TARGET_DIR", Self::target_dir())
            // Each project is built once or twice: incremental state (hundreds of MB for the
            // tool's crates, per project) would only fill the disk.
            .env("CARGO_INCREMENTAL", "0")
            .current_dir(self.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "the scratch project does not build:\n{stderr}"
        );
        assert!(
            !stderr.contains("warning"),
            "the scratch project builds with warnings:\n{stderr}"
        );
    }

    pub fn binary(&self) -> PathBuf {
        Self::target_dir()
            .join("debug")
            .join(format!("migration-{}", self.sub))
    }

    pub fn run(&self, backend: &Backend, args: &[&str]) -> Output {
        self.run_with_env(backend, args, &[])
    }

    /// The binary as a command, ready to run against `backend` (for a pseudo-terminal). Without
    /// colours (`NO_COLOR`), so that what the tests expect reads as plain text; tests/gates.rs
    /// checks the colours a terminal gets.
    pub fn command(&self, backend: &Backend, args: &[&str]) -> Command {
        let mut command = Command::new(self.binary());
        command
            .args(args)
            .env("NO_COLOR", "1")
            .env("DATABASE_URL", backend.url())
            .current_dir(self.path());
        command
    }

    /// `run` with more environment variables.
    pub fn run_with_env(&self, backend: &Backend, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(self.binary());
        command
            .args(args)
            .envs(env.iter().copied())
            .env("DATABASE_URL", backend.url())
            .current_dir(self.path());
        let out = output_within(command, &format!("{} {}", backend.name(), args.join(" ")));
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        Output {
            success: out.status.success(),
            code: out.status.code(),
            text,
        }
    }

    /// The migration file names, oldest first.
    pub fn migration_files(&self) -> Vec<String> {
        let dir = self.crates().join("migration/src/migrations");
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Replaces `from` by `to` in the newest migration file.
    pub fn edit_newest_migration(&self, from: &str, to: &str) {
        let dir = self.crates().join("migration/src/migrations");
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let path = files.last().expect("a migration was written");
        let text = std::fs::read_to_string(path).unwrap();
        assert!(
            text.contains(from),
            "the migration does not contain {from:?}"
        );
        std::fs::write(path, text.replacen(from, to, 1)).unwrap();
    }

    /// The newest migration file, with its timestamp masked so snapshots stay stable.
    pub fn newest_migration_source(&self) -> String {
        let dir = self.crates().join("migration/src/migrations");
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let text = std::fs::read_to_string(files.last().expect("a migration was written")).unwrap();
        mask_lineage(&mask_timestamps(&text))
    }
}

impl Drop for TestProject {
    /// The binary is large and named for this project only.
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.binary());
    }
}

/// Longer than any one command of the suite takes on a loaded machine: a command past it hangs.
const COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// `command.output()` (no standard input), failing the test with what the command printed if it
/// has not finished within [`COMMAND_TIMEOUT`]: a hang is a failure that says where, not a
/// suite that never ends.
pub fn output_within(mut command: Command, what: &str) -> std::process::Output {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("`{what}` cannot start: {e}"));
    // Each pipe is read into a buffer the timeout can look at without waiting for the reader
    // (a grandchild may still hold the pipe open).
    let drain = |mut pipe: Box<dyn Read + Send>| {
        let buffer = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let filled = buffer.clone();
        let reader = std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n @ 1..) = pipe.read(&mut chunk) {
                filled.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        });
        (buffer, reader)
    };
    let (stdout, stdout_reader) = drain(Box::new(child.stdout.take().unwrap()));
    let (stderr, stderr_reader) = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = std::time::Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            std::thread::sleep(std::time::Duration::from_millis(200));
            let printed = String::from_utf8_lossy(&stdout.lock().unwrap()).into_owned()
                + &String::from_utf8_lossy(&stderr.lock().unwrap());
            panic!("`{what}` did not finish within {COMMAND_TIMEOUT:?} and was killed; it printed:\n{printed}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let _ = (stdout_reader.join(), stderr_reader.join());
    let take = |buffer: std::sync::Arc<std::sync::Mutex<Vec<u8>>>| {
        std::mem::take(&mut *buffer.lock().unwrap())
    };
    std::process::Output {
        status,
        stdout: take(stdout),
        stderr: take(stderr),
    }
}

/// A migration file as a person writes one: `up` and `down` are the bodies of the two methods.
pub fn migration_source(up: &str, down: &str) -> String {
    format!(
        r#"use makemigrations::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {{
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {{
{up}
    }}

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {{
{down}
    }}
}}
"#
    )
}

/// The `//! after:` parents and the `//! state:` hash of a generated file, which depend on the
/// steps before it (`tests/branches.rs` checks them): `<parent>` and `<hash>`.
pub fn mask_lineage(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.starts_with("//! after: ") && line != "//! after: (none)" {
                "//! after: <parent>".to_string()
            } else if line.starts_with("//! state: sha256:") {
                "//! state: sha256:<hash>".to_string()
            } else {
                line.to_string()
            }
        })
        .map(|line| line + "\n")
        .collect()
}

pub fn mask_timestamps(text: &str) -> String {
    let mut out = String::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let candidate = bytes.get(i..i + 17);
        let is_stamp = candidate.is_some_and(|c| {
            c[0] == b'm'
                && c[1..9].iter().all(u8::is_ascii_digit)
                && c[9] == b'_'
                && c[10..16].iter().all(u8::is_ascii_digit)
                && c[16] == b'_'
        });
        if is_stamp {
            out.push_str("mYYYYMMDD_HHMMSS_");
            i += 17;
        } else {
            let ch = text[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A database a test runs against; server ones are created for the test and dropped after.
pub enum Backend {
    Sqlite {
        url: String,
        _dir: tempfile::TempDir,
    },
    Postgres {
        url: String,
        admin_url: String,
        database: String,
    },
    MySql {
        url: String,
        admin_url: String,
        database: String,
    },
    /// Just a URL, for error cases.
    Url(String),
}

impl Backend {
    /// A SQLite file of its own in a temporary directory, removed with the backend.
    pub fn sqlite() -> Backend {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("test.sqlite3").display()
        );
        Backend::Sqlite { url, _dir: dir }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres { .. } => "postgres",
            Backend::MySql { .. } => "mysql",
            Backend::Url(_) => "url",
        }
    }

    pub fn url(&self) -> &str {
        match self {
            Backend::Sqlite { url, .. }
            | Backend::Postgres { url, .. }
            | Backend::MySql { url, .. }
            | Backend::Url(url) => url,
        }
    }

    pub async fn connect(&self) -> DatabaseConnection {
        Database::connect(self.url()).await.unwrap()
    }

    pub async fn execute(&self, sql: &str) {
        let db = self.connect().await;
        db.execute_unprepared(sql).await.unwrap();
        db.close().await.unwrap();
    }

    /// The schema as lines, tool tables left out and columns sorted (ALTER TABLE ADD COLUMN
    /// appends, so column order is the one thing a rollback cannot restore on PostgreSQL).
    pub async fn schema_fingerprint(&self) -> Vec<String> {
        let db = self.connect().await;
        let backend = makemigrations_cli::database::core_backend(db.get_database_backend());
        let schema_name = match self {
            Backend::MySql { database, .. } => database.as_str(),
            _ => "public",
        };
        let schema = introspect::discover(&db, backend, schema_name)
            .await
            .unwrap();
        db.close().await.unwrap();
        let mut lines = Vec::new();
        for (name, e) in &schema.enums {
            lines.push(format!("enum {name} {:?}", e.values));
        }
        for (name, table) in &schema.tables {
            if makemigrations::is_tool_table(name) {
                continue;
            }
            lines.push(format!(
                "table {name} pk={:?} comment={:?}",
                table.primary_key, table.comment
            ));
            let mut columns = table.columns.clone();
            columns.sort_by(|a, b| a.name.cmp(&b.name));
            for c in columns {
                lines.push(format!(
                    "  column {} {} null={} default={:?} unique={} auto={} comment={:?}",
                    c.name,
                    c.db_type,
                    c.nullable,
                    c.default.map(|d| d.sql),
                    c.unique,
                    c.auto_increment,
                    c.comment
                ));
            }
            for index in &table.indexes {
                lines.push(format!(
                    "  index {} {:?} unique={}",
                    index.name, index.columns, index.unique
                ));
            }
            for fk in &table.foreign_keys {
                lines.push(format!(
                    "  fk {:?} -> {}{:?} delete={:?} update={:?}",
                    fk.columns, fk.ref_table, fk.ref_columns, fk.on_delete, fk.on_update
                ));
            }
        }
        lines
    }

    pub async fn seed(&self) {
        let db = self.connect().await;
        // MySQL keeps a uuid as binary(16).
        let uuid = |text: &str| match self {
            Backend::MySql { .. } => format!("UNHEX(REPLACE('{text}', '-', ''))"),
            _ => format!("'{text}'"),
        };
        for sql in [
            format!("INSERT INTO users (public_id, email, display_name) VALUES ({}, 'ada@example.com', 'Ada')", uuid("5f0e1b3a-8a5d-4c1e-9a63-2f1f0c6b7a10")),
            "INSERT INTO categories (name, slug) VALUES ('Books', 'books')".to_string(),
            "INSERT INTO products (category_id, sku, name, price) VALUES (1, 'B-1', 'Dune', 9.99)".to_string(),
            format!("INSERT INTO orders (reference, user_id) VALUES ({}, 1)", uuid("0c9e3f0e-6a43-4b7d-8d21-7b8a0e5c1d22")),
            "INSERT INTO loyalty_accounts (user_id, member_since) VALUES (1, '2026-01-01')".to_string(),
        ] {
            db.execute_unprepared(&sql).await.unwrap();
        }
        db.close().await.unwrap();
    }

    /// Rows in columns that no migration touches keep their values.
    pub async fn assert_seed_intact(&self) {
        let db = self.connect().await;
        for (sql, expected) in [
            ("SELECT email AS v FROM users", "ada@example.com"),
            ("SELECT name AS v FROM products", "Dune"),
            ("SELECT currency AS v FROM orders", "EUR"),
            ("SELECT slug AS v FROM categories", "books"),
        ] {
            let rows = db
                .query_all_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    sql,
                ))
                .await
                .unwrap();
            let values: Vec<String> = rows
                .iter()
                .map(|r| r.try_get::<String>("", "v").unwrap())
                .collect();
            assert_eq!(
                values,
                [expected],
                "{}: `{sql}` after a migration",
                self.name()
            );
        }
        db.close().await.unwrap();
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        let drop_sql = match self {
            Backend::Postgres { database, .. } => {
                format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)")
            }
            Backend::MySql { database, .. } => format!("DROP DATABASE IF EXISTS `{database}`"),
            _ => return,
        };
        if let Backend::Postgres { admin_url, .. } | Backend::MySql { admin_url, .. } = self {
            let admin_url = admin_url.clone();
            // Drop runs outside async code: use a runtime of its own on a thread of its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Runtime::new().unwrap();
                rt.block_on(async {
                    if let Ok(db) = Database::connect(&admin_url).await {
                        let _ = db.execute_unprepared(&drop_sql).await;
                    }
                });
            })
            .join();
        }
    }
}

/// SQLite always; PostgreSQL and MySQL/MariaDB when their variables are set, in that order.
/// Prints one line naming what was skipped.
pub async fn enabled_backends() -> Vec<Backend> {
    let mut backends = vec![Backend::sqlite()];
    let postgres = scratch_database(
        POSTGRES_VAR,
        "PostgreSQL",
        "postgres://postgres@127.0.0.1:5432/test",
        |d| format!("\"{d}\""),
    );
    backends.extend(
        postgres
            .await
            .map(|(url, admin_url, database)| Backend::Postgres {
                url,
                admin_url,
                database,
            }),
    );
    let mysql = scratch_database(
        MYSQL_VAR,
        "MySQL/MariaDB",
        "mysql://root@127.0.0.1:3306/test",
        |d| format!("`{d}`"),
    );
    backends.extend(
        mysql
            .await
            .map(|(url, admin_url, database)| Backend::MySql {
                url,
                admin_url,
                database,
            }),
    );
    backends
}

/// A database of its own on the server that `var` names: `(url, admin url, name)`, or `None`
/// (and a line saying how to enable it) when `var` is not set.
async fn scratch_database(
    var: &str,
    server: &str,
    example: &str,
    quote: fn(&str) -> String,
) -> Option<(String, String, String)> {
    let Some(admin_url) = std::env::var(var).ok().filter(|v| !v.is_empty()) else {
        eprintln!("makemigrations tests: {server} skipped; set {var}={example} to enable it");
        return None;
    };
    let database = format!("mm_test_{}", unique_suffix());
    let admin = Database::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("{var} is set but {server} is unreachable: {e}"));
    admin
        .execute_unprepared(&format!("CREATE DATABASE {}", quote(&database)))
        .await
        .unwrap();
    admin.close().await.unwrap();
    let base = admin_url.split('?').next().unwrap();
    let url = format!("{}/{database}", &base[..base.rfind('/').unwrap()]);
    Some((url, admin_url, database))
}

/// The tables of the database (PostgreSQL: of `public`), sorted: to see that a command
/// created nothing.
pub async fn table_names(db: &Backend) -> Vec<String> {
    let sql = match db {
        Backend::Postgres { .. } => {
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
                .to_string()
        }
        Backend::MySql { database, .. } => format!(
            "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = '{database}' ORDER BY 1"
        ),
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1".to_string(),
    };
    texts(db, &sql).await
}

/// The first column of every row of `sql`, as text (`NULL` for null).
pub async fn texts(db: &Backend, sql: &str) -> Vec<String> {
    texts_at(db, sql, 0).await
}

/// Column `column` of every row of `sql`, as text (`NULL` for null).
pub async fn texts_at(db: &Backend, sql: &str, column: usize) -> Vec<String> {
    let conn = db.connect().await;
    let rows = conn
        .query_all_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            sql,
        ))
        .await
        .unwrap_or_else(|e| panic!("{}: {sql}: {e}", db.name()));
    conn.close().await.unwrap();
    rows.iter()
        .map(|r| {
            r.try_get_by_index::<Option<String>>(column)
                .unwrap()
                .unwrap_or_else(|| "NULL".into())
        })
        .collect()
}

/// A user who may only read `db` (SQLite: the file opened read-only): its URL, and the
/// statements that remove it (run them on `db`).
pub async fn read_only_user(db: &Backend) -> (Backend, Vec<String>) {
    // Users are the server's, not the database's: unique to this process and call.
    let user = format!("mm_ro_{}", unique_suffix_short());
    match db {
        Backend::Postgres { database, .. } => {
            db.execute(&format!(
                "CREATE ROLE {user} LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC; \
                 GRANT CONNECT ON DATABASE \"{database}\" TO {user}; \
                 GRANT USAGE ON SCHEMA public TO {user}; \
                 GRANT SELECT ON ALL TABLES IN SCHEMA public TO {user}"
            ))
            .await;
            (
                Backend::Url(db.url().replacen("postgres@", &format!("{user}@"), 1)),
                vec![format!("DROP OWNED BY {user}"), format!("DROP ROLE {user}")],
            )
        }
        Backend::MySql { database, .. } => {
            db.execute(&format!(
                "CREATE USER '{user}'@'%'; GRANT SELECT ON `{database}`.* TO '{user}'@'%'"
            ))
            .await;
            (
                Backend::Url(db.url().replacen("root@", &format!("{user}@"), 1)),
                vec![format!("DROP USER IF EXISTS '{user}'@'%'")],
            )
        }
        _ => (
            Backend::Url(db.url().replace("mode=rwc", "mode=ro")),
            Vec::new(),
        ),
    }
}

/// The index of the backend called `name` (`sqlite`, `postgres`, `mysql`), if it is enabled.
pub fn position(backends: &[Backend], name: &str) -> Option<usize> {
    backends.iter().position(|b| b.name() == name)
}

/// `<pid>_<n>_<nanos>`: tests of one binary run on threads of one process, and a coarse clock
/// (seen in CI) gives two of them the same nanoseconds; the counter keeps their names apart.
pub fn unique_suffix() -> String {
    format!("{}_{}_{}", std::process::id(), next_in_process(), nanos())
}

/// As [`unique_suffix`], short enough for a MySQL user name (32 characters).
pub fn unique_suffix_short() -> String {
    let nanos = nanos() % 1_000_000_000;
    format!("{}_{}_{nanos}", std::process::id(), next_in_process())
}

fn next_in_process() -> usize {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// A column's data type as `information_schema` names it (`bigint`), on PostgreSQL or MySQL.
pub async fn column_data_type(db: &Backend, table: &str, column: &str) -> Vec<String> {
    let sql = match db {
        Backend::Postgres { .. } => format!(
            "SELECT data_type::text FROM information_schema.columns \
             WHERE table_name = '{table}' AND column_name = '{column}'"
        ),
        _ => format!(
            "SELECT CAST(DATA_TYPE AS CHAR) FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '{table}' \
             AND COLUMN_NAME = '{column}'"
        ),
    };
    texts(db, &sql).await
}
