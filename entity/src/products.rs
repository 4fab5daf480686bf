//! `products`: items for sale; `(category_id, sku)` is unique.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique_key = "category_sku")]
    pub category_id: i32,
    #[sea_orm(column_type = "String(StringLen::N(64))", unique_key = "category_sku")]
    pub sku: String,
    #[sea_orm(column_type = "String(StringLen::N(200))", indexed)]
    pub name: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    #[sea_orm(column_type = "Decimal(Some((10, 2)))")]
    pub price: Decimal,
    pub weight_kg: Option<f64>,
    #[sea_orm(default_value = true)]
    pub is_available: bool,
    pub attributes: Option<Json>,
    #[sea_orm(default_expr = "Expr::current_timestamp()")]
    pub created_at: DateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::categories::Entity",
        from = "Column::CategoryId",
        to = "super::categories::Column::Id",
        on_update = "Cascade",
        on_delete = "Restrict"
    )]
    Category,
    #[sea_orm(has_many = "super::order_items::Entity")]
    OrderItems,
}

impl Related<super::categories::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Category.def()
    }
}

impl Related<super::order_items::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrderItems.def()
    }
}

impl Related<super::orders::Entity> for Entity {
    fn to() -> RelationDef {
        super::order_items::Relation::Order.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::order_items::Relation::Product.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
