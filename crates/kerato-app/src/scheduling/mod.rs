//! Scheduling: practice set-up (appointment types, rooms and devices,
//! breaks, closures) and booking, which is atomic per provider on both
//! backends. The use cases are grouped by what they do: `setup`, `booking`
//! (one appointment or a series, with every rule a slot must meet),
//! `slots` (find next available), `flow` (an appointment's moves through
//! the visit, its reschedule and cancellation), `reads` (the day, the
//! set-up as a booking script reads it) and `board` (the flow board and
//! the week grid).

use jiff::civil::{Date, Time};
use kerato_domain::scheduling::{Appointment, RepeatedHour, resolve_local_time};
use kerato_domain::tenancy::Location;
use kerato_domain::time::Timestamp;
use kerato_store::Tx;

use crate::AppError;

pub mod board;
mod booking;
mod flow;
mod reads;
mod setup;
mod slots;

pub use reads::{ClosureDays, DaySchedule, ScheduledVisit};
pub use slots::{HORIZON_DAYS, SlotOffer};

const MINUTE: i64 = 60_000_000;

/// The instants a location's local day `date` starts and ends (the next
/// midnight), which DST can make 23 or 25 hours apart.
pub(crate) fn day_bounds(loc: &Location, date: Date) -> Result<(Timestamp, Timestamp), AppError> {
    let tz = loc.time_zone.zone();
    let start = resolve_local_time(tz, "", date, Time::midnight(), Some(RepeatedHour::First))
        .map_err(AppError::NotReady)?;
    let next = date
        .tomorrow()
        .map_err(|e| AppError::NotReady(e.to_string()))?;
    let end = resolve_local_time(tz, "", next, Time::midnight(), Some(RepeatedHour::First))
        .map_err(AppError::NotReady)?;
    Ok((start, end))
}

/// A location's day read inside a transaction that audited the read; the
/// caller may read more in it before committing.
pub(crate) struct GuardedDay {
    pub(crate) tx: Tx,
    pub location: Location,
    /// The instants the day starts and ends.
    pub bounds: (Timestamp, Timestamp),
    pub lines: Vec<ScheduleLine>,
}

/// One line of the day's schedule, with what the front desk needs to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleLine {
    pub appointment: Appointment,
    pub patient_name: String,
    pub provider_name: String,
    pub type_name: String,
    /// Minutes since arrival for a patient still in the building.
    pub waiting_minutes: Option<i64>,
}
