//! A biopsy as the log keeps it: one specimen, where and how it was taken,
//! who answers for it, and its timeline.

use super::{BiopsyState, BiopsyTimeline};
use crate::ids::{BiopsyId, LocationId, OrganisationId, PatientId, UserId};
use crate::procedures::coding::BiopsyMethod;
use crate::time::Timestamp;

string_enum!(
    /// How the specimen was taken, as the log and the lab name it: the
    /// three biopsy techniques, or an excision sent whole.
    SpecimenMethod {
        Tangential = "tangential", "Tangential (shave)";
        Punch = "punch", "Punch";
        Incisional = "incisional", "Incisional";
        Excisional = "excisional", "Excisional";
    }
);

impl From<BiopsyMethod> for SpecimenMethod {
    fn from(m: BiopsyMethod) -> Self {
        match m {
            BiopsyMethod::Tangential => SpecimenMethod::Tangential,
            BiopsyMethod::Punch => SpecimenMethod::Punch,
            BiopsyMethod::Incisional => SpecimenMethod::Incisional,
        }
    }
}

impl BiopsyState {
    /// The state's stored name; fixed, because stored rows must keep
    /// matching after a rename in code.
    pub fn as_str(self) -> &'static str {
        match self {
            BiopsyState::Ordered => "ordered",
            BiopsyState::Sent => "sent",
            BiopsyState::Resulted => "resulted",
            BiopsyState::Reviewed => "reviewed",
            BiopsyState::PatientNotified => "patient_notified",
            BiopsyState::Planned => "planned",
            BiopsyState::Closed => "closed",
        }
    }

    /// The state's name for people ("patient notified").
    pub fn label(self) -> &'static str {
        match self {
            BiopsyState::Ordered => "ordered",
            BiopsyState::Sent => "sent",
            BiopsyState::Resulted => "resulted",
            BiopsyState::Reviewed => "reviewed",
            BiopsyState::PatientNotified => "patient notified",
            BiopsyState::Planned => "planned",
            BiopsyState::Closed => "closed",
        }
    }
}

/// One specimen in the closed-loop log, from order to closure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Biopsy {
    pub id: BiopsyId,
    pub organisation_id: OrganisationId,
    pub location_id: LocationId,
    pub patient_id: PatientId,
    /// The clinician who took it and answers for its result.
    pub responsible_user_id: UserId,
    /// The anatomic site, as the clinician names it.
    pub site: String,
    pub method: SpecimenMethod,
    pub timeline: BiopsyTimeline,
    /// Bumped by every step, so two people acting on one biopsy at once
    /// cannot both succeed.
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Where a new specimen comes from: whose, where and how it was taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecimenOf {
    pub organisation_id: OrganisationId,
    pub location_id: LocationId,
    pub patient_id: PatientId,
    pub site: String,
    pub method: SpecimenMethod,
}

impl Biopsy {
    /// A biopsy just ordered by `by`, who becomes the responsible
    /// clinician.
    pub fn ordered(id: BiopsyId, of: SpecimenOf, by: UserId, now: Timestamp) -> Self {
        Biopsy {
            id,
            organisation_id: of.organisation_id,
            location_id: of.location_id,
            patient_id: of.patient_id,
            responsible_user_id: by,
            site: of.site,
            method: of.method,
            timeline: BiopsyTimeline::new(id, by, now),
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    /// The furthest step recorded.
    pub fn state(&self) -> BiopsyState {
        self.timeline.state()
    }
}
