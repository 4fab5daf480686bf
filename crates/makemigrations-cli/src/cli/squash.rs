//! `squashmigrations`: prints what `crate::squash` decided, and writes the file.

use std::process::ExitCode;

use anstream::println;

use sea_orm::DatabaseConnection;

use super::SquashArgs;
use crate::error::Error;
use crate::{squash, writer, Project};

pub(super) async fn squashmigrations(
    project: &Project,
    db: &DatabaseConnection,
    args: &SquashArgs,
) -> Result<ExitCode, Error> {
    if args.check {
        return check(project, db).await;
    }
    let request = squash::Request {
        from: args.from.as_deref().unwrap_or_default(),
        to: args.to.as_deref().unwrap_or_default(),
        name: args.name.as_deref(),
    };
    let squashed = squash::plan(project, db, request).await?;
    let source = writer::format_source(&squashed.source);
    let (first, last) = (
        squashed
            .replaces
            .first()
            .map(String::as_str)
            .unwrap_or_default(),
        squashed
            .replaces
            .last()
            .map(String::as_str)
            .unwrap_or_default(),
    );
    if args.dry_run {
        println!(
            "Would write {}/{}.rs:",
            project.shown_migrations_dir(),
            squashed.module
        );
        print!("{source}");
        return Ok(ExitCode::SUCCESS);
    }
    let path = writer::write_migration(project.migrations_dir.as_ref(), &squashed.module, &source)?;
    println!(
        "Squashed {} migrations ({first} .. {last}) into {} operation(s):",
        squashed.replaces.len(),
        squashed.operations.len()
    );
    super::commands::print_operations(&squashed.operations);
    println!("Migrations for '{}':", project.shown_migrations_dir());
    println!("  {}", crate::shown_path(&path));
    println!(
        "Keep the {} old files until every database has applied the squashed migration \
         (`showmigrations` says so for each). Build, then run `squashmigrations --check` to \
         replay both and compare them.",
        squashed.replaces.len()
    );
    Ok(ExitCode::SUCCESS)
}

async fn check(project: &Project, db: &DatabaseConnection) -> Result<ExitCode, Error> {
    let squashed = project
        .migration_facts
        .iter()
        .filter(|f| !f.replaces.is_empty())
        .count();
    let mismatches = squash::verify(project, db).await?;
    for mismatch in &mismatches {
        println!(
            "{} does not give the schema of the migrations it replaces; it would still have to:",
            mismatch.squashed
        );
        for difference in &mismatch.differences {
            println!("  {difference}");
        }
    }
    if mismatches.is_empty() {
        println!(
            "{squashed} squashed migration(s): each gives the schema of the migrations it replaces."
        );
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(1))
    }
}
