//! PostgreSQL discovery: five `pg_catalog` queries for a whole schema, whatever its size.

use std::collections::BTreeMap;

use makemigrations_core::{
    Column, ColumnType, EnumType, ForeignKey, ForeignKeyAction, Index, Schema, Table,
};
use sea_orm::{ConnectionTrait, DbErr};

use super::{json_strings, query};

mod types;
pub use types::{column_type, default_value};

const TABLES: &str = r#"
SELECT c.relname::text AS table_name, obj_description(c.oid, 'pg_class') AS comment
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')
ORDER BY 1"#;

const COLUMNS: &str = r#"
SELECT c.relname::text AS table_name, a.attname::text AS column_name,
       format_type(a.atttypid, a.atttypmod) AS data_type,
       t.typtype::text AS type_kind, t.typname::text AS type_name,
       a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default_expr,
       a.attidentity::text AS identity, col_description(c.oid, a.attnum) AS comment
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum"#;

const CONSTRAINTS: &str = r#"
SELECT c.relname::text AS table_name, con.conname::text AS name, con.contype::text AS kind,
       (SELECT json_agg(a.attname ORDER BY k.ord)
          FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum)::text AS columns,
       rc.relname::text AS ref_table,
       (SELECT json_agg(a.attname ORDER BY k.ord)
          FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum)::text AS ref_columns,
       con.confupdtype::text AS on_update, con.confdeltype::text AS on_delete
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
WHERE n.nspname = $1 AND con.contype IN ('p', 'u', 'f')
ORDER BY c.relname, con.conname"#;

/// Indexes that no constraint owns (primary keys and UNIQUE constraints are read above).
/// Expression and partial indexes are left out: the tool cannot describe them, so it must never
/// propose to drop them.
const INDEXES: &str = r#"
SELECT t.relname::text AS table_name, i.relname::text AS index_name, ix.indisunique AS is_unique,
       (SELECT json_agg(a.attname ORDER BY k.ord)
          FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum)::text AS columns
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = $1 AND NOT ix.indisprimary AND ix.indexprs IS NULL AND ix.indpred IS NULL
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                  WHERE con.conindid = ix.indexrelid AND con.contype IN ('p', 'u', 'x'))
ORDER BY t.relname, i.relname"#;

const ENUMS: &str = r#"
SELECT t.typname::text AS name, json_agg(e.enumlabel ORDER BY e.enumsortorder)::text AS labels
FROM pg_type t
JOIN pg_enum e ON e.enumtypid = t.oid
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = $1
GROUP BY t.typname
ORDER BY 1"#;

pub async fn discover<C: ConnectionTrait>(conn: &C, schema_name: &str) -> Result<Schema, DbErr> {
    let arg = || vec![sea_orm::Value::from(schema_name.to_string())];
    let mut schema = Schema::default();

    for row in query(conn, ENUMS, arg()).await? {
        let name: String = row.try_get("", "name")?;
        let values = json_strings(row.try_get("", "labels")?)?;
        schema.enums.insert(name.clone(), EnumType { name, values });
    }

    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    for row in query(conn, TABLES, arg()).await? {
        let name: String = row.try_get("", "table_name")?;
        let mut table = Table::new(name.clone());
        table.comment = row.try_get("", "comment")?;
        tables.insert(name, table);
    }

    for row in query(conn, COLUMNS, arg()).await? {
        let table_name: String = row.try_get("", "table_name")?;
        let Some(table) = tables.get_mut(&table_name) else {
            continue;
        };
        let data_type: String = row.try_get("", "data_type")?;
        let type_kind: String = row.try_get("", "type_kind")?;
        let type_name: String = row.try_get("", "type_name")?;
        let identity: String = row.try_get("", "identity")?;
        let default_expr: Option<String> = row.try_get("", "default_expr")?;
        let col_type = if type_kind == "e" {
            let variants = schema
                .enums
                .get(&type_name)
                .map(|e| e.values.clone())
                .unwrap_or_default();
            ColumnType::Enum {
                name: type_name.clone(),
                variants,
            }
        } else {
            column_type(&data_type)
        };
        // A serial column is an auto-increment column whose default is its sequence: the same
        // thing as an identity column, for every purpose of this tool.
        let is_serial = default_expr
            .as_deref()
            .is_some_and(|d| d.starts_with("nextval("));
        let mut column = Column::new(
            row.try_get::<String>("", "column_name")?,
            col_type,
            data_type,
        );
        column.nullable = !row.try_get::<bool>("", "not_null")?;
        column.auto_increment = !identity.is_empty() || is_serial;
        column.default = default_expr
            .filter(|_| !is_serial)
            .map(|sql| default_value(&sql));
        column.comment = row.try_get("", "comment")?;
        table.columns.push(column);
    }

    for row in query(conn, CONSTRAINTS, arg()).await? {
        let table_name: String = row.try_get("", "table_name")?;
        let Some(table) = tables.get_mut(&table_name) else {
            continue;
        };
        let kind: String = row.try_get("", "kind")?;
        let name: String = row.try_get("", "name")?;
        let columns = json_strings(row.try_get("", "columns")?)?;
        match kind.as_str() {
            "p" => table.primary_key = columns,
            "u" if columns.len() == 1 => {
                if let Some(column) = table.columns.iter_mut().find(|c| c.name == columns[0]) {
                    column.unique = true;
                }
            }
            "u" => table.indexes.push(Index {
                name,
                columns,
                unique: true,
            }),
            "f" => table.foreign_keys.push(ForeignKey {
                name: Some(name),
                columns,
                ref_table: row
                    .try_get::<Option<String>>("", "ref_table")?
                    .unwrap_or_default(),
                ref_columns: json_strings(row.try_get("", "ref_columns")?)?,
                on_update: action(&row.try_get::<String>("", "on_update")?),
                on_delete: action(&row.try_get::<String>("", "on_delete")?),
            }),
            _ => {}
        }
    }

    for row in query(conn, INDEXES, arg()).await? {
        let table_name: String = row.try_get("", "table_name")?;
        let Some(table) = tables.get_mut(&table_name) else {
            continue;
        };
        table.indexes.push(Index {
            name: row.try_get("", "index_name")?,
            columns: json_strings(row.try_get("", "columns")?)?,
            unique: row.try_get("", "is_unique")?,
        });
    }

    for table in tables.values_mut() {
        table.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        table
            .foreign_keys
            .sort_by(|a, b| a.signature().cmp(&b.signature()));
    }
    schema.tables = tables;
    Ok(schema)
}

/// `pg_constraint.confdeltype` / `confupdtype` codes.
fn action(code: &str) -> ForeignKeyAction {
    match code {
        "r" => ForeignKeyAction::Restrict,
        "c" => ForeignKeyAction::Cascade,
        "n" => ForeignKeyAction::SetNull,
        "d" => ForeignKeyAction::SetDefault,
        _ => ForeignKeyAction::NoAction,
    }
}
