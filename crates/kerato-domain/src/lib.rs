//! Kerato's domain: the model and its rules.
//!
//! Nothing here does I/O, runs async code or reads the wall clock; time and
//! randomness come in as parameters so every rule can be tested exactly.
//! Areas use the same module names in every crate of the workspace.

pub mod audit;
pub mod biopsy;
pub mod coverage;
pub mod derm_coding;
pub mod error;
pub mod eye_exam;
pub mod ftc;
pub mod guarantor;
pub mod identity;
pub mod ids;
pub mod lesion;
pub mod money;
pub mod optics;
pub mod password;
pub mod patients;
pub mod scheduling;
pub mod tenancy;
pub mod time;
pub mod totp;

pub use error::{FieldError, ValidationErrors};
