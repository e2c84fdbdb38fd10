//! Eye care: the exam as structured data, the optical values and
//! calculators it is written in, the prescriptions an exam issues and the
//! FTC rules around them (release, confirmation, sellers' verification
//! and agents' copies on the business-hour clock).
//!
//! The same area is `eye` in every crate: the store keeps these records,
//! the app's use cases return them, and the web renders them.

pub mod exam;
pub mod ftc;
pub mod optics;
pub mod prescription;
pub mod requests;
