//! Migration `empty`.
//!
//! the --empty template (compiled by tests/golden.rs)
//!
//! Written by makemigrations as an empty migration: fill in `up` and `down`.

use makemigrations::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Write the schema or data changes here, e.g. with sea-query:
        // manager
        //     .exec_stmt(
        //         Query::update()
        //             .table("users")
        //             .value("phone", "unknown")
        //             .and_where(Expr::col("phone").is_null())
        //             .to_owned(),
        //     )
        //     .await?;
        // or with SQL (write it so that it runs on every backend you use):
        // manager
        //     .get_connection()
        //     .execute_unprepared("UPDATE users SET phone = 'unknown' WHERE phone IS NULL")
        //     .await?;
        let _ = manager;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Undo what `up` does, e.g.:
        // manager
        //     .exec_stmt(
        //         Query::update()
        //             .table("users")
        //             .value("phone", Expr::cust("NULL"))
        //             .and_where(Expr::col("phone").eq("unknown"))
        //             .to_owned(),
        //     )
        //     .await?;
        // manager
        //     .get_connection()
        //     .execute_unprepared("UPDATE users SET phone = NULL WHERE phone = 'unknown'")
        //     .await?;
        // A line `// ! <why>` here tells `rollback` that data cannot be restored.
        let _ = manager;
        Ok(())
    }
}
