//! An exam as recorded: who opened it where, whether it is signed, and
//! the amendments added after signing.

use crate::ids::{AppointmentId, ExamId, LocationId, OrganisationId, PatientId, UserId};
use crate::time::Timestamp;

use super::{Section, SectionData, Template};

string_enum!(
    /// Where an exam stands. A draft is edited section by section; a
    /// signed exam is locked, and a change is an amendment beside it.
    ExamStatus {
        Draft = "draft", "Draft";
        Signed = "signed", "Signed";
    }
);

/// An eye exam: one visit's record, by template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exam {
    pub id: ExamId,
    pub organisation_id: OrganisationId,
    pub location_id: LocationId,
    pub patient_id: PatientId,
    pub appointment_id: Option<AppointmentId>,
    pub template: Template,
    pub status: ExamStatus,
    pub created_at: Timestamp,
    pub created_by: UserId,
    pub signed_at: Option<Timestamp>,
    pub signed_by: Option<UserId>,
}

/// One section of an exam as last saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedSection {
    pub section: Section,
    pub data: SectionData,
    pub updated_at: Timestamp,
    pub updated_by: UserId,
}

/// A change to a signed exam's section, numbered from 1 in the order made;
/// the signed values stay as they were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amendment {
    pub n: i64,
    pub section: Section,
    pub data: SectionData,
    pub reason: String,
    pub amended_at: Timestamp,
    pub amended_by: UserId,
}
