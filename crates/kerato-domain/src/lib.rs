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
pub mod biopsy;
pub mod coverage;
pub mod derm_coding;
pub mod eye_exam;
pub mod ftc;
pub mod guarantors;
pub mod identity;
pub mod ids;
pub mod import;
pub mod lesion;
pub mod money;
pub mod optics;
pub mod patients;
pub mod procedure_note;
pub mod providers;
pub mod scheduling;
pub mod setup;
pub mod tenancy;

// The shared rules live in `kerato-core` (the vendor site uses them too and
// must not depend on the clinical areas); they keep their paths here.
pub use kerato_core::error::{FieldError, ValidationErrors};
pub use kerato_core::{
    calendar, consent, error, input, password, policy, retention, rights_request, secret,
    telemetry, time, totp, us_states,
};
