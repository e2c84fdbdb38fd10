//! The privacy officer's desk: rights requests at different points of
//! their clocks (just in, identity verified, due soon, extended, overdue,
//! fulfilled), and a new notice of privacy practices announced to take
//! effect in 31 days (the banner shows it until then).

use kerato_domain::patients::{Patient, fold};

use super::front_desk::full_name;
use super::history::{History, date_error};
use crate::{App, AppError, Caller};
use kerato_domain::policy::{PolicyInput, PolicyKind};
use kerato_domain::rights::{Channel, Jurisdiction, RequestInput, RequestStep, RequestType};

/// A step after receipt, and the day (days ago) it was recorded.
#[derive(Debug, Clone, Copy)]
enum Step {
    Verify(i64),
    StartWork(i64),
    Extend(i64, &'static str),
    Fulfil(i64, &'static str),
}

/// Each request: the chart of its requester, its type, the day it came
/// in (days ago), what it asked, and what has been done since.
const REQUESTS: [(usize, RequestType, i64, &str, &[Step]); 5] = [
    (
        60,
        RequestType::ConfidentialCommunications,
        9,
        "Please send letters to my work address, not home.",
        &[Step::Verify(7)],
    ),
    (
        61,
        RequestType::Access,
        25,
        "A copy of my eye exams and prescriptions from the last two years.",
        &[Step::Verify(24), Step::StartWork(24)],
    ),
    (
        62,
        RequestType::Access,
        33,
        "All my records, including the optical shop's orders.",
        &[
            Step::Verify(31),
            Step::StartWork(31),
            Step::Extend(
                27,
                "the optical shop's older records are being retrieved from off-site storage",
            ),
        ],
    ),
    (
        63,
        RequestType::Deletion,
        50,
        "Please delete what you hold about me that you do not have to keep.",
        &[Step::Verify(48), Step::StartWork(47)],
    ),
    (
        64,
        RequestType::MarketingOptOut,
        20,
        "No more newsletters or text offers, please.",
        &[
            Step::Verify(19),
            Step::Fulfil(
                18,
                "Marketing e-mail and text messages turned off in the consent registry.",
            ),
        ],
    ),
];

fn request(patient: &Patient, request_type: RequestType, details: &str) -> RequestInput {
    RequestInput {
        practice: None,
        request_type,
        jurisdiction: Jurisdiction::UnitedStates,
        first_name: patient.fields.legal_first_name.clone(),
        last_name: patient.fields.legal_last_name.clone(),
        date_of_birth: patient.fields.date_of_birth,
        email: Some(format!(
            "{}@example.net",
            fold(&full_name(patient)).replace(' ', ".")
        )),
        phone: None,
        details: details.into(),
    }
}

pub(super) async fn seed(
    history: &History,
    app: &App,
    officer: &Caller,
    patients: &[Patient],
) -> Result<(), AppError> {
    let past = history.app();
    // Just in, from the form on the practice's site, last evening.
    history.at(1, 19, 40)?;
    past.receive_rights_request(
        None,
        Channel::Portal,
        &request(
            &patients[0],
            RequestType::Access,
            "Please send a copy of my skin check records.",
        ),
        false,
    )
    .await?;
    // The others came by letter or at the desk and were entered by the
    // privacy officer.
    for (chart, request_type, received, details, steps) in REQUESTS {
        let patient = &patients[chart];
        history.at(received, 10, 0)?;
        let mut received = past
            .receive_rights_request(
                Some(officer),
                Channel::Staff,
                &request(patient, request_type, details),
                false,
            )
            .await?;
        for step in steps {
            let (day, step) = match *step {
                Step::Verify(day) => (
                    day,
                    RequestStep::VerifyIdentity {
                        patient: patient.id,
                        note: "Photo ID checked at the front desk".into(),
                    },
                ),
                Step::StartWork(day) => (day, RequestStep::StartWork),
                Step::Extend(day, reason) => (
                    day,
                    RequestStep::Extend {
                        reason: reason.into(),
                    },
                ),
                Step::Fulfil(day, summary) => (
                    day,
                    RequestStep::Fulfil {
                        summary: summary.into(),
                    },
                ),
            };
            history.then(day, 11, 0)?;
            received = past
                .rights_request_step(officer, received.id, received.version, step)
                .await?
                .request;
        }
    }
    // Policies take effect at the start of a UTC day.
    let effective = app
        .now()
        .to_jiff()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .checked_add(jiff::Span::new().days(31))
        .map_err(date_error)?;
    app.publish_policy(
        officer,
        &PolicyInput {
            kind: PolicyKind::NoticeOfPrivacyPractices,
            effective_on: effective,
            material: true,
            summary:
                "Clinical photos are used for teaching or marketing only with your written consent."
                    .into(),
            body: "Riverside Skin & Eye Associates: Notice of Privacy Practices (demo text)."
                .into(),
        },
    )
    .await?;
    Ok(())
}
