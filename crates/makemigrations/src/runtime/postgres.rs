//! The PostgreSQL strategies of the helpers: enum types (created once, recreated to change their
//! values), `ALTER COLUMN` clauses and constraints, found in the catalog by what they are. The
//! views that read a column whose type changes make way and come back (`postgres_views`).

use makemigrations_core::ForeignKey;
use sea_orm::sea_query::ColumnDef;
use sea_orm::{DbBackend, DbErr};
use sea_orm_migration::SchemaManager;

use super::{default_sql, exec, ident, literal, postgres_views, type_sql};
use crate::introspect;

/// `CREATE TYPE .. AS ENUM` unless a type of that name has these values already.
pub(super) async fn create_enum(
    manager: &SchemaManager<'_>,
    name: &str,
    values: &[&str],
) -> Result<(), DbErr> {
    if let Some(existing) = enum_values(manager, name).await? {
        if existing == values {
            return Ok(());
        }
        return Err(DbErr::Migration(format!(
            "enum type {name} exists with the values ({}), not ({}) as this migration expects\n  \
             fix: change the entity's values to match, or alter the type in an earlier migration",
            existing.join(", "),
            values.join(", ")
        )));
    }
    let values: Vec<String> = values.iter().map(|v| literal(v)).collect();
    exec(
        manager,
        &format!(
            "CREATE TYPE {} AS ENUM ({})",
            ident(name),
            values.join(", ")
        ),
    )
    .await
}

/// The labels of the enum type `name` in the current schema, in order; `None` when there is no
/// type of that name (a type of that name that is not an enum has no labels).
async fn enum_values(
    manager: &SchemaManager<'_>,
    name: &str,
) -> Result<Option<Vec<String>>, DbErr> {
    let rows = introspect::query(
        manager.get_connection(),
        "SELECT (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e \
                 WHERE e.enumtypid = t.oid)::text AS labels \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE t.typname = $1 AND n.nspname = current_schema()",
        vec![name.to_string().into()],
    )
    .await?;
    rows.first()
        .map(|row| introspect::json_strings(row.try_get("", "labels")?))
        .transpose()
}

/// `DROP TYPE`, unless a column still uses the type.
pub(super) async fn drop_enum(manager: &SchemaManager<'_>, name: &str) -> Result<(), DbErr> {
    let users = introspect::query(
        manager.get_connection(),
        "SELECT 1 AS used FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         WHERE a.atttypid = to_regtype($1) AND NOT a.attisdropped AND c.relkind IN ('r', 'p') LIMIT 1",
        vec![ident(name).into()],
    )
    .await?;
    if !users.is_empty() {
        return Ok(());
    }
    exec(manager, &format!("DROP TYPE IF EXISTS {}", ident(name))).await
}

/// Recreates the enum type `name` with the values `to` (`super::alter_enum` says how).
pub(super) async fn alter_enum(
    manager: &SchemaManager<'_>,
    name: &str,
    to: &[&str],
) -> Result<(), DbErr> {
    let old_name = format!("{name}_old");
    let conn = manager.get_connection();
    let users = introspect::query(
        conn,
        "SELECT c.relname::text AS table_name, a.attname::text AS column_name, \
                pg_get_expr(d.adbin, d.adrelid) AS default_expr \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE a.atttypid = to_regtype($1) AND n.nspname = current_schema() AND c.relkind = 'r' \
           AND NOT a.attisdropped",
        vec![ident(name).into()],
    )
    .await?;
    let mut columns = Vec::new();
    for row in &users {
        columns.push((
            row.try_get::<String>("", "table_name")?,
            row.try_get::<String>("", "column_name")?,
        ));
    }
    // PostgreSQL refuses to change the type of a column that a view reads, and a view left in
    // place would keep the old type: the views make way (saved before the rename, so that their
    // definitions name the type by its own name) and are created again over the new type.
    let views = postgres_views::reading_columns(manager, &columns).await?;
    postgres_views::drop(manager, &views).await?;
    exec(
        manager,
        &format!("ALTER TYPE {} RENAME TO {}", ident(name), ident(&old_name)),
    )
    .await?;
    let values: Vec<String> = to.iter().map(|v| literal(v)).collect();
    exec(
        manager,
        &format!(
            "CREATE TYPE {} AS ENUM ({})",
            ident(name),
            values.join(", ")
        ),
    )
    .await?;
    for row in users {
        let table: String = row.try_get("", "table_name")?;
        let column: String = row.try_get("", "column_name")?;
        let default: Option<String> = row.try_get("", "default_expr")?;
        let (t, c, n) = (ident(&table), ident(&column), ident(name));
        if default.is_some() {
            exec(
                manager,
                &format!("ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT"),
            )
            .await?;
        }
        exec(
            manager,
            &format!("ALTER TABLE {t} ALTER COLUMN {c} TYPE {n} USING {c}::text::{n}"),
        )
        .await?;
        // A default such as `'pending'::order_status_old` is restored as its literal.
        if let Some(literal_part) = default.as_deref().and_then(|d| d.split("::").next()) {
            if literal_part.starts_with('\'') {
                exec(
                    manager,
                    &format!("ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {literal_part}::{n}"),
                )
                .await?;
            }
        }
    }
    exec(manager, &format!("DROP TYPE {}", ident(&old_name))).await?;
    postgres_views::create(manager, &views).await
}

/// `ALTER TABLE .. ALTER COLUMN` with a clause per changed part of the column.
pub(super) async fn alter_column(
    manager: &SchemaManager<'_>,
    table: &str,
    from: &ColumnDef,
    to: &ColumnDef,
) -> Result<(), DbErr> {
    let (t, c) = (ident(table), ident(&to.get_column_name()));
    let (old, new) = (from.get_column_spec(), to.get_column_spec());
    let mut clauses = Vec::new();
    let type_of = |def: &ColumnDef| {
        def.get_column_type()
            .map(|t| type_sql(DbBackend::Postgres, t))
    };
    let type_changed = type_of(from) != type_of(to);
    let default_of = |spec: &sea_orm::sea_query::ColumnSpec| {
        spec.default
            .as_ref()
            .map(|e| default_sql(DbBackend::Postgres, e))
    };
    // The old default would be cast along with the column, and may not cast (or would keep
    // depending on the old type): drop it first and set the new one after.
    if type_changed && old.default.is_some() {
        clauses.push(format!("ALTER COLUMN {c} DROP DEFAULT"));
    }
    if let (true, Some(type_sql)) = (type_changed, type_of(to)) {
        // PostgreSQL has no cast from one enum type to another (nor from an enum to most types):
        // an enum goes through its text.
        let from_enum = matches!(
            from.get_column_type(),
            Some(sea_orm::sea_query::ColumnType::Enum { .. })
        );
        let via = if from_enum { "::text" } else { "" };
        clauses.push(format!(
            "ALTER COLUMN {c} TYPE {type_sql} USING {c}{via}::{type_sql}"
        ));
    }
    let nullable = |spec: &sea_orm::sea_query::ColumnSpec| spec.nullable != Some(false);
    if nullable(old) != nullable(new) {
        clauses.push(format!(
            "ALTER COLUMN {c} {} NOT NULL",
            if nullable(new) { "DROP" } else { "SET" }
        ));
    }
    if default_of(old) != default_of(new) || (type_changed && old.default.is_some()) {
        match default_of(new) {
            Some(sql) => clauses.push(format!("ALTER COLUMN {c} SET DEFAULT {sql}")),
            None if !type_changed => clauses.push(format!("ALTER COLUMN {c} DROP DEFAULT")),
            None => {}
        }
    }
    if old.auto_increment != new.auto_increment {
        clauses.push(if new.auto_increment {
            format!("ALTER COLUMN {c} ADD GENERATED BY DEFAULT AS IDENTITY")
        } else {
            format!("ALTER COLUMN {c} DROP IDENTITY IF EXISTS")
        });
    }
    // PostgreSQL refuses to change the type of a column that a view reads: the views make way
    // and are created again from their definitions, in the migration's transaction.
    let views = if type_changed {
        postgres_views::reading_column(manager, table, &to.get_column_name()).await?
    } else {
        Vec::new()
    };
    postgres_views::drop(manager, &views).await?;
    if !clauses.is_empty() {
        exec(manager, &format!("ALTER TABLE {t} {}", clauses.join(", "))).await?;
    }
    postgres_views::create(manager, &views).await?;
    if new.auto_increment && !old.auto_increment {
        // A new identity starts at 1; existing rows would collide with the next insert.
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence({}, {}), COALESCE(MAX({c}), 0) + 1, false) FROM {t}",
            literal(&t),
            literal(&to.get_column_name())
        );
        exec(manager, &sql).await?;
    }
    if old.unique != new.unique {
        if new.unique {
            exec(manager, &format!("ALTER TABLE {t} ADD UNIQUE ({c})")).await?;
        } else {
            let name = constraint_name(manager, table, "u", &[to.get_column_name()]).await?;
            exec(
                manager,
                &format!("ALTER TABLE {t} DROP CONSTRAINT {}", ident(&name)),
            )
            .await?;
        }
    }
    if old.comment != new.comment {
        comment_on_column(
            manager,
            table,
            &to.get_column_name(),
            new.comment.as_deref(),
        )
        .await?;
    }
    Ok(())
}

/// Drops the foreign key of `table` that is `key`, found by its columns and target.
pub(super) async fn drop_foreign_key(
    manager: &SchemaManager<'_>,
    table: &str,
    key: &ForeignKey,
) -> Result<(), DbErr> {
    let name = constraint(manager, table, "f", |found, _| {
        found.signature() == key.signature()
    })
    .await?
    .ok_or_else(|| super::no_foreign_key(table, key))?;
    exec(
        manager,
        &format!(
            "ALTER TABLE {} DROP CONSTRAINT {}",
            ident(table),
            ident(&name)
        ),
    )
    .await
}

/// Drops the UNIQUE constraint `name` of `table`; `false` when there is none (an index then).
pub(super) async fn drop_unique_constraint(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
) -> Result<bool, DbErr> {
    let constraint = constraint(manager, table, "u", |_, n| n == name).await?;
    if constraint.is_none() {
        return Ok(false);
    }
    let sql = format!(
        "ALTER TABLE {} DROP CONSTRAINT {}",
        ident(table),
        ident(name)
    );
    exec(manager, &sql).await?;
    Ok(true)
}

/// Renames a UNIQUE constraint with its index (`RENAME CONSTRAINT`), or an index.
pub(super) async fn rename_index(
    manager: &SchemaManager<'_>,
    table: &str,
    from: &str,
    to: &str,
) -> Result<(), DbErr> {
    let constraint = constraint(manager, table, "u", |_, n| n == from).await?;
    let sql = match constraint {
        Some(_) => format!(
            "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
            ident(table),
            ident(from),
            ident(to)
        ),
        None => format!("ALTER INDEX {} RENAME TO {}", ident(from), ident(to)),
    };
    exec(manager, &sql).await
}

/// Drops the primary key, then adds one on `columns` (none: no primary key).
pub(super) async fn set_primary_key(
    manager: &SchemaManager<'_>,
    table: &str,
    columns: &[String],
) -> Result<(), DbErr> {
    if let Ok(name) = constraint_name(manager, table, "p", &[]).await {
        exec(
            manager,
            &format!(
                "ALTER TABLE {} DROP CONSTRAINT {}",
                ident(table),
                ident(&name)
            ),
        )
        .await?;
    }
    if columns.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = columns.iter().map(|c| ident(c)).collect();
    exec(
        manager,
        &format!(
            "ALTER TABLE {} ADD PRIMARY KEY ({})",
            ident(table),
            list.join(", ")
        ),
    )
    .await
}

/// `COMMENT ON TABLE`.
pub(super) async fn comment_on_table(
    manager: &SchemaManager<'_>,
    table: &str,
    comment: Option<&str>,
) -> Result<(), DbErr> {
    let text = comment.map(literal).unwrap_or_else(|| "NULL".into());
    exec(
        manager,
        &format!("COMMENT ON TABLE {} IS {text}", ident(table)),
    )
    .await
}

/// `COMMENT ON COLUMN`.
pub(super) async fn comment_on_column(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    comment: Option<&str>,
) -> Result<(), DbErr> {
    let text = comment.map(literal).unwrap_or_else(|| "NULL".into());
    exec(
        manager,
        &format!(
            "COMMENT ON COLUMN {}.{} IS {text}",
            ident(table),
            ident(column)
        ),
    )
    .await
}

/// The name of the constraint of `kind` (`p`, `u`) on exactly `columns` of `table`.
async fn constraint_name(
    manager: &SchemaManager<'_>,
    table: &str,
    kind: &str,
    columns: &[String],
) -> Result<String, DbErr> {
    constraint(manager, table, kind, |found, _| {
        kind == "p" || found.columns == columns
    })
    .await?
    .ok_or_else(|| {
        DbErr::Migration(format!(
            "no {} constraint on {table} ({}) to drop",
            if kind == "p" { "primary key" } else { "unique" },
            columns.join(", ")
        ))
    })
}

/// The name of the first constraint of `kind` (`p`, `u`, `f`) on `table` that `matches`. Reads
/// that one table's constraints, never the whole schema.
async fn constraint(
    manager: &SchemaManager<'_>,
    table: &str,
    kind: &str,
    matches: impl Fn(&ForeignKey, &str) -> bool,
) -> Result<Option<String>, DbErr> {
    let names_of = |keys: &str, relation: &str| {
        format!(
            "(SELECT json_agg(a.attname ORDER BY k.ord) FROM unnest(con.{keys}) WITH ORDINALITY k(attnum, ord) \
             JOIN pg_attribute a ON a.attrelid = con.{relation} AND a.attnum = k.attnum)::text"
        )
    };
    let sql = format!(
        "SELECT con.conname::text AS name, {} AS columns, {} AS ref_columns, \
                rc.relname::text AS ref_table \
         FROM pg_constraint con LEFT JOIN pg_class rc ON rc.oid = con.confrelid \
         WHERE con.conrelid = to_regclass($1) AND con.contype = $2",
        names_of("conkey", "conrelid"),
        names_of("confkey", "confrelid")
    );
    let rows = introspect::query(
        manager.get_connection(),
        &sql,
        vec![ident(table).into(), kind.to_string().into()],
    )
    .await?;
    for row in rows {
        let found = ForeignKey {
            name: None,
            columns: introspect::json_strings(row.try_get("", "columns")?)?,
            ref_table: row
                .try_get::<Option<String>>("", "ref_table")?
                .unwrap_or_default(),
            ref_columns: introspect::json_strings(row.try_get("", "ref_columns")?)?,
            on_delete: makemigrations_core::ForeignKeyAction::NoAction,
            on_update: makemigrations_core::ForeignKeyAction::NoAction,
            declared: Default::default(),
        };
        let name: String = row.try_get("", "name")?;
        if matches(&found, &name) {
            return Ok(Some(name));
        }
    }
    Ok(None)
}
