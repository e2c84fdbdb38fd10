//! The front desk's work: the charts registered when the practice moved to
//! Kerato, and ahead of today a month of appointments, recalls coming due
//! and a waitlist.

use jiff::Span;
use jiff::civil::{Time, Weekday};
use kerato_domain::patients::{Patient, PatientInput};

use super::DEMO_PATIENTS;
use super::history::date_error;
use super::schedule::Setup;
use crate::{App, AppError, Caller};
use kerato_domain::recalls::RecallInput;
use kerato_domain::scheduling::{BookingInput, SlotChoice};
use kerato_domain::waitlist::WaitlistInput;

const FIRST_NAMES: [&str; 20] = [
    "Ava", "Liam", "Sofía", "Noah", "Mia", "Mateo", "Chloé", "Ethan", "Zoë", "Lucas", "Amara",
    "Kenji", "Priya", "Omar", "Ingrid", "José", "Hannah", "Wei", "Fatima", "Daniel",
];
const LAST_NAMES: [&str; 15] = [
    "Smith",
    "García",
    "Nguyễn",
    "Johnson",
    "Müller",
    "O'Brien",
    "Kowalski",
    "Patel",
    "Kim",
    "Okafor",
    "Rossi",
    "Haddad",
    "Johansson",
    "Martínez",
    "Brown",
];

/// Registers synthetic patients with made-up names, birth dates and
/// phone numbers in the 555-01xx range reserved for fiction. The
/// walk-throughs (and the browser tests) use Amara Smith, the eleventh,
/// whose chart the seed leaves without clinical records.
pub(super) async fn register_patients(app: &App, desk: &Caller) -> Result<Vec<Patient>, AppError> {
    let mut patients = Vec::with_capacity(DEMO_PATIENTS);
    for i in 0..DEMO_PATIENTS {
        let first = FIRST_NAMES[i % FIRST_NAMES.len()];
        let last = LAST_NAMES[(i / FIRST_NAMES.len()) % LAST_NAMES.len()];
        let input = PatientInput {
            legal_first_name: first.into(),
            legal_last_name: last.into(),
            date_of_birth: format!(
                "{:04}-{:02}-{:02}",
                1940 + (i * 7) % 80,
                1 + i % 12,
                1 + (i * 3) % 28
            ),
            mobile_phone: Some(format!("(217) 555-01{:02}", i % 100)),
            reminder_channel: Some("sms".into()),
            ..Default::default()
        };
        let registration = kerato_domain::patients::Registration::of(&input, true)?;
        patients.push(app.register_patient(desk, &registration).await?);
    }
    Ok(patients)
}

/// About a month of appointments from tomorrow on, two a morning for each
/// provider; a recall for every fifth patient due between a month ago and
/// two months ahead; three patients hoping for something sooner.
pub(super) async fn seed(
    app: &App,
    desk: &Caller,
    setup: &Setup,
    patients: &[Patient],
) -> Result<(), AppError> {
    let later = |d: i64| {
        setup
            .today
            .checked_add(Span::new().days(d))
            .map_err(date_error)
    };
    for (i, patient) in patients.iter().enumerate().filter(|(i, _)| i % 5 == 0) {
        let kind = &setup.recall_types[i % setup.recall_types.len()];
        let due = later((i as i64 % 90) - 30)?;
        app.add_recall(
            desk,
            &RecallInput {
                patient_id: patient.id,
                recall_type_id: kind.id,
                due_date: Some(due),
            },
        )
        .await?;
    }
    let clinic = setup.locations[0];
    // The month's bookings go in together, as a busy front desk's do: on
    // SQLite they share the group commit, on PostgreSQL the pool.
    let mut bookings = tokio::task::JoinSet::new();
    let mut n = 0usize;
    for offset in 1..=30i64 {
        let day = later(offset)?;
        if matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            continue;
        }
        for (pi, p) in setup.providers.iter().enumerate() {
            for slot in 0..2i64 {
                let patient = &patients[n % patients.len()];
                n += 1;
                let kind = &setup.types[pi % setup.types.len()];
                let minutes = 8 * 60 + slot * 90;
                let req = BookingInput {
                    patient_id: patient.id,
                    slot: SlotChoice {
                        provider_id: p.id,
                        location_id: clinic,
                        appointment_type_id: kind.id,
                        date: day,
                        time: Time::midnight()
                            .checked_add(Span::new().minutes(minutes))
                            .map_err(date_error)?,
                        repeated_hour: None,
                        duration_minutes: None,
                        resource_ids: Vec::new(),
                    },
                };
                let (app, desk) = (app.clone(), desk.clone());
                bookings.spawn(async move { app.book_appointment(&desk, &req).await });
            }
        }
    }
    while let Some(booked) = bookings.join_next().await {
        booked.map_err(|e| AppError::NotReady(format!("a demo booking did not run: {e}")))??;
    }
    for (i, patient) in patients.iter().rev().take(3).enumerate() {
        app.add_to_waitlist(
            desk,
            &WaitlistInput {
                patient_id: patient.id,
                appointment_type_id: setup.types[i % setup.types.len()].id,
                provider_id: None,
                location_id: Some(clinic),
                earliest_date: later(1)?,
                latest_date: later(30)?,
                note: "Prefers mornings".into(),
            },
        )
        .await?;
    }
    Ok(())
}

/// The name a patient signs with and a request names them by.
pub(super) fn full_name(p: &Patient) -> String {
    format!("{} {}", p.fields.legal_first_name, p.fields.legal_last_name)
}
