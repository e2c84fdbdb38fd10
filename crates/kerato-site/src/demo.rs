//! Demo content for `kerato demo`: vendor staff for each role, a customer
//! practice with its users, and demo requests at different stages. Seeding
//! is idempotent: a site that already has staff is left as it is.

use kerato_core::totp::TotpSecret;

use crate::Site;
use crate::accounts::{self, Role, SignupInput};
use crate::demo_requests::{self, DemoInput, Stage};
use crate::web::SiteError;

/// The password of every demo user (the clinic's demo uses the same).
pub const DEMO_PASSWORD: &str = "kerato demo password";
/// The authenticator key of every demo staff member (base32).
pub const DEMO_TOTP_SECRET: &str = "KERATODEMOKERATODEMOKERATODEMOAA";

/// The demo staff: e-mail and role.
pub const DEMO_STAFF: &[(&str, Role)] = &[
    ("admin@kerato.example", Role::VendorAdmin),
    ("support@kerato.example", Role::VendorSupport),
    ("sales@kerato.example", Role::VendorSales),
];

/// The demo practice's owner, who signs in without a second factor.
pub const DEMO_CUSTOMER: &str = "owner@riverside.example";

/// What seeding did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seeded {
    Created,
    Reused,
}

pub async fn seed(site: &Site) -> Result<Seeded, SiteError> {
    let mut tx = site.store.read().await?;
    let existing = accounts::user_by_email(&mut tx, DEMO_STAFF[0].0).await?;
    drop(tx);
    if existing.is_some() {
        return Ok(Seeded::Reused);
    }
    let secret = TotpSecret::from_base32(DEMO_TOTP_SECRET).map_err(SiteError::Internal)?;
    for (email, role) in DEMO_STAFF {
        accounts::create_staff(site, email, role.label(), *role, DEMO_PASSWORD, &secret).await?;
    }
    let owner_id = accounts::sign_up(
        site,
        &SignupInput {
            practice_name: "Riverside Skin & Eye Associates".into(),
            specialty: "several".into(),
            name: "Rosa Rivera".into(),
            email: DEMO_CUSTOMER.into(),
            password: DEMO_PASSWORD.into(),
            confirm: DEMO_PASSWORD.into(),
        },
    )
    .await?;
    let mut tx = site.store.read().await?;
    let owner = accounts::user_by_id(&mut tx, &owner_id)
        .await?
        .ok_or_else(|| SiteError::Internal("the demo owner vanished".into()))?;
    drop(tx);
    accounts::invite(
        site,
        &owner,
        "dr.okafor@riverside.example",
        "Dr Ngozi Okafor",
        "physician",
    )
    .await?;
    accounts::invite(
        site,
        &owner,
        "billing@riverside.example",
        "Sam Patel",
        "billing",
    )
    .await?;
    let requests = [
        (
            "Lena Fischer",
            "lena@northside-derm.example",
            "Northside Dermatology",
            "dermatology",
            Stage::New,
        ),
        (
            "Omar Haddad",
            "omar@clearview-optical.example",
            "Clearview Optical",
            "optical",
            Stage::Contacted,
        ),
        (
            "June Park",
            "june@parkeye.example",
            "Park Family Eye Care",
            "eye_care",
            Stage::DemoHeld,
        ),
    ];
    for (name, email, practice, specialty, stage) in requests {
        let valid = DemoInput {
            name: name.into(),
            email: email.into(),
            phone: "518-555-0142".into(),
            practice_name: practice.into(),
            specialty: specialty.into(),
            message: "We would like to see scheduling and billing.".into(),
        }
        .validate()
        .map_err(SiteError::Validation)?;
        let id = demo_requests::receive(site, &valid).await?;
        let path: &[Stage] = match stage {
            Stage::Contacted => &[Stage::Contacted],
            Stage::DemoHeld => &[Stage::Contacted, Stage::DemoHeld],
            _ => &[],
        };
        for step in path {
            demo_requests::move_to(site, "system:demo", &id, *step).await?;
        }
    }
    Ok(Seeded::Created)
}
