//! Demo data: a practice with a dermatology clinic, an eye clinic and an
//! optical shop at two locations. Seeding is idempotent: a data directory
//! that already has the demo is reused as it is.

use kerato_domain::tenancy::{LocationInput, Organisation, OrganisationKind};
use kerato_store::meta;

use crate::{App, AppError};

const SEEDED_KEY: &str = "demo_seeded";

/// What [`seed`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seeded {
    Created(Organisation),
    Reused(Organisation),
}

fn demo_locations() -> [LocationInput; 2] {
    [
        LocationInput {
            name: "Riverside Skin & Eye — Main Street".into(),
            time_zone: "America/Chicago".into(),
            address_line1: "1200 Main Street".into(),
            address_line2: Some("Suite 300".into()),
            city: "Springfield".into(),
            state: "IL".into(),
            zip: "62701".into(),
            specialties: vec!["dermatology".into(), "eye_care".into()],
        },
        LocationInput {
            name: "Riverside Optical — Westfield Mall".into(),
            time_zone: "America/Chicago".into(),
            address_line1: "45 Westfield Mall Drive".into(),
            address_line2: None,
            city: "Springfield".into(),
            state: "IL".into(),
            zip: "62704-1188".into(),
            specialties: vec!["eye_care".into(), "optical_shop".into()],
        },
    ]
}

/// Seeds the demo organisation unless this database already has one. The
/// whole seed is one transaction, so an interrupted seed leaves nothing and
/// the next run starts it again.
pub async fn seed(app: &App) -> Result<Seeded, AppError> {
    let mut tx = app.store().write().await?;
    if meta::get(&mut tx, SEEDED_KEY).await?.is_some() {
        drop(tx);
        return Ok(Seeded::Reused(app.home_organisation().await?));
    }
    let org = app
        .create_organisation_in(
            &mut tx,
            "Riverside Skin & Eye Associates",
            OrganisationKind::Practice,
        )
        .await?;
    for input in demo_locations() {
        app.create_location_in(&mut tx, org.id, &input).await?;
    }
    meta::set(&mut tx, SEEDED_KEY, &org.id.to_string(), app.now()).await?;
    tx.commit().await?;
    Ok(Seeded::Created(org))
}
