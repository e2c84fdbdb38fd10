//! The public privacy request form over HTTP: Global Privacy Control is
//! recorded with the request, bad input names every field and stores
//! nothing, and a download link that does not exist is not found; the
//! privacy officer's forms parse once, name every bad field and change
//! nothing when refused.

use kerato_domain::identity::Role;
use kerato_domain::time::Clock;
use reqwest::{Method, StatusCode};

use crate::support::{ADMIN, CSRF, TestApp, Who, ria_shah, spawn_app};

const PO: Who = Who::Role(Role::PrivacyOfficer);

fn fields(practice: &str, first: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf", CSRF.into()),
        ("practice", practice.into()),
        ("request_type", "do_not_sell_share".into()),
        ("first_name", first.into()),
        ("last_name", "Roe".into()),
        ("date_of_birth", "1980-01-01".into()),
        ("email", "jane@example.net".into()),
    ]
}

async fn post(t: &TestApp, fields: &[(&str, String)], gpc: bool) -> reqwest::Response {
    let mut req = t
        .req(Method::POST, "/privacy/request", Who::Anonymous)
        .await
        .form(fields);
    if gpc {
        req = req.header("Sec-GPC", "1");
    }
    req.send().await.unwrap()
}

async fn request_count(t: &TestApp) -> usize {
    let po = t.app.unsafe_caller_for(t.user(PO).id).await.unwrap();
    t.app.rights_requests(&po).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_form_records_gpc_and_refuses_bad_input_whole() {
    let t = spawn_app().await;
    let page = t
        .req(
            Method::GET,
            &format!("/privacy/request?practice={}", t.l1.organisation_id),
            Who::Anonymous,
        )
        .await
        .header("Sec-GPC", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Global Privacy Control")
    );
    // Oversized, wrong type, missing and script-laden input: all named.
    let practice = t.l1.organisation_id.to_string();
    // This server holds two practices: the link must say which.
    let resp = post(&t, &fields("", "Jane"), false).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("the link your practice gave you")
    );
    let mut bad = fields(&practice, &"x".repeat(101));
    bad.push(("details", "<script>alert(1)</script>".repeat(300)));
    bad[2].1 = "everything".into();
    bad[5].1 = "yesterday".into();
    bad[6].1 = String::new();
    let resp = post(&t, &bad, false).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = resp.text().await.unwrap();
    for field in [
        "request_type",
        "first_name",
        "date_of_birth",
        "email",
        "details",
    ] {
        assert!(text.contains(field), "{field}: {text}");
    }
    assert!(
        !text.contains("<script>alert"),
        "input is never echoed as markup"
    );
    assert_eq!(request_count(&t).await, 0);
    // With the signal: recorded on the request and said on the answer.
    let resp = post(&t, &fields(&practice, "Jane"), true).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    assert!(text.contains("We received your request"));
    assert!(text.contains("recorded as an opt-out of the sale or sharing"));
    let resp = post(&t, &fields(&practice, "John"), false).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let po = t.app.unsafe_caller_for(t.user(PO).id).await.unwrap();
    let views = t.app.rights_requests(&po).await.unwrap();
    let gpc: Vec<bool> = views.iter().map(|v| v.request.gpc).collect();
    assert_eq!(views.len(), 2);
    assert_eq!(gpc.iter().filter(|g| **g).count(), 1);
    // An unknown download link is not found, on the page and the button.
    let token = "ab".repeat(32);
    let resp = t
        .req(
            Method::GET,
            &format!("/privacy/download/{token}"),
            Who::Anonymous,
        )
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

/// A refused form: 422, each field named on the page, and nothing echoed
/// as markup.
async fn refused(resp: reqwest::Response, fields: &[&str]) {
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = resp.text().await.unwrap();
    for field in fields {
        assert!(text.contains(field), "{field}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_privacy_officers_forms_name_every_bad_field_and_change_nothing() {
    let t = spawn_app().await;
    let admin = t.app.unsafe_caller_for(t.user(ADMIN).id).await.unwrap();
    let po = t.app.unsafe_caller_for(t.user(PO).id).await.unwrap();
    let ria = ria_shah(&t, &admin).await;
    let ria_id = ria.id.to_string();

    // A request entered by staff.
    let resp = t
        .form(
            "/privacy/requests",
            PO,
            &[
                ("request_type", "everything"),
                ("first_name", ""),
                ("last_name", "Shah"),
                ("date_of_birth", "3 March 1990"),
                ("email", "ria@example.net"),
            ],
        )
        .await;
    refused(resp, &["request_type", "first_name", "date_of_birth"]).await;
    assert_eq!(request_count(&t).await, 0);
    let resp = t
        .form(
            "/privacy/requests",
            PO,
            &[
                ("request_type", "correction"),
                ("first_name", "Ria"),
                ("last_name", "Shah"),
                ("date_of_birth", "1990-03-03"),
                ("email", "ria@example.net"),
                ("details", "My allergy list is wrong."),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let views = t.app.rights_requests(&po).await.unwrap();
    let id = views[0].request.id;
    assert_eq!(
        resp.headers()["location"].to_str().unwrap(),
        format!("/privacy/requests/{id}")
    );

    // Its steps: each names what it lacks; a stale version is a conflict.
    let step = format!("/privacy/requests/{id}/step");
    let resp = t
        .form(
            &step,
            PO,
            &[
                ("step", "verify"),
                ("version", "1"),
                ("patient_id", "nobody"),
            ],
        )
        .await;
    refused(resp, &["patient_id", "identity_note"]).await;
    refused(
        t.form(&step, PO, &[("step", "dance")]).await,
        &["step", "version"],
    )
    .await;
    let verify = [
        ("step", "verify"),
        ("version", "1"),
        ("patient_id", ria_id.as_str()),
        ("identity_note", "photo ID at the desk"),
    ];
    assert_eq!(
        t.form(&step, PO, &verify).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        t.form(&step, PO, &verify).await.status(),
        StatusCode::CONFLICT
    );
    let view = t.app.rights_request(&po, id).await.unwrap();
    assert_eq!(view.request.patient_id, Some(ria.id));
    assert_eq!(view.request.version, 2);
    // A statement of disagreement answers only a denied amendment.
    let disagree = format!("/privacy/requests/{id}/disagreement");
    refused(
        t.form(&disagree, PO, &[("statement", " ")]).await,
        &["statement"],
    )
    .await;
    let resp = t.form(&disagree, PO, &[("statement", "I disagree.")]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(resp.text().await.unwrap().contains("denied amendment"));
    let denied = [
        ("step", "deny"),
        ("version", "2"),
        ("reason", "the allergy list matches the intake form"),
    ];
    assert_eq!(
        t.form(&step, PO, &denied).await.status(),
        StatusCode::SEE_OTHER
    );
    // The chart lists its amendments in the order they were made.
    t.clock.advance_secs(60);
    let resp = t.form(&disagree, PO, &[("statement", "I disagree.")]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let entries = t.app.amendments_of_patient(&po, ria.id).await.unwrap();
    let decisions: Vec<&str> = entries.iter().map(|a| a.decision.as_str()).collect();
    assert_eq!(decisions, ["denied", "disagreement"]);

    // Legal holds.
    let resp = t
        .form(
            "/privacy/holds",
            PO,
            &[
                ("patient_id", "chart 7"),
                ("data_class", "all"),
                ("reason", ""),
            ],
        )
        .await;
    refused(resp, &["patient_id", "data_class", "reason"]).await;
    assert!(t.app.legal_holds(&po).await.unwrap().is_empty());
    let resp = t
        .form(
            "/privacy/holds",
            PO,
            &[
                ("patient_id", ria_id.as_str()),
                ("data_class", ""),
                ("reason", "subpoena 2026-117"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let holds = t.app.legal_holds(&po).await.unwrap();
    assert_eq!(holds.len(), 1);
    assert_eq!(
        (holds[0].patient_id, holds[0].data_class),
        (Some(ria.id), None)
    );

    // Policy versions and a patient's acknowledgement.
    let resp = t
        .form(
            "/privacy/policies",
            PO,
            &[("kind", "terms"), ("effective_on", "soon"), ("body", "")],
        )
        .await;
    refused(resp, &["kind", "effective_on", "body"]).await;
    assert!(t.app.policies(&po).await.unwrap().is_empty());
    let today = t.clock.now().to_jiff().strftime("%Y-%m-%d").to_string();
    let resp = t
        .form(
            "/privacy/policies",
            PO,
            &[
                ("kind", "notice_of_privacy_practices"),
                ("effective_on", today.as_str()),
                ("summary", "Our first notice."),
                ("body", "The notice."),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let acknowledge = format!("/patients/{ria_id}/policy-acknowledgements");
    let resp = t
        .form(
            &acknowledge,
            ADMIN,
            &[("kind", "notice_of_privacy_practices"), ("version", "one")],
        )
        .await;
    refused(resp, &["version"]).await;
    let resp = t
        .form(
            &acknowledge,
            ADMIN,
            &[("kind", "notice_of_privacy_practices"), ("version", "1")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        t.app.notice_acknowledgement(&admin, ria.id).await.unwrap(),
        Some((1, true))
    );

    // A disclosure refused comes back with what was typed beside each
    // problem; recorded, it is in the patient's accounting.
    let resp = t
        .form(
            "/disclosures",
            PO,
            &[
                ("patient", ria_id.as_str()),
                ("disclosed_on", "yesterday"),
                ("recipient", "County Health"),
                ("purpose", ""),
                ("description", "immunisation record"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = resp.text().await.unwrap();
    assert!(text.contains("write the date as YYYY-MM-DD"), "{text}");
    assert!(text.contains("purpose is required"), "{text}");
    assert!(
        text.contains("County Health"),
        "the form is refilled: {text}"
    );
    assert!(
        t.app
            .accounting_of_disclosures(&po, ria.id)
            .await
            .unwrap()
            .is_empty()
    );
    let resp = t
        .form(
            "/disclosures",
            PO,
            &[
                ("patient", ria_id.as_str()),
                ("disclosed_on", today.as_str()),
                ("recipient", "County Health"),
                ("purpose", "public health"),
                ("description", "immunisation record"),
            ],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("Disclosure recorded."));
    let resp = t
        .form(
            "/disclosures/accounting",
            PO,
            &[("lookup", ria_id.as_str())],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("County Health"));
}
