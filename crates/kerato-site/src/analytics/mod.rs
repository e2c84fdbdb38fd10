//! AREA_DOC analytics

pub(crate) mod pages;
pub mod rules;

pub use rules::*;
