//! AREA_DOC consents

pub mod choices;
pub(crate) mod pages;
pub mod rules;
pub mod store;

pub use rules::*;
pub use store::*;
