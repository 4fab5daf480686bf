//! The command line: the only part of the tool that prints, prompts or picks exit codes.

mod answers;
mod backups;
mod commands;
mod fresh;
pub mod init;
mod plan_output;
mod squash;
mod style;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::Project;

/// How long `migrate`, `rollback` and an adoption wait for another run's lock by default.
pub(crate) const DEFAULT_LOCK_TIMEOUT_SECS: u64 = 60;
#[derive(Debug, Parser)]
#[command(
    name = "migration",
    about = "Generate, apply and roll back sea-orm-migration files from your SeaORM entities",
    long_about = "Generate, apply and roll back sea-orm-migration files from your SeaORM entities.\n\n\
        The database comes from DATABASE_URL (the environment, or a .env file in the working \
        directory). Without it, an embedded SQLite file db.sqlite3 in the working directory is used. \
        On MySQL/MariaDB the comparison builds the entities' tables in a scratch database that it \
        creates and drops; where you may not create databases, give an empty one with \
        --shadow-url or SHADOW_DATABASE_URL."
)]
pub struct Cli {
    /// Database URL; overrides DATABASE_URL.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// PostgreSQL: the schema to work in instead of the URL's default (`public`); overrides
    /// DATABASE_SCHEMA. Every table, the tracking tables and the lock live there.
    #[arg(long, global = true, value_name = "SCHEMA")]
    pub database_schema: Option<String>,
    /// MySQL/MariaDB: an empty database to compare in, when you may not create databases;
    /// overrides SHADOW_DATABASE_URL.
    #[arg(long, global = true, value_name = "URL")]
    pub shadow_url: Option<String>,
    /// How long to wait for the database server to answer before giving up (exit 5).
    #[arg(long, global = true, value_name = "SECONDS", env = "MAKEMIGRATIONS_CONNECT_TIMEOUT", default_value_t = crate::database::DEFAULT_CONNECT_TIMEOUT.as_secs())]
    pub connect_timeout: u64,
    /// A table to leave alone (glob pattern, `*` and `?`); repeatable.
    #[arg(long = "ignore-table", global = true, value_name = "PATTERN")]
    pub ignore_tables: Vec<String>,
    /// Print what happens to standard error: -v each SQL statement as it runs and each
    /// migration step, with their durations; -vv also the tool's debug events.
    #[arg(short = 'v', long = "verbose", global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compare the entities with the database and write a migration for the differences.
    Makemigrations(MakemigrationsArgs),
    /// Apply pending migrations: all of them, or up to and including TARGET.
    Migrate {
        /// A migration's full name or a unique prefix of it.
        target: Option<String>,
        /// Record the migrations as applied without running them (after finishing one by hand).
        #[arg(long)]
        fake: bool,
        /// Run again a migration that failed halfway on MySQL, once its applied statements were
        /// undone by hand.
        #[arg(long, conflicts_with = "fake")]
        retry: bool,
        /// Apply without asking, even when a migration marks steps that lose data (`// !`).
        #[arg(short = 'y', long)]
        yes: bool,
        /// Apply pending migrations that are older than the newest applied one (merged late from
        /// another branch); without it `migrate` refuses them.
        #[arg(long)]
        allow_out_of_order: bool,
        /// How long to wait for another `migrate` or `rollback` on this database to finish (it
        /// holds the lock); then exit 4 with nothing applied.
        #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_LOCK_TIMEOUT_SECS)]
        lock_timeout: u64,
        #[command(flatten)]
        safety: MigrateBackupArgs,
        /// Run nothing; print the SQL the pending migrations would run, in order, with the
        /// tracking rows (for a DBA to read or run by hand). Reads only.
        #[arg(long, conflicts_with_all = ["fake", "retry", "backup", "restore_on_failure", "plan"])]
        sql: bool,
        #[command(flatten)]
        preview: PlanArgs,
        /// Create the database DATABASE_URL names when it is missing (PostgreSQL, MySQL: as a
        /// user who may create databases; SQLite: the file), then apply.
        #[arg(long, conflicts_with_all = ["sql", "plan"])]
        create_db: bool,
    },
    /// Development: drop every table the project owns and the record of applied migrations,
    /// then apply every migration again (sea-orm-cli's `fresh`, Prisma's `migrate reset`).
    /// Refused on a database that does not look like a development one unless --force; asks first.
    #[command(visible_alias = "reset")]
    Fresh(FreshArgs),
    /// Print the SQL of one migration (up, or its down with --backwards), as `migrate` would run
    /// it here, without running it. Reads only.
    Sqlmigrate {
        /// A migration's full name or a unique prefix of it.
        target: String,
        /// The SQL of its `down`, as `rollback` would run it.
        #[arg(long)]
        backwards: bool,
    },
    /// Save the database to a timestamped file (pg_dump, mysqldump, or a SQLite copy).
    Backup {
        /// A label for the file name: `<time>_<database>.<NAME>.<ext>`.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        #[command(flatten)]
        dir: BackupDirArg,
    },
    /// List the backup files of this database: name, size, date.
    Backups {
        #[command(flatten)]
        dir: BackupDirArg,
    },
    /// Replace everything in the database with a backup file (asks first).
    Restore {
        /// The backup file (a path, or a name in the backup directory).
        file: std::path::PathBuf,
        /// Restore without asking (needed when standard input is not a terminal).
        #[arg(short = 'y', long)]
        yes: bool,
        #[command(flatten)]
        dir: BackupDirArg,
        /// How long to wait for a `migrate` or `rollback` on this database to finish.
        #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_LOCK_TIMEOUT_SECS)]
        lock_timeout: u64,
    },
    /// Revert applied migrations: the last one, the last N, down to TARGET, or all.
    Rollback(RollbackArgs),
    /// List every migration: [X] applied (with when), [ ] pending.
    Showmigrations {
        /// Draw the history as a graph (oldest first): where it forks into branches and where
        /// a merge migration joins them, heads marked.
        #[arg(long)]
        graph: bool,
        #[command(flatten)]
        output: OutputArg,
    },
    /// Show the latest applied migration.
    Current {
        #[command(flatten)]
        output: OutputArg,
    },
    /// The log of every migration step (applied, reverted, faked, failed), newest first; the
    /// migrations with their state where no step was logged yet.
    History {
        /// Show at most N lines.
        #[arg(short = 'l', long = "limit", value_name = "N")]
        limit: Option<usize>,
        #[command(flatten)]
        output: OutputArg,
    },
    /// Exit 0 when nothing is pending, the history is intact and the entities match the
    /// database; 1 otherwise.
    Check {
        #[command(flatten)]
        output: OutputArg,
    },
    /// Check the data against the schema (foreign keys, NOT NULL, unique, invalid indexes);
    /// exit 8 naming what fails. Reads only. `migrate` runs the same checks after it applies.
    Validate,
    /// Fold the migrations FROM to TO (both included) into one new migration that replaces them.
    /// Writes a file only; the old files stay until every database has passed them.
    Squashmigrations(SquashArgs),
    /// Print a shell completion script for this command line (bash, zsh, fish, elvish,
    /// powershell) to standard output. Touches no database.
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Record again the checksum of applied migrations edited on purpose (all, or TARGET), so
    /// that `check` and `migrate` take their files as they are now.
    Rehash {
        /// A migration's full name or a unique prefix of it.
        target: Option<String>,
        /// Change nothing; list the migrations whose checksum would be recorded again.
        #[arg(long)]
        dry_run: bool,
        /// How long to wait for another `migrate` or `rollback` on this database to finish.
        #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_LOCK_TIMEOUT_SECS)]
        lock_timeout: u64,
    },
}

impl Command {
    /// Whether the command only reads the database: then a missing default SQLite file reads as
    /// an empty database and is not created. (`makemigrations` writes only files, and records a
    /// baseline only in a database that has tables.) Every other command, including any added
    /// later, may change the database and says first which one it uses.
    pub fn only_reads(&self) -> bool {
        let prints_sql = match self {
            Command::Migrate { sql, .. } => *sql,
            Command::Rollback(args) => args.sql,
            Command::Sqlmigrate { .. } => true,
            _ => false,
        };
        prints_sql
            || matches!(
                self,
                Command::Makemigrations(_)
                    | Command::Showmigrations { .. }
                    | Command::Current { .. }
                    | Command::History { .. }
                    | Command::Check { .. }
                    | Command::Validate
                    | Command::Squashmigrations(_)
                    | Command::Backups { .. }
                    | Command::Completions { .. }
                    | Command::Rehash { dry_run: true, .. }
                    | Command::Migrate {
                        preview: PlanArgs { plan: true, .. },
                        ..
                    }
                    | Command::Rollback(RollbackArgs {
                        preview: PlanArgs { plan: true, .. },
                        ..
                    })
            )
    }

    /// The output the command was asked for: with `json`, errors are printed as JSON on
    /// standard output too, so that a script always gets a document.
    pub fn format(&self) -> Format {
        match self {
            Command::Makemigrations(args) => args.format,
            Command::Showmigrations { output, .. }
            | Command::Current { output }
            | Command::History { output, .. }
            | Command::Check { output } => output.format,
            Command::Migrate { preview, .. } | Command::Rollback(RollbackArgs { preview, .. }) => {
                preview.format
            }
            _ => Format::Text,
        }
    }
}

/// `--format` of the commands that report.
#[derive(Debug, Args)]
pub struct OutputArg {
    /// Output: text, or json for programs (one document on stdout, errors too; docs/json.md).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// `migrate --plan`, `rollback --plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Write nothing and take no lock: list what would run, in order, with the steps that lose
    /// data; or refuse as the command would (same message and exit code).
    #[arg(long)]
    pub plan: bool,
    /// Output of --plan: text, or json for programs (docs/json.md).
    #[arg(long, value_enum, default_value = "text", requires = "plan")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct MakemigrationsArgs {
    /// What the migration does; also names it when --name is not given.
    #[arg(short = 'm', long = "message", value_name = "MESSAGE")]
    pub message: Option<String>,
    /// The migration's name (the part after the timestamp).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Write a migration with empty up and down, for hand-written changes.
    #[arg(long)]
    pub empty: bool,
    /// Join the branches of the history (two or more heads, as after merging two git
    /// branches) with a migration that changes nothing, once they are found to change
    /// different tables and enum types. Asks first at a terminal.
    #[arg(long, conflicts_with_all = ["empty", "baseline", "check", "plan"])]
    pub merge: bool,
    /// With --merge: write the merge migration without asking (needed without a terminal).
    #[arg(short = 'y', long, requires = "merge")]
    pub yes: bool,
    /// Adopt the database as it is: write a baseline migration of the tables the entities
    /// describe, record it as applied here, and report how the entities differ from it. Done
    /// without this flag when the database has such tables and the project no migrations.
    #[arg(long)]
    pub baseline: bool,
    /// Write nothing; print the file that would be written.
    #[arg(long)]
    pub dry_run: bool,
    /// Write the schema snapshot from the entities, and no migration: once a migration written
    /// by hand has made the entities' change. Refused while the database differs from them.
    #[arg(long, conflicts_with_all = ["empty", "baseline", "dry_run", "check", "plan"])]
    pub snapshot_only: bool,
    /// Write nothing; exit 1 when a migration would be generated (for CI).
    #[arg(long)]
    pub check: bool,
    /// Never ask a question (also the case when stdin is not a terminal): an unanswered
    /// question then ends the command with exit code 3 and nothing written.
    #[arg(long)]
    pub no_input: bool,
    /// Write nothing; print the operations, the open questions and the schema hash.
    #[arg(long)]
    pub plan: bool,
    /// Output: text, or json for programs (the plan, the result, errors with codes; docs/json.md).
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Answer a rename question: TABLE.OLD=NEW (the column keeps its data); repeatable.
    #[arg(long, value_name = "TABLE.OLD=NEW")]
    pub rename: Vec<String>,
    /// Answer a table rename question: OLD=NEW (the table keeps its rows); repeatable.
    #[arg(long, value_name = "OLD=NEW")]
    pub rename_table: Vec<String>,
    /// Not a rename: drop TABLE.OLD (or table OLD) with its data, on purpose; repeatable.
    #[arg(long, value_name = "TABLE.OLD|TABLE")]
    pub no_rename: Vec<String>,
    /// A one-off value for the existing rows of a column that becomes NOT NULL: an SQL literal
    /// of its type (42, true, 'n/a', '2000-01-01'); not kept as a default. Repeatable.
    #[arg(long, value_name = "TABLE.COLUMN=VALUE")]
    pub default: Vec<String>,
    /// Fill a column that becomes NOT NULL with a data step you write in the migration: it is
    /// added nullable, then made NOT NULL. Repeatable.
    #[arg(long, value_name = "TABLE.COLUMN")]
    pub backfill: Vec<String>,
    /// Rows holding a removed enum value get NEW instead: ENUM.OLD=NEW. Repeatable.
    #[arg(long, value_name = "ENUM.OLD=NEW")]
    pub replace_enum_value: Vec<String>,
    /// Go ahead with a narrowing type change of TABLE.COLUMN. Repeatable.
    #[arg(long, value_name = "TABLE.COLUMN")]
    pub allow_narrowing: Vec<String>,
    /// Answers by question id, as JSON (docs/json.md); `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    pub answers: Option<String>,
}

#[derive(Debug, Args)]
pub struct SquashArgs {
    /// The first migration of the range: a full name or a unique prefix.
    #[arg(required_unless_present = "check")]
    pub from: Option<String>,
    /// The last migration of the range (included).
    #[arg(required_unless_present = "check")]
    pub to: Option<String>,
    /// The new migration's name (the part after the timestamp); default
    /// `squashed_<from>_to_<to>`.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Write nothing; print the file that would be written.
    #[arg(long)]
    pub dry_run: bool,
    /// Write nothing; replay each squashed migration and the migrations it replaces in a
    /// scratch place and exit 1 when their schemas differ.
    #[arg(long, conflicts_with_all = ["from", "to", "name", "dry_run"])]
    pub check: bool,
}

/// Where backup files go.
#[derive(Debug, Args)]
pub struct BackupDirArg {
    /// The directory of backup files; default MAKEMIGRATIONS_BACKUP_DIR, else `backups/`.
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<std::path::PathBuf>,
}

/// `migrate --backup --restore-on-failure`.
#[derive(Debug, Args)]
pub struct MigrateBackupArgs {
    /// Save the database to a backup file before applying anything (see `backup`).
    #[arg(long, conflicts_with = "plan")]
    pub backup: bool,
    /// When a migration fails, restore that backup, so the database is as before this run
    /// (implies --backup).
    #[arg(long, conflicts_with = "plan")]
    pub restore_on_failure: bool,
    #[command(flatten)]
    pub dir: BackupDirArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Revert the last N migrations.
    #[arg(short = 's', long = "steps", value_name = "N", conflicts_with_all = ["to", "all"], value_parser = at_least_one)]
    pub steps: Option<usize>,
    /// Revert every migration applied after TARGET (TARGET itself stays applied).
    #[arg(long = "to", value_name = "TARGET", conflicts_with = "all")]
    pub to: Option<String>,
    /// Revert every applied migration.
    #[arg(long)]
    pub all: bool,
    /// Record the migrations as not applied without running their `down` (after undoing one by
    /// hand).
    #[arg(long)]
    pub fake: bool,
    /// Run again a `down` that failed halfway on MySQL, once its applied statements were undone
    /// by hand.
    #[arg(long, conflicts_with = "fake")]
    pub retry: bool,
    /// Roll back even when a migration's `down` cannot restore data (marked `// !`): the
    /// columns and tables come back without their rows' values.
    #[arg(long)]
    pub force: bool,
    /// How long to wait for another `migrate` or `rollback` on this database to finish (it holds
    /// the lock); then exit 4 with nothing reverted.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_LOCK_TIMEOUT_SECS)]
    pub lock_timeout: u64,
    /// Run nothing; print the SQL of the `down` of each migration this rollback would revert,
    /// newest first, with the tracking rows. Reads only.
    #[arg(long, conflicts_with_all = ["fake", "retry", "plan"])]
    pub sql: bool,
    #[command(flatten)]
    pub preview: PlanArgs,
}

/// `fresh` (alias `reset`).
#[derive(Debug, Args)]
pub struct FreshArgs {
    /// Drop without asking (needed when standard input is not a terminal).
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Go ahead on a database that does not look like a development one (not on this machine,
    /// or named like prod, production, live, staging); still asks unless --yes.
    #[arg(long)]
    pub force: bool,
    /// Drop only; leave the database empty, with every migration pending.
    #[arg(long)]
    pub no_migrate: bool,
    /// How long to wait for another `migrate` or `rollback` on this database to finish.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_LOCK_TIMEOUT_SECS)]
    pub lock_timeout: u64,
}

/// `--steps`: a count of migrations to revert, which 0 is not (it would do nothing and say OK).
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("0 reverts nothing: give 1 or more (or `--all`)".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{e}: give a number of migrations, 1 or more")),
    }
}

/// Parses the process arguments and runs the command. The migration crate's `main` is this call.
pub async fn run(project: Project) -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(usage) => return usage_error(usage),
    };
    if let Command::Completions { shell } = cli.command {
        print_completions(shell);
        return ExitCode::SUCCESS;
    }
    crate::verbose::init(cli.verbose);
    crate::interrupt::exit_on_ctrl_c();
    let json = cli.command.format() == Format::Json;
    let result = match backups::require_database(&cli) {
        Ok(()) => commands::dispatch(project, cli).await,
        Err(refused) => Err(refused),
    };
    match result
        .map_err(crate::database::explain_permission)
        .map_err(crate::database::explain_lock_table)
    {
        Ok(code) => code,
        Err(error) => {
            if json {
                println!("{}", plan_output::error_json(&error));
            } else {
                anstream::eprintln!("{}", style::error(&format!("{error:#}")));
            }
            ExitCode::from(error.exit_code())
        }
    }
}

/// The completion script for `shell`, for the binary as it was run (`migration`, or the name it
/// was installed under).
fn print_completions(shell: clap_complete::Shell) {
    use clap::CommandFactory;
    let name = std::env::args_os()
        .next()
        .and_then(|arg0| {
            std::path::Path::new(&arg0)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "migration".to_string());
    clap_complete::generate(shell, &mut Cli::command(), name, &mut std::io::stdout());
}

/// A usage error from clap: printed as clap prints it, or, when the arguments ask for JSON, as a
/// JSON error document (code `usage`, exit 2), so that a script always gets a document.
fn usage_error(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let informational = matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if informational || !asks_for_json(std::env::args().collect()) {
        error.exit();
    }
    println!(
        "{}",
        plan_output::usage_error_json(error.render().to_string().trim_end())
    );
    ExitCode::from(2)
}

/// `--format json` or `--format=json` among the arguments, read before clap could parse them.
fn asks_for_json(args: Vec<String>) -> bool {
    args.iter().any(|a| a == "--format=json")
        || args
            .windows(2)
            .any(|w| w[0] == "--format" && w[1] == "json")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_name_every_command() {
        use clap::CommandFactory;
        let mut script = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut Cli::command(),
            "migration",
            &mut script,
        );
        let script = String::from_utf8(script).unwrap();
        for command in [
            "makemigrations",
            "migrate",
            "rollback",
            "showmigrations",
            "completions",
        ] {
            assert!(script.contains(command), "{command} missing");
        }
    }
}
