//! Integrity checks of the data against the schema: run by `migrate` after the migrations it
//! applied, and on demand by `validate`. Read-only: nothing is created or changed.
//!
//! Only what the backend can have let through is checked, so a check never repeats work the
//! database already guarantees:
//! - foreign keys that rows violate: SQLite (enforcement is off during migrations and table
//!   rebuilds), MySQL/MariaDB (`foreign_key_checks=0`), PostgreSQL constraints added `NOT VALID`;
//! - NOT NULL columns holding NULLs and unique indexes holding duplicates: SQLite and
//!   MySQL/MariaDB (rebuilds, `unique_checks=0`, hand-edited schemas);
//! - PostgreSQL: indexes left invalid (a failed `CREATE INDEX CONCURRENTLY`) and `NOT VALID`
//!   constraints (a warning when every row satisfies it: validating later is a common pattern).
//!
//! Catalog reads are one query per kind for the whole schema (decision 3); the row checks are
//! sent as batches of scalar subqueries, so 1,000 tables cost a handful of round trips.

use std::collections::{BTreeMap, BTreeSet};

use makemigrations_core::Schema;
use sea_orm::{ConnectionTrait, DbBackend, DbErr};

use crate::database::core_backend;
use crate::introspect;

/// How many offending keys a problem shows.
pub const SAMPLE: usize = 5;
/// Subqueries per round trip.
const BATCH: usize = 200;

/// Which tables to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// Only these tables (a foreign key is checked when its own table is in scope).
    Tables(BTreeSet<String>),
}

impl Scope {
    fn covers(&self, table: &str) -> bool {
        !crate::is_tool_table(table)
            && match self {
                Scope::All => true,
                Scope::Tables(tables) => tables.contains(table),
            }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Rows referencing rows that do not exist.
    ForeignKey,
    /// NULLs in a NOT NULL column.
    NotNull,
    /// Duplicates under a unique index or constraint.
    Unique,
    /// Rows that a `NOT VALID` CHECK constraint refuses (PostgreSQL).
    Check,
    /// An index PostgreSQL marked invalid; it is not used and, if unique, enforces nothing.
    InvalidIndex,
    /// A `NOT VALID` constraint that every row satisfies (a warning).
    NotValidated,
}

/// One thing found, with up to [`SAMPLE`] of the offending keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: Kind,
    pub table: String,
    /// The constraint's or index's name, or what it is where the backend keeps no name.
    pub constraint: String,
    /// Offending rows (duplicate keys for [`Kind::Unique`]); 0 where it does not apply.
    pub count: u64,
    /// Up to [`SAMPLE`] offending keys, as `column=value` lists.
    pub sample: Vec<String>,
}

impl Problem {
    /// One line for a person.
    pub fn describe(&self) -> String {
        let keys = if self.sample.is_empty() {
            String::new()
        } else {
            let more = if self.count > self.sample.len() as u64 {
                ", ..."
            } else {
                ""
            };
            format!(": {}{more}", self.sample.join("; "))
        };
        let what = match self.kind {
            Kind::ForeignKey => format!(
                "{} row(s) reference rows that do not exist (foreign key {})",
                self.count, self.constraint
            ),
            Kind::NotNull => format!(
                "{} row(s) hold NULL in NOT NULL column {}",
                self.count, self.constraint
            ),
            Kind::Unique => format!(
                "{} key(s) appear more than once under unique {}",
                self.count, self.constraint
            ),
            Kind::Check => format!(
                "{} row(s) fail NOT VALID check constraint {}",
                self.count, self.constraint
            ),
            Kind::InvalidIndex if self.count > 0 => format!(
                "index {} is invalid (not used, enforces nothing); {} key(s) appear more than once",
                self.constraint, self.count
            ),
            Kind::InvalidIndex => {
                format!("index {} is invalid (not used, enforces nothing)", self.constraint)
            }
            Kind::NotValidated => format!(
                "constraint {} is NOT VALID (every row satisfies it; `ALTER TABLE {} VALIDATE CONSTRAINT {}` makes it checked)",
                self.constraint, self.table, self.constraint
            ),
        };
        format!("{}: {what}{keys}", self.table)
    }
}

/// What `validate` found: failures (exit 8) and warnings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub failures: Vec<Problem>,
    pub warnings: Vec<Problem>,
    /// Failures that were already there before the run (see [`Report::new_since`]).
    pub preexisting: Vec<Problem>,
    /// How many tables were checked.
    pub tables: usize,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.failures.is_empty()
    }

    /// This report without the failures `before` already had (same kind, table and constraint,
    /// no more offending rows): `migrate` fails only on what its migrations let in, so one old
    /// orphan row does not stop (or, with `--restore-on-failure`, undo) every later run.
    pub fn new_since(mut self, before: &Report) -> Report {
        let (old, new): (Vec<Problem>, Vec<Problem>) = self.failures.into_iter().partition(|now| {
            before.failures.iter().any(|was| {
                was.kind == now.kind
                    && was.table == now.table
                    && was.constraint == now.constraint
                    && was.count >= now.count
            })
        });
        self.failures = new;
        self.preexisting = old;
        self
    }

    fn push(&mut self, problem: Problem) {
        match problem.kind {
            Kind::NotValidated => self.warnings.push(problem),
            _ => self.failures.push(problem),
        }
    }
}

/// Checks the current schema (PostgreSQL: the connection's schema; MySQL: its database).
pub async fn validate<C: ConnectionTrait>(conn: &C, scope: &Scope) -> Result<Report, DbErr> {
    let backend = conn.get_database_backend();
    let mut report = Report::default();
    match backend {
        DbBackend::Postgres => {
            report.tables = crate::executor::table_names(conn)
                .await?
                .iter()
                .filter(|t| scope.covers(t))
                .count();
            postgres_not_valid(conn, scope, &mut report).await?;
            postgres_invalid_indexes(conn, scope, &mut report).await?;
        }
        _ => {
            let schema_name = match backend {
                DbBackend::MySql => introspect::scalar(conn, "SELECT DATABASE()")
                    .await?
                    .unwrap_or_default(),
                _ => String::new(),
            };
            let schema = introspect::discover(conn, core_backend(backend), &schema_name).await?;
            report.tables = schema.tables.keys().filter(|t| scope.covers(t)).count();
            if backend == DbBackend::Sqlite {
                sqlite_foreign_keys(conn, scope, &mut report).await?;
            } else {
                mysql_foreign_keys(conn, &schema, scope, &mut report).await?;
            }
            nulls_and_duplicates(conn, &schema, scope, &mut report).await?;
        }
    }
    Ok(report)
}

/// A quoted identifier (or a dotted `schema.table`, each part quoted).
fn quote(backend: DbBackend, name: &str) -> String {
    match backend {
        DbBackend::MySql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

/// `column` as text, for a sample.
fn as_text(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("{column}::text"),
        DbBackend::MySql => format!("CAST({column} AS CHAR)"),
        _ => format!("CAST({column} AS TEXT)"),
    }
}

/// The counts of many `SELECT COUNT(*) ...` queries, a few round trips for all of them.
async fn counts<C: ConnectionTrait>(conn: &C, queries: &[String]) -> Result<Vec<u64>, DbErr> {
    let mut found = vec![0; queries.len()];
    for (chunk_no, chunk) in queries.chunks(BATCH).enumerate() {
        let sql = chunk
            .iter()
            .enumerate()
            .map(|(i, q)| format!("SELECT '{}' AS i, ({q}) AS n", chunk_no * BATCH + i))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        for row in introspect::query(conn, &sql, vec![]).await? {
            let i: String = row.try_get("", "i")?;
            let n: i64 = row.try_get("", "n")?;
            if let Ok(i) = i.parse::<usize>() {
                found[i] = n.max(0) as u64;
            }
        }
    }
    Ok(found)
}

/// Up to [`SAMPLE`] rows of `select` (whose columns are `labels`, as text), as `label=value`.
async fn sample<C: ConnectionTrait>(
    conn: &C,
    select: &str,
    labels: &[String],
) -> Result<Vec<String>, DbErr> {
    let sql = format!("{select} LIMIT {SAMPLE}");
    let rows = introspect::query(conn, &sql, vec![]).await?;
    rows.iter()
        .map(|row| {
            let parts: Result<Vec<String>, DbErr> = labels
                .iter()
                .enumerate()
                .map(|(i, label)| {
                    let value: Option<String> = row.try_get_by_index(i)?;
                    Ok(format!("{label}={}", value.as_deref().unwrap_or("NULL")))
                })
                .collect();
            Ok(parts?.join(", "))
        })
        .collect()
}

/// A foreign key to check with an anti-join: `child_sql`/`parent_sql` are ready for SQL.
struct ForeignKeyCheck {
    table: String,
    constraint: String,
    child_sql: String,
    parent_sql: String,
    columns: Vec<String>,
    ref_columns: Vec<String>,
}

impl ForeignKeyCheck {
    /// The rows of the child with every key column set and no parent row (MATCH SIMPLE).
    fn orphans(&self, backend: DbBackend, what: &str) -> String {
        let q = |c: &str| quote(backend, c);
        let set: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("c.{} IS NOT NULL", q(c)))
            .collect();
        let join: Vec<String> = self
            .columns
            .iter()
            .zip(&self.ref_columns)
            .map(|(c, r)| format!("p.{} = c.{}", q(r), q(c)))
            .collect();
        format!(
            "SELECT {what} FROM {} c WHERE {} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {})",
            self.child_sql,
            set.join(" AND "),
            self.parent_sql,
            join.join(" AND ")
        )
    }

    fn describe(&self) -> String {
        format!(
            "{} ({}) -> {}({})",
            self.constraint,
            self.columns.join(", "),
            self.parent_name(),
            self.ref_columns.join(", ")
        )
    }

    fn parent_name(&self) -> String {
        self.parent_sql.replace(['"', '`'], "")
    }
}

/// Counts the orphans of each key; the ones with orphans become problems with a sample.
async fn check_foreign_keys<C: ConnectionTrait>(
    conn: &C,
    checks: &[ForeignKeyCheck],
    kind: Kind,
    report: &mut Report,
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let queries: Vec<String> = checks
        .iter()
        .map(|fk| fk.orphans(backend, "COUNT(*)"))
        .collect();
    let found = counts(conn, &queries).await?;
    for (fk, count) in checks.iter().zip(found) {
        if count == 0 {
            if kind == Kind::NotValidated {
                report.push(Problem {
                    kind,
                    table: fk.table.clone(),
                    constraint: fk.constraint.clone(),
                    count: 0,
                    sample: Vec::new(),
                });
            }
            continue;
        }
        let columns: Vec<String> = fk
            .columns
            .iter()
            .map(|c| as_text(backend, &format!("c.{}", quote(backend, c))))
            .collect();
        let keys = sample(conn, &fk.orphans(backend, &columns.join(", ")), &fk.columns).await?;
        report.push(Problem {
            kind: Kind::ForeignKey,
            table: fk.table.clone(),
            constraint: fk.describe(),
            count,
            sample: keys,
        });
    }
    Ok(())
}

/// PostgreSQL: the `NOT VALID` foreign keys and CHECK constraints of the schema, one catalog
/// query; the rows each one refuses.
async fn postgres_not_valid<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    report: &mut Report,
) -> Result<(), DbErr> {
    let sql = "SELECT t.relname::text AS tbl, c.conname::text AS name, c.contype::text AS kind, \
                 c.conrelid::regclass::text AS tbl_sql, c.confrelid::regclass::text AS parent_sql, \
                 pg_get_constraintdef(c.oid) AS def, \
                 (SELECT json_agg(a.attname::text ORDER BY k.o)::text \
                    FROM unnest(c.conkey) WITH ORDINALITY AS k(n, o) \
                    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS cols, \
                 (SELECT json_agg(a.attname::text ORDER BY k.o)::text \
                    FROM unnest(c.confkey) WITH ORDINALITY AS k(n, o) \
                    JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) AS ref_cols, \
                 (SELECT json_agg(a.attname::text ORDER BY k.o)::text \
                    FROM pg_index x CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(n, o) \
                    JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n \
                    WHERE x.indrelid = c.conrelid AND x.indisprimary) AS pk \
               FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
               WHERE NOT c.convalidated AND c.contype IN ('f', 'c') \
                 AND t.relnamespace = current_schema()::regnamespace \
               ORDER BY 1, 2";
    let mut foreign_keys = Vec::new();
    for row in introspect::query(conn, sql, vec![]).await? {
        let table: String = row.try_get("", "tbl")?;
        if !scope.covers(&table) {
            continue;
        }
        let name: String = row.try_get("", "name")?;
        let table_sql: String = row.try_get("", "tbl_sql")?;
        if row.try_get::<String>("", "kind")? == "f" {
            foreign_keys.push(ForeignKeyCheck {
                table,
                constraint: name,
                child_sql: table_sql,
                parent_sql: row.try_get("", "parent_sql")?,
                columns: introspect::json_strings(row.try_get("", "cols")?)?,
                ref_columns: introspect::json_strings(row.try_get("", "ref_cols")?)?,
            });
            continue;
        }
        // `CHECK ((price > 0)) NOT VALID`: the expression between the two.
        let def: String = row.try_get("", "def")?;
        let Some(expr) = def
            .strip_prefix("CHECK ")
            .map(|d| d.trim_end_matches(" NOT VALID"))
        else {
            continue;
        };
        let pk = introspect::json_strings(row.try_get("", "pk")?)?;
        let failing = format!("FROM {table_sql} WHERE NOT {expr}");
        let count = counts(conn, &[format!("SELECT COUNT(*) {failing}")]).await?[0];
        if count == 0 {
            report.push(Problem {
                kind: Kind::NotValidated,
                table,
                constraint: name,
                count: 0,
                sample: Vec::new(),
            });
            continue;
        }
        let keys = if pk.is_empty() {
            Vec::new()
        } else {
            let columns: Vec<String> = pk
                .iter()
                .map(|c| as_text(DbBackend::Postgres, &quote(DbBackend::Postgres, c)))
                .collect();
            sample(
                conn,
                &format!("SELECT {} {failing}", columns.join(", ")),
                &pk,
            )
            .await?
        };
        report.push(Problem {
            kind: Kind::Check,
            table,
            constraint: name,
            count,
            sample: keys,
        });
    }
    check_foreign_keys(conn, &foreign_keys, Kind::NotValidated, report).await
}

/// PostgreSQL: indexes marked invalid, one catalog query; for a unique one, the duplicates that
/// keep it from being built.
async fn postgres_invalid_indexes<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    report: &mut Report,
) -> Result<(), DbErr> {
    let sql =
        "SELECT t.relname::text AS tbl, i.relname::text AS name, x.indisunique AS is_unique, \
                 x.indrelid::regclass::text AS tbl_sql, 0 = ANY (x.indkey::int2[]) AS has_expr, \
                 (SELECT json_agg(a.attname::text ORDER BY k.o)::text \
                    FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(n, o) \
                    JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n \
                    WHERE k.o <= x.indnkeyatts) AS cols \
               FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
               JOIN pg_class t ON t.oid = x.indrelid \
               WHERE NOT x.indisvalid AND t.relnamespace = current_schema()::regnamespace \
               ORDER BY 1, 2";
    for row in introspect::query(conn, sql, vec![]).await? {
        let table: String = row.try_get("", "tbl")?;
        if !scope.covers(&table) {
            continue;
        }
        let name: String = row.try_get("", "name")?;
        let columns = introspect::json_strings(row.try_get("", "cols")?)?;
        let mut problem = Problem {
            kind: Kind::InvalidIndex,
            table,
            constraint: name,
            count: 0,
            sample: Vec::new(),
        };
        if row.try_get::<bool>("", "is_unique")? && !row.try_get::<bool>("", "has_expr")? {
            let table_sql: String = row.try_get("", "tbl_sql")?;
            let (count, keys) = duplicates(conn, DbBackend::Postgres, &table_sql, &columns).await?;
            problem.count = count;
            problem.sample = keys;
        }
        report.push(problem);
    }
    Ok(())
}

/// The keys that appear more than once in `columns` of `table_sql` (NULLs never collide), and
/// a sample of them.
async fn duplicates<C: ConnectionTrait>(
    conn: &C,
    backend: DbBackend,
    table_sql: &str,
    columns: &[String],
) -> Result<(u64, Vec<String>), DbErr> {
    let groups = duplicate_groups(backend, table_sql, columns, &["1".to_string()]);
    let count = counts(conn, &[format!("SELECT COUNT(*) FROM ({groups}) d")]).await?[0];
    if count == 0 {
        return Ok((0, Vec::new()));
    }
    let texts: Vec<String> = columns
        .iter()
        .map(|c| as_text(backend, &quote(backend, c)))
        .collect();
    let keys = sample(
        conn,
        &duplicate_groups(backend, table_sql, columns, &texts),
        columns,
    )
    .await?;
    Ok((count, keys))
}

fn duplicate_groups(
    backend: DbBackend,
    table_sql: &str,
    columns: &[String],
    select: &[String],
) -> String {
    let quoted: Vec<String> = columns.iter().map(|c| quote(backend, c)).collect();
    let set: Vec<String> = quoted.iter().map(|c| format!("{c} IS NOT NULL")).collect();
    format!(
        "SELECT {} FROM {table_sql} WHERE {} GROUP BY {} HAVING COUNT(*) > 1",
        select.join(", "),
        set.join(" AND "),
        quoted.join(", ")
    )
}

/// A SQLite foreign key: its columns, the parent table and the referenced columns (none when it
/// references the parent's primary key).
type SqliteKey = (Vec<String>, String, Vec<String>);

/// SQLite: `PRAGMA foreign_key_check` finds every violating row of the database in one
/// statement; the keys' columns come from one catalog query, the sample from the rows' rowids.
async fn sqlite_foreign_keys<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    report: &mut Report,
) -> Result<(), DbErr> {
    // (table, fk id) -> how many rows violate it, and the rowids of the first few.
    let mut violations: BTreeMap<(String, i64), (u64, Vec<i64>)> = BTreeMap::new();
    for row in introspect::query(conn, "PRAGMA foreign_key_check", vec![]).await? {
        let table: String = row.try_get_by_index(0)?;
        if !scope.covers(&table) {
            continue;
        }
        let rowid: Option<i64> = row.try_get_by_index(1)?;
        let id: i64 = row.try_get_by_index(3)?;
        let entry = violations.entry((table, id)).or_default();
        entry.0 += 1;
        // A WITHOUT ROWID table gives none: its rows are counted, not shown.
        if let Some(rowid) = rowid.filter(|_| entry.1.len() < SAMPLE) {
            entry.1.push(rowid);
        }
    }
    if violations.is_empty() {
        return Ok(());
    }
    let sql = "SELECT m.name AS tbl, f.id AS id, f.\"from\" AS col, f.\"table\" AS parent, \
                 f.\"to\" AS ref_col \
               FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
               WHERE m.type = 'table' ORDER BY m.name, f.id, f.seq";
    let mut keys: BTreeMap<(String, i64), SqliteKey> = BTreeMap::new();
    for row in introspect::query(conn, sql, vec![]).await? {
        let table: String = row.try_get("", "tbl")?;
        let id: i64 = row.try_get("", "id")?;
        let entry = keys.entry((table, id)).or_default();
        entry.0.push(row.try_get("", "col")?);
        entry.1 = row.try_get("", "parent")?;
        if let Some(to) = row.try_get::<Option<String>>("", "ref_col")? {
            entry.2.push(to);
        }
    }
    for ((table, id), (count, rowids)) in violations {
        let (columns, parent, ref_columns) = keys.remove(&(table.clone(), id)).unwrap_or_default();
        let sample_keys = if rowids.is_empty() || columns.is_empty() {
            Vec::new()
        } else {
            let texts: Vec<String> = columns
                .iter()
                .map(|c| as_text(DbBackend::Sqlite, &quote(DbBackend::Sqlite, c)))
                .collect();
            let rowids: Vec<String> = rowids.iter().map(i64::to_string).collect();
            let select = format!(
                "SELECT {} FROM {} WHERE rowid IN ({}) ORDER BY rowid",
                texts.join(", "),
                quote(DbBackend::Sqlite, &table),
                rowids.join(", ")
            );
            sample(conn, &select, &columns).await?
        };
        // SQLite keeps no names: the key is named by what it is.
        let referenced = if ref_columns.is_empty() {
            parent
        } else {
            format!("{parent}({})", ref_columns.join(", "))
        };
        report.push(Problem {
            kind: Kind::ForeignKey,
            constraint: format!("({}) -> {referenced}", columns.join(", ")),
            table,
            count,
            sample: sample_keys,
        });
    }
    Ok(())
}

/// MySQL/MariaDB: each foreign key of the discovered schema, checked by an anti-join (what
/// `foreign_key_checks=0` let in), all counts in a few round trips.
async fn mysql_foreign_keys<C: ConnectionTrait>(
    conn: &C,
    schema: &Schema,
    scope: &Scope,
    report: &mut Report,
) -> Result<(), DbErr> {
    let checks: Vec<ForeignKeyCheck> = schema
        .tables
        .values()
        .filter(|t| scope.covers(&t.name))
        .flat_map(|t| {
            t.foreign_keys.iter().map(|fk| ForeignKeyCheck {
                table: t.name.clone(),
                constraint: fk.name.clone().unwrap_or_default(),
                child_sql: quote(DbBackend::MySql, &t.name),
                parent_sql: quote(DbBackend::MySql, &fk.ref_table),
                columns: fk.columns.clone(),
                ref_columns: fk.ref_columns.clone(),
            })
        })
        .collect();
    check_foreign_keys(conn, &checks, Kind::ForeignKey, report).await
}

/// SQLite and MySQL/MariaDB: NULLs in NOT NULL columns and duplicates under unique indexes,
/// counted for every table in scope in a few round trips; a sample only of what failed.
async fn nulls_and_duplicates<C: ConnectionTrait>(
    conn: &C,
    schema: &Schema,
    scope: &Scope,
    report: &mut Report,
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let q = |c: &str| quote(backend, c);
    // (table, column) for NOT NULL; (table, columns) for unique.
    let mut not_null: Vec<(&str, &str)> = Vec::new();
    let mut unique: Vec<(&str, Vec<String>)> = Vec::new();
    for table in schema.tables.values().filter(|t| scope.covers(&t.name)) {
        for column in &table.columns {
            if !column.nullable {
                not_null.push((&table.name, &column.name));
            }
        }
        let mut seen: BTreeSet<Vec<String>> = BTreeSet::new();
        let singles = table
            .columns
            .iter()
            .filter(|c| c.unique)
            .map(|c| vec![c.name.clone()]);
        let indexes = table
            .indexes
            .iter()
            .filter(|i| i.unique)
            .map(|i| i.columns.clone());
        for columns in singles.chain(indexes) {
            if columns != table.primary_key && seen.insert(columns.clone()) {
                unique.push((&table.name, columns));
            }
        }
    }
    let null_queries: Vec<String> = not_null
        .iter()
        .map(|(t, c)| format!("SELECT COUNT(*) FROM {} WHERE {} IS NULL", q(t), q(c)))
        .collect();
    let unique_queries: Vec<String> = unique
        .iter()
        .map(|(t, cols)| {
            let groups = duplicate_groups(backend, &q(t), cols, &["1".to_string()]);
            format!("SELECT COUNT(*) FROM ({groups}) d")
        })
        .collect();
    let found = counts(conn, &[null_queries, unique_queries].concat()).await?;
    let (null_counts, unique_counts) = found.split_at(not_null.len());
    for ((table, column), count) in not_null.iter().zip(null_counts) {
        if *count == 0 {
            continue;
        }
        let pk = &schema.tables[*table].primary_key;
        let keys = match (backend, pk.is_empty()) {
            (DbBackend::Sqlite, true) => {
                let select = format!(
                    "SELECT CAST(rowid AS TEXT) FROM {} WHERE {} IS NULL",
                    q(table),
                    q(column)
                );
                sample(conn, &select, &["rowid".to_string()]).await?
            }
            (_, true) => Vec::new(),
            _ => {
                let texts: Vec<String> = pk.iter().map(|c| as_text(backend, &q(c))).collect();
                let select = format!(
                    "SELECT {} FROM {} WHERE {} IS NULL",
                    texts.join(", "),
                    q(table),
                    q(column)
                );
                sample(conn, &select, pk).await?
            }
        };
        report.push(Problem {
            kind: Kind::NotNull,
            table: table.to_string(),
            constraint: column.to_string(),
            count: *count,
            sample: keys,
        });
    }
    for ((table, columns), count) in unique.iter().zip(unique_counts) {
        if *count == 0 {
            continue;
        }
        let (count, keys) = duplicates(conn, backend, &q(table), columns).await?;
        let index = schema.tables[*table]
            .indexes
            .iter()
            .find(|i| i.unique && &i.columns == columns)
            .map(|i| format!("{} ", i.name))
            .unwrap_or_default();
        report.push(Problem {
            kind: Kind::Unique,
            table: table.to_string(),
            constraint: format!("{index}({})", columns.join(", ")),
            count,
            sample: keys,
        });
    }
    Ok(())
}
