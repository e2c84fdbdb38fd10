//! AREA_DOC rights

pub mod alarms;
pub mod links;
pub(crate) mod pages;
pub mod requests;
pub mod rules;
pub mod store;

pub use alarms::*;
pub use requests::*;
pub use rules::*;
pub use store::*;
