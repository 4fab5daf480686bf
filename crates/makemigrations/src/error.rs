//! The errors a user can meet. Each message names the problem and the fix.

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("the database URL `{url}` is not usable: {reason}\n  fix: use postgres://user:pass@host:5432/db, mysql://user:pass@host:3306/db or sqlite://file.sqlite3?mode=rwc, and write `@`, `/`, `?`, `#`, `%` and `:` in a user name or password as %40, %2F, %3F, %23, %25 and %3A")]
    BadUrl { url: String, reason: String },
    #[error("cannot connect to {url}: {reason}\n  fix: check that the server runs and that DATABASE_URL (environment or .env) is right")]
    Connect { url: String, reason: String },
    #[error("{origin} is set but empty, so it names no database; nothing was done\n  fix: set it to the database's URL (postgres://user:pass@host:5432/db, mysql://user:pass@host:3306/db or sqlite://file.sqlite3?mode=rwc), or unset it to use the SQLite file db.sqlite3 in the working directory")]
    EmptyUrl {
        /// `--database-url`, `DATABASE_URL in the environment`, `DATABASE_URL in .env`.
        origin: String,
    },
    #[error("the file {path} cannot be read as `NAME=value` lines: {reason}; nothing was done\n  fix: correct that line (quote a value that holds spaces or `#`: NAME=\"a value\"), or remove the file")]
    BadDotenv { path: String, reason: String },
    #[error("{url} refused the login: {reason}\n  fix: check the user name and password in DATABASE_URL (environment or .env); write `@`, `/`, `?`, `#`, `%` and `:` in a password as %40, %2F, %3F, %23, %25 and %3A")]
    AuthFailed { url: String, reason: String },
    #[error("the database `{database}` does not exist on the server of {url}\n  fix: run `migrate --create-db` to create it and apply the migrations (as a user who may create databases), or create it with: {create}; or correct the database name at the end of DATABASE_URL")]
    MissingDatabase {
        url: String,
        database: String,
        /// The statement that creates it.
        create: String,
    },
    #[error("cannot reach the database server of {url}: {reason}\n  fix: check that the server runs and accepts connections at that host and port, and that DATABASE_URL (environment or .env) names them; `--connect-timeout SECONDS` waits longer for a slow network")]
    Unreachable { url: String, reason: String },
    #[error("cannot open the SQLite database {path}: {reason}\n  fix: {fix}")]
    SqliteOpen {
        path: String,
        reason: String,
        fix: String,
    },
    #[error("cannot use the lock file {path} that keeps two migration runs on this SQLite database apart: {reason}; nothing was applied\n  fix: let the user running the command create and write files in that directory (or that file), or remove a lock file another user left there")]
    LockFile { path: String, reason: String },
    #[error("the database user may not change this database: {reason}; the step that needed it was not applied\n  fix: run this command as a user who may create and change tables there (the schema's owner, say); the read-only commands (showmigrations, current, history, check) work for this user")]
    NoPermission { reason: String },
    #[error("{count} migration(s) not applied yet: {names}\n  fix: run `migrate` first, so the new migration starts from the latest schema")]
    PendingMigrations { count: usize, names: String },
    #[error("migration {0} is applied in the database but its file is missing from the migrations folder\n  fix: restore the file (e.g. from git), or roll the database back with the code that has it")]
    MissingFile(String),
    #[error("{}", untrusted_history_message(.0))]
    UntrustedHistory(crate::history::Report),
    #[error("{}", multiple_heads_message(.0))]
    MultipleHeads(crate::graph::Divergence),
    #[error("{}", branches_overlap_message(heads, conflicts))]
    BranchesOverlap {
        heads: Vec<String>,
        conflicts: Vec<crate::independence::Conflict>,
    },
    #[error("merging {} writes a migration, and nobody was asked: standard input is not a terminal (or --no-input); nothing was written\n  fix: run `makemigrations --merge --yes` to confirm", .0.join(" and "))]
    MergeUnconfirmed(Vec<String>),
    #[error("{}", corrupt_tracking_message(table, problem))]
    CorruptTrackingTable {
        table: &'static str,
        problem: String,
    },
    #[error("no migration matches `{0}`\n  fix: run `showmigrations` and give a full name or a unique prefix")]
    UnknownTarget(String),
    #[error("`{target}` matches several migrations: {matches}\n  fix: give more of the name")]
    AmbiguousTarget { target: String, matches: String },
    #[error("{0}")]
    Refused(String),
    #[error("{0}; nothing was written\n  fix: {1}")]
    CannotSquash(String, String),
    #[error("this database is inside the range that {} replaces (applied: {}), but the files of {} are gone, so it can neither finish the range nor run the squashed migration; nothing was changed\n  fix: restore those files (e.g. from git) and run `migrate` again; delete a squashed range's files only once every database has applied the squashed migration (docs/guide.md, \"Squashing migrations\")", .0.squashed, .0.applied.join(", "), .0.missing.join(", "))]
    StrandedInSquash(crate::replacement::Stranded),
    #[error("{}", other_schema_message(entity, schema, live_schema, *backend))]
    OtherSchema {
        entity: String,
        /// The entity's `schema_name`.
        schema: String,
        /// The schema (MySQL: the database) the connection compares.
        live_schema: String,
        backend: makemigrations_core::Backend,
    },
    #[error(transparent)]
    Unsupported(#[from] UnsupportedColumn),
    #[error("migration {name} failed: {source}\n  the database was left as it was before this migration (its transaction was rolled back)\n  fix: correct the migration file (or the data it trips on) and run `migrate` again")]
    MigrationFailed {
        name: String,
        source: sea_orm::DbErr,
    },
    #[error("migration {name} failed: PostgreSQL's lock table is full ({reason}): a transaction keeps a lock on every table, index, sequence and row type it creates or drops until it ends (about 16 per table), and this migration needs more than the server's lock table holds\n  the database was left as it was before this migration (its transaction was rolled back)\n  fix: raise max_locks_per_transaction on the server (the lock table holds about max_locks_per_transaction × max_connections locks; the default 64 × 100 ran out at about 700 tables dropped in one transaction): ALTER SYSTEM SET max_locks_per_transaction = 256, restart PostgreSQL, then run the command again (under SERIALIZABLE the same message can mean max_pred_locks_per_transaction)")]
    LockTableFull { name: String, reason: String },
    #[error("migration {name} failed: {source}\n  it ran without a transaction (use_transaction() is Some(false)), so its statements before the failure stayed applied and it is not recorded\n  fix: undo those statements by hand, or make the migration safe to re-run, then run `migrate` again")]
    MigrationFailedPartially {
        name: String,
        source: sea_orm::DbErr,
    },
    #[error("migration {name} failed: {source}\n{}", partial_state(name, ran, failed.as_deref()))]
    MigrationFailedOnMySql {
        name: String,
        source: sea_orm::DbErr,
        /// The statements that ran and stayed applied, in order.
        ran: Vec<String>,
        /// The statement the server refused, when it was one that sea-orm reported.
        failed: Option<String>,
    },
    #[error("{}", half_applied_message(.0))]
    HalfApplied(crate::executor::HalfApplied),
    #[error("{}", unanswered_message(.0))]
    Unanswered(Vec<makemigrations_core::questions::Question>),
    #[error("interrupted: nothing was written or applied")]
    Interrupted,
    #[error("the answers were given for another comparison (schema hash {given}, now {current}): the entities or the database changed since\n  fix: run `makemigrations --plan --format json` again and answer the questions it lists")]
    StaleAnswers { given: String, current: String },
    #[error("{given} does not fit: {why}\n  fix: give an answer that fits (`makemigrations --plan` lists each question's choices)")]
    BadAnswer { given: String, why: String },
    #[error("{0}\n  fix: see `makemigrations --help` for the form of each flag")]
    BadFlag(String),
    #[error("--database-schema {schema}: {problem}\n  fix: {fix}")]
    DatabaseSchema {
        schema: String,
        problem: String,
        fix: String,
    },
    #[error("{}", placeholders_message(.0))]
    BackfillPlaceholders(Vec<crate::gate::Placeholder>),
    #[error("{}", cannot_restore_message(.0))]
    CannotRestore(Vec<crate::gate::Marked>),
    #[error("{} is a baseline: its `down` would drop the tables of the database this project adopted, with their data; nothing was rolled back\n  fix: `rollback --to {}` reverts the migrations after it and stops there; to forget the baseline itself, `rollback --fake` once it is the only one left", .0.join(", "), .0[0])]
    BaselineRollback(Vec<String>),
    #[error("baseline {migration} cannot be applied here: this database has some of its tables ({}) but not the others ({})\n  fix: create the missing tables (or drop the partial ones) so that the database is either empty or the adopted one, then run `migrate` again; `migrate {migration} --fake` records it as applied as it is", present.join(", "), missing.join(", "))]
    PartialBaseline {
        migration: String,
        present: Vec<String>,
        missing: Vec<String>,
    },
    #[error("{}", postgres_only_message(backend, migrations))]
    PostgresOnly {
        /// `MySQL/MariaDB` or `SQLite`.
        backend: &'static str,
        migrations: Vec<crate::gate::PostgresOnly>,
    },
    #[error("{}", lock_timeout_message(database, *waited_secs, holder.as_ref()))]
    LockTimeout {
        /// The database (password hidden; for SQLite, its file).
        database: String,
        waited_secs: u64,
        holder: Option<crate::lock::Holder>,
    },
    #[error("the lock that keeps two migration runs on {database} apart was taken, but this session does not hold it: the connection goes through a pooler in transaction mode (such as pgbouncer with pool_mode = transaction), which hands each statement to another server connection and so breaks session locks; nothing was applied\n  fix: run `migrate` and `rollback` with a DATABASE_URL that reaches PostgreSQL directly, or a pool in session mode")]
    LockNotHeld { database: String },
    #[error("cannot {purpose}: `{tool}` is not on PATH; nothing was changed and no file was written\n  fix: {install}, or put it on PATH")]
    BackupToolMissing {
        tool: String,
        purpose: &'static str,
        install: &'static str,
    },
    #[error("{}", no_space_message(dir, *needed, *available))]
    BackupNoSpace {
        dir: String,
        /// The database's size as its catalog tells, in bytes.
        needed: u64,
        available: u64,
    },
    #[error("the backup of {database} failed: {reason}\n  nothing was changed, and no backup file was left\n  fix: correct the cause the message above names (a client program older than the server needs upgrading), then run the command again")]
    BackupFailed { database: String, reason: String },
    #[error("{file} cannot be restored: {why}; nothing was changed\n  fix: give a file that `backup` wrote for this database (`backups` lists them)")]
    BadBackupFile { file: String, why: String },
    #[error("restoring {file} replaces everything in {database}, and nobody was asked: standard input is not a terminal; nothing was changed\n  fix: run `restore {file} --yes` to confirm")]
    RestoreUnconfirmed { file: String, database: String },
    #[error("`fresh` drops every table of the project in {database}, which does not look like a development database: {reason}; nothing was changed\n  fix: point DATABASE_URL at a development database, or run `fresh --force` if you mean this one")]
    NotDevelopment { database: String, reason: String },
    #[error("`fresh` drops every table of the project in {database}, and nobody was asked: standard input is not a terminal; nothing was changed\n  fix: run `fresh --yes` to confirm")]
    FreshUnconfirmed { database: String },
    #[error("{}", restore_failed_message(file, database, reason, *unchanged))]
    RestoreFailed {
        file: String,
        database: String,
        reason: String,
        /// The restore ran in one transaction that was rolled back (PostgreSQL, SQLite).
        unchanged: bool,
    },
    #[error("{failure}\n{restore}")]
    NotRestored {
        /// What made `migrate` restore (a failed migration, a failed validation).
        failure: Box<Error>,
        restore: Box<Error>,
    },
    #[error("{}", validation_message(report, *after_migrate))]
    ValidationFailed {
        report: crate::validate::Report,
        /// Found right after `migrate` applied migrations (which stay applied).
        after_migrate: bool,
    },
    #[error("the lock that keeps two migration runs on {database} apart was lost before migration {before} ({why}): its connection was closed (a server restart, a network cut, a pooler, a timeout), so another run may have started; stopped before {before}, and the migrations before it are applied and recorded\n  fix: run the command again (it goes on from what is recorded); if this repeats, connect to the server directly rather than through a pooler or a proxy that closes idle connections")]
    LockLost {
        database: String,
        /// The migration that would have run next.
        before: String,
        why: String,
    },
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl Error {
    /// The process exit code: 3 for an unanswered question (as Django's non-interactive
    /// questioner), 4 when another migration run held the lock for longer than `--lock-timeout`
    /// (a caller may simply try again), 5 when the database cannot be reached or opened (a
    /// caller may retry once it runs), 6 when the history cannot be trusted, 8 when validation
    /// failed, 9 when a backup or restore failed, 130 for Ctrl-C or the end of input at a
    /// prompt, 2 for every other error (docs/guide.md, "When something is wrong").
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Unanswered(_) => 3,
            Error::Interrupted => 130,
            Error::LockTimeout { .. } => 4,
            Error::RestoreUnconfirmed { .. }
            | Error::MergeUnconfirmed(_)
            | Error::FreshUnconfirmed { .. } => 3,
            Error::BackupToolMissing { .. }
            | Error::BackupNoSpace { .. }
            | Error::BackupFailed { .. }
            | Error::RestoreFailed { .. }
            | Error::NotRestored { .. } => 9,
            Error::Connect { .. }
            | Error::AuthFailed { .. }
            | Error::MissingDatabase { .. }
            | Error::Unreachable { .. }
            | Error::SqliteOpen { .. } => 5,
            Error::ValidationFailed { .. } => 8,
            Error::MissingFile(_)
            | Error::StrandedInSquash(_)
            | Error::UntrustedHistory(_)
            | Error::CorruptTrackingTable { .. } => 6,
            _ => 2,
        }
    }

    /// A stable code for programs (`--format json`); documented in docs/json.md.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadUrl { .. } => "bad_url",
            Error::Connect { .. } => "connect",
            Error::EmptyUrl { .. } => "empty_url",
            Error::BadDotenv { .. } => "bad_dotenv",
            Error::AuthFailed { .. } => "auth_failed",
            Error::MissingDatabase { .. } => "missing_database",
            Error::Unreachable { .. } => "unreachable",
            Error::SqliteOpen { .. } => "sqlite_open",
            Error::LockFile { .. } => "lock_file",
            Error::NoPermission { .. } => "no_permission",
            Error::PendingMigrations { .. } => "pending_migrations",
            Error::MissingFile(_) => "missing_file",
            Error::UntrustedHistory(_) => "untrusted_history",
            Error::MultipleHeads(_) => "multiple_heads",
            Error::BranchesOverlap { .. } => "branches_overlap",
            Error::MergeUnconfirmed(_) => "merge_unconfirmed",
            Error::CorruptTrackingTable { .. } => "corrupt_tracking_table",
            Error::UnknownTarget(_) => "unknown_target",
            Error::AmbiguousTarget { .. } => "ambiguous_target",
            Error::Refused(_) => "refused",
            Error::CannotSquash(..) => "cannot_squash",
            Error::StrandedInSquash(_) => "stranded_in_squash",
            Error::OtherSchema { .. } => "other_schema",
            Error::Unsupported(_) => "unsupported_column",
            Error::MigrationFailed { .. }
            | Error::MigrationFailedPartially { .. }
            | Error::MigrationFailedOnMySql { .. } => "migration_failed",
            Error::LockTableFull { .. } => "lock_table_full",
            Error::HalfApplied(_) => "half_applied",
            Error::Unanswered(_) => "unanswered_questions",
            Error::Interrupted => "interrupted",
            Error::StaleAnswers { .. } => "stale_answers",
            Error::BadAnswer { .. } => "bad_answer",
            Error::BadFlag(_) => "bad_flag",
            Error::DatabaseSchema { .. } => "database_schema",
            Error::BackfillPlaceholders(_) => "backfill_placeholder",
            Error::CannotRestore(_) => "cannot_restore",
            Error::BaselineRollback(_) => "baseline_rollback",
            Error::PartialBaseline { .. } => "partial_baseline",
            Error::PostgresOnly { .. } => "postgres_only",
            Error::LockTimeout { .. } => "lock_timeout",
            Error::LockNotHeld { .. } => "lock_not_held",
            Error::BackupToolMissing { .. } => "backup_tool_missing",
            Error::BackupNoSpace { .. } => "backup_no_space",
            Error::BackupFailed { .. } => "backup_failed",
            Error::BadBackupFile { .. } => "bad_backup_file",
            Error::RestoreUnconfirmed { .. } => "restore_unconfirmed",
            Error::NotDevelopment { .. } => "not_development",
            Error::FreshUnconfirmed { .. } => "fresh_unconfirmed",
            Error::RestoreFailed { .. } => "restore_failed",
            Error::NotRestored { .. } => "not_restored",
            Error::ValidationFailed { .. } => "validation_failed",
            Error::LockLost { .. } => "lock_lost",
            Error::Db(_) => "database",
            Error::Io(_) => "io",
        }
    }
}

/// Too little room for a backup, said before anything is written.
fn no_space_message(dir: &str, needed: u64, available: u64) -> String {
    format!(
        "not enough free space for the backup in {dir}: the database takes {} and the file system has {} free; nothing was changed and no file was written\n  \
         fix: free some space there, or give another directory with `--backup-dir DIR` (or MAKEMIGRATIONS_BACKUP_DIR)",
        human_bytes(needed),
        human_bytes(available)
    )
}

/// Bytes as the backup's progress shows them (indicatif's `HumanBytes`: `512 B`, `1.50 GiB`),
/// written here so that the runtime does not link indicatif for one message.
fn human_bytes(bytes: u64) -> String {
    const PREFIXES: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut prefix = 0;
    while value >= 1024.0 && prefix < PREFIXES.len() - 1 {
        value /= 1024.0;
        prefix += 1;
    }
    format!("{value:.2} {}B", PREFIXES[prefix])
}

/// A restore that failed, and what state it left.
fn restore_failed_message(file: &str, database: &str, reason: &str, unchanged: bool) -> String {
    if unchanged {
        format!(
            "restoring {file} into {database} failed: {reason}\n  it ran in one transaction, which was rolled back: the database is as it was before the restore\n  \
             fix: correct the cause above, then run `restore {file} --yes` again"
        )
    } else {
        format!(
            "restoring {file} into {database} failed: {reason}\n  MySQL commits each statement at once: the database's tables were dropped and only part of the backup was loaded\n  \
             fix: correct the cause above, then run `restore {file} --yes` again (it drops what is there and loads the whole file)"
        )
    }
}

/// What the integrity checks found, each with the table, the constraint and a sample of keys.
fn validation_message(report: &crate::validate::Report, after_migrate: bool) -> String {
    let mut text = format!(
        "validation failed: {} integrity problem(s) in the data{}:\n",
        report.failures.len(),
        if after_migrate {
            " after this run's migrations"
        } else {
            ""
        }
    );
    for problem in &report.failures {
        text.push_str(&format!("    {}\n", problem.describe()));
    }
    text.push_str(
        "  fix: correct or delete the rows shown (or drop and rebuild an invalid index), or fix the migration that let them in; then run `validate` to check again",
    );
    text
}

/// `migrate`'s refusal of a history that cannot be trusted: each migration, what is wrong, and the
/// way on for each kind.
fn untrusted_history_message(report: &crate::history::Report) -> String {
    let mut text =
        String::from("the history of this database cannot be trusted; nothing was applied:\n");
    for e in &report.edited {
        text.push_str(&format!(
            "  edited:  {} ({}) was changed after it was applied: its code is not what ran\n",
            e.migration, e.file
        ));
    }
    for name in &report.missing {
        text.push_str(&format!(
            "  missing: {name} is applied, but its file is gone from the migrations folder\n"
        ));
    }
    for o in &report.out_of_order {
        text.push_str(&format!(
            "  out of order: {} is pending but older than {}, the newest applied, and cannot run after the newer ones:\n",
            o.migration, o.newest_applied
        ));
        for conflict in &o.conflicts {
            text.push_str(&format!("      {}\n", conflict.describe()));
        }
    }
    let mut fixes = Vec::new();
    if !report.edited.is_empty() {
        fixes.push(
            "undo the edit (`git diff` shows it), or, if it was deliberate and the database already \
             is what the edited file makes, record the file as it is now with `rehash <migration>`"
                .to_string(),
        );
    }
    if !report.missing.is_empty() {
        fixes.push(
            "restore the missing file (e.g. from git), or run this with the code that has it"
                .to_string(),
        );
    }
    if !report.out_of_order.is_empty() {
        fixes.push(
            "give the late migration a newer name (timestamp) and `//! after:` line so it runs \
             after the newer ones, or, once you checked that it does not depend on what they did, \
             apply it with `migrate --allow-out-of-order` (`rollback` then reverts it first)"
                .to_string(),
        );
    }
    text.push_str(&format!("  fix: {}", fixes.join("; ")));
    text
}

/// Two heads: where the history forked, each branch's migrations, and the way on.
fn multiple_heads_message(divergence: &crate::graph::Divergence) -> String {
    let fork = match &divergence.fork {
        Some(fork) => format!("after {fork}"),
        None => "from the start (they share no migration)".to_string(),
    };
    let mut text = format!(
        "the history has {} heads: it forked {fork} into branches that no migration merges; nothing was done:\n",
        divergence.branches.len()
    );
    for branch in &divergence.branches {
        text.push_str(&format!(
            "  branch {}: {}\n",
            branch.head,
            branch.migrations.join(", ")
        ));
    }
    text.push_str(
        "  fix: run `makemigrations --merge`: it checks that the branches change different tables and writes a migration that joins them",
    );
    text
}

/// `--merge` refused: what both branches touch, by which migrations.
fn branches_overlap_message(
    heads: &[String],
    conflicts: &[crate::independence::Conflict],
) -> String {
    let mut text = format!(
        "the branches ending in {} change the same objects, so the order they run in matters; nothing was written:\n",
        heads.join(" and ")
    );
    for conflict in conflicts {
        text.push_str(&format!("  {}\n", conflict.describe()));
    }
    text.push_str(
        "  fix: make the history one line by hand: delete one branch's migrations (roll them back first where they are applied) and run `makemigrations` again, which writes them after the other branch; or give them newer names and a `//! after:` line naming the other branch's head",
    );
    text
}

/// A tool table that is not what the tool wrote, and how to get a readable one back.
fn corrupt_tracking_message(table: &str, problem: &str) -> String {
    let fix = if table == crate::executor::CHECKSUMS {
        format!(
            "drop the table {table}: the next `migrate` records the checksums again, taking the \
             migration files as they are now"
        )
    } else {
        format!(
            "restore {table} from a backup; it must have sea-orm-migration's columns version \
             (text, the migration's name) and applied_at (integer, unix seconds)"
        )
    };
    format!(
        "the table {table} cannot be read: {problem}, so which migrations are applied is not known; nothing was changed\n  fix: {fix}"
    )
}

/// Another run kept the lock for the whole `--lock-timeout`.
fn lock_timeout_message(
    database: &str,
    waited_secs: u64,
    holder: Option<&crate::lock::Holder>,
) -> String {
    let (held_by, stop) = match holder {
        Some(h) => (
            format!(" (it holds the lock: {})", h.who),
            format!(
                "; if that run is stuck, stop the process that runs it (for a server, ending only the lock's own idle connection, `{}`, frees the lock while the run goes on)",
                h.stop
            ),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        "another migration run on {database} still holds the lock after {waited_secs} s{held_by}; nothing was applied or reverted\n  \
         fix: let that run finish and run this command again (it applies only what is still pending), or wait longer with `--lock-timeout SECONDS`{stop}"
    )
}

/// An entity whose `schema_name` is not the schema being compared, and how to compare that one.
fn other_schema_message(
    entity: &str,
    schema: &str,
    live_schema: &str,
    backend: makemigrations_core::Backend,
) -> String {
    let fix = match backend {
        makemigrations_core::Backend::MySql => format!(
            "to migrate database `{schema}`, end DATABASE_URL with it (mysql://user@host:3306/{schema}); \
             entities of another database need a migration crate of their own"
        ),
        _ => format!(
            "to migrate schema `{schema}`, make it the connection's schema: add \
             `?options=-c%20search_path%3D{schema}` to DATABASE_URL; \
             entities of another schema need a migration crate of their own"
        ),
    };
    format!(
        "entity `{entity}` is in schema `{schema}` (schema_name), but this database's schema is `{live_schema}`: \
         makemigrations compares one schema; nothing was written\n  fix: {fix}"
    )
}

fn unanswered_message(questions: &[makemigrations_core::questions::Question]) -> String {
    format!(
        "{} question(s) need an answer before the migration can be written; nothing was written:\n{}  fix: answer each with one of the flags shown (or `--answers FILE`; `--plan --format json` lists them for programs), or run `makemigrations` at a terminal",
        questions.len(),
        makemigrations_core::questions::listing(questions)
    )
}

/// What a failed migration left behind on MySQL, and the two ways on.
fn partial_state(name: &str, ran: &[String], failed: Option<&str>) -> String {
    let mut text = String::new();
    if ran.is_empty() && failed.is_some() {
        text.push_str("  nothing was changed: the first statement failed, and the migration is not recorded as applied\n");
    } else if ran.is_empty() {
        text.push_str("  nothing was changed: no statement of it completed, and the migration is not recorded as applied\n");
    } else {
        text.push_str(&format!(
            "  MySQL commits each schema change at once: these {} statement(s) ran and stayed applied, and the migration is not recorded as applied:\n",
            ran.len()
        ));
    }
    text.push_str(&statement_list(ran, failed));
    if ran.is_empty() {
        text.push_str(
            "  fix: correct the cause (the data or the migration) and run `migrate` again",
        );
    } else {
        text.push_str(&format!(
            "  fix: correct the cause (the data or the migration), then either undo the statements above by hand and run `migrate --retry`, \
             or run the rest of the migration by hand and record it as applied with `migrate {name} --fake`"
        ));
    }
    text
}

/// The refusal to go on from a half-applied migration: one that failed, or a run that was killed
/// or lost its connection while it ran (its record still says `running`).
fn half_applied_message(record: &crate::executor::HalfApplied) -> String {
    let (command, verb) = match record.direction {
        crate::executor::Direction::Up => ("migrate", "applied"),
        crate::executor::Direction::Down => ("rollback", "reverted"),
    };
    let when = crate::shown_time(record.failed_at);
    let fake = match record.direction {
        crate::executor::Direction::Up => format!("{} --fake", record.name),
        crate::executor::Direction::Down => "--fake".to_string(),
    };
    if record.interrupted {
        return format!(
            "migration {} was interrupted while being {verb}: the run stopped without an error (it was killed, or its connection was lost) after {} statement(s) of it had completed (last recorded {when}); it is not recorded as {verb}:\n{}  \
             the statement after these may also have completed: a run killed between a statement finishing and its record being written stops one statement later than its record says\n  \
             fix: undo those statements (and the next one of the migration, if it ran) by hand and run `{command} --retry`, or finish the migration by hand and record it with `{command} {fake}`",
            record.name,
            record.ran.len(),
            statement_list(&record.ran, None),
        );
    }
    format!(
        "migration {} failed halfway on {when} while being {verb}: {} statement(s) of it stayed applied and it is not recorded as {verb}:\n{}  \
         fix: undo those statements by hand and run `{command} --retry`, or finish the migration by hand and record it with `{command} {fake}`",
        record.name,
        record.ran.len(),
        statement_list(&record.ran, record.failed.as_deref()),
    )
}

fn statement_list(ran: &[String], failed: Option<&str>) -> String {
    let mut text = String::new();
    for (i, sql) in ran.iter().enumerate() {
        text.push_str(&format!("    {}. {sql}\n", i + 1));
    }
    if let Some(sql) = failed {
        text.push_str(&format!("  the statement that failed:\n    {sql}\n"));
    }
    text
}

/// The refusal to apply migrations whose backfill is still `todo_backfill(..)`.
fn placeholders_message(placeholders: &[crate::gate::Placeholder]) -> String {
    let mut text = String::from(
        "nothing was applied: a migration still holds a backfill placeholder (todo_backfill), so existing rows would get no value:\n",
    );
    for p in placeholders {
        text.push_str(&format!("    {}:{} ({})\n", p.file, p.line, p.migration));
    }
    text.push_str(
        "  fix: replace each todo_backfill(..) call with statements that fill the column for existing rows, then run `migrate` again",
    );
    text
}

/// The refusal to apply migrations that use what only PostgreSQL has (arrays).
fn postgres_only_message(backend: &str, migrations: &[crate::gate::PostgresOnly]) -> String {
    let mut text = format!(
        "nothing was applied: {} migration(s) can run only on PostgreSQL, and this database is {backend}:\n",
        migrations.len()
    );
    for m in migrations {
        text.push_str(&format!("  {} ({}):\n", m.file, m.migration));
        for line in &m.lines {
            text.push_str(&format!("    {line}\n"));
        }
    }
    text.push_str(&format!(
        "  fix: apply these migrations on PostgreSQL; for {backend}, store the values another way (for example a JSON column: `Json` in the entity) and write the migration again"
    ));
    text
}

/// The refusal to roll back migrations whose `down` cannot restore data.
fn cannot_restore_message(marked: &[crate::gate::Marked]) -> String {
    let mut text =
        String::from("nothing was rolled back: rolling back cannot restore this data:\n");
    for m in marked {
        text.push_str(&format!("  {}:\n", m.migration));
        for line in &m.lines {
            text.push_str(&format!("    ! {line}\n"));
        }
    }
    text.push_str("  fix: back up the data first, then run `rollback` again with `--force`");
    text
}

/// An entity that the tool cannot represent: names the entity, the column and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entity `{entity}`, column `{column}`: {reason}")]
pub struct UnsupportedColumn {
    pub entity: String,
    pub column: String,
    pub reason: String,
}
