//! PostgreSQL views that stand in the way of a column's type change ("cannot alter type of a
//! column used by a view or rule"), by `alter_column` or by `alter_enum` (which converts every
//! column of the enum type). The views that read the column, and the views that read
//! those, transitively, are saved from the catalog (definition, options, comments), dropped,
//! and created again after the change in dependency order, all in the migration's transaction,
//! as a DBA would do by hand. Their column types follow the new type. Ownership and grants are
//! not carried over: the views are created by the role that runs the migration.
//!
//! Materialized views (whose data would need a refresh, and whose indexes would go) and rules on
//! tables are not re-created: the helper refuses, naming them, before anything changes.

use sea_orm::{DbErr, QueryResult};
use sea_orm_migration::SchemaManager;

use super::{exec, literal};
use crate::introspect;

/// A view saved from the catalog, to be created again as it was.
pub(super) struct SavedView {
    /// Schema-qualified and quoted.
    name: String,
    /// The length of the longest chain of views from the column to this one.
    depth: i32,
    definition: String,
    /// `check_option=local, security_barrier=true`, as `WITH (..)` takes them.
    options: Option<String>,
    comment: Option<String>,
    column_comments: Vec<(String, String)>,
}

/// The views that read any of `columns` (`(table, column)`), directly or through other views,
/// each once, readers last: a view comes after every view it reads, whichever column the chains
/// start from. Refuses when a materialized view or a rule is among them.
pub(super) async fn reading_columns(
    manager: &SchemaManager<'_>,
    columns: &[(String, String)],
) -> Result<Vec<SavedView>, DbErr> {
    let mut views: Vec<SavedView> = Vec::new();
    for (table, column) in columns {
        for view in reading_column(manager, table, column).await? {
            match views.iter_mut().find(|v| v.name == view.name) {
                // A view reached from two columns goes as deep as its longest chain, which keeps
                // it after every view it reads.
                Some(seen) => seen.depth = seen.depth.max(view.depth),
                None => views.push(view),
            }
        }
    }
    views.sort_by(|a, b| (a.depth, &a.name).cmp(&(b.depth, &b.name)));
    Ok(views)
}

/// The views that read `table.column`, directly or through other views, readers last. Refuses
/// when a materialized view or a rule is among them.
pub(super) async fn reading_column(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
) -> Result<Vec<SavedView>, DbErr> {
    // A view's rewrite rule (`_RETURN`) depends on each column it reads; a view over a view
    // depends on that view. `depth` is the length of the longest such chain from the column.
    let sql = "WITH RECURSIVE dependent(oid, depth) AS ( \
           SELECT r.ev_class, 1 FROM pg_depend d \
           JOIN pg_rewrite r ON r.oid = d.objid \
           JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid \
           WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass \
             AND d.refobjid = to_regclass($1) AND a.attname = $2 \
         UNION \
           SELECT r.ev_class, dependent.depth + 1 FROM dependent \
           JOIN pg_depend d ON d.refobjid = dependent.oid \
           JOIN pg_rewrite r ON r.oid = d.objid \
           WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass \
             AND r.ev_class <> dependent.oid \
         ) \
         SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relkind::text AS kind, \
                max(dependent.depth) AS depth, \
                CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END AS definition, \
                array_to_string(c.reloptions, ', ') AS options, \
                obj_description(c.oid, 'pg_class') AS comment, \
                (SELECT json_agg(json_build_array(a.attname, col_description(c.oid, a.attnum)) \
                        ORDER BY a.attnum) \
                 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 \
                   AND col_description(c.oid, a.attnum) IS NOT NULL)::text AS column_comments \
         FROM dependent JOIN pg_class c ON c.oid = dependent.oid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         GROUP BY c.oid, n.nspname, c.relname, c.relkind, c.reloptions \
         ORDER BY depth, name";
    let rows = introspect::query(
        manager.get_connection(),
        sql,
        vec![super::ident(table).into(), column.to_string().into()],
    )
    .await?;
    let mut views = Vec::new();
    let mut refused = Vec::new();
    for row in rows {
        let name: String = row.try_get("", "name")?;
        let kind: String = row.try_get("", "kind")?;
        match kind.as_str() {
            "v" => views.push(saved_view(name, &row)?),
            "m" => refused.push(format!("materialized view {name}")),
            _ => refused.push(format!("a rule on {name}")),
        }
    }
    if !refused.is_empty() {
        return Err(DbErr::Migration(format!(
            "cannot change the type of {table}.{column}: {} read(s) it, and the tool re-creates \
             only plain views around a type change\n  fix: drop {} in this migration before the \
             change and create it again after it",
            refused.join(", "),
            if refused.len() == 1 { "it" } else { "them" }
        )));
    }
    Ok(views)
}

fn saved_view(name: String, row: &QueryResult) -> Result<SavedView, DbErr> {
    let definition: String = row.try_get("", "definition")?;
    let column_comments: Option<String> = row.try_get("", "column_comments")?;
    let column_comments: Vec<(String, String)> = match column_comments {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| DbErr::Custom(format!("column comments of view {name}: {e}")))?,
        None => Vec::new(),
    };
    Ok(SavedView {
        name,
        depth: row.try_get("", "depth")?,
        definition: definition.trim().trim_end_matches(';').to_string(),
        options: row
            .try_get::<Option<String>>("", "options")?
            .filter(|o| !o.is_empty()),
        comment: row.try_get("", "comment")?,
        column_comments,
    })
}

/// Drops the views, readers first.
pub(super) async fn drop(manager: &SchemaManager<'_>, views: &[SavedView]) -> Result<(), DbErr> {
    for view in views.iter().rev() {
        exec(manager, &format!("DROP VIEW {}", view.name)).await?;
    }
    Ok(())
}

/// Creates the views again, each after the views it reads, with their comments.
pub(super) async fn create(manager: &SchemaManager<'_>, views: &[SavedView]) -> Result<(), DbErr> {
    for view in views {
        let options = view
            .options
            .as_ref()
            .map(|o| format!(" WITH ({o})"))
            .unwrap_or_default();
        let sql = format!("CREATE VIEW {}{options} AS {}", view.name, view.definition);
        exec(manager, &sql).await.map_err(|e| {
            DbErr::Migration(format!(
                "view {} cannot be created again after the type change: {e}",
                view.name
            ))
        })?;
        if let Some(comment) = &view.comment {
            exec(
                manager,
                &format!("COMMENT ON VIEW {} IS {}", view.name, literal(comment)),
            )
            .await?;
        }
        for (column, comment) in &view.column_comments {
            exec(
                manager,
                &format!(
                    "COMMENT ON COLUMN {}.{} IS {}",
                    view.name,
                    super::ident(column),
                    literal(comment)
                ),
            )
            .await?;
        }
    }
    Ok(())
}
