//! The entities under their type names, as sea-orm-cli's `prelude.rs` lists them.

pub use super::categories::Entity as Categories;
pub use super::loyalty_accounts::Entity as LoyaltyAccounts;
pub use super::order_items::Entity as OrderItems;
pub use super::orders::Entity as Orders;
pub use super::points_transactions::Entity as PointsTransactions;
pub use super::products::Entity as Products;
pub use super::site_settings::Entity as SiteSettings;
pub use super::users::Entity as Users;
