//! Providers, appointment types, weekly windows and appointments.

use jiff::civil::{Time, Weekday};

use kerato_domain::ids::{
    AppointmentId, AppointmentTypeId, BlockId, LocationId, OrganisationId, PatientId, ProviderId,
    ResourceId, SeriesId,
};
use kerato_domain::scheduling::{
    Appointment, AppointmentType, Blocked, BookableResource, Break, Closure, ResourceKind,
    VisitStatus,
};
use kerato_domain::tenancy::Specialty;
use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

pub async fn insert_type(
    tx: &mut Tx,
    t: &AppointmentType,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query("INSERT INTO appointment_types (id, organisation_id, name, duration_minutes, created_at, specialty, colour, new_patient) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(t.id.to_string())
        .bind(t.organisation_id.to_string())
        .bind(&t.name)
        .bind(t.duration_minutes)
        .bind(now.as_micros())
        .bind(t.specialty.map(Specialty::as_str))
        .bind(&t.colour)
        .bind(i64::from(t.new_patient)))?;
    for kind in &t.resources {
        execute!(
            tx,
            sqlx::query(
                "INSERT INTO appointment_type_resources (appointment_type_id, kind) VALUES ($1, $2)"
            )
            .bind(t.id.to_string())
            .bind(kind.as_str())
        )?;
    }
    Ok(())
}

type TypeTuple = (
    String,
    String,
    String,
    i64,
    Option<String>,
    String,
    i64,
    Option<String>,
);

// The resource kinds come along aggregated, as for providers' locations.
macro_rules! type_columns {
    () => {
        "t.id, t.organisation_id, t.name, t.duration_minutes, t.specialty, t.colour, t.new_patient, \
         (SELECT string_agg(r.kind, ',') FROM appointment_type_resources r WHERE r.appointment_type_id = t.id)"
    };
}

fn type_from(r: TypeTuple) -> Result<AppointmentType, StoreError> {
    let (id, org, name, duration_minutes, specialty, colour, new_patient, kinds) = r;
    Ok(AppointmentType {
        id: id.parse().map_err(corrupt)?,
        organisation_id: org.parse().map_err(corrupt)?,
        name,
        duration_minutes,
        specialty: specialty
            .map(|s| s.parse::<Specialty>())
            .transpose()
            .map_err(corrupt)?,
        colour,
        new_patient: new_patient != 0,
        resources: kinds
            .unwrap_or_default()
            .split(',')
            .filter(|k| !k.is_empty())
            .map(|k| ResourceKind::parse(k).ok_or_else(|| corrupt(format!("resource kind {k}"))))
            .collect::<Result<_, _>>()?,
    })
}

pub async fn find_type(
    tx: &mut Tx,
    id: AppointmentTypeId,
) -> Result<Option<AppointmentType>, StoreError> {
    let sql = concat!(
        "SELECT ",
        type_columns!(),
        " FROM appointment_types t WHERE t.id = $1"
    );
    let row: Option<TypeTuple> = on_tx!(tx, c => sqlx::query_as(sql)
        .bind(id.to_string())
        .fetch_optional(&mut **c)
        .await)?;
    row.map(type_from).transpose()
}

fn minute_of(t: Time) -> i64 {
    i64::from(t.hour()) * 60 + i64::from(t.minute())
}

fn time_of(minute: i64) -> Result<Time, StoreError> {
    Time::new(
        i8::try_from(minute / 60).map_err(corrupt)?,
        i8::try_from(minute % 60).map_err(corrupt)?,
        0,
        0,
    )
    .map_err(corrupt)
}

/// No appointment lasts longer than this (the app caps them at 8 hours).
/// Overlap queries use it as a lower bound on the start, so that finding
/// what overlaps an interval is a short index range scan instead of a scan
/// of everything the provider or resource ever had before it.
const LONGEST_MICROS: i64 = 24 * 3600 * 1_000_000;

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

/// Every appointment type of an organisation, by name.
pub async fn types_of(
    tx: &mut Tx,
    org: OrganisationId,
) -> Result<Vec<AppointmentType>, StoreError> {
    let sql = concat!(
        "SELECT ",
        type_columns!(),
        " FROM appointment_types t WHERE t.organisation_id = $1 ORDER BY t.name, t.id"
    );
    let rows: Vec<TypeTuple> = on_tx!(tx, c => sqlx::query_as(sql)
        .bind(org.to_string())
        .fetch_all(&mut **c)
        .await)?;
    rows.into_iter().map(type_from).collect()
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

pub async fn insert_resource(
    tx: &mut Tx,
    r: &BookableResource,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO resources (id, organisation_id, location_id, kind, name, booking_seq, created_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6)"
    )
    .bind(r.id.to_string())
    .bind(r.organisation_id.to_string())
    .bind(r.location_id.to_string())
    .bind(r.kind.as_str())
    .bind(&r.name)
    .bind(now.as_micros()))?;
    Ok(())
}

fn resource_from(
    (id, org, loc, kind, name): (String, String, String, String, String),
) -> Result<BookableResource, StoreError> {
    Ok(BookableResource {
        id: id.parse().map_err(corrupt)?,
        organisation_id: org.parse().map_err(corrupt)?,
        location_id: loc.parse().map_err(corrupt)?,
        kind: ResourceKind::parse(&kind).ok_or_else(|| corrupt(format!("resource kind {kind}")))?,
        name,
    })
}

/// Every resource of an organisation, by location, kind and name.
pub async fn resources_of(
    tx: &mut Tx,
    org: OrganisationId,
) -> Result<Vec<BookableResource>, StoreError> {
    let rows: Vec<(String, String, String, String, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, organisation_id, location_id, kind, name FROM resources WHERE organisation_id = $1 \
         ORDER BY location_id, kind, name, id"
    )
    .bind(org.to_string())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter().map(resource_from).collect()
}

/// Takes a resource's booking lock for the rest of the transaction. Callers
/// take the provider's lock first, then resources in ID order, so two
/// bookings never wait on each other in a cycle. Like [`lock_provider`],
/// a no-op on SQLite, whose write transactions are serial already.
pub async fn lock_resource(tx: &mut Tx, id: ResourceId) -> Result<(), StoreError> {
    if tx.backend() == crate::Backend::Sqlite {
        return Ok(());
    }
    execute!(
        tx,
        sqlx::query("UPDATE resources SET booking_seq = booking_seq + 1 WHERE id = $1")
            .bind(id.to_string())
    )?;
    Ok(())
}

/// Times held on the resources of `location` by live appointments that
/// end after `from` and start before `until`.
pub async fn resources_busy(
    tx: &mut Tx,
    location: LocationId,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<(ResourceId, Timestamp, Timestamp, AppointmentId)>, StoreError> {
    let rows: Vec<(String, i64, i64, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT ar.resource_id, ar.starts_at, ar.ends_at, ar.appointment_id FROM appointment_resources ar \
         JOIN resources r ON r.id = ar.resource_id JOIN appointments a ON a.id = ar.appointment_id \
         WHERE r.location_id = $1 AND ar.starts_at < $3 AND ar.ends_at > $2 AND ar.starts_at > $4 \
         AND a.status NOT IN ('cancelled', 'no_show') ORDER BY ar.starts_at"
    )
    .bind(location.to_string())
    .bind(from.as_micros())
    .bind(until.as_micros())
    .bind(from.as_micros() - LONGEST_MICROS)
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(r, s, e, a)| {
            Ok((
                r.parse().map_err(corrupt)?,
                Timestamp::from_micros(s),
                Timestamp::from_micros(e),
                a.parse().map_err(corrupt)?,
            ))
        })
        .collect()
}

pub async fn hold_resource(
    tx: &mut Tx,
    appointment: &Appointment,
    resource: ResourceId,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO appointment_resources (appointment_id, resource_id, starts_at, ends_at) VALUES ($1, $2, $3, $4)"
    )
    .bind(appointment.id.to_string())
    .bind(resource.to_string())
    .bind(appointment.starts_at.as_micros())
    .bind(appointment.ends_at.as_micros()))?;
    Ok(())
}

/// Lets go of an appointment's resources, before it takes others.
pub async fn release_resources(tx: &mut Tx, appointment: AppointmentId) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("DELETE FROM appointment_resources WHERE appointment_id = $1")
            .bind(appointment.to_string())
    )?;
    Ok(())
}

/// The resources each appointment at `location` in `[from, until)` holds.
pub async fn held_resources(
    tx: &mut Tx,
    location: LocationId,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<(AppointmentId, ResourceId)>, StoreError> {
    let rows: Vec<(String, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT ar.appointment_id, ar.resource_id FROM appointment_resources ar \
         JOIN appointments a ON a.id = ar.appointment_id \
         WHERE a.location_id = $1 AND a.starts_at >= $2 AND a.starts_at < $3"
    )
    .bind(location.to_string())
    .bind(from.as_micros())
    .bind(until.as_micros())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(a, r)| Ok((a.parse().map_err(corrupt)?, r.parse().map_err(corrupt)?)))
        .collect()
}

pub async fn insert_break(
    tx: &mut Tx,
    id: BlockId,
    provider: ProviderId,
    b: &Break,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO provider_breaks (id, provider_id, weekday, start_minute, end_minute, label) VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(id.to_string())
    .bind(provider.to_string())
    .bind(i64::from(b.weekday.to_monday_one_offset()))
    .bind(minute_of(b.start))
    .bind(minute_of(b.end))
    .bind(&b.label))?;
    Ok(())
}

pub async fn breaks_of(tx: &mut Tx, provider: ProviderId) -> Result<Vec<Break>, StoreError> {
    let rows: Vec<(i64, i64, i64, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT weekday, start_minute, end_minute, label FROM provider_breaks WHERE provider_id = $1 \
         ORDER BY weekday, start_minute"
    )
    .bind(provider.to_string())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(day, start, end, label)| {
            Ok(Break {
                weekday: Weekday::from_monday_one_offset(i8::try_from(day).map_err(corrupt)?)
                    .map_err(corrupt)?,
                start: time_of(start)?,
                end: time_of(end)?,
                label,
            })
        })
        .collect()
}

pub async fn insert_time_off(tx: &mut Tx, t: &Closure, now: Timestamp) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO time_off (id, organisation_id, provider_id, location_id, kind, starts_at, ends_at, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(t.id.to_string())
    .bind(t.organisation_id.to_string())
    .bind(t.provider_id.map(|p| p.to_string()))
    .bind(t.location_id.map(|l| l.to_string()))
    .bind(t.kind.as_str())
    .bind(t.starts_at.as_micros())
    .bind(t.ends_at.as_micros())
    .bind(&t.reason)
    .bind(now.as_micros()))?;
    Ok(())
}

/// Closures that keep `provider` from seeing patients at `location` in
/// `[from, until)`: the provider's own time off anywhere or there, and the
/// location's holidays.
pub async fn closures(
    tx: &mut Tx,
    provider: ProviderId,
    location: LocationId,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<Blocked>, StoreError> {
    let rows: Vec<(i64, i64, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT starts_at, ends_at, reason FROM time_off WHERE starts_at < $4 AND ends_at > $3 AND \
         ((provider_id = $1 AND (location_id IS NULL OR location_id = $2)) OR (provider_id IS NULL AND location_id = $2)) \
         ORDER BY starts_at"
    )
    .bind(provider.to_string())
    .bind(location.to_string())
    .bind(from.as_micros())
    .bind(until.as_micros())
    .fetch_all(&mut **c)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(s, e, reason)| Blocked {
            starts_at: Timestamp::from_micros(s),
            ends_at: Timestamp::from_micros(e),
            reason,
        })
        .collect())
}

/// (id, organisation, provider, location, kind, starts_at, ends_at, reason).
type TimeOffTuple = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    i64,
    String,
);

macro_rules! time_off_select {
    () => {
        "SELECT id, organisation_id, provider_id, location_id, kind, starts_at, ends_at, reason FROM time_off "
    };
}

fn time_off_from((id, org, p, l, kind, s, e, reason): TimeOffTuple) -> Result<Closure, StoreError> {
    Ok(Closure {
        id: id.parse().map_err(corrupt)?,
        organisation_id: org.parse().map_err(corrupt)?,
        provider_id: p.map(|p| p.parse()).transpose().map_err(corrupt)?,
        location_id: l.map(|l| l.parse()).transpose().map_err(corrupt)?,
        kind: kind.parse().map_err(corrupt)?,
        starts_at: Timestamp::from_micros(s),
        ends_at: Timestamp::from_micros(e),
        reason,
    })
}

/// Every closure of an organisation that has not ended by `now`.
pub async fn upcoming_time_off(
    tx: &mut Tx,
    org: OrganisationId,
    now: Timestamp,
) -> Result<Vec<Closure>, StoreError> {
    let sql = concat!(
        time_off_select!(),
        "WHERE organisation_id = $1 AND ends_at > $2 ORDER BY starts_at, id"
    );
    let rows: Vec<TimeOffTuple> = on_tx!(tx, c => sqlx::query_as(sql)
        .bind(org.to_string())
        .bind(now.as_micros())
        .fetch_all(&mut **c)
        .await)?;
    rows.into_iter().map(time_off_from).collect()
}

/// Every closure of an organisation that overlaps `[from, until)`, by start.
pub async fn time_off_between(
    tx: &mut Tx,
    org: OrganisationId,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<Closure>, StoreError> {
    let sql = concat!(
        time_off_select!(),
        "WHERE organisation_id = $1 AND starts_at < $3 AND ends_at > $2 ORDER BY starts_at, id"
    );
    let rows: Vec<TimeOffTuple> = on_tx!(tx, c => sqlx::query_as(sql)
        .bind(org.to_string())
        .bind(from.as_micros())
        .bind(until.as_micros())
        .fetch_all(&mut **c)
        .await)?;
    rows.into_iter().map(time_off_from).collect()
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
