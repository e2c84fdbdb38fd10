//! The customer portal: sign-up, colleagues, security and closing the
//! account.
//!
//! Layers: `rules` (pure), `store` (SQL), use cases, `pages`; the
//! re-exports below are the area's API for callers outside the crate.

pub mod closing;
pub(crate) mod pages;

pub use closing::*;
