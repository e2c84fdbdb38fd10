//! Customer and staff accounts: sign-up, invitations, sign-in with a
//! second factor, sessions and password recovery.
//!
//! Layers: `rules` (pure), `store` (SQL), use cases, `pages`; the
//! re-exports below are the area's API for callers outside the crate.

pub mod invitations;
pub(crate) mod pages;
pub mod passwords;
pub mod recovery;
pub mod rules;
pub mod sessions;
pub mod signup;
pub mod store;

pub use invitations::*;
pub use recovery::*;
pub use rules::*;
pub use signup::*;
pub use store::*;
