//! `makemigrations init`: what it takes to set the tool up in an existing Cargo workspace, as a
//! list of file steps, and writing them. The command line (`cli::init`) prints and decides
//! nothing.
//!
//! It finds or creates the entity crate, creates the migration crate or converts one that
//! sea-orm-cli made (its migration files move to `src/migrations/`, where the build script finds
//! them; `lib.rs` and `main.rs` become ours; its rows in `seaql_migrations` stay valid, since the
//! names do not change), adds both to the workspace's members, optimises the dependencies in
//! debug builds (`[profile.dev.package."*"] opt-level = 1`, unless the manifest sets it or
//! `--no-dev-profile`), and adds the Makefile targets, a `.env.example` and the `.gitignore`
//! entries. A step that would overwrite a file the user wrote refuses the whole plan, with
//! nothing written.

// The crate's one `Error` enum is large, as for every other module's plain functions.
#![allow(clippy::result_large_err)]

use std::path::{Path, PathBuf};

use toml_edit::{value, Array, DocumentMut, InlineTable, Item, Table, Value};

use crate::error::Error;

/// The sea-orm version the tool is built with; the entity and migration crates must use it too.
pub const SEA_ORM_VERSION: &str = "2.0.4";
const SEA_ORM_FEATURES: &[&str] = &[
    "sqlx-postgres",
    "sqlx-sqlite",
    "sqlx-mysql",
    "runtime-tokio-rustls",
    "with-json",
    "with-chrono",
    "with-rust_decimal",
    "with-uuid",
];
/// The Makefile targets, in the order they are written.
const MAKE_TARGETS: &[&str] = &[
    "makemigrations",
    "migrate",
    "rollback",
    "showmigrations",
    "check",
    "fresh",
];

/// Where the migration crate gets the tool's crates from (they are not on crates.io).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolSource {
    /// The directory that holds `makemigrations/` and `makemigrations-build/` (a checkout's
    /// `crates/`).
    Path(PathBuf),
    Git {
        url: String,
        rev: Option<String>,
    },
}

impl ToolSource {
    fn dependency(&self, package: &str, from: &Path) -> InlineTable {
        let mut table = InlineTable::new();
        match self {
            ToolSource::Path(dir) => {
                let dir = dir.join(package);
                let shown = relative_to(&dir, from).unwrap_or(dir);
                table.insert("path", shown.display().to_string().into());
            }
            ToolSource::Git { url, rev } => {
                table.insert("git", url.as_str().into());
                if let Some(rev) = rev {
                    table.insert("rev", rev.as_str().into());
                }
            }
        }
        table
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    /// The entity crate's directory, relative to the workspace root.
    pub entity_dir: String,
    /// The migration crate's directory, relative to the workspace root.
    pub migration_dir: String,
    pub tool: ToolSource,
    /// Add [`DEV_PROFILE_OPT_LEVEL`] to the root manifest's `[profile.dev.package."*"]`.
    pub dev_profile: bool,
}

/// The optimisation the root manifest's `[profile.dev.package."*"]` gets: every dependency (the
/// tool's and the application's: whatever is not a workspace member) optimised in the debug
/// build that `cargo run -p migration` makes, the team's own crates not. On 1,000 tables it
/// takes a warm `makemigrations --check` from 0.40 – 0.64 s to 0.16 – 0.28 s, for a longer
/// first build (docs/benchmarks.md, "A faster debug build").
pub const DEV_PROFILE_OPT_LEVEL: i64 = 1;

/// One change to the workspace, paths relative to its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A new file.
    Create { path: PathBuf, text: String },
    /// Lines added at the end of a file (created when missing).
    Append { path: PathBuf, text: String },
    /// A file of sea-orm-cli's, or a manifest, rewritten; `why` says what changes.
    Rewrite {
        path: PathBuf,
        text: String,
        why: String,
    },
    /// A migration file moved where the build script finds it.
    Move { from: PathBuf, to: PathBuf },
}

impl Step {
    /// `create migration/build.rs`, as `--dry-run` and the report list it.
    pub fn describe(&self) -> String {
        match self {
            Step::Create { path, .. } => format!("create  {}", path.display()),
            Step::Append { path, .. } => format!("append  {}", path.display()),
            Step::Rewrite { path, why, .. } => format!("rewrite {} ({why})", path.display()),
            Step::Move { from, to } => format!("move    {} -> {}", from.display(), to.display()),
        }
    }
}

/// What `init` does, and what it found.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub steps: Vec<Step>,
    /// What was found and kept, and what the user should know (printed as notes).
    pub notes: Vec<String>,
}

/// Reads the workspace at `root` and plans the steps. Reads only; refuses (an `Error::Refused`,
/// exit 2) when a step would overwrite a file the user wrote.
pub fn plan(root: &Path, options: &Options) -> Result<Plan, Error> {
    let manifest_path = root.join("Cargo.toml");
    let manifest = read_manifest(&manifest_path)?;
    if manifest.get("workspace").is_none() {
        return Err(Error::Refused(format!(
            "{} has no [workspace] table, so there is no workspace to add the entity and migration crates to; nothing was written\n  fix: run `makemigrations init` in the directory whose Cargo.toml has [workspace], or add `[workspace]` with `members = [\".\"]` to this one",
            shown(&manifest_path, root)
        )));
    }
    let mut plan = Plan::default();
    let entity = plan_entity_crate(root, options, &mut plan)?;
    plan_migration_crate(root, options, &entity, &mut plan)?;
    plan_root_manifest(&manifest, options, &mut plan);
    plan_makefile(root, options, &mut plan)?;
    plan_env(root, &mut plan)?;
    let conflicts: Vec<String> = plan
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Create { path, .. } if root.join(path).exists() => {
                Some(path.display().to_string())
            }
            Step::Move { to, .. } if root.join(to).exists() => Some(to.display().to_string()),
            _ => None,
        })
        .collect();
    if !conflicts.is_empty() {
        return Err(Error::Refused(format!(
            "init would overwrite {}; nothing was written\n  fix: move or delete {}, or choose other directories with --entity-dir and --migration-dir",
            conflicts.join(", "),
            if conflicts.len() == 1 { "it" } else { "them" }
        )));
    }
    Ok(plan)
}

/// Writes the steps in order. A failure names the step; what was written before it stays.
pub fn apply(root: &Path, plan: &Plan) -> Result<(), Error> {
    let failed = |step: &Step, e: std::io::Error| {
        Error::Refused(format!(
            "init could not {}: {e}\n  fix: correct the permissions and run `makemigrations init` again (the steps already done are listed above it as done)",
            step.describe()
        ))
    };
    for step in &plan.steps {
        let result = match step {
            Step::Create { path, text } | Step::Rewrite { path, text, .. } => {
                let path = root.join(path);
                path.parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|_| std::fs::write(&path, text))
            }
            Step::Append { path, text } => {
                use std::io::Write as _;
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(root.join(path))
                    .and_then(|mut f| f.write_all(text.as_bytes()))
            }
            Step::Move { from, to } => root
                .join(to)
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|_| std::fs::rename(root.join(from), root.join(to))),
        };
        result.map_err(|e| failed(step, e))?;
    }
    Ok(())
}

/// The entity crate as the migration crate names it.
struct EntityCrate {
    /// The package name.
    name: String,
    dir: String,
}

fn plan_entity_crate(
    root: &Path,
    options: &Options,
    plan: &mut Plan,
) -> Result<EntityCrate, Error> {
    let dir = options.entity_dir.trim_end_matches('/').to_string();
    let manifest_path = root.join(&dir).join("Cargo.toml");
    if manifest_path.exists() {
        let manifest = read_manifest(&manifest_path)?;
        let name = package_name(&manifest).unwrap_or_else(|| dir.clone());
        let sea_orm = dependency_version(&manifest, "sea-orm");
        plan.notes.push(format!(
            "found the entity crate `{name}` in {dir}/ (kept as it is)"
        ));
        if let Some(version) =
            sea_orm.filter(|v| !v.trim_start_matches(['^', '=']).starts_with('2'))
        {
            plan.notes.push(format!(
                "{dir}/Cargo.toml asks for sea-orm {version}; the tool is built with sea-orm {SEA_ORM_VERSION}, and the entities must use the same major version: set `sea-orm = {{ version = \"{SEA_ORM_VERSION}\", ... }}` there"
            ));
        }
        return Ok(EntityCrate { name, dir });
    }
    let name = Path::new(&dir)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "entity".into());
    plan.steps.push(Step::Create {
        path: PathBuf::from(&dir).join("Cargo.toml"),
        text: format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nsea-orm = {}\n",
            sea_orm_dependency(&["macros"])
        ),
    });
    plan.steps.push(Step::Create {
        path: PathBuf::from(&dir).join("src/lib.rs"),
        text: "//! The SeaORM entities, one module per table (`pub mod users;`). `sea-orm-cli generate entity\n\
               //! -o <this crate>/src --lib` writes them from an existing database. The migration crate's\n\
               //! build script finds them; no list to keep.\n"
            .into(),
    });
    Ok(EntityCrate { name, dir })
}

fn plan_migration_crate(
    root: &Path,
    options: &Options,
    entity: &EntityCrate,
    plan: &mut Plan,
) -> Result<(), Error> {
    let dir = PathBuf::from(options.migration_dir.trim_end_matches('/'));
    let entity_from_migration = relative_to(&root.join(&entity.dir), &root.join(&dir))
        .unwrap_or_else(|| root.join(&entity.dir));
    let lib_path = root.join(&dir).join("src/lib.rs");
    let lib = std::fs::read_to_string(&lib_path).ok();
    if lib
        .as_deref()
        .is_some_and(|l| l.contains("/migrations.rs\"))"))
    {
        plan.notes.push(format!(
            "{} is already set up for makemigrations (kept as it is)",
            dir.display()
        ));
        return Ok(());
    }
    let build_rs = format!(
        "// Lists the migration files and the entities at compile time: adding a file or an entity needs\n\
         // no edit anywhere else.\nfn main() {{\n    makemigrations_build::Config::new({:?}, {:?}).generate();\n}}\n",
        entity.name,
        entity_from_migration.display().to_string()
    );
    let manifest_path = root.join(&dir).join("Cargo.toml");
    let existing_manifest = match lib {
        Some(_) => Some(read_manifest(&manifest_path)?),
        None => None,
    };
    let (package, lib_name) = crate_names(existing_manifest.as_ref());
    let lib_rs = migration_lib(&entity.name, &lib_name);
    let main_rs = migration_main(&package, &lib_name);
    let Some(lib) = lib else {
        if root.join(&dir).exists() {
            return Err(Error::Refused(format!(
                "{} exists but has no src/lib.rs, so it is neither a migration crate to convert nor a place for a new one; nothing was written\n  fix: choose another directory with --migration-dir",
                dir.display()
            )));
        }
        let manifest = new_migration_manifest(root, &dir, entity, &options.tool);
        plan.steps.push(Step::Create {
            path: dir.join("Cargo.toml"),
            text: manifest,
        });
        plan.steps.push(Step::Create {
            path: dir.join("build.rs"),
            text: build_rs,
        });
        plan.steps.push(Step::Create {
            path: dir.join("src/lib.rs"),
            text: lib_rs,
        });
        plan.steps.push(Step::Create {
            path: dir.join("src/main.rs"),
            text: main_rs,
        });
        plan.steps.push(Step::Create {
            path: dir.join("src/migrations/.gitkeep"),
            text: String::new(),
        });
        return Ok(());
    };
    // An existing crate: sea-orm-cli's, converted, or refused with the steps to do by hand.
    let listed = sea_orm_cli_migrations(&lib).ok_or_else(|| {
        Error::Refused(format!(
            "{} is not a migration crate that init can convert: it is neither sea-orm-cli's (`mod m..;` lines and `impl MigratorTrait for Migrator` only) nor makemigrations'; nothing was written\n  fix: convert it by hand as docs/adopting.md says (\"An existing sea-orm-cli migration crate\"), or give another directory with --migration-dir",
            shown(&lib_path, root)
        ))
    })?;
    let src = dir.join("src");
    for name in &listed {
        if !root.join(&src).join(format!("{name}.rs")).is_file() {
            return Err(Error::Refused(format!(
                "{} lists `mod {name};` but {} is not there (a folder module cannot be moved); nothing was written\n  fix: make it one file, {name}.rs, or convert the crate by hand as docs/adopting.md says",
                shown(&lib_path, root),
                src.join(format!("{name}.rs")).display()
            )));
        }
        plan.steps.push(Step::Move {
            from: src.join(format!("{name}.rs")),
            to: src.join("migrations").join(format!("{name}.rs")),
        });
    }
    plan.notes.push(format!(
        "{} is a sea-orm-cli migration crate with {} migration(s): they keep their names, so the rows sea-orm-cli wrote in seaql_migrations still mark them applied",
        dir.display(),
        listed.len()
    ));
    plan.steps.push(Step::Rewrite {
        path: src.join("lib.rs"),
        text: lib_rs,
        why: "sea-orm-cli's list of migrations: the build script lists them now".into(),
    });
    let main_path = root.join(&src).join("main.rs");
    let main = std::fs::read_to_string(&main_path).unwrap_or_default();
    let main_replaced = main.is_empty() || is_sea_orm_cli_main(&main);
    if main_replaced {
        plan.steps.push(Step::Rewrite {
            path: src.join("main.rs"),
            text: main_rs,
            why: "sea-orm-cli's command line becomes makemigrations'".into(),
        });
    } else {
        plan.notes.push(format!(
            "{} is not sea-orm-cli's and is kept; make it call `makemigrations_cli::cli::run({lib_name}::project())` for the commands",
            shown(&main_path, root),
        ));
    }
    plan.steps.push(Step::Create {
        path: dir.join("build.rs"),
        text: build_rs,
    });
    let mut manifest = existing_manifest.expect("read above for an existing crate");
    // sea-orm-cli's `main.rs` is what used async-std: with it replaced, async-std goes unless
    // other code of the crate names it.
    if dependency_present(&manifest, "async-std") {
        let used_elsewhere = crate_source_mentions(&root.join(&src), "async_std", &main_path);
        if main_replaced && !used_elsewhere {
            if let Some(dependencies) = manifest
                .get_mut("dependencies")
                .and_then(Item::as_table_like_mut)
            {
                dependencies.remove("async-std");
            }
            plan.notes.push(format!(
                "removed async-std from {}/Cargo.toml: only sea-orm-cli's main.rs used it",
                dir.display()
            ));
        } else {
            plan.notes.push(format!(
                "{}/Cargo.toml keeps async-std, which the crate's own code uses",
                dir.display()
            ));
        }
    }
    convert_migration_manifest(&mut manifest, root, &dir, entity, &options.tool);
    plan.steps.push(Step::Rewrite {
        path: dir.join("Cargo.toml"),
        text: manifest.to_string(),
        why: format!("adds makemigrations, makemigrations-build and the entity crate; sea-orm-migration {SEA_ORM_VERSION}"),
    });
    Ok(())
}

/// Whether a `.rs` file under `dir`, other than `except`, contains `needle`.
fn crate_source_mentions(dir: &Path, needle: &str, except: &Path) -> bool {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && path != except
                && std::fs::read_to_string(&path).is_ok_and(|text| text.contains(needle))
            {
                return true;
            }
        }
    }
    false
}

/// The migration modules of a sea-orm-cli `lib.rs`, when it holds only what sea-orm-cli
/// writes there (the `mod` lines, `use` lines, `Migrator` and its `MigratorTrait` impl).
pub fn sea_orm_cli_migrations(lib: &str) -> Option<Vec<String>> {
    let file = syn::parse_file(lib).ok()?;
    let mut names = Vec::new();
    let mut has_migrator = false;
    for item in &file.items {
        match item {
            syn::Item::Mod(m) if m.content.is_none() => {
                let name = m.ident.to_string();
                if !crate_build_is_migration_name(&name) {
                    return None;
                }
                names.push(name);
            }
            syn::Item::Use(_) => {}
            syn::Item::Struct(s) if s.ident == "Migrator" => {}
            syn::Item::Impl(i) => {
                let is_migrator_trait = i.trait_.as_ref().is_some_and(|(_, path, _)| {
                    path.segments
                        .last()
                        .is_some_and(|s| s.ident == "MigratorTrait")
                });
                if !is_migrator_trait {
                    return None;
                }
                has_migrator = true;
            }
            _ => return None,
        }
    }
    has_migrator.then_some(names)
}

/// `mYYYYMMDD_HHMMSS_name`, as the build script reads a file name.
fn crate_build_is_migration_name(stem: &str) -> bool {
    let bytes = stem.as_bytes();
    bytes.len() > 17
        && bytes[0] == b'm'
        && bytes[1..9].iter().all(u8::is_ascii_digit)
        && bytes[9] == b'_'
        && bytes[10..16].iter().all(u8::is_ascii_digit)
        && bytes[16] == b'_'
}

/// sea-orm-cli's `main.rs`: `use` lines and a `main` that calls `cli::run_cli`.
fn is_sea_orm_cli_main(main: &str) -> bool {
    let Ok(file) = syn::parse_file(main) else {
        return false;
    };
    main.contains("run_cli")
        && file.items.iter().all(|item| match item {
            syn::Item::Use(_) => true,
            syn::Item::Fn(f) => f.sig.ident == "main",
            _ => false,
        })
}

fn migration_lib(entity_crate: &str, lib: &str) -> String {
    format!(
        r#"//! This project's migrations. Every file in `src/migrations/` named `mYYYYMMDD_HHMMSS_name.rs` is
//! a migration; the build script lists them (and the entities of the `{entity_crate}` crate), so adding
//! or deleting a file needs no edit here.
//!
//! Applications can run them at start-up with `{lib}::Migrator::up(&db, None)`, depending on
//! this crate with `default-features = false` and their database's feature, or check that nothing
//! is pending with `{lib}::require_up_to_date(&db)`.

pub use makemigrations::prelude::MigratorTrait;

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// What only the command line needs: the entities and the project it works on.
#[cfg(feature = "cli")]
mod cli {{
    use super::{{Migrator, MIGRATIONS_DIR, MIGRATION_FACTS}};

    include!(concat!(env!("OUT_DIR"), "/entities.rs"));

    // Makes sure the entity crate is linked, whatever this file names from it.
    extern crate {} as _;

    /// What the command line works on. Add table patterns to `ignore_tables` for tables that
    /// other services or extensions own; the tool then never creates, changes or drops them.
    pub fn project() -> makemigrations_cli::Project {{
        makemigrations_cli::Project::new::<Migrator>(MIGRATIONS_DIR, entities())
            .migration_facts(MIGRATION_FACTS)
            .unseen_entities(UNSEEN_ENTITIES)
    }}
}}

#[cfg(feature = "cli")]
pub use cli::{{entities, project, UNSEEN_ENTITIES}};
"#,
        entity_crate.replace('-', "_"),
    )
}

/// The command line's `main.rs`, for the library named `lib` (the crate's `[lib] name`, else
/// its package name with `_` for `-`).
fn migration_main(package: &str, lib: &str) -> String {
    format!(
        r#"//! The command line: `cargo run -p {package} -- <command>` (see `--help`).

#[tokio::main]
async fn main() -> std::process::ExitCode {{
    makemigrations_cli::cli::run({lib}::project()).await
}}
"#
    )
}

/// The package and library names of a migration crate's manifest (`migration` for a new one).
fn crate_names(manifest: Option<&DocumentMut>) -> (String, String) {
    let package = manifest
        .and_then(package_name)
        .unwrap_or_else(|| "migration".into());
    let lib = manifest
        .and_then(|m| m.get("lib")?.get("name")?.as_str().map(str::to_string))
        .unwrap_or_else(|| package.replace('-', "_"));
    (package, lib)
}

fn sea_orm_dependency(extra: &[&str]) -> String {
    let features: Vec<String> = extra
        .iter()
        .chain(SEA_ORM_FEATURES)
        .map(|f| format!("{f:?}"))
        .collect();
    format!(
        "{{ version = \"{SEA_ORM_VERSION}\", default-features = false, features = [{}] }}",
        features.join(", ")
    )
}

fn new_migration_manifest(
    root: &Path,
    dir: &Path,
    entity: &EntityCrate,
    tool: &ToolSource,
) -> String {
    let mut manifest: DocumentMut = "[package]\nname = \"migration\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n"
        .parse()
        .expect("a valid manifest");
    convert_migration_manifest(&mut manifest, root, dir, entity, tool);
    manifest.to_string()
}

/// Sets the dependencies a makemigrations migration crate needs, keeping the rest as written:
/// the user's own features, binaries and dependencies stay (an entity or tokio dependency the
/// migrations already use stays non-optional).
fn convert_migration_manifest(
    manifest: &mut DocumentMut,
    root: &Path,
    dir: &Path,
    entity: &EntityCrate,
    tool: &ToolSource,
) {
    let crate_dir = root.join(dir);
    let entity_path =
        relative_to(&root.join(&entity.dir), &crate_dir).unwrap_or_else(|| root.join(&entity.dir));
    // The command line, the entities and tokio only under `cli` (the default): an application
    // that depends on this crate with `default-features = false, features = ["postgres"]` links
    // the runtime and its driver only. What the crate already depends on unconditionally (its
    // migrations may use it) stays so, and `cli` then names no `dep:` for it.
    let add_entity = !dependency_present(manifest, &entity.name);
    let add_tokio = !dependency_present(manifest, "tokio");
    let mut cli = vec!["dep:makemigrations-cli".to_string()];
    for (name, added) in [(entity.name.as_str(), add_entity), ("tokio", add_tokio)] {
        if added || dependency_optional(manifest, name) {
            cli.push(format!("dep:{name}"));
        }
    }
    cli.extend(["postgres", "mysql", "sqlite"].map(String::from));
    let features = table_of(manifest, "features");
    merge_feature(features, "default", &["cli".to_string()]);
    merge_feature(features, "cli", &cli);
    for driver in ["postgres", "mysql", "sqlite"] {
        merge_feature(features, driver, &[format!("makemigrations/{driver}")]);
    }
    let dependencies = table_of(manifest, "dependencies");
    if add_entity {
        let mut entity_dep = InlineTable::new();
        entity_dep.insert("path", entity_path.display().to_string().into());
        entity_dep.insert("optional", true.into());
        dependencies.insert(&entity.name, value(entity_dep));
    }
    dependencies.insert(
        "makemigrations",
        value(tool.dependency("makemigrations", &crate_dir)),
    );
    let mut cli = tool.dependency("makemigrations-cli", &crate_dir);
    cli.insert("optional", true.into());
    dependencies.insert("makemigrations-cli", value(cli));
    // `#[derive(DeriveMigrationName)]` names sea_orm_migration; the drivers and the async
    // runtime come through makemigrations' features, so sea-orm-cli's `runtime-*` and `sqlx-*`
    // features go (they would link a driver and TLS into every application); others stay.
    let kept: Vec<String> = dependencies
        .get("sea-orm-migration")
        .and_then(|d| d.get("features"))
        .and_then(|f| f.as_array())
        .map(|features| {
            features
                .iter()
                .filter_map(|f| f.as_str())
                .filter(|f| !f.starts_with("runtime-") && !f.starts_with("sqlx-") && *f != "cli")
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut migration = InlineTable::new();
    migration.insert("version", SEA_ORM_VERSION.into());
    migration.insert("default-features", false.into());
    if !kept.is_empty() {
        let mut features = Array::new();
        for f in &kept {
            features.push(f.as_str());
        }
        migration.insert("features", Value::Array(features));
    }
    dependencies.insert("sea-orm-migration", value(migration));
    if add_tokio {
        let mut tokio = InlineTable::new();
        tokio.insert("version", "1".into());
        let mut features = Array::new();
        features.push("macros");
        features.push("rt-multi-thread");
        tokio.insert("features", Value::Array(features));
        tokio.insert("optional", true.into());
        dependencies.insert("tokio", value(tokio));
    }
    // The command line's binary; the crate's other binaries stay.
    let mut bin = Table::new();
    bin.insert("name", value("migration"));
    bin.insert("path", value("src/main.rs"));
    let mut required = Array::new();
    required.push("cli");
    bin.insert("required-features", value(required));
    let mut bins = toml_edit::ArrayOfTables::new();
    if let Some(existing) = manifest.get("bin").and_then(Item::as_array_of_tables) {
        for other in existing.iter() {
            let path = other.get("path").and_then(|p| p.as_str());
            let name = other.get("name").and_then(|n| n.as_str());
            if path != Some("src/main.rs") && name != Some("migration") {
                bins.push(other.clone());
            }
        }
    }
    bins.push(bin);
    manifest.insert("bin", Item::ArrayOfTables(bins));
    let build = table_of(manifest, "build-dependencies");
    build.insert(
        "makemigrations-build",
        value(tool.dependency("makemigrations-build", &crate_dir)),
    );
}

/// Adds `items` to the feature `name` (created when missing), keeping what it lists already.
fn merge_feature(features: &mut Table, name: &str, items: &[String]) {
    if features.get(name).and_then(Item::as_array).is_none() {
        features.insert(name, value(Array::new()));
    }
    let list = features
        .get_mut(name)
        .and_then(Item::as_array_mut)
        .expect("just made an array");
    for item in items {
        if !list.iter().any(|v| v.as_str() == Some(item.as_str())) {
            list.push(item.as_str());
        }
    }
}

/// The table `name` of the manifest, created when missing (also over `[dependencies.x]` tables,
/// which stay as they are).
fn table_of<'d>(manifest: &'d mut DocumentMut, name: &str) -> &'d mut Table {
    if !manifest.contains_table(name) {
        manifest.insert(name, Item::Table(Table::new()));
    }
    manifest[name].as_table_mut().expect("a table")
}

/// The root manifest's edits, as one rewrite: the two crates in `[workspace] members`, and the
/// dev profile. Only those change; the rest is kept as written.
fn plan_root_manifest(manifest: &DocumentMut, options: &Options, plan: &mut Plan) {
    let mut edited = manifest.clone();
    let mut changes = Vec::new();
    let added = add_members(&mut edited, options);
    if !added.is_empty() {
        changes.push(format!(
            "adds {} to [workspace] members",
            added.join(" and ")
        ));
    }
    if options.dev_profile {
        match add_dev_profile(&mut edited) {
            DevProfile::Added => changes.push(format!(
                "optimises dependencies in debug builds: [profile.dev.package.\"*\"] opt-level = {DEV_PROFILE_OPT_LEVEL}"
            )),
            DevProfile::Present => {}
            DevProfile::Kept(note) => plan.notes.push(note),
        }
    }
    if changes.is_empty() {
        return;
    }
    plan.steps.push(Step::Rewrite {
        path: PathBuf::from("Cargo.toml"),
        text: edited.to_string(),
        why: changes.join("; "),
    });
}

/// Adds the two crates to `[workspace] members`, unless a member (or a glob such as `crates/*`)
/// already names them; returns what it added.
fn add_members<'o>(manifest: &mut DocumentMut, options: &'o Options) -> Vec<&'o str> {
    let workspace = manifest["workspace"].as_table_like_mut().expect("checked");
    if workspace.get("members").is_none() {
        workspace.insert("members", value(Array::new()));
    }
    let Some(members) = workspace.get_mut("members").and_then(|m| m.as_array_mut()) else {
        return Vec::new();
    };
    let mut added = Vec::new();
    for dir in [&options.entity_dir, &options.migration_dir] {
        let dir = dir.trim_end_matches('/');
        let covered = members.iter().any(|m| {
            m.as_str()
                .is_some_and(|m| m.trim_end_matches('/') == dir || glob_covers(m, dir))
        });
        if !covered && !added.contains(&dir) {
            added.push(dir);
        }
    }
    push_in_style(members, &added);
    added
}

#[derive(Debug, PartialEq, Eq)]
enum DevProfile {
    Added,
    /// The manifest optimises the dependencies already (init's line of an earlier run, or the
    /// team's own): nothing to say, so that a second run has nothing to do.
    Present,
    /// The manifest sets opt-level 0 for them, or writes `[profile]` inline: the note to print.
    Kept(String),
}

/// Adds `opt-level` to `[profile.dev.package."*"]` (creating the table, or into the one the
/// manifest has: a second table of that name is an error), unless the manifest sets an
/// `opt-level` there or for the whole dev profile: the team chose.
fn add_dev_profile(manifest: &mut DocumentMut) -> DevProfile {
    let dev = manifest.get("profile").and_then(|p| p.get("dev"));
    let others = dev.and_then(|d| d.get("package")).and_then(|p| p.get("*"));
    // What the dependencies get: `"*"`'s level, else the whole profile's (cargo's precedence).
    let chosen = others
        .and_then(|o| o.get("opt-level"))
        .map(|level| ("[profile.dev.package.\"*\"]", level))
        .or_else(|| {
            dev.and_then(|d| d.get("opt-level"))
                .map(|level| ("[profile.dev]", level))
        });
    if let Some((table, level)) = chosen {
        if level.as_integer() == Some(0) {
            return DevProfile::Kept(format!(
                "Cargo.toml sets {table} opt-level = 0, which init keeps; the tool's checks run 2 to 3 times faster with [profile.dev.package.\"*\"] opt-level = {DEV_PROFILE_OPT_LEVEL} (docs/guide.md, \"A faster debug build\")"
            ));
        }
        return DevProfile::Present;
    }
    let Some(others) = others_table(manifest) else {
        return DevProfile::Kept(format!(
            "Cargo.toml writes part of [profile.dev.package.\"*\"] as an inline table, which init does not edit: add opt-level = {DEV_PROFILE_OPT_LEVEL} there by hand (docs/guide.md, \"A faster debug build\")"
        ));
    };
    others.insert("opt-level", value(DEV_PROFILE_OPT_LEVEL));
    DevProfile::Added
}

/// `[profile.dev.package."*"]`, created when missing (its parents as dotted headers only);
/// `None` when one of them is an inline table.
fn others_table(manifest: &mut DocumentMut) -> Option<&mut Table> {
    let profile = implicit_table(manifest.as_table_mut(), "profile")?;
    let dev = implicit_table(profile, "dev")?;
    let package = implicit_table(dev, "package")?;
    let others = package.entry("*").or_insert_with(|| {
        let mut table = Table::new();
        table.decor_mut().set_prefix(
            "\n# makemigrations init: every dependency (the tool's and your application's) optimised in debug\n\
             # builds, so `cargo run -p migration` runs fast; your own crates stay unoptimised and quick to\n\
             # rebuild. The cost: every dependency is compiled once more, and a build from nothing is longer.\n",
        );
        Item::Table(table)
    });
    others.as_table_mut()
}

/// `parent.name` as a table that has no header of its own unless the manifest wrote one.
fn implicit_table<'t>(parent: &'t mut Table, name: &str) -> Option<&'t mut Table> {
    let item = parent.entry(name).or_insert_with(|| {
        let mut table = Table::new();
        table.set_implicit(true);
        Item::Table(table)
    });
    item.as_table_mut()
}

/// Adds `values` to `array` laid out as it is: one per line in a multi-line array (a comment after
/// the last element stays with it), else on the same line.
fn push_in_style(array: &mut Array, values: &[&str]) {
    let last_prefix = array
        .iter()
        .last()
        .and_then(|v| v.decor().prefix())
        .and_then(|p| p.as_str())
        .unwrap_or_default()
        .to_string();
    if !last_prefix.contains('\n') {
        for v in values {
            array.push(*v);
        }
        return;
    }
    let indent = last_prefix
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .to_string();
    let trailing = array.trailing().as_str().unwrap_or_default().to_string();
    let (comment, closing) = match trailing.rfind('\n') {
        Some(at) => (trailing[..at].to_string(), trailing[at..].to_string()),
        None => (String::new(), format!("\n{trailing}")),
    };
    for (i, v) in values.iter().enumerate() {
        let mut item = Value::from(*v);
        let before = if i == 0 { comment.as_str() } else { "" };
        item.decor_mut().set_prefix(format!("{before}\n{indent}"));
        array.push_formatted(item);
    }
    array.set_trailing(closing);
    array.set_trailing_comma(true);
}

/// `crates/*` covers every directory under `crates`.
fn glob_covers(pattern: &str, dir: &str) -> bool {
    makemigrations_core::adoption::glob_match(pattern.trim_end_matches('/'), dir)
        && !dir[pattern.find('*').unwrap_or(dir.len()).min(dir.len())..].contains('/')
}

/// Our targets in `Makefile` when there is none; else in `makemigrations.mk`, included from the
/// end of the user's Makefile, with `db-` before every name when one of ours is taken there.
fn plan_makefile(root: &Path, options: &Options, plan: &mut Plan) -> Result<(), Error> {
    let existing = std::fs::read_to_string(root.join("Makefile")).ok();
    let package = read_manifest(&root.join(&options.migration_dir).join("Cargo.toml"))
        .ok()
        .and_then(|m| package_name(&m))
        .unwrap_or_else(|| "migration".into());
    let build = format!("build-{package}");
    let taken: Vec<&str> = MAKE_TARGETS
        .iter()
        .copied()
        .chain([build.as_str()])
        .filter(|t| {
            existing.as_deref().is_some_and(|m| {
                m.lines()
                    .any(|l| l.starts_with(&format!("{t}:")) || l.starts_with(&format!("{t} :")))
            })
        })
        .collect();
    let prefix = if taken.is_empty() { "" } else { "db-" };
    let text = make_targets(prefix, &package);
    match existing {
        None => plan.steps.push(Step::Create {
            path: "Makefile".into(),
            text,
        }),
        Some(makefile) => {
            if makefile.contains("include makemigrations.mk") {
                plan.notes
                    .push("the Makefile already includes makemigrations.mk (kept)".into());
                return Ok(());
            }
            // The one an earlier run created: its targets are ours, not the team's.
            if makefile.contains(MAKE_TARGETS_HEADER) {
                plan.notes
                    .push("the Makefile has makemigrations' targets already (kept)".into());
                return Ok(());
            }
            plan.steps.push(Step::Create {
                path: "makemigrations.mk".into(),
                text,
            });
            let newline = if makefile.ends_with('\n') || makefile.is_empty() {
                ""
            } else {
                "\n"
            };
            plan.steps.push(Step::Append {
                path: "Makefile".into(),
                text: format!("{newline}\n# makemigrations: `make {prefix}migrate`, `make {prefix}makemigrations msg=\"...\"`, ...\ninclude makemigrations.mk\n"),
            });
            if !taken.is_empty() {
                plan.notes.push(format!(
                    "the Makefile has its own {} target(s), so ours are named db-makemigrations, db-migrate, ...",
                    taken.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// The first words of the targets' text, by which a later run knows the Makefile it created.
const MAKE_TARGETS_HEADER: &str = "# The commands of makemigrations, as `cargo run -p ";

fn make_targets(prefix: &str, package: &str) -> String {
    let build = format!("{prefix}build-{package}");
    let mut text = format!(
        "{MAKE_TARGETS_HEADER}{package} -- <command>`; DATABASE_URL (or .env)\n\
         # picks the database, and without it an embedded SQLite file db.sqlite3 is used.\n\
         MIGRATION = cargo run --quiet -p {package} --\n\n.PHONY: {build}"
    );
    for target in MAKE_TARGETS {
        text.push_str(&format!(" {prefix}{target}"));
    }
    // `cargo run --quiet` would compile in silence, for minutes the first time.
    text.push_str(&format!(
        "\n\n# Every command builds first, with cargo's progress showing: the first build compiles the\n\
         # database drivers and the tool (minutes), which `cargo run --quiet` would do in silence.\n\
         {build}:\n\tcargo build -p {package}\n\n"
    ));
    for target in MAKE_TARGETS {
        let args = match *target {
            "makemigrations" => " $(if $(msg),-m \"$(msg)\",)",
            "migrate" => " $(target)",
            "rollback" => " $(if $(steps),-s $(steps),)",
            _ => "",
        };
        text.push_str(&format!(
            "{prefix}{target}: {build}\n\t$(MIGRATION) {target}{args}\n\n"
        ));
    }
    text.trim_end().to_string() + "\n"
}

/// `.env.example` naming DATABASE_URL, and `.env` and `db.sqlite3` in `.gitignore` (the first
/// holds passwords, the second is the local default database).
fn plan_env(root: &Path, plan: &mut Plan) -> Result<(), Error> {
    let example = "# Copy to .env (which git ignores) and set the database; without DATABASE_URL an embedded\n\
                   # SQLite file db.sqlite3 in the working directory is used.\n\
                   # DATABASE_URL=postgres://user:password@localhost:5432/app_dev\n\
                   # DATABASE_URL=mysql://user:password@localhost:3306/app_dev\n\
                   DATABASE_URL=sqlite://db.sqlite3?mode=rwc\n";
    match std::fs::read_to_string(root.join(".env.example")) {
        Err(_) => plan.steps.push(Step::Create {
            path: ".env.example".into(),
            text: example.into(),
        }),
        Ok(text) if text.contains("DATABASE_URL") => plan
            .notes
            .push(".env.example already names DATABASE_URL (kept)".into()),
        Ok(text) => plan.steps.push(Step::Append {
            path: ".env.example".into(),
            text: format!(
                "{}\n{example}",
                if text.ends_with('\n') || text.is_empty() {
                    ""
                } else {
                    "\n"
                }
            ),
        }),
    }
    let gitignore = std::fs::read_to_string(root.join(".gitignore")).unwrap_or_default();
    let missing: Vec<&str> = [".env", "db.sqlite3"]
        .into_iter()
        .filter(|entry| {
            !gitignore
                .lines()
                .any(|l| l.trim().trim_start_matches('/') == *entry)
        })
        .collect();
    if !missing.is_empty() {
        let newline = if gitignore.ends_with('\n') || gitignore.is_empty() {
            ""
        } else {
            "\n"
        };
        plan.steps.push(Step::Append {
            path: ".gitignore".into(),
            text: format!(
                "{newline}# makemigrations: the local settings (passwords) and the default SQLite database\n{}\n",
                missing.join("\n")
            ),
        });
    }
    Ok(())
}

fn read_manifest(path: &Path) -> Result<DocumentMut, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::Refused(format!(
            "cannot read {}: {e}; nothing was written\n  fix: run `makemigrations init` in the root of a Cargo workspace (the directory whose Cargo.toml has [workspace])",
            path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        ))
    })?;
    text.parse::<DocumentMut>().map_err(|e| {
        Error::Refused(format!(
            "{} is not valid TOML: {}; nothing was written\n  fix: correct it (`cargo metadata` shows where)",
            path.display(),
            e.to_string().lines().next().unwrap_or_default()
        ))
    })
}

fn package_name(manifest: &DocumentMut) -> Option<String> {
    manifest
        .get("package")?
        .get("name")?
        .as_str()
        .map(str::to_string)
}

/// The version a manifest asks for `name` (`"1.1"` or `{ version = "1.1" }`).
fn dependency_version(manifest: &DocumentMut, name: &str) -> Option<String> {
    let dep = manifest.get("dependencies")?.get(name)?;
    dep.as_str()
        .or_else(|| dep.get("version").and_then(|v| v.as_str()))
        .map(str::to_string)
}

fn dependency_optional(manifest: &DocumentMut, name: &str) -> bool {
    manifest
        .get("dependencies")
        .and_then(|d| d.get(name)?.get("optional")?.as_bool())
        .unwrap_or(false)
}

fn dependency_present(manifest: &DocumentMut, name: &str) -> bool {
    manifest
        .get("dependencies")
        .is_some_and(|d| d.get(name).is_some())
}

/// `path` relative to `from` when both are below a common directory (`../entity`).
fn relative_to(path: &Path, from: &Path) -> Option<PathBuf> {
    let path = normalise(path);
    let from = normalise(from);
    let common = path
        .components()
        .zip(from.components())
        .take_while(|(a, b)| a == b)
        .count();
    // Only the root in common (`/srv-a/app` and `/srv-b/tool`): the absolute path says more.
    let only_root = path.components().take(common).all(|c| {
        matches!(
            c,
            std::path::Component::RootDir | std::path::Component::Prefix(_)
        )
    });
    if only_root {
        return None;
    }
    let mut relative = PathBuf::new();
    for _ in from.components().skip(common) {
        relative.push("..");
    }
    for part in path.components().skip(common) {
        relative.push(part);
    }
    Some(relative)
}

/// Without `.` and with `..` applied, without touching the file system (the paths may not
/// exist yet).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn shown(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEA_ORM_CLI_LIB: &str = "pub use sea_orm_migration::prelude::*;\n\n\
        mod m20220101_000001_create_table;\nmod m20230512_101500_add_posts;\n\n\
        pub struct Migrator;\n\n#[async_trait::async_trait]\nimpl MigratorTrait for Migrator {\n    \
        fn migrations() -> Vec<Box<dyn MigrationTrait>> {\n        vec![\n            \
        Box::new(m20220101_000001_create_table::Migration),\n            \
        Box::new(m20230512_101500_add_posts::Migration),\n        ]\n    }\n}\n";

    #[test]
    fn sea_orm_cli_lib_lists_its_migrations() {
        assert_eq!(
            sea_orm_cli_migrations(SEA_ORM_CLI_LIB),
            Some(vec![
                "m20220101_000001_create_table".to_string(),
                "m20230512_101500_add_posts".to_string()
            ])
        );
        // Anything else in it (a helper function) is kept by refusing to convert.
        let with_helper = format!("{SEA_ORM_CLI_LIB}\nfn helper() -> Vec<u8> {{ vec![1] }}\n");
        assert_eq!(sea_orm_cli_migrations(&with_helper), None);
    }

    #[test]
    fn relative_paths_between_crates() {
        assert_eq!(
            relative_to(Path::new("/w/entity"), Path::new("/w/migration")),
            Some(PathBuf::from("../entity"))
        );
        assert_eq!(
            relative_to(Path::new("/w/crates/db/entity"), Path::new("/w/migration")),
            Some(PathBuf::from("../crates/db/entity"))
        );
    }

    #[test]
    fn makefile_targets_get_a_prefix_when_taken() {
        assert!(make_targets("", "migration").starts_with(MAKE_TARGETS_HEADER));
        let text = make_targets("db-", "migration");
        assert!(
            text.contains("db-migrate: db-build-migration\n\t$(MIGRATION) migrate $(target)")
                && text.contains("db-build-migration:\n\tcargo build -p migration\n"),
            "{text}"
        );
        assert!(glob_covers("crates/*", "crates/entity"));
        assert!(!glob_covers("crates/*", "entity"));
    }

    #[test]
    fn members_are_added_in_the_arrays_layout() {
        let mut doc: DocumentMut = "[workspace]\nmembers = [\n    \"app\", # the web server\n]\n"
            .parse()
            .unwrap();
        push_in_style(
            doc["workspace"]["members"].as_array_mut().unwrap(),
            &["entity", "migration"],
        );
        assert_eq!(
            doc.to_string(),
            "[workspace]\nmembers = [\n    \"app\", # the web server\n    \"entity\",\n    \"migration\",\n]\n"
        );
        let mut doc: DocumentMut = "[workspace]\nmembers = [\"app\"]\n".parse().unwrap();
        push_in_style(
            doc["workspace"]["members"].as_array_mut().unwrap(),
            &["entity"],
        );
        assert_eq!(
            doc.to_string(),
            "[workspace]\nmembers = [\"app\", \"entity\"]\n"
        );
    }

    /// The manifest after `add_dev_profile`, and whether it added the setting.
    fn with_dev_profile(manifest: &str) -> (String, bool) {
        let (text, outcome) = dev_profile_outcome(manifest);
        (text, outcome == DevProfile::Added)
    }

    fn dev_profile_outcome(manifest: &str) -> (String, DevProfile) {
        let mut doc: DocumentMut = manifest.parse().unwrap();
        let outcome = add_dev_profile(&mut doc);
        let text = doc.to_string();
        // What cargo reads: the edit must stay a valid manifest.
        text.parse::<DocumentMut>().unwrap();
        (text, outcome)
    }

    #[test]
    fn the_dev_profile_is_added_once_and_never_overrides_the_teams_choice() {
        let (text, added) = with_dev_profile("[workspace]\nmembers = []\n");
        assert!(added);
        assert!(
            text.ends_with("[profile.dev.package.\"*\"]\nopt-level = 1\n"),
            "{text}"
        );
        assert!(
            !text.contains("[profile]") && !text.contains("[profile.dev]"),
            "{text}"
        );

        // Into the table the manifest has (a second `[profile.dev.package."*"]` is an error).
        let (text, added) = with_dev_profile(
            "[workspace]\n\n[profile.dev]\ndebug = 1\n\n[profile.dev.package.\"*\"]\ndebug = false\n",
        );
        assert!(added);
        assert_eq!(
            text,
            "[workspace]\n\n[profile.dev]\ndebug = 1\n\n[profile.dev.package.\"*\"]\ndebug = false\nopt-level = 1\n"
        );

        // Set already, for the dependencies or the whole profile: kept, and nothing to say
        // unless the team turned optimisation off; written inline: kept, with a note.
        for (manifest, note) in [
            ("[workspace]\n[profile.dev.package.\"*\"]\nopt-level = 3\n", None),
            ("[workspace]\n[profile.dev.package.\"*\"]\nopt-level = \"s\"\n", None),
            ("[workspace]\n[profile.dev]\nopt-level = 2\n", None),
            ("profile.dev.opt-level = 2\n[workspace]\n", None),
            (
                "[workspace]\n[profile.dev]\nopt-level = 0\n",
                Some("Cargo.toml sets [profile.dev] opt-level = 0, which init keeps"),
            ),
            (
                "[workspace]\n[profile.dev]\nopt-level = 2\n[profile.dev.package.\"*\"]\nopt-level = 0 # debugging\n",
                Some("Cargo.toml sets [profile.dev.package.\"*\"] opt-level = 0, which init keeps"),
            ),
            (
                "[workspace]\n[profile]\ndev = { debug = false }\n",
                Some("Cargo.toml writes part of [profile.dev.package.\"*\"] as an inline table"),
            ),
        ] {
            let (text, outcome) = dev_profile_outcome(manifest);
            assert_eq!(text, manifest, "changed");
            match (outcome, note) {
                (DevProfile::Present, None) => {}
                (DevProfile::Kept(said), Some(note)) => assert!(said.starts_with(note), "{said}"),
                (outcome, _) => panic!("{manifest}: {outcome:?}"),
            }
        }
    }

    #[test]
    fn a_second_init_has_nothing_to_do_in_the_root_manifest() {
        let options = Options {
            entity_dir: "entity".to_string(),
            migration_dir: "migration".to_string(),
            tool: ToolSource::Path(PathBuf::from("crates")),
            dev_profile: true,
        };
        let manifest: DocumentMut = "[workspace]\nmembers = [\"app\"]\n".parse().unwrap();
        let mut first = Plan::default();
        plan_root_manifest(&manifest, &options, &mut first);
        let [Step::Rewrite { text, why, .. }] = first.steps.as_slice() else {
            panic!("{:?}", first.steps);
        };
        assert!(first.notes.is_empty(), "{:?}", first.notes);
        assert!(
            why.contains("[workspace] members") && why.contains("opt-level = 1"),
            "{why}"
        );

        let mut second = Plan::default();
        plan_root_manifest(&text.parse().unwrap(), &options, &mut second);
        assert_eq!((second.steps, second.notes), (vec![], vec![]));
    }
}
