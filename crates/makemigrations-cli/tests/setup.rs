//! Setting up and starting over (issue: "Adoption and set-up"), through the real binaries on
//! every enabled backend: `makemigrations init` converting a sea-orm-cli migration crate whose
//! rows are already in `seaql_migrations` (the history is kept, the next `makemigrations` works),
//! `fresh` dropping only what the project owns and applying everything again (and refusing what
//! does not look like a development database), and `migrate --create-db`.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::{Backend, Output, TestProject};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

async fn count(db: &Backend, table: &str) -> Vec<String> {
    let sql = match db {
        Backend::Postgres { .. } => format!("SELECT COUNT(*)::text FROM {table}"),
        Backend::MySql { .. } => format!("SELECT CAST(COUNT(*) AS CHAR) FROM {table}"),
        _ => format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table}"),
    };
    support::texts(db, &sql).await
}

/// `fresh` on a database with the project's tables, rows in them, a table of another service
/// and an ignored one: asked without a terminal it does nothing (exit 3); with `--yes` it drops
/// the project's tables only and applies every migration again; `--no-migrate` leaves them
/// pending.
#[tokio::test(flavor = "multi_thread")]
async fn fresh_starts_the_projects_tables_over_and_leaves_the_rest() {
    let backends = support::enabled_backends().await;
    let project = TestProject::with_initial_migration(&backends[0]);
    project.build();
    for db in &backends {
        let name = db.name();
        let out = project.run(db, &["migrate"]);
        assert!(out.success, "{name}: migrate:\n{}", out.text);
        db.seed().await;
        db.execute("CREATE TABLE other_service (id INT PRIMARY KEY)")
            .await;
        db.execute("INSERT INTO other_service (id) VALUES (7)")
            .await;
        db.execute("CREATE TABLE legacy_audit (id INT PRIMARY KEY)")
            .await;

        let fresh = |args: &[&str]| {
            let mut all = vec!["--ignore-table", "legacy_*", "fresh"];
            all.extend_from_slice(args);
            project.run(db, &all)
        };
        let out = fresh(&[]);
        assert_eq!(
            out.code,
            Some(3),
            "{name}: fresh without a terminal:\n{}",
            out.text
        );
        assert!(
            out.text.contains("run `fresh --yes` to confirm"),
            "{name}:\n{}",
            out.text
        );
        assert!(
            out.text.contains("users"),
            "{name}: lists what it drops:\n{}",
            out.text
        );
        assert!(
            out.text
                .contains("It leaves alone: legacy_audit, other_service"),
            "{name}:\n{}",
            out.text
        );
        assert_eq!(count(db, "users").await, ["1"], "{name}: nothing dropped");

        let out = fresh(&["--yes"]);
        assert!(out.success, "{name}: fresh --yes:\n{}", out.text);
        assert!(
            out.text.contains("Applying 1 migration(s)"),
            "{name}:\n{}",
            out.text
        );
        assert_eq!(count(db, "users").await, ["0"], "{name}: users starts over");
        assert_eq!(count(db, "other_service").await, ["1"], "{name}: kept");
        assert_eq!(count(db, "legacy_audit").await, ["0"], "{name}: kept");
        let out = project.run(db, &["check"]);
        assert!(out.success, "{name}: check after fresh:\n{}", out.text);

        let out = fresh(&["--yes", "--no-migrate"]);
        assert!(out.success, "{name}: fresh --no-migrate:\n{}", out.text);
        let tables = support::table_names(db).await;
        assert!(!tables.contains(&"users".to_string()), "{name}: {tables:?}");
        assert!(
            tables.contains(&"other_service".to_string()),
            "{name}: {tables:?}"
        );
        let out = project.run(db, &["showmigrations"]);
        assert!(
            out.text.contains(" [ ] m"),
            "{name}: pending again:\n{}",
            out.text
        );
        let out = project.run(db, &["migrate"]);
        assert!(out.success, "{name}: migrate after fresh:\n{}", out.text);
    }
}

/// At a terminal `fresh` asks: no drops nothing (exit 1), yes drops and applies.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn fresh_asks_at_a_terminal() {
    use rexpect::process::wait::WaitStatus;
    use rexpect::session::spawn_command;
    let db = Backend::sqlite();
    let project = TestProject::with_initial_migration(&db);
    project.build();
    assert!(project.run(&db, &["migrate"]).success);
    db.seed().await;

    let mut session = spawn_command(project.command(&db, &["fresh"]), Some(60_000)).unwrap();
    session.exp_string("Drop them? [y/N]").unwrap();
    session.send_line("n").unwrap();
    session.exp_string("Nothing dropped.").unwrap();
    assert_eq!(
        session.process.wait().unwrap(),
        WaitStatus::Exited(session.process.child_pid, 1)
    );
    assert_eq!(
        count(&db, "users").await,
        ["1"],
        "answered no: nothing dropped"
    );

    let mut session = spawn_command(project.command(&db, &["fresh"]), Some(60_000)).unwrap();
    session.exp_string("Drop them? [y/N]").unwrap();
    session.send_line("y").unwrap();
    session.exp_string("Applying 1 migration(s)").unwrap();
    session.exp_eof().unwrap();
    assert_eq!(
        session.process.wait().unwrap(),
        WaitStatus::Exited(session.process.child_pid, 0)
    );
    assert_eq!(
        count(&db, "users").await,
        ["0"],
        "answered yes: started over"
    );
}

/// A database that does not look like a development one is refused before anything is
/// touched (exit 2, the rule and `--force` named, no password shown); `--force` goes ahead.
#[tokio::test(flavor = "multi_thread")]
async fn fresh_refuses_what_does_not_look_like_a_development_database() {
    let project = TestProject::new();
    project.build();
    let out = project.run(
        &Backend::Url("postgres://app:s3cret-pw@db.example.com:5432/shop".into()),
        &["fresh", "--yes"],
    );
    assert_eq!(out.code, Some(2), "{}", out.text);
    assert!(
        out.text.contains("`db.example.com` is not on this machine"),
        "{}",
        out.text
    );
    assert!(out.text.contains("fresh --force"), "{}", out.text);
    assert!(!out.text.contains("s3cret-pw"), "{}", out.text);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop_production.sqlite3");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let production = Backend::Url(url);
    let out = project.run(&production, &["fresh", "--yes"]);
    assert_eq!(out.code, Some(2), "{}", out.text);
    assert!(
        out.text.contains("has the word `production`"),
        "{}",
        out.text
    );
    assert!(!file.exists(), "a refusal creates nothing");
    let out = project.run(&production, &["fresh", "--yes", "--force"]);
    assert!(out.success, "fresh --force:\n{}", out.text);
}

/// `migrate` on a database that is missing names `--create-db`; `migrate --create-db` creates it
/// and applies, and says nothing of creating the second time.
#[tokio::test(flavor = "multi_thread")]
async fn migrate_create_db_creates_a_missing_database() {
    let backends = support::enabled_backends().await;
    let project = TestProject::with_initial_migration(&backends[0]);
    project.build();
    for db in &backends {
        let name = db.name();
        let missing = missing_database(db);
        let out = project.run(&missing, &["migrate"]);
        assert_eq!(
            out.code,
            Some(5),
            "{name}: migrate on a missing database:\n{}",
            out.text
        );
        assert!(
            out.text.contains("migrate --create-db"),
            "{name}:\n{}",
            out.text
        );

        let out = project.run(&missing, &["migrate", "--create-db"]);
        assert!(out.success, "{name}: migrate --create-db:\n{}", out.text);
        assert!(
            out.text.contains("Created database"),
            "{name}:\n{}",
            out.text
        );
        assert!(
            out.text.contains("Applying 1 migration(s)"),
            "{name}:\n{}",
            out.text
        );
        let out = project.run(&missing, &["migrate", "--create-db"]);
        assert!(out.success, "{name}: again:\n{}", out.text);
        assert!(
            !out.text.contains("Created database"),
            "{name}:\n{}",
            out.text
        );
        assert!(
            out.text.contains("No migrations to apply."),
            "{name}:\n{}",
            out.text
        );
        drop_created(db).await;
    }
}

/// A URL naming a database that does not exist yet on `db`'s server (SQLite: a file, in a URL
/// that does not let the driver create it).
fn missing_database(db: &Backend) -> Backend {
    match db {
        Backend::Sqlite { url, .. } => {
            let file = url
                .trim_start_matches("sqlite://")
                .split('?')
                .next()
                .unwrap();
            let new = Path::new(file).with_file_name("created.sqlite3");
            Backend::Url(format!("sqlite://{}", new.display()))
        }
        Backend::Postgres { url, database, .. } | Backend::MySql { url, database, .. } => {
            Backend::Url(url.replace(database.as_str(), &format!("{database}_created")))
        }
        Backend::Url(_) => unreachable!(),
    }
}

/// Drops the database [`missing_database`] named, on a server (SQLite's goes with its folder).
async fn drop_created(db: &Backend) {
    let (sql, admin) = match db {
        Backend::Postgres {
            database,
            admin_url,
            ..
        } => (
            format!("DROP DATABASE IF EXISTS \"{database}_created\" WITH (FORCE)"),
            admin_url,
        ),
        Backend::MySql {
            database,
            admin_url,
            ..
        } => (
            format!("DROP DATABASE IF EXISTS `{database}_created`"),
            admin_url,
        ),
        _ => return,
    };
    Backend::Url(admin.clone()).execute(&sql).await;
}

// ---- init, and a sea-orm-cli migration crate -------------------------------------------------

const WORKSPACE_MANIFEST: &str = r#"# The shop's workspace.
[workspace]
resolver = "2"
members = [
    "app", # the web server
]
"#;

const ENTITY_MANIFEST: &str = r#"[package]
name = "entity"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
sea-orm = { version = "2.0.4", default-features = false, features = ["macros"] }
"#;

const POST_ENTITY: &str = r#"//! `SeaORM` Entity, @generated by sea-orm-codegen 2.0.4

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, Eq)]
#[sea_orm(table_name = "post")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub text: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
"#;

/// The migration crate as `sea-orm-cli migrate init` (1.x, with async-std) and `migrate
/// generate` leave it, renamed by its team, with a binary and a feature of their own and the
/// entity crate its data migrations use.
const MIGRATION_MANIFEST: &str = r#"[package]
name = "shop-migration"
version = "0.1.0"
edition = "2021"
publish = false

[features]
seed = []

[[bin]]
name = "seed"
path = "src/bin/seed.rs"

[dependencies]
async-std = { version = "1", features = ["attributes", "tokio1"] }
entity = { path = "../entity" }

[dependencies.sea-orm-migration]
version = "2.0.4"
features = [
  # Enable at least one `ASYNC_RUNTIME` and `DATABASE_DRIVER` feature if you want to run migration via CLI.
  "runtime-tokio-rustls",  # `ASYNC_RUNTIME` feature
  "sqlx-postgres",         # `DATABASE_DRIVER` feature
]
"#;

const MIGRATION_LIB: &str = r#"pub use sea_orm_migration::prelude::*;

mod m20220101_000001_create_table;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20220101_000001_create_table::Migration)]
    }
}
"#;

const MIGRATION_MAIN: &str = r#"use sea_orm_migration::prelude::*;

#[async_std::main]
async fn main() {
    cli::run_cli(shop_migration::Migrator).await;
}
"#;

const CREATE_TABLE: &str = r#"use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Post::Table)
                    .if_not_exists()
                    .col(pk_auto(Post::Id))
                    .col(ColumnDef::new(Post::Title).string_len(255).not_null())
                    .col(ColumnDef::new(Post::Text).text().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Post::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Post {
    Table,
    Id,
    Title,
    Text,
}
"#;

/// A workspace with an application, an entity crate from `sea-orm-cli generate entity`, a
/// sea-orm-cli migration crate, its own Makefile (with a `migrate` target) and .gitignore.
fn sea_orm_cli_workspace() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("mm-setup-")
        .tempdir()
        .unwrap();
    let files: &[(&str, &str)] = &[
        ("Cargo.toml", WORKSPACE_MANIFEST),
        (
            "Makefile",
            "run:\n\tcargo run -p app\n\nmigrate:\n\tsea-orm-cli migrate up\n",
        ),
        (".gitignore", "target\n"),
        (
            "app/Cargo.toml",
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        ("app/src/main.rs", "fn main() {}\n"),
        ("entity/Cargo.toml", ENTITY_MANIFEST),
        (
            "entity/src/lib.rs",
            "//! `SeaORM` Entity, @generated by sea-orm-codegen 2.0.4\n\npub mod prelude;\n\npub mod post;\n",
        ),
        (
            "entity/src/prelude.rs",
            "pub use super::post::Entity as Post;\n",
        ),
        ("entity/src/post.rs", POST_ENTITY),
        ("migration/Cargo.toml", MIGRATION_MANIFEST),
        ("migration/src/lib.rs", MIGRATION_LIB),
        ("migration/src/main.rs", MIGRATION_MAIN),
        ("migration/src/bin/seed.rs", "fn main() {}\n"),
        (
            "migration/src/m20220101_000001_create_table.rs",
            CREATE_TABLE,
        ),
    ];
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::copy(
        repo_root().join("Cargo.lock"),
        dir.path().join("Cargo.lock"),
    )
    .unwrap();
    dir
}

/// Every file under `dir` with its text (what `--dry-run` and a refusal must leave as it was).
fn tree(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in std::fs::read_dir(next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), text);
            }
        }
    }
    files
}

fn init(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_makemigrations"))
        .arg("init")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Output {
        success: out.status.success(),
        code: out.status.code(),
        text,
    }
}

/// What sea-orm-cli's `migrate up` left in a database: the table of the first migration, a row
/// in it, and the migration's row in `seaql_migrations`.
async fn as_sea_orm_cli_left_it(db: &Backend) {
    let (post, tracking) = match db {
        Backend::Postgres { .. } => (
            "CREATE TABLE post (id serial PRIMARY KEY, title varchar(255) NOT NULL, text text NOT NULL)",
            "CREATE TABLE seaql_migrations (version varchar NOT NULL PRIMARY KEY, applied_at bigint NOT NULL)",
        ),
        Backend::MySql { .. } => (
            "CREATE TABLE post (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, title varchar(255) NOT NULL, text text NOT NULL)",
            "CREATE TABLE seaql_migrations (version varchar(255) NOT NULL PRIMARY KEY, applied_at bigint NOT NULL)",
        ),
        _ => (
            "CREATE TABLE post (id integer NOT NULL PRIMARY KEY AUTOINCREMENT, title varchar(255) NOT NULL, text text NOT NULL)",
            "CREATE TABLE seaql_migrations (version varchar NOT NULL PRIMARY KEY, applied_at bigint NOT NULL)",
        ),
    };
    db.execute(post).await;
    db.execute(tracking).await;
    db.execute("INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20220101_000001_create_table', 1650000000)").await;
    db.execute("INSERT INTO post (title, text) VALUES ('Hello', 'First post')")
        .await;
}

/// Held by each test that builds an `init` workspace.
static INIT_BUILDS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn build(dir: &Path, package: &str) {
    let out = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", package])
        .env("CARGO_TARGET_DIR", repo_root().join("target"))
        .env("CARGO_INCREMENTAL", "0")
        .current_dir(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the workspace does not build after init:\n{stderr}"
    );
    // What init writes is code the team will read and build every day.
    assert!(
        !stderr.contains("warning"),
        "the workspace builds with warnings after init:\n{stderr}"
    );
}

fn run(dir: &Path, binary: &Path, db: &Backend, args: &[&str]) -> Output {
    let out = Command::new(binary)
        .args(args)
        .env("DATABASE_URL", db.url())
        .current_dir(dir)
        .output()
        .unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Output {
        success: out.status.success(),
        code: out.status.code(),
        text,
    }
}

/// `init` in a workspace with a sea-orm-cli migration crate: `--dry-run` and a refusal write
/// nothing; `init` converts it; the workspace builds; on every backend the old migration shows
/// applied, `migrate` does nothing but record its checksum, `check` passes, the next
/// `makemigrations` writes a migration beside it, and `fresh` applies both again.
#[tokio::test(flavor = "multi_thread")]
async fn init_converts_a_sea_orm_cli_migration_crate_and_keeps_its_history() {
    // The two init tests build workspaces laid out alike (`entity/`, `migration/`), whose
    // artifacts share names in the shared target directory: one at a time.
    let _one_at_a_time = INIT_BUILDS.lock().await;
    let backends = support::enabled_backends().await;
    let workspace = sea_orm_cli_workspace();
    let root = workspace.path();
    let tool = repo_root().join("crates");
    let tool = tool.to_str().unwrap();

    let before = tree(root);
    let out = init(root, &["--dry-run", "--tool-path", tool]);
    assert!(out.success, "init --dry-run:\n{}", out.text);
    for listed in [
        "move    migration/src/m20220101_000001_create_table.rs -> migration/src/migrations/m20220101_000001_create_table.rs",
        "rewrite migration/src/lib.rs",
        "create  migration/build.rs",
        "rewrite Cargo.toml (adds entity and migration to [workspace] members; optimises dependencies in debug builds: [profile.dev.package.\"*\"] opt-level = 1)",
        "create  makemigrations.mk",
        "append  Makefile",
        "create  .env.example",
        "append  .gitignore",
    ] {
        assert!(out.text.contains(listed), "--dry-run lists `{listed}`:\n{}", out.text);
    }
    assert!(
        out.text.contains("found the entity crate `entity`"),
        "{}",
        out.text
    );
    assert_eq!(tree(root), before, "--dry-run wrote something");

    // A file of the user's where init would write one: refused, nothing written.
    std::fs::write(root.join("makemigrations.mk"), "# mine\n").unwrap();
    let before = tree(root);
    let out = init(root, &["--tool-path", tool]);
    assert_eq!(out.code, Some(2), "{}", out.text);
    assert!(
        out.text
            .contains("init would overwrite makemigrations.mk; nothing was written"),
        "{}",
        out.text
    );
    assert_eq!(tree(root), before, "a refusal wrote something");
    std::fs::remove_file(root.join("makemigrations.mk")).unwrap();

    // Without the dev profile: with it the build below would compile every dependency again,
    // in the target directory the other tests share (the profile's edit has unit tests).
    let out = init(root, &["--tool-path", tool, "--no-dev-profile"]);
    assert!(out.success, "init:\n{}", out.text);
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert_eq!(
        manifest,
        WORKSPACE_MANIFEST.replace(
            "    \"app\", # the web server\n",
            "    \"app\", # the web server\n    \"entity\",\n    \"migration\",\n"
        ),
        "the workspace manifest keeps its layout and comments"
    );
    let makefile = std::fs::read_to_string(root.join("Makefile")).unwrap();
    assert!(
        makefile.starts_with("run:\n\tcargo run -p app\n"),
        "{makefile}"
    );
    assert!(
        makefile.ends_with("include makemigrations.mk\n"),
        "{makefile}"
    );
    let ours = std::fs::read_to_string(root.join("makemigrations.mk")).unwrap();
    assert!(
        ours.contains("db-migrate:"),
        "the Makefile's own `migrate` is kept:\n{ours}"
    );
    let gitignore = std::fs::read_to_string(root.join(".gitignore")).unwrap();
    assert!(
        gitignore.contains("\n.env\n") && gitignore.contains("db.sqlite3"),
        "{gitignore}"
    );
    assert!(root
        .join("migration/src/migrations/m20220101_000001_create_table.rs")
        .exists());
    let again = init(root, &["--tool-path", tool, "--no-dev-profile"]);
    assert!(again.success, "init again:\n{}", again.text);
    assert!(again.text.contains("Nothing to do"), "{}", again.text);
    // The crate's own binary, feature and dependencies stay; async-std, which only sea-orm-cli's
    // main.rs used, goes; main.rs names the crate's library by its name.
    assert!(
        out.text.contains("removed async-std"),
        "init says what it removed:\n{}",
        out.text
    );
    let converted = std::fs::read_to_string(root.join("migration/Cargo.toml")).unwrap();
    for kept in [
        "name = \"seed\"",
        "seed = []",
        "entity = { path = \"../entity\" }",
        "default = [\"cli\"]",
    ] {
        assert!(converted.contains(kept), "`{kept}` is kept:\n{converted}");
    }
    assert!(
        !converted.contains("async-std")
            && !converted.contains("dep:entity")
            && !converted.contains("sqlx-postgres"),
        "{converted}"
    );
    let main = std::fs::read_to_string(root.join("migration/src/main.rs")).unwrap();
    assert!(
        main.contains("makemigrations_cli::cli::run(shop_migration::project())"),
        "{main}"
    );

    // A binary name of its own in the shared target directory (as the scratch projects have).
    let bin = format!("migration-setup-{}", std::process::id());
    let manifest_path = root.join("migration/Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest_path).unwrap();
    text.push_str(&format!(
        "\n[[bin]]\nname = \"{bin}\"\npath = \"src/main.rs\"\n"
    ));
    std::fs::write(&manifest_path, text).unwrap();
    build(root, "shop-migration");
    let binary = repo_root().join("target/debug").join(&bin);
    struct RemoveBinary(PathBuf);
    impl Drop for RemoveBinary {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    let _remove = RemoveBinary(binary.clone());

    for db in &backends {
        let name = db.name();
        as_sea_orm_cli_left_it(db).await;
        let out = run(root, &binary, db, &["showmigrations"]);
        assert!(
            out.text
                .contains("[X] m20220101_000001_create_table  (applied 2022-04-15 05:20:00 UTC)"),
            "{name}: showmigrations:\n{}",
            out.text
        );
        let out = run(root, &binary, db, &["migrate"]);
        assert!(out.success, "{name}: migrate:\n{}", out.text);
        assert!(
            out.text.contains("No migrations to apply."),
            "{name}:\n{}",
            out.text
        );
        let out = run(root, &binary, db, &["check"]);
        assert!(out.success, "{name}: check:\n{}", out.text);
        assert!(!out.text.contains("edited"), "{name}:\n{}", out.text);
        let checksums = support::texts(db, "SELECT version FROM makemigrations_checksums").await;
        assert_eq!(checksums, ["m20220101_000001_create_table"], "{name}");
    }

    // The next change: a column, generated beside the old migration and applied everywhere.
    let post = root.join("entity/src/post.rs");
    let text = std::fs::read_to_string(&post).unwrap().replace(
        "    pub text: String,\n",
        "    pub text: String,\n    pub views: Option<i32>,\n",
    );
    std::fs::write(&post, text).unwrap();
    build(root, "shop-migration");
    let out = run(
        root,
        &binary,
        &backends[0],
        &["makemigrations", "-m", "add views"],
    );
    assert!(out.success, "makemigrations:\n{}", out.text);
    assert!(out.text.contains("+ Add column post.views"), "{}", out.text);
    build(root, "shop-migration");
    for db in &backends {
        let name = db.name();
        let out = run(root, &binary, db, &["migrate"]);
        assert!(out.success, "{name}: migrate the new one:\n{}", out.text);
        assert!(
            out.text.contains("Applying 1 migration(s)"),
            "{name}:\n{}",
            out.text
        );
        let out = run(root, &binary, db, &["check"]);
        assert!(out.success, "{name}: check:\n{}", out.text);
        assert_eq!(count(db, "post").await, ["1"], "{name}: the row stays");

        let out = run(root, &binary, db, &["fresh", "--yes"]);
        assert!(out.success, "{name}: fresh:\n{}", out.text);
        assert!(
            out.text.contains("Applying 2 migration(s)"),
            "{name}:\n{}",
            out.text
        );
        assert_eq!(count(db, "post").await, ["0"], "{name}: post starts over");
        let out = run(root, &binary, db, &["check"]);
        assert!(out.success, "{name}: check after fresh:\n{}", out.text);
    }
}

/// `init` in a workspace without the crates creates them, and the result builds and runs.
#[tokio::test(flavor = "multi_thread")]
async fn init_creates_the_crates_in_a_workspace_without_them() {
    // The two init tests build workspaces laid out alike (`entity/`, `migration/`), whose
    // artifacts share names in the shared target directory: one at a time.
    let _one_at_a_time = INIT_BUILDS.lock().await;
    let dir = tempfile::Builder::new()
        .prefix("mm-setup-new-")
        .tempdir()
        .unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("Cargo.toml"),
        "[workspace]\nresolver = \"2\"\nmembers = []\n",
    )
    .unwrap();
    std::fs::copy(repo_root().join("Cargo.lock"), root.join("Cargo.lock")).unwrap();
    // Not a workspace root: refused, nothing written.
    std::fs::create_dir(root.join("sub")).unwrap();
    std::fs::write(root.join("sub/Cargo.toml"), "[package]\nname = \"sub\"\n").unwrap();
    let out = init(&root.join("sub"), &[]);
    assert_eq!(out.code, Some(2), "{}", out.text);
    assert!(
        out.text.contains("has no [workspace] table"),
        "{}",
        out.text
    );
    std::fs::remove_dir_all(root.join("sub")).unwrap();

    let tool = repo_root().join("crates");
    // Without the dev profile, as in the test above.
    let out = init(
        root,
        &["--tool-path", tool.to_str().unwrap(), "--no-dev-profile"],
    );
    assert!(out.success, "init:\n{}", out.text);
    for file in [
        "entity/Cargo.toml",
        "entity/src/lib.rs",
        "migration/Cargo.toml",
        "migration/build.rs",
        "migration/src/lib.rs",
        "migration/src/main.rs",
        "Makefile",
        ".env.example",
        ".gitignore",
    ] {
        assert!(
            root.join(file).exists(),
            "{file} was not written:\n{}",
            out.text
        );
    }
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains(r#"members = ["entity", "migration"]"#) && !manifest.contains("profile"),
        "{manifest}"
    );
    // A second run finds everything in place, the Makefile it created included (its targets
    // are not the team's, so no second set of them named db-...).
    let again = init(
        root,
        &["--tool-path", tool.to_str().unwrap(), "--no-dev-profile"],
    );
    assert!(
        again.success && again.text.contains("Nothing to do"),
        "init again:\n{}",
        again.text
    );
    assert!(!root.join("makemigrations.mk").exists(), "{}", again.text);
    let bin = format!("migration-setup-new-{}", std::process::id());
    let manifest_path = root.join("migration/Cargo.toml");
    let mut text = std::fs::read_to_string(&manifest_path).unwrap();
    text.push_str(&format!(
        "\n[[bin]]\nname = \"{bin}\"\npath = \"src/main.rs\"\n"
    ));
    std::fs::write(&manifest_path, text).unwrap();
    build(root, "migration");
    let binary = repo_root().join("target/debug").join(&bin);
    let db = Backend::sqlite();
    let out = run(root, &binary, &db, &["makemigrations"]);
    let _ = std::fs::remove_file(&binary);
    assert!(out.success, "makemigrations:\n{}", out.text);
    assert!(out.text.contains("No changes detected"), "{}", out.text);
}
