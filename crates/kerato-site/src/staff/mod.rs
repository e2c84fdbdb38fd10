//! The vendor staff's pages: the sales pipeline, campaigns and privacy
//! requests.
//!
//! Layers: `rules` (pure), `store` (SQL), use cases, `pages`; the
//! re-exports below are the area's API for callers outside the crate.

pub(crate) mod pages;
pub mod rules;

pub use rules::*;
