//! Rooms, lanes and devices, and the times appointments hold them.

use kerato_domain::ids::{AppointmentId, LocationId, OrganisationId, ResourceId};
use kerato_domain::scheduling::{Appointment, BookableResource, ResourceKind};
use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

use super::LONGEST_MICROS;

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
