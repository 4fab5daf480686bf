//! What the differ cannot decide alone, as questions with a stable id, a kind, a subject and the
//! choices that answer them (design decision 8). A person at a terminal, a CI job with flags and a
//! program with an answers file get the same questions and give the same answers; nothing here
//! asks anyone: the caller's questioner does, and [`apply`] turns the answers into operations.
//!
//! - A dropped and an added column (or table) alike but for the name may be a rename (Django
//!   asks; only the user knows).
//! - A NOT NULL column added to an existing table without a default, or a nullable column made
//!   NOT NULL, needs a value for the existing rows: a one-off value, or a backfill step.
//! - An enum value removed while rows may hold it needs a value for those rows.
//! - A narrowing type change (shorter strings, smaller numbers, text to varchar(n)) can cut or
//!   refuse values that do not fit.
//!
//! Questions are asked whatever the local database holds: the migration also runs on databases
//! that have rows (production), so the local row counts are shown to help, never to decide.

use serde::{Deserialize, Serialize};

use crate::literal::{integer_range, parse_literal, sql_string, type_name};
use crate::ops::{Operation, RowCondition};
use crate::schema::{Column, ColumnType, Schema, Table};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    RenameColumn,
    RenameTable,
    NotNull,
    EnumValueRemoved,
    NarrowingType,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    RenameColumn {
        table: String,
        from: Column,
        to: Column,
    },
    RenameTable {
        from: String,
        to: String,
    },
    /// `added`: the column is new; otherwise a nullable column becomes NOT NULL.
    NotNull {
        table: String,
        column: Column,
        added: bool,
    },
    EnumValueRemoved {
        name: String,
        value: String,
        remaining: Vec<String>,
        columns: Vec<(String, String)>,
    },
    NarrowingType {
        table: String,
        from: Column,
        to: Column,
    },
}

/// How many rows a question is about, where the database could be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RowCounts {
    /// Rows in the table (for an enum value: in the tables that use it).
    pub rows: u64,
    /// Rows the answer acts on: NULLs to fill, rows holding the removed value, values too long.
    pub affected: Option<u64>,
}

/// What a row count is taken of; the IO layer runs it (`SELECT COUNT(*) ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowFilter {
    All,
    IsNull(String),
    Equals(String, String),
    /// Values that do not fit the narrower type.
    NotFitting(String, ColumnType),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    /// Stable across runs for the same change: `rename_column:users.bio:about`.
    pub id: String,
    pub subject: Subject,
    pub rows: Option<RowCounts>,
}

/// An answer, as a flag, an answers file or the prompt gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "choice", content = "value", rename_all = "snake_case")]
pub enum Answer {
    /// It is a rename: keep the data.
    Rename,
    /// Not a rename: drop the old and add the new on purpose.
    NoRename,
    /// A value for the existing rows (an SQL literal of the column's type), not kept as default.
    Default(String),
    /// Add the column nullable, leave a data step to write, then set NOT NULL.
    Backfill,
    /// Rows holding the removed enum value get this value.
    Replace(String),
    /// Go ahead with the narrowing change.
    Allow,
}

impl Answer {
    pub fn choice(&self) -> &'static str {
        match self {
            Answer::Rename => "rename",
            Answer::NoRename => "no_rename",
            Answer::Default(_) => "default",
            Answer::Backfill => "backfill",
            Answer::Replace(_) => "replace",
            Answer::Allow => "allow",
        }
    }
}

/// One way to answer a question: its name in an answers file and the flag that gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub choice: &'static str,
    /// The flag, with `VALUE` where the user supplies one: `--default users.phone=VALUE`.
    pub flag: String,
    pub help: &'static str,
}

impl Question {
    fn new(subject: Subject) -> Question {
        let id = match &subject {
            Subject::RenameColumn { table, from, to } => {
                format!("rename_column:{table}.{}:{}", from.name, to.name)
            }
            Subject::RenameTable { from, to } => format!("rename_table:{from}:{to}"),
            Subject::NotNull { table, column, .. } => format!("not_null:{table}.{}", column.name),
            Subject::EnumValueRemoved { name, value, .. } => {
                format!("enum_value_removed:{name}.{value}")
            }
            Subject::NarrowingType { table, to, .. } => {
                format!("narrowing_type:{table}.{}", to.name)
            }
        };
        Question {
            id,
            subject,
            rows: None,
        }
    }

    /// The kind, as its subject says.
    pub fn kind(&self) -> Kind {
        match self.subject {
            Subject::RenameColumn { .. } => Kind::RenameColumn,
            Subject::RenameTable { .. } => Kind::RenameTable,
            Subject::NotNull { .. } => Kind::NotNull,
            Subject::EnumValueRemoved { .. } => Kind::EnumValueRemoved,
            Subject::NarrowingType { .. } => Kind::NarrowingType,
        }
    }

    /// The sentence a person reads: `Did you rename users.bio to users.about (text)?`
    pub fn text(&self) -> String {
        match &self.subject {
            Subject::RenameColumn { table, from, to } => format!(
                "Did you rename {table}.{} to {table}.{} ({})?",
                from.name, to.name, to.db_type
            ),
            Subject::RenameTable { from, to } => {
                format!("Did you rename table {from} to {to} (same columns)?")
            }
            Subject::NotNull {
                table,
                column,
                added: true,
            } => format!(
                "{table}.{} is added NOT NULL without a default: existing rows of {table} need a value.",
                column.name
            ),
            Subject::NotNull { table, column, .. } => format!(
                "{table}.{} becomes NOT NULL: rows where it is NULL need a value.",
                column.name
            ),
            Subject::EnumValueRemoved {
                name,
                value,
                columns,
                ..
            } => format!(
                "Value '{value}' is removed from enum {name}: rows of {} that hold it need another value.",
                columns
                    .iter()
                    .map(|(t, c)| format!("{t}.{c}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Subject::NarrowingType { table, from, to } => format!(
                "{table}.{} narrows from {} to {}: values that do not fit are refused or cut.",
                to.name,
                type_name(&from.col_type),
                type_name(&to.col_type)
            ),
        }
    }

    /// `users has 1,204 rows, 37 of them with phone NULL`.
    pub fn rows_text(&self) -> Option<String> {
        let counts = self.rows?;
        let (place, what) = match &self.subject {
            Subject::RenameColumn { table, .. } => (table.clone(), None),
            Subject::RenameTable { from, .. } => (from.clone(), None),
            Subject::NotNull {
                table,
                column,
                added,
            } => (
                table.clone(),
                (!added).then(|| format!("with {} NULL", column.name)),
            ),
            Subject::EnumValueRemoved { value, columns, .. } => (
                columns
                    .iter()
                    .map(|(t, _)| t.as_str())
                    .collect::<Vec<_>>()
                    .join(" + "),
                Some(format!("holding '{value}'")),
            ),
            Subject::NarrowingType { table, to, .. } => (
                table.clone(),
                Some(format!("with {} values that do not fit", to.name)),
            ),
        };
        let mut text = format!("{place} has {}", rows(counts.rows));
        if let (Some(affected), Some(what)) = (counts.affected, what) {
            text.push_str(&format!(", {} of them {what}", thousands(affected)));
        }
        Some(text)
    }

    /// The answers this question takes, with their flags.
    pub fn choices(&self) -> Vec<Choice> {
        let choice = |choice, flag: String, help| Choice { choice, flag, help };
        match &self.subject {
            Subject::RenameColumn { table, from, to } => vec![
                choice(
                    "rename",
                    format!("--rename {table}.{}={}", from.name, to.name),
                    "it is a rename: the data is kept",
                ),
                choice(
                    "no_rename",
                    format!("--no-rename {table}.{}", from.name),
                    "drop the old column with its data and add the new one",
                ),
            ],
            Subject::RenameTable { from, to } => vec![
                choice(
                    "rename",
                    format!("--rename-table {from}={to}"),
                    "it is a rename: the rows are kept",
                ),
                choice(
                    "no_rename",
                    format!("--no-rename {from}"),
                    "drop the old table with its rows and create the new one",
                ),
            ],
            Subject::NotNull { table, column, .. } => vec![
                choice(
                    "default",
                    format!("--default {table}.{}=VALUE", column.name),
                    "a one-off SQL literal for the existing rows, not kept as a default",
                ),
                choice(
                    "backfill",
                    format!("--backfill {table}.{}", column.name),
                    "add it nullable, leave a data step for you to write, then set NOT NULL",
                ),
            ],
            Subject::EnumValueRemoved { name, value, .. } => vec![choice(
                "replace",
                format!("--replace-enum-value {name}.{value}=VALUE"),
                "rows holding the removed value get VALUE, one of the remaining values",
            )],
            Subject::NarrowingType { table, to, .. } => vec![choice(
                "allow",
                format!("--allow-narrowing {table}.{}", to.name),
                "go ahead: values that do not fit make the migration fail (or are cut where the database cuts)",
            )],
        }
    }

    /// What to count for [`Question::rows`]: the table, and the rows the answer acts on.
    pub fn row_counts_wanted(&self) -> Vec<(String, RowFilter)> {
        match &self.subject {
            Subject::RenameColumn { table, .. } => vec![(table.clone(), RowFilter::All)],
            Subject::RenameTable { from, .. } => vec![(from.clone(), RowFilter::All)],
            Subject::NotNull {
                table,
                column,
                added,
            } => {
                let mut wanted = vec![(table.clone(), RowFilter::All)];
                if !added {
                    wanted.push((table.clone(), RowFilter::IsNull(column.name.clone())));
                }
                wanted
            }
            Subject::EnumValueRemoved { value, columns, .. } => columns
                .iter()
                .flat_map(|(t, c)| {
                    [
                        (t.clone(), RowFilter::All),
                        (t.clone(), RowFilter::Equals(c.clone(), value.clone())),
                    ]
                })
                .collect(),
            Subject::NarrowingType { table, to, .. } => vec![
                (table.clone(), RowFilter::All),
                (
                    table.clone(),
                    RowFilter::NotFitting(to.name.clone(), to.col_type.clone()),
                ),
            ],
        }
    }

    /// Checks that `answer` answers this question: the right choice, and a value that fits.
    pub fn check(&self, answer: &Answer) -> Result<(), String> {
        let fits = match (&self.subject, answer) {
            (Subject::RenameColumn { .. } | Subject::RenameTable { .. }, Answer::Rename)
            | (Subject::RenameColumn { .. } | Subject::RenameTable { .. }, Answer::NoRename)
            | (Subject::NotNull { .. }, Answer::Backfill)
            | (Subject::NarrowingType { .. }, Answer::Allow) => Ok(()),
            // MySQL keeps a uuid as 16 bytes: an UPDATE with the text would not fit there.
            (
                Subject::NotNull {
                    column,
                    added: false,
                    ..
                },
                Answer::Default(_),
            ) if column.col_type == ColumnType::Uuid => Err(
                "a one-off value for an existing uuid column is not portable (MySQL stores it as 16 bytes); use --backfill"
                    .to_string(),
            ),
            (Subject::NotNull { column, .. }, Answer::Default(sql)) => {
                let target = Column {
                    nullable: false,
                    ..column.clone()
                };
                parse_literal(&target, sql).map(|_| ())
            }
            (Subject::EnumValueRemoved { remaining, .. }, Answer::Replace(value)) => {
                if remaining.contains(value) {
                    Ok(())
                } else {
                    Err(format!(
                        "`{value}` is not a value of the enum after the change; give one of {}",
                        remaining.join(", ")
                    ))
                }
            }
            _ => Err(format!(
                "`{}` does not answer this question; it takes {}",
                answer.choice(),
                self.choices()
                    .iter()
                    .map(|c| c.choice)
                    .collect::<Vec<_>>()
                    .join(" or ")
            )),
        };
        fits
    }
}

/// Every question with its id and the flags that answer it, as the terminal shows open questions.
pub fn listing(questions: &[Question]) -> String {
    let mut text = String::new();
    for question in questions {
        text.push_str(&format!("  ? {}\n", question.text()));
        if let Some(rows) = question.rows_text() {
            text.push_str(&format!("      {rows}\n"));
        }
        text.push_str(&format!("      id: {}\n", question.id));
        for choice in question.choices() {
            text.push_str(&format!("      {:<44} {}\n", choice.flag, choice.help));
        }
    }
    text
}

/// `1 row`, `1,204 rows`.
pub fn rows(n: u64) -> String {
    match n {
        1 => "1 row".to_string(),
        n => format!("{} rows", thousands(n)),
    }
}

/// `1204` -> `1,204`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The rename questions: pairs of a dropped and an added column of one table alike but for the
/// name, and pairs of a dropped and a created table with the same columns.
pub fn rename_questions(ops: &[Operation]) -> Vec<Question> {
    let mut questions = Vec::new();
    for op in ops {
        match op {
            Operation::DropColumn {
                table,
                column: dropped,
            } => {
                for other in ops {
                    if let Operation::AddColumn { table: t, column } = other {
                        if t == table && same_but_name(dropped, column) {
                            questions.push(Question::new(Subject::RenameColumn {
                                table: table.clone(),
                                from: dropped.clone(),
                                to: column.clone(),
                            }));
                        }
                    }
                }
            }
            Operation::DropTable(dropped) => {
                for other in ops {
                    if let Operation::CreateTable(created) = other {
                        if same_columns(dropped, created) {
                            questions.push(Question::new(Subject::RenameTable {
                                from: dropped.name.clone(),
                                to: created.name.clone(),
                            }));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    questions
}

/// Renames given by id (a flag or an answers file) whose subject exists even though no question
/// arose: a column renamed and changed at once, a table renamed with a column changed. The flag
/// is the user's word that it is a rename. Ids that do not fit the schemas are left out.
pub fn given_renames<'a>(
    live: &Schema,
    desired: &Schema,
    ids: impl IntoIterator<Item = &'a str>,
) -> Vec<Question> {
    let mut found = Vec::new();
    for id in ids {
        if let Some(rest) = id.strip_prefix("rename_table:") {
            let Some((from, to)) = rest.split_once(':') else {
                continue;
            };
            let moved = live.tables.contains_key(from)
                && !live.tables.contains_key(to)
                && desired.tables.contains_key(to)
                && !desired.tables.contains_key(from);
            if moved {
                found.push(Question::new(Subject::RenameTable {
                    from: from.to_string(),
                    to: to.to_string(),
                }));
            }
        } else if let Some(rest) = id.strip_prefix("rename_column:") {
            let Some((column, to)) = rest.rsplit_once(':') else {
                continue;
            };
            let Some((table, from)) = column.split_once('.') else {
                continue;
            };
            let (Some(live_table), Some(desired_table)) =
                (live.tables.get(table), desired.tables.get(table))
            else {
                continue;
            };
            if let (Some(old), None, Some(new), None) = (
                live_table.column(from),
                live_table.column(to),
                desired_table.column(to),
                desired_table.column(from),
            ) {
                found.push(Question::new(Subject::RenameColumn {
                    table: table.to_string(),
                    from: old.clone(),
                    to: new.clone(),
                }));
            }
        }
    }
    found
}

fn same_but_name(a: &Column, b: &Column) -> bool {
    a.db_type == b.db_type
        && a.nullable == b.nullable
        && a.default.as_ref().map(|d| &d.sql) == b.default.as_ref().map(|d| &d.sql)
        && a.unique == b.unique
        && a.auto_increment == b.auto_increment
}

/// Same columns (names and definitions, in any order) and the same primary key.
fn same_columns(a: &Table, b: &Table) -> bool {
    a.columns.len() == b.columns.len()
        && a.primary_key == b.primary_key
        && a.columns
            .iter()
            .all(|ca| b.column(&ca.name).is_some_and(|cb| same_but_name(ca, cb)))
}

/// The questions about values for existing rows, once renames are settled: NOT NULL without a
/// value, enum values removed, narrowing type changes.
pub fn value_questions(ops: &[Operation]) -> Vec<Question> {
    let mut questions = Vec::new();
    for op in ops {
        match op {
            Operation::AddColumn { table, column }
                if !column.nullable && column.default.is_none() && !column.auto_increment =>
            {
                questions.push(Question::new(Subject::NotNull {
                    table: table.clone(),
                    column: column.clone(),
                    added: true,
                }));
            }
            Operation::AlterColumn { table, from, to } => {
                if from.nullable && !to.nullable {
                    questions.push(Question::new(Subject::NotNull {
                        table: table.clone(),
                        column: to.clone(),
                        added: false,
                    }));
                }
                if narrows(&from.col_type, &to.col_type) {
                    questions.push(Question::new(Subject::NarrowingType {
                        table: table.clone(),
                        from: from.clone(),
                        to: to.clone(),
                    }));
                }
            }
            Operation::AlterEnum {
                name,
                from,
                to,
                columns,
            } => {
                for value in from.iter().filter(|v| !to.contains(v)) {
                    questions.push(Question::new(Subject::EnumValueRemoved {
                        name: name.clone(),
                        value: value.clone(),
                        remaining: to.clone(),
                        columns: columns.clone(),
                    }));
                }
            }
            _ => {}
        }
    }
    questions
}

/// A change that can leave values without a place: shorter strings, smaller numbers, text (or
/// an unbounded varchar) to varchar(n), fewer decimal digits, exact numbers to floating point,
/// a timestamp to a date or a time; arrays whose elements narrow so.
pub fn narrows(from: &ColumnType, to: &ColumnType) -> bool {
    use ColumnType::*;
    let bounded = |t: &ColumnType| match t {
        String(n) | Char(n) => Some(n.unwrap_or(u32::MAX)),
        Text => Some(u32::MAX),
        _ => None,
    };
    let numeric = |t: &ColumnType| matches!(t, Float | Double | Decimal(_));
    match (from, to) {
        (a, b) if a == b => false,
        // An array narrows as its elements do (`text[]` to `varchar(20)[]`).
        (Array(a), Array(b)) => narrows(a, b),
        // Between an array and a single value, most values have no place on the other side.
        (Array(_), _) | (_, Array(_)) => true,
        (Decimal(Some((p1, s1))), Decimal(Some((p2, s2)))) => {
            p2 < p1 || s2 < s1 || p2 - s2 < p1 - s1
        }
        (Decimal(None), Decimal(Some(_))) => true,
        // Floating point keeps about 7 (float) or 15 (double) digits.
        (Double | Decimal(_) | BigInteger | BigUnsigned | Integer | Unsigned, Float) => true,
        (Decimal(_) | BigInteger | BigUnsigned, Double) => true,
        // The time of day goes.
        (DateTime | Timestamp | TimestampWithTimeZone, Date | Time) => true,
        (a, b) if numeric(a) && integer_range(b) != (0, 0) => true,
        (a, b) if integer_range(a) != (0, 0) && integer_range(b) != (0, 0) => {
            let (min_a, max_a) = integer_range(a);
            let (min_b, max_b) = integer_range(b);
            min_b > min_a || max_b < max_a
        }
        (a, b) => match (bounded(a), bounded(b)) {
            (Some(la), Some(lb)) => lb < la,
            _ => false,
        },
    }
}

/// Applies answered renames to the live schema, so that the differ compares like with like.
pub fn apply_renames(live: &mut Schema, renames: &[Subject]) -> Vec<Operation> {
    let mut tables = Vec::new();
    let mut columns = Vec::new();
    for subject in renames {
        match subject {
            Subject::RenameTable { from, to } => tables.push((from.clone(), to.clone())),
            Subject::RenameColumn { table, from, to } => {
                columns.push((table.clone(), from.name.clone(), to.name.clone()))
            }
            _ => {}
        }
    }
    crate::diff::apply_renames(live, &tables, &columns)
}

/// Turns the answers to value questions into operations: a one-off value, a backfill step, rows
/// moved off a removed enum value. `Allow` and the rename answers change nothing here.
pub fn apply(ops: Vec<Operation>, answered: &[(Question, Answer)]) -> Vec<Operation> {
    let not_null_answer = |table: &str, column: &str| {
        answered.iter().find_map(|(q, a)| match &q.subject {
            Subject::NotNull {
                table: t,
                column: c,
                ..
            } if t == table && c.name == column => Some(a),
            _ => None,
        })
    };
    let mut out = Vec::with_capacity(ops.len() + answered.len());
    for op in ops {
        match op {
            Operation::AddColumn { table, column } => match not_null_answer(&table, &column.name) {
                Some(Answer::Default(sql)) => {
                    let value = parse_literal(&column, sql).expect("checked when answered");
                    out.extend(Operation::add_column_filled(table, column, value));
                }
                Some(_) => {
                    let nullable = Column {
                        nullable: true,
                        ..column.clone()
                    };
                    out.push(Operation::AddColumn {
                        table: table.clone(),
                        column: nullable.clone(),
                    });
                    out.push(Operation::Backfill {
                        table: table.clone(),
                        column: column.name.clone(),
                    });
                    out.push(Operation::AlterColumn {
                        table,
                        from: nullable,
                        to: column,
                    });
                }
                None => out.push(Operation::AddColumn { table, column }),
            },
            Operation::AlterColumn {
                table,
                mut from,
                to,
            } if from.nullable && !to.nullable => {
                match not_null_answer(&table, &to.name) {
                    Some(Answer::Default(sql)) => {
                        // The value is a literal of the new type: a type change goes first,
                        // NULLs kept, then the NULLs are filled.
                        if from.db_type != to.db_type {
                            let retyped = Column {
                                nullable: true,
                                ..to.clone()
                            };
                            out.push(Operation::AlterColumn {
                                table: table.clone(),
                                from,
                                to: retyped.clone(),
                            });
                            from = retyped;
                        }
                        out.push(Operation::UpdateRows {
                            table: table.clone(),
                            column: to.name.clone(),
                            value: sql.trim().to_string(),
                            when: RowCondition::IsNull,
                            reversible: false,
                        });
                    }
                    Some(_) => out.push(Operation::Backfill {
                        table: table.clone(),
                        column: to.name.clone(),
                    }),
                    None => {}
                }
                out.push(Operation::AlterColumn { table, from, to });
            }
            Operation::AlterEnum {
                name,
                from,
                to,
                columns,
            } => {
                let replacements: Vec<(&String, &String)> = answered
                    .iter()
                    .filter_map(|(q, a)| match (&q.subject, a) {
                        (
                            Subject::EnumValueRemoved { name: n, value, .. },
                            Answer::Replace(with),
                        ) if *n == name => Some((value, with)),
                        _ => None,
                    })
                    .collect();
                if replacements.is_empty() {
                    out.push(Operation::AlterEnum {
                        name,
                        from,
                        to,
                        columns,
                    });
                    continue;
                }
                // Add the new values first (a replacement may be one of them), move the rows,
                // then take the old values away.
                let mut union = from.clone();
                union.extend(to.iter().filter(|v| !from.contains(v)).cloned());
                if union != from {
                    out.push(Operation::AlterEnum {
                        name: name.clone(),
                        from: from.clone(),
                        to: union.clone(),
                        columns: columns.clone(),
                    });
                }
                for (old, new) in replacements {
                    for (table, column) in &columns {
                        out.push(Operation::UpdateRows {
                            table: table.clone(),
                            column: column.clone(),
                            value: sql_string(new),
                            when: RowCondition::Equals(sql_string(old)),
                            // No row held a value this change adds: down moves them back.
                            reversible: !from.contains(new),
                        });
                    }
                }
                out.push(Operation::AlterEnum {
                    name,
                    from: union,
                    to,
                    columns,
                });
            }
            other => out.push(other),
        }
    }
    out
}
