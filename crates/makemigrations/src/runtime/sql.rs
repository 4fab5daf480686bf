//! Small pieces of SQL text: quoting, and the spelling sea-query gives a type or a default on a
//! backend (read back from a rendered statement, so it is exactly what sea-query would write).

use sea_orm::sea_query::{
    Alias, ColumnDef, ColumnType, Expr, MysqlQueryBuilder, PostgresQueryBuilder,
    SqliteQueryBuilder, Table, TableCreateStatement,
};
use sea_orm::DbBackend;

/// `"name"` with embedded quotes doubled (PostgreSQL and SQLite).
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `'text'` with embedded quotes doubled.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `` `name` `` with embedded backticks doubled (MySQL and MariaDB).
pub fn mysql_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// `'text'` for MySQL and MariaDB: their default `sql_mode` reads a backslash as an escape, so
/// backslashes are doubled as well as quotes.
pub fn mysql_literal(text: &str) -> String {
    literal(&text.replace('\\', "\\\\"))
}

pub fn create_table_sql(backend: DbBackend, stmt: &TableCreateStatement) -> String {
    match backend {
        DbBackend::Postgres => stmt.to_string(PostgresQueryBuilder),
        DbBackend::MySql => stmt.to_string(MysqlQueryBuilder),
        _ => stmt.to_string(SqliteQueryBuilder),
    }
}

/// The type as sea-query writes it for `backend`: `varchar(255)`, `timestamp with time zone`.
pub fn type_sql(backend: DbBackend, col_type: &ColumnType) -> String {
    let mut stmt = Table::create();
    stmt.table(Alias::new("t"))
        .col(ColumnDef::new_with_type(Alias::new("c"), col_type.clone()));
    let sql = create_table_sql(backend, &stmt);
    between(&sql, " c", " )")
        .or_else(|| between(&sql, "\"c\" ", " )"))
        .or_else(|| between(&sql, "`c` ", " )"))
        .unwrap_or_default()
}

/// The default expression as sea-query writes it for `backend`: `'EUR'`, `0`, `CURRENT_TIMESTAMP`.
pub fn default_sql(backend: DbBackend, expr: &Expr) -> String {
    let mut stmt = Table::create();
    stmt.table(Alias::new("t")).col(
        ColumnDef::new_with_type(Alias::new("c"), ColumnType::Integer)
            .default(expr.clone())
            .to_owned(),
    );
    let sql = create_table_sql(backend, &stmt);
    match sql.split_once(" DEFAULT ") {
        Some((_, rest)) => rest.trim_end_matches(" )").to_string(),
        None => String::new(),
    }
}

fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let to = text.rfind(end)?;
    (to >= from).then(|| text[from..to].trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_sea_query_spellings() {
        assert_eq!(
            type_sql(
                DbBackend::Postgres,
                &ColumnType::String(sea_orm::sea_query::StringLen::N(255))
            ),
            "varchar(255)"
        );
        assert_eq!(type_sql(DbBackend::Sqlite, &ColumnType::Uuid), "uuid_text");
        let short_texts = ColumnType::Array(sea_orm::sea_query::RcOrArc::new(ColumnType::String(
            sea_orm::sea_query::StringLen::N(20),
        )));
        assert_eq!(type_sql(DbBackend::Postgres, &short_texts), "varchar(20)[]");
        assert_eq!(default_sql(DbBackend::Postgres, &Expr::val("EUR")), "'EUR'");
        assert_eq!(
            default_sql(DbBackend::Sqlite, &Expr::current_timestamp()),
            "CURRENT_TIMESTAMP"
        );
    }

    #[test]
    fn quotes_for_mysql() {
        assert_eq!(mysql_ident("a`b"), "`a``b`");
        assert_eq!(mysql_literal(r"it's a\b"), r"'it''s a\\b'");
    }
}
