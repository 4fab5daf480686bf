//! Prints, in every `cargo test` run, which database backends the tests use and how to enable
//! the skipped ones. A plain `main` (harness = false) so that cargo does not capture the line.

fn main() {
    let enabled = |var: &str| std::env::var(var).ok().is_some_and(|v| !v.is_empty());
    let mut used = vec!["SQLite"];
    let mut skipped = Vec::new();
    for (name, var, example) in [
        (
            "PostgreSQL",
            "MAKEMIGRATIONS_TEST_POSTGRES",
            "postgres://postgres@127.0.0.1:5432/test",
        ),
        (
            "MySQL/MariaDB",
            "MAKEMIGRATIONS_TEST_MYSQL",
            "mysql://root@127.0.0.1:3306/test",
        ),
    ] {
        if enabled(var) {
            used.push(name);
        } else {
            skipped.push(format!("{name} (set {var}={example})"));
        }
    }
    let mut line = format!("makemigrations tests: backends {}", used.join(", "));
    if !skipped.is_empty() {
        line.push_str(&format!("; skipped {}", skipped.join(", ")));
    }
    println!("{line}");
}
