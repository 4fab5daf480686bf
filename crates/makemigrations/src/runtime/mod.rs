//! Helpers that generated migrations call for the changes backends make differently.
//!
//! A generated file must apply on every backend (teams run PostgreSQL in production and SQLite in
//! tests), but SQLite's `ALTER TABLE` cannot change a column, a foreign key or a primary key, and
//! sea-query's `modify_column` can neither drop a default nor cast a type. Each helper here states
//! the change once and picks the strategy when the migration runs: `ALTER TABLE` where the backend
//! can, a table rebuild on SQLite where it cannot (Alembic's batch mode, Django's remake), and
//! on MySQL one `ALTER TABLE` restating what MySQL would otherwise forget (see `mysql`).
//!
//! Laid out as `introspect` is: each public helper here is the one dispatch on the backend, and
//! each backend's strategy is a file of its own: `postgres` (with `postgres_views`), `mysql`, and
//! `sqlite_rebuild`. They match `DbBackend` only, never a driver's types, so every backend's
//! strategy compiles whichever driver features are on.

mod mysql;
mod postgres;
mod postgres_views;
mod sql;
mod sqlite_rebuild;
mod statements;

pub use sql::{default_sql, ident, literal, mysql_ident, type_sql};
pub use statements::{fold_index, Statements};

use makemigrations_core::ForeignKey;
use sea_orm::sea_query::{
    ColumnDef, ForeignKeyAction, ForeignKeyCreateStatement, Index, IntoColumnDef, Table,
};
use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use sea_orm_migration::SchemaManager;

async fn exec(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    manager
        .get_connection()
        .execute_unprepared(sql)
        .await
        .map(|_| ())
}

fn backend(manager: &SchemaManager<'_>) -> DbBackend {
    manager.get_database_backend()
}

/// The placeholder `makemigrations` writes where existing rows need a value it cannot choose.
/// It always fails, so the migration cannot be applied (by `migrate` or by an application's own
/// `Migrator::up`) until the call is replaced by statements that fill the column.
pub fn todo_backfill(table: &str, column: &str) -> Result<(), DbErr> {
    Err(DbErr::Migration(format!(
        "the backfill of {table}.{column} is still the placeholder todo_backfill(\"{table}\", \"{column}\"): \
         replace it with statements that fill {table}.{column} for existing rows"
    )))
}

/// The guard at the top of a baseline's `up`: `true` where all of its tables exist (the adopted
/// database: nothing to create), `false` where none do (an empty database: create them), an
/// error naming both lists in between. So an application's own `Migrator::up` treats a baseline
/// as `migrate` does.
pub async fn baseline_tables_exist(
    manager: &SchemaManager<'_>,
    tables: &[&str],
) -> Result<bool, DbErr> {
    let existing = crate::executor::table_names(manager.get_connection()).await?;
    match crate::gate::baseline_step_for(tables, &existing) {
        crate::gate::BaselineStep::Run => Ok(false),
        crate::gate::BaselineStep::Record => Ok(true),
        crate::gate::BaselineStep::Refuse { present, missing } => Err(DbErr::Migration(format!(
            "this baseline's tables are partly here ({}) and partly missing ({}): create the missing \
             ones (or drop the partial ones) so that the database is either empty or the adopted one",
            present.join(", "),
            missing.join(", ")
        ))),
    }
}

/// `CREATE TYPE .. AS ENUM` on PostgreSQL; elsewhere enums are part of the column type. A file
/// generated where enums are inline cannot know whether the type exists already (another table
/// uses it): a type with the same values in the same order is left alone, one with other values
/// is an error naming both lists.
pub async fn create_enum<const N: usize>(
    manager: &SchemaManager<'_>,
    name: &str,
    values: [&str; N],
) -> Result<(), DbErr> {
    if backend(manager) != DbBackend::Postgres {
        return Ok(());
    }
    postgres::create_enum(manager, name, &values).await
}

/// `DROP TYPE` on PostgreSQL, unless a column still uses the type (a file generated where enums
/// are inline cannot know whether other tables share it).
pub async fn drop_enum(manager: &SchemaManager<'_>, name: &str) -> Result<(), DbErr> {
    if backend(manager) != DbBackend::Postgres {
        return Ok(());
    }
    postgres::drop_enum(manager, name).await
}

/// Changes the values of a PostgreSQL enum type by recreating it: the old type is renamed to
/// `<name>_old`, the new one created, every column that uses it converted through text (with
/// literal defaults restored), and the old type dropped. The views that read those columns (and
/// the views over them) are dropped first and created again at the end, as `alter_column` does;
/// a materialized view or a rule among them stops the change. Even when values are only added, this
/// recreates rather than `ALTER TYPE .. ADD VALUE`: an added value cannot be used in the
/// transaction that added it ("unsafe use of new value"), and the migration runs in one, so a
/// default or a data statement using the value later in the same migration would fail. The cost
/// is a rewrite of every table with a column of the type, under an exclusive lock. MySQL changes
/// the enum columns that have the `from` values.
pub async fn alter_enum<const F: usize, const T: usize, const C: usize>(
    manager: &SchemaManager<'_>,
    name: &str,
    from: [&str; F],
    to: [&str; T],
    columns: [(&str, &str); C],
) -> Result<(), DbErr> {
    match backend(manager) {
        DbBackend::Postgres => postgres::alter_enum(manager, name, &to).await,
        DbBackend::MySql => mysql::alter_enum(manager, &from, &to, &columns).await,
        _ => Ok(()),
    }
}

/// Adds a column. SQLite cannot add a primary-key or unique column, a NOT NULL column without a
/// constant default, or one defaulting to an expression: those rebuild the table.
pub async fn add_column(
    manager: &SchemaManager<'_>,
    table: &str,
    column: impl IntoColumnDef,
) -> Result<(), DbErr> {
    let mut column = column.into_column_def();
    if backend(manager) == DbBackend::MySql {
        mysql_uuid_default(&mut column);
    }
    if backend(manager) == DbBackend::Sqlite && !sqlite_can_add(&column) {
        let new_column = sqlite_rebuild::column_from_def(&column);
        return sqlite_rebuild::rebuild(manager, table, |t| {
            t.columns.push(new_column.0);
            if new_column.1 {
                t.primary_key = vec![t.columns.last().expect("pushed").name.clone()];
            }
        })
        .await;
    }
    manager
        .alter_table(
            Table::alter()
                .table(table.to_string())
                .add_column(column)
                .to_owned(),
        )
        .await
}

/// MySQL keeps a uuid as `binary(16)`, which refuses the 36-character text default that a file
/// states (the nil uuid that `down` fills a restored column with): write its 16 bytes instead.
fn mysql_uuid_default(column: &mut ColumnDef) {
    use sea_orm::sea_query::{ColumnType, Expr, Value};
    if column.get_column_type() != Some(&ColumnType::Uuid) {
        return;
    }
    let Some(Expr::Value(Value::String(Some(text)))) = &column.get_column_spec().default else {
        return;
    };
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    if hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        column.default(Expr::cust(format!("X'{hex}'")));
    }
}

fn sqlite_can_add(column: &ColumnDef) -> bool {
    let spec = column.get_column_spec();
    let constant_default = matches!(spec.default, Some(sea_orm::sea_query::Expr::Value(_)));
    let nullable = spec.nullable != Some(false);
    !spec.primary_key
        && !spec.unique
        && (nullable || constant_default)
        && (spec.default.is_none() || constant_default)
}

/// Drops a column. On SQLite a column that a key or an index uses is dropped by rebuilding the
/// table (its indexes on the column go with it).
pub async fn drop_column(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
) -> Result<(), DbErr> {
    if backend(manager) == DbBackend::Sqlite {
        let current = sqlite_rebuild::read_table(manager, table).await?;
        let used = current.primary_key.iter().any(|c| c == column)
            || current.column(column).is_some_and(|c| c.unique)
            || current
                .indexes
                .iter()
                .any(|i| i.columns.iter().any(|c| c == column))
            || current
                .foreign_keys
                .iter()
                .any(|f| f.columns.iter().any(|c| c == column));
        if used {
            let column = column.to_string();
            return sqlite_rebuild::rebuild(manager, table, move |t| {
                t.columns.retain(|c| c.name != column);
                t.primary_key.retain(|c| *c != column);
                t.indexes.retain(|i| !i.columns.contains(&column));
                t.foreign_keys.retain(|f| !f.columns.contains(&column));
            })
            .await;
        }
    }
    manager
        .alter_table(
            Table::alter()
                .table(table.to_string())
                .drop_column(column.to_string())
                .to_owned(),
        )
        .await
}

/// Changes a column from `from` to `to`: type, nullability, default, uniqueness, comment. Only
/// the parts that differ are altered.
pub async fn alter_column(
    manager: &SchemaManager<'_>,
    table: &str,
    from: impl IntoColumnDef,
    to: impl IntoColumnDef,
) -> Result<(), DbErr> {
    let (from, to) = (from.into_column_def(), to.into_column_def());
    match backend(manager) {
        DbBackend::Sqlite => {
            let (new_column, _) = sqlite_rebuild::column_from_def(&to);
            let old_name = from.get_column_name();
            sqlite_rebuild::rebuild(manager, table, move |t| {
                if let Some(slot) = t.columns.iter_mut().find(|c| c.name == old_name) {
                    *slot = new_column;
                }
            })
            .await
        }
        DbBackend::MySql => mysql::alter_column(manager, table, &from, &to).await,
        _ => postgres::alter_column(manager, table, &from, &to).await,
    }
}

/// Adds a foreign key; SQLite rebuilds the table with it.
pub async fn add_foreign_key(
    manager: &SchemaManager<'_>,
    foreign_key: ForeignKeyCreateStatement,
) -> Result<(), DbErr> {
    if backend(manager) == DbBackend::Sqlite {
        let key = core_foreign_key(&foreign_key);
        let table = foreign_key_table(&foreign_key)?;
        return sqlite_rebuild::rebuild(manager, &table, move |t| t.foreign_keys.push(key)).await;
    }
    manager.create_foreign_key(foreign_key).await
}

/// Drops the foreign key that connects the same columns to the same table as `foreign_key`,
/// whatever its name in this database (SQLite keeps no names; SQLite rebuilds the table).
pub async fn drop_foreign_key(
    manager: &SchemaManager<'_>,
    foreign_key: ForeignKeyCreateStatement,
) -> Result<(), DbErr> {
    let key = core_foreign_key(&foreign_key);
    let table = foreign_key_table(&foreign_key)?;
    match backend(manager) {
        DbBackend::Sqlite => {
            sqlite_rebuild::rebuild(manager, &table, move |t| {
                t.foreign_keys.retain(|k| k.signature() != key.signature())
            })
            .await
        }
        DbBackend::MySql => {
            let name = mysql::foreign_key_name(manager, &table, &key)
                .await?
                .ok_or_else(|| no_foreign_key(&table, &key))?;
            mysql::drop_foreign_key(manager, &table, &name).await
        }
        _ => postgres::drop_foreign_key(manager, &table, &key).await,
    }
}

fn no_foreign_key(table: &str, key: &ForeignKey) -> DbErr {
    DbErr::Migration(format!(
        "no foreign key {table}.({}) to drop",
        key.columns.join(", ")
    ))
}

/// Drops an index, or a UNIQUE constraint of that name (whichever this database has: a file
/// generated elsewhere cannot know). On MySQL an index that the last foreign key on its columns
/// needs is replaced by the one InnoDB would have made for the key; PostgreSQL drops a constraint
/// with `DROP CONSTRAINT`; SQLite cannot drop one at all, so it rebuilds the table without it.
pub async fn drop_index(manager: &SchemaManager<'_>, table: &str, name: &str) -> Result<(), DbErr> {
    match backend(manager) {
        DbBackend::MySql => return mysql::drop_index(manager, table, name).await,
        DbBackend::Postgres => {
            if postgres::drop_unique_constraint(manager, table, name).await? {
                return Ok(());
            }
        }
        _ => {
            let current = sqlite_rebuild::read_table(manager, table).await?;
            if current
                .indexes
                .iter()
                .any(|i| i.name == name && i.constraint)
            {
                let name = name.to_string();
                return sqlite_rebuild::rebuild(manager, table, move |t| {
                    t.indexes.retain(|i| i.name != name)
                })
                .await;
            }
        }
    }
    manager
        .drop_index(
            Index::drop()
                .name(name.to_string())
                .table(table.to_string())
                .to_owned(),
        )
        .await
}

/// Renames an index or a UNIQUE constraint of `table` (what `exact_names` asks for). PostgreSQL
/// renames a constraint with its index (`RENAME CONSTRAINT`); MySQL has `RENAME INDEX`; SQLite
/// has neither, so the index is created again under the new name, and a UNIQUE constraint, which
/// lives in the `CREATE TABLE`, costs a rebuild.
pub async fn rename_index(
    manager: &SchemaManager<'_>,
    table: &str,
    from: &str,
    to: &str,
) -> Result<(), DbErr> {
    match backend(manager) {
        DbBackend::MySql => mysql::rename_index(manager, table, from, to).await,
        DbBackend::Postgres => postgres::rename_index(manager, table, from, to).await,
        _ => {
            let current = sqlite_rebuild::read_table(manager, table).await?;
            let Some(index) = current.indexes.iter().find(|i| i.name == from).cloned() else {
                return Err(DbErr::Migration(format!(
                    "no index {from} on {table} to rename"
                )));
            };
            if index.constraint {
                let (from, to) = (from.to_string(), to.to_string());
                return sqlite_rebuild::rebuild(manager, table, move |t| {
                    for index in t.indexes.iter_mut().filter(|i| i.name == from) {
                        index.name = to.clone();
                    }
                })
                .await;
            }
            let columns: Vec<String> = index.columns.iter().map(|c| ident(c)).collect();
            exec(manager, &format!("DROP INDEX {}", ident(from))).await?;
            let sql = format!(
                "CREATE {}INDEX {} ON {} ({})",
                if index.unique { "UNIQUE " } else { "" },
                ident(to),
                ident(table),
                columns.join(", ")
            );
            exec(manager, &sql).await
        }
    }
}

/// Adds a UNIQUE constraint (a unique index on MySQL, where they are the same thing); SQLite
/// rebuilds the table with it.
pub async fn add_unique_constraint<const N: usize>(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
    columns: [&str; N],
) -> Result<(), DbErr> {
    let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
    if backend(manager) == DbBackend::Sqlite {
        let index = makemigrations_core::Index {
            name: name.to_string(),
            columns,
            unique: true,
            constraint: true,
        };
        return sqlite_rebuild::rebuild(manager, table, move |t| t.indexes.push(index)).await;
    }
    if backend(manager) == DbBackend::MySql {
        return mysql::add_unique_constraint(manager, table, name, &columns).await;
    }
    let list: Vec<String> = columns.iter().map(|c| ident(c)).collect();
    let sql = format!(
        "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({})",
        ident(table),
        ident(name),
        list.join(", ")
    );
    exec(manager, &sql).await
}

/// Sets the primary key of `table` to `columns` (none: no primary key).
pub async fn set_primary_key<const N: usize>(
    manager: &SchemaManager<'_>,
    table: &str,
    columns: [&str; N],
) -> Result<(), DbErr> {
    let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
    match backend(manager) {
        DbBackend::Sqlite => {
            sqlite_rebuild::rebuild(manager, table, move |t| {
                for column in &mut t.columns {
                    if !columns.contains(&column.name) {
                        column.auto_increment = false;
                    }
                }
                t.primary_key = columns;
            })
            .await
        }
        DbBackend::MySql => mysql::set_primary_key(manager, table, &columns).await,
        _ => postgres::set_primary_key(manager, table, &columns).await,
    }
}

/// `COMMENT ON TABLE` on PostgreSQL; on MySQL the table's comment unless it already has it;
/// SQLite has no comments.
pub async fn comment_on_table(
    manager: &SchemaManager<'_>,
    table: &str,
    comment: Option<&str>,
) -> Result<(), DbErr> {
    match backend(manager) {
        DbBackend::Postgres => postgres::comment_on_table(manager, table, comment).await,
        DbBackend::MySql => mysql::comment_on_table(manager, table, comment).await,
        _ => Ok(()),
    }
}

/// `COMMENT ON COLUMN` on PostgreSQL; on MySQL the column's comment unless it already has it;
/// SQLite has no comments.
pub async fn comment_on_column(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    comment: Option<&str>,
) -> Result<(), DbErr> {
    match backend(manager) {
        DbBackend::Postgres => postgres::comment_on_column(manager, table, column, comment).await,
        DbBackend::MySql => mysql::comment_on_column(manager, table, column, comment).await,
        _ => Ok(()),
    }
}

fn foreign_key_table(foreign_key: &ForeignKeyCreateStatement) -> Result<String, DbErr> {
    foreign_key
        .get_foreign_key()
        .get_table()
        .map(table_ref_name)
        .ok_or_else(|| DbErr::Migration("a foreign key needs `.from(table, columns)`".into()))
}

fn table_ref_name(table: &sea_orm::sea_query::TableRef) -> String {
    use sea_orm::sea_query::TableRef;
    match table {
        TableRef::Table(name, _) => name.1.to_string(),
        other => format!("{other:?}"),
    }
}

/// A foreign key statement in the neutral model (the scratch comparison reads them so).
#[doc(hidden)]
pub fn core_foreign_key(foreign_key: &ForeignKeyCreateStatement) -> ForeignKey {
    let key = foreign_key.get_foreign_key();
    let action = |a: Option<ForeignKeyAction>| match a {
        Some(ForeignKeyAction::Cascade) => makemigrations_core::ForeignKeyAction::Cascade,
        Some(ForeignKeyAction::Restrict) => makemigrations_core::ForeignKeyAction::Restrict,
        Some(ForeignKeyAction::SetNull) => makemigrations_core::ForeignKeyAction::SetNull,
        Some(ForeignKeyAction::SetDefault) => makemigrations_core::ForeignKeyAction::SetDefault,
        _ => makemigrations_core::ForeignKeyAction::NoAction,
    };
    ForeignKey {
        name: key.get_name().map(str::to_string),
        columns: key.get_columns(),
        ref_table: key.get_ref_table().map(table_ref_name).unwrap_or_default(),
        ref_columns: key.get_ref_columns(),
        on_delete: action(key.get_on_delete()),
        on_update: action(key.get_on_update()),
        declared: makemigrations_core::DeclaredActions {
            on_delete: key.get_on_delete().is_some(),
            on_update: key.get_on_update().is_some(),
        },
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn todo_backfill_always_fails_naming_the_column() {
        let error = super::todo_backfill("users", "phone")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("the backfill of users.phone is still the placeholder"),
            "{error}"
        );
    }
}
