//! Providers, appointment types, weekly windows and appointments.

use jiff::civil::{Time, Weekday};
use kerato_domain::ids::{
    AppointmentId, AppointmentTypeId, LocationId, OrganisationId, PatientId, ProviderId,
};
use kerato_domain::scheduling::Window;
use kerato_domain::time::Timestamp;

use crate::backend::Tx;
use crate::error::StoreError;
use crate::{execute, on_tx};

fn corrupt<E: std::fmt::Display>(e: E) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRow {
    pub id: ProviderId,
    pub organisation_id: OrganisationId,
    pub name: String,
    pub locations: Vec<LocationId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentTypeRow {
    pub id: AppointmentTypeId,
    pub organisation_id: OrganisationId,
    pub name: String,
    pub duration_minutes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentRow {
    pub id: AppointmentId,
    pub organisation_id: OrganisationId,
    pub location_id: LocationId,
    pub provider_id: ProviderId,
    pub patient_id: PatientId,
    pub appointment_type_id: AppointmentTypeId,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub status: String,
    pub overbooked: bool,
    pub version: i64,
    pub created_at: Timestamp,
}

pub async fn insert_provider(
    tx: &mut Tx,
    p: &ProviderRow,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query("INSERT INTO providers (id, organisation_id, name, booking_seq, created_at) VALUES ($1, $2, $3, 0, $4)")
        .bind(p.id.to_string())
        .bind(p.organisation_id.to_string())
        .bind(&p.name)
        .bind(now.as_micros()))?;
    for loc in &p.locations {
        execute!(
            tx,
            sqlx::query(
                "INSERT INTO provider_locations (provider_id, location_id) VALUES ($1, $2)"
            )
            .bind(p.id.to_string())
            .bind(loc.to_string())
        )?;
    }
    Ok(())
}

pub async fn find_provider(tx: &mut Tx, id: ProviderId) -> Result<Option<ProviderRow>, StoreError> {
    let row: Option<(String, String, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, organisation_id, name FROM providers WHERE id = $1"
    )
    .bind(id.to_string())
    .fetch_optional(&mut **c)
    .await)?;
    let Some((id, org, name)) = row else {
        return Ok(None);
    };
    let locs: Vec<(String,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT location_id FROM provider_locations WHERE provider_id = $1 ORDER BY location_id"
    )
    .bind(&id)
    .fetch_all(&mut **c)
    .await)?;
    Ok(Some(ProviderRow {
        id: id.parse().map_err(corrupt)?,
        organisation_id: org.parse().map_err(corrupt)?,
        name,
        locations: locs
            .into_iter()
            .map(|(l,)| l.parse().map_err(corrupt))
            .collect::<Result<_, _>>()?,
    }))
}

/// Takes the provider's booking lock for the rest of the transaction.
pub async fn lock_provider(tx: &mut Tx, id: ProviderId) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE providers SET booking_seq = booking_seq + 1 WHERE id = $1")
            .bind(id.to_string())
    )?;
    Ok(())
}

pub async fn insert_type(
    tx: &mut Tx,
    t: &AppointmentTypeRow,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query("INSERT INTO appointment_types (id, organisation_id, name, duration_minutes, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(t.id.to_string())
        .bind(t.organisation_id.to_string())
        .bind(&t.name)
        .bind(t.duration_minutes)
        .bind(now.as_micros()))?;
    Ok(())
}

pub async fn find_type(
    tx: &mut Tx,
    id: AppointmentTypeId,
) -> Result<Option<AppointmentTypeRow>, StoreError> {
    let row: Option<(String, String, String, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, organisation_id, name, duration_minutes FROM appointment_types WHERE id = $1"
    )
    .bind(id.to_string())
    .fetch_optional(&mut **c)
    .await)?;
    row.map(|(id, org, name, d)| {
        Ok(AppointmentTypeRow {
            id: id.parse().map_err(corrupt)?,
            organisation_id: org.parse().map_err(corrupt)?,
            name,
            duration_minutes: d,
        })
    })
    .transpose()
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

pub async fn insert_window(
    tx: &mut Tx,
    id: &str,
    provider: ProviderId,
    location: LocationId,
    w: &Window,
) -> Result<(), StoreError> {
    // 24:00 closes a window at midnight; stored as minute 1440.
    let end = if w.end == Time::midnight() {
        1440
    } else {
        minute_of(w.end)
    };
    execute!(tx, sqlx::query(
        "INSERT INTO provider_windows (id, provider_id, location_id, weekday, start_minute, end_minute, overbook) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(id)
    .bind(provider.to_string())
    .bind(location.to_string())
    .bind(i64::from(w.weekday.to_monday_one_offset()))
    .bind(minute_of(w.start))
    .bind(end)
    .bind(i64::from(w.overbook)))?;
    Ok(())
}

pub async fn windows_of(
    tx: &mut Tx,
    provider: ProviderId,
    location: LocationId,
) -> Result<Vec<Window>, StoreError> {
    let rows: Vec<(i64, i64, i64, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT weekday, start_minute, end_minute, overbook FROM provider_windows \
         WHERE provider_id = $1 AND location_id = $2 ORDER BY weekday, start_minute"
    )
    .bind(provider.to_string())
    .bind(location.to_string())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(day, start, end, over)| {
            let weekday = Weekday::from_monday_one_offset(i8::try_from(day).map_err(corrupt)?)
                .map_err(corrupt)?;
            // A window running to midnight ends at the last representable minute.
            let end = if end >= 1440 {
                Time::new(23, 59, 59, 999_999_999).map_err(corrupt)?
            } else {
                time_of(end)?
            };
            Ok(Window {
                weekday,
                start: time_of(start)?,
                end,
                overbook: over != 0,
            })
        })
        .collect()
}

/// Booked intervals of a provider that end after `from` and start before `until`.
pub async fn busy(
    tx: &mut Tx,
    provider: ProviderId,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<(Timestamp, Timestamp)>, StoreError> {
    let rows: Vec<(i64, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT starts_at, ends_at FROM appointments WHERE provider_id = $1 AND status NOT IN ('cancelled', 'no_show') \
         AND ends_at > $2 AND starts_at < $3 ORDER BY starts_at"
    )
    .bind(provider.to_string())
    .bind(from.as_micros())
    .bind(until.as_micros())
    .fetch_all(&mut **c)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(s, e)| (Timestamp::from_micros(s), Timestamp::from_micros(e)))
        .collect())
}

pub async fn insert_appointment(tx: &mut Tx, a: &AppointmentRow) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO appointments (id, organisation_id, location_id, provider_id, patient_id, appointment_type_id, \
         starts_at, ends_at, status, overbooked, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)"
    )
    .bind(a.id.to_string())
    .bind(a.organisation_id.to_string())
    .bind(a.location_id.to_string())
    .bind(a.provider_id.to_string())
    .bind(a.patient_id.to_string())
    .bind(a.appointment_type_id.to_string())
    .bind(a.starts_at.as_micros())
    .bind(a.ends_at.as_micros())
    .bind(&a.status)
    .bind(i64::from(a.overbooked))
    .bind(a.version)
    .bind(a.created_at.as_micros()))?;
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
);

fn appointment_from(r: AppointmentTuple) -> Result<AppointmentRow, StoreError> {
    let (id, org, loc, prov, pat, kind, start, end, status, over, version, created) = r;
    Ok(AppointmentRow {
        id: id.parse().map_err(corrupt)?,
        organisation_id: org.parse().map_err(corrupt)?,
        location_id: loc.parse().map_err(corrupt)?,
        provider_id: prov.parse().map_err(corrupt)?,
        patient_id: pat.parse().map_err(corrupt)?,
        appointment_type_id: kind.parse().map_err(corrupt)?,
        starts_at: Timestamp::from_micros(start),
        ends_at: Timestamp::from_micros(end),
        status,
        overbooked: over != 0,
        version,
        created_at: Timestamp::from_micros(created),
    })
}

macro_rules! appointment_columns {
    () => {
        "id, organisation_id, location_id, provider_id, patient_id, appointment_type_id, starts_at, ends_at, \
         status, overbooked, version, created_at"
    };
}

pub async fn find_appointment(
    tx: &mut Tx,
    id: AppointmentId,
) -> Result<Option<AppointmentRow>, StoreError> {
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
    a: &AppointmentRow,
    status: &str,
    reason: Option<&str>,
    by: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "UPDATE appointments SET status = $1, cancel_reason = $2, version = version + 1, updated_at = $3 \
         WHERE id = $4 AND version = $5"
    )
    .bind(status)
    .bind(reason)
    .bind(now.as_micros())
    .bind(a.id.to_string())
    .bind(a.version))?;
    if n == 1 {
        execute!(tx, sqlx::query("INSERT INTO appointment_events (appointment_id, status, at, by_user) VALUES ($1, $2, $3, $4)")
            .bind(a.id.to_string())
            .bind(status)
            .bind(now.as_micros())
            .bind(by))?;
    }
    Ok(n == 1)
}

/// Moves an appointment in time if it is still at `version`.
pub async fn move_appointment(
    tx: &mut Tx,
    a: &AppointmentRow,
    starts_at: Timestamp,
    ends_at: Timestamp,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "UPDATE appointments SET starts_at = $1, ends_at = $2, version = version + 1, updated_at = $3 WHERE id = $4 AND version = $5"
    )
    .bind(starts_at.as_micros())
    .bind(ends_at.as_micros())
    .bind(now.as_micros())
    .bind(a.id.to_string())
    .bind(a.version))?;
    Ok(n == 1)
}

/// Every provider of an organisation, by name.
pub async fn providers_of(
    tx: &mut Tx,
    org: OrganisationId,
) -> Result<Vec<ProviderRow>, StoreError> {
    let ids: Vec<(String,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id FROM providers WHERE organisation_id = $1 ORDER BY name, id"
    )
    .bind(org.to_string())
    .fetch_all(&mut **c)
    .await)?;
    let mut out = Vec::with_capacity(ids.len());
    for (id,) in ids {
        if let Some(p) = find_provider(tx, id.parse().map_err(corrupt)?).await? {
            out.push(p);
        }
    }
    Ok(out)
}

/// Every appointment type of an organisation, by name.
pub async fn types_of(
    tx: &mut Tx,
    org: OrganisationId,
) -> Result<Vec<AppointmentTypeRow>, StoreError> {
    let rows: Vec<(String, String, String, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, organisation_id, name, duration_minutes FROM appointment_types WHERE organisation_id = $1 ORDER BY name, id"
    )
    .bind(org.to_string())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(id, org, name, d)| {
            Ok(AppointmentTypeRow {
                id: id.parse().map_err(corrupt)?,
                organisation_id: org.parse().map_err(corrupt)?,
                name,
                duration_minutes: d,
            })
        })
        .collect()
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
        String,
        String,
        String,
    );
    let rows: Vec<Row> = on_tx!(tx, c => sqlx::query_as(
        "SELECT a.id, a.organisation_id, a.patient_id, a.starts_at, p.legal_first_name, p.preferred_name, p.email, \
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
            |(id, org, patient, start, first, preferred, email, channel, loc, tz)| {
                Ok(ReminderDue {
                    appointment_id: id.parse().map_err(corrupt)?,
                    organisation_id: org.parse().map_err(corrupt)?,
                    patient_id: patient.parse().map_err(corrupt)?,
                    starts_at: Timestamp::from_micros(start),
                    first_name: first,
                    preferred_name: preferred,
                    email,
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
    pub appointment: AppointmentRow,
    pub patient_last: String,
    pub patient_first: String,
    pub provider_name: String,
    pub type_name: String,
    pub arrived_at: Option<Timestamp>,
}

/// The appointments at a location starting in `[from, until)`, by start
/// time, with the names the schedule shows: one query for the whole day,
/// the patients' names read from the narrow `patient_display_names`.
pub async fn day_lines(
    tx: &mut Tx,
    location: LocationId,
    from: Timestamp,
    until: Timestamp,
) -> Result<Vec<DayLine>, StoreError> {
    type Names = (String, String, String, String, Option<i64>);
    let rows: Vec<(AppointmentTuple, Names)> = on_tx!(tx, c => sqlx::query(
        "SELECT a.id, a.organisation_id, a.location_id, a.provider_id, a.patient_id, a.appointment_type_id, \
         a.starts_at, a.ends_at, a.status, a.overbooked, a.version, a.created_at, \
         p.legal_last_name, p.legal_first_name, pr.name, t.name, \
         (SELECT min(e.at) FROM appointment_events e WHERE e.appointment_id = a.id AND e.status = 'arrived') \
         FROM appointments a JOIN patient_display_names p ON p.patient_id = a.patient_id \
         JOIN providers pr ON pr.id = a.provider_id \
         JOIN appointment_types t ON t.id = a.appointment_type_id \
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
                r.try_get(10)?, r.try_get(11)?,
            ),
            (r.try_get(12)?, r.try_get(13)?, r.try_get(14)?, r.try_get(15)?, r.try_get(16)?),
        ))
    }).collect::<Result<Vec<_>, sqlx::Error>>()))?;
    rows.into_iter()
        .map(|(a, (last, first, provider, kind, arrived))| {
            Ok(DayLine {
                appointment: appointment_from(a)?,
                patient_last: last,
                patient_first: first,
                provider_name: provider,
                type_name: kind,
                arrived_at: arrived.map(Timestamp::from_micros),
            })
        })
        .collect()
}
