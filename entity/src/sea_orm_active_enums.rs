//! Database enums shared by the sample entities.

use sea_orm::entity::prelude::*;

/// Lifecycle of an order; stored as the PostgreSQL enum type `order_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Enum", enum_name = "order_status")]
pub enum OrderStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "paid")]
    Paid,
    #[sea_orm(string_value = "shipped")]
    Shipped,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}
