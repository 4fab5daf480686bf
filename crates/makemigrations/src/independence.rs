//! Whether two sets of migrations (two branches of the history, or a late migration and those
//! applied after its name) can run in either order: they touch no table or enum type in common.
//! `makemigrations --merge`, `migrate` and `check` decide with [`conflicts`]. No IO.
//!
//! What a migration touches is read from the build script's `names_in_code` (every string
//! literal of its code, and each word in one): those that name an object some migration of the
//! history creates (its tables and enum types). Column names (`id`, `name`) are words too, so
//! only object names count. A file whose code can reach tables in ways the build script cannot
//! read (raw SQL, its own functions) cannot be compared: it overlaps with everything.

use std::collections::{BTreeMap, BTreeSet};

use crate::facts::MigrationFacts;

/// Why two sets of migrations must not run in either order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// Both sides touch this table or enum type: `left` and `right` are the migrations of each
    /// side that do.
    Object {
        object: String,
        left: Vec<String>,
        right: Vec<String>,
    },
    /// The tool cannot read which tables this migration's code reaches.
    Unreadable { migration: String },
    /// This applied migration was written after the late one: it builds on what that one does.
    WrittenAfter { migration: String },
}

impl Conflict {
    /// One line for a message: `table users: m1 (one side) and m2 (the other)`.
    pub fn describe(&self) -> String {
        match self {
            Conflict::Object {
                object,
                left,
                right,
            } => format!(
                "{object}: changed by {} and by {}",
                left.join(", "),
                right.join(", ")
            ),
            Conflict::WrittenAfter { migration } => format!(
                "{migration} was written after it and is applied: it builds on what this one does"
            ),
            Conflict::Unreadable { migration } => format!(
                "{migration}: its code reaches tables in ways the tool cannot read (raw SQL, or functions and constants of its own), so it may touch anything"
            ),
        }
    }
}

/// The tables and enum types some migration of the history creates.
pub fn known_objects(facts: &[MigrationFacts]) -> BTreeSet<&'static str> {
    facts
        .iter()
        .flat_map(|f| f.created_tables.iter().chain(f.created_enums))
        .copied()
        .collect()
}

/// The objects `migration`'s code names, or `None` when it cannot be read. A file without facts
/// (the project gave none) cannot be read either.
fn touched(
    migration: &str,
    facts: &[MigrationFacts],
    known: &BTreeSet<&str>,
) -> Option<BTreeSet<&'static str>> {
    let names = facts.iter().find(|f| f.name == migration)?.names_in_code?;
    Some(
        names
            .iter()
            .copied()
            .filter(|n| known.contains(n))
            .collect(),
    )
}

/// What stops `left` and `right` from running in either order; empty when they are independent.
pub fn conflicts(left: &[&str], right: &[&str], facts: &[MigrationFacts]) -> Vec<Conflict> {
    let known = known_objects(facts);
    let mut unreadable = Vec::new();
    let mut side = |migrations: &[&str]| {
        let mut by_object: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
        for m in migrations {
            match touched(m, facts, &known) {
                Some(objects) => {
                    for object in objects {
                        by_object.entry(object).or_default().push(m.to_string());
                    }
                }
                None => unreadable.push(Conflict::Unreadable {
                    migration: m.to_string(),
                }),
            }
        }
        by_object
    };
    let (left, right) = (side(left), side(right));
    let mut found: Vec<Conflict> = left
        .iter()
        .filter_map(|(object, l)| {
            right.get(object).map(|r| Conflict::Object {
                object: object.to_string(),
                left: l.clone(),
                right: r.clone(),
            })
        })
        .collect();
    found.extend(unreadable);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(
        name: &'static str,
        created: &'static [&'static str],
        names: Option<&'static [&'static str]>,
    ) -> MigrationFacts {
        MigrationFacts {
            created_tables: created,
            names_in_code: names,
            ..MigrationFacts::plain(name, "src/migrations/x.rs")
        }
    }

    #[test]
    fn only_object_names_count_and_unreadable_code_overlaps() {
        let facts = [
            fact("m1", &["users", "orders"], Some(&["users", "orders", "id"])),
            fact("m2", &[], Some(&["users", "phone", "id"])),
            fact("m3", &[], Some(&["orders", "note", "id"])),
            fact("m4", &[], Some(&["users", "bio"])),
            fact("m5", &[], None),
        ];
        // `id` is in both, but it names no table.
        assert!(conflicts(&["m2"], &["m3"], &facts).is_empty());
        assert_eq!(
            conflicts(&["m2", "m3"], &["m4"], &facts),
            [Conflict::Object {
                object: "users".into(),
                left: vec!["m2".into()],
                right: vec!["m4".into()],
            }]
        );
        assert_eq!(
            conflicts(&["m2"], &["m5"], &facts),
            [Conflict::Unreadable {
                migration: "m5".into()
            }]
        );
        // Without facts nothing can be read.
        assert_eq!(conflicts(&["a"], &[], &[]).len(), 1);
    }
}
