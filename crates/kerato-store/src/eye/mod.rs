//! Eye exams (sections, signing, amendments), prescriptions, and the FTC
//! records around them: releases, confirmations, digital-delivery consent,
//! and sellers' and agents' requests. Rows map to and from the domain's
//! `kerato_domain::eye` types; section values are stored as canonical JSON.
//!
//! Signed exams, amendments, prescriptions, releases and confirmations
//! are also guarded by triggers (migration 12), so no statement, from any
//! route, can change them in place.

mod exams;
mod prescriptions;
mod requests;

pub use exams::{
    amendments, exams_of_patient, find_exam, insert_amendment, insert_exam, previous_section,
    save_section, sections, sign_exam,
};
pub use prescriptions::{
    confirmation, credentials, digital_consent, find_prescription, insert_confirmation,
    insert_prescription, insert_release, prescriptions_of_exam, release_counts, releases,
    set_credentials, set_digital_consent,
};
pub use requests::{answer_request, find_request, insert_request, location_closures, requests};

use kerato_db::{StoreError, corrupt};
use kerato_domain::eye::exam::SectionData;

/// A section's values as the column holds them.
fn to_json(data: &SectionData) -> String {
    serde_json::to_string(data).unwrap_or_else(|_| "{}".into())
}

fn from_json(text: &str) -> Result<SectionData, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(format!("an exam section is not JSON: {e}")))
}
