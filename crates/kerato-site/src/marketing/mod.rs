//! AREA_DOC marketing

pub mod campaigns;
pub mod newsletter;
pub(crate) mod pages;
pub mod rules;
pub mod store;

pub use campaigns::*;
pub use newsletter::*;
pub use rules::*;
pub use store::*;
