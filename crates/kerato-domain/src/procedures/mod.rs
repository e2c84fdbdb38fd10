//! Procedures done in a visit: the structured records whose templates
//! write the note ([`note`]) and the engine that codes a session's
//! procedures into charge lines ([`coding`]).

pub mod coding;
pub mod note;
