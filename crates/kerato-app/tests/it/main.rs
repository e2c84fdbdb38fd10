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
            }
            .validate()
            .unwrap(),
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
            &kerato_domain::input::ParseInput::parse(HoursInput {
                location_id: location.to_string(),
                effective_from: "2000-01-03".into(),
                effective_until: None,
                repeats: None,
                days,
            })
            .unwrap(),
        )
        .await
        .unwrap();
    p
}

/// A biopsy step taken on the version the user saw.
pub fn biopsy_step(
    version: i64,
    step: kerato_domain::biopsies::BiopsyStep,
) -> kerato_domain::biopsies::BiopsyUpdate {
    kerato_domain::biopsies::BiopsyUpdate { version, step }
}

/// A lesion as the body map's form would send it, parsed; the parts must
/// be valid.
pub fn new_lesion(
    site: &kerato_domain::lesions::SiteInput,
    label: &str,
    first: &kerato_domain::lesions::ObservationInput,
) -> kerato_domain::lesions::NewLesion {
    use kerato_domain::input::ParseInput;
    kerato_domain::lesions::NewLesion::parse(kerato_domain::lesions::NewLesionInput {
        site: site.clone(),
        label: label.into(),
        first: first.clone(),
    })
    .expect("a valid lesion")
}

/// Books `req` as a script's `POST /api/appointments` does: the request is
/// parsed into a booking first, and a refusal of either step comes back.
pub(crate) async fn book(
    app: &App,
    caller: &Caller,
    req: &kerato_domain::scheduling::BookingRequest,
) -> Result<kerato_domain::scheduling::Appointment, kerato_app::AppError> {
    use kerato_domain::input::ParseInput;
    let input = kerato_domain::scheduling::BookingInput::parse(req.clone())?;
    app.book_appointment(caller, &input).await
}

/// Books `req` every `weekdays` for `weeks` weeks, parsed as the booking
/// form parses a series.
pub(crate) async fn book_series(
    app: &App,
    caller: &Caller,
    req: &kerato_domain::scheduling::BookingRequest,
    weekdays: &str,
    weeks: i64,
) -> Result<Vec<kerato_domain::scheduling::Appointment>, kerato_app::AppError> {
    use kerato_domain::input::ParseInput;
    let input = kerato_domain::scheduling::BookingInput::parse(req.clone())?;
    let series = kerato_domain::scheduling::Recurrence::parse(weekdays, weeks)
        .map_err(|m| kerato_domain::ValidationErrors::single("weekdays", m))?;
    app.book_series(caller, &input, &series).await
}

/// Moves an appointment to `date` at `time`, parsed as the form parses it.
pub(crate) async fn reschedule(
    app: &App,
    caller: &Caller,
    id: kerato_domain::ids::AppointmentId,
    date: &str,
    time: &str,
    repeated_hour: Option<&str>,
) -> Result<kerato_domain::scheduling::Appointment, kerato_app::AppError> {
    use kerato_domain::input::ParseInput;
    let to = kerato_domain::scheduling::RescheduleInput::parse(
        kerato_domain::scheduling::booking::RescheduleRequest {
            date: date.into(),
            time: time.into(),
            repeated_hour: repeated_hour.map(String::from),
        },
    )?;
    app.reschedule_appointment(caller, id, &to).await
}

/// Puts a patient on the waitlist as the form does: parsed first.
pub(crate) async fn add_to_waitlist(
    app: &App,
    caller: &Caller,
    req: &kerato_domain::waitlist::WaitlistRequest,
) -> Result<kerato_domain::waitlist::WaitlistEntry, kerato_app::AppError> {
    use kerato_domain::input::ParseInput;
    let input = kerato_domain::waitlist::WaitlistInput::parse(req.clone())?;
    app.add_to_waitlist(caller, &input).await
}
