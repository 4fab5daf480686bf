//! The MySQL and MariaDB strategies of the helpers.
//!
//! Their DDL commits implicitly, so each change is one `ALTER TABLE` with several clauses where
//! MySQL accepts them together: it then applies entirely or not at all. Every statement goes
//! through `execute_raw`, where sea-orm's metric callback says whether it failed (the journal
//! hears `execute_unprepared` only from sqlx's log, which does not), so that a failed migration
//! can list what already ran and name the statement that failed.
//!
//! Changes that must keep the rest of a column (`alter_enum`, comments, dropping
//! `AUTO_INCREMENT`) restate the column's own line of `SHOW CREATE TABLE` with one part replaced:
//! `MODIFY COLUMN` forgets whatever it does not repeat. `alter_column` restates the column from
//! the file, and keeps what the live column carries that entities cannot declare (its own
//! collation, `ON UPDATE`), so that neither `up` nor `down` loses it.

use std::collections::BTreeMap;

use makemigrations_core::{ForeignKey, ForeignKeyAction};
use sea_orm::sea_query::backend::TableBuilder;
use sea_orm::sea_query::{Alias, ColumnDef, MysqlQueryBuilder};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement, Value};
use sea_orm_migration::SchemaManager;

use super::sql::{mysql_ident as ident, mysql_literal as literal};
use crate::introspect;

async fn alter(manager: &SchemaManager<'_>, table: &str, clauses: &[String]) -> Result<(), DbErr> {
    if clauses.is_empty() {
        return Ok(());
    }
    let sql = format!("ALTER TABLE {} {}", ident(table), clauses.join(", "));
    manager
        .get_connection()
        .execute_raw(Statement::from_string(DbBackend::MySql, sql))
        .await
        .map(|_| ())
}

async fn query(
    manager: &SchemaManager<'_>,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>, DbErr> {
    introspect::query(manager.get_connection(), sql, values).await
}

/// Changes the `columns` (table, column) typed exactly as the enum of `from` to the enum of `to`
/// (MySQL has no named enum types; PostgreSQL changes the type itself). With no columns given (a
/// hand-written call), every column of the database typed so is changed.
pub async fn alter_enum(
    manager: &SchemaManager<'_>,
    from: &[&str],
    to: &[&str],
    columns: &[(&str, &str)],
) -> Result<(), DbErr> {
    let old_type = enum_type(from);
    // Compared here rather than in SQL, where the catalog's collation ignores case.
    let rows = query(
        manager,
        "SELECT CAST(c.TABLE_NAME AS CHAR) AS table_name, CAST(c.COLUMN_NAME AS CHAR) AS column_name, \
                CAST(c.COLUMN_TYPE AS CHAR) AS column_type \
         FROM information_schema.COLUMNS c JOIN information_schema.TABLES t \
           ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME \
         WHERE c.TABLE_SCHEMA = DATABASE() AND c.DATA_TYPE = 'enum' AND t.TABLE_TYPE = 'BASE TABLE' \
         ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION",
        Vec::new(),
    )
    .await?;
    let mut users: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows {
        let table: String = row.try_get("", "table_name")?;
        let column: String = row.try_get("", "column_name")?;
        let listed = columns.is_empty() || columns.contains(&(table.as_str(), column.as_str()));
        if listed && row.try_get::<String>("", "column_type")? == old_type {
            users.entry(table).or_default().push(column);
        }
    }
    let new_type = enum_type(to);
    for (table, columns) in users {
        let create = show_create_table(manager, &table).await?;
        let clauses = columns
            .iter()
            .map(|column| {
                let mut words = words(column_definition(&create, column)?);
                words[1] = &new_type;
                Ok(format!("MODIFY COLUMN {}", words.join(" ")))
            })
            .collect::<Result<Vec<_>, DbErr>>()?;
        alter(manager, &table, &clauses).await?;
    }
    Ok(())
}

/// `enum('a','b')`, as MySQL spells a column's type in its catalog and in `SHOW CREATE TABLE`.
fn enum_type(values: &[&str]) -> String {
    let values: Vec<String> = values.iter().map(|v| literal(v)).collect();
    format!("enum({})", values.join(","))
}

/// One `MODIFY COLUMN` restating `to` entirely (with what the live column carries beyond the
/// entity, see [`with_live_attributes`]), plus adding or dropping its unique index.
pub async fn alter_column(
    manager: &SchemaManager<'_>,
    table: &str,
    from: &ColumnDef,
    to: &ColumnDef,
) -> Result<(), DbErr> {
    let column = to.get_column_name();
    let mut clauses = Vec::new();
    let definition = column_sql(to);
    if column_sql(from) != definition {
        let create = show_create_table(manager, table).await?;
        let live = column_definition(&create, &from.get_column_name())?;
        let definition = with_live_attributes(&definition, live);
        clauses.push(format!("MODIFY COLUMN {definition}"));
    }
    match (from.get_column_spec().unique, to.get_column_spec().unique) {
        (false, true) => clauses.push(format!("ADD UNIQUE ({})", ident(&column))),
        (true, false) => {
            let index = unique_index(manager, table, &column).await?;
            clauses.extend(drop_index_clauses(manager, table, &index).await?);
        }
        _ => {}
    }
    alter(manager, table, &clauses).await
}

/// The column as sea-query writes it for MySQL, without `PRIMARY KEY` and `UNIQUE`: in a
/// `MODIFY COLUMN` they would add a second primary key or another unique index.
fn column_sql(def: &ColumnDef) -> String {
    let spec = def.get_column_spec();
    let name = Alias::new(def.get_column_name());
    let mut column = match def.get_column_type() {
        Some(column_type) => ColumnDef::new_with_type(name, column_type.clone()),
        None => ColumnDef::new(name),
    };
    match spec.nullable {
        Some(true) => column.null(),
        Some(false) => column.not_null(),
        None => &mut column,
    };
    if let Some(default) = &spec.default {
        column.default(default.clone());
    }
    if spec.auto_increment {
        column.auto_increment();
    }
    if let Some(generated) = &spec.generated {
        column.generated(generated.expr.clone(), generated.stored);
    }
    if let Some(check) = &spec.check {
        column.check(check.clone());
    }
    if let Some(extra) = &spec.extra {
        column.extra(extra.clone());
    }
    if let Some(comment) = &spec.comment {
        column.comment(comment.clone());
    }
    let mut sql = String::new();
    MysqlQueryBuilder.prepare_column_def(&column, &mut sql);
    sql
}

/// `definition` (a column restated from the file) with what the `live` column line of `SHOW CREATE
/// TABLE` carries that entities cannot declare, so that `MODIFY COLUMN` changes only what the file
/// asks for and the reverse call restores the column exactly:
/// - its own `CHARACTER SET` and `COLLATE` (one that differs from the table's default), kept when
///   the new type is still a string type (other types refuse them);
/// - `ON UPDATE ..`, in the server's own spelling (`current_timestamp()` on MariaDB,
///   `CURRENT_TIMESTAMP` on MySQL 8, with any precision), kept on a `timestamp` or `datetime`.
///
/// Either is left out when `definition` states it itself (through sea-query's `extra`): then the
/// change is about it.
fn with_live_attributes(definition: &str, live: &str) -> String {
    let live = words(live);
    let is = |word: &str, keyword: &str| word.eq_ignore_ascii_case(keyword);
    let position = |words: &[&str], keywords: &[&str]| {
        words
            .windows(keywords.len())
            .position(|w| w.iter().zip(keywords).all(|(w, k)| is(w, k)))
    };
    let mut words = words(definition);
    let new_type = words
        .get(1)
        .map(|t| t.to_ascii_lowercase())
        .unwrap_or_default();
    let type_is = |names: &[&str]| {
        let name = new_type.split('(').next().unwrap_or_default();
        names.contains(&name)
    };

    let mut charset = Vec::new();
    for keywords in [&["CHARACTER", "SET"][..], &["CHARSET"], &["COLLATE"]] {
        if let Some(at) = position(&live, keywords) {
            charset.extend_from_slice(&live[at..(at + keywords.len() + 1).min(live.len())]);
        }
    }
    let states_charset = ["CHARACTER", "CHARSET", "COLLATE"]
        .iter()
        .any(|k| position(&words, &[k]).is_some());
    let string_type = type_is(&[
        "char",
        "varchar",
        "tinytext",
        "text",
        "mediumtext",
        "longtext",
        "enum",
        "set",
    ]);
    if string_type && !states_charset && words.len() >= 2 {
        words.splice(2..2, charset);
    }

    let on_update = position(&live, &["ON", "UPDATE"])
        .map(|at| &live[at..(at + 3).min(live.len())])
        .unwrap_or_default();
    let states_on_update = position(&words, &["ON", "UPDATE"]).is_some();
    if type_is(&["timestamp", "datetime"]) && !states_on_update {
        // MariaDB accepts nothing after a column's CHECK; COMMENT is kept last as sea-query writes it.
        let at = (words.iter())
            .position(|w| is(w, "COMMENT") || is(w, "CHECK"))
            .unwrap_or(words.len());
        words.splice(at..at, on_update.iter().copied());
    }
    words.join(" ")
}

/// The name of the unique index on exactly `column` of `table`.
async fn unique_index(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
) -> Result<String, DbErr> {
    let rows = query(
        manager,
        "SELECT CAST(INDEX_NAME AS CHAR) AS name FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND NON_UNIQUE = 0 \
           AND INDEX_NAME <> 'PRIMARY' \
         GROUP BY INDEX_NAME HAVING COUNT(*) = 1 AND MAX(COLUMN_NAME) = ?",
        vec![table.into(), column.into()],
    )
    .await?;
    match rows.first() {
        Some(row) => row.try_get("", "name"),
        None => Err(DbErr::Migration(format!(
            "no unique index on {table} ({column}) to drop"
        ))),
    }
}

/// The name of the foreign key of `table` with `key`'s signature.
pub async fn foreign_key_name(
    manager: &SchemaManager<'_>,
    table: &str,
    key: &ForeignKey,
) -> Result<Option<String>, DbErr> {
    let rows = query(
        manager,
        "SELECT CAST(CONSTRAINT_NAME AS CHAR) AS name, CAST(COLUMN_NAME AS CHAR) AS column_name, \
                CAST(REFERENCED_TABLE_NAME AS CHAR) AS ref_table, \
                CAST(REFERENCED_COLUMN_NAME AS CHAR) AS ref_column \
         FROM information_schema.KEY_COLUMN_USAGE \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND REFERENCED_TABLE_NAME IS NOT NULL \
         ORDER BY CONSTRAINT_NAME, ORDINAL_POSITION",
        vec![table.into()],
    )
    .await?;
    let mut keys: Vec<(String, ForeignKey)> = Vec::new();
    for row in rows {
        let name: String = row.try_get("", "name")?;
        if keys.last().is_none_or(|(last, _)| *last != name) {
            let found = ForeignKey {
                name: None,
                columns: Vec::new(),
                ref_table: row.try_get("", "ref_table")?,
                ref_columns: Vec::new(),
                on_delete: ForeignKeyAction::NoAction,
                on_update: ForeignKeyAction::NoAction,
                declared: Default::default(),
            };
            keys.push((name, found));
        }
        let (_, found) = keys.last_mut().expect("pushed");
        found.columns.push(row.try_get("", "column_name")?);
        found.ref_columns.push(row.try_get("", "ref_column")?);
    }
    Ok(keys
        .into_iter()
        .find(|(_, found)| found.signature() == key.signature())
        .map(|(name, _)| name))
}

/// Drops the foreign key `name` and, in the same statement, the index InnoDB created for it when
/// the key was added (named like the key), so that the table is as it was before the key.
pub async fn drop_foreign_key(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
) -> Result<(), DbErr> {
    let index = query(
        manager,
        "SELECT 1 AS found FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ? LIMIT 1",
        vec![table.into(), name.into()],
    )
    .await?;
    let mut clauses = vec![format!("DROP FOREIGN KEY {}", ident(name))];
    if !index.is_empty() {
        clauses.push(format!("DROP INDEX {}", ident(name)));
    }
    alter(manager, table, &clauses).await
}

/// `ADD CONSTRAINT .. UNIQUE`: MySQL makes it a unique index of that name.
pub async fn add_unique_constraint(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
    columns: &[String],
) -> Result<(), DbErr> {
    let list: Vec<String> = columns.iter().map(|c| ident(c)).collect();
    let clause = format!(
        "ADD CONSTRAINT {} UNIQUE ({})",
        ident(name),
        list.join(", ")
    );
    alter(manager, table, &[clause]).await
}

/// `RENAME INDEX` (MySQL 5.7, MariaDB 10.5.2): a unique constraint is an index here too.
pub async fn rename_index(
    manager: &SchemaManager<'_>,
    table: &str,
    from: &str,
    to: &str,
) -> Result<(), DbErr> {
    let clause = format!("RENAME INDEX {} TO {}", ident(from), ident(to));
    alter(manager, table, &[clause]).await
}

/// Drops an index. InnoDB refuses to drop the last index that serves a foreign key (error 1553),
/// so the index it would have made for that key itself (named like the key, on its columns) is
/// added in the same statement; discovery hides that index, as it hides InnoDB's own.
pub async fn drop_index(manager: &SchemaManager<'_>, table: &str, name: &str) -> Result<(), DbErr> {
    let clauses = drop_index_clauses(manager, table, name).await?;
    alter(manager, table, &clauses).await
}

/// `DROP INDEX name`, and the index of each foreign key that only this index served.
async fn drop_index_clauses(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
) -> Result<Vec<String>, DbErr> {
    let columns_by_name = |rows: Vec<QueryResult>| -> Result<BTreeMap<String, Vec<String>>, DbErr> {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for row in rows {
            map.entry(row.try_get("", "name")?)
                .or_default()
                .push(row.try_get("", "column_name")?);
        }
        Ok(map)
    };
    let indexes = columns_by_name(
        query(
            manager,
            "SELECT CAST(INDEX_NAME AS CHAR) AS name, CAST(COLUMN_NAME AS CHAR) AS column_name \
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? \
               AND COLUMN_NAME IS NOT NULL ORDER BY INDEX_NAME, SEQ_IN_INDEX",
            vec![table.into()],
        )
        .await?,
    )?;
    let keys = columns_by_name(
        query(
            manager,
            "SELECT CAST(CONSTRAINT_NAME AS CHAR) AS name, CAST(COLUMN_NAME AS CHAR) AS column_name \
             FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() \
               AND TABLE_NAME = ? AND REFERENCED_TABLE_NAME IS NOT NULL \
             ORDER BY CONSTRAINT_NAME, ORDINAL_POSITION",
            vec![table.into()],
        )
        .await?,
    )?;
    let serves = |index: &[String], key: &[String]| index.starts_with(key);
    let mut clauses = vec![format!("DROP INDEX {}", ident(name))];
    for (key, key_columns) in &keys {
        let dropped_serves = indexes
            .get(name)
            .is_some_and(|columns| serves(columns, key_columns));
        let another_serves = indexes
            .iter()
            .any(|(other, columns)| other != name && serves(columns, key_columns));
        if dropped_serves && !another_serves {
            let list: Vec<String> = key_columns.iter().map(|c| ident(c)).collect();
            clauses.push(format!("ADD INDEX {} ({})", ident(key), list.join(", ")));
        }
    }
    Ok(clauses)
}

/// Replaces the primary key in one statement. A table's `AUTO_INCREMENT` column must lead an
/// index: when it would lead neither the new key nor another index, it stops being
/// `AUTO_INCREMENT` (as on SQLite) rather than fail.
pub async fn set_primary_key(
    manager: &SchemaManager<'_>,
    table: &str,
    columns: &[String],
) -> Result<(), DbErr> {
    let rows = query(
        manager,
        "SELECT CAST(c.COLUMN_NAME AS CHAR) AS column_name, c.COLUMN_KEY = 'PRI' AS in_key, \
                c.EXTRA LIKE '%auto_increment%' AND NOT EXISTS ( \
                    SELECT 1 FROM information_schema.STATISTICS s \
                    WHERE s.TABLE_SCHEMA = c.TABLE_SCHEMA AND s.TABLE_NAME = c.TABLE_NAME \
                      AND s.COLUMN_NAME = c.COLUMN_NAME AND s.SEQ_IN_INDEX = 1 \
                      AND s.INDEX_NAME <> 'PRIMARY') AS needs_key \
         FROM information_schema.COLUMNS c WHERE c.TABLE_SCHEMA = DATABASE() AND c.TABLE_NAME = ?",
        vec![table.into()],
    )
    .await?;
    let mut clauses = Vec::new();
    let mut had_key = false;
    for row in &rows {
        let column: String = row.try_get("", "column_name")?;
        had_key |= row.try_get::<i64>("", "in_key")? == 1;
        if row.try_get::<i64>("", "needs_key")? == 1 && columns.first() != Some(&column) {
            let create = show_create_table(manager, table).await?;
            let mut words = words(column_definition(&create, &column)?);
            words.retain(|w| !w.eq_ignore_ascii_case("AUTO_INCREMENT"));
            clauses.push(format!("MODIFY COLUMN {}", words.join(" ")));
        }
    }
    if had_key {
        clauses.insert(0, "DROP PRIMARY KEY".to_string());
    }
    if !columns.is_empty() {
        let list: Vec<String> = columns.iter().map(|c| ident(c)).collect();
        clauses.push(format!("ADD PRIMARY KEY ({})", list.join(", ")));
    }
    alter(manager, table, &clauses).await
}

/// `ALTER TABLE .. COMMENT`, unless the table already has this comment (`None`: no comment).
pub async fn comment_on_table(
    manager: &SchemaManager<'_>,
    table: &str,
    comment: Option<&str>,
) -> Result<(), DbErr> {
    let rows = query(
        manager,
        "SELECT CAST(TABLE_COMMENT AS CHAR) AS comment FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?",
        vec![table.into()],
    )
    .await?;
    let wanted = comment.unwrap_or_default();
    if current_comment(&rows)? == wanted {
        return Ok(());
    }
    alter(manager, table, &[format!("COMMENT = {}", literal(wanted))]).await
}

/// Restates the column with the new comment, unless it already has it (`None`: no comment).
pub async fn comment_on_column(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    comment: Option<&str>,
) -> Result<(), DbErr> {
    let rows = query(
        manager,
        "SELECT CAST(COLUMN_COMMENT AS CHAR) AS comment FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?",
        vec![table.into(), column.into()],
    )
    .await?;
    let wanted = comment.unwrap_or_default();
    if current_comment(&rows)? == wanted {
        return Ok(());
    }
    let create = show_create_table(manager, table).await?;
    let definition = with_comment(column_definition(&create, column)?, wanted);
    alter(manager, table, &[format!("MODIFY COLUMN {definition}")]).await
}

fn current_comment(rows: &[QueryResult]) -> Result<String, DbErr> {
    match rows.first() {
        Some(row) => row.try_get("", "comment"),
        None => Err(DbErr::Migration(
            "no such table or column to comment".into(),
        )),
    }
}

async fn show_create_table(manager: &SchemaManager<'_>, table: &str) -> Result<String, DbErr> {
    let rows = query(
        manager,
        &format!("SHOW CREATE TABLE {}", ident(table)),
        Vec::new(),
    )
    .await?;
    match rows.first() {
        Some(row) => row.try_get("", "Create Table"),
        None => Err(DbErr::Migration(format!("no table {table}"))),
    }
}

/// The line of `column` in `SHOW CREATE TABLE`: `` `c` int(11) NOT NULL DEFAULT 0 ``.
fn column_definition<'a>(create: &'a str, column: &str) -> Result<&'a str, DbErr> {
    let start = format!("{} ", ident(column));
    create
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with(&start))
        .map(|line| line.strip_suffix(',').unwrap_or(line))
        .ok_or_else(|| DbErr::Migration(format!("no column {column} in {create}")))
}

/// The definition with its `COMMENT` replaced (`""`: removed). MariaDB accepts nothing after a
/// column's `CHECK`, so the comment goes before it.
fn with_comment(definition: &str, comment: &str) -> String {
    let mut words = words(definition);
    if let Some(at) = words.iter().position(|w| w.eq_ignore_ascii_case("COMMENT")) {
        words.drain(at..(at + 2).min(words.len()));
    }
    let text = literal(comment);
    if !comment.is_empty() {
        let at = (words.iter())
            .position(|w| w.eq_ignore_ascii_case("CHECK"))
            .unwrap_or(words.len());
        words.splice(at..at, ["COMMENT", text.as_str()]);
    }
    words.join(" ")
}

/// The words of a column definition, each quoted string and parenthesised group whole (in
/// `DEFAULT ' COMMENT ''x'''` no word is `COMMENT`). Quotes are doubled or backslash-escaped.
fn words(definition: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let (mut start, mut depth, mut quote) = (None, 0_i32, None);
    let mut chars = definition.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match quote {
            Some(q) if c == q => {
                if chars.next_if(|&(_, next)| next == q).is_none() {
                    quote = None;
                }
            }
            Some(q) if c == '\\' && q != '`' => {
                chars.next();
            }
            Some(_) => {}
            None if c.is_whitespace() && depth == 0 => {
                if let Some(from) = start.take() {
                    words.push(&definition[from..at]);
                }
                continue;
            }
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            },
        }
        start.get_or_insert(at);
    }
    words.extend(start.map(|from| &definition[from..]));
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_definitions_into_words() {
        assert_eq!(
            words(
                r"`a b` enum('x y','it''s','b\\c') NOT NULL DEFAULT ' COMMENT ''y''' COMMENT 'q\'s'"
            ),
            [
                "`a b`",
                r"enum('x y','it''s','b\\c')",
                "NOT",
                "NULL",
                "DEFAULT",
                "' COMMENT ''y'''",
                "COMMENT",
                r"'q\'s'",
            ]
        );
        assert_eq!(
            words("`t` timestamp NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()"),
            [
                "`t`",
                "timestamp",
                "NULL",
                "DEFAULT",
                "current_timestamp()",
                "ON",
                "UPDATE",
                "current_timestamp()"
            ]
        );
    }

    #[test]
    fn replaces_adds_and_removes_comments() {
        let line = r"`s` varchar(9) DEFAULT ' COMMENT ''y''' COMMENT 'he said ''hi'' \\ ok'";
        assert_eq!(
            with_comment(line, r"new \ 'one'"),
            r"`s` varchar(9) DEFAULT ' COMMENT ''y''' COMMENT 'new \\ ''one'''"
        );
        assert_eq!(
            with_comment(line, ""),
            r"`s` varchar(9) DEFAULT ' COMMENT ''y'''"
        );
        assert_eq!(
            with_comment("`n` int(11) DEFAULT NULL", "x"),
            "`n` int(11) DEFAULT NULL COMMENT 'x'"
        );
        assert_eq!(
            with_comment(
                "`j` longtext DEFAULT NULL COMMENT 'x' CHECK (json_valid(`j`))",
                "y"
            ),
            "`j` longtext DEFAULT NULL COMMENT 'y' CHECK (json_valid(`j`))"
        );
    }

    #[test]
    fn finds_a_column_line() {
        let create = "CREATE TABLE `t` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  \
                      `id2` int(11) DEFAULT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB";
        assert_eq!(
            column_definition(create, "id").unwrap(),
            "`id` int(11) NOT NULL AUTO_INCREMENT"
        );
        assert!(column_definition(create, "missing").is_err());
        assert_eq!(enum_type(&["a", "it's"]), "enum('a','it''s')");
    }

    #[test]
    fn keeps_what_the_live_column_carries_beyond_the_entity() {
        // MariaDB's spelling; a longer varchar keeps its own collation.
        let live = "`code` varchar(50) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL";
        assert_eq!(
            with_live_attributes("`code` varchar(100) NULL", live),
            "`code` varchar(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL"
        );
        assert_eq!(
            with_live_attributes("`code` text NOT NULL COMMENT 'c'", live),
            "`code` text CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL COMMENT 'c'"
        );
        // Types that take no collation get none.
        assert_eq!(
            with_live_attributes("`code` int NULL", live),
            "`code` int NULL"
        );
        // MySQL 8 writes COLLATE alone when the character set is the table's.
        assert_eq!(
            with_live_attributes(
                "`code` varchar(100) NULL",
                "`code` varchar(50) COLLATE utf8mb4_bin DEFAULT NULL"
            ),
            "`code` varchar(100) COLLATE utf8mb4_bin NULL"
        );
        // A definition that states a collation is about it.
        assert_eq!(
            with_live_attributes("`code` varchar(100) COLLATE utf8mb4_general_ci NULL", live),
            "`code` varchar(100) COLLATE utf8mb4_general_ci NULL"
        );
        // A column without attributes of its own is restated as it is.
        assert_eq!(
            with_live_attributes("`n` varchar(9) NULL", "`n` varchar(5) DEFAULT NULL"),
            "`n` varchar(9) NULL"
        );
        // A quoted default that merely reads like a keyword is no attribute.
        assert_eq!(
            with_live_attributes(
                "`n` varchar(9) NULL",
                "`n` varchar(5) DEFAULT 'COLLATE x ON UPDATE y'"
            ),
            "`n` varchar(9) NULL"
        );
    }

    #[test]
    fn keeps_on_update_in_the_servers_spelling() {
        let mariadb = "`u` timestamp NOT NULL DEFAULT current_timestamp() \
                       ON UPDATE current_timestamp()";
        assert_eq!(
            with_live_attributes("`u` timestamp NULL DEFAULT CURRENT_TIMESTAMP", mariadb),
            "`u` timestamp NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE current_timestamp()"
        );
        assert_eq!(
            with_live_attributes("`u` timestamp NOT NULL COMMENT 'x'", mariadb),
            "`u` timestamp NOT NULL ON UPDATE current_timestamp() COMMENT 'x'"
        );
        let mysql8 = "`u` datetime(3) DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP(3)";
        assert_eq!(
            with_live_attributes("`u` datetime(3) NOT NULL", mysql8),
            "`u` datetime(3) NOT NULL ON UPDATE CURRENT_TIMESTAMP(3)"
        );
        // Not onto a type that cannot have it, and not when the definition states its own.
        assert_eq!(
            with_live_attributes("`u` date NOT NULL", mariadb),
            "`u` date NOT NULL"
        );
        assert_eq!(
            with_live_attributes("`u` timestamp NULL ON UPDATE CURRENT_TIMESTAMP(6)", mariadb),
            "`u` timestamp NULL ON UPDATE CURRENT_TIMESTAMP(6)"
        );
    }

    #[test]
    fn writes_modify_without_keys() {
        let mut column = ColumnDef::new("id");
        column
            .integer()
            .not_null()
            .auto_increment()
            .primary_key()
            .unique_key()
            .comment("n");
        assert_eq!(
            column_sql(&column),
            "`id` int NOT NULL AUTO_INCREMENT COMMENT 'n'"
        );
    }
}
