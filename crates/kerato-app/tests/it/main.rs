//! Use-case tests, on the backend the run selects.

// A failed unwrap in a test helper is a test failure with its location; that is the point.
#![allow(clippy::unwrap_used)]

mod biopsies;
mod eye;
mod front_desk;
mod identity;
mod import;
mod lesions;
mod patient_data;
mod patients;
mod photos;
mod procedures;
mod reminders;
mod retention;
mod rights;
mod scheduling;
mod telemetry;
mod tenancy;

use std::sync::Arc;

use kerato_app::identity::UserInput;
use kerato_app::{App, Caller};
use kerato_domain::identity::{Role, User};
use kerato_domain::tenancy::{LocationInput, OrganisationKind};
use kerato_domain::time::{TestClock, Timestamp};
use kerato_store::testing::TestDb;

pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Debug)]
pub struct World {
    pub app: App,
    pub clock: Arc<TestClock>,
    pub admin: Caller,
    pub admin_user: User,
    _db: TestDb,
}

pub async fn world() -> World {
    let db = TestDb::new().await;
    let clock = Arc::new(TestClock::new(Timestamp::from_micros(
        1_780_000_000_000_000,
    )));
    let app = App::new(db.store.clone(), clock.clone());
    let (_, admin_user) = app
        .bootstrap(
            "Capital Derm",
            OrganisationKind::Practice,
            "owner@capital.example",
            "Olive Owner",
            PASSWORD,
        )
        .await
        .unwrap();
    let admin = app.unsafe_caller_for(admin_user.id).await.unwrap();
    World {
        app,
        clock,
        admin,
        admin_user,
        _db: db,
    }
}

/// A world whose app stores photos, as `kerato serve` does, in a
/// temporary folder that lives as long as the returned guard.
pub async fn world_with_photos() -> (World, tempfile::TempDir) {
    let w = world().await;
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(w.app.store().clone(), w.clock.clone()).with_attachments(
        kerato_store::attachments::AttachmentStore::new(
            dir.path(),
            &kerato_store::DbKey::from_bytes(rand::random()),
        )
        .unwrap(),
    );
    (World { app, ..w }, dir)
}

pub fn location_input(name: &str) -> LocationInput {
    LocationInput {
        name: name.into(),
        time_zone: "America/New_York".into(),
        address_line1: "9 Elm St".into(),
        address_line2: None,
        city: "Albany".into(),
        state: "NY".into(),
        zip: "12207".into(),
        specialties: vec!["dermatology".into()],
    }
}

impl World {
    /// A patient registered by the administrator.
    pub async fn patient(
        &self,
        first: &str,
        last: &str,
        born: &str,
    ) -> kerato_domain::ids::PatientId {
        self.app
            .register_patient(
                &self.admin,
                &kerato_domain::patients::PatientInput {
                    legal_first_name: first.into(),
                    legal_last_name: last.into(),
                    date_of_birth: born.into(),
                    ..Default::default()
                },
                false,
            )
            .await
            .unwrap()
            .id
    }

    /// A user with a password, as if the invitation had been accepted.
    pub async fn user(&self, email: &str, role: Role, locations: &[String]) -> User {
        let (user, token) = self
            .app
            .invite_user(
                &self.admin,
                &UserInput {
                    email: email.into(),
                    display_name: format!("Test {}", role.label()),
                    role: role.as_str().into(),
                    locations: locations.to_vec(),
                    all_locations: locations.is_empty(),
                },
            )
            .await
            .unwrap();
        self.app.accept_invitation(&token, PASSWORD).await.unwrap();
        user
    }
}
