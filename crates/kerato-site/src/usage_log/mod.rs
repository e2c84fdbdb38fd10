//! The usage log: one line per page request, with the address truncated.
//!
//! Layers: `rules` (pure), `store` (SQL), use cases, `pages`; the
//! re-exports below are the area's API for callers outside the crate.

pub mod logging;
pub(crate) mod pages;
pub mod rules;
pub mod store;

pub use rules::*;
