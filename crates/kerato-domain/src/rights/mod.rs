//! Patients' privacy rights requests, clinic side: the request as the
//! practice keeps it ([`RightsRequest`]), the amendments a correction
//! request leaves on the record ([`Amendment`]), the one-time link an
//! access package is fetched through ([`DownloadLink`]), and the inputs
//! that receive a request and move it on ([`input`]).
//!
//! The legal clocks and the steps' rules are shared with the vendor site
//! and live in `kerato_core::rights_request`; they are re-exported here so
//! the area has one path in the clinic's domain.

pub mod input;
mod records;

pub use input::{DisagreementInput, RequestInput, RequestStep, StepInput};
pub use kerato_core::rights_request::*;
pub use records::{
    Amendment, AmendmentDecision, Channel, DownloadLink, LINK_DAYS, Requester, RightsRequest,
};
