//! SQLite's table rebuild: the "12 steps" of SQLite's own `ALTER TABLE` documentation, as
//! Alembic's batch mode and Django's schema editor do them.
//!
//! The table is read back from the database when the migration runs (so the file only states the
//! change), edited in the neutral model, created under a temporary name, filled with the old rows,
//! and renamed into place after the old table is dropped; then its indexes are created again.
//! Foreign-key enforcement must be off meanwhile for a table that others reference: with it on,
//! the DROP runs their ON DELETE actions on their rows. `migrate` turns it off around each SQLite
//! migration; outside a transaction (an application's own `Migrator::up`) this helper turns it
//! off, rebuilds in a transaction of its own and turns it on again; inside someone else's
//! transaction with enforcement on, it refuses such a table rather than lose rows (see
//! [`rebuild`]). `foreign_key_check` reports anything left broken before the transaction commits.
//!
//! Views and triggers are not part of the model, but they depend on the table by name: `DROP
//! TABLE` takes the table's triggers with it, and the `RENAME` refuses while any view or trigger
//! names a table that is gone (`error in view v: no such table`). So the views and triggers that
//! name the table (and the views and triggers that name those views) are read from
//! `sqlite_master` first, dropped before the table is, and created again from their own SQL
//! afterwards, in their original order. A view that no longer works on the new table (it reads a
//! column the change removed) fails the migration, naming the view and the column.

use makemigrations_core::{Column, Default, DefaultValue, Table};
use sea_orm::sea_query::ColumnDef;
use sea_orm::{DbBackend, DbErr, TransactionTrait};
use sea_orm_migration::{SchemaManager, SchemaManagerConnection};

use super::{default_sql, exec, ident, type_sql};
use crate::introspect;

/// The prefix a table carries while it is being rebuilt; discovery never reports such tables.
pub(crate) const NEW_PREFIX: &str = "_makemigrations_new_";

pub(super) async fn read_table(manager: &SchemaManager<'_>, table: &str) -> Result<Table, DbErr> {
    let schema = introspect::sqlite::discover(manager.get_connection()).await?;
    schema
        .tables
        .get(table)
        .cloned()
        .ok_or_else(|| DbErr::Migration(format!("table {table} does not exist")))
}

/// A sea-query column definition as a column of the model, spelled as SQLite would store it.
/// The flag says whether the definition makes the column the primary key.
pub(super) fn column_from_def(def: &ColumnDef) -> (Column, bool) {
    let spec = def.get_column_spec();
    let db_type = def
        .get_column_type()
        .map(|t| type_sql(DbBackend::Sqlite, t))
        .unwrap_or_default();
    let mut column = Column::new(
        def.get_column_name(),
        makemigrations_core::ColumnType::Custom(db_type.clone()),
        db_type,
    );
    column.nullable = spec.nullable != Some(false) && !spec.primary_key;
    column.unique = spec.unique;
    column.auto_increment = spec.auto_increment;
    column.default = spec.default.as_ref().map(|e| {
        let sql = default_sql(DbBackend::Sqlite, e);
        Default {
            value: DefaultValue::Custom(sql.clone()),
            sql,
        }
    });
    (column, spec.primary_key)
}

/// Rebuilds `table` after `edit` changed its model. Columns present before and after keep their
/// rows; new columns get their defaults.
///
/// The rebuild is always atomic and never leaves foreign-key enforcement off:
/// - inside a transaction (`migrate`, or a migration whose `use_transaction()` asks for one) it
///   runs in that transaction. With enforcement on there (it cannot change inside one), a table
///   that other tables (or itself) reference is refused: its `DROP TABLE` would delete or null
///   their rows through ON DELETE actions. Any other table is rebuilt with enforcement on.
/// - outside one (an application's own `Migrator::up`, which runs SQLite migrations without a
///   transaction), it turns enforcement off, opens a transaction of its own on the same
///   connection, and turns enforcement back on afterwards, whatever happened.
pub(super) async fn rebuild(
    manager: &SchemaManager<'_>,
    table: &str,
    edit: impl FnOnce(&mut Table),
) -> Result<(), DbErr> {
    let SchemaManagerConnection::Connection(db) = manager.get_connection() else {
        return rebuild_here(manager, table, edit).await;
    };
    let turned_off = foreign_keys_enabled(manager).await?;
    if turned_off {
        exec(manager, "PRAGMA foreign_keys = OFF").await?;
    }
    let outcome = async {
        let txn = db.begin().await?;
        match rebuild_here(&SchemaManager::new(&txn), table, edit).await {
            Ok(()) => txn.commit().await,
            Err(e) => {
                txn.rollback().await?;
                Err(e)
            }
        }
    }
    .await;
    if turned_off {
        let restored = exec(manager, "PRAGMA foreign_keys = ON").await;
        // The rebuild's own error says more than one from restoring the setting.
        outcome?;
        restored?;
        return Ok(());
    }
    outcome
}

/// The rebuild itself, on the connection or transaction of `manager`.
async fn rebuild_here(
    manager: &SchemaManager<'_>,
    table: &str,
    edit: impl FnOnce(&mut Table),
) -> Result<(), DbErr> {
    let mut model = read_table(manager, table).await?;
    if foreign_keys_enabled(manager).await? {
        refuse_if_referenced(manager, table).await?;
    }
    let old_columns: Vec<String> = model.columns.iter().map(|c| c.name.clone()).collect();
    edit(&mut model);
    let copied: Vec<String> = model
        .columns
        .iter()
        .filter(|c| old_columns.contains(&c.name))
        .map(|c| ident(&c.name))
        .collect();
    let temporary = ident(&format!("{NEW_PREFIX}{table}"));
    let target = ident(table);

    let dependents = dependents(manager, table).await?;
    model.name = format!("{NEW_PREFIX}{table}");
    exec(manager, &create_table_sql(&model)).await?;
    let columns = copied.join(", ");
    exec(
        manager,
        &format!("INSERT INTO {temporary} ({columns}) SELECT {columns} FROM {target}"),
    )
    .await?;
    for dependent in dependents.iter().rev() {
        exec(
            manager,
            &format!(
                "DROP {} IF EXISTS {}",
                dependent.kind,
                ident(&dependent.name)
            ),
        )
        .await?;
    }
    exec(manager, &format!("DROP TABLE {target}")).await?;
    exec(
        manager,
        &format!("ALTER TABLE {temporary} RENAME TO {target}"),
    )
    .await?;
    // UNIQUE constraints are part of the CREATE TABLE; SQLite reserves their index names.
    for index in model.indexes.iter().filter(|i| !i.constraint) {
        let list: Vec<String> = index.columns.iter().map(|c| ident(c)).collect();
        exec(
            manager,
            &format!(
                "CREATE {}INDEX {} ON {target} ({})",
                if index.unique { "UNIQUE " } else { "" },
                ident(&index.name),
                list.join(", ")
            ),
        )
        .await?;
    }
    recreate(manager, table, &dependents).await?;

    let broken = introspect::query(
        manager.get_connection(),
        &format!(
            "SELECT * FROM pragma_foreign_key_check({})",
            super::literal(table)
        ),
        vec![],
    )
    .await?;
    if !broken.is_empty() {
        return Err(DbErr::Migration(format!(
            "rebuilding table {table} left {} row(s) whose foreign keys point nowhere; \
             fix the data (or the change) and run the migration again",
            broken.len()
        )));
    }
    Ok(())
}

/// With enforcement on, `DROP TABLE` first deletes the table's rows, running the ON DELETE
/// actions of every foreign key that references it: the rebuild would empty or break the
/// referencing tables. Enforcement cannot be turned off inside a transaction, so such a table
/// is refused (the transaction is rolled back by its owner).
async fn refuse_if_referenced(manager: &SchemaManager<'_>, table: &str) -> Result<(), DbErr> {
    let rows = introspect::query(
        manager.get_connection(),
        "SELECT DISTINCT m.name AS name FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
         WHERE m.type = 'table' AND f.\"table\" = ? COLLATE NOCASE ORDER BY m.name",
        vec![table.into()],
    )
    .await?;
    let referencing: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String>("", "name"))
        .collect::<Result<_, _>>()?;
    if referencing.is_empty() {
        return Ok(());
    }
    Err(DbErr::Migration(format!(
        "SQLite must rebuild table {table}, which {} reference(s) with foreign keys; inside a \
         transaction with foreign-key enforcement on (it cannot change there), dropping the old \
         table would delete or change their rows, so nothing was changed\n  fix: apply \
         migrations with the `migrate` command, or run this migration without a transaction \
         (`use_transaction()` returning `None`, the default: the rebuild then makes a transaction \
         of its own with enforcement off), or turn enforcement off on the connection before \
         `Migrator::up` (`PRAGMA foreign_keys = OFF`) and back on after it",
        referencing.join(", ")
    )))
}

/// A view or trigger that names the rebuilt table, directly or through a view, as
/// `sqlite_master` keeps it.
struct Dependent {
    /// `VIEW` or `TRIGGER`, as `DROP` spells it.
    kind: &'static str,
    name: String,
    sql: String,
}

/// The views and triggers that must make way for the rebuild of `table`, in the order they were
/// created (so a view is created again after the views it reads). A trigger belongs when it is on
/// the table or one of those views, or names one of them in its body. The SQL is matched by its
/// identifiers, so a column or alias that happens to share a name only costs a needless re-create.
async fn dependents(manager: &SchemaManager<'_>, table: &str) -> Result<Vec<Dependent>, DbErr> {
    let rows = introspect::query(
        manager.get_connection(),
        "SELECT type, name, tbl_name, sql FROM sqlite_master \
         WHERE type IN ('view', 'trigger') AND sql IS NOT NULL ORDER BY rowid",
        vec![],
    )
    .await?;
    let mut candidates = Vec::new();
    for row in rows {
        let kind: String = row.try_get("", "type")?;
        let name: String = row.try_get("", "name")?;
        let on: String = row.try_get("", "tbl_name")?;
        let sql: String = row.try_get("", "sql")?;
        let names: Vec<String> = introspect::sqlite::tokens(&sql)
            .into_iter()
            .flat_map(|(word, quoted)| {
                // `main.t` and `new.id` are one word; a quoted identifier is one name.
                if quoted {
                    vec![word.to_lowercase()]
                } else {
                    word.split('.').map(str::to_lowercase).collect()
                }
            })
            .chain([on.to_lowercase()])
            .collect();
        candidates.push((
            kind == "view",
            Dependent {
                kind: if kind == "view" { "VIEW" } else { "TRIGGER" },
                name,
                sql,
            },
            names,
            false,
        ));
    }
    let mut reached = vec![table.to_lowercase()];
    loop {
        let mut grew = false;
        for (is_view, dependent, names, chosen) in &mut candidates {
            if !*chosen && names.iter().any(|n| reached.contains(n)) {
                *chosen = true;
                grew = true;
                if *is_view {
                    reached.push(dependent.name.to_lowercase());
                }
            }
        }
        if !grew {
            break;
        }
    }
    Ok(candidates
        .into_iter()
        .filter(|(_, _, _, chosen)| *chosen)
        .map(|(_, dependent, _, _)| dependent)
        .collect())
}

/// Creates the views and triggers again from their own SQL. SQLite does not check a view's
/// columns when it is created, so each view is read once: a view that reads a column the change
/// removed fails here, in the migration's transaction, rather than at its first use.
async fn recreate(
    manager: &SchemaManager<'_>,
    table: &str,
    dependents: &[Dependent],
) -> Result<(), DbErr> {
    for dependent in dependents {
        let cannot = |e: DbErr| {
            DbErr::Migration(format!(
                "after rebuilding table {table}, {} {} cannot be created again: {}\n  \
                 fix: change or drop {} {} in this migration before the change to {table} \
                 (and create it again after it)",
                dependent.kind.to_lowercase(),
                dependent.name,
                database_message(&e),
                dependent.kind.to_lowercase(),
                dependent.name,
            ))
        };
        exec(manager, &dependent.sql).await.map_err(cannot)?;
        if dependent.kind == "VIEW" {
            let check = format!("SELECT * FROM {} LIMIT 0", ident(&dependent.name));
            introspect::query(manager.get_connection(), &check, vec![])
                .await
                .map_err(cannot)?;
        }
    }
    Ok(())
}

/// The database's own words (`no such column: price`) without sea-orm's wrapping.
fn database_message(error: &DbErr) -> String {
    let text = error.to_string();
    match text.rfind(") ") {
        Some(at) if text.contains("(code: ") => text[at + 2..].to_string(),
        _ => text,
    }
}

async fn foreign_keys_enabled(manager: &SchemaManager<'_>) -> Result<bool, DbErr> {
    let rows = introspect::query(manager.get_connection(), "PRAGMA foreign_keys", vec![]).await?;
    Ok(rows
        .first()
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0)
        == 1)
}

/// `CREATE TABLE` for the model, in the shape sea-query writes for SQLite.
fn create_table_sql(table: &Table) -> String {
    let mut parts = Vec::new();
    for column in &table.columns {
        let mut def = format!("{} {}", ident(&column.name), column.db_type);
        if !column.nullable {
            def.push_str(" NOT NULL");
        }
        if table.is_primary_key_column(&column.name) {
            def.push_str(" PRIMARY KEY");
            if column.auto_increment {
                def.push_str(" AUTOINCREMENT");
            }
        }
        if column.unique {
            def.push_str(" UNIQUE");
        }
        if let Some(default) = &column.default {
            def.push_str(&format!(" DEFAULT {}", default.sql));
        }
        parts.push(def);
    }
    let list = |names: &[String]| {
        names
            .iter()
            .map(|n| ident(n))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if table.has_composite_primary_key() {
        parts.push(format!("PRIMARY KEY ({})", list(&table.primary_key)));
    }
    for index in table.indexes.iter().filter(|i| i.constraint) {
        // An unnamed constraint reads back as `sqlite_autoindex_..`, a name SQLite keeps for itself.
        let name = if index.name.starts_with("sqlite_autoindex_") {
            String::new()
        } else {
            format!("CONSTRAINT {} ", ident(&index.name))
        };
        parts.push(format!("{name}UNIQUE ({})", list(&index.columns)));
    }
    for key in &table.foreign_keys {
        parts.push(format!(
            "FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {} ON UPDATE {}",
            list(&key.columns),
            ident(&key.ref_table),
            list(&key.ref_columns),
            key.on_delete.sql(),
            key.on_update.sql()
        ));
    }
    format!(
        "CREATE TABLE {} ( {} )",
        ident(&table.name),
        parts.join(", ")
    )
}
