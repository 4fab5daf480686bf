//! MySQL's and MariaDB's spellings (`COLUMN_TYPE`, `COLUMN_DEFAULT`) back to sea-query types and
//! defaults. The type mapping inverts what sea-query writes for MySQL, in both the MariaDB and the
//! MySQL 8.0.19+ spelling (`int(11)` / `int`); where sea-query writes two types alike (`binary(16)`
//! for Uuid and Binary(16), `json` for Json and JsonBinary) the plainer one is returned.

use makemigrations_core::{ColumnType, Default, DefaultValue};

pub fn column_type(column_type: &str) -> ColumnType {
    if let Some(variants) = enum_variants(column_type) {
        // The type's name exists only in the entity; the caller overlays it.
        return ColumnType::Enum {
            name: String::new(),
            variants,
        };
    }
    let (base, unsigned) = match column_type.strip_suffix(" unsigned") {
        Some(base) => (base, true),
        None => (column_type, false),
    };
    let Some((name, args)) = split_args(base) else {
        return ColumnType::Custom(column_type.to_string());
    };
    let arg = |i: usize| args.get(i).copied();
    match (name, unsigned, args.as_slice()) {
        // sea-query writes `bool`, which both servers store as `tinyint(1)`.
        ("tinyint", false, [1]) => ColumnType::Boolean,
        ("tinyint", false, _) => ColumnType::TinyInteger,
        ("tinyint", true, _) => ColumnType::TinyUnsigned,
        ("smallint", false, _) => ColumnType::SmallInteger,
        ("smallint", true, _) => ColumnType::SmallUnsigned,
        ("int", false, _) => ColumnType::Integer,
        ("int", true, _) => ColumnType::Unsigned,
        ("bigint", false, _) => ColumnType::BigInteger,
        ("bigint", true, _) => ColumnType::BigUnsigned,
        (_, true, _) => ColumnType::Custom(column_type.to_string()),
        ("float", _, []) => ColumnType::Float,
        ("double", _, []) => ColumnType::Double,
        ("decimal", _, _) => ColumnType::Decimal(arg(0).zip(arg(1))),
        ("varchar", _, _) => ColumnType::String(arg(0)),
        ("char", _, _) => ColumnType::Char(arg(0)),
        ("text", _, []) => ColumnType::Text,
        ("blob", _, []) => ColumnType::Blob,
        ("binary", _, [n]) => ColumnType::Binary(*n),
        ("varbinary", _, _) => ColumnType::VarBinary(arg(0)),
        ("date", _, []) => ColumnType::Date,
        ("time", _, []) => ColumnType::Time,
        ("datetime", _, []) => ColumnType::DateTime,
        ("timestamp", _, []) => ColumnType::Timestamp,
        ("json", _, []) => ColumnType::Json,
        _ => ColumnType::Custom(column_type.to_string()),
    }
}

/// `decimal(10,2)` -> ("decimal", [10, 2]); None when the arguments are not numbers.
fn split_args(column_type: &str) -> Option<(&str, Vec<u32>)> {
    match column_type.split_once('(') {
        Some((name, rest)) => {
            let args = rest.strip_suffix(')')?.split(',');
            let args: Option<Vec<u32>> = args.map(|a| a.trim().parse().ok()).collect();
            Some((name, args?))
        }
        None => Some((column_type, Vec::new())),
    }
}

/// `enum('a','b''c')` -> ["a", "b'c"].
fn enum_variants(column_type: &str) -> Option<Vec<String>> {
    let mut rest = column_type.strip_prefix("enum(")?.strip_suffix(')')?;
    let mut variants = Vec::new();
    loop {
        let (variant, tail) = unquote(rest)?;
        variants.push(variant);
        match tail.strip_prefix(',') {
            Some(tail) => rest = tail,
            None if tail.is_empty() => return Some(variants),
            None => return None,
        }
    }
}

/// The column named by MariaDB's JSON check, `json_valid(`col`)`: MariaDB stores a JSON column
/// as `longtext` plus this constraint, which is all that tells the two apart.
pub fn json_check_column(clause: &str) -> Option<String> {
    let name = clause.strip_prefix("json_valid(`")?.strip_suffix("`)")?;
    Some(name.replace("``", "`"))
}

/// `COLUMN_DEFAULT` in one spelling for both servers, or None for no default. MariaDB (10.2.7+)
/// reports SQL (`'abc'`, `0`, `current_timestamp()`) and the text `NULL` for a nullable column
/// without a default; MySQL 8 reports literals unquoted, SQL NULL for none, and expressions only
/// with `DEFAULT_GENERATED` in `EXTRA`. MySQL's plain literals are quoted the way MariaDB quotes
/// them, so that a default reads the same whichever server the database lives on.
pub fn default_sql(
    column_default: Option<String>,
    extra: &str,
    column_type: &str,
    mariadb: bool,
) -> Option<String> {
    let raw = column_default?;
    if mariadb {
        return (raw != "NULL").then_some(raw);
    }
    if extra.contains("DEFAULT_GENERATED") || is_numeric(column_type) {
        return Some(raw);
    }
    Some(quote(&raw))
}

/// Types whose literal defaults both servers write unquoted (`0`, `1.5`, `b'1'`, `2024`).
fn is_numeric(column_type: &str) -> bool {
    let name = column_type.split(['(', ' ']).next().unwrap_or_default();
    matches!(
        name,
        "tinyint"
            | "smallint"
            | "mediumint"
            | "int"
            | "bigint"
            | "decimal"
            | "float"
            | "double"
            | "bit"
            | "year"
    )
}

/// A default in the spelling of [`default_sql`]. The column type tells `0`/`1` on a boolean
/// column from integers.
pub fn default_value(sql: &str, col_type: &ColumnType) -> Default {
    let value = if let Some((text, "")) = unquote(sql) {
        DefaultValue::String(text)
    } else if let Ok(i) = sql.parse::<i64>() {
        match (col_type, i) {
            (ColumnType::Boolean, 0 | 1) => DefaultValue::Bool(i == 1),
            _ => DefaultValue::Int(i),
        }
    } else if sql.parse::<f64>().is_ok() {
        DefaultValue::Float(sql.to_string())
    } else {
        match sql.to_ascii_lowercase().as_str() {
            "current_timestamp()" | "current_timestamp" => DefaultValue::CurrentTimestamp,
            "curdate()" | "current_date" => DefaultValue::CurrentDate,
            "curtime()" | "current_time" => DefaultValue::CurrentTime,
            _ => DefaultValue::Custom(sql.to_string()),
        }
    };
    Default {
        sql: sql.to_string(),
        value,
    }
}

/// A leading string literal and what follows it: `'it''s \\ x',...` -> (`it's \ x`, `,...`).
fn unquote(sql: &str) -> Option<(String, &str)> {
    let rest = sql.strip_prefix('\'')?;
    let mut out = String::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' if chars.peek().is_some_and(|&(_, next)| next == '\'') => {
                chars.next();
                out.push('\'');
            }
            '\'' => return Some((out, &rest[i + 1..])),
            '\\' => out.push(match chars.next()?.1 {
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                '0' => '\0',
                'b' => '\u{8}',
                'Z' => '\u{1a}',
                other => other,
            }),
            _ => out.push(c),
        }
    }
    None
}

/// A string literal as MariaDB prints one in `COLUMN_DEFAULT` and `SHOW CREATE TABLE`.
fn quote(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        match c {
            '\'' => out.push_str("''"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            '\u{1a}' => out.push_str("\\Z"),
            _ => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_mariadb_types_back() {
        for (spelling, expected) in [
            ("tinyint(1)", ColumnType::Boolean),
            ("tinyint(4)", ColumnType::TinyInteger),
            ("smallint(6)", ColumnType::SmallInteger),
            ("int(11)", ColumnType::Integer),
            ("bigint(20)", ColumnType::BigInteger),
            ("tinyint(3) unsigned", ColumnType::TinyUnsigned),
            ("smallint(5) unsigned", ColumnType::SmallUnsigned),
            ("int(10) unsigned", ColumnType::Unsigned),
            ("bigint(20) unsigned", ColumnType::BigUnsigned),
            ("float", ColumnType::Float),
            ("double", ColumnType::Double),
            ("decimal(10,2)", ColumnType::Decimal(Some((10, 2)))),
            ("varchar(255)", ColumnType::String(Some(255))),
            ("char(1)", ColumnType::Char(Some(1))),
            ("text", ColumnType::Text),
            ("blob", ColumnType::Blob),
            ("binary(16)", ColumnType::Binary(16)),
            ("varbinary(32)", ColumnType::VarBinary(Some(32))),
            ("date", ColumnType::Date),
            ("time", ColumnType::Time),
            ("datetime", ColumnType::DateTime),
            ("timestamp", ColumnType::Timestamp),
            ("json", ColumnType::Json),
        ] {
            assert_eq!(column_type(spelling), expected, "{spelling}");
        }
    }

    #[test]
    fn maps_mysql8_types_back() {
        assert_eq!(column_type("int"), ColumnType::Integer);
        assert_eq!(column_type("tinyint"), ColumnType::TinyInteger);
        assert_eq!(column_type("bigint unsigned"), ColumnType::BigUnsigned);
    }

    #[test]
    fn keeps_what_sea_query_does_not_write_as_custom() {
        for spelling in [
            "mediumint(9)",
            "longtext",
            "mediumtext",
            "datetime(3)",
            "int(10) unsigned zerofill",
            "decimal(10,2) unsigned",
            "set('a','b')",
            "year(4)",
        ] {
            assert_eq!(
                column_type(spelling),
                ColumnType::Custom(spelling.into()),
                "{spelling}"
            );
        }
    }

    #[test]
    fn reads_enum_variants() {
        assert_eq!(
            column_type(r"enum('a','b''c','x\\y')"),
            ColumnType::Enum {
                name: String::new(),
                variants: vec!["a".into(), "b'c".into(), r"x\y".into()],
            }
        );
    }

    #[test]
    fn finds_mariadb_json_columns() {
        assert_eq!(json_check_column("json_valid(`data`)"), Some("data".into()));
        assert_eq!(json_check_column("json_valid(`a``b`)"), Some("a`b".into()));
        assert_eq!(json_check_column("`n` > 0"), None);
    }

    #[test]
    fn spells_defaults_alike_on_both_servers() {
        let mariadb = |raw: Option<&str>, ty| default_sql(raw.map(Into::into), "", ty, true);
        let mysql =
            |raw: Option<&str>, extra, ty| default_sql(raw.map(Into::into), extra, ty, false);
        assert_eq!(mariadb(Some("NULL"), "varchar(5)"), None);
        assert_eq!(mariadb(None, "varchar(5)"), None);
        assert_eq!(mysql(None, "", "varchar(5)"), None);
        assert_eq!(
            mariadb(Some("'NULL'"), "varchar(5)").as_deref(),
            Some("'NULL'")
        );
        assert_eq!(
            mysql(Some("NULL"), "", "varchar(5)").as_deref(),
            Some("'NULL'")
        );
        assert_eq!(
            mysql(Some("it's \\ x"), "", "varchar(50)"),
            mariadb(Some("'it''s \\\\ x'"), "varchar(50)")
        );
        assert_eq!(
            mysql(Some("a"), "", "enum('a','b')").as_deref(),
            Some("'a'")
        );
        assert_eq!(mysql(Some("0"), "", "int").as_deref(), Some("0"));
        assert_eq!(mysql(Some("1.5"), "", "float").as_deref(), Some("1.5"));
        assert_eq!(
            mysql(Some("CURRENT_TIMESTAMP"), "DEFAULT_GENERATED", "timestamp").as_deref(),
            Some("CURRENT_TIMESTAMP")
        );
    }

    #[test]
    fn parses_defaults() {
        let value = |sql, ty| default_value(sql, &ty).value;
        assert_eq!(
            value(r"'it''s \\ x\n'", ColumnType::Text),
            DefaultValue::String("it's \\ x\n".into())
        );
        assert_eq!(
            value("''", ColumnType::Text),
            DefaultValue::String("".into())
        );
        assert_eq!(value("0", ColumnType::Integer), DefaultValue::Int(0));
        assert_eq!(value("-3", ColumnType::Integer), DefaultValue::Int(-3));
        assert_eq!(value("1", ColumnType::Boolean), DefaultValue::Bool(true));
        assert_eq!(value("0", ColumnType::Boolean), DefaultValue::Bool(false));
        assert_eq!(
            value("2.50", ColumnType::Decimal(Some((10, 2)))),
            DefaultValue::Float("2.50".into())
        );
        for (sql, expected) in [
            ("current_timestamp()", DefaultValue::CurrentTimestamp),
            ("CURRENT_TIMESTAMP", DefaultValue::CurrentTimestamp),
            ("curdate()", DefaultValue::CurrentDate),
            ("curtime()", DefaultValue::CurrentTime),
            ("(1 + 2)", DefaultValue::Custom("(1 + 2)".into())),
            (
                "current_timestamp(3)",
                DefaultValue::Custom("current_timestamp(3)".into()),
            ),
            ("'a' 'b'", DefaultValue::Custom("'a' 'b'".into())),
        ] {
            assert_eq!(value(sql, ColumnType::DateTime), expected, "{sql}");
        }
        assert_eq!(
            default_value("curdate()", &ColumnType::Date).sql,
            "curdate()"
        );
    }
}
