//! Clinical photos: metadata stripped, encrypted on disk, every view
//! audited, and roles without access refused.

use kerato_app::{App, AppError};
use kerato_domain::identity::Role;
use kerato_domain::patients::PatientInput;
use kerato_store::DbKey;
use kerato_store::attachments::AttachmentStore;

use crate::world;

const JPEG: &[u8] = include_bytes!("../../../kerato-formats/tests/fixtures/with-exif-gps.jpg");
const GIF: &[u8] = include_bytes!("../../../kerato-formats/tests/fixtures/not-an-image.gif");

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_is_stripped_encrypted_and_every_view_audited() {
    let w = world().await;
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(w.app.store().clone(), w.clock.clone()).with_attachments(
        AttachmentStore::new(dir.path(), &DbKey::from_bytes(rand::random())).unwrap(),
    );
    let derm = w.user("derm@capital.example", Role::Physician, &[]).await;
    let derm = app.unsafe_caller_for(derm.id).await.unwrap();
    let patient = app
        .register_patient(
            &w.admin,
            &PatientInput {
                legal_first_name: "Jane".into(),
                legal_last_name: "Roe".into(),
                date_of_birth: "1980-01-01".into(),
                ..Default::default()
            },
            false,
        )
        .await
        .unwrap()
        .id;
    let err = app
        .upload_photo(&derm, patient, None, GIF)
        .await
        .unwrap_err();
    assert_eq!(
        format!("{err}"),
        "invalid input: photo: only JPEG and PNG photos can be stored; export the photo as JPEG or PNG"
    );
    let photo = app.upload_photo(&derm, patient, None, JPEG).await.unwrap();
    assert_eq!(photo.media_type, "image/jpeg");
    // On disk: one file, and nothing of the photo readable in it.
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1);
    let raw = std::fs::read(files[0].as_ref().unwrap().path()).unwrap();
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
    // Viewed: the stripped image, and the view is in the audit trail.
    let (_, bytes) = app.view_photo(&derm, photo.id).await.unwrap();
    assert!(bytes.starts_with(&[0xFF, 0xD8]));
    assert!(!contains(&bytes, b"Jane Roe") && !contains(&bytes, b"DermLite"));
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
    assert_eq!(views.len(), 1);
    assert_eq!(
        views[0].event.patient_id.as_deref(),
        Some(patient.to_string().as_str())
    );
    // Billing and the front desk see no photos, and the attempt is audited.
    for role in [Role::Billing, Role::FrontDesk] {
        let user = w
            .user(&format!("{}@capital.example", role.as_str()), role, &[])
            .await;
        let caller = app.unsafe_caller_for(user.id).await.unwrap();
        assert!(matches!(
            app.view_photo(&caller, photo.id).await.unwrap_err(),
            AppError::Forbidden(_)
        ));
    }
}
