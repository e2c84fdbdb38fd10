//! The schedule's records as every layer sees them: appointments, the kinds
//! of visit, the rooms and devices they hold, and the days closed to
//! bookings. The store maps its rows to and from these.

use std::collections::BTreeSet;

use crate::ids::{
    AppointmentId, AppointmentTypeId, BlockId, LocationId, OrganisationId, PatientId, ProviderId,
    ResourceId, SeriesId,
};
use crate::tenancy::Specialty;
use crate::time::Timestamp;

use super::{ResourceKind, VisitStatus};

/// One booked appointment and where it is in the visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub id: AppointmentId,
    pub organisation_id: OrganisationId,
    pub location_id: LocationId,
    pub provider_id: ProviderId,
    pub patient_id: PatientId,
    pub appointment_type_id: AppointmentTypeId,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub status: VisitStatus,
    /// Booked over another appointment, in a window that allows it.
    pub overbooked: bool,
    pub version: i64,
    pub created_at: Timestamp,
    /// The recurring series it belongs to, if any.
    pub series_id: Option<SeriesId>,
}

impl Appointment {
    /// Whether the visit is over or will not happen: the patient is no
    /// longer waiting anywhere.
    pub fn is_finished(&self) -> bool {
        matches!(
            self.status,
            VisitStatus::Done | VisitStatus::Cancelled | VisitStatus::NoShow
        )
    }
}

/// A kind of visit as the practice defines it (new patient exam, biopsy…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentType {
    pub id: AppointmentTypeId,
    pub organisation_id: OrganisationId,
    pub name: String,
    pub duration_minutes: i64,
    /// Only providers of this specialty take it, when set.
    pub specialty: Option<Specialty>,
    /// `#rrggbb`, for the schedule grid.
    pub colour: String,
    pub new_patient: bool,
    /// One resource of each kind is held for the whole appointment.
    pub resources: BTreeSet<ResourceKind>,
}

/// A room, lane or device at a location that an appointment can hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookableResource {
    pub id: ResourceId,
    pub organisation_id: OrganisationId,
    pub location_id: LocationId,
    pub kind: ResourceKind,
    pub name: String,
}

string_enum!(
    /// Who a closure keeps from seeing patients.
    ClosureKind {
        TimeOff = "time_off", "Time off";
        Holiday = "holiday", "Holiday";
    }
);

/// A dated closure: a provider's time off (at one location or all of
/// theirs) or a location's holiday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    pub id: BlockId,
    pub organisation_id: OrganisationId,
    pub provider_id: Option<ProviderId>,
    pub location_id: Option<LocationId>,
    pub kind: ClosureKind,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub reason: String,
}
