//! Questions the differ cannot answer alone. A dropped column and an added column of the same
//! table with the same definition may be one column renamed; only the user knows. Like Django,
//! the tool asks only when the definitions match apart from the name, and only when someone can
//! answer (a terminal, without `--no-input`); otherwise it keeps the drop and the add.

use crate::ops::Operation;
use crate::schema::{Column, Default, DefaultValue};

#[derive(Debug, Clone, PartialEq)]
pub struct RenameQuestion {
    pub table: String,
    pub from: Column,
    pub to: Column,
}

impl RenameQuestion {
    /// `Did you rename users.bio to users.about (text)?`
    pub fn prompt(&self) -> String {
        format!(
            "Did you rename {table}.{} to {table}.{} ({})?",
            self.from.name,
            self.to.name,
            self.to.db_type,
            table = self.table
        )
    }
}

/// Pairs of a dropped and an added column that could be a rename.
pub fn rename_questions(ops: &[Operation]) -> Vec<RenameQuestion> {
    let mut questions = Vec::new();
    for op in ops {
        let Operation::DropColumn {
            table,
            column: dropped,
        } = op
        else {
            continue;
        };
        let added = ops.iter().find_map(|other| match other {
            Operation::AddColumn { table: t, column }
                if t == table && same_but_name(dropped, column) =>
            {
                Some(column)
            }
            _ => None,
        });
        if let Some(added) = added {
            if !questions
                .iter()
                .any(|q: &RenameQuestion| q.table == *table && q.to.name == added.name)
            {
                questions.push(RenameQuestion {
                    table: table.clone(),
                    from: dropped.clone(),
                    to: added.clone(),
                });
            }
        }
    }
    questions
}

fn same_but_name(a: &Column, b: &Column) -> bool {
    a.db_type == b.db_type
        && a.nullable == b.nullable
        && a.default.as_ref().map(|d| &d.sql) == b.default.as_ref().map(|d| &d.sql)
        && a.unique == b.unique
        && a.auto_increment == b.auto_increment
}

/// Replaces the drop and the add of an answered question with one rename, where the add was.
pub fn apply_rename(ops: Vec<Operation>, question: &RenameQuestion) -> Vec<Operation> {
    ops.into_iter()
        .filter(|op| !matches!(op, Operation::DropColumn { table, column } if *table == question.table && column.name == question.from.name))
        .map(|op| match op {
            Operation::AddColumn { table, column } if table == question.table && column.name == question.to.name => {
                Operation::RenameColumn { table, from: question.from.name.clone(), to: column.name }
            }
            other => other,
        })
        .collect()
}

/// A NOT NULL column added to an existing table without a default: `ADD COLUMN` fails when the
/// table has rows. Django asks for a one-off default here.
#[derive(Debug, Clone, PartialEq)]
pub struct NotNullQuestion {
    pub table: String,
    pub column: Column,
}

impl NotNullQuestion {
    pub fn prompt(&self) -> String {
        format!(
            "{}.{} is NOT NULL without a default, so adding it fails when {} has rows. \
             A one-off default for the existing rows (an SQL literal such as 0, 'unknown', true, \
             CURRENT_TIMESTAMP; empty to leave the file as it is):",
            self.table, self.column.name, self.table
        )
    }

    pub fn warning(&self) -> String {
        format!(
            "warning: {}.{} is NOT NULL without a default: the migration fails if {} has rows; \
             give the entity a default, or edit the file",
            self.table, self.column.name, self.table
        )
    }
}

pub fn not_null_questions(ops: &[Operation]) -> Vec<NotNullQuestion> {
    ops.iter()
        .filter_map(|op| match op {
            Operation::AddColumn { table, column }
                if !column.nullable && column.default.is_none() && !column.auto_increment =>
            {
                Some(NotNullQuestion {
                    table: table.clone(),
                    column: column.clone(),
                })
            }
            _ => None,
        })
        .collect()
}

/// Adds the column with the one-off default, then drops the default (Django's
/// `preserve_default=False`): existing rows get the value, the column ends as the entity says.
pub fn apply_one_off_default(
    ops: Vec<Operation>,
    question: &NotNullQuestion,
    sql: &str,
) -> Vec<Operation> {
    let mut out = Vec::with_capacity(ops.len() + 1);
    for op in ops {
        match op {
            Operation::AddColumn { table, column }
                if table == question.table && column.name == question.column.name =>
            {
                let mut with_default = column.clone();
                with_default.default = Some(Default {
                    sql: sql.to_string(),
                    value: literal_value(sql),
                });
                out.push(Operation::AddColumn {
                    table: table.clone(),
                    column: with_default.clone(),
                });
                out.push(Operation::AlterColumn {
                    table,
                    from: with_default,
                    to: column,
                });
            }
            other => out.push(other),
        }
    }
    out
}

/// An SQL literal typed by the user, as a value to render.
fn literal_value(sql: &str) -> DefaultValue {
    let sql = sql.trim();
    if let Some(text) = sql.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return DefaultValue::String(text.replace("''", "'"));
    }
    match sql.to_ascii_lowercase().as_str() {
        "true" | "false" => DefaultValue::Bool(sql.eq_ignore_ascii_case("true")),
        "current_timestamp" => DefaultValue::CurrentTimestamp,
        "current_date" => DefaultValue::CurrentDate,
        _ if sql.parse::<i64>().is_ok() => DefaultValue::Int(sql.parse().expect("checked")),
        _ if sql.parse::<f64>().is_ok() => DefaultValue::Float(sql.to_string()),
        _ => DefaultValue::Custom(sql.to_string()),
    }
}
