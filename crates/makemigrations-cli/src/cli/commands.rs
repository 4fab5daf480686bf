//! One function per command. Each returns the exit code; errors go back to `run` to be printed.

use std::process::ExitCode;

use anstream::{eprintln, print, println};

use makemigrations_core::ops::{sanitize_name, suggest_name};
use makemigrations_core::render::{render_migration, with_lineage, Lineage, MigrationFile};
use makemigrations_core::Operation;
use sea_orm::DatabaseConnection;

use super::style::{self, paint};
use super::{
    Cli, Command, Format, MakemigrationsArgs, PlanArgs, RollbackArgs, DEFAULT_LOCK_TIMEOUT_SECS,
};
use crate::autodetect;
use crate::database::{self, core_backend};
use crate::error::Error;
use crate::executor::{self, MigrationState};
use crate::gate;
use crate::history;
use crate::lock;
use crate::questioner::{NoInput, Terminal};
use crate::{migrate, writer, Project};

pub(super) async fn dispatch(project: Project, cli: Cli) -> Result<ExitCode, Error> {
    let target = database::with_schema(
        database::resolve(cli.database_url.clone())?,
        cli.database_schema.clone(),
    )?;
    // A command that changes a database says first which one (stderr keeps stdout parseable):
    // without DATABASE_URL that is a local SQLite file, maybe not the server that was meant.
    if !cli.command.only_reads() {
        eprintln!("Database: {}", target.describe());
    }
    let url = match target.source {
        // Read as empty, and not created, by a command that only reads.
        database::UrlSource::Default
            if cli.command.only_reads()
                && !std::path::Path::new(database::DEFAULT_FILE).exists() =>
        {
            "sqlite::memory:".to_string()
        }
        _ => target.url.clone(),
    };
    let mut project = project;
    project
        .ignore_tables
        .extend(cli.ignore_tables.iter().cloned());
    project.shadow_url = database::resolve_shadow_url(cli.shadow_url.clone());
    if let Command::Makemigrations(args) = &cli.command {
        if args.empty {
            return write_empty(&project, args);
        }
    }
    let connect_timeout = std::time::Duration::from_secs(cli.connect_timeout.max(1));
    if let Command::Migrate {
        create_db: true, ..
    } = &cli.command
    {
        super::fresh::create_database(&url, connect_timeout).await?;
    }
    if let Command::Fresh(args) = &cli.command {
        super::fresh::refuse_unless_development(&target, args.force)?;
    }
    let phase = crate::timings::phase("connect");
    let db = database::connect_within(
        &url,
        std::time::Duration::from_secs(cli.connect_timeout.max(1)),
    )
    .await?;
    drop(phase);
    database::require_schema(&db, &url).await?;
    let code = match cli.command {
        Command::Makemigrations(args) => makemigrations(&project, &db, &target, &args).await?,
        Command::Migrate {
            sql: true,
            target,
            allow_out_of_order,
            ..
        } => migrate_sql(&project, &db, target.as_deref(), allow_out_of_order).await?,
        Command::Rollback(args) if args.sql => rollback_sql(&project, &db, &args).await?,
        Command::Sqlmigrate { target, backwards } => {
            sqlmigrate(&project, &db, &target, backwards).await?
        }
        Command::Migrate {
            target,
            fake,
            retry,
            allow_out_of_order,
            preview: PlanArgs { plan: true, format },
            ..
        } => {
            let request = migrate::UpRequest {
                target: target.as_deref(),
                steps: None,
                fake,
                retry,
                allow_out_of_order,
            };
            migrate_plan(&project, &db, request, format).await?
        }
        Command::Rollback(
            args @ RollbackArgs {
                preview: PlanArgs { plan: true, .. },
                ..
            },
        ) => rollback_plan(&project, &db, &args).await?,
        Command::Migrate {
            target,
            fake,
            retry,
            yes,
            allow_out_of_order,
            lock_timeout,
            safety,
            ..
        } => {
            let mut lock = run_lock(&url, &db, lock_timeout).await?;
            let safety = super::backups::Safety::from_args(&url, &safety);
            let options = MigrateOptions {
                fake,
                retry,
                yes,
                allow_out_of_order,
            };
            let result = migrate(
                &project,
                &db,
                &mut lock,
                target.as_deref(),
                options,
                safety.as_ref(),
            )
            .await;
            lock.release().await;
            result?
        }
        // `run` prints it before anything connects.
        Command::Completions { .. } => ExitCode::SUCCESS,
        Command::Rehash {
            target,
            dry_run: true,
            ..
        } => rehash(&project, &db, target.as_deref(), true).await?,
        Command::Rehash {
            target,
            lock_timeout,
            ..
        } => {
            let lock = run_lock(&url, &db, lock_timeout).await?;
            let result = rehash(&project, &db, target.as_deref(), false).await;
            lock.release().await;
            result?
        }
        Command::Rollback(args) => {
            let mut lock = run_lock(&url, &db, args.lock_timeout).await?;
            let result = rollback(&project, &db, &mut lock, &args).await;
            lock.release().await;
            result?
        }
        Command::Showmigrations { graph, output } => {
            showmigrations(&project, &db, graph, output.format).await?
        }
        Command::Current { output } => current(&project, &db, output.format).await?,
        Command::History { limit, output } => history(&project, &db, limit, output.format).await?,
        Command::Check { output } => check(&project, &db, output.format).await?,
        Command::Backup { name, dir } => {
            super::backups::backup_command(&db, &url, name.as_deref(), &dir).await?
        }
        Command::Backups { dir } => super::backups::list_command(&db, &url, &dir).await?,
        Command::Restore {
            file,
            yes,
            dir,
            lock_timeout,
        } => super::backups::restore_command(&db, &url, &file, yes, &dir, lock_timeout).await?,
        Command::Validate => validate(&db).await?,
        Command::Squashmigrations(args) => {
            super::squash::squashmigrations(&project, &db, &args).await?
        }
        Command::Fresh(args) => super::fresh::fresh(&project, &db, &url, &target, &args).await?,
    };
    db.close().await?;
    Ok(code)
}

/// Takes the lock that keeps two `migrate`/`rollback` runs on this database apart, before the
/// migration states are read: a run that had to wait then sees what the other one applied.
pub(super) async fn run_lock(
    url: &str,
    db: &DatabaseConnection,
    timeout_secs: u64,
) -> Result<lock::RunLock, Error> {
    let phase = crate::timings::phase("lock");
    let mut on_wait = |holder: Option<&lock::Holder>| {
        let who = holder.map_or_else(
            || "the backend does not tell who".to_string(),
            |h| h.who.clone(),
        );
        eprintln!("waiting for another migration run to finish (it holds the lock: {who})");
    };
    let lock = lock::acquire(
        db,
        &database::redact(url),
        std::time::Duration::from_secs(timeout_secs),
        &mut on_wait,
    )
    .await;
    drop(phase);
    lock
}

/// One line saying which declared types this backend cannot tell from others, so that "No
/// changes detected" is not read as more than it is. With a schema snapshot, a change of those
/// types is compared with its declared types instead (enum values apart).
fn print_stored_alike(
    backend: sea_orm::DbBackend,
    columns: &[makemigrations_core::diff::StoredAlike],
    snapshot_exists: bool,
) {
    if columns.is_empty() {
        return;
    }
    let examples: Vec<String> = columns.iter().take(3).map(|c| c.describe()).collect();
    let more = match columns.len() {
        n if n > 3 => format!(" and {} more", n - 3),
        _ => String::new(),
    };
    if snapshot_exists {
        println!(
            "Note: {} stores the type of {} entity column(s) like another type, so the database cannot show a change between those types: {}{more}. \
             Such a change is compared with the declared types in the schema snapshot instead (not enum values).",
            core_backend(backend).name(),
            columns.len(),
            examples.join(", ")
        );
        return;
    }
    println!(
        "Note: {} stores the type of {} entity column(s) like another type, so a change between those types is invisible here: {}{more}. \
         docs/types.md shows which backend tells them apart; generate such changes there.",
        core_backend(backend).name(),
        columns.len(),
        examples.join(", ")
    );
}

/// Entities the build script could not reach: their tables are ignored rather than dropped.
fn print_unseen(project: &Project) {
    for entity in project.unseen_entities {
        match entity.table_name {
            Some(table) => eprintln!(
                "{} entity {} in a private module is not seen; its table {table} is left alone; fix: make the module pub", paint(style::CHANGED, "warning:"),
                entity.entity
            ),
            // `makemigrations` refuses to run then (`unseen_guard`).
            None => eprintln!(
                "{} entity {} in a private module is not seen, and its table name could not be read; fix: make the module pub", paint(style::CHANGED, "warning:"),
                entity.entity
            ),
        }
    }
}

/// An unseen entity whose table is unknown could not be left alone: its table would show as
/// dropped. Nothing is compared until the entity can be seen.
fn unseen_guard(project: &Project) -> Result<(), Error> {
    match project
        .unseen_entities
        .iter()
        .find(|e| e.table_name.is_none())
    {
        Some(entity) => Err(Error::Refused(format!(
            "entity {} is in a private module, so the tool cannot see it, and its table name could not be read, so its table cannot be left alone either\n  fix: make the module pub (or give the entity #[sea_orm(table_name = \"...\")])",
            entity.entity
        ))),
        None => Ok(()),
    }
}

fn print_unmanaged(unmanaged: &[String]) {
    if !unmanaged.is_empty() {
        println!(
            "Left alone (no entity describes them and no migration of this project created them): {}",
            unmanaged.join(", ")
        );
    }
}

pub(super) fn print_operations(operations: &[Operation]) {
    let rows = vec![None; operations.len()];
    super::plan_output::print_operations(operations, &rows);
}

fn pending_guard(project: &Project, states: &[MigrationState]) -> Result<(), Error> {
    let pending: Vec<&str> = crate::replacement::pending(project.migration_facts, states)
        .into_iter()
        .map(|s| s.name())
        .collect();
    if pending.is_empty() {
        return Ok(());
    }
    Err(Error::PendingMigrations {
        count: pending.len(),
        names: pending.join(", "),
    })
}

async fn makemigrations(
    project: &Project,
    db: &DatabaseConnection,
    target: &database::Target,
    args: &MakemigrationsArgs,
) -> Result<ExitCode, Error> {
    if args.merge {
        return merge(project, db, args).await;
    }
    let given = super::answers::given(args)?;
    let phase = crate::timings::phase("history");
    let parents = single_head(project)?;
    let states = executor::states(db, (project.migrations)()).await?;
    pending_guard(project, &states)?;
    unseen_guard(project)?;
    drop(phase);
    let compared = autodetect::compare(project, db).await?;
    let json = args.format == super::Format::Json;
    if args.baseline && !states.is_empty() {
        return Err(Error::Refused(format!(
            "--baseline starts a history, and this project has {} migration(s) already\n  fix: adopt the database with a project whose migrations folder is empty, or record the existing migrations with `migrate --fake`",
            states.len()
        )));
    }
    if args.snapshot_only {
        if states.is_empty() {
            return Err(Error::Refused(
                "--snapshot-only records in the schema snapshot what migrations made, and this project has none; nothing was written\n  fix: run `makemigrations` to write the first migration (or `makemigrations --baseline` to adopt the database)".into(),
            ));
        }
        return snapshot_only(project, &compared, json);
    }
    if args.baseline || (states.is_empty() && autodetect::adoptable(&compared)) {
        return baseline(project, db, target, args, &compared).await;
    }
    if !json {
        print_unseen(project);
        print_unmanaged(&compared.unmanaged);
        print_stored_alike(
            db.get_database_backend(),
            &compared.stored_alike,
            writer::snapshot_path(project.migrations_dir.as_ref()).exists(),
        );
    }
    // Only a person at a terminal is asked; everyone else answers with flags or a file.
    let interactive = !args.no_input && !args.check && !args.dry_run && !args.plan;
    let terminal = if interactive { Terminal::open() } else { None };
    let phase = crate::timings::phase("questions");
    let plan = match terminal {
        Some(mut terminal) => autodetect::plan(&compared, &given, &mut terminal, db).await?,
        None => autodetect::plan(&compared, &given, &mut NoInput, db).await?,
    };
    drop(phase);
    if args.plan {
        super::plan_output::print_plan(&compared, &plan, args.format);
        return Ok(ExitCode::SUCCESS);
    }
    for source in &plan.unused {
        eprintln!(
            "{} {source} answers no question of this change (ignored)",
            paint(style::CHANGED, "warning:")
        );
    }
    if !plan.unanswered.is_empty() {
        return Err(Error::Unanswered(plan.unanswered));
    }
    let operations = plan.operations;
    // On standard error, so that `--format json` output stays one document.
    let phase = crate::timings::phase("drift");
    warn_about_drift(project, db.get_database_backend(), &compared, &operations)?;
    drop(phase);
    // For programs: one JSON document instead of the lines below (docs/json.md).
    let report = |written: Option<&str>| {
        if json {
            println!(
                "{}",
                super::plan_output::result_json(written, &operations, &plan.rows, &compared.notes)
            );
        }
    };
    let print_notes = || super::plan_output::print_notes(&compared.notes);
    let phase = crate::timings::phase("snapshot");
    let snapshot =
        writer::SnapshotUpdate::of(project.migrations_dir.as_ref(), compared.snapshot_schema())?;
    drop(phase);
    if !json {
        warn_snapshot_not_head_state(project, &parents, &snapshot);
    }
    if operations.is_empty() {
        // Without a migration the snapshot is written only when it is missing (a project from
        // before snapshots): it describes what the migrations create, so a fact that changed
        // without one (a comment on SQLite) waits for the next migration, shown as a diff.
        let writes = !args.check && !args.dry_run && snapshot.old.is_none();
        if writes {
            snapshot.write()?;
        }
        report(None);
        if !json {
            println!("No changes detected");
            print_notes();
            if snapshot.old.is_some() && snapshot.changes() && !args.check && !args.dry_run {
                println!(
                    "The schema snapshot differs from the entities in what this database does not keep; no migration is needed here, so it is left as it is and the next migration updates it."
                );
            }
            print_snapshot(&snapshot, writes);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let existing: Vec<String> = states.iter().map(|s| s.name().to_string()).collect();
    let name =
        migration_name(args).unwrap_or_else(|| suggest_name(&operations, existing.is_empty()));
    let module = writer::next_module_name(project.migrations_dir.as_ref(), &name, &existing);
    if args.check {
        report(None);
        if !json {
            println!("Changes that have no migration yet:");
            super::plan_output::print_operations(&operations, &plan.rows);
            print_notes();
            print_snapshot(&snapshot, false);
            println!("Run `makemigrations` to write the migration.");
        }
        return Ok(ExitCode::from(1));
    }
    let state = writer::snapshot_state(&snapshot.new);
    let source = writer::format_source(&with_lineage(
        &render_migration(&MigrationFile {
            name: &module,
            message: args.message.as_deref(),
            up: &operations,
            down: None,
        }),
        &Lineage {
            after: &parents,
            state: Some(&state),
        },
    ));
    if args.dry_run && json {
        report(None);
        return Ok(ExitCode::SUCCESS);
    }
    if args.dry_run {
        println!(
            "Would write {}/{module}.rs:",
            project.shown_migrations_dir()
        );
        super::plan_output::print_operations(&operations, &plan.rows);
        print_notes();
        print_snapshot(&snapshot, false);
        println!();
        print!("{source}");
        return Ok(ExitCode::SUCCESS);
    }
    let path = writer::write_migration(project.migrations_dir.as_ref(), &module, &source)?;
    snapshot.write()?;
    if json {
        report(Some(&crate::shown_path(&path)));
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}",
        paint(
            style::HEADING,
            format!("Migrations for '{}':", project.shown_migrations_dir())
        )
    );
    println!("  {}", crate::shown_path(&path));
    super::plan_output::print_operations(&operations, &plan.rows);
    print_notes();
    print_snapshot(&snapshot, true);
    if operations
        .iter()
        .any(|op| matches!(op, Operation::Backfill { .. }))
    {
        println!(
            "Write the backfill step in {} before `migrate`: it refuses the migration while `todo_backfill` is there.",
            crate::shown_path(&path)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Adoption: the database's own tables (those the entities describe) as a baseline migration,
/// recorded as applied here; then how the entities differ from them, by kind, for the user to
/// decide (docs/guide.md, "Adopting an existing database").
async fn baseline(
    project: &Project,
    db: &DatabaseConnection,
    target: &database::Target,
    args: &MakemigrationsArgs,
    compared: &autodetect::Compared,
) -> Result<ExitCode, Error> {
    if !compared.declared_renames.is_empty() {
        return Err(Error::Refused(
            "the entities declare renames (renamed_from, TABLE_RENAMED_FROM), so the baseline would describe names this database does not have\n  fix: adopt the database with the entities' names as they are in it, then declare the renames for the next migration".into(),
        ));
    }
    let operations = autodetect::baseline_operations(compared);
    let tables: Vec<&str> = operations
        .iter()
        .filter_map(|op| match op {
            Operation::CreateTable(t) => Some(t.name.as_str()),
            _ => None,
        })
        .collect();
    if tables.is_empty() {
        return Err(Error::Refused(
            "--baseline found no table of the entities in this database: there is nothing to adopt\n  fix: point DATABASE_URL at the database to adopt, or run `makemigrations` without --baseline to write an initial migration".into(),
        ));
    }
    let differences = makemigrations_core::adoption::report(&compared.operations());
    let name = migration_name(args).unwrap_or_else(|| "baseline".to_string());
    let module = writer::next_module_name(project.migrations_dir.as_ref(), &name, &[]);
    let json = args.format == super::Format::Json;
    // What the baseline creates, which is what the migrations create from now on.
    let snapshot = writer::SnapshotUpdate::of(
        project.migrations_dir.as_ref(),
        &compared.baseline_snapshot_schema(),
    )?;
    let state = writer::snapshot_state(&snapshot.new);
    let source = writer::format_source(&with_lineage(
        &makemigrations_core::render::render_baseline(&MigrationFile {
            name: &module,
            message: args.message.as_deref(),
            up: &operations,
            down: None,
        }),
        &Lineage {
            after: &[],
            state: Some(&state),
        },
    ));
    if (args.dry_run || args.check || args.plan) && json {
        println!(
            "{}",
            super::plan_output::baseline_json(None, &operations, &differences)
        );
        return Ok(ExitCode::from(u8::from(args.check)));
    }
    if args.dry_run || args.check || args.plan {
        println!(
            "Would adopt the database: write {}/{module}.rs (a baseline of {} table(s)) and record it as applied.",
            project.shown_migrations_dir(),
            tables.len()
        );
        print_snapshot(&snapshot, false);
        print_differences(&differences);
        return Ok(ExitCode::from(u8::from(args.check)));
    }
    // Recording writes the tracking tables, as `migrate` does: under the same run lock, taken
    // before the file is written so that a timeout leaves nothing behind.
    eprintln!("Database: {}", target.describe());
    let lock = run_lock(&target.url, db, DEFAULT_LOCK_TIMEOUT_SECS).await?;
    let recorded = async {
        let path = writer::write_migration(project.migrations_dir.as_ref(), &module, &source)?;
        executor::record_baseline(db, &module, &tables, None).await?;
        Ok::<_, Error>(path)
    }
    .await;
    lock.release().await;
    let path = recorded?;
    snapshot.write()?;
    if json {
        let written = crate::shown_path(&path);
        println!(
            "{}",
            super::plan_output::baseline_json(Some(&written), &operations, &differences)
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Adopted the database: {} table(s) as they are, in a baseline migration recorded as applied here.",
        tables.len()
    );
    println!(
        "{}",
        paint(
            style::HEADING,
            format!("Migrations for '{}':", project.shown_migrations_dir())
        )
    );
    println!("  {}", crate::shown_path(&path));
    println!(
        "  (`migrate` records it as applied wherever these tables exist, and creates them on an empty database)"
    );
    print_snapshot(&snapshot, true);
    for (table, referenced) in autodetect::references_outside_baseline(compared) {
        println!(
            "{} {table} references {referenced}, which no entity describes: on an empty database the baseline cannot create {table} until {referenced} exists (describe it with an entity, or create it in the baseline by hand)", paint(style::CHANGED, "warning:")
        );
    }
    print_differences(&differences);
    Ok(ExitCode::SUCCESS)
}

/// The adoption report: each kind of difference with its count, a few examples, and the line
/// that keeps the database's version of it.
fn print_differences(kinds: &[makemigrations_core::adoption::KindOfDifference]) {
    let total: usize = kinds.iter().map(|k| k.subjects.len()).sum();
    if total == 0 {
        println!("The entities match the database: nothing to decide.");
        return;
    }
    println!("The entities differ from the database in {total} place(s). Nothing was written for them; decide each kind:");
    for kind in kinds {
        let count = kind.subjects.len();
        let examples: Vec<&str> = kind.subjects.iter().take(4).map(String::as_str).collect();
        let more = match count {
            n if n > 4 => format!(" and {} more", n - 4),
            _ => String::new(),
        };
        match &kind.keep {
            Some(keep) => {
                println!(
                    "  {count} {}: {}{more}",
                    keep.describe(),
                    examples.join(", ")
                );
                println!(
                    "      keep the database's version: add {} to `.keep_database([...])` in the migration crate's `project()`",
                    keep.code()
                );
            }
            None => println!("  {count} other change(s): {}{more}", examples.join(", ")),
        }
    }
    println!("Then `makemigrations` writes a migration for the rest, to review like any other (steps that lose data are asked about first).");
}

/// After the operations: that the schema snapshot is new, or its diff, coloured at a terminal
/// unless NO_COLOR is set (anstream strips the colours otherwise). Nothing when it is unchanged.
fn print_snapshot(snapshot: &writer::SnapshotUpdate, written: bool) {
    if !snapshot.changes() {
        return;
    }
    let shown = crate::shown_path(&snapshot.path);
    match (&snapshot.old, written) {
        (None, true) => {
            println!("Wrote {shown}, the schema snapshot: commit it with the migrations.")
        }
        (None, false) => println!("Would write {shown}, the schema snapshot (there is none yet)."),
        (Some(_), true) => println!("Updated {shown}:"),
        (Some(_), false) => println!("Would update {shown}:"),
    }
    print_colored_diff(&snapshot.diff());
}

/// A unified diff, coloured at a terminal unless NO_COLOR is set.
fn print_colored_diff(diff: &str) {
    use std::io::Write;
    let added = anstyle::AnsiColor::Green.on_default();
    let removed = anstyle::AnsiColor::Red.on_default();
    let hunk = anstyle::AnsiColor::Cyan.on_default();
    let header = anstyle::Style::new().bold();
    let mut out = anstream::stdout().lock();
    for line in diff.lines() {
        let style = match line {
            l if l.starts_with("+++") || l.starts_with("---") => header,
            l if l.starts_with('+') => added,
            l if l.starts_with('-') => removed,
            l if l.starts_with("@@") => hunk,
            _ => anstyle::Style::new(),
        };
        let _ = writeln!(out, "{style}{line}{style:#}");
    }
}

/// Operations that would undo a change made to this database outside its migrations (where the
/// entities agree with the schema snapshot): other databases lack that change, so the step may
/// fail there. Said, not refused: a snapshot that lags behind a migration written by hand looks
/// the same from here.
fn warn_about_drift(
    project: &Project,
    backend: sea_orm::DbBackend,
    compared: &autodetect::Compared,
    operations: &[Operation],
) -> Result<(), Error> {
    // Drift is some of the operations: with none there is nothing to sort (rendering and
    // comparing the snapshot of 1,000 tables took 0.36-1.15 s of a warm debug run).
    if operations.is_empty() {
        return Ok(());
    }
    let path = writer::snapshot_path(project.migrations_dir.as_ref());
    let Some(snapshot) = writer::read_snapshot(&path)? else {
        return Ok(());
    };
    let legs = crate::legs::sort(
        compared,
        operations.to_vec(),
        Some(&snapshot),
        true,
        backend,
        &crate::shown_path(&path),
    )?;
    if legs.drift.is_empty() {
        return Ok(());
    }
    eprintln!("{} these steps undo changes made to this database outside its migrations (the entities agree with the migrations there); other databases do not have those changes, so the steps may fail there:", paint(style::CHANGED, "warning:"));
    for op in &legs.drift {
        eprintln!(
            "  {} {}",
            paint(
                style::of_symbol(op.category().symbol()),
                op.category().symbol()
            ),
            op.describe()
        );
    }
    eprintln!("  fix: undo the changes in this database (`check` lists them) and run `makemigrations` again; keep the steps only if every database has the changes");
    Ok(())
}

/// `makemigrations --snapshot-only`: the snapshot written from the entities after a migration
/// written by hand made their change; refused while the database differs from them, since the
/// snapshot would then say that the migrations make what they do not.
fn snapshot_only(
    project: &Project,
    compared: &autodetect::Compared,
    json: bool,
) -> Result<ExitCode, Error> {
    let operations = compared.operations();
    if !operations.is_empty() {
        let listed: Vec<String> = operations
            .iter()
            // Plain: an error's text is also the `message` of `--format json`.
            .map(|op| format!("    {} {}", op.category().symbol(), op.describe()))
            .collect();
        return Err(Error::Refused(format!(
            "--snapshot-only: the database differs from the entities, and the snapshot would say that the migrations make what they do not; nothing was written:\n{}\n  fix: apply the migration written by hand first (`migrate`), or run `makemigrations` to write one for these",
            listed.join("\n")
        )));
    }
    let phase = crate::timings::phase("snapshot");
    let snapshot =
        writer::SnapshotUpdate::of(project.migrations_dir.as_ref(), compared.snapshot_schema())?;
    drop(phase);
    snapshot.write()?;
    if json {
        let written = snapshot
            .changes()
            .then(|| crate::shown_path(&snapshot.path));
        println!(
            "{}",
            super::plan_output::snapshot_only_json(written.as_deref())
        );
        return Ok(ExitCode::SUCCESS);
    }
    if !snapshot.changes() {
        println!(
            "The schema snapshot already says what the entities declare; nothing was written."
        );
    }
    print_snapshot(&snapshot, true);
    Ok(ExitCode::SUCCESS)
}

/// `--name`, or else the `-m` message made into a name.
fn migration_name(args: &MakemigrationsArgs) -> Option<String> {
    args.name
        .clone()
        .or_else(|| args.message.as_deref().map(sanitize_name))
        .filter(|n| !n.is_empty())
}

fn write_empty(project: &Project, args: &MakemigrationsArgs) -> Result<ExitCode, Error> {
    let parents = single_head(project)?;
    let existing = existing_module_names(project);
    let name = migration_name(args).unwrap_or_else(|| "custom".to_string());
    let module = writer::next_module_name(project.migrations_dir.as_ref(), &name, &existing);
    // It changes nothing the tool knows of: the state is the snapshot's as it is.
    let snapshot_path = writer::snapshot_path(project.migrations_dir.as_ref());
    let state = writer::read_snapshot(&snapshot_path)?.map(|text| writer::snapshot_state(&text));
    let source = writer::format_source(&with_lineage(
        &render_migration(&MigrationFile {
            name: &module,
            message: args.message.as_deref(),
            up: &[],
            down: Some(&[]),
        }),
        &Lineage {
            after: &parents,
            state: state.as_deref(),
        },
    ));
    let json = args.format == super::Format::Json;
    if args.dry_run || args.check || args.plan {
        if json {
            println!("{}", super::plan_output::result_json(None, &[], &[], &[]));
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "Would write {}/{module}.rs:",
            project.shown_migrations_dir()
        );
        print!("{source}");
        return Ok(ExitCode::SUCCESS);
    }
    let path = writer::write_migration(project.migrations_dir.as_ref(), &module, &source)?;
    if json {
        let written = crate::shown_path(&path);
        println!(
            "{}",
            super::plan_output::result_json(Some(&written), &[], &[], &[])
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}",
        paint(
            style::HEADING,
            format!("Migrations for '{}':", project.shown_migrations_dir())
        )
    );
    println!("  {}", crate::shown_path(&path));
    println!("  (empty: write its up and down by hand)");
    Ok(ExitCode::SUCCESS)
}

/// The history's graph from the compiled migrations and their markers.
fn history_graph(project: &Project) -> crate::graph::Graph {
    let names = existing_module_names(project);
    let files: Vec<&str> = names.iter().map(String::as_str).collect();
    crate::graph::Graph::new(&files, project.migration_facts)
}

/// What a new migration comes after: the one head (none for the first migration). Two heads
/// are refused: the new migration would belong to neither branch.
fn single_head(project: &Project) -> Result<Vec<String>, Error> {
    let graph = history_graph(project);
    if let Some(divergence) = graph.divergence() {
        return Err(Error::MultipleHeads(divergence));
    }
    // A file written since the last build (two `--empty` in a row) is not in the compiled
    // list yet: the new migration comes after it, as its name does (`next_module_name`).
    let compiled = existing_module_names(project);
    if let Some(newest) = writer::newest_on_disk(project.migrations_dir.as_ref())
        .filter(|newest| !compiled.contains(newest))
    {
        return Ok(vec![newest]);
    }
    Ok(graph.heads().into_iter().map(str::to_string).collect())
}

/// The snapshot on disk should be the one the head migration left (its `//! state:`); when it
/// is not, it was edited by hand or not written again after a git merge, and its diff below is
/// measured from that text rather than from the history.
fn warn_snapshot_not_head_state(
    project: &Project,
    head: &[String],
    snapshot: &writer::SnapshotUpdate,
) {
    let ([head], Some(old)) = (head, &snapshot.old) else {
        return;
    };
    let Some(fact) = project.migration_facts.iter().find(|f| f.name == *head) else {
        return;
    };
    if !fact.state.is_empty() && fact.state != writer::snapshot_state(old) {
        eprintln!(
            "{} {} is not the schema snapshot that {head} left (its `//! state:` differs): it was edited by hand or not written again after a merge; a migration written now writes it again from the entities", paint(style::CHANGED, "warning:"),
            crate::shown_path(&snapshot.path)
        );
    }
}

/// `makemigrations --merge`: with two or more heads, checks that the branches change different
/// tables and enum types, asks (or takes `--yes`), and writes a migration that comes after every
/// head and changes nothing, with the snapshot written again from the entities (which hold both
/// branches after a git merge; the snapshot may hold conflict markers).
async fn merge(
    project: &Project,
    db: &DatabaseConnection,
    args: &MakemigrationsArgs,
) -> Result<ExitCode, Error> {
    let json = args.format == Format::Json;
    let graph = history_graph(project);
    let Some(divergence) = graph.divergence() else {
        if json {
            println!("{}", super::plan_output::merge_json(None, &[]));
        } else {
            println!("No branches to merge: the history has one head.");
        }
        return Ok(ExitCode::SUCCESS);
    };
    let heads: Vec<String> = divergence.branches.iter().map(|b| b.head.clone()).collect();
    let mut conflicts = Vec::new();
    // Each pair of heads: what one has and the other does not (with three heads, two of them
    // may share migrations after the fork of all three).
    for (i, left) in heads.iter().enumerate() {
        for right in &heads[i + 1..] {
            let (left, right) = (graph.ancestors(left), graph.ancestors(right));
            let only_left: Vec<&str> = left.difference(&right).copied().collect();
            let only_right: Vec<&str> = right.difference(&left).copied().collect();
            let found =
                crate::independence::conflicts(&only_left, &only_right, project.migration_facts);
            for conflict in found {
                if !conflicts.contains(&conflict) {
                    conflicts.push(conflict);
                }
            }
        }
    }
    if !conflicts.is_empty() {
        return Err(Error::BranchesOverlap { heads, conflicts });
    }
    unseen_guard(project)?;
    if !json {
        match &divergence.fork {
            Some(fork) => println!("The history forked after {fork}:"),
            None => println!("The history has branches that share no migration:"),
        }
        for branch in &divergence.branches {
            println!("  branch {}: {}", branch.head, branch.migrations.join(", "));
        }
        println!("They change different tables and enum types, so they apply in either order.");
    }
    let writes = !args.dry_run;
    if writes && !args.yes {
        let terminal = if args.no_input {
            None
        } else {
            Terminal::open()
        };
        let Some(mut terminal) = terminal else {
            return Err(Error::MergeUnconfirmed(heads));
        };
        let prompt = format!("Merge {}?", heads.join(" and "));
        if !terminal
            .yes_no(&prompt)
            .await
            .map_err(|_| Error::Interrupted)?
        {
            println!("Nothing written.");
            return Ok(ExitCode::from(1));
        }
    }
    // The entities hold every branch now: the state the merged history leaves. The snapshot is
    // written again from them, so it is not read (git may have left both branches' lines in it).
    let compared = autodetect::compare_with(project, db, false).await?;
    let phase = crate::timings::phase("snapshot");
    let snapshot =
        writer::SnapshotUpdate::of(project.migrations_dir.as_ref(), compared.snapshot_schema())?;
    drop(phase);
    let state = writer::snapshot_state(&snapshot.new);
    let name = migration_name(args).unwrap_or_else(|| "merge".to_string());
    let existing = existing_module_names(project);
    let module = writer::next_module_name(project.migrations_dir.as_ref(), &name, &existing);
    let source = writer::format_source(&makemigrations_core::render::render_merge(
        &module,
        &heads,
        Some(&state),
    ));
    if !writes {
        if json {
            println!("{}", super::plan_output::merge_json(None, &heads));
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "Would write {}/{module}.rs:",
            project.shown_migrations_dir()
        );
        print_snapshot(&snapshot, false);
        println!();
        print!("{source}");
        return Ok(ExitCode::SUCCESS);
    }
    let path = writer::write_migration(project.migrations_dir.as_ref(), &module, &source)?;
    snapshot.write()?;
    if json {
        let written = crate::shown_path(&path);
        println!("{}", super::plan_output::merge_json(Some(&written), &heads));
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}",
        paint(
            style::HEADING,
            format!("Migrations for '{}':", project.shown_migrations_dir())
        )
    );
    println!("  {}", crate::shown_path(&path));
    println!("  (merges {})", heads.join(" and "));
    print_snapshot(&snapshot, true);
    Ok(ExitCode::SUCCESS)
}

fn existing_module_names(project: &Project) -> Vec<String> {
    (project.migrations)()
        .iter()
        .map(|m| m.name().to_string())
        .collect()
}

/// `migrate`'s flags besides TARGET.
pub(super) struct MigrateOptions {
    pub fake: bool,
    pub retry: bool,
    pub yes: bool,
    pub allow_out_of_order: bool,
}

/// Prints a run as it goes: `  name ... OK (0.12s)`. At a terminal, a run of several migrations
/// also shows a progress bar on standard error under the lines, with the migration running.
#[derive(Default)]
struct PrintSteps {
    bar: Option<indicatif::ProgressBar>,
}

impl PrintSteps {
    /// Prints `line` above the bar, if there is one.
    fn line(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| println!("{line}")),
            None => println!("{line}"),
        }
    }

    fn clear_bar(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// A run that stopped halfway leaves no bar over the error that follows.
impl Drop for PrintSteps {
    fn drop(&mut self) {
        self.clear_bar();
    }
}

impl migrate::Observer for PrintSteps {
    fn begin(&mut self, kind: migrate::RunKind, count: usize) {
        let heading = match kind {
            migrate::RunKind::Apply => {
                paint(style::HEADING, format!("Applying {count} migration(s):"))
            }
            migrate::RunKind::RecordApplied => {
                format!("Recording {count} migration(s) as applied, without running them:")
            }
            migrate::RunKind::Revert => {
                paint(style::HEADING, format!("Reverting {count} migration(s):"))
            }
            migrate::RunKind::RecordReverted => format!(
                "Recording {count} migration(s) as not applied, without running their down:"
            ),
        };
        println!("{heading}");
        use std::io::IsTerminal;
        // Not with -v: its lines go straight to stderr and would break into the bar.
        let verbose = tracing::enabled!(target: "makemigrations", tracing::Level::INFO);
        if count > 1
            && !verbose
            && std::io::stdout().is_terminal()
            && std::io::stderr().is_terminal()
        {
            let bar = indicatif::ProgressBar::new(count as u64).with_style(
                indicatif::ProgressStyle::with_template("  [{bar:30}] {pos}/{len} {wide_msg}")
                    .expect("the template is valid")
                    .progress_chars("=> "),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            self.bar = Some(bar);
        }
    }

    fn starting(&mut self, name: &str) {
        use std::io::Write;
        match &self.bar {
            Some(bar) => bar.set_message(name.to_string()),
            None => {
                print!("  {name} ...");
                let _ = std::io::stdout().flush();
            }
        }
    }

    fn finished(&mut self, name: &str, outcome: migrate::StepOutcome) {
        let outcome = match outcome {
            migrate::StepOutcome::Ran(elapsed) => {
                format!(
                    "{} ({:.2}s)",
                    paint(style::GOOD, "OK"),
                    elapsed.as_secs_f64()
                )
            }
            migrate::StepOutcome::RecordedBaseline => {
                "RECORDED (a baseline whose tables exist here)".to_string()
            }
            migrate::StepOutcome::RecordedSquashed => {
                "RECORDED (the migrations it replaces are applied here)".to_string()
            }
            migrate::StepOutcome::Faked => "FAKED".to_string(),
            migrate::StepOutcome::Failed => paint(style::DANGER, "FAILED"),
            migrate::StepOutcome::Stopped => paint(style::DANGER, "STOPPED"),
        };
        match &self.bar {
            Some(bar) => {
                self.line(&format!("  {name} ... {outcome}"));
                bar.inc(1);
                if bar.position() >= bar.length().unwrap_or(0) {
                    self.clear_bar();
                }
            }
            None => println!(" {outcome}"),
        }
    }

    fn validating_every_table(&mut self, why: &str) {
        self.clear_bar();
        println!("Validating every table: {why}.");
    }

    fn validated(&mut self, report: &crate::validate::Report, elapsed: std::time::Duration) {
        self.clear_bar();
        println!(
            "Validating ... OK ({} table(s), {:.2}s)",
            report.tables,
            elapsed.as_secs_f64()
        );
        print_validation_warnings(report);
    }
}

pub(super) async fn migrate(
    project: &Project,
    db: &DatabaseConnection,
    lock: &mut lock::RunLock,
    target: Option<&str>,
    options: MigrateOptions,
    safety: Option<&super::backups::Safety>,
) -> Result<ExitCode, Error> {
    // A backup that cannot be made stops the run before anything changes; what was checked
    // makes the backup below without checking again.
    let checked = match safety {
        Some(s) => Some(crate::backup::preflight(db, &s.url, &s.dir, s.restore_on_failure).await?),
        None => None,
    };
    let request = migrate::UpRequest {
        target,
        steps: None,
        fake: options.fake,
        retry: options.retry,
        allow_out_of_order: options.allow_out_of_order,
    };
    let plan = migrate::plan_up(project, db, request).await?;
    if !plan.data_loss.is_empty() {
        println!("{}", paint(style::DANGER, "These steps lose data:"));
        print_marked(&plan.data_loss);
        let asks = gate::ApplyPlan {
            data_loss: plan.data_loss.clone(),
            ..Default::default()
        }
        .asks(options.yes, true);
        if let Some(mut terminal) = asks.then(Terminal::open).flatten() {
            if !terminal
                .yes_no("Apply?")
                .await
                .map_err(|_| Error::Interrupted)?
            {
                println!("Nothing applied.");
                return Ok(ExitCode::from(1));
            }
        }
    }
    // `--backup`: after every check that can refuse, before anything changes.
    let backup = match &checked {
        Some(checked) if !plan.is_empty() => {
            Some(super::backups::make_checked(db, checked, None).await?)
        }
        _ => None,
    };
    match migrate::apply(project, db, plan, lock, true, &mut PrintSteps::default()).await {
        Ok(0) => {
            println!("No migrations to apply.");
            Ok(ExitCode::SUCCESS)
        }
        Ok(_) => Ok(ExitCode::SUCCESS),
        // Nothing of the run's migrations happened: the database is as the backup has it, give
        // or take what came since, which a restore would lose.
        Err(stopped) if !stopped.while_migrating => Err(stopped.error),
        Err(stopped) if stopped.lock_lost => {
            if let Some(made) = &backup {
                println!(
                    "Not restored (another run may be going on now); the backup taken before this run is {}.",
                    made.path.display()
                );
            }
            Err(stopped.error)
        }
        Err(stopped) => {
            if let Error::ValidationFailed { .. } = stopped.error {
                println!("Validating ... {}", paint(style::DANGER, "FAILED"));
                // `--restore-on-failure` puts the database back as before the run; otherwise
                // the migrations stay, and the user corrects the rows.
                if !safety.is_some_and(|s| s.restore_on_failure) {
                    println!("The migrations of this run stay applied and recorded.");
                }
            }
            let backup = backup.as_ref();
            Err(
                super::backups::after_failure(db, safety, backup, stopped.committed, stopped.error)
                    .await,
            )
        }
    }
}

fn print_validation_warnings(report: &crate::validate::Report) {
    for warning in &report.warnings {
        println!(
            "  {} {}",
            paint(style::CHANGED, "warning:"),
            warning.describe()
        );
    }
    for old in &report.preexisting {
        println!("  already before this run: {}", old.describe());
    }
}

/// `validate`: the checks `migrate` runs after it applies, on demand. Reads only.
async fn validate(db: &DatabaseConnection) -> Result<ExitCode, Error> {
    let report = crate::validate::validate(db, &crate::validate::Scope::All).await?;
    if !report.ok() {
        return Err(Error::ValidationFailed {
            report,
            after_migrate: false,
        });
    }
    println!(
        "OK: {} table(s) checked, no integrity problem found.",
        report.tables
    );
    print_validation_warnings(&report);
    Ok(ExitCode::SUCCESS)
}

/// What `rollback`'s flags ask for (`--sql` ignores `--fake` and `--retry`, which clap refuses
/// beside it).
fn down_request(args: &RollbackArgs) -> migrate::DownRequest<'_> {
    migrate::DownRequest {
        steps: args.steps,
        to: args.to.as_deref(),
        all: args.all,
        fake: args.fake,
        retry: args.retry,
        force: args.force,
    }
}

async fn rollback(
    project: &Project,
    db: &DatabaseConnection,
    lock: &mut lock::RunLock,
    args: &RollbackArgs,
) -> Result<ExitCode, Error> {
    let plan = migrate::plan_down(project, db, down_request(args)).await?;
    match migrate::revert(db, plan, lock, &mut PrintSteps::default()).await {
        Ok(0) => {
            println!("No migrations to roll back.");
            Ok(ExitCode::SUCCESS)
        }
        Ok(_) => Ok(ExitCode::SUCCESS),
        Err(stopped) => Err(stopped.error),
    }
}

/// Records again the checksum of applied migrations whose files were edited on purpose (all of
/// them, or `target`), so that `check` and `migrate` take the files as they are now. Flyway calls
/// this `repair`; here it re-records checksums and nothing else.
async fn rehash(
    project: &Project,
    db: &DatabaseConnection,
    target: Option<&str>,
    dry_run: bool,
) -> Result<ExitCode, Error> {
    let applied = executor::applied(db).await?;
    let states = executor::states_from((project.migrations)(), &applied);
    let target = match target {
        Some(target) => {
            let state = &states[migrate::find_target(&states, target)?];
            if state.applied_at.is_none() {
                return Err(Error::Refused(format!(
                    "{} is not applied, so no checksum of it is recorded; nothing was changed\n  fix: name an applied migration (see `showmigrations`); a pending one is checked when `migrate` applies it",
                    state.name()
                )));
            }
            Some(state.name())
        }
        None => None,
    };
    let files: Vec<&str> = states.iter().map(|s| s.name()).collect();
    let report = history::inspect(&files, project.migration_facts, &applied, |f| {
        project.shown_migration_file(f)
    });
    let plan = history::rehash_plan(&report, project.migration_facts, target);
    if plan.is_empty() {
        match target {
            Some(name) => println!("{name} is as it was applied: nothing to re-record."),
            None => println!("No applied migration was edited: nothing to re-record."),
        }
        return Ok(ExitCode::SUCCESS);
    }
    if dry_run {
        println!(
            "Would record the checksum of {} edited migration(s) as their files are now:",
            plan.len()
        );
    } else {
        executor::rehash(db, &plan).await?;
        println!(
            "Recorded the checksum of {} edited migration(s) as their files are now:",
            plan.len()
        );
    }
    for (name, _) in &plan {
        println!("  {name}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Each migration with its `// !` lines.
fn print_marked(marked: &[gate::Marked]) {
    for m in marked {
        println!("  {}:", m.migration);
        for line in &m.lines {
            println!("    {} {line}", paint(style::DANGER, "!"));
        }
    }
}

async fn showmigrations(
    project: &Project,
    db: &DatabaseConnection,
    graph: bool,
    format: Format,
) -> Result<ExitCode, Error> {
    let (states, applied) = executor::states_and_applied(db, (project.migrations)()).await?;
    let half_applied = executor::half_applied(db).await?;
    let list = crate::report::migration_list(project, &states, &applied, &half_applied);
    if format == Format::Json {
        super::plan_output::print_json(&list);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}:", project.shown_migrations_dir());
    if list.migrations.is_empty() {
        println!(" (no migrations)");
    }
    if graph {
        let files: Vec<&str> = states.iter().map(|s| s.name()).collect();
        for row in crate::graph::Graph::new(&files, project.migration_facts).draw() {
            let status = row
                .migration
                .and_then(|name| list.migrations.iter().find(|m| m.name == name));
            match status {
                Some(status) if status.head => println!(
                    " {} {}  (head)",
                    row.lanes,
                    migration_line(status, &list.migrations)
                ),
                Some(status) => println!(
                    " {} {}",
                    row.lanes,
                    migration_line(status, &list.migrations)
                ),
                None => println!(" {}", row.lanes),
            }
        }
    } else {
        for status in &list.migrations {
            println!(" {}", migration_line(status, &list.migrations));
        }
    }
    // Whether this database is past a squashed range: the old files can go once every database is.
    for squashed in list.migrations.iter().filter(|m| !m.replaces.is_empty()) {
        if squashed.applied {
            println!(
                "{} is applied here: this database is past the {} migration(s) it replaces; delete their files and its `//! replaces:` lines once every database shows it applied.",
                squashed.name,
                squashed.replaces.len()
            );
        } else {
            println!(
                "{} is not applied here yet: keep the {} migration(s) it replaces until `migrate` has run on every database.",
                squashed.name,
                squashed.replaces.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `[X] name  (applied ...)`: one migration's line in `showmigrations`.
fn migration_line(
    status: &crate::report::MigrationStatus,
    all: &[crate::report::MigrationStatus],
) -> String {
    match (status.applied_at_unix, &status.half_applied) {
        (_, Some(h)) if h.interrupted => format!(
            "[!] {}  (stopped halfway, killed or its connection lost, unless a run is going on now: {} statement(s) completed; see `migrate`)",
            status.name, h.statements_applied
        ),
        (_, Some(h)) => format!(
            "[!] {}  (failed halfway: {} statement(s) applied; see `migrate`)",
            status.name, h.statements_applied
        ),
        (Some(at), None) => format!(
            "[X] {}  (applied {}{}{})",
            status.name,
            crate::shown_time(at),
            if status.applied_out_of_order {
                ", out of order: after a newer one"
            } else {
                ""
            },
            replacement_note(status),
        ),
        (None, None) if covered(status, all) => format!(
            "[-] {}  (replaced by {}, which is applied here)",
            status.name,
            status.replaced_by.as_deref().unwrap_or_default()
        ),
        (None, None) => match replacement_note(status).as_str() {
            "" => format!("[ ] {}", status.name),
            note => format!("[ ] {}  ({})", status.name, &note[2..]),
        },
    }
}

/// Whether a replaced migration is covered here by its applied squashed migration.
fn covered(
    status: &crate::report::MigrationStatus,
    all: &[crate::report::MigrationStatus],
) -> bool {
    status
        .replaced_by
        .as_ref()
        .is_some_and(|s| all.iter().any(|m| &m.name == s && m.applied))
}

/// `, replaced by ..` or `, replaces N migrations: first .. last`, for showmigrations' lines.
fn replacement_note(status: &crate::report::MigrationStatus) -> String {
    match (&status.replaced_by, status.replaces.as_slice()) {
        (Some(squashed), _) => format!(", replaced by {squashed}"),
        (None, [first, .., last]) => format!(
            ", replaces {} migrations: {first} .. {last}",
            status.replaces.len()
        ),
        (None, [one]) => format!(", replaces {one}"),
        (None, []) => String::new(),
    }
}

async fn current(
    project: &Project,
    db: &DatabaseConnection,
    format: Format,
) -> Result<ExitCode, Error> {
    let states = executor::states(db, (project.migrations)()).await?;
    let current = crate::report::current(project, &states);
    if format == Format::Json {
        super::plan_output::print_json(&current);
        return Ok(ExitCode::SUCCESS);
    }
    match &current.current {
        Some(name) => {
            let note = match current.pending.len() {
                0 => "(head)".to_string(),
                pending => format!("({pending} pending)"),
            };
            println!("{name} {note}");
        }
        None => println!("No migrations applied."),
    }
    Ok(ExitCode::SUCCESS)
}

async fn history(
    project: &Project,
    db: &DatabaseConnection,
    limit: Option<usize>,
    format: Format,
) -> Result<ExitCode, Error> {
    let history = crate::report::history(project, db, limit).await?;
    if format == Format::Json {
        super::plan_output::print_json(&history);
        return Ok(ExitCode::SUCCESS);
    }
    for row in &history.log {
        println!("{}", log_line(row));
    }
    // No step logged yet (a database from before the log, or one only read so far): the
    // migrations and their state.
    for migration in &history.migrations {
        match migration.applied_at_unix {
            Some(at) => println!("{}  applied {}", migration.name, crate::shown_time(at)),
            None => println!("{}  pending", migration.name),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One step of the log: when, what, how it ended and how long it took, who ran it where, and
/// the first line of the error of a failed step.
fn log_line(step: &crate::report::LogRow) -> String {
    let mut line = format!(
        "{}  {:<9} {:<6} {:>8.2}s  {}  by {}@{} on {}  makemigrations {}",
        crate::shown_time(step.started_at_unix),
        step.action,
        step.outcome,
        step.duration_ms as f64 / 1000.0,
        step.migration,
        step.user,
        step.client_host,
        step.database,
        step.tool_version
    );
    if let Some(error) = &step.error {
        line.push_str(&format!(
            "  error: {}",
            error.lines().next().unwrap_or_default()
        ));
    }
    line
}

/// Reads only (`report::check`): nothing is created, no migration runs and no lock is held.
async fn check(
    project: &Project,
    db: &DatabaseConnection,
    format: Format,
) -> Result<ExitCode, Error> {
    let report = crate::report::check(project, db).await?;
    let code = ExitCode::from(report.exit_code);
    if format == Format::Json {
        super::plan_output::print_json(&report);
        return Ok(code);
    }
    print_unseen(project);
    print_unmanaged(&report.unmanaged);
    let mut pending_listed = false;
    for finding in &report.findings {
        match (finding.kind, &finding.migration) {
            (crate::report::FindingKind::Pending, Some(name)) => {
                if !pending_listed {
                    println!(
                        "Pending migrations ({}): run `migrate`",
                        report.pending.len()
                    );
                    pending_listed = true;
                }
                println!("  [ ] {name}");
            }
            (crate::report::FindingKind::EntityChanges, _) => {
                println!("{}", finding.message);
                if report.entity_operations.is_empty() {
                    // Not compared with the database (migrations pending): the snapshot's diff
                    // says what changed.
                    print_colored_diff(&report.snapshot_diff);
                } else {
                    print_operations(&report.entity_operations);
                }
            }
            (crate::report::FindingKind::Drift, _) => {
                let (line, fix) = finding
                    .message
                    .split_once('\n')
                    .unwrap_or((&finding.message, ""));
                println!("{line}");
                print_operations(&report.drift_operations);
                println!("{fix}");
            }
            _ => println!("{}", finding.message),
        }
    }
    if let Some(why) = &report.not_compared {
        println!("{why}");
    }
    if !report.unrecorded.is_empty() {
        println!(
            "Note: the entities differ from the schema snapshot in what this database needs no operation for: {} (made by hand, by a migration written by hand, or a difference that is not a change here, such as a name alone); once every database has it, `makemigrations --snapshot-only` records it",
            report.unrecorded.join(", ")
        );
    }
    if !report.snapshot && report.entities_compared {
        println!("No schema snapshot: every difference counts as an entity change (drift cannot be told apart); `makemigrations` writes one");
    }
    if report.ok {
        println!(
            "{} no pending migrations, and the entities match the database.",
            paint(style::GOOD, "OK:")
        );
    }
    Ok(code)
}

/// `migrate --plan`: what `migrate` would do, decided by the same `plan_up` (so the same
/// refusals, with the same message and exit code), without the lock and without writing.
async fn migrate_plan(
    project: &Project,
    db: &DatabaseConnection,
    request: migrate::UpRequest<'_>,
    format: Format,
) -> Result<ExitCode, Error> {
    let plan = migrate::plan_up(project, db, request).await?;
    super::plan_output::print_run_plan(&crate::report::up_plan(&plan), format);
    Ok(ExitCode::SUCCESS)
}

/// `rollback --plan`: what `rollback` would do, decided by the same `plan_down`, without the
/// lock and without writing.
async fn rollback_plan(
    project: &Project,
    db: &DatabaseConnection,
    args: &RollbackArgs,
) -> Result<ExitCode, Error> {
    let plan = migrate::plan_down(project, db, down_request(args)).await?;
    let report = crate::report::down_plan(project, &plan);
    super::plan_output::print_run_plan(&report, args.preview.format);
    Ok(ExitCode::SUCCESS)
}

/// `sqlmigrate NAME [--backwards]`: the SQL of one migration, printed; nothing is run.
async fn sqlmigrate(
    project: &Project,
    db: &DatabaseConnection,
    target: &str,
    backwards: bool,
) -> Result<ExitCode, Error> {
    let direction = if backwards {
        executor::Direction::Down
    } else {
        executor::Direction::Up
    };
    let script = crate::offline_sql::one(project, db, target, direction).await?;
    print!("{}", script.render());
    Ok(ExitCode::SUCCESS)
}

/// `migrate --sql [TARGET]`: the SQL of the pending migrations, printed; nothing is run.
async fn migrate_sql(
    project: &Project,
    db: &DatabaseConnection,
    target: Option<&str>,
    allow_out_of_order: bool,
) -> Result<ExitCode, Error> {
    let script = crate::offline_sql::pending(project, db, target, allow_out_of_order).await?;
    print!("{}", script.render());
    Ok(ExitCode::SUCCESS)
}

/// `rollback --sql`: the SQL of the `down`s that `rollback` would run, printed; nothing is run.
async fn rollback_sql(
    project: &Project,
    db: &DatabaseConnection,
    args: &RollbackArgs,
) -> Result<ExitCode, Error> {
    let script = crate::offline_sql::revert(project, db, down_request(args)).await?;
    print!("{}", script.render());
    Ok(ExitCode::SUCCESS)
}
