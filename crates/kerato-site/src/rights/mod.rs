//! The privacy center: requests to access, correct or delete personal
//! data, verified by e-mail, answered within their deadlines.
//!
//! Layers: `rules` (pure), `store` (SQL), use cases, `pages`; the
//! re-exports below are the area's API for callers outside the crate.

pub mod alarms;
pub mod links;
pub(crate) mod pages;
pub mod requests;
pub mod rules;
pub mod store;

pub use alarms::*;
pub use requests::*;
pub use rules::*;
pub use store::*;
