//! The desired side, as the entities declare it.
//!
//! The build script of the migration crate lists every `DeriveEntityModel` entity of the entity
//! crate as an [`EntityDef`], so no list is kept by hand (docs/decisions.md, decision 4). From each
//! one this module takes sea-orm's own statements (`create_table_from_entity`, ...), used to build
//! the scratch copy of the desired schema, and the render facts (the entity's sea-query column
//! types and defaults) that the generated code is written from.

use std::collections::BTreeMap;

use makemigrations_core::{ColumnType, DefaultValue, EnumType};
use sea_orm::sea_query::{
    self, ColumnDef, Expr, ForeignKeyCreateStatement, IndexCreateStatement, Keyword, StringLen,
    TableCreateStatement, TableName, TableRef, Value,
};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, IdenStatic, Iterable};

/// One entity, as the build script lists it: `EntityDef::of::<entity::users::Entity>("entity::users")`,
/// or one active enum: `EntityDef::active_enum::<entity::sea_orm_active_enums::OrderStatus>(..)`.
#[derive(Clone, Copy)]
pub struct EntityDef {
    pub module_path: &'static str,
    describe: Describe,
    table_renamed_from: Option<&'static str>,
    ignored_columns: &'static [&'static str],
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
            ignored_columns: &[],
        }
    }

    /// An enum type the entities may use, or used before: MySQL keeps enums inline and SQLite
    /// as text, so the name of a live enum column comes from here (found by its values).
    pub fn active_enum<A: sea_orm::ActiveEnum>(module_path: &'static str) -> Self {
        EntityDef {
            module_path,
            describe: Describe::ActiveEnum(declared_enum::<A>),
            table_renamed_from: None,
            ignored_columns: &[],
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

    /// The columns of the fields marked `#[sea_orm(ignore)]` (the build script finds them and
    /// calls this). sea-orm leaves them out of every statement, but sea-orm-cli marks so a column
    /// that exists and that it cannot map: the comparison keeps such a live column as it is.
    pub fn ignored_columns(mut self, columns: &'static [&'static str]) -> Self {
        self.ignored_columns = columns;
        self
    }

    /// The columns of the fields marked `#[sea_orm(ignore)]`.
    pub fn unmapped_columns(&self) -> &'static [&'static str] {
        self.ignored_columns
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
            .field("ignored_columns", &self.ignored_columns)
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
    /// `#[sea_orm(schema_name = "...")]`, which sea-orm-cli writes on every entity with `-s`.
    /// The statements above never carry it (see [`unqualified_table`]).
    pub schema_name: Option<String>,
}

fn describe<E: EntityTrait + Default>(backend: DbBackend) -> EntityStatements {
    let entity = E::default();
    let schema = sea_orm::Schema::new(backend);
    EntityStatements {
        table_name: entity.table_name().to_string(),
        table: unqualified_table(&schema.create_table_from_entity(entity)),
        // Every index sea-orm makes is on the entity's own table: restate it unqualified.
        indexes: schema
            .create_index_from_entity(entity)
            .into_iter()
            .map(|mut index| index.table(entity).take())
            .collect(),
        column_types: E::Column::iter()
            .map(|c| (c.as_str().to_string(), c.def().get_column_type().clone()))
            .collect(),
        schema_name: entity.schema_name().map(str::to_string),
    }
}

/// The table without its schema qualifier. sea-orm qualifies the table, its indexes' table and
/// its foreign keys' target tables with `schema_name`; a qualified name would build outside the
/// scratch place, and the comparison is of one schema anyway (the live one: `shadow` refuses
/// an entity that names another).
fn unqualified(table: &TableRef) -> TableRef {
    match table {
        TableRef::Table(TableName(Some(_), name), alias) => {
            TableRef::Table(TableName(None, name.clone()), alias.clone())
        }
        other => other.clone(),
    }
}

/// sea-orm's CREATE TABLE with every table reference unqualified. The statement's own foreign
/// keys cannot be changed in place, so a qualified table is restated from what sea-orm puts in
/// it: columns, a composite primary key, foreign keys and the comment. An unqualified one (most
/// entities) is returned as it is.
pub(crate) fn unqualified_table(stmt: &TableCreateStatement) -> TableCreateStatement {
    let qualified =
        |table: Option<&TableRef>| matches!(table, Some(TableRef::Table(TableName(Some(_), _), _)));
    let any_qualified = qualified(stmt.get_table_name())
        || stmt.get_foreign_key_create_stmts().iter().any(|key| {
            let spec = key.get_foreign_key();
            qualified(spec.get_table()) || qualified(spec.get_ref_table())
        });
    if !any_qualified {
        return stmt.clone();
    }
    let mut table = restated(stmt, unqualified);
    for key in stmt.get_foreign_key_create_stmts() {
        table.foreign_key(&mut unqualified_foreign_key(key));
    }
    if let Some(comment) = stmt.get_comment() {
        table.comment(comment);
    }
    if let Some(extra) = stmt.get_extra() {
        table.extra(extra);
    }
    table
}

/// A new CREATE TABLE with `stmt`'s columns and indexes, named as `name` makes it, and nothing
/// else: sea-query can neither take foreign keys out of a statement nor change them in place, so
/// a statement that needs other keys is restated from this.
pub(crate) fn restated(
    stmt: &TableCreateStatement,
    name: impl Fn(&TableRef) -> TableRef,
) -> TableCreateStatement {
    let mut table = sea_query::Table::create();
    if let Some(table_name) = stmt.get_table_name() {
        table.table(name(table_name));
    }
    for column in stmt.get_columns() {
        table.col(column.clone());
    }
    for index in stmt.get_indexes() {
        // Indexes inside the CREATE TABLE name no table.
        let mut index = index.clone();
        if index.is_primary_key() {
            table.primary_key(&mut index);
        } else {
            table.index(&mut index);
        }
    }
    table
}

fn unqualified_foreign_key(key: &ForeignKeyCreateStatement) -> ForeignKeyCreateStatement {
    let mut key = key.clone();
    let spec = key.get_foreign_key().clone();
    if let Some(table) = spec.get_table() {
        key.from_tbl(unqualified(table));
    }
    if let Some(table) = spec.get_ref_table() {
        key.to_tbl(unqualified(table));
    }
    key
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

/// An entity that the tool cannot represent (kept with the error type it becomes).
pub use makemigrations::error::UnsupportedColumn;

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
    let backend = crate::database::backend_label(backend);
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

    /// As `sea-orm-cli generate entity -s public` writes them.
    mod cli_entities {
        pub mod customers {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, DeriveEntityModel, Eq)]
            #[sea_orm(schema_name = "public", table_name = "customers")]
            pub struct Model {
                #[sea_orm(primary_key)]
                pub id: i32,
                #[sea_orm(unique)]
                pub email: String,
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }

        pub mod orders {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, DeriveEntityModel, Eq)]
            #[sea_orm(schema_name = "public", table_name = "orders")]
            pub struct Model {
                #[sea_orm(primary_key)]
                pub id: i32,
                #[sea_orm(indexed)]
                pub customer_id: i32,
                #[sea_orm(unique_key = "ref")]
                pub reference: String,
                #[sea_orm(unique_key = "ref")]
                pub year: i32,
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {
                #[sea_orm(
                    belongs_to = "super::customers::Entity",
                    from = "Column::CustomerId",
                    to = "super::customers::Column::Id",
                    on_update = "NoAction",
                    on_delete = "Cascade"
                )]
                Customers,
            }

            impl ActiveModelBehavior for ActiveModel {}
        }
    }

    #[test]
    fn schema_name_never_reaches_the_statements() {
        use sea_query::{MysqlQueryBuilder, PostgresQueryBuilder, SqliteQueryBuilder};
        let def = EntityDef::of::<cli_entities::orders::Entity>("entity::orders");
        for backend in [DbBackend::Postgres, DbBackend::MySql, DbBackend::Sqlite] {
            let statements = def.statements(backend).unwrap();
            assert_eq!(statements.schema_name.as_deref(), Some("public"));
            let mut sql = vec![
                statements.table.to_string(PostgresQueryBuilder),
                statements.table.to_string(MysqlQueryBuilder),
                statements.table.to_string(SqliteQueryBuilder),
            ];
            for index in &statements.indexes {
                sql.push(index.to_string(PostgresQueryBuilder));
            }
            for key in statements.table.get_foreign_key_create_stmts() {
                sql.push(key.to_string(PostgresQueryBuilder));
            }
            let all = sql.join("\n");
            assert!(!all.contains("public"), "{backend:?}: {all}");
            assert!(
                all.contains(r#"CREATE TABLE "orders""#)
                    && all.contains(r#"REFERENCES "customers" ("id")"#)
                    && all.contains(r#"ON DELETE CASCADE"#)
                    && all.contains(r#"CREATE INDEX "idx-orders-customer_id" ON "orders""#)
                    && all.contains(
                        r#"CREATE UNIQUE INDEX "idx-orders-ref" ON "orders" ("reference", "year")"#
                    ),
                "{backend:?}: {all}"
            );
        }
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
