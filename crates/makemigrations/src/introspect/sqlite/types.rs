//! SQLite's declared types (as sea-query writes them) back to sea-query types, and defaults as
//! `pragma_table_info` reports them. SQLite keeps the declared type verbatim, so the mapping is
//! exact except where sea-query itself writes two types alike (`integer` for i32 and i64).

use makemigrations_core::{ColumnType, Default, DefaultValue};

pub fn column_type(declared: &str) -> ColumnType {
    let lower = declared.to_ascii_lowercase();
    let (base, args) = match lower.split_once('(') {
        Some((base, rest)) => {
            let args: Vec<u32> = rest
                .trim_end_matches(')')
                .split(',')
                .filter_map(|a| a.trim().parse().ok())
                .collect();
            (base.trim().to_string(), args)
        }
        None => (lower.trim().to_string(), Vec::new()),
    };
    let arg = |i: usize| args.get(i).copied();
    match base.as_str() {
        "char" => ColumnType::Char(arg(0)),
        "varchar" => ColumnType::String(arg(0)),
        "text" => ColumnType::Text,
        "tinyint" => ColumnType::TinyInteger,
        "smallint" => ColumnType::SmallInteger,
        "integer" => ColumnType::Integer,
        "bigint" => ColumnType::BigInteger,
        "float" => ColumnType::Float,
        "double" => ColumnType::Double,
        "real" if args.len() == 2 => ColumnType::Decimal(arg(0).zip(arg(1))),
        "real_decimal" => ColumnType::Decimal(None),
        "datetime_text" => ColumnType::DateTime,
        "timestamp_text" => ColumnType::Timestamp,
        "timestamp_with_timezone_text" => ColumnType::TimestampWithTimeZone,
        "time_text" => ColumnType::Time,
        "date_text" => ColumnType::Date,
        "blob" if args.len() == 1 => ColumnType::Binary(args[0]),
        "blob" => ColumnType::Blob,
        "varbinary_blob" => ColumnType::VarBinary(arg(0)),
        "boolean" => ColumnType::Boolean,
        "json_text" => ColumnType::Json,
        "jsonb_text" => ColumnType::JsonBinary,
        "uuid_text" => ColumnType::Uuid,
        _ => ColumnType::Custom(declared.to_string()),
    }
}

/// A default as SQLite keeps it: the text written after DEFAULT.
pub fn default_value(sql: &str) -> Default {
    let upper = sql.to_ascii_uppercase();
    let value = if let Some(text) = sql.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        DefaultValue::String(text.replace("''", "'"))
    } else if upper == "TRUE" || upper == "FALSE" {
        DefaultValue::Bool(upper == "TRUE")
    } else if let Ok(i) = sql.parse::<i64>() {
        DefaultValue::Int(i)
    } else if sql.parse::<f64>().is_ok() {
        DefaultValue::Float(sql.to_string())
    } else {
        match upper.as_str() {
            "NULL" => DefaultValue::Null,
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
