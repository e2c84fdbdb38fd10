//! The consent registry: cookie choices, the GPC signal and do-not-sell
//! opt-outs, with the middleware that reads each request's consent cookie.
//!
//! Layers: `rules` (pure), `store` (SQL), use cases, `pages`; the
//! re-exports below are the area's API for callers outside the crate.

pub mod choices;
pub(crate) mod pages;
pub mod rules;
pub mod store;

pub use rules::*;
pub use store::*;
