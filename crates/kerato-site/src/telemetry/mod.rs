//! AREA_DOC telemetry

pub(crate) mod pages;
pub mod store;

pub use store::*;
