//! The desired schema: the entities' tables built in a scratch place on the same backend and read
//! back with the same discovery code as the live database, so both sides are spelled alike
//! (docs/decisions.md, decision 1). Then the entities' own types and defaults are laid over it for
//! rendering.
//!
//! PostgreSQL: a scratch schema inside a transaction that is always rolled back, so nothing is
//! left behind, not even after an error or Ctrl-C (the server rolls back a dropped connection).
//! SQLite: an in-memory database.
//! MySQL/MariaDB: a scratch database that is created and dropped here (DDL commits at once there,
//! so no transaction can hide it), or an empty database that the user gives with `--shadow-url`
//! where they cannot create databases.

use std::collections::BTreeMap;

use makemigrations_core::{Backend, ColumnType, Schema};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseTransaction, DbBackend, DbErr,
    TransactionTrait,
};

use crate::entities::{self, EntityDef, EntityStatements, RenderColumn};
use crate::error::Error;
use crate::introspect;
use crate::runtime::{ident, mysql_ident};
use crate::shadow_cache::ShadowMemo;
use crate::shadow_script::{Build, ScratchDdl};

/// Both sides of a comparison, read at the same moment.
pub struct Sides {
    pub live: Schema,
    pub desired: Schema,
    /// `(table, old name, new name)` from `#[sea_orm(renamed_from = "...")]`.
    pub renames: Vec<(String, String, String)>,
    /// `(old name, new name)` of tables whose entity declares `TABLE_RENAMED_FROM`.
    pub table_renames: Vec<(String, String)>,
    /// `(table, column)` of the entities' `#[sea_orm(ignore)]` fields, under the entity's table
    /// name: [`keep_unmapped_columns`] takes them over once the declared renames are applied.
    pub unmapped: Vec<(String, &'static str)>,
}

/// `shadow_url` is the user's own scratch database (MySQL only; elsewhere it is not needed).
pub async fn read_sides<C>(
    db: &C,
    entity_defs: &[EntityDef],
    shadow_url: Option<&str>,
) -> Result<Sides, Error>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let backend = db.get_database_backend();
    let entity_phase = crate::timings::phase("entities: statements");
    let statements: Vec<(EntityDef, EntityStatements)> = entity_defs
        .iter()
        .filter_map(|d| Some((*d, d.statements(backend)?)))
        .collect();
    refuse_other_schemas(db, &statements).await?;
    let unmapped: Vec<(String, &'static str)> = statements
        .iter()
        .flat_map(|(def, s)| {
            def.unmapped_columns()
                .iter()
                .map(|column| (s.table_name.clone(), *column))
        })
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
            entities::render_columns(def, stmts, backend)?,
        );
    }
    let table_renames: Vec<(String, String)> = statements
        .iter()
        .filter_map(|(def, s)| Some((def.table_renamed_from()?.to_string(), s.table_name.clone())))
        .collect();
    let stmts: Vec<EntityStatements> = statements.into_iter().map(|(_, s)| s).collect();
    drop(entity_phase);

    let ddl = ScratchDdl::new(backend, &stmts, &render);
    let mut memo = ShadowMemo::new(&backend_name(backend), &server_version(db).await?);
    let (mut live, desired) = match backend {
        DbBackend::Postgres => read_postgres(db, &ddl, &mut memo).await?,
        DbBackend::MySql => read_mysql(db, &ddl, &mut memo, shadow_url).await?,
        _ => read_sqlite(db, &ddl, &mut memo).await?,
    };
    let mut desired = desired.schema;
    declared_foreign_key_actions(&mut desired, &stmts, backend);
    makemigrations_core::diff::declared_actions_where_alike(
        &mut live,
        &desired,
        crate::database::core_backend(backend),
    );
    if backend == DbBackend::MySql {
        let mut known: Vec<makemigrations_core::EnumType> = entity_defs
            .iter()
            .filter_map(EntityDef::enum_type)
            .collect();
        known.extend(stmts.iter().flat_map(entities::enum_types));
        name_inline_enums(&mut live, &known);
    }

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
        table_renames,
        unmapped,
    })
}

/// sea-orm-cli writes `schema_name` on every entity (`generate entity -s public`). The tool
/// compares one schema, the connection's own: entities that name it are built unqualified
/// (`entities::unqualified_table`), and an entity that names another one stops the run before
/// anything is built, read or written. SQLite has no schemas: the name is left out there always
/// (teams test on SQLite with entities generated from PostgreSQL).
async fn refuse_other_schemas<C: ConnectionTrait>(
    db: &C,
    statements: &[(EntityDef, EntityStatements)],
) -> Result<(), Error> {
    let named: Vec<(&EntityDef, &str)> = statements
        .iter()
        .filter_map(|(def, s)| Some((def, s.schema_name.as_deref()?)))
        .collect();
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT current_schema()::text",
        DbBackend::MySql => "SELECT DATABASE()",
        _ => return Ok(()),
    };
    if named.is_empty() {
        return Ok(());
    }
    let live_schema = introspect::scalar(db, sql).await?.unwrap_or_default();
    match named.into_iter().find(|(_, schema)| *schema != live_schema) {
        None => Ok(()),
        Some((def, schema)) => Err(Error::OtherSchema {
            entity: def.module_path.to_string(),
            schema: schema.to_string(),
            live_schema,
            backend: crate::database::core_backend(backend),
        }),
    }
}

/// A field marked `#[sea_orm(ignore)]` is sea-orm-cli's mark for a live column it cannot map
/// (PostgreSQL `tsvector`, MySQL `SET(..)`, ...). sea-orm leaves it out of the CREATE TABLE, so
/// the desired side would drop it with its data. The entity declares it, so the live column is
/// taken over into the desired side unchanged, with the live indexes and foreign keys that
/// involve it: no operation touches it. A field that has no live column stays uncreated.
///
/// `live` must already have the declared renames applied (`autodetect::compare` calls this after
/// `diff::apply_declared_renames`): the entity names its table by the new name, and a table
/// renamed through `TABLE_RENAMED_FROM` is found under its former name until then.
pub(crate) fn keep_unmapped_columns(
    live: &Schema,
    desired: &mut Schema,
    unmapped: &[(String, &str)],
) {
    for (table_name, column_name) in unmapped {
        let Some(live_table) = live.tables.get(table_name) else {
            continue;
        };
        let Some(live_column) = live_table.column(column_name) else {
            continue;
        };
        let Some(table) = desired.tables.get_mut(table_name) else {
            continue;
        };
        if table.column(column_name).is_none() {
            table.columns.push(live_column.clone());
        }
        let involved = |columns: &[String]| columns.iter().any(|c| c == column_name);
        for index in live_table.indexes.iter().filter(|i| involved(&i.columns)) {
            if !table.indexes.iter().any(|i| i.name == index.name) {
                table.indexes.push(index.clone());
            }
        }
        let has_key = |keys: &[makemigrations_core::ForeignKey],
                       key: &makemigrations_core::ForeignKey| {
            keys.iter().any(|k| k.signature() == key.signature())
        };
        for key in &live_table.foreign_keys {
            if involved(&key.columns) && !has_key(&table.foreign_keys, key) {
                table.foreign_keys.push(key.clone());
            }
        }
        // Keys of other tables that point at the column.
        for (other_name, other_live) in &live.tables {
            for key in &other_live.foreign_keys {
                if &key.ref_table != table_name || !involved(&key.ref_columns) {
                    continue;
                }
                if let Some(other) = desired.tables.get_mut(other_name) {
                    if !has_key(&other.foreign_keys, key) {
                        other.foreign_keys.push(key.clone());
                    }
                }
            }
        }
    }
}

async fn read_postgres<C>(
    db: &C,
    ddl: &ScratchDdl,
    memo: &mut ShadowMemo,
) -> Result<(Schema, Desired), Error>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let txn = db.begin().await?;
    let result = async {
        let live_schema = live_postgres_schema(&txn).await?;
        let desired = desired_schema(ddl, memo, async |script: &str| {
            build_postgres(&txn, &live_schema, script).await
        })
        .await?;
        txn.execute_unprepared(&format!("SET LOCAL search_path TO {}", ident(&live_schema)))
            .await?;
        let read = crate::timings::phase("live: discover");
        // What the search_path does not spell is read on another connection of the pool, at
        // the same time (`discover_on`).
        let live = introspect::postgres::discover_on(&txn, db, &live_schema).await?;
        drop(read);
        Ok::<_, Error>((live, desired))
    }
    .await;
    txn.rollback().await?;
    result
}

async fn live_postgres_schema<C: ConnectionTrait>(txn: &C) -> Result<String, DbErr> {
    Ok(introspect::scalar(txn, "SELECT current_schema()::text")
        .await?
        .unwrap_or_else(|| "public".into()))
}

/// Runs `script` in a scratch schema inside `txn` and reads it back. The scratch schema is
/// searched before the live one. It is rolled back to a savepoint afterwards, so that a failed
/// build leaves the transaction usable for a second one.
async fn build_postgres<C: ConnectionTrait>(
    txn: &C,
    live_schema: &str,
    script: &str,
) -> Result<Schema, Error> {
    let shadow = format!("_makemigrations_shadow_{}", std::process::id());
    txn.execute_unprepared("SAVEPOINT makemigrations_scratch")
        .await?;
    let result = async {
        txn.execute_unprepared(&format!("CREATE SCHEMA {}", ident(&shadow)))
            .await?;
        txn.execute_unprepared(&format!(
            "SET LOCAL search_path TO {}, {}",
            ident(&shadow),
            ident(live_schema)
        ))
        .await?;
        let build = crate::timings::phase("shadow: build");
        txn.execute_unprepared(script).await?;
        drop(build);
        let _read = crate::timings::phase("shadow: discover");
        introspect::postgres::discover(txn, &shadow).await
    }
    .await;
    txn.execute_unprepared("ROLLBACK TO SAVEPOINT makemigrations_scratch")
        .await?;
    Ok(result?)
}

/// The desired side as the scratch place reads it back (before the entities' own facts are laid
/// over it), and what was built for it.
#[derive(Debug)]
pub struct Desired {
    pub schema: Schema,
    pub built: Build,
}

/// The desired side: from the memo for every table whose entry is keyed exactly as now, and
/// built in the scratch place for the others (shadow_cache.rs says which). `build` runs a script
/// in an empty scratch place and reads it back. Whenever a partial build fails or its result
/// could differ from a build of every table, every table is built, as without a memo.
async fn desired_schema(
    ddl: &ScratchDdl,
    memo: &mut ShadowMemo,
    mut build: impl AsyncFnMut(&str) -> Result<Schema, Error>,
) -> Result<Desired, Error> {
    let keys = {
        let _phase = crate::timings::phase("shadow: memo keys");
        ddl.keys()
    };
    let wanted = memo.missing(ddl, &keys);
    let everything = ddl.everything();
    if wanted.whole.len() < everything.whole.len() {
        let fresh = if wanted.is_empty() {
            Ok(Schema::default())
        } else {
            build(&ddl.script(&wanted)).await
        };
        // A partial build's error may be its own (a name that a build of every table gives to
        // another table): the build of every table below decides.
        if let Some(schema) = fresh.ok().and_then(|f| memo.assemble(ddl, &wanted, &f)) {
            if !wanted.is_empty() {
                memo.store(ddl, &keys, &schema);
            }
            return Ok(Desired {
                schema,
                built: wanted,
            });
        }
    }
    let schema = build(&ddl.script(&everything)).await?;
    memo.store(ddl, &keys, &schema);
    Ok(Desired {
        schema,
        built: everything,
    })
}

/// The scratch place's read-back of `stmts` alone, through the memo, without the live side or
/// the entities' facts laid over it: what the memo's exactness is tested on.
pub async fn scratch_schema<C>(
    db: &C,
    stmts: &[EntityStatements],
    render: &BTreeMap<String, BTreeMap<String, RenderColumn>>,
    memo: &mut ShadowMemo,
) -> Result<Desired, Error>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let backend = db.get_database_backend();
    let ddl = ScratchDdl::new(backend, stmts, render);
    match backend {
        DbBackend::Postgres => {
            let txn = db.begin().await?;
            let result = async {
                let live_schema = live_postgres_schema(&txn).await?;
                desired_schema(&ddl, memo, async |script: &str| {
                    build_postgres(&txn, &live_schema, script).await
                })
                .await
            }
            .await;
            txn.rollback().await?;
            result
        }
        DbBackend::MySql => {
            let live_database = current_database(db).await?.unwrap_or_default();
            desired_schema(&ddl, memo, async |script: &str| {
                build_in_scratch_database(db, &live_database, script).await
            })
            .await
        }
        _ => desired_schema(&ddl, memo, async |script: &str| build_sqlite(script).await).await,
    }
}

/// How the memo names a backend.
pub fn backend_name(backend: DbBackend) -> String {
    format!("{backend:?}").to_lowercase()
}

async fn read_sqlite<C: ConnectionTrait>(
    db: &C,
    ddl: &ScratchDdl,
    memo: &mut ShadowMemo,
) -> Result<(Schema, Desired), Error> {
    let desired =
        desired_schema(ddl, memo, async |script: &str| build_sqlite(script).await).await?;
    let read = crate::timings::phase("live: discover");
    let live = introspect::discover(db, Backend::Sqlite, "").await?;
    drop(read);
    Ok((live, desired))
}

/// Runs `script` in a new in-memory database and reads it back.
async fn build_sqlite(script: &str) -> Result<Schema, Error> {
    let build = crate::timings::phase("shadow: build");
    let scratch = Database::connect("sqlite::memory:").await?;
    scratch.execute_unprepared(script).await?;
    drop(build);
    let read = crate::timings::phase("shadow: discover");
    let desired = introspect::sqlite::discover(&scratch).await?;
    drop(read);
    scratch.close().await?;
    Ok(desired)
}

/// The server's version, part of the memo's key: spellings may change between versions. On MySQL
/// the database's default character set and collation too: the scratch database copies them.
async fn server_version<C: ConnectionTrait>(db: &C) -> Result<String, DbErr> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => "SELECT version()",
        DbBackend::MySql => {
            "SELECT CONCAT(version(), ' ', @@character_set_database, ' ', @@collation_database)"
        }
        _ => "SELECT sqlite_version()",
    };
    Ok(introspect::scalar(db, sql).await?.unwrap_or_default())
}

/// MySQL keeps an enum's values but not its name. A live enum column is named after the declared
/// enum with the same values (an active enum of the entity crate, used or not), so that code
/// rendered from it (`down`, a dropped column) names the type PostgreSQL knows it by; failing
/// that, after its table and column.
pub(crate) fn name_inline_enums(live: &mut Schema, known: &[makemigrations_core::EnumType]) {
    for table in live.tables.values_mut() {
        for column in &mut table.columns {
            if let ColumnType::Enum { name, variants } = &mut column.col_type {
                if name.is_empty() {
                    *name = known
                        .iter()
                        .find(|e| &e.values == variants)
                        .map(|e| e.name.clone())
                        .unwrap_or_else(|| format!("{}_{}", table.name, column.name));
                }
            }
        }
    }
}

/// The generated code states the actions the entity declares, and only those, so that it means
/// the same on every backend. On MySQL the actions themselves are the entity's too: the server
/// reports RESTRICT where nothing was declared (the differ treats RESTRICT and NO ACTION alike
/// there).
fn declared_foreign_key_actions(
    desired: &mut Schema,
    stmts: &[EntityStatements],
    backend: DbBackend,
) {
    for s in stmts {
        let Some(table) = desired.tables.get_mut(&s.table_name) else {
            continue;
        };
        for declared in s.table.get_foreign_key_create_stmts() {
            let declared = crate::runtime::core_foreign_key(declared);
            if let Some(key) = table
                .foreign_keys
                .iter_mut()
                .find(|k| k.signature() == declared.signature())
            {
                key.declared = declared.declared;
                if backend == DbBackend::MySql {
                    key.on_delete = declared.on_delete;
                    key.on_update = declared.on_update;
                }
            }
        }
    }
}

async fn read_mysql<C>(
    db: &C,
    ddl: &ScratchDdl,
    memo: &mut ShadowMemo,
    shadow_url: Option<&str>,
) -> Result<(Schema, Desired), Error>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let live_database = current_database(db).await?.ok_or_else(|| {
        Error::Refused(
            "the MySQL URL names no database\n  fix: end DATABASE_URL with the database, e.g. mysql://user@host:3306/shop".into(),
        )
    })?;
    let work = desired_schema(ddl, memo, async |script: &str| match shadow_url {
        Some(url) => build_in_given_database(db, url, script).await,
        None => build_in_scratch_database(db, &live_database, script).await,
    });
    // Until the scratch database is dropped, Ctrl-C is handled here.
    let _handled = crate::interrupt::Handled::new();
    let desired = tokio::select! {
        desired = work => desired?,
        _ = tokio::signal::ctrl_c() => {
            crate::interrupt::seen();
            if shadow_url.is_some() {
                return Err(Error::Refused(
                    "interrupted; the shadow database may keep some of the tables built there\n  fix: empty it before the next run".into(),
                ));
            }
            // The scratch database must not outlive an interrupted run.
            drop_scratch_database(db).await;
            return Err(Error::Refused("interrupted; the scratch database was dropped".into()));
        }
    };
    let read = crate::timings::phase("live: discover");
    let live = introspect::mysql::discover(db, &live_database).await?;
    drop(read);
    Ok((live, desired))
}

/// `_makemigrations_shadow_<pid>_<time>`: the pid alone repeats across containers (often 1), and
/// two runs against one server must not share a scratch database.
fn scratch_database_name() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        format!("_makemigrations_shadow_{}_{nanos}", std::process::id())
    })
}

async fn current_database<C: ConnectionTrait>(db: &C) -> Result<Option<String>, DbErr> {
    introspect::scalar(db, "SELECT DATABASE()").await
}

/// Creates `_makemigrations_shadow_<pid>` with the live database's character set and collation,
/// builds the entities' tables there on one pinned connection, reads it, and drops it, whatever
/// happened in between.
async fn build_in_scratch_database<C>(
    db: &C,
    live_database: &str,
    script: &str,
) -> Result<Schema, Error>
where
    C: ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>,
{
    let scratch = scratch_database_name();
    // `CREATE DATABASE` takes no variables: read them first.
    let defaults = "SELECT CONCAT('CHARACTER SET ', @@character_set_database, \
                    ' COLLATE ', @@collation_database)";
    let charset = introspect::scalar(db, defaults).await?.unwrap_or_default();
    let create = format!("CREATE DATABASE {} {charset}", mysql_ident(scratch));
    if let Err(e) = db.execute_unprepared(&create).await {
        return Err(Error::Refused(format!(
            "cannot create the scratch database {scratch} that the comparison needs: {e}\n  \
             fix: grant this user CREATE and DROP on `\\_makemigrations\\_shadow\\_%`, or create an \
             empty database yourself and pass it with --shadow-url (or SHADOW_DATABASE_URL)"
        )));
    }
    // One connection for all of it: `USE` is per connection.
    let pinned = match db.begin().await {
        Ok(pinned) => pinned,
        Err(e) => {
            drop_scratch_database(db).await;
            return Err(e.into());
        }
    };
    let result = async {
        pinned
            .execute_unprepared(&format!("USE {}", mysql_ident(scratch)))
            .await?;
        let build = crate::timings::phase("shadow: build");
        pinned.execute_unprepared(script).await?;
        drop(build);
        let read = crate::timings::phase("shadow: discover");
        let desired = introspect::mysql::discover(&pinned, scratch).await?;
        drop(read);
        Ok::<_, DbErr>(desired)
    }
    .await;
    // Back to the live database before the connection returns to the pool.
    let back = pinned
        .execute_unprepared(&format!("USE {}", mysql_ident(live_database)))
        .await;
    let _ = pinned.rollback().await;
    drop_scratch_database(db).await;
    back?;
    Ok(result?)
}

async fn drop_scratch_database<C: ConnectionTrait>(db: &C) {
    let sql = format!(
        "DROP DATABASE IF EXISTS {}",
        mysql_ident(scratch_database_name())
    );
    let _ = db.execute_unprepared(&sql).await;
}

/// The user's own scratch database: it must be another database than the live one, and empty.
/// The tables built there are dropped again afterwards.
async fn build_in_given_database<C: ConnectionTrait>(
    live: &C,
    url: &str,
    script: &str,
) -> Result<Schema, Error> {
    let shown = crate::database::redact(url);
    if crate::database::backend_of_url(url)? != makemigrations_core::Backend::MySql {
        return Err(Error::Refused(format!(
            "the shadow database {shown} is not a MySQL/MariaDB database\n  fix: give --shadow-url (or SHADOW_DATABASE_URL) a mysql:// URL on the same kind of server"
        )));
    }
    let mut options = ConnectOptions::new(crate::database::driver_url(url));
    options.max_connections(1).sqlx_logging(false);
    let shadow = Database::connect(options)
        .await
        .map_err(|e| Error::Connect {
            url: shown.clone(),
            reason: crate::database::redact_in(&e.to_string(), url),
        })?;
    // Both sides must be spelled by the same server: MariaDB writes `int(11)` where MySQL 8
    // writes `int`, and every column would differ.
    let version_sql = "SELECT CAST(VERSION() AS CHAR)";
    let shadow_version = introspect::scalar(&shadow, version_sql)
        .await?
        .unwrap_or_default();
    let live_version = introspect::scalar(live, version_sql)
        .await?
        .unwrap_or_default();
    if shadow_version != live_version {
        return Err(Error::Refused(format!(
            "the shadow database {shown} runs {shadow_version}, but the database being migrated runs {live_version}\n  \
             fix: give --shadow-url (or SHADOW_DATABASE_URL) an empty database on a server of the same version"
        )));
    }
    let whereabouts = "SELECT CONCAT(@@hostname, ':', @@port, '/', DATABASE())";
    if introspect::scalar(&shadow, whereabouts).await?
        == introspect::scalar(live, whereabouts).await?
    {
        return Err(Error::Refused(format!(
            "the shadow database {shown} is the database being migrated\n  fix: give --shadow-url (or SHADOW_DATABASE_URL) another, empty database"
        )));
    }
    let Some(name) = current_database(&shadow).await? else {
        return Err(Error::Refused(format!(
            "the shadow URL {shown} names no database\n  fix: end it with an empty database, e.g. mysql://user@host:3306/shop_shadow"
        )));
    };
    let existing = crate::executor::table_names(&shadow).await?;
    if !existing.is_empty() {
        return Err(Error::Refused(format!(
            "the shadow database {shown} is not empty (it has {} table(s), e.g. {})\n  \
             fix: give --shadow-url (or SHADOW_DATABASE_URL) an empty database: the tool builds the entities' tables there and drops them again",
            existing.len(),
            existing.iter().next().map(String::as_str).unwrap_or_default()
        )));
    }
    let result = async {
        shadow.execute_unprepared(script).await?;
        introspect::mysql::discover(&shadow, &name).await
    }
    .await;
    let built = crate::executor::table_names(&shadow).await?;
    if !built.is_empty() {
        let list: Vec<String> = built.iter().map(|t| mysql_ident(t)).collect();
        shadow
            .execute_unprepared(&format!(
                "SET FOREIGN_KEY_CHECKS = 0; DROP TABLE {}; SET FOREIGN_KEY_CHECKS = 1",
                list.join(", ")
            ))
            .await?;
    }
    shadow.close().await?;
    Ok(result?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use makemigrations_core::{Column, ForeignKey, Index, Table};

    fn table(name: &str, columns: &[&str]) -> Table {
        let mut table = Table::new(name);
        for column in columns {
            table
                .columns
                .push(Column::new(*column, ColumnType::Text, "text"));
        }
        table
    }

    #[test]
    fn an_unmapped_live_column_is_kept_with_its_index_and_keys() {
        let mut live = Schema::default();
        let mut documents = table("documents", &["id", "title", "search"]);
        documents.columns[2] =
            Column::new("search", ColumnType::Custom("tsvector".into()), "tsvector");
        documents.indexes.push(Index {
            name: "documents_search_idx".into(),
            columns: vec!["search".into()],
            unique: false,
            constraint: false,
        });
        documents.indexes.push(Index {
            name: "documents_title_idx".into(),
            columns: vec!["title".into()],
            unique: false,
            constraint: false,
        });
        live.tables.insert("documents".into(), documents);
        let mut notes = table("notes", &["id", "search"]);
        notes.foreign_keys.push(ForeignKey {
            name: Some("notes_search_fkey".into()),
            columns: vec!["search".into()],
            ref_table: "documents".into(),
            ref_columns: vec!["search".into()],
            on_delete: makemigrations_core::ForeignKeyAction::NoAction,
            on_update: makemigrations_core::ForeignKeyAction::NoAction,
            declared: Default::default(),
        });
        live.tables.insert("notes".into(), notes);

        let mut desired = Schema::default();
        desired
            .tables
            .insert("documents".into(), table("documents", &["id", "title"]));
        desired
            .tables
            .insert("notes".into(), table("notes", &["id", "search"]));
        keep_unmapped_columns(
            &live,
            &mut desired,
            &[
                ("documents".into(), "search"),
                ("documents".into(), "missing"),
            ],
        );

        let documents = &desired.tables["documents"];
        assert_eq!(
            documents.column("search"),
            live.tables["documents"].column("search")
        );
        assert!(documents.column("missing").is_none());
        let indexes: Vec<&str> = documents.indexes.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            indexes,
            ["documents_search_idx"],
            "only the index on the kept column"
        );
        assert_eq!(
            desired.tables["notes"].foreign_keys,
            live.tables["notes"].foreign_keys
        );
    }
}
