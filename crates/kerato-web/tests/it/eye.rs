//! The eye forms parse once: an exam is opened, filled, signed and its
//! prescription's receipt confirmed through the pages, and each refused
//! form names its field and leaves nothing written.

use kerato_domain::eye::exam::ExamStatus;
use kerato_domain::identity::Role;
use reqwest::{Method, StatusCode};

use crate::support::{ADMIN, TestApp, Who, ria_shah, spawn_app};

const OD: Who = Who::Role(Role::Optometrist);

/// Submits `fields` to `path` and expects a redirect; returns where to.
async fn redirects(t: &TestApp, path: &str, fields: &[(&str, &str)]) -> String {
    let resp = t.form(path, OD, fields).await;
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "{path}: {}",
        resp.text().await.unwrap()
    );
    location.unwrap()
}

/// Submits `fields` to `path` and expects a refusal naming `field`.
async fn refused(t: &TestApp, path: &str, fields: &[(&str, &str)], field: &str, says: &str) {
    let resp = t.form(path, OD, fields).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY, "{path}");
    let body = resp.text().await.unwrap();
    assert!(body.contains(field), "{field} in {body}");
    assert!(body.contains(says), "{says} in {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exam_is_opened_filled_signed_and_confirmed_through_the_forms() {
    let t = spawn_app().await;
    let admin = t.app.unsafe_caller_for(t.user(ADMIN).id).await.unwrap();
    let patient = ria_shah(&t, &admin).await;
    let location = t.l1.id.to_string();

    refused(
        &t,
        &format!("/patients/{}/exams", patient.id),
        &[("location_id", "nowhere"), ("template", "eyeball")],
        "location_id",
        "choose the location of the exam",
    )
    .await;
    let exam = redirects(
        &t,
        &format!("/patients/{}/exams", patient.id),
        &[("location_id", &location), ("template", "comprehensive")],
    )
    .await;
    let exam_id = exam.trim_start_matches("/exams/").to_string();

    // A value off the quarter-diopter steps is refused and not saved.
    refused(
        &t,
        &format!("{exam}/sections/final"),
        &[("od.sphere", "-2.13"), ("os.sphere", "-1.75")],
        "od.sphere",
        "not in 0.25 D steps",
    )
    .await;
    let od = t.app.unsafe_caller_for(t.user(OD).id).await.unwrap();
    let view = t.app.exam(&od, exam_id.parse().unwrap()).await.unwrap();
    assert!(
        view.sections.iter().all(|s| s.original.is_empty()),
        "nothing saved"
    );
    redirects(
        &t,
        &format!("{exam}/sections/final"),
        &[
            ("od.sphere", "-2.00"),
            ("os.sphere", " -1.75 "),
            ("od.add", ""),
        ],
    )
    .await;

    refused(
        &t,
        "/settings/prescriber",
        &[("license", ""), ("npi", "1234567890")],
        "npi",
        "check digit",
    )
    .await;
    redirects(
        &t,
        "/settings/prescriber",
        &[("license", "OPT 12345"), ("npi", "1234567893")],
    )
    .await;

    // A malformed expiry is refused before anything is signed.
    refused(
        &t,
        &format!("{exam}/sign"),
        &[("delivery", "paper"), ("cl_months", "six")],
        "cl_months",
        "whole number of months",
    )
    .await;
    let view = t.app.exam(&od, exam_id.parse().unwrap()).await.unwrap();
    assert_eq!(view.exam.status, ExamStatus::Draft);
    let rx = redirects(
        &t,
        &format!("{exam}/sign"),
        &[
            ("delivery", "paper"),
            ("cl_months", ""),
            ("medical_reason", ""),
        ],
    )
    .await;
    assert!(rx.starts_with("/prescriptions/"), "{rx}");

    // The patient must tick the statement to confirm receipt.
    refused(
        &t,
        &format!("{rx}/confirmation"),
        &[("outcome", "signed"), ("signer_name", "Ria Shah")],
        "acknowledge",
        "tick the statement",
    )
    .await;
    redirects(
        &t,
        &format!("{rx}/confirmation"),
        &[
            ("outcome", "signed"),
            ("acknowledge", "yes"),
            ("signer_name", "Ria Shah"),
        ],
    )
    .await;
    let page = t
        .req(Method::GET, &rx, OD)
        .await
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Eyeglass prescription"), "{page}");
    assert!(page.contains("Receipt confirmed by Ria Shah"), "{page}");
    assert!(page.contains("-1.75"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_logged_and_answered_through_the_inbox() {
    let t = spawn_app().await;
    let location = t.l1.id.to_string();
    refused(
        &t,
        "/rx-requests",
        &[("kind", "rumour"), ("location_id", &location)],
        "requester",
        "required",
    )
    .await;
    redirects(
        &t,
        "/rx-requests",
        &[
            ("kind", "verification"),
            ("location_id", &location),
            ("requester", "LensMart"),
            ("requester_contact", "fax 555-0100"),
            ("patient_name", "Ria Shah"),
            ("details", "Oasys -3.00 OD; 6 boxes"),
        ],
    )
    .await;
    let od = t.app.unsafe_caller_for(t.user(OD).id).await.unwrap();
    let inbox = t.app.rx_requests(&od).await.unwrap();
    assert_eq!(inbox.len(), 1);
    let answer = format!("/rx-requests/{}/answer", inbox[0].request.id);
    refused(
        &t,
        &answer,
        &[("answer", "invalid"), ("note", "")],
        "note",
        "say why",
    )
    .await;
    redirects(&t, &answer, &[("answer", "confirmed"), ("note", "")]).await;
    assert!(t.app.rx_requests(&od).await.unwrap().is_empty());
}
