//! AREA_DOC staff

pub(crate) mod pages;
pub mod rules;

pub use rules::*;
