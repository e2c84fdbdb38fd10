//! A lesion placed once and followed across visits, with change flags.

use kerato_app::AppError;
use kerato_domain::identity::Role;
use kerato_domain::input::ParseInput;
use kerato_domain::lesions::{
    ChangeFlag, Colour, Landmark, LesionStatus, NewLesion, NewLesionInput, ObservationInput,
    SiteInput,
};
use kerato_domain::patients::PatientInput;

use crate::world;

fn seen(size: &str, colours: &[&str], disposition: &str) -> ObservationInput {
    ObservationInput {
        morphology: "pigmented macule".into(),
        size_mm: size.into(),
        colours: colours.iter().map(|c| (*c).to_string()).collect(),
        abcde: [false, false, colours.len() > 1, false, false],
        // Black appearing comes with a blue-white veil in these visits.
        dermoscopy: if colours.contains(&"black") {
            vec!["blue_white_veil".into()]
        } else {
            Vec::new()
        },
        impression: "atypical naevus".into(),
        disposition: disposition.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lesion_is_followed_across_visits_and_its_growth_flagged() {
    let w = world().await;
    let app = &w.app;
    let derm = w.user("derm@capital.example", Role::Physician, &[]).await;
    let derm = app.unsafe_caller_for(derm.id).await.unwrap();
    let patient = app
        .register_patient(
            &w.admin,
            &kerato_domain::patients::Registration::of(
                &PatientInput {
                    legal_first_name: "Ines".into(),
                    legal_last_name: "Okoro".into(),
                    date_of_birth: "1975-08-19".into(),
                    ..Default::default()
                },
                false,
            )
            .unwrap(),
        )
        .await
        .unwrap()
        .id;
    let site = SiteInput {
        region: "upper_back".into(),
        laterality: "left".into(),
        view: "posterior".into(),
        x: "420".into(),
        y: "310".into(),
        landmark: "C7 spinous process".into(),
        landmark_mm: "85".into(),
    };
    // Bad input is refused whole, every problem named with its field, and
    // nothing is written.
    let err = NewLesion::parse(NewLesionInput {
        site: SiteInput {
            x: "1200".into(),
            ..site.clone()
        },
        label: "L".repeat(101),
        first: seen("4.55", &["brown"], "monitor"),
    })
    .unwrap_err();
    for field in ["x", "label", "size_mm"] {
        assert!(err.for_field(field).is_some(), "{field}: {err}");
    }
    // The front desk may not place one.
    let desk = w.user("desk@capital.example", Role::FrontDesk, &[]).await;
    let desk = app.unsafe_caller_for(desk.id).await.unwrap();
    let valid = crate::new_lesion(&site, "L1", &seen("4", &["brown"], "monitor"));
    assert!(matches!(
        app.record_lesion(&desk, patient, &valid).await.unwrap_err(),
        AppError::Forbidden(_)
    ));
    assert!(
        app.lesions_of_patient(&derm, patient)
            .await
            .unwrap()
            .is_empty()
    );

    let lesion = app
        .record_lesion(
            &derm,
            patient,
            &crate::new_lesion(&site, "L1", &seen("4", &["brown"], "monitor")),
        )
        .await
        .unwrap();
    assert_eq!(
        lesion.site.landmark,
        Some(Landmark {
            name: "C7 spinous process".into(),
            distance_mm: 85
        })
    );
    w.clock.advance_secs(180 * 86_400);
    let flags = app
        .observe_lesion(
            &derm,
            lesion.id,
            &seen("5.5", &["brown", "black"], "biopsy")
                .validate()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        flags,
        vec![
            ChangeFlag::Grew {
                from_tenths_mm: 40,
                to_tenths_mm: 55
            },
            ChangeFlag::NewColour(Colour::Black)
        ]
    );
    let (stored, timeline) = app.lesion_timeline(&derm, lesion.id).await.unwrap();
    assert_eq!(stored, lesion, "the lesion reads back, landmark and all");
    assert_eq!(timeline.len(), 2);
    assert!(timeline[0].flags.is_empty());
    assert_eq!(timeline[1].flags.len(), 2);
    assert!(timeline[0].observation.dermoscopy.is_empty());
    assert!(
        timeline[1]
            .observation
            .dermoscopy
            .contains(&kerato_domain::lesions::Dermoscopy::BlueWhiteVeil)
    );
    // Planning an excision leaves the lesion active (the excision
    // procedure closes it); seeing it gone resolves it, which closes it to
    // new observations.
    app.observe_lesion(
        &derm,
        lesion.id,
        &seen("5.5", &["brown", "black"], "excise")
            .validate()
            .unwrap(),
    )
    .await
    .unwrap();
    let lesions = app.lesions_of_patient(&derm, patient).await.unwrap();
    assert_eq!(lesions[0].status, LesionStatus::Active);
    app.observe_lesion(
        &derm,
        lesion.id,
        &seen("0.5", &["skin"], "resolved").validate().unwrap(),
    )
    .await
    .unwrap();
    let lesions = app.lesions_of_patient(&derm, patient).await.unwrap();
    assert_eq!(lesions[0].status, LesionStatus::Resolved);
    assert!(matches!(
        app.observe_lesion(
            &derm,
            lesion.id,
            &seen("5", &["brown"], "monitor").validate().unwrap()
        )
        .await
        .unwrap_err(),
        AppError::Conflict(_)
    ));
    // The front desk sees no clinical notes.
    assert!(matches!(
        app.lesion_timeline(&desk, lesion.id).await.unwrap_err(),
        AppError::Forbidden(_)
    ));
}
