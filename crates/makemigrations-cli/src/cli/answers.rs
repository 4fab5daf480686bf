//! The answers given before any question is asked: the flags of `makemigrations` and an answers
//! file (`--answers FILE`, or `-` for standard input), keyed by question id. The forms are
//! documented in docs/json.md and in `makemigrations --help`.

use std::collections::BTreeMap;

use makemigrations_core::questions::Answer;
use serde::Deserialize;

use super::MakemigrationsArgs;
use crate::autodetect::GivenAnswers;
use crate::error::Error;

/// `{"schema_hash": "...", "answers": {"rename_column:users.bio:about": {"choice": "rename"}}}`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswersFile {
    schema_hash: String,
    answers: BTreeMap<String, Answer>,
}

pub(super) fn given(args: &MakemigrationsArgs) -> Result<GivenAnswers, Error> {
    let mut given = GivenAnswers::default();
    let mut add = |key: String, answer: Answer, source: String| {
        given.answers.push((key, answer, source));
    };
    for flag in &args.rename {
        let (column, new) = split(flag, '=', "--rename", "TABLE.OLD=NEW")?;
        let (table, old) = split(column, '.', "--rename", "TABLE.OLD=NEW")?;
        add(
            format!("rename_column:{table}.{old}:{new}"),
            Answer::Rename,
            format!("--rename {flag}"),
        );
    }
    for flag in &args.rename_table {
        let (old, new) = split(flag, '=', "--rename-table", "OLD=NEW")?;
        add(
            format!("rename_table:{old}:{new}"),
            Answer::Rename,
            format!("--rename-table {flag}"),
        );
    }
    for flag in &args.no_rename {
        // TABLE.OLD declines a column rename; a bare TABLE declines a table rename.
        let key = match flag.split_once('.') {
            Some((table, old)) if !table.is_empty() && !old.is_empty() => {
                format!("rename_column:{table}.{old}:")
            }
            _ => format!("rename_table:{flag}:"),
        };
        add(key, Answer::NoRename, format!("--no-rename {flag}"));
    }
    for flag in &args.default {
        let (column, value) = split(flag, '=', "--default", "TABLE.COLUMN=VALUE")?;
        split(column, '.', "--default", "TABLE.COLUMN=VALUE")?;
        add(
            format!("not_null:{column}"),
            Answer::Default(value.to_string()),
            format!("--default {flag}"),
        );
    }
    for flag in &args.backfill {
        split(flag, '.', "--backfill", "TABLE.COLUMN")?;
        add(
            format!("not_null:{flag}"),
            Answer::Backfill,
            format!("--backfill {flag}"),
        );
    }
    for flag in &args.replace_enum_value {
        let (value, new) = split(flag, '=', "--replace-enum-value", "ENUM.OLD=NEW")?;
        split(value, '.', "--replace-enum-value", "ENUM.OLD=NEW")?;
        add(
            format!("enum_value_removed:{value}"),
            Answer::Replace(new.to_string()),
            format!("--replace-enum-value {flag}"),
        );
    }
    for flag in &args.allow_narrowing {
        split(flag, '.', "--allow-narrowing", "TABLE.COLUMN")?;
        add(
            format!("narrowing_type:{flag}"),
            Answer::Allow,
            format!("--allow-narrowing {flag}"),
        );
    }
    if let Some(path) = &args.answers {
        let text = if path == "-" {
            std::io::read_to_string(std::io::stdin())?
        } else {
            std::fs::read_to_string(path)
                .map_err(|e| Error::BadFlag(format!("cannot read the answers file {path}: {e}")))?
        };
        let file: AnswersFile = serde_json::from_str(&text).map_err(|e| {
            Error::BadFlag(format!(
                "the answers file {path} is not in the expected form ({e}); docs/json.md shows it"
            ))
        })?;
        given.schema_hash = Some(file.schema_hash);
        for (id, answer) in file.answers {
            let source = format!("answer `{id}` in {path}");
            given.answers.push((id, answer, source));
        }
    }
    Ok(given)
}

/// `users.bio=about` at `=` -> (`users.bio`, `about`); both sides must be non-empty. A table or
/// column name that holds the separator itself is split at its first occurrence.
fn split<'a>(text: &'a str, at: char, flag: &str, form: &str) -> Result<(&'a str, &'a str), Error> {
    match text.split_once(at) {
        Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok((a, b)),
        _ => Err(Error::BadFlag(format!(
            "{flag} {text}: expected {flag} {form}"
        ))),
    }
}
