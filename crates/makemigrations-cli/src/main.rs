//! The tool's own binary: `makemigrations init` sets the tool up in a workspace
//! (`cargo install --path crates/makemigrations-cli`). Every other command is the migration crate's
//! binary: `cargo run -p migration -- <command>`.

fn main() -> std::process::ExitCode {
    makemigrations_cli::cli::init::main()
}
