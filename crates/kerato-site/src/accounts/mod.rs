//! AREA_DOC accounts

pub mod invitations;
pub(crate) mod pages;
pub mod passwords;
pub mod recovery;
pub mod rules;
pub mod sessions;
pub mod signup;
pub mod store;

pub use invitations::*;
pub(crate) use pages::SignedIn;
pub(crate) use passwords::*;
pub use recovery::*;
pub use rules::*;
pub(crate) use sessions::*;
pub use signup::*;
pub use store::*;
