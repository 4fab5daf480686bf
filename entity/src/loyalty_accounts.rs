//! `loyalty_accounts`: one points account per user.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "loyalty_accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub user_id: i32,
    #[sea_orm(default_value = "bronze")]
    pub tier: String,
    #[sea_orm(
        default_value = 0,
        comment = "Current redeemable points, kept in sync with points_transactions"
    )]
    pub points_balance: i64,
    #[sea_orm(default_value = 1.0)]
    pub points_multiplier: f32,
    pub member_since: Date,
    pub expires_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade",
        fk_name = "fk_loyalty_accounts_user"
    )]
    User,
    #[sea_orm(has_many = "super::points_transactions::Entity")]
    PointsTransactions,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::points_transactions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PointsTransactions.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
