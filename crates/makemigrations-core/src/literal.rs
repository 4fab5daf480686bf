//! SQL literals that a user gives for existing rows (`--default users.phone='n/a'`, or the answer
//! at the prompt), checked against the column's type before anything is written: a literal that
//! does not fit fails here with the reason, not later in `migrate` (`abc` for a text column used to
//! become `Expr::cust("abc")`, a column reference).

use crate::schema::{Column, ColumnType, Default, DefaultValue};

/// The value `text` gives `column`, or why it is not a literal of the column's type.
pub fn parse_literal(column: &Column, text: &str) -> Result<Default, String> {
    let text = text.trim();
    let value = value_of(&column.col_type, text).map_err(|why| {
        format!(
            "`{text}` is not a value for {} ({}): {why}",
            column.name,
            type_name(&column.col_type)
        )
    })?;
    Ok(Default {
        sql: text.to_string(),
        value,
    })
}

fn value_of(col_type: &ColumnType, text: &str) -> Result<DefaultValue, String> {
    use ColumnType::*;
    if text.eq_ignore_ascii_case("null") {
        return Err("NULL is what the rows must not hold".into());
    }
    match col_type {
        TinyInteger | SmallInteger | Integer | BigInteger | TinyUnsigned | SmallUnsigned
        | Unsigned | BigUnsigned => {
            let (min, max) = integer_range(col_type);
            let n: i128 = text
                .parse()
                .map_err(|_| "give a whole number, like 0 or 42".to_string())?;
            if n < min || n > max {
                return Err(format!("it must be between {min} and {max}"));
            }
            i64::try_from(n)
                .map(DefaultValue::Int)
                .map_err(|_| "numbers above 9223372036854775807 are not supported".to_string())
        }
        Float | Double | Decimal(_) => text
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|_| DefaultValue::Float(text.to_string()))
            .ok_or_else(|| "give a number, like 0 or 2.5".to_string()),
        Boolean => match text.to_ascii_lowercase().as_str() {
            "true" => Ok(DefaultValue::Bool(true)),
            "false" => Ok(DefaultValue::Bool(false)),
            _ => Err("give true or false".into()),
        },
        String(len) | Char(len) => {
            let s = quoted(text)?;
            match len {
                Some(n) if s.chars().count() > *n as usize => {
                    Err(format!("it is longer than {n} characters"))
                }
                _ => Ok(DefaultValue::String(s)),
            }
        }
        Text => quoted(text).map(DefaultValue::String),
        Enum { variants, .. } => {
            let s = quoted(text)?;
            if variants.contains(&s) {
                Ok(DefaultValue::String(s))
            } else {
                Err(format!("give one of {}", quoted_list(variants)))
            }
        }
        Date if text.eq_ignore_ascii_case("current_date") => Ok(DefaultValue::CurrentDate),
        Date => {
            let s = quoted(text).map_err(|_| "give a date, like '2000-01-01'".to_string())?;
            is_date(&s)
                .then_some(DefaultValue::String(s))
                .ok_or_else(|| "give a date, like '2000-01-01'".into())
        }
        Time if text.eq_ignore_ascii_case("current_time") => Ok(DefaultValue::CurrentTime),
        Time => {
            let s = quoted(text).map_err(|_| "give a time, like '12:00:00'".to_string())?;
            is_time(&s)
                .then_some(DefaultValue::String(s))
                .ok_or_else(|| "give a time, like '12:00:00'".into())
        }
        DateTime | Timestamp | TimestampWithTimeZone
            if text.eq_ignore_ascii_case("current_timestamp") =>
        {
            Ok(DefaultValue::CurrentTimestamp)
        }
        DateTime | Timestamp | TimestampWithTimeZone => {
            let hint = "give a timestamp, like '2000-01-01 00:00:00', or CURRENT_TIMESTAMP";
            let s = quoted(text).map_err(|_| hint.to_string())?;
            is_timestamp(&s, *col_type == TimestampWithTimeZone)
                .then_some(DefaultValue::String(s))
                .ok_or_else(|| hint.into())
        }
        Uuid => {
            let s = quoted(text)
                .map_err(|_| "give a quoted uuid, like '00000000-0000-0000-0000-000000000000'")?;
            is_uuid(&s)
                .then_some(DefaultValue::String(s))
                .ok_or_else(|| "give a uuid, like '00000000-0000-0000-0000-000000000000'".into())
        }
        Json | JsonBinary => {
            let s = quoted(text).map_err(|_| "give quoted JSON, like '{}' or '[]'".to_string())?;
            serde_json::from_str::<serde_json::Value>(&s)
                .map(|_| DefaultValue::String(s))
                .map_err(|e| format!("it is not JSON ({e})"))
        }
        // PostgreSQL's array literal; its elements are checked by the database when it runs.
        Array(_) => {
            let hint = "give a quoted array literal, like '{}' or '{a,b}' (ARRAY[..] is not accepted here)";
            let s = quoted(text).map_err(|_| hint.to_string())?;
            (s.starts_with('{') && s.ends_with('}'))
                .then_some(DefaultValue::String(s))
                .ok_or_else(|| hint.into())
        }
        Binary(_) | VarBinary(_) | Blob | Custom(_) => Err(
            "a one-off value cannot be checked for this type; use --backfill and write the values in the migration"
                .into(),
        ),
    }
}

/// The inclusive range of an integer type, as every backend stores it; `(0, 0)` for others.
pub fn integer_range(col_type: &ColumnType) -> (i128, i128) {
    use ColumnType::*;
    match col_type {
        TinyInteger => (i8::MIN.into(), i8::MAX.into()),
        SmallInteger => (i16::MIN.into(), i16::MAX.into()),
        Integer => (i32::MIN.into(), i32::MAX.into()),
        BigInteger => (i64::MIN.into(), i64::MAX.into()),
        TinyUnsigned => (0, u8::MAX.into()),
        SmallUnsigned => (0, u16::MAX.into()),
        Unsigned => (0, u32::MAX.into()),
        BigUnsigned => (0, u64::MAX.into()),
        _ => (0, 0),
    }
}

/// `'it''s'` -> `it's`.
fn quoted(text: &str) -> Result<String, String> {
    let inner = text
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .filter(|_| text.len() >= 2)
        .ok_or_else(|| format!("text is quoted in SQL, like '{}'", text.replace('\'', "''")))?;
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            if chars.peek() != Some(&'\'') {
                return Err("a quote inside the text is written twice, like 'it''s'".into());
            }
            chars.next();
        }
        out.push(c);
    }
    Ok(out)
}

fn quoted_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| sql_string(v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `it's` -> `'it''s'`.
pub fn sql_string(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let (Some(y), Some(m), Some(d)) = (digits(y, 4), digits(m, 2), digits(d, 2)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

fn is_time(s: &str) -> bool {
    let (hms, fraction) = s.split_once('.').unwrap_or((s, "0"));
    let parts: Vec<&str> = hms.split(':').collect();
    let [h, m, rest @ ..] = parts.as_slice() else {
        return false;
    };
    let sec_ok = match rest {
        [] => true,
        [sec] => digits(sec, 2).is_some_and(|s| s < 60),
        _ => false,
    };
    digits(h, 2).is_some_and(|h| h < 24)
        && digits(m, 2).is_some_and(|m| m < 60)
        && sec_ok
        && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

fn is_timestamp(s: &str, with_zone: bool) -> bool {
    let Some((date, rest)) = s.split_once([' ', 'T']) else {
        return is_date(s);
    };
    let time = if with_zone {
        let rest = rest.strip_suffix('Z').unwrap_or(rest);
        match rest.rfind(['+', '-']) {
            Some(i) if i >= 5 => &rest[..i],
            _ => rest,
        }
    } else {
        rest
    };
    is_date(date) && is_time(time)
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The column's type as a user reads it in a message: `varchar(255)`, `integer`, `enum order_status`.
pub fn type_name(col_type: &ColumnType) -> String {
    use ColumnType::*;
    match col_type {
        Char(Some(n)) => format!("char({n})"),
        String(Some(n)) => format!("varchar({n})"),
        String(None) => "varchar".into(),
        Decimal(Some((p, s))) => format!("decimal({p}, {s})"),
        Binary(n) => format!("binary({n})"),
        VarBinary(Some(n)) => format!("varbinary({n})"),
        Enum { name, .. } => format!("enum {name}"),
        Custom(sql) => sql.clone(),
        Array(element) => format!("{}[]", type_name(element)),
        other => format!("{other:?}").to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(col_type: ColumnType) -> Column {
        Column::new("c", col_type, "")
    }

    fn ok(col_type: ColumnType, text: &str) -> DefaultValue {
        parse_literal(&column(col_type), text).unwrap().value
    }

    fn err(col_type: ColumnType, text: &str) -> String {
        parse_literal(&column(col_type), text).unwrap_err()
    }

    #[test]
    fn literals_of_each_type() {
        assert_eq!(ok(ColumnType::Integer, "42"), DefaultValue::Int(42));
        assert_eq!(
            ok(ColumnType::BigInteger, "5000000000"),
            DefaultValue::Int(5_000_000_000)
        );
        assert_eq!(ok(ColumnType::Boolean, "TRUE"), DefaultValue::Bool(true));
        assert_eq!(
            ok(ColumnType::String(Some(5)), "'it''s'"),
            DefaultValue::String("it's".into())
        );
        assert_eq!(
            ok(ColumnType::Date, "'2000-02-29'"),
            DefaultValue::String("2000-02-29".into())
        );
        assert_eq!(
            ok(
                ColumnType::TimestampWithTimeZone,
                "'2000-01-01 10:00:00+02:00'"
            ),
            DefaultValue::String("2000-01-01 10:00:00+02:00".into())
        );
        assert_eq!(
            ok(ColumnType::Timestamp, "current_timestamp"),
            DefaultValue::CurrentTimestamp
        );
        assert_eq!(
            ok(ColumnType::Decimal(Some((10, 2))), "2.50"),
            DefaultValue::Float("2.50".into())
        );
        assert_eq!(
            ok(ColumnType::Json, "'{\"a\": 1}'"),
            DefaultValue::String("{\"a\": 1}".into())
        );
    }

    #[test]
    fn what_does_not_fit_is_refused_with_the_reason() {
        assert!(err(ColumnType::Text, "abc").contains("text is quoted in SQL, like 'abc'"));
        assert!(err(ColumnType::Integer, "'1'").contains("whole number"));
        assert!(err(ColumnType::SmallInteger, "40000").contains("between -32768 and 32767"));
        assert!(err(ColumnType::String(Some(3)), "'abcd'").contains("longer than 3"));
        assert!(err(ColumnType::Date, "'2001-02-29'").contains("a date"));
        assert!(err(ColumnType::Boolean, "1").contains("true or false"));
        assert!(err(ColumnType::Text, "NULL").contains("NULL"));
        assert!(err(ColumnType::Uuid, "'123'").contains("uuid"));
        let status = ColumnType::Enum {
            name: "status".into(),
            variants: vec!["new".into(), "done".into()],
        };
        assert!(err(status, "'old'").contains("give one of 'new', 'done'"));
        assert!(err(ColumnType::Blob, "'x'").contains("--backfill"));
        let tags = ColumnType::Array(Box::new(ColumnType::Text));
        assert!(err(tags.clone(), "ARRAY['a']").contains("'{a,b}'"));
        assert!(err(tags.clone(), "'a,b'").contains("array literal"));
        assert_eq!(ok(tags, "'{a,b}'"), DefaultValue::String("{a,b}".into()));
    }
}
