//! Operations to Rust source: a sea-orm-migration file with `up` and `down`.
//!
//! The output is what a careful person would write by hand: `SchemaManager` calls with sea-query
//! builders and the entity's own column types, one statement per operation, each under a comment
//! saying what it does. Changes that SQLite cannot make with `ALTER TABLE` go through the small
//! helpers of `makemigrations::prelude` (`alter_column`, `add_foreign_key`, ...), which pick the
//! right strategy per backend when the migration runs, so a file generated against one backend
//! applies on the others too. Output is deterministic: same operations, same text.

use std::fmt::Write;

use crate::ops::{Operation, RowCondition};
use crate::schema::{Column, ColumnType, DefaultValue, ForeignKey, ForeignKeyAction, Index, Table};

/// What a generated file is made of, besides its operations.
#[derive(Debug, Clone)]
pub struct MigrationFile<'a> {
    /// The module name, `m20261121_093000_add_phone_to_users`.
    pub name: &'a str,
    /// The `-m` message, written at the top of the file.
    pub message: Option<&'a str>,
    pub up: &'a [Operation],
    /// `None` renders the `up` operations reversed, each one reversed: the normal case.
    pub down: Option<&'a [Operation]>,
}

/// The line that marks a baseline migration; the build script looks for it (docs/guide.md,
/// "Markers in migration files").
pub const BASELINE_MARKER: &str = "//! baseline:";

/// A baseline: the tables of an adopted database as they are. Where they all exist, `migrate`
/// records it as applied without running it; `rollback` never runs its `down`, which would drop
/// the adopted tables.
pub fn render_baseline(file: &MigrationFile<'_>) -> String {
    let tables: Vec<String> = file
        .up
        .iter()
        .filter_map(|op| match op {
            Operation::CreateTable(t) => Some(format!("{:?}", t.name)),
            _ => None,
        })
        .collect();
    // The guard makes an application's own `Migrator::up` skip it where the tables exist, as
    // `migrate` does.
    let up = "    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {\n";
    let guard = format!(
        "{up}        // A baseline: where its tables exist (the adopted database) there is nothing to create.\n        \
         if baseline_tables_exist(manager, &[{}]).await? {{\n            return Ok(());\n        }}\n",
        tables.join(", ")
    );
    let source = render_migration(file).replacen(up, &guard, 1);
    let (head, rest) = source.split_once('\n').unwrap_or((&source, ""));
    format!(
        "{head}\n//!\n{BASELINE_MARKER} the tables of the database this project adopted, as they were.\n\
         //! `migrate` records it as applied where they all exist and runs it on an empty database;\n\
         //! `rollback` refuses to run its `down` (it would drop the adopted tables) unless `--fake`.\n{rest}"
    )
}

/// The line naming the migrations a new one was written after: its parents in the history's
/// graph (docs/guide.md, "Branches"). The build script reads it.
pub const AFTER_MARKER: &str = "//! after:";
/// The line holding the hash of the schema snapshot the migration leaves.
pub const STATE_MARKER: &str = "//! state:";
/// What `//! after:` says of the first migration of a history.
pub const NO_PARENT: &str = "(none)";

/// Where a new migration sits in the history.
#[derive(Debug, Clone, Copy)]
pub struct Lineage<'a> {
    /// The migrations it was written after: the head of the history, or the heads it merges;
    /// empty for the first one.
    pub after: &'a [String],
    /// The hash of the schema snapshot it leaves (`sha256:...`), when known.
    pub state: Option<&'a str>,
}

/// `source` with the lineage lines at the end of its head comment.
pub fn with_lineage(source: &str, lineage: &Lineage<'_>) -> String {
    let after = match lineage.after {
        [] => NO_PARENT.to_string(),
        parents => parents.join(", "),
    };
    let mut lines = format!("//!\n{AFTER_MARKER} {after}\n");
    if let Some(state) = lineage.state {
        let _ = writeln!(lines, "{STATE_MARKER} {state}");
    }
    // The head comment is the leading run of `//!` lines.
    let end = source
        .split_inclusive('\n')
        .take_while(|line| line.starts_with("//!"))
        .map(str::len)
        .sum::<usize>();
    format!("{}{lines}{}", &source[..end], &source[end..])
}

/// A merge migration: it joins the branches ending in `heads` (docs/guide.md, "Branches") and
/// changes nothing itself.
pub fn render_merge(name: &str, heads: &[String], state: Option<&str>) -> String {
    let listed: String = heads.iter().map(|h| format!("//! - {h}\n")).collect();
    let source = format!(
        "//! Migration `{name}`.\n//!\n\
         //! Merges the branches of the history that end in:\n//!\n{listed}//!\n\
         //! They change different tables and enum types, so they apply in either order; this\n\
         //! migration changes nothing itself and makes the history one line again.\n\n\
         use makemigrations::prelude::*;\n\n\
         #[derive(DeriveMigrationName)]\npub struct Migration;\n\n\
         #[async_trait::async_trait]\nimpl MigrationTrait for Migration {{\n    \
         async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {{\n        \
         let _ = manager;\n        Ok(())\n    }}\n\n    \
         async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {{\n        \
         let _ = manager;\n        Ok(())\n    }}\n}}\n"
    );
    with_lineage(
        &source,
        &Lineage {
            after: heads,
            state,
        },
    )
}

/// One step of `up` or `down` as it appears in the file, with its `// !` line (docs/guide.md,
/// "Markers"), which `migrate` and `rollback` read. A step without an operation is that line alone.
struct Step {
    op: Option<Operation>,
    mark: Option<Mark>,
}

enum Mark {
    /// In `up`: what the step does and what it loses, written in place of its usual line.
    LosesData(String),
    /// In `down`: what cannot come back, written under the step's usual line.
    CannotRestore(String),
}

/// The line that marks a file PostgreSQL-only, one per array column (docs/guide.md, "Markers");
/// `migrate` refuses the file on the other backends.
pub const POSTGRES_ONLY_MARK: &str = "// postgres-only:";

/// Renders the whole file. The text is valid Rust; the caller runs `rustfmt` over it.
pub fn render_migration(file: &MigrationFile<'_>) -> String {
    let up: Vec<Step> = file
        .up
        .iter()
        .map(|op| Step {
            op: Some(op.clone()),
            mark: op
                .loses_data()
                .map(|why| Mark::LosesData(format!("{}: {why}", op.describe()))),
        })
        .collect();
    let down: Vec<Step> = match file.down {
        Some(ops) => ops
            .iter()
            .map(|op| Step {
                op: Some(op.clone()),
                mark: None,
            })
            .collect(),
        None => derived_down(file.up),
    };
    let mut out = String::new();
    let _ = writeln!(out, "//! Migration `{}`.", file.name);
    if let Some(message) = file.message {
        out.push_str("//!\n");
        // A lone `\r` would end the `//!` line for rustc and leave the rest as code.
        let message = message.replace("\r\n", "\n").replace('\r', "\n");
        for line in message.lines() {
            let _ = writeln!(out, "//! {line}");
        }
    }
    out.push_str("//!\n");
    if file.up.is_empty() {
        out.push_str(
            "//! Written by makemigrations as an empty migration: fill in `up` and `down`.\n",
        );
    } else {
        out.push_str(
            "//! Generated by makemigrations from the entities. Review it before applying it;\n",
        );
        out.push_str(
            "//! it is ordinary code, so edit it as you need. Operations (`!`: can lose data):\n",
        );
        // A `text` block: as markdown, `+ ...` would open a list that the `~`/`!` lines continue,
        // which clippy's `doc_lazy_continuation` flags in the user's crate.
        out.push_str("//!\n//! ```text\n");
        for step in &up {
            if let Some(op) = &step.op {
                let _ = writeln!(
                    out,
                    "//! {} {}",
                    symbol(op, step.mark.as_ref()),
                    op.describe()
                );
            }
        }
        out.push_str("//! ```\n");
    }
    out.push('\n');
    let mut array_columns: Vec<String> = Vec::new();
    for column in file.up.iter().flat_map(Operation::array_columns) {
        if !array_columns.contains(&column) {
            array_columns.push(column);
        }
    }
    for column in &array_columns {
        let _ = writeln!(out, "{POSTGRES_ONLY_MARK} {column} is an array");
    }
    if !array_columns.is_empty() {
        out.push('\n');
    }
    out.push_str("use makemigrations::prelude::*;\n\n");
    out.push_str("#[derive(DeriveMigrationName)]\npub struct Migration;\n\n");
    out.push_str("#[async_trait::async_trait]\nimpl MigrationTrait for Migration {\n");
    render_fn(&mut out, "up", &up);
    out.push('\n');
    render_fn(&mut out, "down", &down);
    out.push_str("}\n");
    for (direction, steps) in [("up", &up), ("down", &down)] {
        if steps.len() <= PART_SIZE {
            continue;
        }
        for (i, part) in steps.chunks(PART_SIZE).enumerate() {
            let n = i + 1;
            if is_plain(part) {
                let _ = writeln!(
                    out,
                    "\n/// Part {n} of `{direction}`.\nfn {direction}_{n}(statements: &mut Statements) {{"
                );
                render_body(&mut out, part, "    ", Form::Added);
                out.push_str("}\n");
            } else {
                let _ = writeln!(
                    out,
                    "\n/// Part {n} of `{direction}`.\nasync fn {direction}_{n}(manager: &SchemaManager<'_>) -> Result<(), DbErr> {{"
                );
                render_body(&mut out, part, "    ", Form::Awaited);
                out.push_str("    Ok(())\n}\n");
            }
        }
    }
    out
}

/// `down` undoes `up` in reverse. Data steps without a reverse are left out, with a `// !` line
/// where what they changed cannot come back; a column added back NOT NULL gets a fill value for
/// the rows where one value can fit them all (see `rollback`, which looks at the whole `down`).
fn derived_down(up: &[Operation]) -> Vec<Step> {
    let reversed: Vec<Operation> = up
        .iter()
        .rev()
        .filter(|op| !op.is_data_step())
        .map(Operation::reverse)
        .collect();
    let mut reverses = reversed.iter();
    let mut steps = Vec::new();
    for op in up.iter().rev() {
        if op.is_data_step() {
            if let Some(what) = op.cannot_restore() {
                steps.push(Step {
                    op: None,
                    mark: Some(Mark::CannotRestore(format!("Cannot restore {what}"))),
                });
            }
            continue;
        }
        let reverse = reverses.next().expect("one reverse per schema step");
        for op in crate::rollback::fill_restored_column(reverse.clone(), &reversed) {
            let mark = crate::rollback::cannot_restore(&op).map(Mark::CannotRestore);
            steps.push(Step { op: Some(op), mark });
        }
    }
    steps
}

/// `!` for a step of `up` that can lose data, else the operation's category.
fn symbol(op: &Operation, mark: Option<&Mark>) -> char {
    match mark {
        Some(Mark::LosesData(_)) => '!',
        _ => op.category().symbol(),
    }
}

/// Past this many operations, `up` and `down` call numbered parts of at most this many each:
/// rustc's time and memory grow faster than linearly with the awaits in one async fn (a
/// 1,000-table initial migration in one function did not compile in 24 GB). A part whose steps
/// are all plain statements is a plain function that adds them to a `Statements`, which `up` or
/// `down` runs: no await per statement for rustc to compile, and the statements go to the
/// database together (the runtime's `runtime/statements.rs`).
const PART_SIZE: usize = 20;

/// How a step's statement is written: awaited on its own, or added to the `Statements` of a
/// part of a large migration.
#[derive(Clone, Copy, PartialEq)]
enum Form {
    Awaited,
    Added,
}

/// Every step of `part` is one plain statement (or a mark alone), and there is one at least.
fn is_plain(part: &[Step]) -> bool {
    part.iter().any(|step| step.op.is_some())
        && part.iter().all(|step| {
            step.op
                .as_ref()
                .is_none_or(|op| plain_statements(op).is_some())
        })
}

fn render_fn(out: &mut String, name: &str, ops: &[Step]) {
    let _ = writeln!(
        out,
        "    async fn {name}(&self, manager: &SchemaManager) -> Result<(), DbErr> {{"
    );
    if ops.len() > PART_SIZE {
        let parts = ops.len().div_ceil(PART_SIZE);
        let _ = writeln!(
            out,
            "        // {} operations, in {parts} parts (below).",
            ops.len()
        );
        let plain: Vec<bool> = ops.chunks(PART_SIZE).map(is_plain).collect();
        if plain.contains(&true) {
            out.push_str("        let mut statements = Statements::new();\n");
        }
        // Added statements run before the next awaited part, and at the end.
        let mut added = false;
        for (i, plain) in plain.iter().enumerate() {
            let n = i + 1;
            if *plain {
                let _ = writeln!(out, "        {name}_{n}(&mut statements);");
                added = true;
            } else {
                if added {
                    out.push_str("        statements.run(manager).await?;\n");
                    added = false;
                }
                let _ = writeln!(out, "        {name}_{n}(manager).await?;");
            }
        }
        if added {
            out.push_str("        statements.run(manager).await?;\n");
        }
    } else {
        render_body(out, ops, "        ", Form::Awaited);
        if ops.is_empty() {
            out.push_str(if name == "up" { EMPTY_UP } else { EMPTY_DOWN });
        }
    }
    out.push_str("        Ok(())\n    }\n");
}

/// The body of an empty `up`: commented examples of a data change, and `manager` used, so the
/// file compiles without warnings before it is filled in.
const EMPTY_UP: &str = r#"        // Write the schema or data changes here, e.g. with sea-query:
        // manager
        //     .exec_stmt(
        //         Query::update()
        //             .table("users")
        //             .value("phone", "unknown")
        //             .and_where(Expr::col("phone").is_null())
        //             .to_owned(),
        //     )
        //     .await?;
        // or with SQL (write it so that it runs on every backend you use):
        // manager
        //     .get_connection()
        //     .execute_unprepared("UPDATE users SET phone = 'unknown' WHERE phone IS NULL")
        //     .await?;
        let _ = manager;
"#;

/// The body of an empty `down`: undo what `up` does, or mark what it cannot undo.
const EMPTY_DOWN: &str = r#"        // Undo what `up` does, e.g.:
        // manager
        //     .exec_stmt(
        //         Query::update()
        //             .table("users")
        //             .value("phone", Expr::cust("NULL"))
        //             .and_where(Expr::col("phone").eq("unknown"))
        //             .to_owned(),
        //     )
        //     .await?;
        // manager
        //     .get_connection()
        //     .execute_unprepared("UPDATE users SET phone = NULL WHERE phone = 'unknown'")
        //     .await?;
        // A line `// ! <why>` here tells `rollback` that data cannot be restored.
        let _ = manager;
"#;

fn render_body(out: &mut String, steps: &[Step], indent: &str, form: Form) {
    for (i, step) in steps.iter().enumerate() {
        // A mark on its own belongs to the step after it: no blank line between them.
        if i > 0 && steps[i - 1].op.is_some() {
            out.push('\n');
        }
        let Some(op) = &step.op else {
            if let Some(Mark::CannotRestore(mark)) = &step.mark {
                let _ = writeln!(out, "{indent}// ! {mark}");
            }
            continue;
        };
        if let Some(Mark::LosesData(mark)) = &step.mark {
            let _ = writeln!(out, "{indent}// ! {mark}");
        } else {
            let _ = writeln!(
                out,
                "{indent}// {} {}",
                op.category().symbol(),
                op.describe()
            );
        }
        if let Some(Mark::CannotRestore(mark)) = &step.mark {
            let _ = writeln!(out, "{indent}// ! {mark}");
        }
        if let Operation::Backfill { table, column } = op {
            let _ = writeln!(
                out,
                "{indent}// Write the statements that fill {table}.{column} for the existing rows, then delete\n\
                 {indent}// the `todo_backfill` line: `migrate` refuses this migration while it is here. For example:\n\
                 {indent}// manager.exec_stmt(Query::update().table({t}).value({c}, Expr::cust(\"'...'\")).to_owned()).await?;",
                t = lit(table),
                c = lit(column),
            );
        }
        match plain_statements(op) {
            Some(statements) if form == Form::Added => {
                for statement in statements {
                    let _ = writeln!(out, "{indent}statements.add({statement});");
                }
            }
            _ => {
                for statement in render_operation(op) {
                    let _ = writeln!(out, "{indent}{statement}");
                }
            }
        }
    }
}

/// The statements of one operation, each a complete `...await?;` line (unformatted).
pub fn render_operation(op: &Operation) -> Vec<String> {
    use Operation::*;
    match op {
        CreateEnum(e) => vec![format!(
            "create_enum(manager, {}, [{}]).await?;",
            lit(&e.name),
            list(&e.values)
        )],
        DropEnum(e) => vec![format!("drop_enum(manager, {}).await?;", lit(&e.name))],
        AlterEnum {
            name,
            from,
            to,
            columns,
        } => {
            let columns: Vec<String> = columns
                .iter()
                .map(|(table, column)| format!("({}, {})", lit(table), lit(column)))
                .collect();
            vec![format!(
                "alter_enum(manager, {}, [{}], [{}], [{}]).await?;",
                lit(name),
                list(from),
                list(to),
                columns.join(", ")
            )]
        }
        CreateTable(table) => render_create_table(table),
        DropTable(table) => vec![format!(
            "manager.drop_table({}).await?;",
            drop_table_statement(&table.name)
        )],
        AddColumn { table, column } => vec![format!(
            "add_column(manager, {}, {}).await?;",
            lit(table),
            column_def(column, false)
        )],
        DropColumn { table, column } => vec![format!(
            "drop_column(manager, {}, {}).await?;",
            lit(table),
            lit(&column.name)
        )],
        AlterColumn { table, from, to } => vec![format!(
            "alter_column(manager, {}, {}, {}).await?;",
            lit(table),
            column_def(from, false),
            column_def(to, false)
        )],
        RenameColumn { table, from, to } => vec![format!(
            "manager.alter_table(Table::alter().table({}).rename_column({}, {}).to_owned()).await?;",
            lit(table),
            lit(from),
            lit(to)
        )],
        RenameTable { from, to } => vec![format!(
            "manager.rename_table(Table::rename().table({}, {}).to_owned()).await?;",
            lit(from),
            lit(to)
        )],
        UpdateRows {
            table,
            column,
            value,
            when,
            ..
        } => {
            let condition = match when {
                RowCondition::IsNull => format!("Expr::col({}).is_null()", lit(column)),
                RowCondition::Equals(old) => {
                    format!("Expr::col({}).eq(Expr::cust({}))", lit(column), lit(old))
                }
            };
            vec![format!(
                "manager.exec_stmt(Query::update().table({}).value({}, Expr::cust({})).and_where({condition}).to_owned()).await?;",
                lit(table),
                lit(column),
                lit(value)
            )]
        }
        Backfill { table, column } => vec![format!(
            "todo_backfill({}, {})?;",
            lit(table),
            lit(column)
        )],
        CreateIndex { table, index } => vec![create_index(table, index)],
        DropIndex { table, index } => vec![format!(
            "drop_index(manager, {}, {}).await?;",
            lit(table),
            lit(&index.name)
        )],
        RenameIndex { table, index, to } => vec![format!(
            "rename_index(manager, {}, {}, {}).await?;",
            lit(table),
            lit(&index.name),
            lit(to)
        )],
        AddForeignKey { table, foreign_key } => vec![format!(
            "add_foreign_key(manager, {}).await?;",
            foreign_key_create(table, foreign_key)
        )],
        DropForeignKey { table, foreign_key } => vec![format!(
            "drop_foreign_key(manager, {}).await?;",
            foreign_key_create(table, foreign_key)
        )],
        SetPrimaryKey { table, to, .. } => vec![format!(
            "set_primary_key(manager, {}, [{}]).await?;",
            lit(table),
            list(to)
        )],
        SetTableComment { table, to, .. } => vec![format!(
            "comment_on_table(manager, {}, {}).await?;",
            lit(table),
            option_lit(to.as_deref())
        )],
    }
}

/// The statements of an operation made of plain sea-query statements only
/// (`Table::create()...to_owned()`, with its indexes): a large migration adds these to a
/// `Statements`. `None` for an operation that needs a helper.
fn plain_statements(op: &Operation) -> Option<Vec<String>> {
    use Operation::*;
    match op {
        CreateTable(table)
            if table.comment.is_none() && table.columns.iter().all(|c| c.comment.is_none()) =>
        {
            let mut statements = vec![create_table_statement(table)];
            for index in &table.indexes {
                if !index.constraint {
                    statements.push(create_index_statement(&table.name, index));
                }
            }
            Some(statements)
        }
        CreateIndex { table, index } if !index.constraint => {
            Some(vec![create_index_statement(table, index)])
        }
        DropTable(table) => Some(vec![drop_table_statement(&table.name)]),
        _ => None,
    }
}

fn drop_table_statement(table: &str) -> String {
    format!("Table::drop().table({}).to_owned()", lit(table))
}

fn render_create_table(table: &Table) -> Vec<String> {
    let mut statements = vec![format!(
        "manager.create_table({}).await?;",
        create_table_statement(table)
    )];
    for index in table.indexes.iter().filter(|i| !i.constraint) {
        statements.push(create_index(&table.name, index));
    }
    // sea-query leaves comments out of PostgreSQL's CREATE TABLE; these write them there and
    // do nothing where the CREATE TABLE already did (MySQL) or comments do not exist (SQLite).
    if let Some(comment) = &table.comment {
        statements.push(format!(
            "comment_on_table(manager, {}, Some({})).await?;",
            lit(&table.name),
            lit(comment)
        ));
    }
    for column in &table.columns {
        if let Some(comment) = &column.comment {
            statements.push(format!(
                "comment_on_column(manager, {}, {}, Some({})).await?;",
                lit(&table.name),
                lit(&column.name),
                lit(comment)
            ));
        }
    }
    statements
}

/// `Table::create()...to_owned()`: the table's columns, keys, UNIQUE constraints and comment.
fn create_table_statement(table: &Table) -> String {
    let mut stmt = format!("Table::create().table({})", lit(&table.name));
    for column in &table.columns {
        let in_pk = table.is_primary_key_column(&column.name);
        let _ = write!(stmt, ".col({})", column_def(column, in_pk));
    }
    if table.has_composite_primary_key() {
        stmt.push_str(".primary_key(Index::create()");
        for column in &table.primary_key {
            let _ = write!(stmt, ".col({})", lit(column));
        }
        stmt.push(')');
    }
    // A UNIQUE constraint is written the way sea-query makes one: as an index of the table.
    for index in table.indexes.iter().filter(|i| i.constraint) {
        let _ = write!(
            stmt,
            ".index(Index::create().name({}){}.unique())",
            lit(&index.name),
            index_columns(&index.columns)
        );
    }
    for foreign_key in &table.foreign_keys {
        // `foreign_key` takes the builder itself, without `.to_owned()`.
        let key = foreign_key_create(&table.name, foreign_key);
        let _ = write!(
            stmt,
            ".foreign_key({})",
            key.trim_end_matches(".to_owned()")
        );
    }
    if let Some(comment) = &table.comment {
        let _ = write!(stmt, ".comment({})", lit(comment));
    }
    stmt.push_str(".to_owned()");
    stmt
}

fn create_index(table: &str, index: &Index) -> String {
    if index.constraint {
        return format!(
            "add_unique_constraint(manager, {}, {}, [{}]).await?;",
            lit(table),
            lit(&index.name),
            list(&index.columns)
        );
    }
    format!(
        "manager.create_index({}).await?;",
        create_index_statement(table, index)
    )
}

/// `Index::create()...to_owned()` of an index that is not a UNIQUE constraint.
fn create_index_statement(table: &str, index: &Index) -> String {
    let mut stmt = format!(
        "Index::create().name({}).table({})",
        lit(&index.name),
        lit(table)
    );
    stmt.push_str(&index_columns(&index.columns));
    if index.unique {
        stmt.push_str(".unique()");
    }
    stmt.push_str(".to_owned()");
    stmt
}

fn index_columns(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!(".col({})", lit(c)))
        .collect()
}

/// The actions are written only where declared, as SeaORM itself does: a key without one is
/// then what SeaORM would have made (MariaDB tells "RESTRICT" from "nothing declared").
fn foreign_key_create(table: &str, fk: &ForeignKey) -> String {
    let mut key = format!(
        "ForeignKey::create().name({}).from({}, {}).to({}, {})",
        lit(&fk.name_or_default(table)),
        lit(table),
        columns(&fk.columns),
        lit(&fk.ref_table),
        columns(&fk.ref_columns),
    );
    if fk.declared.on_delete {
        let _ = write!(key, ".on_delete({})", action(fk.on_delete));
    }
    if fk.declared.on_update {
        let _ = write!(key, ".on_update({})", action(fk.on_update));
    }
    key.push_str(".to_owned()");
    key
}

/// `ColumnDef::new("email").string_len(255).not_null().unique_key()`.
pub fn column_def(column: &Column, primary_key: bool) -> String {
    let mut def = match &column.col_type {
        // No builder method gives an unbounded varbinary (`Vec<u8>`'s default type).
        ColumnType::VarBinary(None) => format!(
            "ColumnDef::new_with_type({}, ColumnType::VarBinary(StringLen::None))",
            lit(&column.name)
        ),
        col_type => format!(
            "ColumnDef::new({}){}",
            lit(&column.name),
            type_call(col_type)
        ),
    };
    def.push_str(if column.nullable {
        ".null()"
    } else {
        ".not_null()"
    });
    if column.auto_increment {
        def.push_str(".auto_increment()");
    }
    if primary_key {
        def.push_str(".primary_key()");
    }
    if column.unique {
        def.push_str(".unique_key()");
    }
    if let Some(default) = &column.default {
        let _ = write!(
            def,
            ".default({})",
            default_value(&default.value, &column.col_type)
        );
    }
    if let Some(comment) = &column.comment {
        let _ = write!(def, ".comment({})", lit(comment));
    }
    def
}

/// The `ColumnDef` method that gives a column its type (`column_def` handles the one type that
/// has none).
fn type_call(col_type: &ColumnType) -> String {
    use ColumnType::*;
    match col_type {
        Char(Some(n)) => format!(".char_len({n})"),
        Char(None) => ".char()".into(),
        String(Some(n)) => format!(".string_len({n})"),
        String(None) => ".string()".into(),
        Text => ".text()".into(),
        Blob => ".blob()".into(),
        TinyInteger => ".tiny_integer()".into(),
        SmallInteger => ".small_integer()".into(),
        Integer => ".integer()".into(),
        BigInteger => ".big_integer()".into(),
        TinyUnsigned => ".tiny_unsigned()".into(),
        SmallUnsigned => ".small_unsigned()".into(),
        Unsigned => ".unsigned()".into(),
        BigUnsigned => ".big_unsigned()".into(),
        Float => ".float()".into(),
        Double => ".double()".into(),
        Decimal(Some((p, s))) => format!(".decimal_len({p}, {s})"),
        Decimal(None) => ".decimal()".into(),
        DateTime => ".date_time()".into(),
        Timestamp => ".timestamp()".into(),
        TimestampWithTimeZone => ".timestamp_with_time_zone()".into(),
        Time => ".time()".into(),
        Date => ".date()".into(),
        Binary(n) => format!(".binary_len({n})"),
        VarBinary(Some(n)) => format!(".var_binary({n})"),
        VarBinary(None) => unreachable!("column_def writes it with new_with_type"),
        Boolean => ".boolean()".into(),
        Json => ".json()".into(),
        JsonBinary => ".json_binary()".into(),
        Uuid => ".uuid()".into(),
        Enum { name, variants } => format!(".enumeration({}, [{}])", lit(name), list(variants)),
        Custom(sql) => format!(".custom({})", lit(sql)),
        Array(element) => format!(".array({})", sea_type(element)),
    }
}

/// The `sea_query::ColumnType` value of an array's element type.
fn sea_type(col_type: &ColumnType) -> String {
    use ColumnType::*;
    let len = |n: &Option<u32>| match n {
        Some(n) => format!("StringLen::N({n})"),
        None => "StringLen::None".into(),
    };
    let variant = match col_type {
        Char(n) => format!("Char({n:?})"),
        String(n) => format!("String({})", len(n)),
        VarBinary(n) => format!("VarBinary({})", len(n)),
        Decimal(p) => format!("Decimal({p:?})"),
        Binary(n) => format!("Binary({n})"),
        Array(element) => format!("Array(RcOrArc::new({}))", sea_type(element)),
        Custom(sql) => return format!("ColumnType::custom({})", lit(sql)),
        Enum { name, variants } => {
            return format!(
                "ColumnType::Enum {{ name: {}.into_iden(), variants: vec![{}] }}",
                lit(name),
                variants
                    .iter()
                    .map(|v| format!("{}.into_iden()", lit(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        other => format!("{other:?}"),
    };
    format!("ColumnType::{variant}")
}

fn default_value(value: &DefaultValue, col_type: &ColumnType) -> String {
    match value {
        DefaultValue::Bool(b) => b.to_string(),
        DefaultValue::Int(i) => int_literal(*i, col_type),
        DefaultValue::Float(f) => {
            if f.contains('.') || f.contains('e') {
                f.clone()
            } else {
                format!("{f}.0")
            }
        }
        DefaultValue::String(s) => lit(s),
        DefaultValue::CurrentTimestamp => "Expr::current_timestamp()".into(),
        DefaultValue::CurrentDate => "Expr::current_date()".into(),
        DefaultValue::CurrentTime => "Expr::current_time()".into(),
        DefaultValue::Null => "Expr::cust(\"NULL\")".into(),
        DefaultValue::Custom(sql) => format!("Expr::cust({})", lit(sql)),
    }
}

/// An unsuffixed literal is an `i32` for `.default(..)` (its bound is `Into<Expr>`), so one
/// outside that range would not compile: it takes the suffix of the column's type.
fn int_literal(i: i64, col_type: &ColumnType) -> String {
    if i32::try_from(i).is_ok() {
        return i.to_string();
    }
    let suffix = match col_type {
        ColumnType::Unsigned if u32::try_from(i).is_ok() => "u32",
        ColumnType::BigUnsigned if i >= 0 => "u64",
        _ => "i64",
    };
    format!("{i}{suffix}")
}

fn action(action: ForeignKeyAction) -> &'static str {
    match action {
        ForeignKeyAction::NoAction => "ForeignKeyAction::NoAction",
        ForeignKeyAction::Restrict => "ForeignKeyAction::Restrict",
        ForeignKeyAction::Cascade => "ForeignKeyAction::Cascade",
        ForeignKeyAction::SetNull => "ForeignKeyAction::SetNull",
        ForeignKeyAction::SetDefault => "ForeignKeyAction::SetDefault",
    }
}

/// One column as `"a"`, several as a tuple `("a", "b")`.
fn columns(names: &[String]) -> String {
    match names {
        [one] => lit(one),
        many => format!("({})", list(many)),
    }
}

fn list(items: &[String]) -> String {
    items.iter().map(|s| lit(s)).collect::<Vec<_>>().join(", ")
}

fn option_lit(value: Option<&str>) -> String {
    match value {
        Some(s) => format!("Some({})", lit(s)),
        None => "None".into(),
    }
}

/// A Rust string literal; `{:?}` escapes quotes, backslashes and control characters.
fn lit(s: &str) -> String {
    format!("{s:?}")
}
