//! Prints, in every `cargo test` run, which database backends the tests use and how to enable
//! the skipped ones. A plain `main` (harness = false) so that cargo does not capture the line.

fn main() {
    let postgres = std::env::var("MAKEMIGRATIONS_TEST_POSTGRES")
        .ok()
        .filter(|v| !v.is_empty());
    match postgres {
        Some(_) => println!("makemigrations tests: backends SQLite and PostgreSQL (MariaDB/MySQL: not supported yet)"),
        None => println!(
            "makemigrations tests: backends SQLite only; PostgreSQL skipped, set \
             MAKEMIGRATIONS_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test to enable it"
        ),
    }
}
