//! The waitlist: patients who want an earlier appointment, and the offer
//! made to one of them when a slot frees.

use kerato_domain::ids::{AppointmentId, OrganisationId, WaitlistEntryId};
use kerato_domain::time::Timestamp;
use kerato_domain::waitlist::{Offer, WaitlistEntry, WaitlistStatus};

use crate::{execute, on_tx};
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

pub async fn insert(tx: &mut Tx, w: &WaitlistEntry, now: Timestamp) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO waitlist (id, organisation_id, patient_id, appointment_type_id, provider_id, location_id, \
         earliest_date, latest_date, note, status, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)"
    )
    .bind(w.id.to_string())
    .bind(w.organisation_id.to_string())
    .bind(w.patient_id.to_string())
    .bind(w.appointment_type_id.to_string())
    .bind(w.provider_id.map(|p| p.to_string()))
    .bind(w.location_id.map(|l| l.to_string()))
    .bind(w.earliest_date.to_string())
    .bind(w.latest_date.to_string())
    .bind(&w.note)
    .bind(w.status.as_str())
    .bind(w.version)
    .bind(now.as_micros()))?;
    Ok(())
}

type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<String>,
    i64,
);

macro_rules! columns {
    () => {
        "id, organisation_id, patient_id, appointment_type_id, provider_id, location_id, earliest_date, latest_date, \
         note, status, offer_provider_id, offer_location_id, offer_starts_at, offer_expires_at, appointment_id, version"
    };
}

fn from_row(r: Row) -> Result<WaitlistEntry, StoreError> {
    let (id, org, patient, kind, provider, location, earliest, latest, note, status) =
        (r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9);
    let offer = match (r.10, r.11, r.12, r.13) {
        (Some(p), Some(l), Some(s), Some(e)) => Some(Offer {
            provider_id: p.parse().map_err(corrupt)?,
            location_id: l.parse().map_err(corrupt)?,
            starts_at: Timestamp::from_micros(s),
            expires_at: Timestamp::from_micros(e),
        }),
        _ => None,
    };
    Ok(WaitlistEntry {
        id: id.parse().map_err(corrupt)?,
        organisation_id: org.parse().map_err(corrupt)?,
        patient_id: patient.parse().map_err(corrupt)?,
        appointment_type_id: kind.parse().map_err(corrupt)?,
        provider_id: provider.map(|p| p.parse()).transpose().map_err(corrupt)?,
        location_id: location.map(|l| l.parse()).transpose().map_err(corrupt)?,
        earliest_date: earliest.parse().map_err(corrupt)?,
        latest_date: latest.parse().map_err(corrupt)?,
        note,
        status: status.parse().map_err(corrupt)?,
        offer,
        appointment_id: r.14.map(|a| a.parse()).transpose().map_err(corrupt)?,
        version: r.15,
    })
}

pub async fn find(tx: &mut Tx, id: WaitlistEntryId) -> Result<Option<WaitlistEntry>, StoreError> {
    let sql = concat!("SELECT ", columns!(), " FROM waitlist WHERE id = $1");
    let row: Option<Row> =
        on_tx!(tx, c => sqlx::query_as(sql).bind(id.to_string()).fetch_optional(&mut **c).await)?;
    row.map(from_row).transpose()
}

/// Entries still waiting or offered, oldest first: the order in which
/// freed slots are offered.
pub async fn open_entries(
    tx: &mut Tx,
    org: OrganisationId,
) -> Result<Vec<WaitlistEntry>, StoreError> {
    let sql = concat!(
        "SELECT ",
        columns!(),
        " FROM waitlist WHERE organisation_id = $1 AND status IN ('waiting', 'offered') ORDER BY created_at, id"
    );
    let rows: Vec<Row> =
        on_tx!(tx, c => sqlx::query_as(sql).bind(org.to_string()).fetch_all(&mut **c).await)?;
    rows.into_iter().map(from_row).collect()
}

/// Records an offer if the entry is still at `version`.
pub async fn set_offer(
    tx: &mut Tx,
    w: &WaitlistEntry,
    offer: &Offer,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "UPDATE waitlist SET status = 'offered', offer_provider_id = $1, offer_location_id = $2, offer_starts_at = $3, \
         offer_expires_at = $4, version = version + 1, updated_at = $5 WHERE id = $6 AND version = $7"
    )
    .bind(offer.provider_id.to_string())
    .bind(offer.location_id.to_string())
    .bind(offer.starts_at.as_micros())
    .bind(offer.expires_at.as_micros())
    .bind(now.as_micros())
    .bind(w.id.to_string())
    .bind(w.version))?;
    Ok(n == 1)
}

/// Ends an entry (`booked` with its appointment, or `removed`) if it is
/// still at `version`.
pub async fn close(
    tx: &mut Tx,
    w: &WaitlistEntry,
    status: WaitlistStatus,
    appointment: Option<AppointmentId>,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "UPDATE waitlist SET status = $1, appointment_id = $2, version = version + 1, updated_at = $3 \
         WHERE id = $4 AND version = $5"
    )
    .bind(status.as_str())
    .bind(appointment.map(|a| a.to_string()))
    .bind(now.as_micros())
    .bind(w.id.to_string())
    .bind(w.version))?;
    Ok(n == 1)
}
