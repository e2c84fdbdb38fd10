//! Providers and their working hours: the provider records with their
//! locations and visit types, the booking lock, and the weekly templates
//! with their windows.

use std::collections::BTreeSet;

use jiff::civil::{Date, Time, Weekday};
use kerato_domain::ids::{HoursTemplateId, LocationId, OrganisationId, ProviderId, UserId};
use kerato_domain::providers::hours::{HoursPattern, HoursTemplate, Repeats, WorkingHours};
use kerato_domain::providers::{Npi, Provider, ProviderStatus, TaxonomyCode, VisitTypeScope};
use kerato_domain::scheduling::Window;
use kerato_domain::tenancy::{specialties_from_column, specialties_to_column};
use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::{StoreError, Tx, corrupt};

pub async fn insert_provider(tx: &mut Tx, p: &Provider, now: Timestamp) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO providers (id, organisation_id, name, booking_seq, created_at, specialties, user_id, credentials, npi, \
         taxonomy_code, status, visit_types_limited, version, updated_at) \
         VALUES ($1, $2, $3, 0, $4, $5, $6, $7, $8, $9, $10, $11, $12, $4)"
    )
    .bind(p.id.to_string())
    .bind(p.organisation_id.to_string())
    .bind(&p.name)
    .bind(now.as_micros())
    .bind(specialties_to_column(&p.specialties))
    .bind(p.user_id.map(|u| u.to_string()))
    .bind(&p.credentials)
    .bind(p.npi.as_ref().map(Npi::as_str))
    .bind(p.taxonomy.as_ref().map(TaxonomyCode::as_str))
    .bind(p.status.as_str())
    .bind(i64::from(matches!(p.visit_types, VisitTypeScope::Only(_))))
    .bind(p.version))?;
    write_lists(tx, p).await
}

/// Saves an edit made from `expected_version`; `false` when someone else
/// saved first (nothing is written then).
pub async fn update_provider(
    tx: &mut Tx,
    p: &Provider,
    expected_version: i64,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "UPDATE providers SET name = $1, specialties = $2, user_id = $3, credentials = $4, npi = $5, taxonomy_code = $6, \
         status = $7, visit_types_limited = $8, version = $9, updated_at = $10 WHERE id = $11 AND version = $12"
    )
    .bind(&p.name)
    .bind(specialties_to_column(&p.specialties))
    .bind(p.user_id.map(|u| u.to_string()))
    .bind(&p.credentials)
    .bind(p.npi.as_ref().map(Npi::as_str))
    .bind(p.taxonomy.as_ref().map(TaxonomyCode::as_str))
    .bind(p.status.as_str())
    .bind(i64::from(matches!(p.visit_types, VisitTypeScope::Only(_))))
    .bind(p.version)
    .bind(now.as_micros())
    .bind(p.id.to_string())
    .bind(expected_version))?;
    if n != 1 {
        return Ok(false);
    }
    execute!(
        tx,
        sqlx::query("DELETE FROM provider_locations WHERE provider_id = $1").bind(p.id.to_string())
    )?;
    execute!(
        tx,
        sqlx::query("DELETE FROM provider_visit_types WHERE provider_id = $1")
            .bind(p.id.to_string())
    )?;
    write_lists(tx, p).await?;
    Ok(true)
}

async fn write_lists(tx: &mut Tx, p: &Provider) -> Result<(), StoreError> {
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
    if let VisitTypeScope::Only(types) = &p.visit_types {
        for t in types {
            execute!(
                tx,
                sqlx::query(
                    "INSERT INTO provider_visit_types (provider_id, appointment_type_id) VALUES ($1, $2)"
                )
                .bind(p.id.to_string())
                .bind(t.to_string())
            )?;
        }
    }
    Ok(())
}

type ProviderTuple = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    Option<String>,
    i64,
);

// One query per provider or list of providers: the locations and visit
// types come along as aggregated columns rather than queries per provider.
macro_rules! provider_select {
    () => {
        "SELECT p.id, p.organisation_id, p.name, p.specialties, \
         (SELECT string_agg(pl.location_id, ',' ORDER BY pl.location_id) FROM provider_locations pl WHERE pl.provider_id = p.id), \
         p.user_id, p.credentials, p.npi, p.taxonomy_code, p.status, p.visit_types_limited, \
         (SELECT string_agg(pv.appointment_type_id, ',' ORDER BY pv.appointment_type_id) FROM provider_visit_types pv WHERE pv.provider_id = p.id), \
         p.version FROM providers p "
    };
}

fn ids<T: std::str::FromStr>(list: Option<String>) -> Result<Vec<T>, StoreError>
where
    T::Err: std::fmt::Display,
{
    list.unwrap_or_default()
        .split(',')
        .filter(|l| !l.is_empty())
        .map(|l| l.parse().map_err(corrupt))
        .collect()
}

fn provider_from(row: ProviderTuple) -> Result<Provider, StoreError> {
    let (
        id,
        org,
        name,
        specialties,
        locations,
        user,
        credentials,
        npi,
        taxonomy,
        status,
        limited,
        types,
        version,
    ) = row;
    Ok(Provider {
        id: id.parse().map_err(corrupt)?,
        organisation_id: org.parse().map_err(corrupt)?,
        name,
        user_id: user.map(|u| u.parse()).transpose().map_err(corrupt)?,
        credentials,
        npi: npi.map(|n| Npi::parse(&n)).transpose().map_err(corrupt)?,
        taxonomy: taxonomy
            .map(|t| TaxonomyCode::parse(&t))
            .transpose()
            .map_err(corrupt)?,
        specialties: specialties_from_column(&specialties).map_err(corrupt)?,
        locations: ids(locations)?,
        visit_types: if limited != 0 {
            VisitTypeScope::Only(ids(types)?.into_iter().collect::<BTreeSet<_>>())
        } else {
            VisitTypeScope::AllOfSpecialties
        },
        status: status.parse::<ProviderStatus>().map_err(corrupt)?,
        version,
    })
}

pub async fn find_provider(tx: &mut Tx, id: ProviderId) -> Result<Option<Provider>, StoreError> {
    let sql = concat!(provider_select!(), "WHERE p.id = $1");
    let row: Option<ProviderTuple> = on_tx!(tx, c => sqlx::query_as(sql)
        .bind(id.to_string())
        .fetch_optional(&mut **c)
        .await)?;
    row.map(provider_from).transpose()
}

/// The provider a staff account sees patients as, if any.
pub async fn provider_of_user(tx: &mut Tx, user: UserId) -> Result<Option<Provider>, StoreError> {
    let sql = concat!(provider_select!(), "WHERE p.user_id = $1");
    let row: Option<ProviderTuple> = on_tx!(tx, c => sqlx::query_as(sql)
        .bind(user.to_string())
        .fetch_optional(&mut **c)
        .await)?;
    row.map(provider_from).transpose()
}

/// Every provider of an organisation, by name.
pub async fn providers_of(tx: &mut Tx, org: OrganisationId) -> Result<Vec<Provider>, StoreError> {
    let sql = concat!(
        provider_select!(),
        "WHERE p.organisation_id = $1 ORDER BY p.name, p.id"
    );
    let rows: Vec<ProviderTuple> = on_tx!(tx, c => sqlx::query_as(sql)
        .bind(org.to_string())
        .fetch_all(&mut **c)
        .await)?;
    rows.into_iter().map(provider_from).collect()
}

/// Takes the provider's booking lock for the rest of the transaction.
///
/// On SQLite every write transaction already holds the database's one
/// write lock from `BEGIN IMMEDIATE`, so a row lock would add nothing but
/// a write; the statement runs only on PostgreSQL. That also keeps the
/// checks of a booking read-only on SQLite, which the group commit relies
/// on (see `kerato-app`'s `batch` module).
pub async fn lock_provider(tx: &mut Tx, id: ProviderId) -> Result<(), StoreError> {
    if tx.backend() == crate::Backend::Sqlite {
        return Ok(());
    }
    execute!(
        tx,
        sqlx::query("UPDATE providers SET booking_seq = booking_seq + 1 WHERE id = $1")
            .bind(id.to_string())
    )?;
    Ok(())
}

// ------------------------------------------------------------- hours

fn minute_of(t: Time) -> i64 {
    i64::from(t.hour()) * 60 + i64::from(t.minute())
}

fn time_of(minute: i64) -> Result<Time, StoreError> {
    // A window running to midnight (minute 1440, written before templates
    // existed) ends at the last representable minute.
    if minute >= 1440 {
        return Time::new(23, 59, 59, 999_999_999).map_err(corrupt);
    }
    Time::new(
        i8::try_from(minute / 60).map_err(corrupt)?,
        i8::try_from(minute % 60).map_err(corrupt)?,
        0,
        0,
    )
    .map_err(corrupt)
}

/// Stores a template and its windows; a window's ID is its template's
/// with its place appended, so replacing the windows needs no new IDs.
pub async fn insert_hours(
    tx: &mut Tx,
    t: &HoursTemplate,
    now: Timestamp,
) -> Result<(), StoreError> {
    let p = &t.pattern;
    execute!(tx, sqlx::query(
        "INSERT INTO provider_hours (id, provider_id, location_id, effective_from, effective_until, repeats, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(t.id.to_string())
    .bind(t.provider_id.to_string())
    .bind(t.location_id.to_string())
    .bind(p.effective_from.to_string())
    .bind(p.effective_until.map(|d| d.to_string()))
    .bind(p.repeats.as_str())
    .bind(now.as_micros()))?;
    insert_windows(tx, t).await
}

async fn insert_windows(tx: &mut Tx, t: &HoursTemplate) -> Result<(), StoreError> {
    for (i, w) in t.pattern.days.iter().enumerate() {
        execute!(tx, sqlx::query(
            "INSERT INTO provider_windows (id, provider_id, location_id, weekday, start_minute, end_minute, overbook, template_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        .bind(format!("{}/{i}", t.id))
        .bind(t.provider_id.to_string())
        .bind(t.location_id.to_string())
        .bind(i64::from(w.weekday.to_monday_one_offset()))
        .bind(minute_of(w.start))
        .bind(minute_of(w.end))
        .bind(i64::from(w.overbook))
        .bind(t.id.to_string()))?;
    }
    Ok(())
}

/// Replaces a template's dates, location and windows.
pub async fn replace_hours(tx: &mut Tx, t: &HoursTemplate) -> Result<(), StoreError> {
    let p = &t.pattern;
    execute!(tx, sqlx::query(
        "UPDATE provider_hours SET location_id = $1, effective_from = $2, effective_until = $3, repeats = $4 WHERE id = $5"
    )
    .bind(t.location_id.to_string())
    .bind(p.effective_from.to_string())
    .bind(p.effective_until.map(|d| d.to_string()))
    .bind(p.repeats.as_str())
    .bind(t.id.to_string()))?;
    execute!(
        tx,
        sqlx::query("DELETE FROM provider_windows WHERE template_id = $1").bind(t.id.to_string())
    )?;
    insert_windows(tx, t).await
}

pub async fn delete_hours(tx: &mut Tx, id: HoursTemplateId) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("DELETE FROM provider_windows WHERE template_id = $1").bind(id.to_string())
    )?;
    execute!(
        tx,
        sqlx::query("DELETE FROM provider_hours WHERE id = $1").bind(id.to_string())
    )?;
    Ok(())
}

type HoursRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// Templates with their windows, one row per window (a template without
/// windows comes once, with nulls), in template then weekday order.
macro_rules! hours_select {
    () => {
        "SELECT h.id, h.provider_id, h.location_id, h.effective_from, h.effective_until, h.repeats, \
         w.weekday, w.start_minute, w.end_minute, w.overbook \
         FROM provider_hours h LEFT JOIN provider_windows w ON w.template_id = h.id "
    };
}

fn templates_from(rows: Vec<HoursRow>) -> Result<Vec<HoursTemplate>, StoreError> {
    let mut out: Vec<HoursTemplate> = Vec::new();
    for (id, provider, location, from, until, repeats, day, start, end, over) in rows {
        let id: HoursTemplateId = id.parse().map_err(corrupt)?;
        if out.last().is_none_or(|t| t.id != id) {
            out.push(HoursTemplate {
                id,
                provider_id: provider.parse().map_err(corrupt)?,
                location_id: location.parse().map_err(corrupt)?,
                pattern: HoursPattern {
                    effective_from: from.parse::<Date>().map_err(corrupt)?,
                    effective_until: until
                        .map(|u| u.parse::<Date>())
                        .transpose()
                        .map_err(corrupt)?,
                    repeats: repeats.parse::<Repeats>().map_err(corrupt)?,
                    days: Vec::new(),
                },
            });
        }
        if let (Some(day), Some(start), Some(end), Some(over), Some(t)) =
            (day, start, end, over, out.last_mut())
        {
            t.pattern.days.push(Window {
                weekday: Weekday::from_monday_one_offset(i8::try_from(day).map_err(corrupt)?)
                    .map_err(corrupt)?,
                start: time_of(start)?,
                end: time_of(end)?,
                overbook: over != 0,
            });
        }
    }
    Ok(out)
}

/// Every template of a provider, in the order they took effect.
pub async fn hours_of(tx: &mut Tx, provider: ProviderId) -> Result<Vec<HoursTemplate>, StoreError> {
    let sql = concat!(
        hours_select!(),
        "WHERE h.provider_id = $1 ORDER BY h.effective_from, h.id, w.weekday, w.start_minute"
    );
    let rows: Vec<HoursRow> = on_tx!(tx, c => sqlx::query_as(sql)
        .bind(provider.to_string())
        .fetch_all(&mut **c)
        .await)?;
    templates_from(rows)
}

pub async fn find_hours(
    tx: &mut Tx,
    id: HoursTemplateId,
) -> Result<Option<HoursTemplate>, StoreError> {
    let sql = concat!(
        hours_select!(),
        "WHERE h.id = $1 ORDER BY w.weekday, w.start_minute"
    );
    let rows: Vec<HoursRow> = on_tx!(tx, c => sqlx::query_as(sql)
        .bind(id.to_string())
        .fetch_all(&mut **c)
        .await)?;
    Ok(templates_from(rows)?.into_iter().next())
}

/// What a booking of `provider` at `location` is checked against.
pub async fn working_hours(
    tx: &mut Tx,
    provider: ProviderId,
    location: LocationId,
) -> Result<WorkingHours, StoreError> {
    let sql = concat!(
        hours_select!(),
        "WHERE h.provider_id = $1 AND h.location_id = $2 ORDER BY h.effective_from, h.id, w.weekday, w.start_minute"
    );
    let rows: Vec<HoursRow> = on_tx!(tx, c => sqlx::query_as(sql)
        .bind(provider.to_string())
        .bind(location.to_string())
        .fetch_all(&mut **c)
        .await)?;
    Ok(WorkingHours::new(
        templates_from(rows)?
            .into_iter()
            .map(|t| t.pattern)
            .collect(),
    ))
}
