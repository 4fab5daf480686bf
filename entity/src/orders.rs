//! `orders`: a user's purchase.

use super::sea_orm_active_enums::OrderStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub reference: Uuid,
    pub user_id: i32,
    #[sea_orm(default_value = "pending")]
    pub status: OrderStatus,
    #[sea_orm(column_type = "Decimal(Some((12, 2)))", default_value = 0)]
    pub total_amount: Decimal,
    #[sea_orm(column_type = "String(StringLen::N(3))", default_value = "EUR")]
    pub currency: String,
    pub shipping_address: Option<Json>,
    #[sea_orm(column_type = "Text", nullable)]
    pub notes: Option<String>,
    #[sea_orm(default_expr = "Expr::current_timestamp()")]
    pub placed_at: DateTimeWithTimeZone,
    pub shipped_at: Option<DateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_update = "Cascade",
        on_delete = "Restrict"
    )]
    User,
    #[sea_orm(has_many = "super::order_items::Entity")]
    OrderItems,
    #[sea_orm(has_many = "super::points_transactions::Entity")]
    PointsTransactions,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::order_items::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrderItems.def()
    }
}

impl Related<super::points_transactions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PointsTransactions.def()
    }
}

impl Related<super::products::Entity> for Entity {
    fn to() -> RelationDef {
        super::order_items::Relation::Product.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::order_items::Relation::Order.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
