//! Kerato's domain: the model and its rules.
//!
//! Nothing here does I/O, runs async code or reads the wall clock; time and
//! randomness come in as parameters so every rule can be tested exactly.
//! Areas use the same module names in every crate of the workspace.

// The shared rules' macros (`string_enum!`, `typed_id!`) are used by every
// module here, as in the core.
#[macro_use]
extern crate kerato_core;

pub mod audit;
pub mod biopsies;
pub mod coverage;
pub mod eye;
pub mod guarantors;
pub mod identity;
pub mod ids;
pub mod import;
pub mod lesions;
pub mod money;
pub mod patients;
pub mod policy;
pub mod privacy;
pub mod procedures;
pub mod providers;
pub mod recalls;
pub mod retention;
pub mod rights;
pub mod scheduling;
pub mod setup;
pub mod tenancy;
pub mod versioned;
pub mod waitlist;

// The shared rules live in `kerato-core` (the vendor site uses them too and
// must not depend on the clinical areas); they keep their paths here.
pub use kerato_core::error::{FieldError, ValidationErrors};
pub use kerato_core::{
    calendar, consent, error, input, password, rights_request, secret, telemetry, time, totp,
    us_states,
};
