//! Clinical photos: metadata stripped, encrypted on disk, every view
//! audited, and roles without access refused.

use kerato_app::AppError;
use kerato_app::lesions::PhotoSize;
use kerato_domain::consent::{Purpose, Source};
use kerato_domain::identity::Role;

use crate::world_with_photos;

const JPEG: &[u8] = include_bytes!("../../../kerato-formats/tests/fixtures/with-exif-gps.jpg");
const GIF: &[u8] = include_bytes!("../../../kerato-formats/tests/fixtures/not-an-image.gif");

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_is_stripped_encrypted_and_every_view_audited() {
    let (w, dir) = world_with_photos().await;
    let app = &w.app;
    let derm = w.user("derm@capital.example", Role::Physician, &[]).await;
    let derm = app.unsafe_caller_for(derm.id).await.unwrap();
    let patient = w.patient("Jane", "Roe", "1980-01-01").await;
    let err = app
        .upload_photo(
            &derm,
            patient,
            &kerato_domain::lesions::PhotoUpload {
                lesion: None,
                consent_given_now: true,
            },
            GIF,
        )
        .await
        .unwrap_err();
    assert_eq!(
        format!("{err}"),
        "invalid input: photo: only JPEG and PNG photos can be stored; export the photo as JPEG or PNG"
    );
    // Without the patient's consent to clinical photographs, nothing is
    // stored; with it given now, the consent is recorded with the photo.
    let err = app
        .upload_photo(
            &derm,
            patient,
            &kerato_domain::lesions::PhotoUpload {
                lesion: None,
                consent_given_now: false,
            },
            JPEG,
        )
        .await
        .unwrap_err();
    assert!(
        format!("{err}").contains("consent: the patient has not consented to clinical photographs"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    let photo = app
        .upload_photo(
            &derm,
            patient,
            &kerato_domain::lesions::PhotoUpload {
                lesion: None,
                consent_given_now: true,
            },
            JPEG,
        )
        .await
        .unwrap();
    assert_eq!(
        photo.media_type,
        kerato_domain::lesions::PhotoMediaType::Jpeg
    );
    let consents = app.consents_of_patient(&derm, patient).await.unwrap();
    assert_eq!(consents.len(), 1);
    assert_eq!(consents[0].entry.purpose, Purpose::ClinicalPhotography);
    assert!(consents[0].entry.granted);
    // A second photo needs no new consent, and records none.
    app.upload_photo(
        &derm,
        patient,
        &kerato_domain::lesions::PhotoUpload {
            lesion: None,
            consent_given_now: false,
        },
        JPEG,
    )
    .await
    .unwrap();
    assert_eq!(
        app.consents_of_patient(&derm, patient).await.unwrap().len(),
        1
    );
    // On disk: the photo and its thumbnail, twice, and nothing of the photo
    // readable in any file.
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 4);
    for file in files {
        let raw = std::fs::read(file.unwrap().path()).unwrap();
        for needle in [
            &b"JFIF"[..],
            b"Jane Roe",
            b"DermLite",
            &JPEG[JPEG.len() - 64..],
        ] {
            assert!(
                !contains(&raw, needle),
                "the file holds {needle:?} in clear"
            );
        }
    }
    // Viewed: the stripped image, and the view is in the audit trail.
    let (_, bytes) = app
        .view_photo(&derm, photo.id, PhotoSize::Full)
        .await
        .unwrap();
    assert!(bytes.starts_with(&[0xFF, 0xD8]));
    assert!(!contains(&bytes, b"Jane Roe") && !contains(&bytes, b"DermLite"));
    let (_, thumb) = app
        .view_photo(&derm, photo.id, PhotoSize::Thumbnail)
        .await
        .unwrap();
    assert!(thumb.starts_with(&[0xFF, 0xD8]) && thumb.len() < bytes.len());
    let mut tx = app.store().read().await.unwrap();
    let events = kerato_store::audit::events_after(&mut tx, 0, 100_000)
        .await
        .unwrap();
    drop(tx);
    let views: Vec<_> = events
        .iter()
        .filter(|e| {
            e.event.resource == "clinical_photo"
                && e.event.action.as_str() == "view"
                && e.event.resource_id.as_deref() == Some(photo.id.to_string().as_str())
        })
        .collect();
    assert_eq!(views.len(), 2, "the full photo and the thumbnail");
    for v in &views {
        assert_eq!(
            v.event.patient_id.as_deref(),
            Some(patient.to_string().as_str())
        );
    }
    // Billing and the front desk see no photos, and the attempt is audited.
    for role in [Role::Billing, Role::FrontDesk] {
        let user = w
            .user(&format!("{}@capital.example", role.as_str()), role, &[])
            .await;
        let caller = app.unsafe_caller_for(user.id).await.unwrap();
        for size in [PhotoSize::Full, PhotoSize::Thumbnail] {
            assert!(matches!(
                app.view_photo(&caller, photo.id, size).await.unwrap_err(),
                AppError::Forbidden(_)
            ));
        }
        assert!(matches!(
            app.photos_of_patient(&caller, patient).await.unwrap_err(),
            AppError::Forbidden(_)
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_needs_the_purposes_consent_and_is_watermarked() {
    let (w, _dir) = world_with_photos().await;
    let app = &w.app;
    let derm = w.user("derm@capital.example", Role::Physician, &[]).await;
    let derm = app.unsafe_caller_for(derm.id).await.unwrap();
    let patient = w.patient("Jane", "Roe", "1980-01-01").await;
    let photo = app
        .upload_photo(
            &derm,
            patient,
            &kerato_domain::lesions::PhotoUpload {
                lesion: None,
                consent_given_now: true,
            },
            JPEG,
        )
        .await
        .unwrap();
    let (_, stored) = app
        .view_photo(&derm, photo.id, PhotoSize::Full)
        .await
        .unwrap();
    // Clinical care consent does not cover teaching or marketing.
    for purpose in [Purpose::PhotoTeaching, Purpose::PhotoMarketing] {
        let err = app
            .export_photo(&derm, photo.id, purpose)
            .await
            .unwrap_err();
        assert!(
            format!("{err}").contains("the patient has not consented to"),
            "{err}"
        );
    }
    // Not a purpose a photo is exported for.
    let err = app
        .export_photo(&derm, photo.id, Purpose::MarketingEmail)
        .await
        .unwrap_err();
    assert!(format!("{err}").contains("teaching or marketing"), "{err}");
    let answer = |granted, source| kerato_domain::consent::ConsentInput {
        purpose: Purpose::PhotoTeaching,
        granted,
        source,
    };
    app.record_consent(&derm, patient, &answer(true, Source::Form))
        .await
        .unwrap();
    let exported = app
        .export_photo(&derm, photo.id, Purpose::PhotoTeaching)
        .await
        .unwrap();
    assert!(exported.starts_with(&[0xFF, 0xD8]));
    assert_ne!(exported, stored, "the export carries a watermark");
    assert!(!contains(&exported, b"Exif") && !contains(&exported, b"Jane Roe"));
    // Marketing still needs its own consent; a withdrawal of teaching
    // consent stops teaching exports again.
    assert!(
        app.export_photo(&derm, photo.id, Purpose::PhotoMarketing)
            .await
            .is_err()
    );
    app.record_consent(&derm, patient, &answer(false, Source::Staff))
        .await
        .unwrap();
    assert!(
        app.export_photo(&derm, photo.id, Purpose::PhotoTeaching)
            .await
            .is_err()
    );
    // The export is audited with its purpose; an optometrist may view
    // photos but not export them.
    let mut tx = app.store().read().await.unwrap();
    let events = kerato_store::audit::events_after(&mut tx, 0, 100_000)
        .await
        .unwrap();
    drop(tx);
    let exports: Vec<_> = events
        .iter()
        .filter(|e| e.event.resource == "clinical_photo" && e.event.action.as_str() == "export")
        .collect();
    assert_eq!(exports.len(), 1);
    assert_eq!(
        exports[0].event.category,
        "clinical photo export for teaching"
    );
    let od = w.user("od@capital.example", Role::Optometrist, &[]).await;
    let od = app.unsafe_caller_for(od.id).await.unwrap();
    app.view_photo(&od, photo.id, PhotoSize::Full)
        .await
        .unwrap();
    assert!(matches!(
        app.export_photo(&od, photo.id, Purpose::PhotoTeaching)
            .await
            .unwrap_err(),
        AppError::Forbidden(_)
    ));
}
