//! Which tables a migration file's code can touch, read from its tokens, so that `migrate`
//! validates those tables (and the tables whose foreign keys point at them) instead of all.
//!
//! The rule is an allow list, so that whatever it does not know makes the answer "any table":
//! - every identifier of the code must be one the generated files use (sea-query builders,
//!   the prelude's helpers, the `up`/`down` scaffolding), and the only macro `vec!`;
//! - then every table the code can name is spelled in one of its string literals (nothing else
//!   can make a string: no constants, no variables from elsewhere, no `format!`, no raw SQL,
//!   which needs `get_connection`), and the names are those literals and each word in them.
//!
//! Doc comments do not count (they are not code); a literal that is sliced (`"xusers"[1..]`) or
//! a `+` (`"us".to_owned() + "ers"`) makes the answer "any table".

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// The identifiers of generated migration files (makemigrations-core's render.rs): Rust's
/// scaffolding, sea-query's builders and values, and the helpers of `makemigrations::prelude`.
const VOCABULARY: &[&str] = &[
    // Rust and the migration's scaffolding.
    "use",
    "pub",
    "struct",
    "impl",
    "for",
    "async",
    "fn",
    "self",
    "let",
    "if",
    "return",
    "await",
    "Ok",
    "Some",
    "None",
    "Result",
    "true",
    "false",
    "_",
    "derive",
    "async_trait",
    "makemigrations",
    "prelude",
    "DeriveMigrationName",
    "Migration",
    "MigrationTrait",
    "SchemaManager",
    "DbErr",
    "manager",
    "up",
    "down",
    // SchemaManager.
    "create_table",
    "alter_table",
    "drop_table",
    "rename_table",
    "create_index",
    "exec_stmt",
    // Statement builders.
    "Table",
    "Index",
    "ForeignKey",
    "ColumnDef",
    "Query",
    "Expr",
    "Alias",
    "ForeignKeyAction",
    "create",
    "alter",
    "drop",
    "rename",
    "table",
    "col",
    "name",
    "unique",
    "primary_key",
    "index",
    "foreign_key",
    "from",
    "to",
    "on_delete",
    "on_update",
    "to_owned",
    "comment",
    "rename_column",
    "update",
    "value",
    "and_where",
    "eq",
    "is_null",
    "cust",
    "current_timestamp",
    "current_date",
    "current_time",
    "new",
    "new_with_type",
    "into_iden",
    "null",
    "not_null",
    "auto_increment",
    "unique_key",
    "default",
    // Column types (ColumnDef methods, then ColumnType and StringLen values).
    "char",
    "char_len",
    "string",
    "string_len",
    "text",
    "blob",
    "tiny_integer",
    "small_integer",
    "integer",
    "big_integer",
    "tiny_unsigned",
    "small_unsigned",
    "unsigned",
    "big_unsigned",
    "float",
    "double",
    "decimal",
    "decimal_len",
    "date_time",
    "timestamp",
    "timestamp_with_time_zone",
    "time",
    "date",
    "binary_len",
    "var_binary",
    "boolean",
    "json",
    "json_binary",
    "uuid",
    "enumeration",
    "custom",
    "array",
    "ColumnType",
    "StringLen",
    "N",
    "RcOrArc",
    "Char",
    "String",
    "Text",
    "Blob",
    "TinyInteger",
    "SmallInteger",
    "Integer",
    "BigInteger",
    "TinyUnsigned",
    "SmallUnsigned",
    "Unsigned",
    "BigUnsigned",
    "Float",
    "Double",
    "Decimal",
    "DateTime",
    "Timestamp",
    "TimestampWithTimeZone",
    "Time",
    "Date",
    "Binary",
    "VarBinary",
    "Boolean",
    "Json",
    "JsonBinary",
    "Uuid",
    "Enum",
    "Array",
    "variants",
    "vec",
    // Foreign key actions.
    "NoAction",
    "Restrict",
    "Cascade",
    "SetNull",
    "SetDefault",
    // makemigrations::prelude's helpers (each takes its tables as arguments).
    "add_column",
    "add_foreign_key",
    "add_unique_constraint",
    "alter_column",
    "alter_enum",
    "baseline_tables_exist",
    "comment_on_column",
    "comment_on_table",
    "create_enum",
    "drop_column",
    "drop_enum",
    "drop_foreign_key",
    "drop_index",
    "rename_index",
    "set_primary_key",
    "todo_backfill",
    // The parts of a large migration: plain statements added to a `Statements`, then run.
    "mut",
    "Statements",
    "statements",
    "add",
    "run",
];

/// The names the file's code can reach a table by (each string literal whole and each word of
/// it), sorted and without repeats; `None` when the code can reach a table some other way.
pub fn names_in_code(text: &str) -> Option<Vec<String>> {
    let tokens: TokenStream = text.replace("\r\n", "\n").parse().ok()?;
    // The migration's code must be in the file: an `impl MigrationTrait` elsewhere (lib.rs,
    // another module) can do anything.
    if !implements_migration(&tokens) {
        return None;
    }
    let mut names = std::collections::BTreeSet::new();
    collect(tokens, &mut names)?;
    Some(names.into_iter().collect())
}

fn collect(tokens: TokenStream, names: &mut std::collections::BTreeSet<String>) -> Option<()> {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut i = 0;
    while i < trees.len() {
        if let Some(skip) = crate::checksum::doc_attribute_len(&trees[i..]) {
            i += skip;
            continue;
        }
        let next = trees.get(i + 1);
        // Indexing (`table[1..]`, `("xusers")[1..]`) can make a name no literal spells; a
        // bracket after punctuation is an array or an attribute (`&[..]`, `vec![..]`, `#[..]`).
        let indexed =
            matches!(next, Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket);
        if indexed && !matches!(&trees[i], TokenTree::Punct(_)) {
            return None;
        }
        match &trees[i] {
            TokenTree::Ident(ident) => {
                let ident = ident.to_string();
                if !known_ident(&ident) {
                    return None;
                }
                let is_macro = matches!(next, Some(TokenTree::Punct(p)) if p.as_char() == '!')
                    && matches!(trees.get(i + 2), Some(TokenTree::Group(_)));
                if is_macro && ident != "vec" {
                    return None;
                }
                // `Expr::cust("purge_orphans()")`: SQL whose function may write any table.
                if ident == "cust" && !plain_custom_sql(next) {
                    return None;
                }
            }
            TokenTree::Literal(literal) => match syn::Lit::new(literal.clone()) {
                syn::Lit::Str(s) => {
                    let value = s.value();
                    names.extend(
                        value
                            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                            .filter(|w| !w.is_empty())
                            .map(str::to_string),
                    );
                    names.insert(value);
                }
                syn::Lit::Int(_) | syn::Lit::Float(_) | syn::Lit::Bool(_) => {}
                // Byte strings, characters: nothing generated uses them.
                _ => return None,
            },
            TokenTree::Group(group) => collect(group.stream(), names)?,
            // `"us".to_owned() + "ers"` would make a name no literal spells.
            TokenTree::Punct(p) if p.as_char() == '+' => return None,
            TokenTree::Punct(_) => {}
        }
        i += 1;
    }
    Some(())
}

/// Whether the file holds `impl MigrationTrait for Migration` (its `up` and `down`).
fn implements_migration(tokens: &TokenStream) -> bool {
    let words: Vec<String> = tokens
        .clone()
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Ident(ident) => ident.to_string(),
            _ => String::new(),
        })
        .collect();
    words
        .windows(4)
        .any(|w| w == ["impl", "MigrationTrait", "for", "Migration"])
}

/// The SQL of `Expr::cust(..)` (`next`: its parenthesised argument) is a value or a function
/// that only reads: a literal, NULL, or a default such as `CURRENT_TIMESTAMP` or `now()`. A call
/// of any other function may write tables the file does not name.
fn plain_custom_sql(next: Option<&TokenTree>) -> bool {
    const READ_ONLY_CALLS: &[&str] = &[
        "now()",
        "current_timestamp()",
        "gen_random_uuid()",
        "uuid_generate_v4()",
        "uuid()",
        "random()",
        "datetime('now')",
        "(datetime('now'))",
        "current_date()",
        "localtimestamp()",
    ];
    let Some(TokenTree::Group(group)) = next else {
        return false;
    };
    let mut args = group.stream().into_iter();
    let (Some(TokenTree::Literal(literal)), None) = (args.next(), args.next()) else {
        return false;
    };
    let syn::Lit::Str(sql) = syn::Lit::new(literal) else {
        return false;
    };
    let sql: String = sql
        .value()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    !sql.contains('(') || READ_ONLY_CALLS.contains(&sql.as_str())
}

/// In the vocabulary, or a part of `up`/`down` (`up_2`).
fn known_ident(ident: &str) -> bool {
    VOCABULARY.contains(&ident)
        || ["up_", "down_"].iter().any(|prefix| {
            ident
                .strip_prefix(prefix)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generated files of tests/golden.rs: every kind of operation, arrays, the empty
    /// template. A new identifier in render.rs shows here (and would only make `migrate`
    /// validate every table).
    #[test]
    fn generated_files_name_their_tables() {
        let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../makemigrations-cli/tests/golden");
        for file in ["every_operation.rs", "arrays.rs", "empty.rs", "large.rs"] {
            let text = std::fs::read_to_string(golden.join(file)).unwrap();
            assert!(names_in_code(&text).is_some(), "{file}");
        }
        // The template's examples uncommented: its raw SQL can reach any table.
        let text = std::fs::read_to_string(golden.join("empty_uncommented.rs")).unwrap();
        assert_eq!(names_in_code(&text), None);
        let text = std::fs::read_to_string(golden.join("every_operation.rs")).unwrap();
        let names = names_in_code(&text).unwrap();
        for table in [
            "orders",
            "order_items",
            "users",
            "product_reviews",
            "reviews",
        ] {
            assert!(names.contains(&table.to_string()), "{table}: {names:?}");
        }
        // Comments are not code: the empty template's commented example names no table.
        let text = std::fs::read_to_string(golden.join("empty.rs")).unwrap();
        assert_eq!(names_in_code(&text), Some(vec![]));
    }

    fn up(body: &str) -> String {
        format!(
            "use makemigrations::prelude::*;\n\
             impl MigrationTrait for Migration {{\n\
             async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {{\n{body}\nOk(())\n}}\n}}\n"
        )
    }

    #[test]
    fn literals_and_their_words_are_the_names() {
        let text = up(
            r#"manager.exec_stmt(Query::update().table("order-items").value("note", Expr::cust("'SELECT x FROM audit_log'")).to_owned()).await?;"#,
        );
        let names = names_in_code(&text).unwrap();
        for name in [
            "order-items",
            "order",
            "items",
            "note",
            "audit_log",
            "SELECT",
            "x",
        ] {
            assert!(names.contains(&name.to_string()), "{name}: {names:?}");
        }
    }

    #[test]
    fn code_that_can_name_a_table_otherwise_reaches_any_table() {
        for body in [
            // Raw SQL.
            r#"manager.get_connection().execute_unprepared("DELETE FROM users").await?;"#,
            // A name made at run time, or kept elsewhere.
            r#"let t = format!("user{}", "s"); drop_column(manager, &t, "bio").await?;"#,
            r#"drop_column(manager, USERS, "bio").await?;"#,
            r#"manager.drop_table(Table::drop().table(Users::Table).to_owned()).await?;"#,
            r#"drop_column(manager, &"xusers"[1..], "bio").await?;"#,
            r#"drop_column(manager, &("us".to_owned() + "ers"), "bio").await?;"#,
            // The project's own function.
            r#"cleanup(manager).await?;"#,
            r#"drop_column(manager, b"users", "bio").await?;"#,
            // Indexing after a group or a name.
            r#"drop_column(manager, &("xusers")[1..], "bio").await?;"#,
            r#"let table = "xusers"; drop_column(manager, &table[1..], "bio").await?;"#,
            // A function call in custom SQL may write any table.
            r#"manager.exec_stmt(Query::update().table("users").value("bio", Expr::cust("purge_orphans()")).to_owned()).await?;"#,
        ] {
            assert_eq!(names_in_code(&up(body)), None, "{body}");
        }
        // Defaults that only read are plain values.
        for sql in ["CURRENT_TIMESTAMP", "now()", "gen_random_uuid()", "'n/a'"] {
            let body = format!(
                r#"manager.exec_stmt(Query::update().table("users").value("bio", Expr::cust("{sql}")).to_owned()).await?;"#
            );
            assert!(names_in_code(&up(&body)).is_some(), "{sql}");
        }
        // The migration's code lives elsewhere (an `impl` in lib.rs): anything.
        assert_eq!(
            names_in_code(
                "use makemigrations::prelude::*;\n#[derive(DeriveMigrationName)]\npub struct Migration;\n"
            ),
            None
        );
        // Parts of up are fine; other functions are not the vocabulary.
        assert!(names_in_code(&up("up_1(manager).await?; down_12(manager).await?;")).is_some());
        assert_eq!(names_in_code(&up("up_x(manager).await?;")), None);
        assert_eq!(names_in_code("fn broken( {"), None);
    }
}
