//! The practice's scheduling set-up, made by the administrator: providers
//! and their working hours, rooms and devices, visit types, closures and
//! recall types.

use kerato_domain::tenancy::Location;

use crate::{App, AppError, Caller};
use kerato_domain::providers::Provider;
use kerato_domain::recalls::RecallType;
use kerato_domain::scheduling::AppointmentType;

/// What the front desk books with.
#[derive(Debug)]
pub(super) struct Setup {
    pub locations: Vec<kerato_domain::ids::LocationId>,
    pub providers: [Provider; 3],
    /// The visit types booked over the coming month, one per provider.
    pub types: [AppointmentType; 3],
    pub recall_types: Vec<RecallType>,
    /// The main clinic's date today.
    pub today: jiff::civil::Date,
}

/// Three providers with weekday hours at both locations, rooms and
/// devices, five visit types, a weekly meeting, a closed day after the
/// booked month, and the standard recall types.
pub(super) async fn seed_schedule(
    app: &App,
    staff: &super::practice::Staff,
    locations: &[Location],
) -> Result<Setup, AppError> {
    let caller = staff.as_role(kerato_domain::identity::Role::Admin)?;
    // The dermatologist and the optometrist sign in as themselves; the
    // ophthalmologist is a visiting provider without a login.
    let login = |role| {
        staff
            .as_role(role)
            .map(|c| Some(c.actor.user_id.to_string()))
    };
    use jiff::civil::{Time, Weekday};
    use kerato_domain::input::ParseInput;
    use kerato_domain::providers::ProviderInput;
    use kerato_domain::providers::hours::{HoursFields, HoursInput};
    use kerato_domain::scheduling::ResourceKind;
    use kerato_domain::tenancy::Specialty;
    use std::collections::BTreeSet;
    let all: Vec<_> = locations.iter().map(|l| l.id).collect();
    let provider = |name: &str,
                    user_id: Option<String>,
                    credentials: &str,
                    npi: &str,
                    taxonomy: &str,
                    specialty: Specialty| {
        ProviderInput {
            name: name.into(),
            user_id,
            credentials: Some(credentials.into()),
            npi: Some(npi.into()),
            taxonomy_code: Some(taxonomy.into()),
            specialties: vec![specialty.as_str().into()],
            location_ids: all.iter().map(|l| l.to_string()).collect(),
            ..ProviderInput::default()
        }
        .validate()
    };
    let providers = [
        app.create_provider(
            caller,
            &provider(
                "Dr. Amara Okafor",
                login(kerato_domain::identity::Role::Physician)?,
                "MD, FAAD",
                "1245319599",
                "207N00000X",
                Specialty::Dermatology,
            )?,
        )
        .await?,
        app.create_provider(
            caller,
            &provider(
                "Dr. Kenji Sato",
                None,
                "MD",
                "1679576722",
                "207W00000X",
                Specialty::EyeCare,
            )?,
        )
        .await?,
        app.create_provider(
            caller,
            &provider(
                "Dr. Priya Patel",
                login(kerato_domain::identity::Role::Optometrist)?,
                "OD",
                "1234567893",
                "152W00000X",
                Specialty::EyeCare,
            )?,
        )
        .await?,
    ];
    // Rooms and devices: the main clinic has the diagnostic equipment.
    let rooms: [(usize, ResourceKind, &str); 10] = [
        (0, ResourceKind::ExamRoom, "Exam 1"),
        (0, ResourceKind::ExamRoom, "Exam 2"),
        (0, ResourceKind::ExamRoom, "Exam 3"),
        (0, ResourceKind::PretestLane, "Pretest lane"),
        (0, ResourceKind::Oct, "OCT"),
        (0, ResourceKind::VisualField, "Visual field"),
        (0, ResourceKind::PhototherapyBooth, "Phototherapy booth"),
        (0, ResourceKind::Laser, "Vbeam laser"),
        (1, ResourceKind::ExamRoom, "Mall exam A"),
        (1, ResourceKind::ExamRoom, "Mall exam B"),
    ];
    for (loc, kind, name) in rooms {
        app.create_resource(caller, all[loc], kind, name).await?;
    }
    let kinds = |k: &[ResourceKind]| k.iter().copied().collect::<BTreeSet<_>>();
    let visit = |name: &str, minutes: i64, s: Specialty, colour: &str, needs: &[ResourceKind]| {
        kerato_domain::scheduling::TypeInput {
            name: name.into(),
            duration_minutes: minutes,
            specialty: Some(s),
            colour: Some(colour.into()),
            new_patient: false,
            resources: kinds(needs),
        }
    };
    let exam = [ResourceKind::ExamRoom];
    let types = [
        app.define_appointment_type(
            caller,
            &visit(
                "Full-skin check",
                30,
                Specialty::Dermatology,
                "#b5523b",
                &exam,
            ),
        )
        .await?,
        app.define_appointment_type(
            caller,
            &visit(
                "Comprehensive eye exam",
                45,
                Specialty::EyeCare,
                "#3b6ea5",
                &exam,
            ),
        )
        .await?,
        app.define_appointment_type(
            caller,
            &visit(
                "Contact lens follow-up",
                15,
                Specialty::EyeCare,
                "#4f8a5b",
                &exam,
            ),
        )
        .await?,
    ];
    app.define_appointment_type(
        caller,
        &visit(
            "Glaucoma follow-up",
            30,
            Specialty::EyeCare,
            "#7a4fa3",
            &[
                ResourceKind::ExamRoom,
                ResourceKind::Oct,
                ResourceKind::VisualField,
            ],
        ),
    )
    .await?;
    app.define_appointment_type(
        caller,
        &visit(
            "Phototherapy",
            15,
            Specialty::Dermatology,
            "#c99a2e",
            &[ResourceKind::PhototherapyBooth],
        ),
    )
    .await?;
    let hour = |h: i8| Time::new(h, 0, 0, 0).map_err(|e| AppError::NotReady(e.to_string()));
    // Mornings at the main clinic, afternoons at the mall, on weekdays, since
    // before the demo's oldest visit (the past is booked with these hours).
    let since = app
        .now()
        .to_jiff()
        .to_zoned_datetime(locations[0].time_zone.zone().clone())
        .date()
        .checked_sub(jiff::Span::new().days(400))
        .map_err(|e| AppError::NotReady(e.to_string()))?;
    for p in &providers {
        for (i, loc) in all.iter().enumerate() {
            let (start, end) = if i == 0 {
                ("08:00", "12:00")
            } else {
                ("13:00", "17:00")
            };
            let hours = HoursFields::parse(HoursInput::weekdays(*loc, since, start, end))?;
            app.add_hours(caller, p.id, &hours).await?;
        }
    }
    // A weekly staff meeting, and a holiday after the booked month.
    app.add_break(
        caller,
        providers[1].id,
        kerato_domain::scheduling::Break {
            weekday: Weekday::Wednesday,
            start: hour(11)?,
            end: hour(12)?,
            label: "Staff meeting".into(),
        },
    )
    .await?;
    let today = app
        .now()
        .to_jiff()
        .to_zoned_datetime(locations[0].time_zone.zone().clone())
        .date();
    if let Ok(holiday) = today.checked_add(jiff::Span::new().days(40)) {
        app.close_days(
            caller,
            None,
            Some(all[0]),
            holiday,
            holiday,
            "Practice closed for staff training",
        )
        .await?;
    }
    let recall_types = app.install_default_recall_types(caller).await?;
    open_hours(app, caller, locations).await?;
    Ok(Setup {
        locations: all,
        providers,
        types,
        recall_types,
        today,
    })
}

/// The locations' opening hours (the clinic on weekdays, the shop in the
/// mall six days a week); and messaging left for later, so the demo's
/// set-up is complete and shows a skipped step.
async fn open_hours(app: &App, caller: &Caller, locations: &[Location]) -> Result<(), AppError> {
    use kerato_domain::setup::{OpeningHoursInput, SetupStep};
    let week = |days: &[&str], opens: &str, closes: &str| -> Vec<OpeningHoursInput> {
        days.iter()
            .map(|d| OpeningHoursInput {
                weekday: (*d).into(),
                opens: opens.into(),
                closes: closes.into(),
            })
            .collect()
    };
    let weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday"];
    for (i, l) in locations.iter().enumerate() {
        let hours = if i == 0 {
            week(&weekdays, "07:30", "17:30")
        } else {
            let mut six = weekdays.to_vec();
            six.push("saturday");
            week(&six, "10:00", "20:00")
        };
        let week = <kerato_domain::setup::OpeningWeek as kerato_domain::input::ParseInput>::parse(
            kerato_domain::setup::OpeningWeekInput { days: hours },
        )?;
        app.set_opening_hours(caller, l.id, &week).await?;
    }
    app.skip_setup_step(caller, SetupStep::Messaging).await
}
