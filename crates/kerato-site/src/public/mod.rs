//! AREA_DOC public

pub(crate) mod pages;
pub mod rules;
