//! The scratch DDL of the entities, table by table: the script that `shadow.rs` runs in the
//! scratch place, for every table or for a chosen few, and the text each table's memo entry is
//! keyed by (`shadow_cache.rs`). Building every table gives the script the tool always ran; a
//! chosen set keeps the same statements in the same order, only fewer of them.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sea_orm::sea_query::{
    ColumnDef, MysqlQueryBuilder, PostgresQueryBuilder, SqliteQueryBuilder, Table,
    TableCreateStatement,
};
use sea_orm::DbBackend;

use crate::entities::{self, EntityStatements, RenderColumn};
use crate::runtime::{ident, literal};

/// One entity table's statements.
pub struct TableDdl {
    pub name: String,
    /// CREATE TABLE; on PostgreSQL without its foreign keys, which are added once every table
    /// exists. On MySQL and SQLite the keys are inline.
    create: String,
    /// PostgreSQL: `ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY`. Empty elsewhere.
    foreign_keys: Vec<String>,
    /// CREATE INDEX.
    indexes: Vec<String>,
    /// PostgreSQL: `COMMENT ON`. Empty elsewhere (inline).
    comments: Vec<String>,
    /// The other tables its foreign keys reference.
    pub references: BTreeSet<String>,
    /// The PostgreSQL enum types its columns use (none elsewhere: MySQL enums are inline).
    pub enums: BTreeSet<String>,
}

impl TableDdl {
    /// The statements that make the table exist with its own columns and indexes, without its
    /// foreign keys and comments: how a table is built when only a table that references it is
    /// wanted.
    fn bare(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.create).chain(&self.indexes)
    }

    /// Every statement of the table, in script order after its CREATE TABLE.
    fn after_create(&self) -> impl Iterator<Item = &String> {
        self.foreign_keys
            .iter()
            .chain(&self.indexes)
            .chain(&self.comments)
    }

    /// Whether `name` is written in the table's statements: stated by the entity, not chosen by
    /// the server.
    pub fn mentions(&self, name: &str) -> bool {
        std::iter::once(&self.create)
            .chain(self.after_create())
            .any(|statement| statement.contains(name))
    }
}

/// What a scratch build creates: `whole` tables completely, `bare` ones without their foreign
/// keys (they are there for a whole table's keys to point at), and PostgreSQL enum types.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Build {
    pub whole: BTreeSet<String>,
    pub bare: BTreeSet<String>,
    pub enums: BTreeSet<String>,
}

impl Build {
    pub fn is_empty(&self) -> bool {
        self.whole.is_empty() && self.enums.is_empty()
    }
}

/// The scratch DDL of all the entities on one backend.
pub struct ScratchDdl {
    backend: DbBackend,
    /// In the entities' order, which is the order of the script.
    pub tables: Vec<TableDdl>,
    /// PostgreSQL: `CREATE TYPE ... AS ENUM` by type name.
    pub enums: BTreeMap<String, String>,
    /// Where each table is in `tables`.
    positions: HashMap<String, usize>,
}

impl ScratchDdl {
    pub fn new(
        backend: DbBackend,
        stmts: &[EntityStatements],
        render: &BTreeMap<String, BTreeMap<String, RenderColumn>>,
    ) -> Self {
        let tables: Vec<TableDdl> = stmts
            .iter()
            .map(|s| match backend {
                DbBackend::Postgres => postgres_table(s, render.get(&s.table_name)),
                DbBackend::MySql => mysql_table(s),
                _ => sqlite_table(s),
            })
            .collect();
        let mut enums = BTreeMap::new();
        if backend == DbBackend::Postgres {
            for s in stmts {
                for e in entities::enum_types(s) {
                    // The first declaration wins, as it always has.
                    enums.entry(e.name.clone()).or_insert_with(|| {
                        let values: Vec<String> = e.values.iter().map(|v| literal(v)).collect();
                        format!(
                            "CREATE TYPE {} AS ENUM ({})",
                            ident(&e.name),
                            values.join(", ")
                        )
                    });
                }
            }
        }
        let positions = tables
            .iter()
            .enumerate()
            .map(|(i, t): (usize, &TableDdl)| (t.name.clone(), i))
            .collect();
        ScratchDdl {
            backend,
            tables,
            enums,
            positions,
        }
    }

    /// Every table whole and every enum type: the scratch build as it always was.
    pub fn everything(&self) -> Build {
        Build {
            whole: self.tables.iter().map(|t| t.name.clone()).collect(),
            bare: BTreeSet::new(),
            enums: self.enums.keys().cloned().collect(),
        }
    }

    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    /// The memo key of every table, in the order of `tables`.
    pub fn keys(&self) -> Vec<String> {
        self.tables.iter().map(|t| self.key(t)).collect()
    }

    pub fn table(&self, name: &str) -> Option<&TableDdl> {
        self.positions.get(name).map(|&i| &self.tables[i])
    }

    /// What a table's memo entry is keyed by: its own statements, and what it needs in order to
    /// be created as it was: the tables its keys reference (as `bare` builds them) and its enum
    /// types. A table that references it has this table in its own key.
    pub fn key(&self, table: &TableDdl) -> String {
        let mut key = String::new();
        for statement in std::iter::once(&table.create).chain(table.after_create()) {
            key.push_str(statement);
            key.push_str(";\n");
        }
        for name in &table.references {
            key.push_str("-- references ");
            key.push_str(name);
            key.push('\n');
            // A table that is no entity is whatever the live schema has: as before the memo was
            // per table, it is keyed by name only.
            for statement in self.table(name).into_iter().flat_map(TableDdl::bare) {
                key.push_str(statement);
                key.push_str(";\n");
            }
        }
        for name in &table.enums {
            key.push_str("-- uses ");
            key.push_str(self.enums.get(name).map_or(name.as_str(), String::as_str));
            key.push('\n');
        }
        key
    }

    /// The script that makes `build`, in one round trip: the same statements in the same order as
    /// the script of every table, less those not wanted.
    pub fn script(&self, build: &Build) -> String {
        let wanted = |t: &&TableDdl| build.whole.contains(&t.name) || build.bare.contains(&t.name);
        let mut script: Vec<&str> = Vec::new();
        match self.backend {
            DbBackend::Postgres => {
                script.extend(
                    self.enums
                        .iter()
                        .filter(|(name, _)| build.enums.contains(*name))
                        .map(|(_, sql)| sql.as_str()),
                );
                script.extend(self.tables.iter().filter(wanted).map(|t| t.create.as_str()));
                for table in self.tables.iter().filter(wanted) {
                    if build.whole.contains(&table.name) {
                        script.extend(table.after_create().map(String::as_str));
                    } else {
                        script.extend(table.indexes.iter().map(String::as_str));
                    }
                }
            }
            // Foreign keys inline, with checks off so that any order of references works.
            DbBackend::MySql => {
                script.push("SET FOREIGN_KEY_CHECKS = 0");
                for table in self.tables.iter().filter(wanted) {
                    script.extend(table.bare().map(String::as_str));
                }
                script.push("SET FOREIGN_KEY_CHECKS = 1");
            }
            // One transaction: statement by statement, each DDL re-read the growing schema,
            // which made 1,000 tables take seconds. SQLite does not check that referenced tables
            // exist when a table is created.
            _ => {
                script.push("BEGIN");
                for table in self.tables.iter().filter(wanted) {
                    script.extend(table.bare().map(String::as_str));
                }
                script.push("COMMIT");
            }
        }
        script.join(";\n")
    }
}

fn references(s: &EntityStatements) -> BTreeSet<String> {
    s.table
        .get_foreign_key_create_stmts()
        .iter()
        .map(|fk| crate::runtime::core_foreign_key(fk).ref_table)
        .filter(|name| *name != s.table_name)
        .collect()
}

/// The enum types (created before every table), tables, then each table's keys, indexes and
/// comments.
fn postgres_table(
    s: &EntityStatements,
    render: Option<&BTreeMap<String, RenderColumn>>,
) -> TableDdl {
    let mut comments = Vec::new();
    if let Some(comment) = s.table.get_comment() {
        comments.push(format!(
            "COMMENT ON TABLE {} IS {}",
            ident(&s.table_name),
            literal(comment)
        ));
    }
    for (column, facts) in render.into_iter().flatten() {
        if let Some(comment) = &facts.comment {
            comments.push(format!(
                "COMMENT ON COLUMN {}.{} IS {}",
                ident(&s.table_name),
                ident(column),
                literal(comment)
            ));
        }
    }
    TableDdl {
        name: s.table_name.clone(),
        create: without_foreign_keys(&s.table).to_string(PostgresQueryBuilder),
        foreign_keys: s
            .table
            .get_foreign_key_create_stmts()
            .iter()
            .map(|fk| fk.to_string(PostgresQueryBuilder))
            .collect(),
        indexes: s
            .indexes
            .iter()
            .map(|index| index.to_string(PostgresQueryBuilder))
            .collect(),
        comments,
        references: references(s),
        enums: entities::enum_types(s)
            .into_iter()
            .map(|e| e.name)
            .collect(),
    }
}

/// The same CREATE TABLE without its foreign keys.
fn without_foreign_keys(stmt: &TableCreateStatement) -> TableCreateStatement {
    entities::restated(stmt, Clone::clone)
}

/// The CREATE TABLE statement as sea-orm writes it for MySQL (foreign keys inline, as in a
/// generated migration), with the plain indexes inside it as `migrate` sends them (`Statements`,
/// `fold_index`: InnoDB builds a CREATE INDEX as an ALTER of its own, which doubled the time of a
/// scratch build), then the other indexes. sea-orm 2 carries `renamed_from` in the column
/// comment; it is taken out here so that it never becomes a real comment.
fn mysql_table(s: &EntityStatements) -> TableDdl {
    let mut table = s.table.clone();
    let indexes: Vec<String> = s
        .indexes
        .iter()
        .filter(|index| !makemigrations::runtime::fold_index(&mut table, index))
        .map(|index| index.to_string(MysqlQueryBuilder))
        .collect();
    let mut create = table.to_string(MysqlQueryBuilder);
    for column in s.table.get_columns() {
        if let (None, Some(_)) = entities::split_comment(column) {
            let comment = column.get_column_spec().comment.clone().unwrap_or_default();
            create = create.replace(&mysql_comment_clause(&comment), "");
        }
    }
    TableDdl {
        name: s.table_name.clone(),
        create,
        foreign_keys: Vec::new(),
        indexes,
        comments: Vec::new(),
        references: references(s),
        enums: BTreeSet::new(),
    }
}

/// ` COMMENT '...'` exactly as sea-query writes `comment` in a MySQL column definition.
fn mysql_comment_clause(comment: &str) -> String {
    let sql = Table::create()
        .table("t")
        .col(ColumnDef::new("c").integer().comment(comment))
        .to_string(MysqlQueryBuilder);
    match (sql.find(" COMMENT '"), sql.rfind('\'')) {
        (Some(start), Some(end)) if end > start => sql[start..=end].to_string(),
        _ => String::new(),
    }
}

/// Foreign keys stay inline on SQLite.
fn sqlite_table(s: &EntityStatements) -> TableDdl {
    TableDdl {
        name: s.table_name.clone(),
        create: s.table.to_string(SqliteQueryBuilder),
        foreign_keys: Vec::new(),
        indexes: s
            .indexes
            .iter()
            .map(|index| index.to_string(SqliteQueryBuilder))
            .collect(),
        comments: Vec::new(),
        references: references(s),
        enums: BTreeSet::new(),
    }
}
