//! Format tests that read the output back with the tools that consume it.

// A failed unwrap in a test helper is a test failure with its location; that is the point.
#![allow(clippy::unwrap_used)]

mod photo;
mod poppler;
mod requisition_pdf;
mod rx_pdf;
