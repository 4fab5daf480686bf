//! Sample SeaORM entities (an e-commerce / loyalty domain) used to exercise
//! the migration generator.

pub mod prelude;

pub mod categories;
pub mod loyalty_accounts;
pub mod order_items;
pub mod orders;
pub mod points_transactions;
pub mod products;
pub mod sea_orm_active_enums;
pub mod users;

/// Key/value application settings, written inline to check that inline
/// entity modules are discovered too.
pub mod site_settings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "site_settings")]
    pub struct Model {
        #[sea_orm(
            primary_key,
            auto_increment = false,
            column_type = "String(StringLen::N(100))"
        )]
        pub key: String,
        #[sea_orm(column_type = "Text")]
        pub value: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
