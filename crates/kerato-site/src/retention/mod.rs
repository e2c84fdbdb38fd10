//! The site's retention job: what is deleted when, and the record of each
//! run.
//!
//! Layers: `rules` (pure), `store` (SQL), use cases, `pages`; the
//! re-exports below are the area's API for callers outside the crate.

pub mod rules;
pub mod run;
pub mod store;

pub use rules::*;
pub use run::*;
