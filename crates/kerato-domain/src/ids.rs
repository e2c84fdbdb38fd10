//! Typed identifiers.
//!
//! Every entity has its own ID type so an organisation ID can never be passed
//! where a location ID is expected. IDs are UUIDv7: time-ordered, which keeps
//! B-tree inserts local, and built from the caller's clock reading and random
//! bytes so this crate never reads the clock itself.

pub use kerato_core::ids::{IdParseError, RightsRequestId, uuid_v7};
use kerato_core::typed_id;

typed_id!(
    /// An organisation: one practice, or a group of practices.
    OrganisationId,
    "organisation"
);
typed_id!(
    /// A location (clinic or shop) of an organisation.
    LocationId,
    "location"
);

typed_id!(
    /// A biopsy in the closed-loop biopsy log: one specimen from order to
    /// closure.
    BiopsyId,
    "biopsy"
);
typed_id!(
    /// A staff account.
    UserId,
    "user"
);
typed_id!(
    /// A patient's chart.
    PatientId,
    "patient"
);
typed_id!(
    /// A provider who sees patients (a physician, optometrist, …).
    ProviderId,
    "provider"
);
typed_id!(
    /// A kind of appointment (new patient exam, biopsy, …).
    AppointmentTypeId,
    "appointment type"
);
typed_id!(
    /// One booked appointment.
    AppointmentId,
    "appointment"
);
typed_id!(
    /// An insurance coverage of a patient.
    CoverageId,
    "coverage"
);
typed_id!(
    /// One audit event.
    AuditEventId,
    "audit event"
);
typed_id!(
    /// One recorded disclosure of PHI.
    DisclosureId,
    "disclosure"
);
typed_id!(
    /// A message: an inbox entry or a queued e-mail.
    MessageId,
    "message"
);
typed_id!(
    /// One break-glass grant.
    EmergencyGrantId,
    "emergency grant"
);
typed_id!(
    /// A room, pretest lane or device an appointment occupies.
    ResourceId,
    "resource"
);
typed_id!(
    /// A weekly break or a dated closure in a schedule.
    BlockId,
    "schedule block"
);
typed_id!(
    /// A recurring series of appointments.
    SeriesId,
    "appointment series"
);
typed_id!(
    /// A patient's place on the waitlist.
    WaitlistEntryId,
    "waitlist entry"
);
typed_id!(
    /// A kind of recall (annual eye exam, full-skin check, …).
    RecallTypeId,
    "recall type"
);
typed_id!(
    /// One patient's recall, due on a date.
    RecallId,
    "recall"
);

typed_id!(
    /// One eye exam (a visit's structured record).
    ExamId,
    "exam"
);

typed_id!(
    /// An issued spectacle or contact lens prescription.
    PrescriptionId,
    "prescription"
);

typed_id!(
    /// A contact lens seller's verification request or an agent's request
    /// for a copy of a prescription.
    RxRequestId,
    "prescription request"
);

typed_id!(
    /// A skin lesion followed across visits.
    LesionId,
    "lesion"
);

typed_id!(
    /// A clinical photo.
    PhotoId,
    "photo"
);

typed_id!(
    /// One entry of the consent registry's history.
    ConsentId,
    "consent record"
);

typed_id!(
    /// A procedure done in a visit, with its note and charge proposal.
    ProcedureId,
    "procedure"
);

typed_id!(
    /// A legal hold, which stops the retention job deleting what it covers.
    LegalHoldId,
    "legal hold"
);
typed_id!(
    /// One entry of a patient's record amendments (an accepted amendment,
    /// a denial or a statement of disagreement).
    RecordAmendmentId,
    "record amendment"
);

typed_id!(
    /// One run of the retention job for one practice.
    RetentionRunId,
    "retention run"
);

typed_id!(
    /// A provider's weekly working-hours template at one location, in force
    /// between two dates, every week or every other week.
    HoursTemplateId,
    "working-hours template"
);

/// Reads an ID given in a form or API field, noting the problem under
/// `field` when it is not one. IDs are read in lower case, as they are
/// written.
pub fn parse_field<T: std::str::FromStr>(
    errors: &mut crate::ValidationErrors,
    field: &str,
    raw: &str,
) -> Option<T> {
    match raw.trim().to_ascii_lowercase().parse() {
        Ok(id) => Some(id),
        Err(_) => {
            errors.add(field, "not a valid ID; give it as Kerato wrote it (a UUID)");
            None
        }
    }
}
