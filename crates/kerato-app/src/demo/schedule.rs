//! The practice's scheduling set-up, made by the administrator: providers
//! and their working hours, rooms and devices, visit types, closures and
//! recall types.

use kerato_domain::tenancy::Location;

use crate::recalls::RecallTypeRow;
use crate::scheduling::{AppointmentTypeRow, ProviderRow};
use crate::{App, AppError, Caller};

/// What the front desk books with.
#[derive(Debug)]
pub(super) struct Setup {
    pub locations: Vec<kerato_domain::ids::LocationId>,
    pub providers: [ProviderRow; 3],
    /// The visit types booked over the coming month, one per provider.
    pub types: [AppointmentTypeRow; 3],
    pub recall_types: Vec<RecallTypeRow>,
    /// The main clinic's date today.
    pub today: jiff::civil::Date,
}

/// Three providers with weekday hours at both locations, rooms and
/// devices, five visit types, a weekly meeting, a closed day after the
/// booked month, and the standard recall types.
pub(super) async fn seed_schedule(
    app: &App,
    caller: &Caller,
    locations: &[Location],
) -> Result<Setup, AppError> {
    use jiff::civil::{Time, Weekday};
    use kerato_domain::scheduling::{ResourceKind, Window};
    use kerato_domain::tenancy::Specialty;
    use std::collections::BTreeSet;
    let all: Vec<_> = locations.iter().map(|l| l.id).collect();
    let one = |s: Specialty| BTreeSet::from([s]);
    let providers = [
        app.create_provider_with(
            caller,
            "Dr. Amara Okafor (dermatology)",
            &all,
            &one(Specialty::Dermatology),
        )
        .await?,
        app.create_provider_with(
            caller,
            "Dr. Kenji Sato (ophthalmology)",
            &all,
            &one(Specialty::EyeCare),
        )
        .await?,
        app.create_provider_with(
            caller,
            "Dr. Priya Patel, OD",
            &all,
            &one(Specialty::EyeCare),
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
        crate::scheduling::TypeInput {
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
    for p in &providers {
        for (i, loc) in all.iter().enumerate() {
            // Mornings at the main clinic, afternoons at the mall.
            let (start, end) = if i == 0 {
                (hour(8)?, hour(12)?)
            } else {
                (hour(13)?, hour(17)?)
            };
            for day in [
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Friday,
            ] {
                let window = Window::new(day, start, end, false).map_err(AppError::NotReady)?;
                app.add_window(caller, p.id, *loc, window).await?;
            }
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
    Ok(Setup {
        locations: all,
        providers,
        types,
        recall_types,
        today,
    })
}
