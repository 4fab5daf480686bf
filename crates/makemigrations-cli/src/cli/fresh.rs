//! `fresh` (alias `reset`) and `migrate --create-db`: starting a development database over, and
//! creating one. The work is in `crate::fresh`, `crate::devdb` and `crate::create_db`; this
//! prints and asks.

use std::process::ExitCode;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use super::commands::{self, MigrateOptions};
use super::FreshArgs;
use crate::database::{DatabaseUrl, Target};
use crate::error::Error;
use crate::fresh::{self, Owned};
use crate::questioner::Terminal;
use crate::Project;

/// `migrate --create-db`, before connecting: says when it created the database.
pub(super) async fn create_database(url: &str, timeout: Duration) -> Result<(), Error> {
    let outcome = crate::create_db::create_if_missing(url, timeout).await?;
    if outcome.created {
        eprintln!("Created database {}", outcome.database);
    }
    if let Some(schema) = &outcome.created_schema {
        eprintln!("Created schema {schema} in database {}", outcome.database);
    }
    Ok(())
}

/// Before connecting: a database that does not look like a development one is refused unless
/// `--force` (the rule is in `crate::devdb`).
#[allow(clippy::result_large_err)] // the crate's one Error enum
pub(super) fn refuse_unless_development(target: &Target, force: bool) -> Result<(), Error> {
    if force {
        return Ok(());
    }
    let parsed = DatabaseUrl::parse(&target.url)?;
    match crate::devdb::not_development(&parsed) {
        Some(reason) => Err(Error::NotDevelopment {
            database: target.describe(),
            reason,
        }),
        None => Ok(()),
    }
}

pub(super) async fn fresh(
    project: &Project,
    db: &DatabaseConnection,
    url: &str,
    target: &Target,
    args: &FreshArgs,
) -> Result<ExitCode, Error> {
    let database = target.describe();
    let owned = fresh::owned(project, db).await?;
    if owned.is_empty() {
        println!("Nothing of the project's in {database} to drop.");
    } else {
        print_owned(&owned, &database);
        if !args.yes {
            let Some(mut terminal) = Terminal::open() else {
                return Err(Error::FreshUnconfirmed { database });
            };
            if !terminal
                .yes_no("Drop them?")
                .await
                .map_err(|_| Error::Interrupted)?
            {
                println!("Nothing dropped.");
                return Ok(ExitCode::from(1));
            }
        }
    }
    let mut lock = commands::run_lock(url, db, args.lock_timeout).await?;
    let result = drop_and_migrate(project, db, &mut lock, args, &owned).await;
    lock.release().await;
    result
}

async fn drop_and_migrate(
    project: &Project,
    db: &DatabaseConnection,
    lock: &mut crate::lock::RunLock,
    args: &FreshArgs,
    listed: &fresh::Owned,
) -> Result<ExitCode, Error> {
    // Read again under the lock: a run that finished while we asked may have added a table. Only
    // what was listed (and answered) is dropped: anything new stops it, with nothing dropped.
    let owned = fresh::owned(project, db).await?;
    let new: Vec<&String> = owned
        .tables
        .iter()
        .filter(|t| !listed.tables.contains(t))
        .chain(
            owned
                .enum_types
                .iter()
                .filter(|e| !listed.enum_types.contains(e)),
        )
        .collect();
    if !new.is_empty() {
        return Err(Error::Refused(format!(
            "the database changed while fresh waited for the lock ({} appeared: another run applied migrations); nothing was dropped\n  fix: run `fresh` again, and answer for what it lists then",
            new.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    if !owned.is_empty() {
        fresh::drop_owned(db, &owned).await?;
        println!(
            "Dropped {} table(s){}.",
            owned.tables.len(),
            match owned.enum_types.len() {
                0 => String::new(),
                n => format!(" and {n} enum type(s)"),
            }
        );
    }
    if args.no_migrate {
        println!("Every migration is pending; `migrate` applies them.");
        return Ok(ExitCode::SUCCESS);
    }
    let options = MigrateOptions {
        fake: false,
        retry: false,
        // Asked above; the database is empty now, so no step can lose data.
        yes: true,
        allow_out_of_order: false,
    };
    commands::migrate(project, db, lock, None, options, None).await
}

fn print_owned(owned: &Owned, database: &str) {
    println!("This drops, in {database}:");
    if !owned.tables.is_empty() {
        println!(
            "  {} table(s) of the project: {}",
            owned.tables.len(),
            owned.tables.join(", ")
        );
    }
    if !owned.enum_types.is_empty() {
        println!("  enum type(s): {}", owned.enum_types.join(", "));
    }
    if !owned.tool_tables.is_empty() {
        println!(
            "  the record of {} applied migration(s) and the tool's tables ({})",
            owned.applied,
            owned.tool_tables.join(", ")
        );
    }
    if !owned.left_alone.is_empty() {
        println!(
            "It leaves alone: {} (not the project's, or ignored).",
            owned.left_alone.join(", ")
        );
    }
}
