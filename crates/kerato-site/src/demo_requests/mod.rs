//! AREA_DOC demo_requests

pub(crate) mod pages;
pub mod requests;
pub mod rules;
pub mod store;

pub use requests::*;
pub use rules::*;
pub use store::*;
