//! Row counts for questions and data-losing operations (`users has 1,204 rows, 37 of them with
//! phone NULL`), as Prisma shows them. Only the tables a question or a drop names are counted,
//! so a thousand-table schema costs nothing extra. A count that fails (a table the database
//! cannot read) is left out: the counts inform, they never decide.

use std::collections::BTreeMap;

use makemigrations_core::questions::{Question, RowCounts, RowFilter};
use makemigrations_core::ColumnType;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::runtime::{ident, mysql_ident};

/// Counts rows, remembering what it counted.
pub struct RowCounter<'a, C> {
    db: &'a C,
    /// By the counting SQL, which names the table.
    seen: BTreeMap<String, Option<u64>>,
}

impl<'a, C: ConnectionTrait> RowCounter<'a, C> {
    pub fn new(db: &'a C) -> Self {
        RowCounter {
            db,
            seen: BTreeMap::new(),
        }
    }

    /// The counts a question asks for: all rows of its tables, and the rows its answer acts on.
    pub async fn for_question(&mut self, question: &Question) -> Option<RowCounts> {
        let mut rows = 0;
        let mut affected: Option<u64> = None;
        for (table, filter) in question.row_counts_wanted() {
            let n = self.count(&table, &filter).await?;
            match filter {
                RowFilter::All => rows += n,
                _ => affected = Some(affected.unwrap_or(0) + n),
            }
        }
        Some(RowCounts { rows, affected })
    }

    pub async fn count(&mut self, table: &str, filter: &RowFilter) -> Option<u64> {
        let backend = self.db.get_database_backend();
        let sql = count_sql(backend, table, filter)?;
        if let Some(known) = self.seen.get(&sql) {
            return *known;
        }
        let counted = self
            .db
            .query_one_raw(Statement::from_string(backend, sql.clone()))
            .await
            .ok()
            .flatten()
            .and_then(|row| row.try_get_by_index::<i64>(0).ok())
            .and_then(|n| u64::try_from(n).ok());
        self.seen.insert(sql, counted);
        counted
    }
}

/// `SELECT COUNT(*) FROM "users" WHERE "phone" IS NULL`, in the backend's quoting.
fn count_sql(backend: DbBackend, table: &str, filter: &RowFilter) -> Option<String> {
    let quote = |name: &str| match backend {
        DbBackend::MySql => mysql_ident(name),
        _ => ident(name),
    };
    let condition = match filter {
        RowFilter::All => String::new(),
        RowFilter::IsNull(column) => format!(" WHERE {} IS NULL", quote(column)),
        RowFilter::Equals(column, value) => {
            // Compared as text, so that an enum column takes any string without a cast error.
            let text = match backend {
                DbBackend::MySql => format!("CAST({} AS CHAR)", quote(column)),
                _ => format!("CAST({} AS TEXT)", quote(column)),
            };
            format!(" WHERE {text} = '{}'", value.replace('\'', "''"))
        }
        RowFilter::NotFitting(column, col_type) => {
            format!(" WHERE {}", not_fitting(backend, &quote(column), col_type)?)
        }
    };
    Some(format!("SELECT COUNT(*) FROM {}{condition}", quote(table)))
}

/// The SQL condition for a value that does not fit `col_type`, where it can be said simply.
fn not_fitting(backend: DbBackend, column: &str, col_type: &ColumnType) -> Option<String> {
    let length = match backend {
        DbBackend::Sqlite => "length",
        _ => "char_length",
    };
    match col_type {
        ColumnType::String(Some(n)) | ColumnType::Char(Some(n)) => {
            Some(format!("{length}({column}) > {n}"))
        }
        ColumnType::TinyInteger
        | ColumnType::SmallInteger
        | ColumnType::Integer
        | ColumnType::TinyUnsigned
        | ColumnType::SmallUnsigned
        | ColumnType::Unsigned => {
            let (min, max) = makemigrations_core::literal::integer_range(col_type);
            Some(format!("({column} < {min} OR {column} > {max})"))
        }
        _ => None,
    }
}
