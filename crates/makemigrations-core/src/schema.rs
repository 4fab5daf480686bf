//! The backend-neutral schema model that both sides of a comparison are read into.
//!
//! Every fact carries two things: a *comparable* form, spelled the way the database itself reports
//! it (`db_type`, `Default::sql`), and a *renderable* form (`ColumnType`, `DefaultValue`) that the
//! renderer turns into sea-query builder calls. Comparison looks only at the comparable form, so two
//! columns that the database stores alike never differ; rendering looks only at the renderable form,
//! so generated code uses the entity's own types and stays portable (docs/decisions.md, decisions 1-2).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The database flavour a schema was read from. The model itself is neutral; this only tells which
/// comparisons are meaningful (SQLite, for instance, has no comments and no named foreign keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Backend {
    Postgres,
    MySql,
    Sqlite,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "PostgreSQL",
            Backend::MySql => "MySQL",
            Backend::Sqlite => "SQLite",
        }
    }

    /// SQLite has no table or column comments, so there they are never compared.
    pub fn keeps_comments(self) -> bool {
        self != Backend::Sqlite
    }

    /// Whether two foreign-key actions behave alike here. InnoDB treats RESTRICT and NO ACTION
    /// the same (and MariaDB reports RESTRICT where nothing was declared).
    pub fn same_action(self, a: ForeignKeyAction, b: ForeignKeyAction) -> bool {
        let normal = |action| match (self, action) {
            (Backend::MySql, ForeignKeyAction::Restrict) => ForeignKeyAction::NoAction,
            _ => action,
        };
        normal(a) == normal(b)
    }
}

/// A whole schema: tables and (PostgreSQL) enum types, keyed and sorted by name so that everything
/// derived from it is deterministic.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub tables: BTreeMap<String, Table>,
    pub enums: BTreeMap<String, EnumType>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    /// Primary-key column names, in key order; empty when the table has none.
    pub primary_key: Vec<String>,
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
    pub comment: Option<String>,
}

impl Table {
    pub fn new(name: impl Into<String>) -> Self {
        Table {
            name: name.into(),
            columns: Vec::new(),
            primary_key: Vec::new(),
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
            comment: None,
        }
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// A single-column primary key is rendered on the column itself (`.primary_key()`); a
    /// composite one as a table-level primary index.
    pub fn has_composite_primary_key(&self) -> bool {
        self.primary_key.len() > 1
    }

    pub fn is_primary_key_column(&self, column: &str) -> bool {
        self.primary_key.len() == 1 && self.primary_key[0] == column
    }

    /// Tables this one references through foreign keys (itself excluded).
    pub fn referenced_tables(&self) -> impl Iterator<Item = &str> {
        self.foreign_keys
            .iter()
            .map(|fk| fk.ref_table.as_str())
            .filter(move |t| *t != self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// The type to render, in sea-query's vocabulary.
    pub col_type: ColumnType,
    /// The type as the database reports it (`character varying(120)`, `varchar(120)`, `integer`).
    /// Two columns of one backend have the same type exactly when these are equal.
    pub db_type: String,
    pub nullable: bool,
    pub default: Option<Default>,
    pub auto_increment: bool,
    /// A single-column UNIQUE constraint declared on the column (`#[sea_orm(unique)]`).
    pub unique: bool,
    pub comment: Option<String>,
}

impl ColumnType {
    /// Gives the enum `name` these values, wherever this type uses it (an array's element too).
    pub fn set_enum_values(&mut self, name: &str, values: &[String]) {
        match self {
            ColumnType::Enum { name: n, variants } if n == name => *variants = values.to_vec(),
            ColumnType::Array(element) => element.set_enum_values(name, values),
            _ => {}
        }
    }
}

impl Column {
    pub fn new(name: impl Into<String>, col_type: ColumnType, db_type: impl Into<String>) -> Self {
        Column {
            name: name.into(),
            col_type,
            db_type: db_type.into(),
            nullable: true,
            default: None,
            auto_increment: false,
            unique: false,
            comment: None,
        }
    }
}

/// A column default: the database's own spelling (compared) and the value to render.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Default {
    pub sql: String,
    pub value: DefaultValue,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DefaultValue {
    Bool(bool),
    Int(i64),
    /// Kept as text so that the rendered literal is exactly what was declared.
    Float(String),
    String(String),
    CurrentTimestamp,
    CurrentDate,
    CurrentTime,
    Null,
    /// Any other expression, rendered as `Expr::cust(..)`.
    Custom(String),
}

/// sea-query's column types, minus the ones the tool does not support yet. Names mirror
/// `sea_query::ColumnType` so that the mapping in both directions stays obvious.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColumnType {
    Char(Option<u32>),
    /// `None` is an unbounded `varchar`.
    String(Option<u32>),
    Text,
    Blob,
    TinyInteger,
    SmallInteger,
    Integer,
    BigInteger,
    TinyUnsigned,
    SmallUnsigned,
    Unsigned,
    BigUnsigned,
    Float,
    Double,
    Decimal(Option<(u32, u32)>),
    DateTime,
    Timestamp,
    TimestampWithTimeZone,
    Time,
    Date,
    Binary(u32),
    VarBinary(Option<u32>),
    Boolean,
    Json,
    JsonBinary,
    Uuid,
    /// A named enum type (a PostgreSQL `CREATE TYPE .. AS ENUM`, inline elsewhere).
    Enum {
        name: String,
        variants: Vec<String>,
    },
    /// A PostgreSQL array of the element type (`text[]`, `varchar(20)[]`). PostgreSQL only:
    /// sea-query has no array on MySQL or SQLite, so a file that uses one is marked so.
    Array(Box<ColumnType>),
    /// Any other type, rendered by its SQL name.
    Custom(String),
}

impl ColumnType {
    /// Whether the type is an array, which only PostgreSQL has.
    pub fn is_array(&self) -> bool {
        matches!(self, ColumnType::Array(_))
    }
}

/// Whether two database spellings of a column's type mean the same type. They are compared as
/// spelled, except `text[]` and `character varying[]`: `Vec<String>` gives the latter (sea-orm
/// maps `String` to an unbounded varchar), and sea-orm-cli writes exactly that for a `text[]`
/// column, so an adopted `text[]` would otherwise always differ. Unbounded varchar and text are
/// the same type to PostgreSQL in all but name (a cast between them is free).
pub fn same_db_type(live: &str, desired: &str) -> bool {
    let unbounded_text_array = |t: &str| t == "text[]" || t == "character varying[]";
    live == desired || (unbounded_text_array(live) && unbounded_text_array(desired))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub columns: Vec<String>,
    pub unique: bool,
    /// Not compared: a UNIQUE *constraint* (`CONSTRAINT "uq" UNIQUE (a, b)`, as sea-query writes
    /// `Table::create().index(..)`) rather than an index. It behaves the same, but is dropped and
    /// created differently (PostgreSQL refuses `DROP INDEX` on it; SQLite cannot drop it at all
    /// without a rebuild). MySQL makes every unique constraint an index, so there it is false.
    #[serde(default)]
    pub constraint: bool,
}

impl Index {
    /// What an index *is*: the same columns in the same order, alike in uniqueness, whatever
    /// their names and whether a constraint or an index holds them (decision 9). Discovery reads
    /// no index method, and leaves out what it cannot describe (expression, partial, prefix,
    /// full-text and spatial indexes, and on PostgreSQL every method but btree), so these are
    /// all the facts there are to compare.
    pub fn same_definition(&self, other: &Index) -> bool {
        self.columns == other.columns && self.unique == other.unique
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignKey {
    /// `None` where the backend does not keep names (SQLite).
    pub name: Option<String>,
    pub columns: Vec<String>,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    pub on_delete: ForeignKeyAction,
    pub on_update: ForeignKeyAction,
    /// Not compared: which actions to write in generated code. SeaORM writes an action only
    /// when the entity declares one, and the file must do the same, so that the database ends up
    /// as SeaORM itself would make it (MariaDB, for one, keeps "nothing declared" apart).
    #[serde(default)]
    pub declared: DeclaredActions,
}

/// Whether ON DELETE and ON UPDATE are stated: by the entity (desired side) or, for a key read
/// from the database, whenever the action is not NO ACTION. (MariaDB reports RESTRICT for
/// "nothing declared" as well as for RESTRICT; where the entity's action is alike, its
/// declaration is taken instead: `diff::declared_actions_where_alike`.)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredActions {
    pub on_delete: bool,
    pub on_update: bool,
}

impl DeclaredActions {
    /// For a key read from a database, which cannot say what was declared.
    pub fn unless_no_action(on_delete: ForeignKeyAction, on_update: ForeignKeyAction) -> Self {
        let stated = |a| a != ForeignKeyAction::NoAction;
        DeclaredActions {
            on_delete: stated(on_delete),
            on_update: stated(on_update),
        }
    }
}

impl ForeignKey {
    /// What a foreign key *is*: two keys with the same signature are the same key, whatever
    /// their names (SQLite forgets names, so names cannot be the identity).
    pub fn signature(&self) -> (&[String], &str, &[String]) {
        (&self.columns, &self.ref_table, &self.ref_columns)
    }

    /// The name to use in generated code: the stored one, or sea-orm's convention.
    pub fn name_or_default(&self, table: &str) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("fk-{}-{}", table, self.columns.join("-")))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ForeignKeyAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl ForeignKeyAction {
    pub fn sql(self) -> &'static str {
        match self {
            ForeignKeyAction::NoAction => "NO ACTION",
            ForeignKeyAction::Restrict => "RESTRICT",
            ForeignKeyAction::Cascade => "CASCADE",
            ForeignKeyAction::SetNull => "SET NULL",
            ForeignKeyAction::SetDefault => "SET DEFAULT",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumType {
    pub name: String,
    pub values: Vec<String>,
}
