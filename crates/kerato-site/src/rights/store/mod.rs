//! The SQL of privacy requests, their e-mailed links, and the personal
//! data a request copies or erases.

pub mod links;
pub mod person_data;
pub mod requests;

pub(crate) use links::*;
pub use person_data::*;
pub use requests::*;
