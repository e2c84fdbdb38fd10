//! Subscriptions, the month's invoices and their payment through the card
//! processor.
//!
//! Layers: `rules` (pure), `store` (SQL), use cases, `pages`; the
//! re-exports below are the area's API for callers outside the crate.

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
