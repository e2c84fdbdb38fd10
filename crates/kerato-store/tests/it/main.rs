//! Store tests. `conformance` runs on the backend the run selects (SQLite by
//! default, PostgreSQL with KERATO_TEST_PG_URL); `encryption` is about the
//! SQLCipher file itself and always runs on SQLite.

// A failed unwrap in a test helper is a test failure with its location; that is the point.
#![allow(clippy::unwrap_used)]

mod audit;
mod conformance;
mod encryption;
mod migrations;
mod patient_data;

use kerato_domain::ids::{LocationId, OrganisationId};
use kerato_domain::tenancy::{Location, LocationInput, Organisation, OrganisationKind};
use kerato_domain::time::Timestamp;

pub fn now() -> Timestamp {
    Timestamp::from_micros(1_780_000_000_000_000)
}

pub fn rnd() -> [u8; 10] {
    rand::random()
}

pub fn organisation(name: &str) -> Organisation {
    Organisation {
        id: OrganisationId::new(now(), rnd()),
        name: name.into(),
        kind: OrganisationKind::Practice,
        created_at: now(),
        updated_at: now(),
    }
}

pub fn location(org: &Organisation, name: &str) -> Location {
    let fields = LocationInput {
        name: name.into(),
        time_zone: "America/Denver".into(),
        address_line1: "1 Canyon Rd".into(),
        address_line2: Some("Suite 2".into()),
        city: "Boulder".into(),
        state: "CO".into(),
        zip: "80301-1234".into(),
        specialties: vec!["optical_shop".into(), "eye_care".into()],
    }
    .validate()
    .expect("valid location");
    Location::create(LocationId::new(now(), rnd()), org.id, fields, now())
}
