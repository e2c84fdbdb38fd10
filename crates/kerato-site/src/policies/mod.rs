//! AREA_DOC policies

pub(crate) mod pages;
pub mod publishing;
pub mod rules;
pub mod store;

pub use publishing::*;
pub use rules::*;
pub use store::*;
