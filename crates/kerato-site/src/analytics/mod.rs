//! Page-view counts from the analytics beacon, for visitors who consented.
//!
//! Layers: `rules` (pure), `store` (SQL), use cases, `pages`; the
//! re-exports below are the area's API for callers outside the crate.

pub(crate) mod pages;
pub mod rules;
pub mod store;
pub mod views;

pub use rules::*;
