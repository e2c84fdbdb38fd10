//! Appointments and what a booking asks of the database. The practice's
//! set-up (appointment types, breaks, closures) is in `setup`, the rooms
//! and devices appointments hold in `resources`.

use kerato_domain::ids::{
    AppointmentId, LocationId, OrganisationId, PatientId, ProviderId, SeriesId,
};
use kerato_domain::scheduling::{Appointment, Blocked, VisitStatus};
use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

mod resources;
mod setup;

pub use resources::*;
pub use setup::*;

/// No appointment lasts longer than this (the app caps them at 8 hours).
/// Overlap queries use it as a lower bound on the start, so that finding
/// what overlaps an interval is a short index range scan instead of a scan
/// of everything the provider or resource ever had before it.
pub(super) const LONGEST_MICROS: i64 = 24 * 3600 * 1_000_000;

/// Booked intervals of a provider that end after `from` and start before `until`.
pub async fn busy(
    tx: &mut Tx,
    provider: ProviderId,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<(Timestamp, Timestamp)>, StoreError> {
    let rows: Vec<(i64, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT starts_at, ends_at FROM appointments WHERE provider_id = $1 AND status NOT IN ('cancelled', 'no_show') \
         AND ends_at > $2 AND starts_at < $3 AND starts_at > $4 ORDER BY starts_at"
    )
    .bind(provider.to_string())
    .bind(from.as_micros())
    .bind(until.as_micros())
    .bind(from.as_micros() - LONGEST_MICROS)
    .fetch_all(&mut **c)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(s, e)| (Timestamp::from_micros(s), Timestamp::from_micros(e)))
        .collect())
}

pub async fn insert_appointment(tx: &mut Tx, a: &Appointment) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO appointments (id, organisation_id, location_id, provider_id, patient_id, appointment_type_id, \
         starts_at, ends_at, status, overbooked, version, created_at, updated_at, series_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13)"
    )
    .bind(a.id.to_string())
    .bind(a.organisation_id.to_string())
    .bind(a.location_id.to_string())
    .bind(a.provider_id.to_string())
    .bind(a.patient_id.to_string())
    .bind(a.appointment_type_id.to_string())
    .bind(a.starts_at.as_micros())
    .bind(a.ends_at.as_micros())
    .bind(a.status.as_str())
    .bind(i64::from(a.overbooked))
    .bind(a.version)
    .bind(a.created_at.as_micros())
    .bind(a.series_id.map(|s| s.to_string())))?;
    Ok(())
}

pub async fn count_appointments(tx: &mut Tx, org: OrganisationId) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as("SELECT count(*) FROM appointments WHERE organisation_id = $1")
        .bind(org.to_string())
        .fetch_one(&mut **c)
        .await)?;
    Ok(n)
}

type AppointmentTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    String,
    i64,
    i64,
    i64,
    Option<String>,
);

fn appointment_from(r: AppointmentTuple) -> Result<Appointment, StoreError> {
    let (id, org, loc, prov, pat, kind, start, end, status, over, version, created, series) = r;
    Ok(Appointment {
        id: id.parse().map_err(corrupt)?,
        organisation_id: org.parse().map_err(corrupt)?,
        location_id: loc.parse().map_err(corrupt)?,
        provider_id: prov.parse().map_err(corrupt)?,
        patient_id: pat.parse().map_err(corrupt)?,
        appointment_type_id: kind.parse().map_err(corrupt)?,
        starts_at: Timestamp::from_micros(start),
        ends_at: Timestamp::from_micros(end),
        status: VisitStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("appointment status {status}")))?,
        overbooked: over != 0,
        version,
        created_at: Timestamp::from_micros(created),
        series_id: series.map(|s| s.parse()).transpose().map_err(corrupt)?,
    })
}

macro_rules! appointment_columns {
    () => {
        "id, organisation_id, location_id, provider_id, patient_id, appointment_type_id, starts_at, ends_at, \
         status, overbooked, version, created_at, series_id"
    };
}

pub async fn find_appointment(
    tx: &mut Tx,
    id: AppointmentId,
) -> Result<Option<Appointment>, StoreError> {
    let sql = concat!(
        "SELECT ",
        appointment_columns!(),
        " FROM appointments WHERE id = $1"
    );
    let row: Option<AppointmentTuple> =
        on_tx!(tx, c => sqlx::query_as(sql).bind(id.to_string()).fetch_optional(&mut **c).await)?;
    row.map(appointment_from).transpose()
}

/// Moves an appointment to a new status (and, for a cancellation, its
/// reason) if it is still at `version`; records the change with its time.
pub async fn set_status(
    tx: &mut Tx,
    a: &Appointment,
    status: VisitStatus,
    reason: Option<&str>,
    by: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "UPDATE appointments SET status = $1, cancel_reason = $2, version = version + 1, updated_at = $3 \
         WHERE id = $4 AND version = $5"
    )
    .bind(status.as_str())
    .bind(reason)
    .bind(now.as_micros())
    .bind(a.id.to_string())
    .bind(a.version))?;
    if n == 1 {
        execute!(tx, sqlx::query("INSERT INTO appointment_events (appointment_id, status, at, by_user) VALUES ($1, $2, $3, $4)")
            .bind(a.id.to_string())
            .bind(status.as_str())
            .bind(now.as_micros())
            .bind(by))?;
    }
    Ok(n == 1)
}

/// Moves an appointment in time if it is still at `version`.
pub async fn move_appointment(
    tx: &mut Tx,
    a: &Appointment,
    starts_at: Timestamp,
    ends_at: Timestamp,
    overbooked: bool,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "UPDATE appointments SET starts_at = $1, ends_at = $2, version = version + 1, updated_at = $3, overbooked = $6 \
         WHERE id = $4 AND version = $5"
    )
    .bind(starts_at.as_micros())
    .bind(ends_at.as_micros())
    .bind(now.as_micros())
    .bind(a.id.to_string())
    .bind(a.version)
    .bind(i64::from(overbooked)))?;
    Ok(n == 1)
}

/// A booked appointment due for a reminder, with what the reminder needs
/// and nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderDue {
    pub appointment_id: AppointmentId,
    pub organisation_id: OrganisationId,
    pub patient_id: PatientId,
    pub starts_at: Timestamp,
    pub first_name: String,
    pub preferred_name: Option<String>,
    pub email: Option<String>,
    pub mobile_phone: Option<String>,
    pub channel: String,
    pub location_name: String,
    pub time_zone: String,
}

/// Booked appointments starting in `[from, until)`, across organisations.
pub async fn due_for_reminder(
    tx: &mut Tx,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<ReminderDue>, StoreError> {
    type Row = (
        String,
        String,
        String,
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        String,
        String,
    );
    let rows: Vec<Row> = on_tx!(tx, c => sqlx::query_as(
        "SELECT a.id, a.organisation_id, a.patient_id, a.starts_at, p.legal_first_name, p.preferred_name, p.email, p.mobile_phone, \
         p.reminder_channel, l.name, l.time_zone FROM appointments a \
         JOIN patients p ON p.id = a.patient_id JOIN locations l ON l.id = a.location_id \
         WHERE a.status = 'booked' AND a.starts_at >= $1 AND a.starts_at < $2 ORDER BY a.starts_at, a.id"
    )
    .bind(from.as_micros())
    .bind(until.as_micros())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(
            |(id, org, patient, start, first, preferred, email, mobile, channel, loc, tz)| {
                Ok(ReminderDue {
                    appointment_id: id.parse().map_err(corrupt)?,
                    organisation_id: org.parse().map_err(corrupt)?,
                    patient_id: patient.parse().map_err(corrupt)?,
                    starts_at: Timestamp::from_micros(start),
                    first_name: first,
                    preferred_name: preferred,
                    email,
                    mobile_phone: mobile,
                    channel,
                    location_name: loc,
                    time_zone: tz,
                })
            },
        )
        .collect()
}

/// One line of a location's day: the appointment with its patient's last
/// and first names, the provider's and type's names, and when the patient
/// arrived, if they did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayLine {
    pub appointment: Appointment,
    pub patient_last: String,
    pub patient_first: String,
    pub arrived_at: Option<Timestamp>,
}

/// The appointments at a location starting in `[from, until)`, by start
/// time, with the patients' names: one query for the whole day, the names
/// read from the narrow `patient_display_names`. Providers' and visit
/// types' names are the caller's to add from the set-up it holds, since
/// joining them here costs two index look-ups per appointment.
pub async fn day_lines(
    tx: &mut Tx,
    location: LocationId,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<DayLine>, StoreError> {
    type Names = (String, String, Option<i64>);
    let rows: Vec<(AppointmentTuple, Names)> = on_tx!(tx, c => sqlx::query(
        "SELECT a.id, a.organisation_id, a.location_id, a.provider_id, a.patient_id, a.appointment_type_id, \
         a.starts_at, a.ends_at, a.status, a.overbooked, a.version, a.created_at, a.series_id, \
         p.legal_last_name, p.legal_first_name, \
         (SELECT min(e.at) FROM appointment_events e WHERE e.appointment_id = a.id AND e.status = 'arrived') \
         FROM appointments a JOIN patient_display_names p ON p.patient_id = a.patient_id \
         WHERE a.location_id = $1 AND a.starts_at >= $2 AND a.starts_at < $3 ORDER BY a.starts_at, a.id"
    )
    .bind(location.to_string())
    .bind(from.as_micros())
    .bind(until.as_micros())
    .fetch_all(&mut **c)
    .await
    .and_then(|rows| rows.iter().map(|r| {
        use sqlx::Row;
        Ok((
            (
                r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?,
                r.try_get(5)?, r.try_get(6)?, r.try_get(7)?, r.try_get(8)?, r.try_get(9)?,
                r.try_get(10)?, r.try_get(11)?, r.try_get(12)?,
            ),
            (r.try_get(13)?, r.try_get(14)?, r.try_get(15)?),
        ))
    }).collect::<Result<Vec<_>, sqlx::Error>>()))?;
    rows.into_iter()
        .map(|(a, (last, first, arrived))| {
            Ok(DayLine {
                appointment: appointment_from(a)?,
                patient_last: last,
                patient_first: first,
                arrived_at: arrived.map(Timestamp::from_micros),
            })
        })
        .collect()
}

pub async fn insert_series(
    tx: &mut Tx,
    id: SeriesId,
    org: OrganisationId,
    patient: PatientId,
    pattern: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO appointment_series (id, organisation_id, patient_id, pattern, created_at) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(id.to_string())
    .bind(org.to_string())
    .bind(patient.to_string())
    .bind(pattern)
    .bind(now.as_micros()))?;
    Ok(())
}

/// The booked appointments of a series that start at or after `from`.
pub async fn series_from(
    tx: &mut Tx,
    series: SeriesId,
    from: Timestamp,
) -> Result<Vec<Appointment>, StoreError> {
    let sql = concat!(
        "SELECT ",
        appointment_columns!(),
        " FROM appointments WHERE series_id = $1 AND starts_at >= $2 AND status = 'booked' ORDER BY starts_at"
    );
    let rows: Vec<AppointmentTuple> = on_tx!(tx, c => sqlx::query_as(sql)
        .bind(series.to_string())
        .bind(from.as_micros())
        .fetch_all(&mut **c)
        .await)?;
    rows.into_iter().map(appointment_from).collect()
}

/// What a booking's check asks of the database about one slot.
#[derive(Debug, Clone, Copy)]
pub struct SlotQuestion {
    pub patient: PatientId,
    pub organisation: OrganisationId,
    pub provider: ProviderId,
    pub location: LocationId,
    pub from: Timestamp,
    pub until: Timestamp,
    /// The appointment being moved, whose own times do not clash.
    pub except: Option<AppointmentId>,
}

/// The answers, read in one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotFacts {
    /// The patient is a live (not merged) chart of the organisation.
    pub patient_ok: bool,
    /// The earliest closure (time off, holiday) overlapping the slot.
    pub closure: Option<Blocked>,
    /// The provider has another live appointment overlapping the slot.
    pub busy: bool,
}

/// Answers a booking's three questions about a slot in one round trip:
/// a booking is short enough that each statement's hand-off to the
/// database worker costs more than the statement itself.
pub async fn slot_facts(tx: &mut Tx, q: &SlotQuestion) -> Result<SlotFacts, StoreError> {
    type Row = (i64, i64, Option<i64>, Option<i64>, Option<String>);
    let (patients, busy, starts, ends, reason): Row = on_tx!(tx, c => sqlx::query_as(
        "SELECT \
         (SELECT count(*) FROM patients WHERE id = $1 AND organisation_id = $2 AND merged_into IS NULL), \
         (SELECT count(*) FROM appointments WHERE provider_id = $3 AND status NOT IN ('cancelled', 'no_show') \
          AND ends_at > $5 AND starts_at < $6 AND starts_at > $8 AND id <> $7), \
         c.starts_at, c.ends_at, c.reason \
         FROM (SELECT 1 AS one) AS x LEFT JOIN (SELECT starts_at, ends_at, reason FROM time_off \
          WHERE starts_at < $6 AND ends_at > $5 AND \
          ((provider_id = $3 AND (location_id IS NULL OR location_id = $4)) OR (provider_id IS NULL AND location_id = $4)) \
          ORDER BY starts_at LIMIT 1) AS c ON 1 = 1"
    )
    .bind(q.patient.to_string())
    .bind(q.organisation.to_string())
    .bind(q.provider.to_string())
    .bind(q.location.to_string())
    .bind(q.from.as_micros())
    .bind(q.until.as_micros())
    .bind(q.except.map(|a| a.to_string()).unwrap_or_default())
    .bind(q.from.as_micros() - LONGEST_MICROS)
    .fetch_one(&mut **c)
    .await)?;
    Ok(SlotFacts {
        patient_ok: patients == 1,
        closure: match (starts, ends, reason) {
            (Some(s), Some(e), Some(reason)) => Some(Blocked {
                starts_at: Timestamp::from_micros(s),
                ends_at: Timestamp::from_micros(e),
                reason,
            }),
            _ => None,
        },
        busy: busy > 0,
    })
}

/// When each appointment at `location` starting in `[from, until)` last
/// changed status, for the flow board's time-in-step.
pub async fn last_moves(
    tx: &mut Tx,
    location: LocationId,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<(AppointmentId, Timestamp)>, StoreError> {
    let rows: Vec<(String, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT e.appointment_id, max(e.at) FROM appointment_events e JOIN appointments a ON a.id = e.appointment_id \
         WHERE a.location_id = $1 AND a.starts_at >= $2 AND a.starts_at < $3 GROUP BY e.appointment_id"
    )
    .bind(location.to_string())
    .bind(from.as_micros())
    .bind(until.as_micros())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(a, t)| Ok((a.parse().map_err(corrupt)?, Timestamp::from_micros(t))))
        .collect()
}

/// Whether `patient` is a live chart (not merged away) of `org`: all a
/// booking needs to know about the patient.
pub async fn patient_bookable(
    tx: &mut Tx,
    patient: PatientId,
    org: OrganisationId,
) -> Result<bool, StoreError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as(
        "SELECT count(*) FROM patients WHERE id = $1 AND organisation_id = $2 AND merged_into IS NULL"
    )
    .bind(patient.to_string())
    .bind(org.to_string())
    .fetch_one(&mut **c)
    .await)?;
    Ok(n == 1)
}

/// The practice's set-up version: it moves (by trigger) with every change
/// to providers, their locations, windows and breaks, locations,
/// appointment types and the resources they need, so what was read at one
/// version may be reused while the version stays.
pub async fn reference_version(tx: &mut Tx) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as("SELECT n FROM reference_version WHERE id = 1")
        .fetch_one(&mut **c)
        .await)?;
    Ok(n)
}
