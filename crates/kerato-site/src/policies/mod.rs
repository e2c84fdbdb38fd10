//! The privacy statement and cookie policy: versions, announcements of
//! material changes, and their pages.
//!
//! Layers: `rules` (pure), `store` (SQL), use cases, `pages`; the
//! re-exports below are the area's API for callers outside the crate.

pub(crate) mod pages;
pub mod publishing;
pub mod rules;
pub mod store;

pub use publishing::*;
pub use rules::*;
pub use store::*;
