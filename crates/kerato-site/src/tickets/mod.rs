//! Support tickets from the portal and by e-mail, and the staff queue.
//!
//! Layers: `rules` (pure), `store` (SQL), use cases, `pages`; the
//! re-exports below are the area's API for callers outside the crate.

pub mod email;
pub mod import;
pub(crate) mod pages;
pub mod rules;
pub mod store;
pub mod threads;

pub use email::*;
pub use import::*;
pub use rules::*;
pub use store::*;
pub use threads::*;
