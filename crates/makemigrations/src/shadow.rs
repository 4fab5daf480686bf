//! The desired schema: the entities' tables built in a scratch place on the same backend and read
//! back with the same discovery code as the live database, so both sides are spelled alike
//! (design/README.md, decision 1). Then the entities' own types and defaults are laid over it for
//! rendering.
//!
//! PostgreSQL: a scratch schema inside a transaction that is always rolled back, so nothing is
//! left behind, not even after an error or Ctrl-C (the server rolls back a dropped connection).
//! SQLite: an in-memory database.

use std::collections::BTreeMap;

use makemigrations_core::{Backend, Schema};
use sea_orm::sea_query::{PostgresQueryBuilder, SqliteQueryBuilder, Table, TableCreateStatement};
use sea_orm::{ConnectionTrait, Database, DatabaseTransaction, DbBackend, DbErr, TransactionTrait};

use crate::entities::{self, EntityDef, EntityStatements, RenderColumn};
use crate::error::Error;
use crate::introspect;
use crate::runtime::{ident, literal};
use crate::shadow_cache::ShadowCache;

/// Both sides of a comparison, read at the same moment.
pub struct Sides {
    pub live: Schema,
    pub desired: Schema,
    /// `(table, old name, new name)` from `#[sea_orm(renamed_from = "...")]`.
    pub renames: Vec<(String, String, String)>,
}

pub async fn read_sides<C>(db: &C, entity_defs: &[EntityDef]) -> Result<Sides, Error>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let backend = db.get_database_backend();
    let entity_phase = crate::timings::phase("entities: statements");
    let statements: Vec<(EntityDef, EntityStatements)> = entity_defs
        .iter()
        .map(|d| (*d, d.statements(backend)))
        .collect();
    let mut render: BTreeMap<String, BTreeMap<String, RenderColumn>> = BTreeMap::new();
    for (def, stmts) in &statements {
        if render.contains_key(&stmts.table_name) {
            return Err(Error::Refused(format!(
                "two entities describe table {}; the second is {}\n  fix: give each entity its own table_name",
                stmts.table_name, def.module_path
            )));
        }
        render.insert(
            stmts.table_name.clone(),
            entities::render_columns(def, stmts)?,
        );
    }
    let stmts: Vec<EntityStatements> = statements.into_iter().map(|(_, s)| s).collect();
    drop(entity_phase);

    let script = match backend {
        DbBackend::Postgres => postgres_script(&stmts, &render),
        _ => sqlite_script(&stmts),
    };
    let cache = ShadowCache::new(
        &format!("{backend:?}").to_lowercase(),
        &server_version(db).await?,
        &script,
    );
    let (live, mut desired) = match backend {
        DbBackend::Postgres => read_postgres(db, &script, &cache).await?,
        _ => read_sqlite(db, &script, &cache).await?,
    };

    // Comments come from the entities on every backend, so that a file generated where the
    // database keeps none (SQLite) still writes them where it does.
    let table_comments: BTreeMap<&str, Option<String>> = stmts
        .iter()
        .map(|s| (s.table_name.as_str(), s.table.get_comment().cloned()))
        .collect();
    let mut renames = Vec::new();
    for (table_name, table) in desired.tables.iter_mut() {
        let Some(columns) = render.get(table_name) else {
            continue;
        };
        table.comment = table_comments.get(table_name.as_str()).cloned().flatten();
        for column in &mut table.columns {
            let Some(facts) = columns.get(&column.name) else {
                continue;
            };
            column.col_type = facts.col_type.clone();
            column.comment = facts.comment.clone();
            if let (Some(default), Some(value)) = (column.default.as_mut(), facts.default.clone()) {
                default.value = value;
            }
            if let Some(old) = &facts.renamed_from {
                renames.push((table_name.clone(), old.clone(), column.name.clone()));
            }
        }
    }
    Ok(Sides {
        live,
        desired,
        renames,
    })
}

async fn read_postgres<C>(
    db: &C,
    script: &str,
    cache: &ShadowCache,
) -> Result<(Schema, Schema), Error>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let txn = db.begin().await?;
    let live_schema: String = introspect::query(&txn, "SELECT current_schema()::text AS s", vec![])
        .await?
        .first()
        .map(|r| r.try_get("", "s"))
        .transpose()?
        .unwrap_or_else(|| "public".into());
    let shadow = format!("_makemigrations_shadow_{}", std::process::id());
    let result = async {
        let desired = match cache.load() {
            Some(desired) => desired,
            None => {
                txn.execute_unprepared(&format!("CREATE SCHEMA {}", ident(&shadow)))
                    .await?;
                txn.execute_unprepared(&format!(
                    "SET LOCAL search_path TO {}, {}",
                    ident(&shadow),
                    ident(&live_schema)
                ))
                .await?;
                let build = crate::timings::phase("shadow: build");
                txn.execute_unprepared(script).await?;
                drop(build);
                let read = crate::timings::phase("shadow: discover");
                let desired = introspect::postgres::discover(&txn, &shadow).await?;
                drop(read);
                cache.store(&desired);
                desired
            }
        };
        txn.execute_unprepared(&format!("SET LOCAL search_path TO {}", ident(&live_schema)))
            .await?;
        let read = crate::timings::phase("live: discover");
        let live = introspect::postgres::discover(&txn, &live_schema).await?;
        drop(read);
        Ok::<_, DbErr>((live, desired))
    }
    .await;
    txn.rollback().await?;
    Ok(result?)
}

/// The script that creates the entities' enum types, tables, keys, indexes and comments, run in
/// one round trip (1,000 tables are some 3,000 statements). Foreign keys are added after all
/// tables exist, so any order (and any cycle) of references works.
fn postgres_script(
    stmts: &[EntityStatements],
    render: &BTreeMap<String, BTreeMap<String, RenderColumn>>,
) -> String {
    let mut script: Vec<String> = Vec::new();
    let mut enums: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in stmts {
        for e in entities::enum_types(s) {
            enums.entry(e.name).or_insert(e.values);
        }
    }
    for (name, values) in &enums {
        let values: Vec<String> = values.iter().map(|v| literal(v)).collect();
        script.push(format!(
            "CREATE TYPE {} AS ENUM ({})",
            ident(name),
            values.join(", ")
        ));
    }
    for s in stmts {
        script.push(without_foreign_keys(&s.table).to_string(PostgresQueryBuilder));
    }
    for s in stmts {
        script.extend(
            s.table
                .get_foreign_key_create_stmts()
                .iter()
                .map(|fk| fk.to_string(PostgresQueryBuilder)),
        );
        script.extend(
            s.indexes
                .iter()
                .map(|index| index.to_string(PostgresQueryBuilder)),
        );
        if let Some(comment) = s.table.get_comment() {
            script.push(format!(
                "COMMENT ON TABLE {} IS {}",
                ident(&s.table_name),
                literal(comment)
            ));
        }
        for (column, facts) in render.get(&s.table_name).into_iter().flatten() {
            if let Some(comment) = &facts.comment {
                script.push(format!(
                    "COMMENT ON COLUMN {}.{} IS {}",
                    ident(&s.table_name),
                    ident(column),
                    literal(comment)
                ));
            }
        }
    }
    script.join(";\n")
}

/// The same CREATE TABLE without its foreign keys.
fn without_foreign_keys(stmt: &TableCreateStatement) -> TableCreateStatement {
    let mut table = Table::create();
    if let Some(name) = stmt.get_table_name() {
        table.table(name.clone());
    }
    for column in stmt.get_columns() {
        table.col(column.clone());
    }
    for index in stmt.get_indexes() {
        let mut index = index.clone();
        if index.is_primary_key() {
            table.primary_key(&mut index);
        } else {
            table.index(&mut index);
        }
    }
    table
}

/// The same for SQLite, in one transaction: statement by statement, each DDL re-read the growing
/// schema, which made 1,000 tables take seconds. Foreign keys stay inline (SQLite does not
/// check that referenced tables exist when a table is created).
fn sqlite_script(stmts: &[EntityStatements]) -> String {
    let mut script = vec!["BEGIN".to_string()];
    for s in stmts {
        script.push(s.table.to_string(SqliteQueryBuilder));
        script.extend(
            s.indexes
                .iter()
                .map(|index| index.to_string(SqliteQueryBuilder)),
        );
    }
    script.push("COMMIT".to_string());
    script.join(";\n")
}

async fn read_sqlite<C: ConnectionTrait>(
    db: &C,
    script: &str,
    cache: &ShadowCache,
) -> Result<(Schema, Schema), Error> {
    let desired = match cache.load() {
        Some(desired) => desired,
        None => {
            let build = crate::timings::phase("shadow: build");
            let scratch = Database::connect("sqlite::memory:").await?;
            scratch.execute_unprepared(script).await?;
            drop(build);
            let read = crate::timings::phase("shadow: discover");
            let desired = introspect::sqlite::discover(&scratch).await?;
            drop(read);
            scratch.close().await?;
            cache.store(&desired);
            desired
        }
    };
    let read = crate::timings::phase("live: discover");
    let live = introspect::discover(db, Backend::Sqlite, "").await?;
    drop(read);
    Ok((live, desired))
}

/// The server's version, part of the cache key: spellings may change between versions.
async fn server_version<C: ConnectionTrait>(db: &C) -> Result<String, DbErr> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => "SELECT version() AS v",
        _ => "SELECT sqlite_version() AS v",
    };
    let rows = introspect::query(db, sql, vec![]).await?;
    rows.first()
        .map(|r| r.try_get("", "v"))
        .transpose()
        .map(Option::unwrap_or_default)
}
