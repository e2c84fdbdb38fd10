//! Demo data: a practice with a dermatology clinic, an eye clinic and an
//! optical shop at two locations, a staff member for every role, and a
//! year of its work: signed eye exams with their prescriptions and FTC
//! confirmations, lesions followed over visits with photos, biopsies at
//! every step of their loop, privacy requests at every point of their
//! clocks, and a month of bookings, recalls and a waitlist ahead.
//!
//! Everything is seeded through the use cases a practice uses, each by a
//! staff member of the role that does it there, so the demo proves the
//! product works; the past is told at the times it happened (see
//! [`history`]), counted back from the app's clock. Seeding is idempotent:
//! a data directory that already has the demo is reused as it is.

mod dermatology;
mod eye_care;
mod front_desk;
mod history;
mod photos;
mod practice;
mod privacy;
mod schedule;

use kerato_domain::identity::Role;
use kerato_domain::tenancy::Organisation;
use kerato_store::meta;

use crate::{App, AppError};
use history::History;

const SEEDED_KEY: &str = "demo_seeded";

/// The password of every demo account. Demo data only ever runs on loopback.
pub const DEMO_PASSWORD: &str = "kerato demo password";

/// The TOTP secret of the demo accounts whose role always requires MFA
/// (administrator, privacy officer): add it to an authenticator app.
pub const DEMO_TOTP_SECRET: &str = "KERATODEMOKERATODEMOKERATODEMOAA";

/// How many synthetic patients the demo registers.
pub const DEMO_PATIENTS: usize = 300;

/// How long ago the practice started with Kerato: its charts were
/// registered then, and its history runs from there to today.
const HISTORY_DAYS: i64 = 400;

/// What [`seed`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seeded {
    Created(Organisation),
    Reused(Organisation),
}

/// The demo sign-in name for a role.
pub fn demo_email(role: Role) -> String {
    format!("{}@riverside.example", role.as_str().replace('_', "-"))
}

/// Seeds the demo organisation unless this database already has one. The
/// organisation relaxes MFA for the roles that allow it, so most demo
/// accounts sign in with the password alone; the administrator and the
/// privacy officer, whose roles always require MFA, are enrolled with
/// [`DEMO_TOTP_SECRET`]. Photos need the app's attachment store; without
/// one (a PostgreSQL demo without a key) the lesions have none.
pub async fn seed(app: &App) -> Result<Seeded, AppError> {
    let mut tx = app.store().read().await?;
    let seeded = meta::get(&mut tx, SEEDED_KEY).await?;
    drop(tx);
    if seeded.is_some() {
        let mut tx = app.store().read().await?;
        let org = kerato_store::tenancy::list_organisations(&mut tx)
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound("organisation"))?;
        return Ok(Seeded::Reused(org));
    }
    if app.is_initialised().await? {
        return Err(AppError::Conflict(
            "this data directory holds data that is not a complete demo; remove it and run the demo again".into(),
        ));
    }
    // Photos are kept with the data directory's key; a demo without one
    // shows the lesions without photos.
    let photos = app
        .photo_files()
        .is_ok()
        .then(|| tokio::task::spawn_blocking(dermatology::draw_photos));
    let history = History::new(app, practice::zone()?.zone());
    history.at(HISTORY_DAYS, 8, 0)?;
    let practice = practice::seed(history.app()).await?;
    let staff = &practice.staff;
    let patients =
        front_desk::register_patients(history.app(), staff.as_role(Role::FrontDesk)?).await?;
    let setup = schedule::seed_schedule(app, staff, &practice.locations).await?;
    front_desk::seed(app, staff.as_role(Role::FrontDesk)?, &setup, &patients).await?;
    let clinic = practice.locations[0].id;
    eye_care::seed(&history, app, staff, clinic, &patients).await?;
    let photos = match photos {
        Some(drawing) => drawing
            .await
            .map_err(|e| AppError::NotReady(format!("the demo's photos were not drawn: {e}")))??,
        None => dermatology::Photos::new(),
    };
    dermatology::seed(&history, staff, clinic, &patients, &photos).await?;
    privacy::seed(
        &history,
        app,
        staff.as_role(Role::PrivacyOfficer)?,
        &patients,
    )
    .await?;
    let mut tx = app.store().write().await?;
    meta::set(&mut tx, SEEDED_KEY, &practice.org.id.to_string(), app.now()).await?;
    tx.commit().await?;
    Ok(Seeded::Created(practice.org))
}
