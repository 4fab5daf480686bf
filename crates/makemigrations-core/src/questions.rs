//! Questions the differ cannot answer alone. A dropped column and an added column of the same
//! table with the same definition may be one column renamed; only the user knows. Like Django,
//! the tool asks only when the definitions match apart from the name, and only when someone can
//! answer (a terminal, without `--no-input`); otherwise it keeps the drop and the add.

use crate::ops::Operation;
use crate::schema::Column;

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
