//! The tidy test (as rust-analyzer's `xtask/src/tidy.rs`): checks over the repository's own text
//! that keep the code and the docs true to each other. It runs with `cargo test --workspace`.
//!
//! - no absolute paths of a machine (`/home/..`, `/work/..`, `C:\Users\..`) in code or docs;
//! - every repository path that code or docs name (`docs/guide.md`, `tests/squash.rs`,
//!   `[a link](json.md)`) exists, and none leads out of the repository;
//! - every source file of the tool starts with a module doc comment (`//!`);
//! - every command and every long flag of the command line appears in `docs/guide.md`;
//! - every design decision cited by number ("decision 9", "decisions 4 and 5") is in
//!   `docs/decisions.md`.

#![cfg(test)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The files git tracks, with their text (binary files are skipped).
fn tracked_text_files() -> Vec<(PathBuf, String)> {
    let root = repo_root();
    let out = std::process::Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(&root)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git ls-files failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .split('\0')
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .filter(|p| root.join(p).is_file())
        .filter_map(|p| {
            let text = std::fs::read_to_string(root.join(&p)).ok()?;
            Some((p, text))
        })
        .collect()
}

fn is_code_or_doc(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("rs" | "md" | "toml")
    ) || path.file_name().is_some_and(|n| n == "Makefile")
        || path.starts_with(".ci")
}

/// Paths that only exist on one machine. `/tmp/` is left out: tests and examples use it on purpose.
const MACHINE_PATHS: &[&str] = &[
    "/home/",
    "/Users/",
    "/work/",
    "/root/",
    "/mnt/",
    "/srv/",
    "/opt/",
    "/var/lib/",
    "C:\\",
];

#[test]
fn no_absolute_paths() {
    let mut found = Vec::new();
    for (path, text) in tracked_text_files() {
        if !is_code_or_doc(&path) || path.ends_with("tidy.rs") {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            if MACHINE_PATHS.iter().any(|p| line.contains(p)) {
                found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "absolute paths of one machine (use a path relative to the repository):\n{}",
        found.join("\n")
    );
}

/// The words of `text` that look like repository paths: a known top-level folder or a file
/// name with one of our extensions, with at least one `/`.
fn named_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for word in text.split(|c: char| {
        !(c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '*' | '<' | '>'))
    }) {
        let word = word.trim_end_matches(['.', '/']).trim_start_matches("./");
        if !word.contains('/')
            || word.contains("//")
            || word.contains(['*', '<', '>'])
            || word.starts_with('/')
        {
            continue;
        }
        let first = word.split('/').next().unwrap();
        let rooted = matches!(
            first,
            "docs" | "crates" | "xtask" | "migration" | "entity" | ".ci"
        );
        let file_like = [".rs", ".md", ".toml"].iter().any(|e| word.ends_with(e));
        if file_like || (rooted && !word.contains('.')) {
            paths.push(word.to_string());
        }
    }
    paths
}

/// Where a path named in `file` may be: from the repository root, from the file's own
/// directory or any above it, or from one of the workspace's crates (`tests/x.rs`,
/// `src/cli/mod.rs`, `makemigrations-build/src/reach.rs`). A path that leads out of the
/// repository (`../elsewhere/notes.md`) never resolves, whether or not it exists here.
fn resolves(root: &Path, file: &Path, named: &str) -> bool {
    if escapes(file.parent().unwrap_or(Path::new("")), named) {
        return false;
    }
    let mut bases = vec![root.to_path_buf(), root.join("crates")];
    let mut dir = file.parent();
    while let Some(d) = dir {
        bases.push(root.join(d));
        dir = d.parent();
    }
    for crate_dir in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
        bases.push(crate_dir.path());
        bases.push(crate_dir.path().join("src"));
    }
    for crate_dir in ["xtask", "migration", "entity"] {
        bases.push(root.join(crate_dir));
        bases.push(root.join(crate_dir).join("src"));
    }
    bases.iter().any(|b| {
        let inside = b.strip_prefix(root).is_ok_and(|dir| !escapes(dir, named));
        inside && b.join(named).exists()
    })
}

/// Whether `named`, read from the repository directory `dir`, climbs above the repository.
fn escapes(dir: &Path, named: &str) -> bool {
    let mut depth = dir.components().count() as i64;
    for part in named.split('/') {
        match part {
            ".." => depth -= 1,
            "." | "" => {}
            _ => depth += 1,
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

/// Names that are examples of a user's project or of generated output, not of this repository.
const EXAMPLE_PATHS: &[&str] = &[
    "migration/src/migrations/m2",
    "src/migrations/m",
    "entity/src/post",
    "entity/src/comment",
    "migration/src/m2",
    "migration/.env",
    "entity/src/reviews",
    "m.../",
    ".../",
    "target/",
    // docs/adopting.md: a checkout of the tool beside the user's project.
    "../../makemigrations/",
];

#[test]
fn named_paths_exist() {
    let root = repo_root();
    let mut missing = BTreeSet::new();
    for (path, text) in tracked_text_files() {
        if !is_code_or_doc(&path)
            || path.ends_with("tidy.rs")
            || path.starts_with("crates/makemigrations-cli/tests/snapshots")
        {
            continue;
        }
        // In code, only comments name files for a reader; string literals are the code's own
        // (scratch projects the tests write, paths built at run time).
        let prose: String = if path.extension().is_some_and(|e| e == "rs") {
            text.lines()
                .filter_map(|l| l.split_once("//").map(|(_, c)| c))
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            text.clone()
        };
        for named in named_paths(&prose) {
            if EXAMPLE_PATHS.iter().any(|e| named.starts_with(e)) {
                continue;
            }
            if !resolves(&root, &path, &named) {
                missing.insert(format!("{}: {named}", path.display()));
            }
        }
        // Relative Markdown links: `[text](file.md#anchor)`.
        if path.extension().is_some_and(|e| e == "md") {
            for link in text.split("](").skip(1) {
                let target = link.split([')', '#', ' ']).next().unwrap_or_default();
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                if !root.join(path.parent().unwrap()).join(target).exists() {
                    missing.insert(format!("{}: link {target}", path.display()));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "files named in the repository that are not in it (fix the name, or add the file):\n{}",
        missing.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn every_module_has_a_doc_comment() {
    let mut undocumented = Vec::new();
    for (path, text) in tracked_text_files() {
        let ours = ["crates", "xtask", "migration", "entity"]
            .iter()
            .any(|dir| path.starts_with(dir));
        let source = path.extension().is_some_and(|e| e == "rs")
            && path.components().any(|c| c.as_os_str() == "src");
        if !ours || !source {
            continue;
        }
        let first = text
            .lines()
            .find(|l| !l.trim().is_empty() && !l.starts_with("#!["))
            .unwrap_or_default();
        if !first.starts_with("//!") {
            undocumented.push(path.display().to_string());
        }
    }
    assert!(
        undocumented.is_empty(),
        "modules without a doc comment (start the file with `//!` lines saying what it is for):\n{}",
        undocumented.join("\n")
    );
}

/// `word` in `text`, not as the start of a longer flag (`--sql` in `--sql-file`).
fn mentions(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        !text[at + word.len()..]
            .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

#[test]
fn every_command_and_flag_is_in_the_guide() {
    use clap::CommandFactory;
    let guide = std::fs::read_to_string(repo_root().join("docs/guide.md")).unwrap();
    let mut missing = Vec::new();
    let cli = makemigrations_cli::cli::Cli::command();
    let flags_missing = |command: &clap::Command, context: &str| -> Vec<String> {
        command
            .get_arguments()
            .filter_map(|arg| arg.get_long())
            .filter(|long| *long != "help" && *long != "version")
            .filter(|long| !mentions(&guide, &format!("--{long}")))
            .map(|long| format!("{context}--{long}"))
            .collect()
    };
    missing.extend(flags_missing(&cli, ""));
    for sub in cli.get_subcommands() {
        let name = sub.get_name();
        if name == "help" {
            continue;
        }
        if !guide.contains(&format!("### {name}")) && !guide.contains(&format!("`{name}")) {
            missing.push(format!("command {name}"));
        }
        missing.extend(flags_missing(sub, &format!("{name} ")));
    }
    assert!(
        missing.is_empty(),
        "commands or flags that docs/guide.md does not describe:\n{}",
        missing.join("\n")
    );
}

/// The numbers cited as "decision N", "decisions N-M" or "decisions N and M" in `text`.
fn cited_decisions(text: &str) -> Vec<u32> {
    let mut cited = Vec::new();
    for (at, _) in text.match_indices("decision") {
        let after = text[at + "decision".len()..].trim_start_matches('s');
        let mut numbers = after.trim_start();
        // "4 and 5", "1-2", "4, 5": numbers joined by these, then anything else ends it.
        loop {
            let digits: String = numbers.chars().take_while(char::is_ascii_digit).collect();
            let Ok(n) = digits.parse::<u32>() else { break };
            cited.push(n);
            numbers = numbers[digits.len()..].trim_start();
            let Some(rest) = ["and ", "-", ", "]
                .iter()
                .find_map(|j| numbers.strip_prefix(j))
            else {
                break;
            };
            numbers = rest.trim_start();
        }
    }
    cited
}

#[test]
fn cited_decisions_exist() {
    let decisions = std::fs::read_to_string(repo_root().join("docs/decisions.md")).unwrap();
    let mut missing = BTreeSet::new();
    for (path, text) in tracked_text_files() {
        if !is_code_or_doc(&path) || path.ends_with("tidy.rs") {
            continue;
        }
        for n in cited_decisions(&text) {
            if !decisions.contains(&format!("\n## {n}. ")) {
                missing.insert(format!("{}: decision {n}", path.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "decisions cited that docs/decisions.md does not have:\n{}",
        missing.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_checks_see_what_they_look_for() {
    assert_eq!(
        cited_decisions("(decision 9) and (decisions 4 and 5), decisions 1-2; decisions for"),
        [9, 4, 5, 1, 2]
    );
    assert_eq!(
        named_paths("see docs/guide.md and `crates/x/src/lib.rs`, not a/b or docs/{x}.md"),
        ["docs/guide.md", "crates/x/src/lib.rs"]
    );
    assert!(mentions("| `--sql` |", "--sql"));
    assert!(!mentions("| `--sql-file` |", "--sql"));
    assert!(!resolves(
        &repo_root(),
        Path::new("docs/guide.md"),
        "docs/nothing-here.md"
    ));
    // Outside the repository, even where this machine has the file.
    assert!(!resolves(
        &repo_root(),
        Path::new("docs/guide.md"),
        "../../Cargo.toml"
    ));
    assert!(resolves(
        &repo_root(),
        Path::new("docs/guide.md"),
        "../Cargo.toml"
    ));
    // Out of the repository and back in through its own directory's name is still out: what
    // the name depends on is where the checkout lies.
    let checkout = repo_root()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(!resolves(
        &repo_root(),
        Path::new("README.md"),
        &format!("../{checkout}/Cargo.toml")
    ));
    assert_eq!(
        named_paths("see ../shared/design/README.md and src/lib.rs"),
        ["../shared/design/README.md", "src/lib.rs"]
    );
    assert!(resolves(
        &repo_root(),
        Path::new("docs/guide.md"),
        "json.md"
    ));
}
