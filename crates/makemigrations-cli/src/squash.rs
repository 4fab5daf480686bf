//! `squashmigrations FROM TO`: one migration for a range of them (docs/guide.md, "Squashing
//! migrations"). The history is replayed in a scratch place (`replay`) up to the migration before
//! FROM and then through TO; the squashed migration is the diff between those two schemas, so a
//! column added then dropped inside the range is not in it and two alters of one column are one.
//! It is rendered like any generated file, with a `//! replaces:` line per replaced migration,
//! which `migrate` reads (`replacement`). Nothing here writes; the live database is never read.

use makemigrations_core::render::{render_migration, MigrationFile};
use makemigrations_core::{DiffOptions, Operation, Schema};
use sea_orm::{DatabaseConnection, DbBackend};
use sea_orm_migration::MigrationTrait;

use crate::error::Error;
use crate::facts::MigrationFacts;
use crate::{database, migrate, replay, Project};

/// The line, one per replaced migration, that makes a migration a squashed one.
pub const REPLACES_MARKER: &str = "//! replaces:";

/// What `squashmigrations` is asked for.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The first migration of the range: a full name or a unique prefix.
    pub from: &'a str,
    /// The last one, included.
    pub to: &'a str,
    /// The name after the timestamp; default `squashed_<from>_to_<to>`.
    pub name: Option<&'a str>,
}

/// The squashed migration, ready to be written.
#[derive(Debug, Clone)]
pub struct Squash {
    /// Its module name: TO's timestamp plus one second, so it sorts right after TO.
    pub module: String,
    /// The replaced migrations, oldest first.
    pub replaces: Vec<String>,
    pub operations: Vec<Operation>,
    /// The file's text (not yet formatted).
    pub source: String,
}

/// Decides the squashed migration, or why there can be none. Reads only: the history runs in a
/// scratch place on the backend of `db`.
pub async fn plan(
    project: &Project,
    db: &DatabaseConnection,
    request: Request<'_>,
) -> Result<Squash, Error> {
    let migrations = (project.migrations)();
    let states = crate::executor::states_from((project.migrations)(), &[]);
    let from = migrate::find_target(&states, request.from)?;
    let to = migrate::find_target(&states, request.to)?;
    let names: Vec<&str> = migrations.iter().map(|m| m.name()).collect();
    let backend = db.get_database_backend();
    check_range(project, &names, from, to, backend)?;
    let module = module_name(&names, from, to, request.name)?;
    let replayed: Vec<&dyn MigrationTrait> = migrations[..=to]
        .iter()
        .map(|m| m.as_ref())
        .filter(|m| !stands_in(project.migration_facts, &names, m.name()))
        .collect();
    let before_from = replayed
        .iter()
        .take_while(|m| m.name() < names[from])
        .count();
    let schemas = replay::schemas_after(
        db,
        &replayed,
        &[before_from, replayed.len()],
        project.shadow_url.as_deref(),
    )
    .await?;
    let (before, after) = (&schemas[0], &schemas[1]);
    let operations = squashed_operations(project, backend, before, after);
    let range = &names[from..=to];
    refuse_losses(project.migration_facts, range, &operations)?;
    let replaces: Vec<String> = range.iter().map(|n| n.to_string()).collect();
    let source = render(&module, &replaces, &operations);
    Ok(Squash {
        module,
        replaces,
        operations,
        source,
    })
}

/// The operations from `before` to `after`: every table of `before` is the project's own (the
/// history made it), so a table the range drops is dropped.
fn squashed_operations(
    project: &Project,
    backend: DbBackend,
    before: &Schema,
    after: &Schema,
) -> Vec<Operation> {
    let (mut before, mut after) = (before.clone(), after.clone());
    if backend == DbBackend::MySql {
        // MySQL keeps an enum's values, not its name: name them as the entities do.
        let known: Vec<makemigrations_core::EnumType> = project
            .entities
            .iter()
            .filter_map(crate::entities::EntityDef::enum_type)
            .collect();
        crate::shadow::name_inline_enums(&mut before, &known);
        crate::shadow::name_inline_enums(&mut after, &known);
    }
    let options = DiffOptions {
        backend: database::core_backend(backend),
        owned_tables: before.tables.keys().cloned().collect(),
        exact_sqlite_types: true,
        exact_names: false,
    };
    makemigrations_core::diff(&before, &after, &options).operations
}

/// Whether `name` is a squashed migration whose replaced files are all in `names`: a replay
/// runs those instead (the history as it was written).
fn stands_in(facts: &[MigrationFacts], names: &[&str], name: &str) -> bool {
    facts.iter().any(|f| {
        f.name == name && !f.replaces.is_empty() && f.replaces.iter().all(|r| names.contains(r))
    })
}

/// The refusals that need no database: an empty or reversed range, baselines, squashed
/// migrations, data steps and code the tool cannot read, PostgreSQL-only files elsewhere, and
/// on SQLite (which keeps neither) enum types and comments.
fn check_range(
    project: &Project,
    names: &[&str],
    from: usize,
    to: usize,
    backend: DbBackend,
) -> Result<(), Error> {
    let facts = project.migration_facts;
    if from > to {
        return Err(Error::CannotSquash(
            format!(
                "{} comes after {}: FROM must be the older migration",
                names[from], names[to]
            ),
            format!(
                "swap them: `squashmigrations {} {}`",
                names[to], names[from]
            ),
        ));
    }
    if from == to {
        return Err(Error::CannotSquash(
            format!(
                "the range {} is one migration: there is nothing to fold",
                names[from]
            ),
            "give a TO later than FROM (`showmigrations` lists them in order)".into(),
        ));
    }
    let range = &names[from..=to];
    let fact = |name: &str| facts.iter().find(|f| f.name == name);
    for name in range {
        let Some(fact) = fact(name) else {
            return Err(Error::CannotSquash(
                format!("the build script wrote no facts for {name}, so its markers are unknown"),
                "build the migration crate with makemigrations-build's generated lists (see docs/guide.md, \"Setting up\")".into(),
            ));
        };
        if fact.baseline {
            return Err(Error::CannotSquash(
                format!("{name} is a baseline (`//! baseline:`): `migrate` records it where the adopted tables exist, which a squashed migration cannot do"),
                format!("squash a range that starts after {name}"),
            ));
        }
        if !fact.replaces.is_empty() {
            return Err(Error::CannotSquash(
                format!("{name} is itself a squashed migration"),
                format!("once every database has applied it, delete the files it replaces and its `//! replaces:` lines; then it squashes like any migration. Or squash a range that starts after {name}"),
            ));
        }
        if let Some(squashed) = crate::replacement::replaced_by(facts, name) {
            return Err(Error::CannotSquash(
                format!("{name} is already replaced by {}", squashed.name),
                format!("squash a range that starts after {}", squashed.name),
            ));
        }
        if !fact.postgres_only.is_empty() && backend != DbBackend::Postgres {
            return Err(Error::CannotSquash(
                format!(
                    "{name} is PostgreSQL-only ({}), and the history cannot be replayed on {}",
                    fact.postgres_only.join("; "),
                    database::backend_label(backend)
                ),
                "run `squashmigrations` against a PostgreSQL database (DATABASE_URL or --database-url)".into(),
            ));
        }
    }
    let steps: Vec<String> = range
        .iter()
        .filter_map(|n| fact(n))
        .flat_map(|f| {
            let file = project.shown_migration_file(f);
            let lines: Vec<String> = f
                .data_steps
                .iter()
                .map(|line| format!("{file}:{line}"))
                .collect();
            match (lines.is_empty(), f.names_in_code.is_none()) {
                (true, true) => vec![format!("{file} (code the tool cannot read)")],
                _ => lines,
            }
        })
        .collect();
    if !steps.is_empty() {
        return Err(Error::CannotSquash(
            format!(
                "the range holds steps that change rows or run code of their own, which a squashed migration (a schema difference) would leave out: {}",
                steps.join(", ")
            ),
            "squash a range that ends before that migration or starts after it (it stays a migration of its own)".into(),
        ));
    }
    if backend == DbBackend::Sqlite {
        let kept_nowhere: Vec<String> = range
            .iter()
            .filter_map(|n| fact(n))
            .filter(|f| {
                let path =
                    std::path::Path::new(&project.migrations_dir).join(format!("{}.rs", f.name));
                let text = std::fs::read_to_string(path).unwrap_or_default();
                SQLITE_FORGETS.iter().any(|call| text.contains(call))
            })
            .map(|f| project.shown_migration_file(f))
            .collect();
        if !kept_nowhere.is_empty() {
            return Err(Error::CannotSquash(
                format!(
                    "{} set enum types or comments, which SQLite does not keep, so a squash replayed here would leave them out",
                    kept_nowhere.join(", ")
                ),
                "run `squashmigrations` against PostgreSQL or MySQL (DATABASE_URL or --database-url)".into(),
            ));
        }
    }
    Ok(())
}

/// The calls of generated files whose effect SQLite does not keep (enum types, comments).
const SQLITE_FORGETS: &[&str] = &[
    "create_enum(",
    "alter_enum(",
    "comment_on_table(",
    "comment_on_column(",
    ".comment(",
];

/// TO's timestamp plus one second, so that the squashed migration sorts right after TO; refused
/// when another migration has that second already.
fn module_name(
    names: &[&str],
    from: usize,
    to: usize,
    name: Option<&str>,
) -> Result<String, Error> {
    let stamp = names[to]
        .get(1..16)
        .and_then(|s| chrono::NaiveDateTime::parse_from_str(s, "%Y%m%d_%H%M%S").ok())
        .ok_or_else(|| {
            Error::CannotSquash(
                format!("{} is not named mYYYYMMDD_HHMMSS_name", names[to]),
                "give the range's last migration the usual name".into(),
            )
        })?;
    let suffix = |n: &str| n.get(17..).unwrap_or(n).to_string();
    let name = match name.map(makemigrations_core::ops::sanitize_name) {
        Some(n) if !n.is_empty() => n,
        _ => format!("squashed_{}_to_{}", suffix(names[from]), suffix(names[to])),
    };
    let next = stamp + chrono::Duration::seconds(1);
    let module = format!("{}_{name}", next.format("m%Y%m%d_%H%M%S"));
    if let Some(after) = names.get(to + 1) {
        if after.get(..16) <= module.get(..16) {
            return Err(Error::CannotSquash(
                format!(
                    "the squashed migration would be named {module}, but {after} follows {} within a second, so it would not sort right after it",
                    names[to]
                ),
                format!("squash a range that ends at {after}, or rename {after} to a later second"),
            ));
        }
    }
    Ok(module)
}

/// A squashed migration must not lose what the range keeps: a rename shows in the state diff as
/// a drop and an add, and a NOT NULL column the range added with a one-off value as a column
/// without one. Each data-losing step must be one the range marks too (`// !`).
fn refuse_losses(
    facts: &[MigrationFacts],
    range: &[&str],
    operations: &[Operation],
) -> Result<(), Error> {
    let marked: Vec<&str> = facts
        .iter()
        .filter(|f| range.contains(&f.name))
        .flat_map(|f| f.data_loss.iter().copied())
        .collect();
    for op in operations {
        if let Some(why) = op.loses_data() {
            if !marked.iter().any(|line| line.contains(&why)) {
                return Err(Error::CannotSquash(
                    format!(
                        "squashed, the range would {}: {why}, which none of its migrations does (a rename, or a change the range makes keeping the data)",
                        lowercase_first(&op.describe())
                    ),
                    "squash a range that ends before the migration that renames or changes it, or starts after it".into(),
                ));
            }
        }
        if let Operation::AddColumn { table, column } = op {
            if !column.nullable && column.default.is_none() && !column.auto_increment {
                return Err(Error::CannotSquash(
                    format!(
                        "squashed, the range would add {table}.{} as NOT NULL without a value for the rows {table} already has (the range gave them one in a step of its own)",
                        column.name
                    ),
                    "squash a range that ends before the migration that adds it, or starts after it".into(),
                ));
            }
        }
    }
    Ok(())
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The file: a generated migration of `operations`, its header saying what it replaces and when
/// the replaced files can go, then one `//! replaces:` line per replaced migration.
pub fn render(module: &str, replaces: &[String], operations: &[Operation]) -> String {
    let message = format!(
        "Squashed from {} migrations, which it replaces (the `replaces` lines below).\n\
         `migrate` runs it where none of them is applied and records it where they all are; a\n\
         database between them applies the rest of them first. Once every database has applied\n\
         it, delete their files and the `replaces` lines: it is then an ordinary migration.",
        replaces.len()
    );
    let source = render_migration(&MigrationFile {
        name: module,
        message: Some(&message),
        up: operations,
        down: None,
    });
    let marker: String = replaces
        .iter()
        .map(|r| format!("{REPLACES_MARKER} {r}\n"))
        .collect();
    // After the message: the first blank doc line below it.
    let at = source
        .find("//!\n//! Generated by")
        .or_else(|| source.find("//!\n//! Written by"))
        .unwrap_or(0);
    let source = format!("{}//!\n{marker}{}", &source[..at], &source[at..]);
    source.replacen(
        "//! Generated by makemigrations from the entities.",
        "//! Generated by squashmigrations from the history.",
        1,
    )
}

/// A squashed migration whose replaced migrations do not give the same schema: found by
/// `squashmigrations --check`.
#[derive(Debug, Clone)]
pub struct Mismatch {
    pub squashed: String,
    /// What the squashed migration would still have to do to equal its range.
    pub differences: Vec<String>,
}

/// Replays, for each squashed migration whose replaced files are all there, the history before
/// its range then the range, and the same history then the squashed migration; the two schemas
/// must be the same.
pub async fn verify(project: &Project, db: &DatabaseConnection) -> Result<Vec<Mismatch>, Error> {
    let migrations = (project.migrations)();
    let names: Vec<&str> = migrations.iter().map(|m| m.name()).collect();
    let facts = project.migration_facts;
    let mut mismatches = Vec::new();
    for squashed in facts.iter().filter(|f| !f.replaces.is_empty()) {
        if !names.contains(&squashed.name) || !squashed.replaces.iter().all(|r| names.contains(r)) {
            continue;
        }
        let first = squashed.replaces[0];
        // Earlier squashed migrations stand for their ranges, which are replayed instead.
        let before: Vec<&dyn MigrationTrait> = migrations
            .iter()
            .map(|m| m.as_ref())
            .filter(|m| m.name() < first && !stands_in(facts, &names, m.name()))
            .collect();
        let pick = |wanted: &[&str]| -> Vec<&dyn MigrationTrait> {
            let mut sequence = before.clone();
            sequence.extend(
                migrations
                    .iter()
                    .map(|m| m.as_ref())
                    .filter(|m| wanted.contains(&m.name())),
            );
            sequence
        };
        let old = pick(squashed.replaces);
        let new = pick(&[squashed.name]);
        let shadow = project.shadow_url.as_deref();
        let old_schema = replay::schemas_after(db, &old, &[old.len()], shadow).await?;
        let new_schema = replay::schemas_after(db, &new, &[new.len()], shadow).await?;
        let backend = db.get_database_backend();
        let differences: Vec<String> =
            squashed_operations(project, backend, &new_schema[0], &old_schema[0])
                .iter()
                .map(Operation::describe)
                .collect();
        if !differences.is_empty() {
            mismatches.push(Mismatch {
                squashed: squashed.name.to_string(),
                differences,
            });
        }
    }
    Ok(mismatches)
}
