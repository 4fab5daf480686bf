//! `users`: customers of the shop.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub public_id: Uuid,
    #[sea_orm(column_type = "String(StringLen::N(255))", unique)]
    pub email: String,
    pub display_name: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub bio: Option<String>,
    pub date_of_birth: Option<Date>,
    #[sea_orm(default_value = true)]
    pub is_active: bool,
    #[sea_orm(default_expr = "Expr::current_timestamp()")]
    pub created_at: DateTimeWithTimeZone,
    pub updated_at: Option<DateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::orders::Entity")]
    Orders,
    #[sea_orm(has_one = "super::loyalty_accounts::Entity")]
    LoyaltyAccount,
}

impl Related<super::orders::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Orders.def()
    }
}

impl Related<super::loyalty_accounts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::LoyaltyAccount.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
