//! `makemigrations init`, the one command of the tool's own binary (every other command is the
//! migration crate's binary, which does not exist before `init`). The plan is `crate::init`'s;
//! this parses, prints and picks the exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::error::Error;
use crate::init::{self, Options, ToolSource};

#[derive(Debug, Parser)]
#[command(
    name = "makemigrations",
    about = "Set up makemigrations in a Cargo workspace; then `cargo run -p migration -- --help` lists the commands"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Add the entity and migration crates (or convert sea-orm-cli's migration crate), the
    /// workspace members, the dev profile, Makefile targets, .env.example and .gitignore
    /// entries. Run it in the workspace root; it refuses (exit 2, nothing written) to overwrite
    /// a file.
    Init(InitArgs),
}

#[derive(Debug, Args)]
struct InitArgs {
    /// Write nothing; list what would be written.
    #[arg(long)]
    dry_run: bool,
    /// The entity crate's directory: used when it exists (e.g. made by `sea-orm-cli generate
    /// entity`), created otherwise.
    #[arg(long, value_name = "DIR", default_value = "entity")]
    entity_dir: String,
    /// The migration crate's directory: created, converted from sea-orm-cli's, or kept when it
    /// is set up already.
    #[arg(long, value_name = "DIR", default_value = "migration")]
    migration_dir: String,
    /// Depend on the tool's crates by path: the directory holding `makemigrations/` and
    /// `makemigrations-build/` (a checkout's `crates/`). Default: the checkout this binary was
    /// built from, when it is still there.
    #[arg(long, value_name = "DIR", conflicts_with = "tool_git")]
    tool_path: Option<PathBuf>,
    /// Depend on the tool's crates from this git repository instead.
    #[arg(long, value_name = "URL")]
    tool_git: Option<String>,
    /// With --tool-git: the commit, tag or branch to pin.
    #[arg(long, value_name = "REV", requires = "tool_git")]
    tool_rev: Option<String>,
    /// Leave the root manifest's profiles alone. By default init adds `opt-level = 1` to
    /// `[profile.dev.package."*"]`: every dependency optimised in debug builds, which makes the
    /// tool's checks 2 to 3 times faster at the cost of a longer first build (docs/guide.md,
    /// "A faster debug build").
    #[arg(long)]
    no_dev_profile: bool,
}

/// The `main` of the `makemigrations` binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(usage) => usage.exit(),
    };
    let Command::Init(args) = cli.command;
    match run_init(&args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(error.exit_code())
        }
    }
}

#[allow(clippy::result_large_err)] // the crate's one Error enum
fn run_init(args: &InitArgs) -> Result<ExitCode, Error> {
    let root = std::env::current_dir().map_err(|e| Error::Refused(e.to_string()))?;
    let options = Options {
        entity_dir: args.entity_dir.clone(),
        migration_dir: args.migration_dir.clone(),
        tool: tool_source(args)?,
        dev_profile: !args.no_dev_profile,
    };
    let plan = init::plan(&root, &options)?;
    for note in &plan.notes {
        println!("note: {note}");
    }
    if plan.steps.is_empty() {
        println!("Nothing to do: the workspace is set up.");
        return Ok(ExitCode::SUCCESS);
    }
    if args.dry_run {
        println!("Would write (nothing written, --dry-run):");
    }
    for step in &plan.steps {
        println!("  {}", step.describe());
    }
    if args.dry_run {
        return Ok(ExitCode::SUCCESS);
    }
    init::apply(&root, &plan)?;
    println!(
        "Done. Next: `cargo run -p {} -- makemigrations` (docs/adopting.md).",
        package_of(&root, &args.migration_dir)
    );
    Ok(ExitCode::SUCCESS)
}

fn package_of(root: &std::path::Path, dir: &str) -> String {
    std::fs::read_to_string(root.join(dir).join("Cargo.toml"))
        .ok()
        .and_then(|t| t.parse::<toml_edit::DocumentMut>().ok())
        .and_then(|m| m.get("package")?.get("name")?.as_str().map(str::to_string))
        .unwrap_or_else(|| "migration".into())
}

/// `--tool-git`, `--tool-path`, or the checkout this binary was built from.
#[allow(clippy::result_large_err)]
fn tool_source(args: &InitArgs) -> Result<ToolSource, Error> {
    if let Some(url) = &args.tool_git {
        return Ok(ToolSource::Git {
            url: url.clone(),
            rev: args.tool_rev.clone(),
        });
    }
    let dir = match &args.tool_path {
        Some(dir) => std::path::absolute(dir).unwrap_or_else(|_| dir.clone()),
        // Where cargo built this binary from (`cargo install --path crates/makemigrations-cli`).
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(PathBuf::from)
            .unwrap_or_default(),
    };
    if !dir.join("makemigrations-build/Cargo.toml").is_file() {
        return Err(Error::Refused(format!(
            "{} does not hold the tool's crates (makemigrations/ and makemigrations-build/); nothing was written\n  fix: give --tool-path DIR (a checkout's crates/ directory) or --tool-git URL",
            dir.display()
        )));
    }
    Ok(ToolSource::Path(dir))
}
