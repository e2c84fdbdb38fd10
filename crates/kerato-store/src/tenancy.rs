//! Organisations and locations.

use kerato_domain::ids::{LocationId, OrganisationId};
use kerato_domain::tenancy::{
    Address, Location, Organisation, specialties_from_column, specialties_to_column,
};
use kerato_domain::time::{TimeZoneName, Timestamp};

use crate::{execute, on_tx};
use kerato_db::StoreError;
use kerato_db::Tx;

type OrganisationRow = (String, String, String, i64, i64);

fn organisation_from_row(row: OrganisationRow) -> Result<Organisation, StoreError> {
    let (id, name, kind, created_at, updated_at) = row;
    Ok(Organisation {
        id: id
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
        name,
        kind: kind.parse().map_err(StoreError::Corrupt)?,
        created_at: Timestamp::from_micros(created_at),
        updated_at: Timestamp::from_micros(updated_at),
    })
}

pub async fn insert_organisation(tx: &mut Tx, org: &Organisation) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO organisations (id, name, kind, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(org.id.to_string())
        .bind(&org.name)
        .bind(org.kind.as_str())
        .bind(org.created_at.as_micros())
        .bind(org.updated_at.as_micros())
    )?;
    Ok(())
}

pub async fn list_organisations(tx: &mut Tx) -> Result<Vec<Organisation>, StoreError> {
    let rows: Vec<OrganisationRow> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, name, kind, created_at, updated_at FROM organisations ORDER BY created_at, id"
    )
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter().map(organisation_from_row).collect()
}

pub async fn get_organisation(
    tx: &mut Tx,
    id: OrganisationId,
) -> Result<Option<Organisation>, StoreError> {
    let row: Option<OrganisationRow> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, name, kind, created_at, updated_at FROM organisations WHERE id = $1"
    )
    .bind(id.to_string())
    .fetch_optional(&mut **c)
    .await)?;
    row.map(organisation_from_row).transpose()
}

/// The location columns in the order [`LocationRow`] decodes them; a macro
/// so that each query stays one static SQL text.
macro_rules! location_columns {
    () => {
        "id, organisation_id, name, time_zone, address_line1, address_line2, \
         city, state, zip, specialties, version, created_at, updated_at"
    };
}

type LocationRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
);

fn location_from_row(row: LocationRow) -> Result<Location, StoreError> {
    let (id, org, name, tz, line1, line2, city, state, zip, specialties, version, created, updated) =
        row;
    let corrupt = |e: String| StoreError::Corrupt(e);
    Ok(Location {
        id: id.parse().map_err(|e| corrupt(format!("{e}")))?,
        organisation_id: org.parse().map_err(|e| corrupt(format!("{e}")))?,
        name,
        time_zone: TimeZoneName::parse(&tz).map_err(corrupt)?,
        address: Address {
            line1,
            line2,
            city,
            state,
            zip,
        },
        specialties: specialties_from_column(&specialties).map_err(corrupt)?,
        version,
        created_at: Timestamp::from_micros(created),
        updated_at: Timestamp::from_micros(updated),
    })
}

fn name_conflict(err: sqlx::Error, name: &str) -> StoreError {
    if StoreError::is_unique_violation(&err) {
        StoreError::Conflict(format!(
            "a location named {name:?} already exists in this organisation; choose another name"
        ))
    } else {
        StoreError::Database(err)
    }
}

pub async fn insert_location(tx: &mut Tx, loc: &Location) -> Result<(), StoreError> {
    let sql = concat!(
        "INSERT INTO locations (",
        location_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    );
    execute!(
        tx,
        sqlx::query(sql)
            .bind(loc.id.to_string())
            .bind(loc.organisation_id.to_string())
            .bind(&loc.name)
            .bind(loc.time_zone.as_str())
            .bind(&loc.address.line1)
            .bind(loc.address.line2.as_deref())
            .bind(&loc.address.city)
            .bind(&loc.address.state)
            .bind(&loc.address.zip)
            .bind(specialties_to_column(&loc.specialties))
            .bind(loc.version)
            .bind(loc.created_at.as_micros())
            .bind(loc.updated_at.as_micros())
    )
    .map_err(|e| name_conflict(e, &loc.name))?;
    Ok(())
}

/// Locations of an organisation, by name.
pub async fn list_locations(
    tx: &mut Tx,
    organisation: OrganisationId,
) -> Result<Vec<Location>, StoreError> {
    let sql = concat!(
        "SELECT ",
        location_columns!(),
        " FROM locations WHERE organisation_id = $1 ORDER BY lower(name), id"
    );
    let rows: Vec<LocationRow> = on_tx!(tx, c => sqlx::query_as(sql)
        .bind(organisation.to_string())
        .fetch_all(&mut **c)
        .await)?;
    rows.into_iter().map(location_from_row).collect()
}

/// One location, only if it belongs to `organisation`: an ID from another
/// tenant reads as missing.
pub async fn get_location(
    tx: &mut Tx,
    organisation: OrganisationId,
    id: LocationId,
) -> Result<Option<Location>, StoreError> {
    let sql = concat!(
        "SELECT ",
        location_columns!(),
        " FROM locations WHERE organisation_id = $1 AND id = $2"
    );
    let row: Option<LocationRow> = on_tx!(tx, c => sqlx::query_as(sql)
        .bind(organisation.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut **c)
        .await)?;
    row.map(location_from_row).transpose()
}

/// Writes `loc` over the stored row if that row is still at
/// `loc.version - 1`. Returns false when someone else changed it first.
pub async fn update_location(tx: &mut Tx, loc: &Location) -> Result<bool, StoreError> {
    let affected = execute!(tx, sqlx::query(
        "UPDATE locations SET name = $1, time_zone = $2, address_line1 = $3, address_line2 = $4, \
         city = $5, state = $6, zip = $7, specialties = $8, version = $9, updated_at = $10 \
         WHERE organisation_id = $11 AND id = $12 AND version = $13"
    )
    .bind(&loc.name)
    .bind(loc.time_zone.as_str())
    .bind(&loc.address.line1)
    .bind(loc.address.line2.as_deref())
    .bind(&loc.address.city)
    .bind(&loc.address.state)
    .bind(&loc.address.zip)
    .bind(specialties_to_column(&loc.specialties))
    .bind(loc.version)
    .bind(loc.updated_at.as_micros())
    .bind(loc.organisation_id.to_string())
    .bind(loc.id.to_string())
    .bind(loc.version - 1))
    .map_err(|e| name_conflict(e, &loc.name))?;
    Ok(affected == 1)
}

pub async fn count_locations(tx: &mut Tx) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as("SELECT count(*) FROM locations")
        .fetch_one(&mut **c)
        .await)?;
    Ok(n)
}

pub async fn update_organisation(tx: &mut Tx, org: &Organisation) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE organisations SET name = $1, kind = $2, updated_at = $3 WHERE id = $4")
            .bind(&org.name)
            .bind(org.kind.as_str())
            .bind(org.updated_at.as_micros())
            .bind(org.id.to_string())
    )?;
    Ok(())
}

/// A location by ID whatever its organisation, so the caller can tell a
/// cross-tenant attempt (and audit it) from a missing row.
pub async fn find_location(tx: &mut Tx, id: LocationId) -> Result<Option<Location>, StoreError> {
    let sql = concat!(
        "SELECT ",
        location_columns!(),
        " FROM locations WHERE id = $1"
    );
    let row: Option<LocationRow> = on_tx!(tx, c => sqlx::query_as(sql)
        .bind(id.to_string())
        .fetch_optional(&mut **c)
        .await)?;
    row.map(location_from_row).transpose()
}
