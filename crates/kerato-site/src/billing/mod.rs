//! AREA_DOC billing

pub mod invoices;
pub(crate) mod pages;
pub mod payments;
pub mod rules;
pub mod store;
pub mod subscriptions;

pub use invoices::*;
pub use payments::*;
pub use rules::*;
pub use store::*;
pub use subscriptions::*;
