//! Demo data: a practice with a dermatology clinic, an eye clinic and an
//! optical shop at two locations, and a signed-up user for every role.
//! Seeding is idempotent: a data directory that already has the demo is
//! reused as it is.

use kerato_domain::identity::Role;
use kerato_domain::tenancy::{LocationInput, Organisation, OrganisationKind};
use kerato_store::{identity as store, meta};

use crate::identity::{UserInput, hash_password};
use crate::{App, AppError};

const SEEDED_KEY: &str = "demo_seeded";

/// The password of every demo account. Demo data only ever runs on loopback.
pub const DEMO_PASSWORD: &str = "kerato demo password";

/// The TOTP secret of the demo accounts whose role always requires MFA
/// (administrator, privacy officer): add it to an authenticator app.
pub const DEMO_TOTP_SECRET: &str = "KERATODEMOKERATODEMOKERATODEMOAA";

/// What [`seed`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seeded {
    Created(Organisation),
    Reused(Organisation),
}

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

/// The demo sign-in name for a role.
pub fn demo_email(role: Role) -> String {
    format!("{}@riverside.example", role.as_str().replace('_', "-"))
}

/// Seeds the demo organisation unless this database already has one. The
/// organisation relaxes MFA for the roles that allow it, so most demo
/// accounts sign in with the password alone; the administrator and the
/// privacy officer, whose roles always require MFA, are enrolled with
/// [`DEMO_TOTP_SECRET`].
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
    let (org, admin) = app
        .bootstrap(
            "Riverside Skin & Eye Associates",
            OrganisationKind::Practice,
            &demo_email(Role::Admin),
            "Avery Admin",
            DEMO_PASSWORD,
        )
        .await?;
    let caller = app.unsafe_caller_for(admin.id).await?;
    app.set_security_settings(&caller, false, 15).await?;
    let mut locations = Vec::new();
    for input in demo_locations() {
        locations.push(app.create_location(&caller, &input).await?);
    }
    let hash = hash_password(DEMO_PASSWORD.to_string()).await?;
    for role in Role::ALL.iter().copied().filter(|r| *r != Role::Admin) {
        let (user, _) = app
            .invite_user(
                &caller,
                &UserInput {
                    email: demo_email(role),
                    display_name: format!("Demo {}", role.label()),
                    role: role.as_str().into(),
                    locations: vec![],
                    all_locations: true,
                },
            )
            .await?;
        let mut tx = app.store().write().await?;
        store::set_password(&mut tx, user.id, &hash, app.now()).await?;
        if role.mfa_always_required() {
            store::set_mfa_secret(&mut tx, user.id, Some(DEMO_TOTP_SECRET), app.now()).await?;
        }
        // The demo's prescribers can sign exams and issue prescriptions at
        // once: a made-up Illinois licence and a check-digit-valid NPI.
        if matches!(role, Role::Optometrist | Role::Physician) {
            let (license, npi) = match role {
                Role::Optometrist => ("IL 042-000123", "1234567893"),
                _ => ("IL 036-000456", "1245319599"),
            };
            kerato_store::eye::set_credentials(&mut tx, user.id, license, npi, app.now()).await?;
        }
        tx.commit().await?;
    }
    let patients = seed_patients(app, &caller).await?;
    seed_schedule(app, &caller, &locations, &patients).await?;
    let physician =
        store::find_user_by_email(&mut app.store().read().await?, &demo_email(Role::Physician))
            .await?
            .ok_or(AppError::NotFound("user"))?
            .0;
    let physician = app.unsafe_caller_for(physician.id).await?;
    seed_dermatology(app, &physician, locations[0].id, &patients).await?;
    let officer = store::find_user_by_email(
        &mut app.store().read().await?,
        &demo_email(Role::PrivacyOfficer),
    )
    .await?
    .ok_or(AppError::NotFound("user"))?
    .0;
    let officer = app.unsafe_caller_for(officer.id).await?;
    seed_privacy(app, &officer).await?;
    let mut tx = app.store().write().await?;
    store::set_mfa_secret(&mut tx, admin.id, Some(DEMO_TOTP_SECRET), app.now()).await?;
    meta::set(&mut tx, SEEDED_KEY, &org.id.to_string(), app.now()).await?;
    tx.commit().await?;
    Ok(Seeded::Created(org))
}

/// How many synthetic patients the demo registers.
pub const DEMO_PATIENTS: usize = 300;

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
/// phone numbers in the 555-01xx range reserved for fiction.
async fn seed_patients(
    app: &App,
    caller: &crate::Caller,
) -> Result<Vec<kerato_domain::ids::PatientId>, AppError> {
    let mut ids = Vec::with_capacity(DEMO_PATIENTS);
    for i in 0..DEMO_PATIENTS {
        let first = FIRST_NAMES[i % FIRST_NAMES.len()];
        let last = LAST_NAMES[(i / FIRST_NAMES.len()) % LAST_NAMES.len()];
        let input = kerato_domain::patients::PatientInput {
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
        ids.push(app.register_patient(caller, &input, true).await?.id);
    }
    Ok(ids)
}

/// Three providers with weekday hours at both locations, three visit
/// types, and about a month of appointments from tomorrow on.
async fn seed_schedule(
    app: &App,
    caller: &crate::Caller,
    locations: &[kerato_domain::tenancy::Location],
    patients: &[kerato_domain::ids::PatientId],
) -> Result<(), AppError> {
    use jiff::civil::{Time, Weekday};
    use kerato_domain::providers::ProviderInput;
    use kerato_domain::providers::hours::HoursInput;
    use kerato_domain::scheduling::ResourceKind;
    use kerato_domain::tenancy::Specialty;
    use std::collections::BTreeSet;
    let all: Vec<_> = locations.iter().map(|l| l.id).collect();
    let provider =
        |name: &str, credentials: &str, npi: &str, taxonomy: &str, specialty: Specialty| {
            ProviderInput {
                name: name.into(),
                credentials: Some(credentials.into()),
                npi: Some(npi.into()),
                taxonomy_code: Some(taxonomy.into()),
                specialties: vec![specialty.as_str().into()],
                location_ids: all.iter().map(|l| l.to_string()).collect(),
                ..ProviderInput::default()
            }
        };
    let providers = [
        app.create_provider(
            caller,
            &provider(
                "Dr. Amara Okafor",
                "MD, FAAD",
                "1245319599",
                "207N00000X",
                Specialty::Dermatology,
            ),
        )
        .await?,
        app.create_provider(
            caller,
            &provider(
                "Dr. Kenji Sato",
                "MD",
                "1679576722",
                "207W00000X",
                Specialty::EyeCare,
            ),
        )
        .await?,
        app.create_provider(
            caller,
            &provider(
                "Dr. Priya Patel",
                "OD",
                "1234567893",
                "152W00000X",
                Specialty::EyeCare,
            ),
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
    // Mornings at the main clinic, afternoons at the mall, on weekdays, from
    // a year and more back (the hours are in force for the demo's past visits too).
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
            let hours = HoursInput::weekdays(*loc, since, start, end);
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
    seed_recalls(app, caller, patients, today).await?;
    let mut n = 0usize;
    for offset in 1..=30i64 {
        let Ok(day) = today.checked_add(jiff::Span::new().days(offset)) else {
            continue;
        };
        if matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            continue;
        }
        for (pi, p) in providers.iter().enumerate() {
            for slot in 0..2i64 {
                let patient = patients[n % patients.len()];
                n += 1;
                let kind = &types[pi % types.len()];
                let minutes = 8 * 60 + slot * 90;
                let req = crate::scheduling::BookingRequest {
                    provider_id: p.id.to_string(),
                    patient_id: patient.to_string(),
                    location_id: all[0].to_string(),
                    appointment_type_id: kind.id.to_string(),
                    date: day.to_string(),
                    time: format!("{:02}:{:02}", minutes / 60, minutes % 60),
                    ..Default::default()
                };
                app.book_appointment(caller, &req).await?;
            }
        }
    }
    // Three patients hope for something sooner.
    for (i, patient) in patients.iter().rev().take(3).enumerate() {
        let later = |d: i64| {
            today
                .checked_add(jiff::Span::new().days(d))
                .map(|d| d.to_string())
                .unwrap_or_default()
        };
        app.add_to_waitlist(
            caller,
            &crate::waitlist::WaitlistInput {
                patient_id: patient.to_string(),
                appointment_type_id: types[i % types.len()].id.to_string(),
                provider_id: None,
                location_id: Some(all[0].to_string()),
                earliest_date: later(1),
                latest_date: later(30),
                note: "Prefers mornings".into(),
            },
        )
        .await?;
    }
    Ok(())
}

/// The standard recall types, and a recall for every fifth patient due
/// between a month ago and two months ahead.
async fn seed_recalls(
    app: &App,
    caller: &crate::Caller,
    patients: &[kerato_domain::ids::PatientId],
    today: jiff::civil::Date,
) -> Result<(), AppError> {
    let types = app.install_default_recall_types(caller).await?;
    for (i, patient) in patients.iter().enumerate().filter(|(i, _)| i % 5 == 0) {
        let kind = &types[i % types.len()];
        let due = today
            .checked_add(jiff::Span::new().days((i as i64 % 90) - 30))
            .map_err(|e| AppError::NotReady(e.to_string()))?;
        app.add_recall(caller, *patient, kind.id, &due.to_string())
            .await?;
    }
    Ok(())
}

/// A few dermatology charts to look at: lesions on the body map and its
/// face drawing, a punch biopsy waiting for its result, a shave biopsy
/// with a malignant result waiting for review (so the work queue shows
/// both timers), and the first sessions of a UVB course. The first patient
/// is left without, for the walk-through that places a lesion.
async fn seed_dermatology(
    app: &App,
    physician: &crate::Caller,
    location: kerato_domain::ids::LocationId,
    patients: &[kerato_domain::ids::PatientId],
) -> Result<(), AppError> {
    use crate::biopsies::StepInput;
    use crate::procedures::ProcedureInput;
    use kerato_domain::derm_coding::{BiopsyMethod, PhototherapyKind};
    use kerato_domain::lesion::{ObservationInput, SiteInput};
    use kerato_domain::procedure_note::{
        Anesthesia, BiopsyRecord, ErythemaGrade, Hemostasis, PhototherapyRecord, ProcedureRecord,
        TangentialDepth, Tenths,
    };
    let Some(&[_, back, face, light]) = patients.get(..4).map(<[_]>::as_ref) else {
        return Ok(());
    };
    let place = |region: &str, side: &str, view: &str, x: &str, y: &str| SiteInput {
        region: region.into(),
        laterality: side.into(),
        view: view.into(),
        x: x.into(),
        y: y.into(),
        ..Default::default()
    };
    let seen =
        |size: &str, colours: &[&str], impression: &str, disposition: &str| ObservationInput {
            morphology: "pigmented macule".into(),
            size_mm: size.into(),
            colours: colours.iter().map(|c| (*c).to_string()).collect(),
            abcde: [true, true, colours.len() > 1, false, false],
            dermoscopy: vec!["atypical_network".into()],
            impression: impression.into(),
            disposition: disposition.into(),
        };
    let mole = app
        .record_lesion(
            physician,
            back,
            &place("upper_back", "left", "posterior", "440", "260"),
            "L1",
            &seen(
                "7",
                &["brown", "black"],
                "atypical naevus versus melanoma",
                "biopsy",
            ),
        )
        .await?;
    app.record_lesion(
        physician,
        back,
        &place("shoulder", "right", "posterior", "640", "200"),
        "L2",
        &seen("4", &["tan"], "benign naevus", "monitor"),
    )
    .await?;
    let cheek = app
        .record_lesion(
            physician,
            face,
            &place("cheek", "left", "face", "660", "540"),
            "F1",
            &seen("5", &["pink", "white"], "basal cell carcinoma", "biopsy"),
        )
        .await?;
    let anesthesia = Anesthesia {
        agent: "1% lidocaine with epinephrine".into(),
        volume_ml: Tenths(10),
    };
    let punch = app
        .record_procedure(
            physician,
            ProcedureInput {
                patient: back,
                lesion: Some(mole.id),
                location,
                record: ProcedureRecord::Biopsy(BiopsyRecord {
                    method: BiopsyMethod::Punch,
                    site: "left upper back".into(),
                    punch_mm: Some(4),
                    depth: None,
                    anesthesia: anesthesia.clone(),
                    hemostasis: Hemostasis::Sutures {
                        count: 2,
                        material: "4-0 nylon".into(),
                    },
                    specimen_id: String::new(),
                }),
                dose_override: None,
            },
        )
        .await?;
    if let Some(s) = punch.specimen {
        app.record_biopsy_step(physician, s.id, s.version, &StepInput::Send)
            .await?;
    }
    let shave = app
        .record_procedure(
            physician,
            ProcedureInput {
                patient: face,
                lesion: Some(cheek.id),
                location,
                record: ProcedureRecord::Biopsy(BiopsyRecord {
                    method: BiopsyMethod::Tangential,
                    site: "left cheek".into(),
                    punch_mm: None,
                    depth: Some(TangentialDepth::PapillaryDermis),
                    anesthesia,
                    hemostasis: Hemostasis::AluminiumChloride,
                    specimen_id: String::new(),
                }),
                dose_override: None,
            },
        )
        .await?;
    if let Some(s) = shave.specimen {
        let s = app
            .record_biopsy_step(physician, s.id, s.version, &StepInput::Send)
            .await?;
        app.record_biopsy_step(
            physician,
            s.id,
            s.version,
            &StepInput::Result {
                diagnosis: "malignant".into(),
                text: "Basal cell carcinoma, nodular type, extending to the deep margin".into(),
                received: None,
            },
        )
        .await?;
    }
    for dose in [300, 360] {
        app.record_procedure(
            physician,
            ProcedureInput {
                patient: light,
                lesion: None,
                location,
                record: ProcedureRecord::Phototherapy(PhototherapyRecord {
                    kind: PhototherapyKind::Uvb,
                    area_sq_cm: None,
                    dose_mj_cm2: dose,
                    erythema_since_last: ErythemaGrade::Absent,
                    skin_type: None,
                    duration_s: None,
                }),
                dose_override: None,
            },
        )
        .await?;
    }
    Ok(())
}

/// A request for a copy of the records from the portal, waiting for the
/// privacy officer, and a new notice of privacy practices announced to
/// take effect in 31 days (the banner shows it until then).
async fn seed_privacy(app: &App, officer: &crate::Caller) -> Result<(), AppError> {
    app.receive_rights_request(
        None,
        crate::rights::Channel::Portal,
        &crate::rights::RequestInput {
            practice: String::new(),
            request_type: "access".into(),
            jurisdiction: String::new(),
            first_name: FIRST_NAMES[0].into(),
            last_name: LAST_NAMES[0].into(),
            date_of_birth: "1940-01-01".into(),
            email: "ava.smith@example.net".into(),
            phone: String::new(),
            details: "Please send a copy of my skin check records.".into(),
        },
        false,
    )
    .await?;
    let effective = app
        .now()
        .to_jiff()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .checked_add(jiff::Span::new().days(31))
        .map_err(|e| AppError::NotReady(e.to_string()))?;
    app.publish_policy(
        officer,
        &crate::policies::PolicyInput {
            kind: "notice_of_privacy_practices".into(),
            effective_on: effective.to_string(),
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
