//! The practice's scheduling set-up: appointment types with the resources
//! they need, weekly breaks, and dated closures (time off, holidays).

use jiff::civil::{Time, Weekday};

use kerato_domain::ids::{AppointmentTypeId, BlockId, LocationId, OrganisationId, ProviderId};
use kerato_domain::scheduling::{AppointmentType, Blocked, Break, Closure, ResourceKind};
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
