//! Photo uploads and procedure forms over HTTP: what a browser sends
//! (multipart with the CSRF field), every kind of bad upload refused with
//! a message and nothing stored, views and exports by role, and the
//! procedure form's typed fields.

use kerato_domain::identity::Role;
use kerato_domain::ids::PatientId;
use kerato_domain::patients::PatientInput;
use reqwest::{Method, StatusCode};

use crate::support::{self, ADMIN, BOUNDARY, CSRF, TestApp, Who, spawn_app};

const JPEG: &[u8] = include_bytes!("../../../kerato-formats/tests/fixtures/with-exif-gps.jpg");
const GIF: &[u8] = include_bytes!("../../../kerato-formats/tests/fixtures/not-an-image.gif");
const DERM: Who = Who::Role(Role::Physician);
const BILLING: Who = Who::Role(Role::Billing);
/// A multipart body: text fields, then the file (if any) as `photo`.
fn multipart(fields: &[(&str, &str)], file: Option<&[u8]>) -> Vec<u8> {
    support::multipart(fields, ("photo", "p.jpg", "image/jpeg"), file)
}

async fn upload(t: &TestApp, patient: PatientId, body: Vec<u8>) -> reqwest::Response {
    t.req(Method::POST, &format!("/patients/{patient}/photos"), DERM)
        .await
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn patient(t: &TestApp) -> PatientId {
    let admin = t.app.unsafe_caller_for(t.user(ADMIN).id).await.unwrap();
    t.app
        .register_patient(
            &admin,
            &kerato_domain::patients::Registration::of(
                &PatientInput {
                    legal_first_name: "Jane".into(),
                    legal_last_name: "Roe".into(),
                    date_of_birth: "1980-01-01".into(),
                    ..Default::default()
                },
                false,
            )
            .unwrap(),
        )
        .await
        .unwrap()
        .id
}

async fn photo_count(t: &TestApp, patient: PatientId) -> usize {
    let derm = t.app.unsafe_caller_for(t.user(DERM).id).await.unwrap();
    t.app.photos_of_patient(&derm, patient).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_are_refused_with_a_message_and_store_nothing() {
    let t = spawn_app().await;
    let p = patient(&t).await;
    let with_csrf = [("csrf", CSRF), ("consent", "yes")];
    let cases: Vec<(Vec<u8>, StatusCode, &str)> = vec![
        (
            multipart(&with_csrf, Some(GIF)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "only JPEG and PNG photos can be stored",
        ),
        (
            multipart(&with_csrf, None),
            StatusCode::UNPROCESSABLE_ENTITY,
            "choose a photo to upload",
        ),
        (
            multipart(&[("consent", "yes")], Some(JPEG)),
            StatusCode::FORBIDDEN,
            "this form has expired",
        ),
        (
            multipart(&[("csrf", CSRF)], Some(JPEG)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "has not consented to clinical photographs",
        ),
        (
            multipart(
                &[("csrf", CSRF), ("consent", "yes"), ("lesion_id", "nope")],
                Some(JPEG),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not a lesion of this patient",
        ),
        (
            multipart(&with_csrf, Some(&vec![0xFF; 21 * 1024 * 1024])),
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than the limit of 20544 KiB",
        ),
        (
            b"not multipart at all".to_vec(),
            StatusCode::BAD_REQUEST,
            "the upload could not be read",
        ),
    ];
    for (body, status, message) in cases {
        let resp = upload(&t, p, body).await;
        assert_eq!(resp.status(), status, "{message}");
        let text = resp.text().await.unwrap();
        assert!(text.contains(message), "{message}: {text}");
    }
    // A form post with the wrong encoding is told how to send it.
    let resp = t
        .form(
            &format!("/patients/{p}/photos"),
            DERM,
            &[("consent", "yes")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(photo_count(&t, p).await, 0, "nothing was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_is_uploaded_viewed_by_role_and_exported_with_consent() {
    let t = spawn_app().await;
    let p = patient(&t).await;
    let resp = upload(
        &t,
        p,
        multipart(&[("csrf", CSRF), ("consent", "yes")], Some(JPEG)),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        resp.headers()["location"].to_str().unwrap(),
        format!("/patients/{p}/photos")
    );
    let gallery = t
        .req(Method::GET, &format!("/patients/{p}/photos"), DERM)
        .await
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = gallery.find("/photos/").unwrap() + "/photos/".len();
    let id = &gallery[start..start + 36];
    assert!(gallery.contains(&format!("/photos/{id}/thumbnail")));
    for path in [format!("/photos/{id}"), format!("/photos/{id}/thumbnail")] {
        let resp = t.req(Method::GET, &path, DERM).await.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert_eq!(resp.headers()["content-type"], "image/jpeg");
        assert_eq!(resp.headers()["cache-control"], "no-store");
        let bytes = resp.bytes().await.unwrap();
        // The fixture's camera model sits in its EXIF next to the GPS
        // position; the stored photo keeps only the orientation tag.
        assert!(
            !bytes.windows(8).any(|w| w == b"DermLite"),
            "{path} carries no camera or GPS EXIF"
        );
        let resp = t
            .req(Method::GET, &path, BILLING)
            .await
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            StatusCode::FORBIDDEN,
            "billing sees no photos"
        );
    }
    // Teaching export: refused until the patient's consent is recorded.
    let export = format!("/photos/{id}/export?purpose=photo_teaching");
    let resp = t
        .req(Method::GET, &export, DERM)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("has not consented to"));
    let resp = t
        .form(
            &format!("/patients/{p}/consents"),
            DERM,
            &[
                ("purpose", "photo_teaching"),
                ("answer", "maybe"),
                ("source", "form"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("choose yes or no"));
    let resp = t
        .form(
            &format!("/patients/{p}/consents"),
            DERM,
            &[
                ("purpose", "photo_teaching"),
                ("answer", "yes"),
                ("source", "form"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let resp = t
        .req(Method::GET, &export, DERM)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"photo-{id}-photo_teaching.jpg\"")
    );
    let resp = t
        .req(
            Method::GET,
            &format!("/photos/{id}/export?purpose=sms"),
            DERM,
        )
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_procedure_form_names_every_bad_field_and_stores_nothing() {
    let t = spawn_app().await;
    let p = patient(&t).await;
    let l1 = t.l1.id.to_string();
    let path = format!("/patients/{p}/procedures");
    let resp = t
        .form(
            &path,
            DERM,
            &[
                ("kind", "biopsy"),
                ("location_id", &l1),
                ("method", "laser"),
                ("punch_mm", "four"),
                ("anesthesia", "1% lidocaine"),
                ("anesthesia_ml", "1.25"),
                ("hemostasis", "sutures"),
                ("suture_count", "x"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = resp.text().await.unwrap();
    for message in [
        "choose the biopsy method from the list",
        "the punch size must be a whole number",
        "at most one decimal",
        "the number of sutures must be a whole number",
    ] {
        assert!(text.contains(message), "{message}: {text}");
    }
    // Well-typed but clinically wrong: the domain's bounds answer.
    let punch = |size: &'static str| {
        vec![
            ("kind", "biopsy"),
            ("site", "left cheek"),
            ("method", "punch"),
            ("punch_mm", size),
            ("anesthesia", "1% lidocaine"),
            ("anesthesia_ml", "0.5"),
            ("hemostasis", "sutures"),
            ("suture_count", "1"),
            ("suture_material", "4-0 nylon"),
        ]
    };
    let mut too_big = punch("30");
    too_big.push(("location_id", &l1));
    let resp = t.form(&path, DERM, &too_big).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("punch"));
    let resp = t.form(&path, DERM, &[("kind", "tattoo")]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let derm = t.app.unsafe_caller_for(t.user(DERM).id).await.unwrap();
    assert!(
        t.app
            .procedures_of_patient(&derm, p)
            .await
            .unwrap()
            .is_empty()
    );
    // The same biopsy done right is recorded and coded.
    let mut right = punch("4");
    right.push(("location_id", &l1));
    let resp = t.form(&path, DERM, &right).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let page = t
        .req(Method::GET, &path, DERM)
        .await
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Punch biopsy, 4 mm, of left cheek."),
        "{page}"
    );
    assert!(page.contains("<td>11104</td>"));
}
