//! The newsletter, campaigns and one-click unsubscribing.
//!
//! Layers: `rules` (pure), `store` (SQL), use cases, `pages`; the
//! re-exports below are the area's API for callers outside the crate.

pub mod campaigns;
pub mod newsletter;
pub(crate) mod pages;
pub mod rules;
pub mod store;

pub use campaigns::*;
pub use newsletter::*;
pub use rules::*;
pub use store::*;
