//! Use-case tests, on the backend the run selects.

// A failed unwrap in a test helper is a test failure with its location; that is the point.
#![allow(clippy::unwrap_used)]

mod biopsies;
mod demo;
mod eye;
mod front_desk;
mod identity;
mod import;
mod lesions;
mod patient_data;
mod patients;
mod photos;
mod procedures;
mod providers;
mod recovery;
mod reminders;
mod retention;
mod rights;
mod scheduling;
mod setup;
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
                &kerato_domain::patients::Registration::of(
                    &kerato_domain::patients::PatientInput {
                        legal_first_name: first.into(),
                        legal_last_name: last.into(),
                        date_of_birth: born.into(),
                        ..Default::default()
                    },
                    false,
                )
                .unwrap(),
            )
            .await
            .unwrap()
            .id
    }

    /// Deactivates a user, keeping their name, role and locations.
    pub async fn deactivate(&self, id: kerato_domain::ids::UserId) {
        let u = self.app.get_user(&self.admin, id).await.unwrap();
        let (all_locations, locations) = match &u.locations {
            kerato_domain::identity::LocationScope::All => (true, vec![]),
            kerato_domain::identity::LocationScope::Only(s) => {
                (false, s.iter().map(ToString::to_string).collect())
            }
        };
        let same = UserInput {
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            role: u.role.as_str().into(),
            locations,
            all_locations,
        };
        self.app
            .update_user(&self.admin, id, u.version, &same, false)
            .await
            .unwrap();
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

/// A provider who works `start` to `end` (`HH:MM`) on every day of the week
/// at `location`, every week since 2000: set up as an administrator would,
/// through the use cases.
pub async fn provider_all_week(
    w: &World,
    name: &str,
    location: kerato_domain::ids::LocationId,
    specialty: Option<kerato_domain::tenancy::Specialty>,
    start: &str,
    end: &str,
) -> kerato_domain::providers::Provider {
    use kerato_domain::providers::ProviderInput;
    use kerato_domain::providers::hours::{DayHoursInput, HoursInput};
    let p = w
        .app
        .create_provider(
            &w.admin,
            &ProviderInput {
                specialties: specialty
                    .map(|s| s.as_str().to_string())
                    .into_iter()
                    .collect(),
                ..ProviderInput::new(name, &[location])
            },
        )
        .await
        .unwrap();
    let days = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
    .map(|weekday| DayHoursInput {
        weekday: weekday.into(),
        start: start.into(),
        end: end.into(),
        overbook: false,
    })
    .to_vec();
    w.app
        .add_hours(
            &w.admin,
            p.id,
            &HoursInput {
                location_id: location.to_string(),
                effective_from: "2000-01-03".into(),
                effective_until: None,
                repeats: None,
                days,
            },
        )
        .await
        .unwrap();
    p
}
