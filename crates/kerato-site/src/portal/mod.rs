//! AREA_DOC portal

pub mod closing;
pub(crate) mod pages;

pub use closing::*;
