//! The command line: `cargo run -p migration -- <command>` (see `--help`).

#[tokio::main]
async fn main() -> std::process::ExitCode {
    makemigrations_cli::cli::run(migration::project()).await
}
