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
//! Catalog reads are one query per kind (decision 3), limited to the tables in scope; the row
//! checks are sent as batches of scalar subqueries, so 1,000 tables cost a handful of round trips.
//!
//! `migrate` checks only what its migrations can have broken ([`RunValidation`]): the tables
//! their code names ([`reach`], from the build script's facts) and the tables whose foreign keys
//! point at those ([`scope_for`]); every table when it cannot tell.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ConnectionTrait, DbBackend, DbErr};

use crate::introspect;
use crate::MigrationFacts;

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
    /// Both scopes' tables.
    pub fn union(self, other: Scope) -> Scope {
        match (self, other) {
            (Scope::Tables(mut a), Scope::Tables(b)) => {
                a.extend(b);
                Scope::Tables(a)
            }
            _ => Scope::All,
        }
    }

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

/// What the migrations of a run can touch, known before they run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// The tables named (in any case) by one of these names, lowercased: every string literal
    /// of the migrations' code and every word in one (`MigrationFacts::names_in_code`).
    Names(BTreeSet<String>),
    /// Any table: this migration's code can reach a table in a way the build script cannot
    /// see (raw SQL, the project's own functions or constants), or it has no facts.
    Any { migration: String },
}

impl Reach {
    /// Why every table is validated, for a line of output; `None` when not.
    pub fn why_every_table(&self) -> Option<String> {
        match self {
            Reach::Names(_) => None,
            Reach::Any { migration } => Some(format!(
                "{migration} runs code whose tables cannot be read from its file (raw SQL, its own functions or constants)"
            )),
        }
    }
}

/// What the migrations `migrations` (module names) can touch, from the build script's facts.
pub fn reach(facts: &[MigrationFacts], migrations: &[&str]) -> Reach {
    let mut names = BTreeSet::new();
    for migration in migrations {
        let known = facts
            .iter()
            .find(|f| f.name == *migration)
            .and_then(|f| f.names_in_code);
        match known {
            Some(known) => names.extend(known.iter().map(|n| n.to_lowercase())),
            None => {
                return Reach::Any {
                    migration: migration.to_string(),
                }
            }
        }
    }
    Reach::Names(names)
}

/// The relations of the current schema, as [`scope_for`] needs them.
#[derive(Debug, Default)]
struct Relations {
    tables: Vec<String>,
    /// Relations a write to which reaches other tables, lowercased: views, tables with triggers
    /// (PostgreSQL: also rules, partitions and inheritance children).
    reach_further: BTreeSet<String>,
    /// (child, parent) of each foreign key.
    foreign_keys: Vec<(String, String)>,
}

/// The relations of the schema, and its foreign keys (child, parent): [`scope_for`] keeps the
/// ones `names` can name. Every backend reads them all and matches here. PostgreSQL filtered by
/// the names on the server once (a semi-join with the names' JSON): right after a migration made
/// 1,000 tables, the catalog's statistics still say it is nearly empty, the planner joined by
/// nested loops, and each query took 0.2 to 0.65 s; read whole, 4 to 5 ms.
async fn relations<C: ConnectionTrait>(conn: &C) -> Result<Relations, DbErr> {
    let (relations_sql, foreign_keys_sql) = match conn.get_database_backend() {
        DbBackend::Postgres => (
            "SELECT c.relname::text AS name, \
               (c.relkind <> 'r' OR c.relhassubclass OR c.relhasrules \
                OR EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal)) \
               AS further \
             FROM pg_class c \
             WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
            "SELECT ch.relname::text AS child, pa.relname::text AS parent \
             FROM pg_constraint k, pg_class ch, pg_class pa \
             WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace \
               AND ch.oid = k.conrelid AND pa.oid = k.confrelid",
        ),
        DbBackend::MySql => (
            "SELECT CAST(TABLE_NAME AS CHAR) AS name, CAST(TABLE_TYPE <> 'BASE TABLE' AS SIGNED) AS further \
             FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
             UNION ALL SELECT CAST(EVENT_OBJECT_TABLE AS CHAR), CAST(1 AS SIGNED) \
             FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()",
            "SELECT CAST(TABLE_NAME AS CHAR) AS child, CAST(REFERENCED_TABLE_NAME AS CHAR) AS parent \
             FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()",
        ),
        _ => (
            "SELECT CASE type WHEN 'trigger' THEN tbl_name ELSE name END AS name, \
               type <> 'table' AS further \
             FROM sqlite_master WHERE type IN ('table', 'view', 'trigger')",
            "SELECT m.name AS child, f.\"table\" AS parent \
             FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'",
        ),
    };
    let mut relations = Relations::default();
    for row in introspect::query(conn, relations_sql, vec![]).await? {
        let name: String = row.try_get("", "name")?;
        let further = match conn.get_database_backend() {
            DbBackend::Postgres => row.try_get::<bool>("", "further")?,
            _ => row.try_get::<i64>("", "further")? != 0,
        };
        if further {
            relations.reach_further.insert(name.to_lowercase());
        } else {
            relations.tables.push(name);
        }
    }
    for row in introspect::query(conn, foreign_keys_sql, vec![]).await? {
        relations
            .foreign_keys
            .push((row.try_get("", "child")?, row.try_get("", "parent")?));
    }
    Ok(relations)
}

/// The tables to validate for `reach`: the tables it names, and the tables whose foreign keys
/// point at one of those (a parent's rows deleted or rewritten while checks were off breaks the
/// child's rows; a foreign key is checked on its own table, so a named child's keys to its
/// parents are covered already). Every table when a name is a view, or a named table has a
/// trigger (PostgreSQL: also a rule, partitions or inheritance children): a write there reaches
/// tables no name says. Names match in any case, as SQLite and MySQL match table names.
pub async fn scope_for<C: ConnectionTrait>(conn: &C, reach: &Reach) -> Result<Scope, DbErr> {
    let Reach::Names(names) = reach else {
        return Ok(Scope::All);
    };
    let relations = relations(conn).await?;
    if relations.reach_further.iter().any(|r| names.contains(r)) {
        return Ok(Scope::All);
    }
    let named = |table: &String| names.contains(&table.to_lowercase());
    let mut tables: BTreeSet<String> = relations.tables.into_iter().filter(named).collect();
    tables.extend(
        relations
            .foreign_keys
            .into_iter()
            .filter(|(_, parent)| named(parent))
            .map(|(child, _)| child),
    );
    Ok(Scope::Tables(tables))
}

/// The validation of one `migrate` run, in two passes over the same tables: [`RunValidation::start`]
/// before the first migration runs (what is broken already is not the run's failure), and
/// [`RunValidation::finish`] after the last.
#[derive(Debug)]
pub struct RunValidation {
    reach: Reach,
    scope: Scope,
    before: Report,
}

impl RunValidation {
    /// The first pass, over what `reach` can touch.
    pub async fn start<C: ConnectionTrait>(conn: &C, reach: Reach) -> Result<Self, DbErr> {
        let scope = scope_for(conn, &reach).await?;
        let before = validate(conn, &scope).await?;
        Ok(RunValidation {
            reach,
            scope,
            before,
        })
    }

    /// The tables the first pass checked.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    pub fn reach(&self) -> &Reach {
        &self.reach
    }

    /// What the first pass found.
    pub fn before(&self) -> &Report {
        &self.before
    }

    /// The second pass: the same tables, and any the run gave a foreign key to a named table;
    /// failures the first pass already had are moved to `preexisting` ([`Report::new_since`]).
    pub async fn finish<C: ConnectionTrait>(self, conn: &C) -> Result<Report, DbErr> {
        let scope = scope_for(conn, &self.reach).await?.union(self.scope);
        Ok(validate(conn, &scope).await?.new_since(&self.before))
    }
}

/// Checks the current schema (PostgreSQL: the connection's schema; MySQL: its database).
pub async fn validate<C: ConnectionTrait>(conn: &C, scope: &Scope) -> Result<Report, DbErr> {
    let backend = conn.get_database_backend();
    let mut report = Report::default();
    let tables: Vec<String> = crate::executor::table_names(conn)
        .await?
        .into_iter()
        .filter(|t| scope.covers(t))
        .collect();
    report.tables = tables.len();
    match backend {
        DbBackend::Postgres => {
            postgres_not_valid(conn, scope, &mut report).await?;
            postgres_invalid_indexes(conn, scope, &mut report).await?;
        }
        _ if tables.is_empty() => {}
        _ => {
            let catalog = read_catalog(conn, scope, &tables).await?;
            if backend == DbBackend::Sqlite {
                sqlite_foreign_keys(conn, scope, &tables, &mut report).await?;
            } else {
                mysql_foreign_keys(conn, &catalog, &mut report).await?;
            }
            nulls_and_duplicates(conn, &catalog, &mut report).await?;
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

/// A foreign key: its columns, the parent table and the referenced columns (SQLite: none when it
/// references the parent's primary key).
type KeyParts = (Vec<String>, String, Vec<String>);

/// Above this many tables one `PRAGMA foreign_key_check` of the whole database is cheaper than
/// one per table.
const SQLITE_CHECK_PER_TABLE: usize = 50;

/// SQLite: `PRAGMA foreign_key_check` finds the violating rows (of the whole database in one
/// statement, or of each table in scope); the keys' columns come from one catalog query, the
/// sample from the rows' rowids.
async fn sqlite_foreign_keys<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    tables: &[String],
    report: &mut Report,
) -> Result<(), DbErr> {
    let mut found = Vec::new();
    if matches!(scope, Scope::Tables(_)) && tables.len() <= SQLITE_CHECK_PER_TABLE {
        for table in tables {
            let sql = format!(
                "PRAGMA foreign_key_check({})",
                quote(DbBackend::Sqlite, table)
            );
            found.extend(introspect::query(conn, &sql, vec![]).await?);
        }
    } else {
        found = introspect::query(conn, "PRAGMA foreign_key_check", vec![]).await?;
    }
    // (table, fk id) -> how many rows violate it, and the rowids of the first few.
    let mut violations: BTreeMap<(String, i64), (u64, Vec<i64>)> = BTreeMap::new();
    for row in found {
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
    let mut keys: BTreeMap<(String, i64), KeyParts> = BTreeMap::new();
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

/// What the row checks of SQLite and MySQL/MariaDB need to know of one table.
#[derive(Debug, Default)]
struct TableFacts {
    not_null: Vec<String>,
    primary_key: Vec<String>,
    /// Unique indexes on plain columns (prefix, expression and partial ones cannot be checked by
    /// grouping on their columns): their label and columns.
    unique: Vec<(String, Vec<String>)>,
    /// MySQL/MariaDB: (name, columns, parent table, referenced columns).
    foreign_keys: Vec<(String, Vec<String>, String, Vec<String>)>,
}

/// `AND <column> IN (?, ...)` and its values, when the scope names tables; nothing for all.
fn in_scope(column: &str, scope: &Scope, tables: &[String]) -> (String, Vec<sea_orm::Value>) {
    match scope {
        Scope::All => (String::new(), Vec::new()),
        Scope::Tables(_) => (
            format!(" AND {column} IN ({})", vec!["?"; tables.len()].join(", ")),
            tables.iter().map(|t| t.clone().into()).collect(),
        ),
    }
}

/// SQLite and MySQL/MariaDB: the NOT NULL columns, keys and unique indexes of the tables in
/// scope, one catalog query per kind (only the tables in scope are read when it names them:
/// MariaDB opens each table its `information_schema` answers for).
async fn read_catalog<C: ConnectionTrait>(
    conn: &C,
    scope: &Scope,
    tables: &[String],
) -> Result<BTreeMap<String, TableFacts>, DbErr> {
    let mut catalog: BTreeMap<String, TableFacts> = tables
        .iter()
        .map(|t| (t.clone(), TableFacts::default()))
        .collect();
    let sqlite = conn.get_database_backend() == DbBackend::Sqlite;
    let (filter, values) = in_scope(if sqlite { "m.name" } else { "TABLE_NAME" }, scope, tables);
    let (columns_sql, indexes_sql) = if sqlite {
        (
            format!(
                "SELECT m.name AS tbl, p.name AS col, p.\"notnull\" AS not_null, p.pk AS pk \
                 FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table'{filter} ORDER BY m.name, p.pk, p.cid"
            ),
            // `origin` 'pk' is the primary key's own index.
            format!(
                "SELECT m.name AS tbl, il.name AS idx, ii.name AS col, \
                   il.partial = 0 AND il.origin <> 'pk' AS plain, 0 AS prefix \
                 FROM sqlite_master m, pragma_index_list(m.name) il, pragma_index_info(il.name) ii \
                 WHERE m.type = 'table' AND il.\"unique\" = 1{filter} \
                 ORDER BY m.name, il.name, ii.seqno"
            ),
        )
    } else {
        (
            format!(
                "SELECT CAST(TABLE_NAME AS CHAR) AS tbl, CAST(COLUMN_NAME AS CHAR) AS col, \
                   CAST(1 AS SIGNED) AS not_null, CAST(0 AS SIGNED) AS pk \
                 FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = DATABASE() AND IS_NULLABLE = 'NO'{filter}"
            ),
            format!(
                "SELECT CAST(TABLE_NAME AS CHAR) AS tbl, CAST(INDEX_NAME AS CHAR) AS idx, \
                   CAST(COLUMN_NAME AS CHAR) AS col, \
                   CAST(INDEX_TYPE NOT IN ('FULLTEXT', 'SPATIAL') AS SIGNED) AS plain, \
                   CAST(SUB_PART IS NOT NULL AS SIGNED) AS prefix \
                 FROM information_schema.STATISTICS \
                 WHERE TABLE_SCHEMA = DATABASE() AND NON_UNIQUE = 0{filter} \
                 ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
            ),
        )
    };
    for row in introspect::query(conn, &columns_sql, values.clone()).await? {
        let table: String = row.try_get("", "tbl")?;
        let Some(facts) = catalog.get_mut(&table) else {
            continue;
        };
        let column: String = row.try_get("", "col")?;
        if row.try_get::<i64>("", "pk")? > 0 {
            facts.primary_key.push(column.clone());
        }
        if row.try_get::<i64>("", "not_null")? != 0 {
            facts.not_null.push(column);
        }
    }
    // (table, index) -> columns; `None` once a part cannot be grouped on.
    let mut indexes: BTreeMap<(String, String), Option<Vec<String>>> = BTreeMap::new();
    for row in introspect::query(conn, &indexes_sql, values.clone()).await? {
        let table: String = row.try_get("", "tbl")?;
        let name: String = row.try_get("", "idx")?;
        let column: Option<String> = row.try_get("", "col")?;
        let plain = row.try_get::<i64>("", "plain")? != 0 && row.try_get::<i64>("", "prefix")? == 0;
        let entry = indexes.entry((table, name)).or_insert(Some(Vec::new()));
        match (entry.as_mut(), column) {
            (Some(columns), Some(column)) if plain => columns.push(column),
            _ => *entry = None,
        }
    }
    for ((table, name), columns) in indexes {
        let (Some(facts), Some(columns)) = (catalog.get_mut(&table), columns) else {
            continue;
        };
        if name == "PRIMARY" {
            facts.primary_key = columns;
            continue;
        }
        // An inline UNIQUE column: SQLite's index has no name of the user's, MySQL's is the
        // column's.
        let label = if name.starts_with("sqlite_autoindex_") || columns == [name.as_str()] {
            format!("({})", columns.join(", "))
        } else {
            format!("{name} ({})", columns.join(", "))
        };
        facts.unique.push((label, columns));
    }
    if !sqlite {
        let sql = format!(
            "SELECT CAST(TABLE_NAME AS CHAR) AS tbl, CAST(CONSTRAINT_NAME AS CHAR) AS name, \
               CAST(COLUMN_NAME AS CHAR) AS col, CAST(REFERENCED_TABLE_NAME AS CHAR) AS parent, \
               CAST(REFERENCED_COLUMN_NAME AS CHAR) AS ref_col \
             FROM information_schema.KEY_COLUMN_USAGE \
             WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL{filter} \
             ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION"
        );
        let mut keys: BTreeMap<(String, String), KeyParts> = BTreeMap::new();
        for row in introspect::query(conn, &sql, values).await? {
            let table: String = row.try_get("", "tbl")?;
            let name: String = row.try_get("", "name")?;
            let key = keys.entry((table, name)).or_default();
            key.0.push(row.try_get("", "col")?);
            key.1 = row.try_get("", "parent")?;
            key.2.push(row.try_get("", "ref_col")?);
        }
        for ((table, name), (columns, parent, ref_columns)) in keys {
            if let Some(facts) = catalog.get_mut(&table) {
                facts
                    .foreign_keys
                    .push((name, columns, parent, ref_columns));
            }
        }
    }
    Ok(catalog)
}

/// MySQL/MariaDB: each foreign key of the tables in scope, checked by an anti-join (what
/// `foreign_key_checks=0` let in), all counts in a few round trips.
async fn mysql_foreign_keys<C: ConnectionTrait>(
    conn: &C,
    catalog: &BTreeMap<String, TableFacts>,
    report: &mut Report,
) -> Result<(), DbErr> {
    let checks: Vec<ForeignKeyCheck> = catalog
        .iter()
        .flat_map(|(table, facts)| {
            facts
                .foreign_keys
                .iter()
                .map(|(name, columns, parent, ref_columns)| ForeignKeyCheck {
                    table: table.clone(),
                    constraint: name.clone(),
                    child_sql: quote(DbBackend::MySql, table),
                    parent_sql: quote(DbBackend::MySql, parent),
                    columns: columns.clone(),
                    ref_columns: ref_columns.clone(),
                })
        })
        .collect();
    check_foreign_keys(conn, &checks, Kind::ForeignKey, report).await
}

/// SQLite and MySQL/MariaDB: NULLs in NOT NULL columns and duplicates under unique indexes,
/// counted for every table in scope in a few round trips (one count per table for its NOT NULL
/// columns, then one per column only where that count is not 0); a sample only of what failed.
async fn nulls_and_duplicates<C: ConnectionTrait>(
    conn: &C,
    catalog: &BTreeMap<String, TableFacts>,
    report: &mut Report,
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    let q = |c: &str| quote(backend, c);
    let with_not_null: Vec<(&String, &TableFacts)> = catalog
        .iter()
        .filter(|(_, facts)| !facts.not_null.is_empty())
        .collect();
    let mut unique: Vec<(&String, &str, &[String])> = Vec::new();
    for (table, facts) in catalog {
        let mut seen: BTreeSet<&[String]> = BTreeSet::new();
        for (label, columns) in &facts.unique {
            if *columns != facts.primary_key && seen.insert(columns) {
                unique.push((table, label, columns));
            }
        }
    }
    // SQLite answers `c IS NULL` from the declaration (never, for a NOT NULL column) without
    // reading the value; `typeof` reads it.
    let is_null = |c: &str| match backend {
        DbBackend::Sqlite => format!("typeof({}) = 'null'", q(c)),
        _ => format!("{} IS NULL", q(c)),
    };
    let any_null = |table: &str, columns: &[String]| {
        let nulls: Vec<String> = columns.iter().map(|c| is_null(c)).collect();
        format!(
            "SELECT COUNT(*) FROM {} WHERE {}",
            q(table),
            nulls.join(" OR ")
        )
    };
    let table_queries = with_not_null
        .iter()
        .map(|(table, facts)| any_null(table, &facts.not_null));
    let unique_queries = unique.iter().map(|(table, _, columns)| {
        let groups = duplicate_groups(backend, &q(table), columns, &["1".to_string()]);
        format!("SELECT COUNT(*) FROM ({groups}) d")
    });
    let queries: Vec<String> = table_queries.chain(unique_queries).collect();
    let found = counts(conn, &queries).await?;
    let (table_counts, unique_counts) = found.split_at(with_not_null.len());
    // The columns of the tables that hold a NULL where none may be.
    let suspects: Vec<(&String, &TableFacts, &String)> = with_not_null
        .iter()
        .zip(table_counts)
        .filter(|(_, count)| **count > 0)
        .flat_map(|((table, facts), _)| facts.not_null.iter().map(move |c| (*table, *facts, c)))
        .collect();
    let column_queries: Vec<String> = suspects
        .iter()
        .map(|(table, _, column)| any_null(table, std::slice::from_ref(column)))
        .collect();
    let column_counts = counts(conn, &column_queries).await?;
    for ((table, facts, column), count) in suspects.into_iter().zip(column_counts) {
        if count == 0 {
            continue;
        }
        let pk = &facts.primary_key;
        let keys = match (backend, pk.is_empty()) {
            (DbBackend::Sqlite, true) => {
                let select = format!(
                    "SELECT CAST(rowid AS TEXT) FROM {} WHERE {}",
                    q(table),
                    is_null(column)
                );
                sample(conn, &select, &["rowid".to_string()]).await?
            }
            (_, true) => Vec::new(),
            _ => {
                let texts: Vec<String> = pk.iter().map(|c| as_text(backend, &q(c))).collect();
                let select = format!(
                    "SELECT {} FROM {} WHERE {}",
                    texts.join(", "),
                    q(table),
                    is_null(column)
                );
                sample(conn, &select, pk).await?
            }
        };
        report.push(Problem {
            kind: Kind::NotNull,
            table: table.clone(),
            constraint: column.clone(),
            count,
            sample: keys,
        });
    }
    for ((table, label, columns), count) in unique.into_iter().zip(unique_counts) {
        if *count == 0 {
            continue;
        }
        let (count, keys) = duplicates(conn, backend, &q(table), columns).await?;
        report.push(Problem {
            kind: Kind::Unique,
            table: table.clone(),
            constraint: label.to_string(),
            count,
            sample: keys,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(name: &'static str, names_in_code: Option<&'static [&'static str]>) -> MigrationFacts {
        MigrationFacts {
            names_in_code,
            ..MigrationFacts::plain(name, "src/migrations/x.rs")
        }
    }

    fn tables(names: &[&str]) -> Scope {
        Scope::Tables(names.iter().map(|n| n.to_string()).collect())
    }

    #[test]
    fn reach_is_the_names_of_every_migration_that_runs_or_any_table() {
        let all = [
            facts("m1", Some(&["Users", "email"])),
            facts("m2", Some(&["orders"])),
            facts("m3", None),
        ];
        let names = |n: &[&str]| Reach::Names(n.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            reach(&all, &["m1", "m2"]),
            names(&["email", "orders", "users"])
        );
        assert_eq!(reach(&all, &[]), names(&[]));
        // Raw SQL in one of them, or a migration the build script did not read.
        for run in [&["m1", "m3"][..], &["m1", "m9"]] {
            let found = reach(&all, run);
            assert_eq!(
                found,
                Reach::Any {
                    migration: run[1].to_string()
                }
            );
            assert!(found.why_every_table().unwrap().starts_with(run[1]));
        }
        assert_eq!(names(&[]).why_every_table(), None);
    }

    #[test]
    fn scopes_unite() {
        assert_eq!(tables(&["a"]).union(tables(&["b"])), tables(&["a", "b"]));
        assert_eq!(tables(&["a"]).union(Scope::All), Scope::All);
        assert_eq!(Scope::All.union(tables(&[])), Scope::All);
    }

    async fn sqlite(script: &str) -> sea_orm::DatabaseConnection {
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        db.execute_unprepared(script).await.unwrap();
        db
    }

    fn names(n: &[&str]) -> Reach {
        Reach::Names(n.iter().map(|s| s.to_string()).collect())
    }

    #[tokio::test]
    async fn scope_is_the_named_tables_and_their_children_or_everything() {
        let db = sqlite(
            "CREATE TABLE authors (id integer PRIMARY KEY); \
             CREATE TABLE Books (id integer PRIMARY KEY, author_id integer REFERENCES authors (id)); \
             CREATE TABLE reviews (id integer PRIMARY KEY, book_id integer REFERENCES books (id)); \
             CREATE TABLE tags (id integer PRIMARY KEY); \
             CREATE VIEW book_titles AS SELECT id FROM Books; \
             CREATE TABLE audit (id integer PRIMARY KEY); \
             CREATE TABLE logged (id integer PRIMARY KEY); \
             CREATE TRIGGER logged_audit AFTER INSERT ON logged BEGIN INSERT INTO audit VALUES (NULL); END",
        )
        .await;
        let scope = |reach: Reach| {
            let db = &db;
            async move { scope_for(db, &reach).await.unwrap() }
        };
        // The parent named: its child too (in any case), not the grandchild (the child's own
        // keys did not change) and not the tables no name says.
        assert_eq!(
            scope(names(&["authors", "id"])).await,
            tables(&["Books", "authors"])
        );
        // The child named: its keys are checked on it; its parent's rows cannot break.
        assert_eq!(
            scope(names(&["books"])).await,
            tables(&["Books", "reviews"])
        );
        assert_eq!(scope(names(&["nothing"])).await, tables(&[]));
        // A write through a view or into a table with a trigger reaches further.
        assert_eq!(scope(names(&["book_titles"])).await, Scope::All);
        assert_eq!(scope(names(&["logged"])).await, Scope::All);
        assert_eq!(
            scope(Reach::Any {
                migration: "m1".into()
            })
            .await,
            Scope::All
        );
    }

    #[tokio::test]
    async fn a_scoped_pass_checks_only_its_tables() {
        // Two tables with the same problems: a NULL in a NOT NULL column and a duplicate under a
        // unique index (the schema edited behind SQLite's back, as a hand-made rebuild can leave
        // it), and an orphan let in with the foreign keys off.
        let mut script =
            String::from("PRAGMA foreign_keys = OFF; CREATE TABLE p (id integer PRIMARY KEY);");
        for t in ["a", "b"] {
            script.push_str(&format!(
                "CREATE TABLE {t} (id integer PRIMARY KEY, code text, u text, p_id integer REFERENCES p (id)); \
                 CREATE INDEX {t}_u ON {t} (u); \
                 INSERT INTO {t} VALUES (1, NULL, 'd', 7), (2, 'x', 'd', NULL); \
                 PRAGMA writable_schema = ON; \
                 UPDATE sqlite_master SET sql = replace(sql, 'code text', 'code text NOT NULL') WHERE name = '{t}'; \
                 UPDATE sqlite_master SET sql = replace(sql, 'CREATE INDEX', 'CREATE UNIQUE INDEX') WHERE name = '{t}_u'; \
                 PRAGMA writable_schema = RESET;"
            ));
        }
        let db = sqlite(&script).await;
        let report = validate(&db, &tables(&["a"])).await.unwrap();
        assert_eq!(report.tables, 1);
        let found: Vec<String> = report.failures.iter().map(Problem::describe).collect();
        assert_eq!(
            found,
            [
                "a: 1 row(s) reference rows that do not exist (foreign key (p_id) -> p(id)): p_id=7",
                "a: 1 row(s) hold NULL in NOT NULL column code: id=1",
                "a: 1 key(s) appear more than once under unique a_u (u): u=d",
            ]
        );
        let everything = validate(&db, &Scope::All).await.unwrap();
        assert_eq!((everything.tables, everything.failures.len()), (3, 6));
    }
}
