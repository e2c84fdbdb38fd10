//! The practice and its people: the organisation and its two locations,
//! and a staff member for every role, invited by the administrator, each
//! accepting the invitation with the demo password; the prescribers
//! record their licence and NPI as the prescriber settings page does.

use kerato_domain::eye::prescription::{PrescriberCredentialsInput, PrescriberCredentialsRaw};
use kerato_domain::identity::Role;
use kerato_domain::input::ParseInput;
use kerato_domain::tenancy::{Location, LocationInput, Organisation, OrganisationKind};
use kerato_domain::time::TimeZoneName;
use kerato_store::identity as store;

use super::{DEMO_PASSWORD, DEMO_TOTP_SECRET, demo_email};
use crate::identity::UserInput;
use crate::{App, AppError, Caller};

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

/// The main clinic's time zone, which the demo's days are counted in.
pub(super) fn zone() -> Result<TimeZoneName, AppError> {
    let [main, _] = demo_locations();
    TimeZoneName::parse(&main.time_zone).map_err(AppError::NotReady)
}

/// The name each role's demo account goes by; the prescribers' names
/// are printed on their prescriptions.
fn staff_name(role: Role) -> String {
    match role {
        Role::Admin => "Avery Admin",
        Role::Physician => "Dr. Amara Okafor",
        Role::Optometrist => "Dr. Priya Patel, OD",
        Role::Technician => "Sam Rivera",
        Role::Optician => "Noor Haddad",
        Role::FrontDesk => "Jamie Lee",
        Role::Billing => "Chris Morgan",
        Role::PrivacyOfficer => "Morgan Blake",
        Role::Auditor => "Taylor Quinn",
    }
    .into()
}

/// A made-up Illinois licence and a check-digit-valid NPI for each role
/// that prescribes.
fn credentials(role: Role) -> Option<(&'static str, &'static str)> {
    match role {
        Role::Optometrist => Some(("IL 042-000123", "1234567893")),
        Role::Physician => Some(("IL 036-000456", "1245319599")),
        _ => None,
    }
}

/// The demo's staff, each as the use cases see them.
#[derive(Debug)]
pub(super) struct Staff(Vec<(Role, Caller)>);

impl Staff {
    pub fn as_role(&self, role: Role) -> Result<&Caller, AppError> {
        self.0
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, c)| c)
            .ok_or(AppError::NotFound("demo user"))
    }
}

#[derive(Debug)]
pub(super) struct Practice {
    pub org: Organisation,
    pub locations: Vec<Location>,
    pub staff: Staff,
}

/// Creates the organisation, its locations and its staff.
pub(super) async fn seed(app: &App) -> Result<Practice, AppError> {
    // Not `bootstrap`, which would make the administrator choose a new
    // password at the first sign-in: the demo's accounts keep the published
    // demo password so anyone evaluating it can sign in as any role.
    let (org, admin) = app
        .unsafe_add_tenant(
            "Riverside Skin & Eye Associates",
            OrganisationKind::Practice,
            &demo_email(Role::Admin),
            &staff_name(Role::Admin),
            DEMO_PASSWORD,
        )
        .await?;
    let caller = app.unsafe_caller_for(admin.id).await?;
    app.set_security_settings(&caller, false, 15).await?;
    let mut locations = Vec::new();
    for input in demo_locations() {
        locations.push(app.create_location(&caller, &input.validate()?).await?);
    }
    let mut staff = vec![(Role::Admin, caller.clone())];
    let mut always_mfa = vec![admin.id];
    for role in Role::ALL.iter().copied().filter(|r| *r != Role::Admin) {
        let (user, token) = app
            .invite_user(
                &caller,
                &UserInput {
                    email: demo_email(role),
                    display_name: staff_name(role),
                    role: role.as_str().into(),
                    locations: vec![],
                    all_locations: true,
                },
            )
            .await?;
        app.accept_invitation(&token, DEMO_PASSWORD).await?;
        let member = app.unsafe_caller_for(user.id).await?;
        if let Some((license, npi)) = credentials(role) {
            let credentials = PrescriberCredentialsInput::parse(PrescriberCredentialsRaw {
                license: license.into(),
                npi: npi.into(),
            })?;
            app.set_prescriber_credentials(&member, &credentials)
                .await?;
        }
        if role.mfa_always_required() {
            always_mfa.push(user.id);
        }
        staff.push((role, member));
    }
    // Enrolment makes a random secret and needs a code from it; the demo
    // wants a secret it can print, so it is written as enrolment would.
    let mut tx = app.store().write().await?;
    for user in always_mfa {
        store::set_mfa_secret(&mut tx, user, Some(DEMO_TOTP_SECRET), app.now()).await?;
    }
    tx.commit().await?;
    Ok(Practice {
        org,
        locations,
        staff: Staff(staff),
    })
}
