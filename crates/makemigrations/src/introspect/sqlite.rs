//! SQLite discovery: four queries joining `sqlite_master` with the pragma table functions, for all
//! tables at once (sea-schema issues five or more per table).

use std::collections::BTreeMap;

use makemigrations_core::{
    Column, DeclaredActions, ForeignKey, ForeignKeyAction, Index, Schema, Table,
};
use sea_orm::{ConnectionTrait, DbErr};

use super::query;

mod types;
pub use types::{column_type, default_value};

/// Tables the tool reads. `sqlite_%` are SQLite's own; `_makemigrations_new_%` exist only inside
/// a table rebuild.
pub(crate) const USER_TABLES: &str =
    "m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '\\_makemigrations\\_new\\_%' ESCAPE '\\'";

/// The file of the connection's main database; `None` for an in-memory one (the backup and the
/// run lock both work on the file).
pub async fn main_file<C: ConnectionTrait>(conn: &C) -> Result<Option<std::path::PathBuf>, DbErr> {
    let rows = query(conn, "PRAGMA database_list", vec![]).await?;
    let file = rows
        .iter()
        .find(|r| r.try_get::<String>("", "name").as_deref() == Ok("main"))
        .and_then(|r| r.try_get::<String>("", "file").ok())
        .unwrap_or_default();
    Ok((!file.is_empty()).then(|| std::path::PathBuf::from(file)))
}

pub async fn discover<C: ConnectionTrait>(conn: &C) -> Result<Schema, DbErr> {
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    let mut autoincrement_tables = Vec::new();
    let mut constraint_names: BTreeMap<String, Vec<(String, Vec<String>)>> = BTreeMap::new();
    let sql = format!("SELECT m.name AS name, m.sql AS sql FROM sqlite_master m WHERE {USER_TABLES} ORDER BY m.name");
    for row in query(conn, &sql, vec![]).await? {
        let name: String = row.try_get("", "name")?;
        let create_sql: Option<String> = row.try_get("", "sql")?;
        if let Some(create_sql) = &create_sql {
            if create_sql.to_ascii_uppercase().contains("AUTOINCREMENT") {
                autoincrement_tables.push(name.clone());
            }
            constraint_names.insert(name.clone(), named_unique_constraints(create_sql));
        }
        tables.insert(name.clone(), Table::new(name));
    }

    let sql = format!(
        "SELECT m.name AS table_name, p.name AS name, p.type AS type, p.\"notnull\" AS not_null, \
         p.dflt_value AS dflt, p.pk AS pk \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE {USER_TABLES} ORDER BY m.name, p.cid"
    );
    let mut primary_keys: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for row in query(conn, &sql, vec![]).await? {
        let table_name: String = row.try_get("", "table_name")?;
        let Some(table) = tables.get_mut(&table_name) else {
            continue;
        };
        let name: String = row.try_get("", "name")?;
        let declared: String = row.try_get("", "type")?;
        let pk: i64 = row.try_get("", "pk")?;
        let mut column = Column::new(
            name.clone(),
            column_type(&declared),
            declared.to_lowercase(),
        );
        column.nullable = row.try_get::<i64>("", "not_null")? == 0;
        column.default = row
            .try_get::<Option<String>>("", "dflt")?
            .filter(|d| !is_null_default(d))
            .map(|d| default_value(&d));
        if pk > 0 {
            primary_keys
                .entry(table_name.clone())
                .or_default()
                .push((pk, name));
        }
        table.columns.push(column);
    }
    for (table_name, mut keys) in primary_keys {
        keys.sort();
        let table = tables.get_mut(&table_name).expect("read above");
        table.primary_key = keys.into_iter().map(|(_, name)| name).collect();
        // AUTOINCREMENT is only allowed on a single INTEGER PRIMARY KEY.
        if table.primary_key.len() == 1 && autoincrement_tables.contains(&table_name) {
            let key = table.primary_key[0].clone();
            if let Some(column) = table.columns.iter_mut().find(|c| c.name == key) {
                column.auto_increment = true;
            }
        }
    }

    let sql = format!(
        "SELECT m.name AS table_name, il.name AS index_name, il.\"unique\" AS is_unique, \
         il.origin AS origin, il.partial AS partial, ii.name AS column_name \
         FROM sqlite_master m JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii \
         WHERE {USER_TABLES} ORDER BY m.name, il.name, ii.seqno"
    );
    let mut indexes: BTreeMap<(String, String), (Index, String, bool)> = BTreeMap::new();
    for row in query(conn, &sql, vec![]).await? {
        let table_name: String = row.try_get("", "table_name")?;
        let index_name: String = row.try_get("", "index_name")?;
        let origin: String = row.try_get("", "origin")?;
        let partial: i64 = row.try_get("", "partial")?;
        // An expression index has a NULL column name: like partial ones, the tool cannot
        // describe it, so it leaves it out rather than ever proposing to drop it.
        let column: Option<String> = row.try_get("", "column_name")?;
        let entry = indexes
            .entry((table_name, index_name.clone()))
            .or_insert_with(|| {
                let unique = row.try_get::<i64>("", "is_unique").unwrap_or(0) == 1;
                (
                    Index {
                        name: index_name,
                        columns: Vec::new(),
                        unique,
                        constraint: origin == "u",
                    },
                    origin,
                    partial == 0,
                )
            });
        match column {
            Some(column) => entry.0.columns.push(column),
            None => entry.2 = false,
        }
    }
    for ((table_name, _), (index, origin, describable)) in indexes {
        let Some(table) = tables.get_mut(&table_name) else {
            continue;
        };
        match origin.as_str() {
            "pk" => {}
            "u" if index.columns.len() == 1 => {
                if let Some(column) = table
                    .columns
                    .iter_mut()
                    .find(|c| c.name == index.columns[0])
                {
                    column.unique = true;
                }
            }
            // SQLite names a UNIQUE constraint's index `sqlite_autoindex_<table>_<n>`; the
            // constraint's own name, where it has one, is only in the CREATE TABLE.
            "u" => {
                let named = constraint_names
                    .get(&table_name)
                    .and_then(|found| found.iter().find(|(_, c)| *c == index.columns));
                let name = named.map_or(index.name.clone(), |(name, _)| name.clone());
                table.indexes.push(Index { name, ..index });
            }
            _ if describable => table.indexes.push(index),
            _ => {}
        }
    }

    let sql = format!(
        "SELECT m.name AS table_name, f.id AS id, f.\"table\" AS ref_table, f.\"from\" AS col, \
         f.\"to\" AS ref_col, f.on_update AS on_update, f.on_delete AS on_delete \
         FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
         WHERE {USER_TABLES} ORDER BY m.name, f.id, f.seq"
    );
    let mut keys: BTreeMap<(String, i64), ForeignKey> = BTreeMap::new();
    for row in query(conn, &sql, vec![]).await? {
        let table_name: String = row.try_get("", "table_name")?;
        let id: i64 = row.try_get("", "id")?;
        let ref_table: String = row.try_get("", "ref_table")?;
        let key = keys.entry((table_name, id)).or_insert_with(|| {
            let on_update = action(&row.try_get::<String>("", "on_update").unwrap_or_default());
            let on_delete = action(&row.try_get::<String>("", "on_delete").unwrap_or_default());
            ForeignKey {
                name: None,
                columns: Vec::new(),
                ref_table: ref_table.clone(),
                ref_columns: Vec::new(),
                on_update,
                on_delete,
                declared: DeclaredActions::unless_no_action(on_delete, on_update),
            }
        });
        key.columns.push(row.try_get("", "col")?);
        // `REFERENCES t` without columns means t's primary key.
        let ref_col: Option<String> = row.try_get("", "ref_col")?;
        let ref_col = ref_col.or_else(|| {
            let pk = &tables.get(&ref_table)?.primary_key;
            pk.get(key.ref_columns.len()).cloned()
        });
        key.ref_columns.push(ref_col.unwrap_or_default());
    }
    for ((table_name, _), key) in keys {
        if let Some(table) = tables.get_mut(&table_name) {
            table.foreign_keys.push(key);
        }
    }

    for table in tables.values_mut() {
        table.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        table
            .foreign_keys
            .sort_by(|a, b| a.signature().cmp(&b.signature()));
    }
    Ok(Schema {
        tables,
        enums: BTreeMap::new(),
    })
}

/// `DEFAULT NULL` (or `DEFAULT (NULL)`) is what a column without a default does anyway: read on
/// both sides as no default, so that it never costs a table rebuild.
fn is_null_default(sql: &str) -> bool {
    let mut text = sql.trim();
    while let Some(inner) = text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        text = inner.trim();
    }
    text.eq_ignore_ascii_case("NULL")
}

fn action(text: &str) -> ForeignKeyAction {
    match text.to_ascii_uppercase().as_str() {
        "RESTRICT" => ForeignKeyAction::Restrict,
        "CASCADE" => ForeignKeyAction::Cascade,
        "SET NULL" => ForeignKeyAction::SetNull,
        "SET DEFAULT" => ForeignKeyAction::SetDefault,
        _ => ForeignKeyAction::NoAction,
    }
}

/// The `CONSTRAINT <name> UNIQUE (<columns>)` clauses of a `CREATE TABLE` statement.
pub(crate) fn named_unique_constraints(create_sql: &str) -> Vec<(String, Vec<String>)> {
    let tokens = tokens(create_sql);
    let mut found = Vec::new();
    let word = |t: &(String, bool), w: &str| !t.1 && t.0.eq_ignore_ascii_case(w);
    for i in 0..tokens.len() {
        if !word(&tokens[i], "CONSTRAINT")
            || !tokens.get(i + 2).is_some_and(|t| word(t, "UNIQUE"))
            || !tokens.get(i + 3).is_some_and(|t| word(t, "("))
        {
            continue;
        }
        let mut columns = Vec::new();
        for t in &tokens[i + 4..] {
            match t.0.as_str() {
                ")" if !t.1 => break,
                "," if !t.1 => {}
                _ => columns.push(t.0.clone()),
            }
        }
        found.push((tokens[i + 1].0.clone(), columns));
    }
    found
}

/// SQL split into words and punctuation; quoted identifiers unquoted (flagged `true`), string
/// literals skipped.
pub(crate) fn tokens(sql: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '`' | '[' | '\'' => {
                let close = if c == '[' { ']' } else { c };
                let mut text = String::new();
                while let Some(n) = chars.next() {
                    if n == close {
                        // A doubled quote stands for itself.
                        if close != ']' && chars.peek() == Some(&close) {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    text.push(n);
                }
                if c != '\'' {
                    out.push((text, true));
                }
            }
            '(' | ')' | ',' => out.push((c.to_string(), false)),
            c if c.is_whitespace() => {}
            c => {
                let mut text = c.to_string();
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || "()\",`[".contains(n) {
                        break;
                    }
                    text.push(n);
                    chars.next();
                }
                out.push((text, false));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_null_default_is_no_default() {
        for sql in ["NULL", "null", " (NULL) ", "((null))"] {
            assert!(super::is_null_default(sql), "{sql}");
        }
        for sql in ["'NULL'", "0", "CURRENT_TIMESTAMP"] {
            assert!(!super::is_null_default(sql), "{sql}");
        }
    }

    #[test]
    fn named_unique_constraints_are_read_from_create_table() {
        let sql = r#"CREATE TABLE "t" ( "id" integer NOT NULL PRIMARY KEY, "a" text DEFAULT 'x,y', "b" int, CONSTRAINT "uq_x" UNIQUE ("a", "b"), UNIQUE (b, id), constraint [u 2] unique (`b`) )"#;
        assert_eq!(
            super::named_unique_constraints(sql),
            [
                ("uq_x".to_string(), vec!["a".to_string(), "b".to_string()]),
                ("u 2".to_string(), vec!["b".to_string()]),
            ]
        );
    }
}
