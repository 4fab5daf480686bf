//! The list of reversible operations a migration is made of.
//!
//! The list is flat (one operation, one statement in the generated file) and every operation
//! carries what its reverse needs: drops and alterations keep the old definition, as Alembic's
//! `existing_*` arguments and Atlas's `Drop*{T}` do. `down` is therefore derived, never diffed:
//! `down = up.reverse().map(Operation::reverse)`.

use crate::schema::{Column, Default, EnumType, ForeignKey, Index, Schema, Table};

#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    CreateEnum(EnumType),
    DropEnum(EnumType),
    /// Change the values of an enum type. Appending or inserting values is done in place; removing
    /// or reordering values recreates the type.
    AlterEnum {
        name: String,
        from: Vec<String>,
        to: Vec<String>,
        /// The `(table, column)`s that use the type before the change. MySQL keeps enums inline
        /// and changes exactly these; PostgreSQL changes the type, whoever uses it.
        columns: Vec<(String, String)>,
    },
    CreateTable(Table),
    DropTable(Table),
    AddColumn {
        table: String,
        column: Column,
    },
    DropColumn {
        table: String,
        column: Column,
    },
    AlterColumn {
        table: String,
        from: Column,
        to: Column,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    /// Its columns, indexes and foreign keys (in and out) go with it.
    RenameTable {
        from: String,
        to: String,
    },
    /// Data, not schema: sets `column` to `value` (an SQL literal) in the rows `when` picks, e.g.
    /// a one-off value for the NULLs of a column made NOT NULL. `down` leaves it out (the old
    /// values are gone), unless it is `reversible`: rows moved from one value to one that no row
    /// could hold before (an enum value added in the same change) move back exactly.
    UpdateRows {
        table: String,
        column: String,
        value: String,
        when: RowCondition,
        reversible: bool,
    },
    /// A data step for the user to write: fill `column` for the existing rows before it becomes
    /// NOT NULL. Rendered as a placeholder that `migrate` refuses to run; no reverse either.
    Backfill {
        table: String,
        column: String,
    },
    CreateIndex {
        table: String,
        index: Index,
    },
    DropIndex {
        table: String,
        index: Index,
    },
    /// Give an index (or UNIQUE constraint) the entity's name; only when the project asks for
    /// exact names, since a name alone is not a change (decision 9). `index` is as it was.
    RenameIndex {
        table: String,
        index: Index,
        to: String,
    },
    AddForeignKey {
        table: String,
        foreign_key: ForeignKey,
    },
    DropForeignKey {
        table: String,
        foreign_key: ForeignKey,
    },
    SetPrimaryKey {
        table: String,
        from: Vec<String>,
        to: Vec<String>,
    },
    SetTableComment {
        table: String,
        from: Option<String>,
        to: Option<String>,
    },
}

/// Which rows an [`Operation::UpdateRows`] changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowCondition {
    IsNull,
    /// The column holds this SQL literal.
    Equals(String),
}

/// Django's operation categories, used as the first character of each printed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Add,
    Remove,
    Alter,
}

impl Category {
    pub fn symbol(self) -> char {
        match self {
            Category::Add => '+',
            Category::Remove => '-',
            Category::Alter => '~',
        }
    }
}

impl Operation {
    /// Makes the change in the model `schema`, as running it makes it in a database; data
    /// steps change nothing here. Lenient: an object that is not there is left alone, so that a
    /// schema that only roughly is the one the operation was made for still comes out right
    /// where it can (the snapshot of a baseline, `snapshot::before`).
    pub fn apply_to(&self, schema: &mut Schema) {
        use Operation::*;
        match self {
            CreateEnum(e) => {
                schema.enums.insert(e.name.clone(), e.clone());
            }
            DropEnum(e) => {
                schema.enums.remove(&e.name);
            }
            AlterEnum { name, to, .. } => {
                if let Some(e) = schema.enums.get_mut(name) {
                    e.values = to.clone();
                }
                // Inline too: a column's type carries its enum's values.
                for column in schema.tables.values_mut().flat_map(|t| &mut t.columns) {
                    column.col_type.set_enum_values(name, to);
                }
            }
            CreateTable(t) => {
                schema.tables.insert(t.name.clone(), t.clone());
            }
            DropTable(t) => {
                schema.tables.remove(&t.name);
            }
            AddColumn { table: t, column } => {
                if let Some(t) = schema.tables.get_mut(t) {
                    t.columns.retain(|c| c.name != column.name);
                    t.columns.push(column.clone());
                }
            }
            DropColumn { table: t, column } => {
                if let Some(t) = schema.tables.get_mut(t) {
                    t.columns.retain(|c| c.name != column.name);
                }
            }
            AlterColumn { table: t, from, to } => {
                if let Some(c) = schema
                    .tables
                    .get_mut(t)
                    .and_then(|t| t.columns.iter_mut().find(|c| c.name == from.name))
                {
                    *c = to.clone();
                }
            }
            RenameColumn { table: t, from, to } => {
                if let Some(t) = schema.tables.get_mut(t) {
                    let rename = |name: &mut String| {
                        if name == from {
                            *name = to.clone();
                        }
                    };
                    t.columns.iter_mut().for_each(|c| rename(&mut c.name));
                    t.primary_key.iter_mut().for_each(rename);
                    t.indexes
                        .iter_mut()
                        .for_each(|i| i.columns.iter_mut().for_each(rename));
                    t.foreign_keys
                        .iter_mut()
                        .for_each(|k| k.columns.iter_mut().for_each(rename));
                }
                // Keys of other tables (or the same one) that point at the renamed column.
                for other in schema.tables.values_mut() {
                    for key in other.foreign_keys.iter_mut().filter(|k| &k.ref_table == t) {
                        for column in &mut key.ref_columns {
                            if column == from {
                                *column = to.clone();
                            }
                        }
                    }
                }
            }
            RenameTable { from, to } if !schema.tables.contains_key(to) => {
                if let Some(mut t) = schema.tables.remove(from) {
                    t.name = to.clone();
                    schema.tables.insert(to.clone(), t);
                }
                for t in schema.tables.values_mut() {
                    for key in &mut t.foreign_keys {
                        if &key.ref_table == from {
                            key.ref_table = to.clone();
                        }
                    }
                }
            }
            RenameTable { .. } | UpdateRows { .. } | Backfill { .. } => {}
            CreateIndex { table: t, index } => {
                if let Some(t) = schema.tables.get_mut(t) {
                    t.indexes.retain(|i| i.name != index.name);
                    t.indexes.push(index.clone());
                }
            }
            DropIndex { table: t, index } => {
                if let Some(t) = schema.tables.get_mut(t) {
                    t.indexes.retain(|i| i.name != index.name);
                }
            }
            RenameIndex {
                table: t,
                index,
                to,
            } => {
                if let Some(i) = schema
                    .tables
                    .get_mut(t)
                    .and_then(|t| t.indexes.iter_mut().find(|i| i.name == index.name))
                {
                    i.name = to.clone();
                }
            }
            AddForeignKey {
                table: t,
                foreign_key,
            } => {
                if let Some(t) = schema.tables.get_mut(t) {
                    t.foreign_keys
                        .retain(|k| k.signature() != foreign_key.signature());
                    t.foreign_keys.push(foreign_key.clone());
                }
            }
            DropForeignKey {
                table: t,
                foreign_key,
            } => {
                if let Some(t) = schema.tables.get_mut(t) {
                    if let Some(at) = t
                        .foreign_keys
                        .iter()
                        .position(|k| k.signature() == foreign_key.signature())
                    {
                        t.foreign_keys.remove(at);
                    }
                }
            }
            SetPrimaryKey { table: t, to, .. } => {
                if let Some(t) = schema.tables.get_mut(t) {
                    t.primary_key = to.clone();
                }
            }
            SetTableComment { table: t, to, .. } => {
                if let Some(t) = schema.tables.get_mut(t) {
                    t.comment = to.clone();
                }
            }
        }
    }

    /// The operation that undoes this one. Total: every operation carries its old state.
    pub fn reverse(&self) -> Operation {
        use Operation::*;
        match self {
            CreateEnum(e) => DropEnum(e.clone()),
            DropEnum(e) => CreateEnum(e.clone()),
            AlterEnum {
                name,
                from,
                to,
                columns,
            } => AlterEnum {
                name: name.clone(),
                from: to.clone(),
                to: from.clone(),
                columns: columns.clone(),
            },
            CreateTable(t) => DropTable(t.clone()),
            DropTable(t) => CreateTable(t.clone()),
            AddColumn { table, column } => DropColumn {
                table: table.clone(),
                column: column.clone(),
            },
            DropColumn { table, column } => AddColumn {
                table: table.clone(),
                column: column.clone(),
            },
            AlterColumn { table, from, to } => AlterColumn {
                table: table.clone(),
                from: to.clone(),
                to: from.clone(),
            },
            RenameColumn { table, from, to } => RenameColumn {
                table: table.clone(),
                from: to.clone(),
                to: from.clone(),
            },
            RenameTable { from, to } => RenameTable {
                from: to.clone(),
                to: from.clone(),
            },
            UpdateRows {
                table,
                column,
                value,
                when: RowCondition::Equals(old),
                reversible: true,
            } => UpdateRows {
                table: table.clone(),
                column: column.clone(),
                value: old.clone(),
                when: RowCondition::Equals(value.clone()),
                reversible: true,
            },
            // Other data steps have no reverse; `down` leaves them out (see `is_data_step`).
            UpdateRows { .. } | Backfill { .. } => self.clone(),
            CreateIndex { table, index } => DropIndex {
                table: table.clone(),
                index: index.clone(),
            },
            DropIndex { table, index } => CreateIndex {
                table: table.clone(),
                index: index.clone(),
            },
            RenameIndex { table, index, to } => RenameIndex {
                table: table.clone(),
                index: Index {
                    name: to.clone(),
                    ..index.clone()
                },
                to: index.name.clone(),
            },
            AddForeignKey { table, foreign_key } => DropForeignKey {
                table: table.clone(),
                foreign_key: foreign_key.clone(),
            },
            DropForeignKey { table, foreign_key } => AddForeignKey {
                table: table.clone(),
                foreign_key: foreign_key.clone(),
            },
            SetPrimaryKey { table, from, to } => SetPrimaryKey {
                table: table.clone(),
                from: to.clone(),
                to: from.clone(),
            },
            SetTableComment { table, from, to } => SetTableComment {
                table: table.clone(),
                from: to.clone(),
                to: from.clone(),
            },
        }
    }

    pub fn category(&self) -> Category {
        use Operation::*;
        match self {
            CreateEnum(_) | CreateTable(_) | AddColumn { .. } | CreateIndex { .. } => Category::Add,
            AddForeignKey { .. } => Category::Add,
            DropEnum(_) | DropTable(_) | DropColumn { .. } | DropIndex { .. } => Category::Remove,
            DropForeignKey { .. } => Category::Remove,
            AlterEnum { .. }
            | AlterColumn { .. }
            | RenameColumn { .. }
            | RenameTable { .. }
            | RenameIndex { .. }
            | UpdateRows { .. }
            | Backfill { .. }
            | SetPrimaryKey { .. }
            | SetTableComment { .. } => Category::Alter,
        }
    }

    /// One line for the terminal and for the comment above the statement in the generated file,
    /// e.g. `Alter column users.email: varchar(100) -> varchar(255)`.
    pub fn describe(&self) -> String {
        use Operation::*;
        match self {
            CreateEnum(e) => format!("Create enum {} ({})", e.name, e.values.join(", ")),
            DropEnum(e) => format!("Drop enum {}", e.name),
            AlterEnum { name, from, to, .. } => format!(
                "Alter enum {}: ({}) -> ({})",
                name,
                from.join(", "),
                to.join(", ")
            ),
            CreateTable(t) => format!("Create table {}", t.name),
            DropTable(t) => format!("Drop table {}", t.name),
            AddColumn { table, column } => format!("Add column {}.{}", table, column.name),
            DropColumn { table, column } => format!("Drop column {}.{}", table, column.name),
            AlterColumn { table, from, to } => format!(
                "Alter column {}.{}: {}",
                table,
                to.name,
                describe_column_change(from, to)
            ),
            RenameColumn { table, from, to } => {
                format!("Rename column {table}.{from} to {to}")
            }
            RenameTable { from, to } => format!("Rename table {from} to {to}"),
            UpdateRows {
                table,
                column,
                value,
                when,
                ..
            } => match when {
                RowCondition::IsNull => {
                    format!("Set {table}.{column} to {value} where it is NULL")
                }
                RowCondition::Equals(old) => {
                    format!("Set {table}.{column} to {value} where it is {old}")
                }
            },
            Backfill { table, column } => {
                format!("Backfill {table}.{column} (a data step for you to write)")
            }
            CreateIndex { table, index } => format!(
                "Create {} {} on {} ({})",
                index_kind(index),
                index.name,
                table,
                index.columns.join(", ")
            ),
            DropIndex { table, index } => format!(
                "Drop {} {} on {}",
                if index.constraint {
                    "unique constraint"
                } else {
                    "index"
                },
                index.name,
                table
            ),
            RenameIndex { table, index, to } => format!(
                "Rename {} {} on {} to {}",
                index_kind(index),
                index.name,
                table,
                to
            ),
            AddForeignKey { table, foreign_key } => format!(
                "Add foreign key {}.({}) -> {}.({})",
                table,
                foreign_key.columns.join(", "),
                foreign_key.ref_table,
                foreign_key.ref_columns.join(", ")
            ),
            DropForeignKey { table, foreign_key } => format!(
                "Drop foreign key {}.({}) -> {}.({})",
                table,
                foreign_key.columns.join(", "),
                foreign_key.ref_table,
                foreign_key.ref_columns.join(", ")
            ),
            SetPrimaryKey { table, from, to } => format!(
                "Alter primary key of {}: ({}) -> ({})",
                table,
                from.join(", "),
                to.join(", ")
            ),
            SetTableComment { table, to, .. } => match to {
                Some(_) => format!("Set comment on table {table}"),
                None => format!("Drop comment on table {table}"),
            },
        }
    }

    /// Adds `column` with `value` as its default, then drops that default (Django's
    /// `preserve_default=False`): the rows there are get the value, and the column ends as
    /// declared. For a one-off value, and for a NOT NULL column that `down` brings back.
    pub fn add_column_filled(table: String, column: Column, value: Default) -> [Operation; 2] {
        let filled = Column {
            default: Some(value),
            ..column.clone()
        };
        [
            Operation::AddColumn {
                table: table.clone(),
                column: filled.clone(),
            },
            Operation::AlterColumn {
                table,
                from: filled,
                to: column,
            },
        ]
    }

    /// A stable name of the operation's kind, for programs (`makemigrations --plan --format json`).
    pub fn kind(&self) -> &'static str {
        use Operation::*;
        match self {
            CreateEnum(_) => "create_enum",
            DropEnum(_) => "drop_enum",
            AlterEnum { .. } => "alter_enum",
            CreateTable(_) => "create_table",
            DropTable(_) => "drop_table",
            AddColumn { .. } => "add_column",
            DropColumn { .. } => "drop_column",
            AlterColumn { .. } => "alter_column",
            RenameColumn { .. } => "rename_column",
            RenameTable { .. } => "rename_table",
            UpdateRows { .. } => "update_rows",
            Backfill { .. } => "backfill",
            CreateIndex { .. } => "create_index",
            DropIndex { .. } => "drop_index",
            RenameIndex { .. } => "rename_index",
            AddForeignKey { .. } => "add_foreign_key",
            DropForeignKey { .. } => "drop_foreign_key",
            SetPrimaryKey { .. } => "set_primary_key",
            SetTableComment { .. } => "set_table_comment",
        }
    }

    /// Data steps (rows, not schema) without a reverse, left out of `down`.
    pub fn is_data_step(&self) -> bool {
        matches!(
            self,
            Operation::UpdateRows {
                reversible: false,
                ..
            } | Operation::Backfill { .. }
        )
    }

    /// The array columns this operation makes, changes or drops, as `table.column (text[])`:
    /// arrays exist only on PostgreSQL, so a file with any is marked PostgreSQL-only.
    pub fn array_columns(&self) -> Vec<String> {
        use Operation::*;
        let shown = |table: &str, column: &Column| {
            format!(
                "{table}.{} ({})",
                column.name,
                crate::literal::type_name(&column.col_type)
            )
        };
        match self {
            CreateTable(t) | DropTable(t) => t
                .columns
                .iter()
                .filter(|c| c.col_type.is_array())
                .map(|c| shown(&t.name, c))
                .collect(),
            AddColumn { table, column } | DropColumn { table, column } => column
                .col_type
                .is_array()
                .then(|| shown(table, column))
                .into_iter()
                .collect(),
            AlterColumn { table, from, to } => [to, from]
                .into_iter()
                .find(|c| c.col_type.is_array())
                .map(|c| shown(table, c))
                .into_iter()
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Why applying this operation can lose data, or `None`: marked `!` in the summary and in
    /// the file, listed by `migrate` before it runs.
    pub fn loses_data(&self) -> Option<String> {
        use Operation::*;
        match self {
            DropTable(t) => Some(format!("the rows of {} are lost", t.name)),
            DropColumn { table, column } => {
                Some(format!("the data of {table}.{} is lost", column.name))
            }
            AlterEnum { name, from, to, .. } => {
                let removed: Vec<&str> = from
                    .iter()
                    .filter(|v| !to.contains(v))
                    .map(String::as_str)
                    .collect();
                (!removed.is_empty()).then(|| {
                    format!(
                        "{name} loses {}: rows holding it make the change fail",
                        removed.join(", ")
                    )
                })
            }
            AlterColumn { table, from, to } => {
                if crate::questions::narrows(&from.col_type, &to.col_type) {
                    Some(format!(
                        "{table}.{} narrows: values that do not fit are refused or cut",
                        to.name
                    ))
                } else if from.nullable && !to.nullable {
                    Some(format!(
                        "{table}.{} becomes NOT NULL: fails while rows hold NULL",
                        to.name
                    ))
                } else {
                    None
                }
            }
            UpdateRows {
                when: RowCondition::Equals(_),
                ..
            } => Some("the old values are not kept".to_string()),
            _ => None,
        }
    }

    /// What `down` cannot bring back once this data step ran, or `None`: rows moved off a
    /// value that existed before cannot be told apart from the rows that held it already. (What
    /// the reverse of a schema operation cannot restore is said by `rollback::cannot_restore`.)
    pub fn cannot_restore(&self) -> Option<String> {
        match self {
            Operation::UpdateRows {
                table,
                column,
                when: RowCondition::Equals(old),
                reversible: false,
                ..
            } => Some(format!("which rows of {table}.{column} held {old}")),
            _ => None,
        }
    }

    /// The piece this operation contributes to a suggested migration name (Django's
    /// `migration_name_fragment`).
    pub fn name_fragment(&self) -> String {
        use Operation::*;
        match self {
            CreateEnum(e) => format!("create_enum_{}", e.name),
            DropEnum(e) => format!("delete_enum_{}", e.name),
            AlterEnum { name, .. } => format!("alter_enum_{name}"),
            CreateTable(t) => t.name.clone(),
            DropTable(t) => format!("delete_{}", t.name),
            AddColumn { table, column } => format!("add_{}_to_{}", column.name, table),
            DropColumn { table, column } => format!("remove_{}_from_{}", column.name, table),
            AlterColumn { table, to, .. } => format!("alter_{}_{}", table, to.name),
            RenameColumn { table, from, to } => format!("rename_{from}_{to}_on_{table}"),
            RenameTable { from, to } => format!("rename_{from}_{to}"),
            UpdateRows { table, column, .. } => format!("fill_{table}_{column}"),
            Backfill { table, column } => format!("backfill_{table}_{column}"),
            CreateIndex { table, index } => format!("{}_{}", table, index.columns.join("_")),
            DropIndex { table, index } => {
                format!("remove_{}_{}", table, index.columns.join("_"))
            }
            RenameIndex { table, index, to } => {
                format!("rename_{}_{}_on_{}", index.name, to, table)
            }
            AddForeignKey { table, foreign_key } => {
                format!("{}_{}_fk", table, foreign_key.columns.join("_"))
            }
            DropForeignKey { table, foreign_key } => {
                format!("remove_{}_{}_fk", table, foreign_key.columns.join("_"))
            }
            SetPrimaryKey { table, .. } => format!("alter_{table}_primary_key"),
            SetTableComment { table, .. } => format!("alter_{table}_comment"),
        }
    }
}

fn index_kind(index: &Index) -> &'static str {
    match (index.constraint, index.unique) {
        (true, _) => "unique constraint",
        (false, true) => "unique index",
        (false, false) => "index",
    }
}

/// `varchar(100) -> varchar(255), NOT NULL -> NULL, default 0 -> none`.
pub fn describe_column_change(from: &Column, to: &Column) -> String {
    let mut parts = Vec::new();
    if let Some(declared) = crate::snapshot::describe_declared_change(from, to) {
        parts.push(declared);
    } else if from.db_type != to.db_type {
        parts.push(format!(
            "{} -> {}",
            short_sql(&from.db_type),
            short_sql(&to.db_type)
        ));
    }
    if from.nullable != to.nullable {
        let word = |nullable: bool| if nullable { "NULL" } else { "NOT NULL" };
        parts.push(format!("{} -> {}", word(from.nullable), word(to.nullable)));
    }
    let from_default = from.default.as_ref().map(|d| short_sql(&d.sql));
    let to_default = to.default.as_ref().map(|d| short_sql(&d.sql));
    if from_default != to_default {
        parts.push(format!(
            "default {} -> {}",
            from_default.as_deref().unwrap_or("none"),
            to_default.as_deref().unwrap_or("none")
        ));
    }
    if from.unique != to.unique {
        parts.push(
            if to.unique {
                "add UNIQUE"
            } else {
                "drop UNIQUE"
            }
            .to_string(),
        );
    }
    if from.auto_increment != to.auto_increment {
        parts.push(
            if to.auto_increment {
                "add auto-increment"
            } else {
                "drop auto-increment"
            }
            .to_string(),
        );
    }
    if from.comment != to.comment {
        parts.push("comment".to_string());
    }
    parts.join(", ")
}

/// PostgreSQL's long spellings shortened for reading: `character varying(100)` -> `varchar(100)`,
/// `'bronze'::character varying` -> `'bronze'`.
fn short_sql(sql: &str) -> String {
    let without_cast = match sql.rfind("::") {
        Some(i) if sql.starts_with('\'') && sql[..i].ends_with('\'') => &sql[..i],
        _ => sql,
    };
    without_cast
        .replace("character varying", "varchar")
        .replace("timestamp with time zone", "timestamptz")
        .replace("timestamp without time zone", "timestamp")
}

/// Django's `suggest_name`: `initial` for the first migration, one fragment for one operation,
/// `<first>_and_more` when the name would grow too long.
pub fn suggest_name(ops: &[Operation], is_initial: bool) -> String {
    if is_initial {
        return "initial".to_string();
    }
    // A key or index dropped only to be added again, or rows moved for a change, is not what
    // the migration is about.
    let (preparatory, main): (Vec<&Operation>, Vec<&Operation>) = ops.iter().partition(|op| {
        matches!(
            op,
            Operation::DropForeignKey { .. }
                | Operation::DropIndex { .. }
                | Operation::UpdateRows { .. }
                | Operation::Backfill { .. }
        )
    });
    let fragments: Vec<String> = main
        .iter()
        .chain(&preparatory)
        .map(|op| op.name_fragment())
        .collect();
    let name = match fragments.as_slice() {
        [] => "auto".to_string(),
        [one] => one.clone(),
        _ if ops.iter().all(|op| matches!(op, Operation::CreateTable(_))) => fragments.join("_"),
        [first, ..] => format!("{first}_and_more"),
    };
    let name = sanitize_name(&name);
    if name.len() <= 52 {
        return name;
    }
    let first: String = sanitize_name(&fragments[0]).chars().take(40).collect();
    format!("{}_and_more", first.trim_end_matches('_'))
}

/// Lowercase ASCII letters, digits and single underscores: safe in a file and module name.
pub fn sanitize_name(raw: &str) -> String {
    let mut out = String::new();
    for ch in raw.chars().flat_map(char::to_lowercase) {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ColumnType, ForeignKeyAction};

    /// Two tables, `orders.user_id` pointing at `users.id`, and an enum column.
    fn schema() -> Schema {
        let mut users = Table::new("users");
        users.columns = vec![
            Column::new("id", ColumnType::Integer, "integer"),
            Column::new(
                "mood",
                ColumnType::Enum {
                    name: "mood".into(),
                    variants: vec!["ok".into()],
                },
                "mood",
            ),
        ];
        let mut orders = Table::new("orders");
        orders.columns = vec![Column::new("user_id", ColumnType::Integer, "integer")];
        orders.foreign_keys = vec![ForeignKey {
            name: None,
            columns: vec!["user_id".into()],
            ref_table: "users".into(),
            ref_columns: vec!["id".into()],
            on_delete: ForeignKeyAction::NoAction,
            on_update: ForeignKeyAction::NoAction,
            declared: crate::schema::DeclaredActions::default(),
        }];
        let mut schema = Schema::default();
        schema.tables.insert("users".into(), users);
        schema.tables.insert("orders".into(), orders);
        schema
    }

    #[test]
    fn apply_to_renames_follow_the_keys_that_point_at_them() {
        let mut s = schema();
        Operation::RenameColumn {
            table: "users".into(),
            from: "id".into(),
            to: "user_id".into(),
        }
        .apply_to(&mut s);
        Operation::RenameTable {
            from: "users".into(),
            to: "people".into(),
        }
        .apply_to(&mut s);
        let key = &s.tables["orders"].foreign_keys[0];
        assert_eq!(
            (key.ref_table.as_str(), key.ref_columns.as_slice()),
            ("people", &["user_id".to_string()][..])
        );
        assert!(s.tables["people"].column("user_id").is_some());
        // A rename onto a table that exists changes nothing.
        Operation::RenameTable {
            from: "people".into(),
            to: "orders".into(),
        }
        .apply_to(&mut s);
        assert!(s.tables.contains_key("people"));
    }

    #[test]
    fn apply_to_an_enum_change_reaches_the_columns_and_a_key_is_not_added_twice() {
        let mut s = schema();
        Operation::AlterEnum {
            name: "mood".into(),
            from: vec!["ok".into()],
            to: vec!["ok".into(), "great".into()],
            columns: vec![],
        }
        .apply_to(&mut s);
        assert_eq!(
            s.tables["users"].columns[1].col_type,
            ColumnType::Enum {
                name: "mood".into(),
                variants: vec!["ok".into(), "great".into()]
            }
        );
        let key = s.tables["orders"].foreign_keys[0].clone();
        Operation::AddForeignKey {
            table: "orders".into(),
            foreign_key: key,
        }
        .apply_to(&mut s);
        assert_eq!(s.tables["orders"].foreign_keys.len(), 1);
    }
}
