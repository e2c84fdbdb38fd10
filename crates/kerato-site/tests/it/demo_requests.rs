//! The demo request form: a good request is stored, acknowledged and
//! audited; bad input is refused field by field and nothing is stored.

use crate::spawn;

const GOOD: &[(&str, &str)] = &[
    ("name", "Ann Lee"),
    ("email", "Ann@LeeEye.example"),
    ("phone", "518-555-0100"),
    ("practice_name", "Lee Eye Care"),
    ("specialty", "eye_care"),
    ("message", "Two locations, one optical shop."),
];

#[tokio::test(flavor = "multi_thread")]
async fn a_request_is_stored_acknowledged_and_audited() {
    let t = spawn().await;
    let (status, location) = t.post("/demo", "/demo", GOOD).await;
    assert_eq!((status, location.as_str()), (303, "/demo/thanks"));
    assert_eq!(t.count("demo_requests").await, 1);
    let mut tx = t.site.store.read().await.unwrap();
    let all = kerato_site::demo_requests::all(&mut tx).await.unwrap();
    assert_eq!(all[0].email, "ann@leeeye.example");
    let (recipient, subject): (String, String) = kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT recipient, subject FROM site_outbox WHERE kind = 'demo_ack'"
    )
    .fetch_one(&mut **c)
    .await)
    .unwrap();
    assert_eq!(recipient, "ann@leeeye.example");
    assert!(subject.contains("demo request"));
    let events = kerato_site::audit::about(&mut tx, &format!("demo_request:{}", all[0].id))
        .await
        .unwrap();
    assert_eq!(events[0].action, "demo_request.received");
    drop(tx);
    assert_eq!(kerato_site::audit::verify(&t.site.store).await, Ok(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_with_clear_messages_and_nothing_is_stored() {
    let t = spawn().await;
    let long = "x".repeat(5000);
    let cases: Vec<(&str, &str, &str)> = vec![
        ("name", "", "enter your name"),
        ("email", "not-an-address", "enter an e-mail address like"),
        ("phone", "call me", "7 to 15 digits"),
        ("practice_name", long.as_str(), "shorten it to 150"),
        ("specialty", "neurosurgery", "choose the kind of practice"),
        ("message", long.as_str(), "shorten it to 2000"),
    ];
    for (field, value, message) in cases {
        let fields: Vec<(&str, &str)> = GOOD
            .iter()
            .map(|(k, v)| if *k == field { (*k, value) } else { (*k, *v) })
            .collect();
        let (status, body) = t.post("/demo", "/demo", &fields).await;
        assert_eq!(status, 422, "{field}");
        assert!(body.contains(message), "{field}: {message} not in the page");
        assert!(body.contains("Nothing was saved"), "{field}");
    }
    // Script injection is stored as text and shown escaped, never run.
    let script = "<script>alert(1)</script>";
    let fields: Vec<(&str, &str)> = GOOD
        .iter()
        .map(|(k, v)| {
            if *k == "email" {
                (*k, "bad")
            } else if *k == "name" {
                (*k, script)
            } else {
                (*k, *v)
            }
        })
        .collect();
    let (_, body) = t.post("/demo", "/demo", &fields).await;
    assert!(!body.contains(script), "the name was echoed unescaped");
    assert!(body.contains("&#60;script&#62;") || body.contains("&lt;script&gt;"));
    // An oversized body and a form without its CSRF token.
    let huge = "y".repeat(70 * 1024);
    let (status, body) = t
        .post("/demo", "/demo", &[("message", huge.as_str())])
        .await;
    assert_eq!(status, 413, "{body}");
    let r = t
        .client
        .post(format!("{}/demo", t.url))
        .form(GOOD)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("reload the page"));
    let r = t
        .client
        .post(format!("{}/demo", t.url))
        .json(&serde_json::json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(t.count("demo_requests").await, 0);
    assert_eq!(t.count("site_outbox").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_consent_registry_keeps_history_and_the_latest_answer_wins() {
    use kerato_core::consent::{Purpose, Source};
    use kerato_site::consents::{self, Subject};
    let t = spawn().await;
    let who = Subject::contact("ann@leeeye.example");
    let mut tx = t.site.store.write().await.unwrap();
    assert!(
        !consents::is_granted(&mut tx, who, Purpose::MarketingEmail)
            .await
            .unwrap()
    );
    consents::record(
        &mut tx,
        who,
        Purpose::MarketingEmail,
        true,
        Source::Form,
        Some("1"),
        crate::NOW,
    )
    .await
    .unwrap();
    assert!(
        consents::is_granted(&mut tx, who, Purpose::MarketingEmail)
            .await
            .unwrap()
    );
    // Withdrawn in the same microsecond: still recorded after, so it wins.
    consents::record(
        &mut tx,
        who,
        Purpose::MarketingEmail,
        false,
        Source::Link,
        None,
        crate::NOW,
    )
    .await
    .unwrap();
    assert!(
        !consents::is_granted(&mut tx, who, Purpose::MarketingEmail)
            .await
            .unwrap()
    );
    assert_eq!(consents::history(&mut tx, who).await.unwrap().len(), 2);
    assert!(
        !consents::is_granted(
            &mut tx,
            Subject::visitor("ann@leeeye.example"),
            Purpose::MarketingEmail
        )
        .await
        .unwrap(),
        "subjects of another kind are apart"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pasted_patient_data_is_redacted_when_stored_and_never_sent_back() {
    let t = spawn().await;
    let ssn = "219-09-9999";
    let pasted = "Our patient SSN 219-09-9999 could not be booked.";
    // Stored redacted, with the removal audited by counts only.
    let fields: Vec<(&str, &str)> = GOOD
        .iter()
        .map(|(k, v)| {
            if *k == "message" {
                (*k, pasted)
            } else {
                (*k, *v)
            }
        })
        .collect();
    assert_eq!(t.post("/demo", "/demo", &fields).await.0, 303);
    let mut tx = t.site.store.read().await.unwrap();
    let (message,): (Option<String>,) = kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT message FROM demo_requests"
    )
    .fetch_one(&mut **c)
    .await)
    .unwrap();
    let message = message.unwrap();
    assert!(message.contains("[redacted: Social Security number]") && !message.contains(ssn));
    let id = kerato_site::demo_requests::all(&mut tx).await.unwrap()[0]
        .id
        .clone();
    let events = kerato_site::audit::about(&mut tx, &format!("demo_request:{id}"))
        .await
        .unwrap();
    assert!(events.iter().any(|e| e.action == "demo_request.redacted"
        && e.detail.as_deref() == Some("1 Social Security number")));
    drop(tx);

    // A form refused for another reason comes back without the number.
    let bad: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| {
            if *k == "email" {
                (*k, "nope")
            } else {
                (*k, *v)
            }
        })
        .collect();
    let (status, page) = t.post("/demo", "/demo", &bad).await;
    assert_eq!(status, 422);
    assert!(!page.contains(ssn), "the demo form sent the SSN back");
    let (status, page) = t
        .post(
            "/privacy-center",
            "/privacy-center",
            &[
                ("name", "Ann"),
                ("email", "nope"),
                ("kind", "access"),
                ("details", pasted),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(!page.contains(ssn), "the privacy center sent the SSN back");
    let owner = crate::accounts::sign_up(&t, "ann@leeeye.example").await;
    let (status, page) = owner
        .post(
            "/portal/tickets/new",
            "/portal/tickets/new",
            &[("subject", ""), ("message", pasted)],
        )
        .await;
    assert_eq!(status, 422);
    assert!(!page.contains(ssn), "the ticket form sent the SSN back");
    assert!(page.contains("[redacted: Social Security number]"));
}
