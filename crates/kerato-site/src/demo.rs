//! Demo content for `kerato demo`: vendor staff for each role, a customer
//! practice with its users, a subscription with its first invoice, support
//! tickets (one whose pasted patient data was redacted), demo requests at
//! different stages, newsletter readers with a sent campaign, and requests
//! in the privacy center. Seeding is idempotent: a site that already has
//! staff is left as it is.

use kerato_core::consent::Source;
use kerato_core::totp::TotpSecret;

use crate::Site;
use crate::accounts::rules::{Role, SignupInput};
use crate::billing::rules::SubscriptionInput;
use crate::demo_requests::rules::{DemoInput, Stage};
use crate::marketing::rules::CampaignInput;
use crate::policies::rules::FIRST_STATEMENT;
use crate::rights::rules::RightsInput;
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

/// The passage of the first statement the demo's second version changes,
/// and what it says instead.
const PROVIDERS: &str = "our card processor, for payments; the service that delivers our e-mail; and the company that hosts our servers.";
const PROVIDERS_NAMED: &str = "our card processor, which receives the amount and, from your browser, the card; the service that delivers our e-mail, which receives the address and the message; and the company that hosts our servers, which stores our database, encrypted.";

/// What seeding did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seeded {
    Created,
    Reused,
}

pub async fn seed(site: &Site) -> Result<Seeded, SiteError> {
    let mut tx = site.store.read().await?;
    let existing = crate::accounts::store::user_by_email(&mut tx, DEMO_STAFF[0].0).await?;
    drop(tx);
    if existing.is_some() {
        return Ok(Seeded::Reused);
    }
    let secret = TotpSecret::from_base32(DEMO_TOTP_SECRET).map_err(SiteError::Internal)?;
    for (email, role) in DEMO_STAFF {
        crate::accounts::signup::create_staff(
            site,
            email,
            role.label(),
            *role,
            DEMO_PASSWORD,
            &secret,
        )
        .await?;
    }
    let owner_id = crate::accounts::signup::sign_up(
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
    let owner = crate::accounts::store::user_by_id(&mut tx, &owner_id)
        .await?
        .ok_or_else(|| SiteError::Internal("the demo owner vanished".into()))?;
    drop(tx);
    crate::accounts::invitations::invite(
        site,
        &owner,
        "dr.okafor@riverside.example",
        "Dr Ngozi Okafor",
        "physician",
    )
    .await?;
    crate::accounts::invitations::invite(
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
        let id = crate::demo_requests::requests::receive(site, &valid).await?;
        let path: &[Stage] = match stage {
            Stage::Contacted => &[Stage::Contacted],
            Stage::DemoHeld => &[Stage::Contacted, Stage::DemoHeld],
            _ => &[],
        };
        for step in path {
            crate::demo_requests::requests::move_to(site, "system:demo", &id, *step).await?;
        }
    }
    crate::billing::subscriptions::subscribe(
        site,
        &owner,
        &SubscriptionInput {
            plan: "practice".into(),
            locations: "2".into(),
            seats: "15".into(),
        },
    )
    .await?;
    let today = crate::retention::rules::utc_date(site.now());
    crate::billing::invoices::issue_invoices(site, crate::billing::rules::month_of(today)).await?;
    crate::tickets::threads::open(
        site,
        &owner,
        "Label printer stops after 20 labels",
        "Since the update the label printer at the front desk stops after about 20 labels. \
         Restarting the printer helps for a while.",
    )
    .await?;
    // Pasted by mistake, as happens: the guard stores it redacted.
    crate::tickets::threads::open(
        site,
        &owner,
        "Claim rejected",
        "The claim for Maria Lopez, DOB 03/14/1961, SSN 123-45-6789 was rejected. What do we do?",
    )
    .await?;
    for (name, email) in [
        ("Lena Fischer", "lena@northside-derm.example"),
        ("June Park", "june@parkeye.example"),
    ] {
        let signup = crate::marketing::rules::SignupInput {
            name: name.into(),
            email: email.into(),
            practice: String::new(),
            consent: "yes".into(),
        }
        .validate()
        .map_err(SiteError::Validation)?;
        crate::marketing::newsletter::subscribe(site, "system:demo", &signup, Source::Form).await?;
    }
    let campaign = crate::marketing::campaigns::create_campaign(
        site,
        "system:demo",
        &CampaignInput {
            kind: "software_update".into(),
            subject: "Kerato 0.1: body maps and the biopsy log".into(),
            body:
                "This release brings body maps with lesion history and the closed-loop biopsy log."
                    .into(),
        },
    )
    .await?;
    crate::marketing::campaigns::send_campaign(site, "system:demo", &campaign).await?;
    for (name, email, kind) in [
        ("Lena Fischer", "lena@northside-derm.example", "access"),
        ("Omar Haddad", "omar@clearview-optical.example", "deletion"),
    ] {
        let valid = RightsInput {
            name: name.into(),
            email: email.into(),
            kind: kind.into(),
            details: String::new(),
        }
        .validate()
        .map_err(SiteError::Validation)?;
        crate::rights::requests::receive(site, valid).await?;
    }
    // An announced change, so the demo shows the 30-day notice banner: the
    // second version says what each service provider receives.
    let body = FIRST_STATEMENT.replace(PROVIDERS, PROVIDERS_NAMED);
    if body == FIRST_STATEMENT {
        return Err(SiteError::Internal(
            "the demo's change to the statement no longer applies to its text".into(),
        ));
    }
    crate::policies::publishing::publish(
        site,
        "system:demo",
        crate::policies::publishing::NewVersion {
            kind: kerato_core::policy::PolicyKind::PrivacyStatement,
            title: "Privacy Statement",
            body: &body,
            summary: "We now say what each of our service providers receives.",
            material: true,
            effective_at: site.now().plus_micros(31 * 86_400_000_000),
        },
    )
    .await?;
    Ok(Seeded::Created)
}
