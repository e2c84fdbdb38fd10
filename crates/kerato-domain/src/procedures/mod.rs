//! Procedures done in a visit: the structured records whose templates
//! write the note ([`note`]), the engine that codes a session's
//! procedures into charge lines ([`coding`]), the procedure and charge
//! proposal the chart keeps, and the procedure forms' inputs.

mod charges;
pub mod coding;
mod input;
pub mod note;
mod record;

pub use charges::*;
pub use input::*;
pub use record::*;
