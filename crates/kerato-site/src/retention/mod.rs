//! AREA_DOC retention

pub mod rules;
pub mod run;
pub mod store;

pub use rules::*;
pub use run::*;
