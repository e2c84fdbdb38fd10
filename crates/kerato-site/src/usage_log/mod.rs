//! AREA_DOC usage_log

pub(crate) mod pages;
pub mod rules;

pub use rules::*;
