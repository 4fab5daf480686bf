//! SQLite keeps a column's declared type exactly as written and enforces only the affinity it
//! derives from it (<https://sqlite.org/datatype3.html>, 3.1). A hand-written `INT` and an
//! entity's `integer`, or `NVARCHAR(70)` and `text`, store and compare alike, yet differ as text,
//! and each such change would cost a table rebuild that changes nothing SQLite enforces. These
//! are reported as notes instead of operations, unless the project asks for exact types.

use crate::schema::{Backend, Column, ColumnType, Table};

use super::DiffOptions;

/// Something the differ found and deliberately did not turn into an operation; a line for the
/// person reading the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A SQLite column whose declared type differs from the entity's in spelling only.
    SpellingOnly {
        table: String,
        column: String,
        /// The database's spelling, as declared.
        live: String,
        /// The spelling the entity's type gets.
        desired: String,
    },
}

impl Note {
    /// `artists.name is NVARCHAR(70) in the database and text in the entity: ...`.
    pub fn describe(&self) -> String {
        match self {
            Note::SpellingOnly {
                table,
                column,
                live,
                desired,
            } => format!(
                "{table}.{column} is {live} in the database and {desired} in the entity, which SQLite \
                 treats alike ({} affinity); no migration changes it (exact_sqlite_types(true) would rebuild the table for it)",
                affinity(live)
            ),
        }
    }
}

/// Whether `live` and `desired` differ only in a spelling SQLite does not enforce. Only a live
/// spelling that sea-query never writes counts (a hand-written schema): a change between two
/// spellings sea-query writes is a change of the entity's type, which other backends see, so it
/// stays an operation. `INT PRIMARY KEY` is not `INTEGER PRIMARY KEY` (only the latter is the
/// rowid), so a sole primary-key column never counts.
pub(super) fn spelling_only(
    table: &Table,
    live: &Column,
    desired: &Column,
    options: &DiffOptions,
) -> bool {
    options.backend == Backend::Sqlite
        && !options.exact_sqlite_types
        && live.db_type != desired.db_type
        && matches!(live.col_type, ColumnType::Custom(_))
        && affinity(&live.db_type) == affinity(&desired.db_type)
        && table.primary_key != [live.name.clone()]
}

/// SQLite's rules, in their order: the first that matches decides.
fn affinity(declared: &str) -> &'static str {
    let upper = declared.to_ascii_uppercase();
    if upper.contains("INT") {
        "INTEGER"
    } else if ["CHAR", "CLOB", "TEXT"].iter().any(|w| upper.contains(w)) {
        "TEXT"
    } else if upper.contains("BLOB") || upper.trim().is_empty() {
        "BLOB"
    } else if ["REAL", "FLOA", "DOUB"].iter().any(|w| upper.contains(w)) {
        "REAL"
    } else {
        "NUMERIC"
    }
}

#[cfg(test)]
mod tests {
    use super::affinity;

    #[test]
    fn affinity_follows_sqlites_rules() {
        for (declared, expected) in [
            ("INT", "INTEGER"),
            ("integer", "INTEGER"),
            ("bigint", "INTEGER"),
            ("NVARCHAR(70)", "TEXT"),
            ("text", "TEXT"),
            ("json_text", "TEXT"),
            ("blob", "BLOB"),
            ("", "BLOB"),
            ("double", "REAL"),
            ("real(10, 2)", "REAL"),
            ("NUMERIC(10,2)", "NUMERIC"),
            ("DATETIME", "NUMERIC"),
            // "POINT" contains "INT": SQLite's rule, not a typo.
            ("POINT", "INTEGER"),
        ] {
            assert_eq!(affinity(declared), expected, "{declared}");
        }
    }
}
