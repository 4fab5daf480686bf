//! The desired side, as the entities declare it.
//!
//! The build script of the migration crate lists every `DeriveEntityModel` entity of the entity
//! crate as an [`EntityDef`], so no list is kept by hand (docs/ARCHITECTURE.md, decision 4). From each
//! one this module takes sea-orm's own statements (`create_table_from_entity`, ...), used to build
//! the scratch copy of the desired schema, and the render facts (the entity's sea-query column
//! types and defaults) that the generated code is written from.

use std::collections::BTreeMap;

use makemigrations_core::{ColumnType, DefaultValue, EnumType};
use sea_orm::sea_query::{
    self, ColumnDef, Expr, IndexCreateStatement, Keyword, StringLen, TableCreateStatement, Value,
};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, IdenStatic, Iterable};

/// One entity, as the build script lists it: `EntityDef::of::<entity::users::Entity>("entity::users")`,
/// or one active enum: `EntityDef::active_enum::<entity::sea_orm_active_enums::OrderStatus>(..)`.
#[derive(Clone, Copy)]
pub struct EntityDef {
    pub module_path: &'static str,
    describe: Describe,
    table_renamed_from: Option<&'static str>,
}

#[derive(Clone, Copy)]
enum Describe {
    Entity(fn(DbBackend) -> EntityStatements),
    ActiveEnum(fn() -> Option<EnumType>),
}

impl EntityDef {
    pub fn of<E: EntityTrait + Default>(module_path: &'static str) -> Self {
        EntityDef {
            module_path,
            describe: Describe::Entity(describe::<E>),
            table_renamed_from: None,
        }
    }

    /// An enum type the entities may use, or used before: MySQL keeps enums inline and SQLite
    /// as text, so the name of a live enum column comes from here (found by its values).
    pub fn active_enum<A: sea_orm::ActiveEnum>(module_path: &'static str) -> Self {
        EntityDef {
            module_path,
            describe: Describe::ActiveEnum(declared_enum::<A>),
            table_renamed_from: None,
        }
    }

    /// The table's former name, from `pub const TABLE_RENAMED_FROM: &str = "old";` beside the
    /// entity (the build script finds it and calls this).
    pub fn renamed_from(mut self, old_table: &'static str) -> Self {
        self.table_renamed_from = Some(old_table);
        self
    }

    /// The table's former name, when the entity's module declares one.
    pub fn table_renamed_from(&self) -> Option<&'static str> {
        self.table_renamed_from
    }

    /// What sea-orm makes of the entity; `None` for an active enum.
    pub fn statements(&self, backend: DbBackend) -> Option<EntityStatements> {
        match self.describe {
            Describe::Entity(describe) => Some(describe(backend)),
            Describe::ActiveEnum(_) => None,
        }
    }

    /// The enum type of an active enum stored as a database enum.
    pub fn enum_type(&self) -> Option<EnumType> {
        match self.describe {
            Describe::Entity(_) => None,
            Describe::ActiveEnum(declared) => declared(),
        }
    }
}

fn declared_enum<A: sea_orm::ActiveEnum>() -> Option<EnumType> {
    match A::db_type().get_column_type() {
        sea_query::ColumnType::Enum { name, variants } => Some(EnumType {
            name: name.to_string(),
            values: variants.iter().map(|v| v.to_string()).collect(),
        }),
        _ => None,
    }
}

impl std::fmt::Debug for EntityDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntityDef")
            .field("module_path", &self.module_path)
            .field("table_renamed_from", &self.table_renamed_from)
            .finish()
    }
}

/// What sea-orm makes of one entity for one backend.
#[derive(Debug, Clone)]
pub struct EntityStatements {
    pub table_name: String,
    pub table: TableCreateStatement,
    pub indexes: Vec<IndexCreateStatement>,
    /// The sea-query type of each column, in declaration order.
    pub column_types: Vec<(String, sea_query::ColumnType)>,
}

fn describe<E: EntityTrait + Default>(backend: DbBackend) -> EntityStatements {
    let entity = E::default();
    let schema = sea_orm::Schema::new(backend);
    EntityStatements {
        table_name: entity.table_name().to_string(),
        table: schema.create_table_from_entity(entity),
        indexes: schema.create_index_from_entity(entity),
        column_types: E::Column::iter()
            .map(|c| (c.as_str().to_string(), c.def().get_column_type().clone()))
            .collect(),
    }
}

/// The facts of one entity column that generated code is written from.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderColumn {
    pub col_type: ColumnType,
    pub default: Option<DefaultValue>,
    pub comment: Option<String>,
    /// `#[sea_orm(renamed_from = "old")]`.
    pub renamed_from: Option<String>,
}

/// An entity that the tool cannot represent: names the entity, the column and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entity `{entity}`, column `{column}`: {reason}")]
pub struct UnsupportedColumn {
    pub entity: String,
    pub column: String,
    pub reason: String,
}

/// The render facts of every column of one entity, keyed by column name. On a backend other
/// than PostgreSQL an array column is refused here, before sea-query is asked for DDL it cannot
/// write there.
pub fn render_columns(
    def: &EntityDef,
    statements: &EntityStatements,
    backend: DbBackend,
) -> Result<BTreeMap<String, RenderColumn>, UnsupportedColumn> {
    // The entity's own types: for PostgreSQL sea-orm turns an enum into `Custom(name)` in the
    // CREATE TABLE, which would not be portable.
    let declared: BTreeMap<&str, &sea_query::ColumnType> = statements
        .column_types
        .iter()
        .map(|(n, t)| (n.as_str(), t))
        .collect();
    let mut columns = BTreeMap::new();
    for column in statements.table.get_columns() {
        let name = column.get_column_name();
        let unsupported = |reason: String| UnsupportedColumn {
            entity: def.module_path.to_string(),
            column: name.clone(),
            reason,
        };
        let sea_type = declared
            .get(name.as_str())
            .copied()
            .or(column.get_column_type())
            .ok_or_else(|| unsupported("it has no column type".into()))?;
        let col_type = core_type(sea_type).map_err(unsupported)?;
        if col_type.is_array() && backend != DbBackend::Postgres {
            return Err(unsupported(array_elsewhere(&col_type, backend)));
        }
        let (comment, renamed_from) = split_comment(column);
        columns.insert(
            name.clone(),
            RenderColumn {
                col_type,
                default: column.get_column_spec().default.as_ref().map(default_value),
                comment,
                renamed_from,
            },
        );
    }
    Ok(columns)
}

/// The enum types the entity's columns use, for backends with named enum types.
pub fn enum_types(statements: &EntityStatements) -> Vec<EnumType> {
    statements
        .column_types
        .iter()
        .filter_map(|(_, t)| match t {
            sea_query::ColumnType::Enum { name, variants } => Some(EnumType {
                name: name.to_string(),
                values: variants.iter().map(|v| v.to_string()).collect(),
            }),
            _ => None,
        })
        .collect()
}

/// sea-orm 2 passes `renamed_from` through the column comment as `renamed_from "old"`; it must
/// never reach the database as a comment.
pub fn split_comment(column: &ColumnDef) -> (Option<String>, Option<String>) {
    match column.get_column_spec().comment.as_deref() {
        None => (None, None),
        Some(text) => match text
            .strip_prefix("renamed_from \"")
            .and_then(|t| t.strip_suffix('"'))
        {
            Some(old) => (None, Some(old.to_string())),
            None => (Some(text.to_string()), None),
        },
    }
}

/// sea-query's column type in the core vocabulary; `Err` names why the tool cannot handle it.
pub fn core_type(t: &sea_query::ColumnType) -> Result<ColumnType, String> {
    use sea_query::ColumnType as S;
    let string_len = |len: &StringLen| match len {
        StringLen::N(n) => Some(*n),
        StringLen::Max | StringLen::None => None,
    };
    Ok(match t {
        S::Char(n) => ColumnType::Char(*n),
        S::String(len) => ColumnType::String(string_len(len)),
        S::Text => ColumnType::Text,
        S::Blob => ColumnType::Blob,
        S::TinyInteger => ColumnType::TinyInteger,
        S::SmallInteger => ColumnType::SmallInteger,
        S::Integer => ColumnType::Integer,
        S::BigInteger => ColumnType::BigInteger,
        S::TinyUnsigned => ColumnType::TinyUnsigned,
        S::SmallUnsigned => ColumnType::SmallUnsigned,
        S::Unsigned => ColumnType::Unsigned,
        S::BigUnsigned => ColumnType::BigUnsigned,
        S::Float => ColumnType::Float,
        S::Double => ColumnType::Double,
        S::Decimal(p) => ColumnType::Decimal(*p),
        S::DateTime => ColumnType::DateTime,
        S::Timestamp => ColumnType::Timestamp,
        S::TimestampWithTimeZone => ColumnType::TimestampWithTimeZone,
        S::Time => ColumnType::Time,
        S::Date => ColumnType::Date,
        S::Binary(n) => ColumnType::Binary(*n),
        S::VarBinary(len) => ColumnType::VarBinary(string_len(len)),
        S::Boolean => ColumnType::Boolean,
        S::Json => ColumnType::Json,
        S::JsonBinary => ColumnType::JsonBinary,
        S::Uuid => ColumnType::Uuid,
        S::Custom(name) => ColumnType::Custom(name.to_string()),
        S::Enum { name, variants } => ColumnType::Enum {
            name: name.to_string(),
            variants: variants.iter().map(|v| v.to_string()).collect(),
        },
        S::Array(element) => ColumnType::Array(Box::new(core_type(element)?)),
        other => {
            return Err(format!(
                "the column type {other:?} is not supported by makemigrations yet; \
                 use a supported type or write this migration by hand (`makemigrations --empty`)"
            ))
        }
    })
}

/// Why an array column stops `makemigrations` on MySQL or SQLite, and what to do instead.
fn array_elsewhere(col_type: &ColumnType, backend: DbBackend) -> String {
    let backend = match backend {
        DbBackend::MySql => "MySQL/MariaDB",
        _ => "SQLite",
    };
    format!(
        "it is an array ({}), and arrays exist only on PostgreSQL; this database is {backend}\n  \
         fix: run makemigrations against PostgreSQL, or store the values another way on {backend} \
         (for example a JSON column: `Json` in the entity)",
        makemigrations_core::literal::type_name(col_type)
    )
}

/// An entity's default expression as a value to render.
fn default_value(expr: &Expr) -> DefaultValue {
    match expr {
        Expr::Value(value) | Expr::Constant(value) => match value {
            Value::Bool(Some(b)) => DefaultValue::Bool(*b),
            Value::TinyInt(Some(i)) => DefaultValue::Int(i64::from(*i)),
            Value::SmallInt(Some(i)) => DefaultValue::Int(i64::from(*i)),
            Value::Int(Some(i)) => DefaultValue::Int(i64::from(*i)),
            Value::BigInt(Some(i)) => DefaultValue::Int(*i),
            Value::TinyUnsigned(Some(i)) => DefaultValue::Int(i64::from(*i)),
            Value::SmallUnsigned(Some(i)) => DefaultValue::Int(i64::from(*i)),
            Value::Unsigned(Some(i)) => DefaultValue::Int(i64::from(*i)),
            Value::Float(Some(f)) => DefaultValue::Float(f.to_string()),
            Value::Double(Some(f)) => DefaultValue::Float(f.to_string()),
            Value::String(Some(s)) => DefaultValue::String(s.clone()),
            Value::Char(Some(c)) => DefaultValue::String(c.to_string()),
            _ => DefaultValue::Custom(expr_sql(expr)),
        },
        Expr::Keyword(Keyword::CurrentTimestamp) => DefaultValue::CurrentTimestamp,
        Expr::Keyword(Keyword::CurrentDate) => DefaultValue::CurrentDate,
        Expr::Keyword(Keyword::CurrentTime) => DefaultValue::CurrentTime,
        Expr::Keyword(Keyword::Null) => DefaultValue::Null,
        Expr::Custom(sql) => DefaultValue::Custom(sql.to_string()),
        _ => DefaultValue::Custom(expr_sql(expr)),
    }
}

/// Any other expression, written as PostgreSQL SQL (rendered as `Expr::cust(..)`).
fn expr_sql(expr: &Expr) -> String {
    let sql = sea_query::Query::select()
        .expr(expr.clone())
        .to_string(sea_query::PostgresQueryBuilder);
    sql.trim_start_matches("SELECT ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_types_are_refused_with_a_reason() {
        let interval = sea_query::ColumnType::Interval(None, None);
        let reason = core_type(&interval).unwrap_err();
        assert!(
            reason.contains("not supported") && reason.contains("--empty"),
            "{reason}"
        );
        let error = UnsupportedColumn {
            entity: "entity::shifts".into(),
            column: "length".into(),
            reason,
        };
        assert!(error
            .to_string()
            .starts_with("entity `entity::shifts`, column `length`: the column type Interval"));
    }

    #[test]
    fn arrays_map_to_their_element_type() {
        let tags = sea_query::ColumnType::Array(sea_query::RcOrArc::new(
            sea_query::ColumnType::String(StringLen::N(20)),
        ));
        assert_eq!(
            core_type(&tags),
            Ok(ColumnType::Array(Box::new(ColumnType::String(Some(20)))))
        );
    }

    #[test]
    fn renamed_from_never_reaches_the_comment() {
        let column = ColumnDef::new("about")
            .text()
            .comment("renamed_from \"bio\"")
            .to_owned();
        assert_eq!(split_comment(&column), (None, Some("bio".to_string())));
        let column = ColumnDef::new("about")
            .text()
            .comment("What they say")
            .to_owned();
        assert_eq!(
            split_comment(&column),
            (Some("What they say".to_string()), None)
        );
    }
}
