//! AREA_DOC tickets

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
