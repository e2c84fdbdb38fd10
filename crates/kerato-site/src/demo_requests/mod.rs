//! Demo requests from the public form and the sales pipeline they move
//! along.
//!
//! Layers: `rules` (pure), `store` (SQL), use cases, `pages`; the
//! re-exports below are the area's API for callers outside the crate.

pub(crate) mod pages;
pub mod requests;
pub mod rules;
pub mod store;

pub use requests::*;
pub use rules::*;
pub use store::*;
