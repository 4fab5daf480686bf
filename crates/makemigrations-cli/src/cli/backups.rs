//! `backup`, `backups`, `restore`, and what `migrate --backup --restore-on-failure` prints.
//! The work is in `crate::backup`; this only prints and asks.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anstream::println;

use indicatif::{HumanBytes, ProgressBar, ProgressStyle};
use sea_orm::DatabaseConnection;

use super::{BackupDirArg, MigrateBackupArgs};
use crate::backup::{self, Backup};
use crate::error::Error;
use crate::questioner::Terminal;

/// `migrate --backup`: where the backup goes, and whether a failure restores it.
pub(super) struct Safety {
    pub url: String,
    pub dir: PathBuf,
    pub restore_on_failure: bool,
}

impl Safety {
    /// `None` without `--backup` or `--restore-on-failure` (which needs a backup to restore).
    pub fn from_args(url: &str, args: &MigrateBackupArgs) -> Option<Safety> {
        (args.backup || args.restore_on_failure).then(|| Safety {
            url: url.to_string(),
            dir: backup::directory(args.dir.backup_dir.clone()),
            restore_on_failure: args.restore_on_failure,
        })
    }
}

/// `backup`, `backups` and `restore` need a database that exists: checked before the connection,
/// which would create the default SQLite file.
#[allow(clippy::result_large_err)] // the crate's one Error enum
pub(super) fn require_database(cli: &super::Cli) -> Result<(), Error> {
    let purpose = match cli.command {
        super::Command::Backup { .. } => "back up",
        super::Command::Backups { .. } => "list the backups of",
        super::Command::Restore { .. } => "restore into",
        _ => return Ok(()),
    };
    let target = crate::database::with_schema(
        crate::database::resolve(cli.database_url.clone())?,
        cli.database_schema.clone(),
    )?;
    backup::require_database(&target, purpose)
}

/// Makes the backup, with a spinner at a terminal, and prints the file and its size.
pub(super) async fn make(
    db: &DatabaseConnection,
    url: &str,
    dir: &Path,
    name: Option<&str>,
) -> Result<Backup, Error> {
    let checked = backup::preflight(db, url, dir, false).await?;
    make_checked(db, &checked, name).await
}

/// [`make`] with the checks `migrate --backup` made before it touched the database.
pub(super) async fn make_checked(
    db: &DatabaseConnection,
    checked: &backup::Checked,
    name: Option<&str>,
) -> Result<Backup, Error> {
    let spinner = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} backing up: {msg} written ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Some(bar)
    } else {
        None
    };
    let mut progress = |bytes: u64| {
        if let Some(bar) = &spinner {
            bar.set_message(HumanBytes(bytes).to_string());
        }
    };
    let made = backup::create(db, checked, name, &mut progress).await;
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    let made = made?;
    println!(
        "Backed up {} to {} ({})",
        made.database,
        made.path.display(),
        HumanBytes(made.size)
    );
    Ok(made)
}

pub(super) async fn backup_command(
    db: &DatabaseConnection,
    url: &str,
    name: Option<&str>,
    dir: &BackupDirArg,
) -> Result<ExitCode, Error> {
    make(db, url, &backup::directory(dir.backup_dir.clone()), name).await?;
    Ok(ExitCode::SUCCESS)
}

pub(super) async fn list_command(
    db: &DatabaseConnection,
    url: &str,
    dir: &BackupDirArg,
) -> Result<ExitCode, Error> {
    let dir = backup::directory(dir.backup_dir.clone());
    let (database, found) = backup::list(db, url, &dir).await?;
    if found.is_empty() {
        println!("No backups of {database} in {}.", dir.display());
        return Ok(ExitCode::SUCCESS);
    }
    println!("Backups of {database} in {}:", dir.display());
    for listed in &found {
        let name = listed
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "  {name}  {:>10}  {} UTC",
            HumanBytes(listed.size).to_string(),
            listed.taken.format("%Y-%m-%d %H:%M:%S")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A file named as given, else by that name in the backup directory.
fn backup_file(file: &Path, dir: &BackupDirArg) -> PathBuf {
    if file.exists() {
        return file.to_path_buf();
    }
    let in_dir = backup::directory(dir.backup_dir.clone()).join(file);
    if in_dir.exists() {
        in_dir
    } else {
        file.to_path_buf()
    }
}

pub(super) async fn restore_command(
    db: &DatabaseConnection,
    url: &str,
    file: &Path,
    yes: bool,
    dir: &BackupDirArg,
    lock_timeout: u64,
) -> Result<ExitCode, Error> {
    let file = backup_file(file, dir);
    let database = backup::check(db, url, &file).await?;
    println!(
        "Restoring {} replaces everything in {database} (tables, rows, and the record of applied migrations) with the backup's content.",
        file.display()
    );
    if !yes {
        let Some(mut terminal) = Terminal::open() else {
            return Err(Error::RestoreUnconfirmed {
                file: file.display().to_string(),
                database,
            });
        };
        if !terminal
            .yes_no("Restore?")
            .await
            .map_err(|_| Error::Interrupted)?
        {
            println!("Nothing restored.");
            return Ok(ExitCode::from(1));
        }
    }
    let lock = super::commands::run_lock(url, db, lock_timeout).await?;
    let restored = backup::restore(db, url, &file).await;
    lock.release().await;
    let restored = restored?;
    println!(
        "Restored {} into {}.",
        restored.path.display(),
        restored.database
    );
    Ok(ExitCode::SUCCESS)
}

/// After a failure in `migrate` (`committed`: the migrations of this run that were applied or
/// recorded before it): restores the run's backup where the failure may have left a change,
/// says what happened, and returns the error to end the command with.
pub(super) async fn after_failure(
    db: &DatabaseConnection,
    safety: Option<&Safety>,
    made: Option<&Backup>,
    committed: usize,
    failure: Error,
) -> Error {
    let (Some(safety), Some(made)) = (safety, made) else {
        return failure;
    };
    if !safety.restore_on_failure {
        println!(
            "The backup taken before this run is {} (`restore` puts it back).",
            made.path.display()
        );
        return failure;
    }
    if !backup::restore_needed(&failure, committed) {
        println!(
            "No restore needed: the failed migration's transaction was rolled back and no earlier migration of this run was applied, so {} is as before the run. The backup stays at {}.",
            made.database,
            made.path.display()
        );
        return failure;
    }
    println!(
        "Restoring {} into {} ...",
        made.path.display(),
        made.database
    );
    match backup::restore_after_failure(db, &safety.url, made).await {
        Ok(restored) => {
            println!(
                "Restored {} into {}: the database is as it was before this run ({committed} migration(s) of the run undone with it, their records and any half-applied record included).",
                restored.path.display(),
                restored.database
            );
            failure
        }
        Err(restore) => Error::NotRestored {
            failure: Box::new(failure),
            restore: Box::new(restore),
        },
    }
}
