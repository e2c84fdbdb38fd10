//! Standards in and out, as pure functions: FHIR R4, X12 (837P, 835, 270/271,
//! 999, 277CA), HL7 v2, Vision Council DCS lab orders, and PDF documents.
//!
//! Like `kerato-domain`, this crate does no I/O and never reads the clock.
//! So far it holds `photo`, clinical photos cleaned of metadata, shrunk to
//! thumbnails and watermarked for export; `rx_pdf`, eyeglass and contact
//! lens prescriptions as a one-page PDF; and `requisition_pdf`, the biopsy
//! requisition that travels with a specimen to the pathology lab. The other
//! standards arrive with the areas that exchange them.

mod pdf;
pub mod photo;
pub mod requisition_pdf;
pub mod rx_pdf;
pub mod summary_pdf;
mod wrap;
