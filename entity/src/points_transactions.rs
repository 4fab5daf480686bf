//! `points_transactions`: ledger of points earned and redeemed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "points_transactions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(indexed)]
    pub account_id: i32,
    pub order_id: Option<i64>,
    #[sea_orm(comment = "Signed delta: positive when earned, negative when redeemed")]
    pub points: i32,
    #[sea_orm(column_type = "String(StringLen::N(50))")]
    pub reason: String,
    pub metadata: Option<Json>,
    #[sea_orm(default_expr = "Expr::current_timestamp()")]
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::loyalty_accounts::Entity",
        from = "Column::AccountId",
        to = "super::loyalty_accounts::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    LoyaltyAccount,
    #[sea_orm(
        belongs_to = "super::orders::Entity",
        from = "Column::OrderId",
        to = "super::orders::Column::Id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    Order,
}

impl Related<super::loyalty_accounts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::LoyaltyAccount.def()
    }
}

impl Related<super::orders::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Order.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
