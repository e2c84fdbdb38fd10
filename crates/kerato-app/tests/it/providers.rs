//! Providers and their time, set up through the use cases: who they are,
//! what they take, and the dated, alternating hours bookings follow.

use kerato_app::AppError;
use kerato_domain::identity::Role;
use kerato_domain::input::ParseInput;
use kerato_domain::providers::hours::{DayHoursInput, HoursFields, HoursInput};
use kerato_domain::providers::{ProviderInput, ProviderStatus, VisitTypeScope};
use kerato_domain::scheduling::TypeInput;
use kerato_domain::scheduling::{BookingRequest, SlotQuery};
use kerato_domain::tenancy::{OrganisationKind, Specialty};

use crate::{PASSWORD, World, world};

fn validation(err: &AppError) -> String {
    match err {
        AppError::Validation(v) => v
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn monday_hours(location: &str, from: &str, until: Option<&str>, repeats: &str) -> HoursInput {
    HoursInput {
        location_id: location.into(),
        effective_from: from.into(),
        effective_until: until.map(Into::into),
        repeats: Some(repeats.into()),
        days: vec![DayHoursInput {
            weekday: "monday".into(),
            start: "09:00".into(),
            end: "12:00".into(),
            overbook: false,
        }],
    }
}

async fn derm_types(w: &World) -> (String, String) {
    let visit = |name: &str| TypeInput {
        name: name.into(),
        duration_minutes: 30,
        specialty: Some(Specialty::Dermatology),
        colour: None,
        new_patient: false,
        resources: Default::default(),
    };
    let skin = w
        .app
        .define_appointment_type(&w.admin, &visit("Skin check"))
        .await
        .unwrap();
    let mohs = w
        .app
        .define_appointment_type(&w.admin, &visit("Mohs"))
        .await
        .unwrap();
    (skin.id.to_string(), mohs.id.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_is_set_up_with_identifiers_a_login_and_the_visits_they_take() {
    let w = world().await;
    let main = w
        .app
        .create_location(&w.admin, &crate::location_input("Main").validate().unwrap())
        .await
        .unwrap();
    let (skin, _) = derm_types(&w).await;
    let doctor = w.user("okafor@capital.example", Role::Physician, &[]).await;
    let desk = w.user("desk@capital.example", Role::FrontDesk, &[]).await;
    let input = ProviderInput {
        user_id: Some(doctor.id.to_string()),
        credentials: Some("MD, FAAD".into()),
        npi: Some("1245-319-599".into()),
        taxonomy_code: Some("207n00000x".into()),
        specialties: vec!["dermatology".into()],
        visit_type_ids: Some(vec![skin.clone()]),
        ..ProviderInput::new("Ada Okafor", &[main.id])
    };
    let p = w
        .app
        .create_provider(&w.admin, &input.validate().unwrap())
        .await
        .unwrap();
    assert_eq!(p.display_name(), "Ada Okafor, MD, FAAD");
    assert_eq!(p.npi.as_ref().unwrap().as_str(), "1245319599");
    assert_eq!(p.taxonomy.as_ref().unwrap().label(), Some("Dermatology"));
    assert_eq!(p.user_id, Some(doctor.id));
    assert!(matches!(&p.visit_types, VisitTypeScope::Only(t) if t.len() == 1));
    // Read back as stored, by anyone who books.
    let desk_caller = w.app.unsafe_caller_for(desk.id).await.unwrap();
    let listed = w.app.providers(&desk_caller).await.unwrap();
    assert_eq!(listed, vec![p.clone()]);
    assert_eq!(w.app.provider(&desk_caller, p.id).await.unwrap(), p);
    // Only the administrator sets providers up.
    let refused = w
        .app
        .create_provider(
            &desk_caller,
            &ProviderInput::new("Locum", &[main.id]).validate().unwrap(),
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, AppError::Forbidden(_)), "{refused:?}");

    // A staff account is one provider at most, and only a clinician's.
    let twice = w
        .app
        .create_provider(
            &w.admin,
            &ProviderInput {
                user_id: Some(doctor.id.to_string()),
                ..ProviderInput::new("Again", &[main.id])
            }
            .validate()
            .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(
        validation(&twice).contains("is already the provider Ada Okafor"),
        "{twice}"
    );
    let clerk = w
        .app
        .create_provider(
            &w.admin,
            &ProviderInput {
                user_id: Some(desk.id.to_string()),
                ..ProviderInput::new("Desk", &[main.id])
            }
            .validate()
            .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(
        validation(&clerk).contains("only physicians and optometrists"),
        "{clerk}"
    );
    // What is not the practice's own is refused, every field at once.
    let strangers = AppError::from(
        ProviderInput {
            visit_type_ids: Some(vec!["01890a5d-ac96-774b-bcce-b302099a8060".into()]),
            npi: Some("1234567890".into()),
            ..ProviderInput::new(
                "Stranger",
                &["01890a5d-ac96-774b-bcce-b302099a8057".parse().unwrap()],
            )
        }
        .validate()
        .unwrap_err(),
    );
    // The domain's own checks come first and stop before the records are
    // looked up: the wrong check digit is reported.
    assert!(validation(&strangers).contains("npi: that NPI's check digit is wrong"));
    let strangers = w
        .app
        .create_provider(
            &w.admin,
            &ProviderInput {
                visit_type_ids: Some(vec!["01890a5d-ac96-774b-bcce-b302099a8060".into()]),
                ..ProviderInput::new(
                    "Stranger",
                    &["01890a5d-ac96-774b-bcce-b302099a8057".parse().unwrap()],
                )
            }
            .validate()
            .unwrap(),
        )
        .await
        .unwrap_err();
    let message = validation(&strangers);
    assert!(
        message.contains("location_ids: a chosen location does not belong"),
        "{message}"
    );
    assert!(
        message.contains("visit_type_ids: a chosen visit type does not belong"),
        "{message}"
    );
    assert_eq!(
        w.app.providers(&w.admin).await.unwrap().len(),
        1,
        "nothing half-made"
    );

    // An edit from an older version changes nothing.
    let edited = w
        .app
        .update_provider(
            &w.admin,
            p.id,
            p.version,
            &ProviderInput {
                credentials: Some("MD".into()),
                visit_type_ids: None,
                ..p.to_input()
            }
            .validate()
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(edited.version, p.version + 1);
    assert_eq!(edited.visit_types, VisitTypeScope::AllOfSpecialties);
    let stale = w
        .app
        .update_provider(&w.admin, p.id, p.version, &p.to_input().validate().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(stale, AppError::Conflict(_)), "{stale:?}");
    assert_eq!(w.app.provider(&w.admin, p.id).await.unwrap(), edited);

    // Another practice's administrator does not see this provider.
    let (_, other) = w
        .app
        .unsafe_add_tenant(
            "Elsewhere Eyes",
            OrganisationKind::Practice,
            "owner@elsewhere.example",
            "Other Owner",
            PASSWORD,
        )
        .await
        .unwrap();
    let other = w.app.unsafe_caller_for(other.id).await.unwrap();
    assert!(matches!(
        w.app.provider(&other, p.id).await.unwrap_err(),
        AppError::NotFound(_)
    ));
    assert!(w.app.providers(&other).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bookings_follow_dated_alternating_hours_and_what_the_provider_takes() {
    let w = world().await;
    let main = w
        .app
        .create_location(&w.admin, &crate::location_input("Main").validate().unwrap())
        .await
        .unwrap();
    let annex = w
        .app
        .create_location(
            &w.admin,
            &crate::location_input("Annex").validate().unwrap(),
        )
        .await
        .unwrap();
    let (skin, mohs) = derm_types(&w).await;
    let p = w
        .app
        .create_provider(
            &w.admin,
            &ProviderInput {
                specialties: vec!["dermatology".into()],
                visit_type_ids: Some(vec![skin.clone()]),
                ..ProviderInput::new("Ada Okafor", &[main.id, annex.id])
            }
            .validate()
            .unwrap(),
        )
        .await
        .unwrap();
    let main_id = main.id.to_string();
    // Every other Monday from 1 June 2026 (the clock reads 28 May) until
    // the end of July.
    let week_a = w
        .app
        .add_hours(
            &w.admin,
            p.id,
            &kerato_domain::input::ParseInput::parse(monday_hours(
                &main_id,
                "2026-06-01",
                Some("2026-07-31"),
                "every_other_week",
            ))
            .unwrap(),
        )
        .await
        .unwrap();
    let patient = w.patient("Ria", "Shah", "1990-03-03").await;
    let book = |date: &str, kind: &str| BookingRequest {
        provider_id: p.id.to_string(),
        patient_id: patient.to_string(),
        location_id: main_id.clone(),
        appointment_type_id: kind.into(),
        date: date.into(),
        time: "09:00".into(),
        ..Default::default()
    };
    crate::book(&w.app, &w.admin, &book("2026-06-01", &skin))
        .await
        .unwrap();
    let off_week = crate::book(&w.app, &w.admin, &book("2026-06-08", &skin))
        .await
        .unwrap_err();
    assert!(
        validation(&off_week).contains("does not see patients"),
        "{off_week}"
    );
    crate::book(&w.app, &w.admin, &book("2026-06-15", &skin))
        .await
        .unwrap();
    // Ten weeks on is one of its weeks, but after its last day.
    let ended = crate::book(&w.app, &w.admin, &book("2026-08-10", &skin))
        .await
        .unwrap_err();
    assert!(
        validation(&ended).contains("does not see patients"),
        "{ended}"
    );
    let not_taken = crate::book(&w.app, &w.admin, &book("2026-06-29", &mohs))
        .await
        .unwrap_err();
    assert!(
        validation(&not_taken).contains("Ada Okafor does not take Mohs visits"),
        "{not_taken}"
    );

    // Hours that would put her in two places at once are refused with
    // the day, wherever they are.
    let clash = w
        .app
        .add_hours(
            &w.admin,
            p.id,
            &kerato_domain::input::ParseInput::parse(HoursInput {
                days: vec![DayHoursInput {
                    weekday: "mon".into(),
                    start: "11:00".into(),
                    end: "13:00".into(),
                    overbook: false,
                }],
                ..monday_hours(&annex.id.to_string(), "2026-06-15", None, "every_week")
            })
            .unwrap(),
        )
        .await
        .unwrap_err();
    let message = validation(&clash);
    assert!(
        message.contains("Monday 11:00–13:00 clashes with Ada Okafor's hours at Main (09:00–12:00), first on 06/15/2026"),
        "{message}"
    );
    // The other weeks, at the annex, fit.
    let week_b = w
        .app
        .add_hours(
            &w.admin,
            p.id,
            &kerato_domain::input::ParseInput::parse(monday_hours(
                &annex.id.to_string(),
                "2026-06-08",
                None,
                "every_other_week",
            ))
            .unwrap(),
        )
        .await
        .unwrap();
    crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            location_id: annex.id.to_string(),
            ..book("2026-06-08", &skin)
        },
    )
    .await
    .unwrap();
    // Next available sees only the weeks that apply, at each location.
    let offers = w
        .app
        .find_slots(
            &w.admin,
            &SlotQuery {
                appointment_type: Some(skin.parse().unwrap()),
                provider: Some(p.id),
                location: None,
                from: Some("2026-06-22".parse().unwrap()),
                limit: 50,
            },
        )
        .await
        .unwrap();
    assert!(!offers.is_empty());
    for o in &offers {
        let weeks_from_a =
            (o.date - "2026-06-01".parse::<jiff::civil::Date>().unwrap()).get_days() / 7;
        let at_main = o.location_id == main.id;
        assert_eq!(
            at_main,
            weeks_from_a % 2 == 0,
            "{:?} at {}",
            o.date,
            o.location_name
        );
        assert_eq!(o.date.weekday(), jiff::civil::Weekday::Monday);
    }
    // The templates read back in the order they took effect; replacing
    // one moves its hours, removing one ends them.
    let hours = w.app.provider_hours(&w.admin, p.id).await.unwrap();
    assert_eq!(
        hours.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![week_a.id, week_b.id]
    );
    w.app
        .replace_hours(
            &w.admin,
            Some(p.id),
            week_b.id,
            &HoursFields::parse(HoursInput {
                days: vec![DayHoursInput {
                    weekday: "monday".into(),
                    start: "13:00".into(),
                    end: "17:00".into(),
                    overbook: false,
                }],
                ..monday_hours(
                    &annex.id.to_string(),
                    "2026-06-08",
                    None,
                    "every_other_week",
                )
            })
            .unwrap(),
        )
        .await
        .unwrap();
    let morning = crate::book(
        &w.app,
        &w.admin,
        &BookingRequest {
            location_id: annex.id.to_string(),
            ..book("2026-06-22", &skin)
        },
    )
    .await
    .unwrap_err();
    assert!(validation(&morning).contains("does not see patients"));
    // A template is found only under its own provider's address.
    let stranger = "01890a5d-ac96-774b-bcce-b302099a8061".parse().unwrap();
    let elsewhere = w
        .app
        .remove_hours(&w.admin, Some(stranger), week_b.id)
        .await
        .unwrap_err();
    assert!(matches!(elsewhere, AppError::NotFound(_)), "{elsewhere:?}");
    let removed = w
        .app
        .remove_hours(&w.admin, Some(p.id), week_b.id)
        .await
        .unwrap();
    assert_eq!(removed.id, week_b.id);
    assert_eq!(w.app.provider_hours(&w.admin, p.id).await.unwrap().len(), 1);

    // A provider who takes no new bookings is neither bookable nor
    // offered; the appointments already made stay.
    w.app
        .update_provider(
            &w.admin,
            p.id,
            p.version,
            &ProviderInput {
                status: Some(ProviderStatus::Inactive.as_str().into()),
                ..p.to_input()
            }
            .validate()
            .unwrap(),
        )
        .await
        .unwrap();
    let gone = crate::book(&w.app, &w.admin, &book("2026-06-29", &skin))
        .await
        .unwrap_err();
    assert!(
        validation(&gone).contains("takes no new bookings"),
        "{gone}"
    );
    let none = w
        .app
        .find_slots(
            &w.admin,
            &SlotQuery {
                appointment_type: Some(skin.parse().unwrap()),
                provider: None,
                location: None,
                from: None,
                limit: 10,
            },
        )
        .await
        .unwrap();
    assert!(none.is_empty(), "{none:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hours_must_be_at_the_providers_locations_and_valid() {
    let w = world().await;
    let main = w
        .app
        .create_location(&w.admin, &crate::location_input("Main").validate().unwrap())
        .await
        .unwrap();
    let annex = w
        .app
        .create_location(
            &w.admin,
            &crate::location_input("Annex").validate().unwrap(),
        )
        .await
        .unwrap();
    let p = w
        .app
        .create_provider(
            &w.admin,
            &ProviderInput::new("Ada Okafor", &[main.id])
                .validate()
                .unwrap(),
        )
        .await
        .unwrap();
    let elsewhere = w
        .app
        .add_hours(
            &w.admin,
            p.id,
            &kerato_domain::input::ParseInput::parse(monday_hours(
                &annex.id.to_string(),
                "2026-06-01",
                None,
                "every_week",
            ))
            .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(
        validation(&elsewhere).contains("Ada Okafor does not work at that location"),
        "{elsewhere}"
    );
    let bad = AppError::from(
        HoursFields::parse(HoursInput {
            days: vec![DayHoursInput {
                weekday: "someday".into(),
                start: "9".into(),
                end: "08:00".into(),
                overbook: false,
            }],
            ..monday_hours(&main.id.to_string(), "06/01/2026", None, "fortnightly")
        })
        .unwrap_err(),
    );
    let message = validation(&bad);
    for field in [
        "effective_from",
        "repeats",
        "days[0].weekday",
        "days[0].start",
    ] {
        assert!(
            message.contains(&format!("{field}: ")),
            "{field}: {message}"
        );
    }
    assert!(
        w.app
            .provider_hours(&w.admin, p.id)
            .await
            .unwrap()
            .is_empty()
    );
}
