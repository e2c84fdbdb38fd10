//! The public privacy request form over HTTP: Global Privacy Control is
//! recorded with the request, bad input names every field and stores
//! nothing, and a download link that does not exist is not found.

use kerato_domain::identity::Role;
use reqwest::{Method, StatusCode};

use crate::support::{CSRF, TestApp, Who, spawn_app};

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
