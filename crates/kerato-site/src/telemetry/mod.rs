//! Reports clinics send about their installation (never PHI).
//!
//! Layers: `rules` (pure), `store` (SQL), use cases, `pages`; the
//! re-exports below are the area's API for callers outside the crate.

pub(crate) mod pages;
pub mod store;

pub use store::*;
