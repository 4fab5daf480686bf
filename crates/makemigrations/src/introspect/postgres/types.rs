//! PostgreSQL's spellings (`format_type`, `pg_get_expr`) back to sea-query types and defaults.
//! Used for the live side only, where the old definition of a changed or dropped column must be
//! rendered in `down`; the desired side renders the entity's own types.

use makemigrations_core::{ColumnType, Default, DefaultValue};

pub fn column_type(data_type: &str) -> ColumnType {
    // `format_type` spells an array as its element type and `[]` (`character varying(20)[]`),
    // whatever its dimensions; the catalog's own name is `_varchar`.
    if let Some(element) = data_type.strip_suffix("[]") {
        return ColumnType::Array(Box::new(column_type(element)));
    }
    let (base, args) = split_args(data_type);
    let arg = |i: usize| args.get(i).copied();
    match base {
        "smallint" => ColumnType::SmallInteger,
        "integer" => ColumnType::Integer,
        "bigint" => ColumnType::BigInteger,
        "real" => ColumnType::Float,
        "double precision" => ColumnType::Double,
        "numeric" => ColumnType::Decimal(arg(0).zip(arg(1))),
        "boolean" => ColumnType::Boolean,
        "text" => ColumnType::Text,
        "character varying" => ColumnType::String(arg(0)),
        "character" => ColumnType::Char(arg(0)),
        "timestamp with time zone" => ColumnType::TimestampWithTimeZone,
        "timestamp without time zone" => ColumnType::DateTime,
        "time without time zone" => ColumnType::Time,
        "date" => ColumnType::Date,
        "uuid" => ColumnType::Uuid,
        "json" => ColumnType::Json,
        "jsonb" => ColumnType::JsonBinary,
        "bytea" => ColumnType::Blob,
        _ => ColumnType::Custom(data_type.to_string()),
    }
}

/// `numeric(10,2)` -> ("numeric", [10, 2]); `timestamp(3) with time zone` keeps its full name.
fn split_args(data_type: &str) -> (&str, Vec<u32>) {
    match data_type.split_once('(') {
        Some((base, rest)) if rest.ends_with(')') => {
            let args: Option<Vec<u32>> = rest[..rest.len() - 1]
                .split(',')
                .map(|a| a.trim().parse().ok())
                .collect();
            match args {
                Some(args) => (base, args),
                None => (data_type, Vec::new()),
            }
        }
        _ => (data_type, Vec::new()),
    }
}

/// A default as `pg_get_expr` prints it: `'abc'::character varying`, `0`, `true`,
/// `CURRENT_TIMESTAMP`, `'pending'::order_status`.
pub fn default_value(sql: &str) -> Default {
    let value = if let Some(text) = quoted_literal(sql) {
        DefaultValue::String(text)
    } else if sql == "true" || sql == "false" {
        DefaultValue::Bool(sql == "true")
    } else if let Ok(i) = sql.trim_matches(|c| c == '(' || c == ')').parse::<i64>() {
        DefaultValue::Int(i)
    } else if sql.parse::<f64>().is_ok() {
        DefaultValue::Float(sql.to_string())
    } else if sql.starts_with("NULL::") || sql == "NULL" {
        DefaultValue::Null
    } else {
        match sql {
            "CURRENT_TIMESTAMP" => DefaultValue::CurrentTimestamp,
            "CURRENT_DATE" => DefaultValue::CurrentDate,
            "CURRENT_TIME" => DefaultValue::CurrentTime,
            _ => DefaultValue::Custom(sql.to_string()),
        }
    };
    Default {
        sql: sql.to_string(),
        value,
    }
}

/// `'it''s'::text` -> `it's`; anything else -> None.
fn quoted_literal(sql: &str) -> Option<String> {
    let rest = sql.strip_prefix('\'')?;
    let mut out = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            if chars.peek() == Some(&'\'') {
                chars.next();
                out.push('\'');
                continue;
            }
            let tail: String = chars.collect();
            return (tail.is_empty() || tail.starts_with("::")).then_some(out);
        }
        out.push(c);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_types_back() {
        assert_eq!(
            column_type("character varying(120)"),
            ColumnType::String(Some(120))
        );
        assert_eq!(column_type("character varying"), ColumnType::String(None));
        assert_eq!(
            column_type("numeric(10,2)"),
            ColumnType::Decimal(Some((10, 2)))
        );
        assert_eq!(
            column_type("integer[]"),
            ColumnType::Array(Box::new(ColumnType::Integer))
        );
        assert_eq!(
            column_type("character varying(20)[]"),
            ColumnType::Array(Box::new(ColumnType::String(Some(20))))
        );
        assert_eq!(
            column_type("text[]"),
            ColumnType::Array(Box::new(ColumnType::Text))
        );
    }

    #[test]
    fn parses_defaults() {
        assert_eq!(
            default_value("'it''s'::text").value,
            DefaultValue::String("it's".into())
        );
        assert_eq!(
            default_value("'pending'::order_status").value,
            DefaultValue::String("pending".into())
        );
        assert_eq!(default_value("0").value, DefaultValue::Int(0));
        assert_eq!(default_value("true").value, DefaultValue::Bool(true));
        assert_eq!(
            default_value("1.5").value,
            DefaultValue::Float("1.5".into())
        );
        assert_eq!(
            default_value("CURRENT_TIMESTAMP").value,
            DefaultValue::CurrentTimestamp
        );
        assert_eq!(
            default_value("'{}'::text[]").value,
            DefaultValue::String("{}".into())
        );
        assert_eq!(
            default_value("ARRAY['a'::text, 'b'::text]").value,
            DefaultValue::Custom("ARRAY['a'::text, 'b'::text]".into())
        );
        assert_eq!(
            default_value("now()").value,
            DefaultValue::Custom("now()".into())
        );
    }
}
