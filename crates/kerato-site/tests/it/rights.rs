//! The privacy center over HTTP: bad input refused with nothing stored,
//! patient information redacted and the redaction audited, the e-mailed
//! link verifying once within 48 hours, the status page on the shared
//! legal clock, opt-outs fulfilled on verification, and the staff steps.

use kerato_core::consent::{Purpose, Source};
use kerato_core::rights_request::{RequestEvent, RequestState};
use kerato_site::consents::{self, Subject};
use kerato_site::rights;

use crate::{TestSite, spawn};

const GOOD: &[(&str, &str)] = &[
    ("name", "Ann Lee"),
    ("email", "Ann@LeeEye.example"),
    ("kind", "access"),
    ("details", "Please send me what you hold about me."),
];

fn with(field: &str, value: &'static str) -> Vec<(&'static str, &'static str)> {
    GOOD.iter()
        .map(|(k, v)| if *k == field { (*k, value) } else { (*k, *v) })
        .collect()
}

async fn submit(t: &TestSite, fields: &[(&str, &str)]) -> (u16, String) {
    t.post("/privacy-center", "/privacy-center", fields).await
}

/// The token of the newest link of `kind` in the outbox (`verify` or
/// `status`), read from the e-mail as the requester would.
async fn link(t: &TestSite, mail_kind: &str, path: &str) -> String {
    let mut tx = t.site.store.read().await.unwrap();
    let bodies: Vec<(String,)> = kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT body FROM site_outbox WHERE kind = $1 ORDER BY created_at DESC, id DESC"
    )
    .bind(mail_kind)
    .fetch_all(&mut **c)
    .await)
    .unwrap();
    let body = &bodies[0].0;
    let start = body.find(path).unwrap() + path.len();
    body[start..start + 64].to_string()
}

async fn only_request_id(t: &TestSite) -> String {
    let mut tx = t.site.store.read().await.unwrap();
    let (id,): (String,) = kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT id FROM site_rights_requests"
    )
    .fetch_one(&mut **c)
    .await)
    .unwrap();
    id
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_with_clear_messages_and_nothing_is_stored() {
    let t = spawn().await;
    let (status, body) = t.get("/privacy-center").await;
    assert_eq!(status, 200);
    assert!(body.contains("<h1>Privacy center</h1>"));
    let long = "x".repeat(2001);
    let long: &'static str = Box::leak(long.into_boxed_str());
    for (field, value, message) in [
        ("name", "", "enter your name"),
        ("email", "", "enter an e-mail address"),
        ("email", "ann at leeeye", "enter an e-mail address like"),
        ("kind", "", "choose the kind of request"),
        (
            "kind",
            "accounting_of_disclosures",
            "choose the kind of request",
        ),
        ("kind", "sell_everything", "choose the kind of request"),
        ("details", long, "shorten it to 2000"),
    ] {
        let (status, body) = submit(&t, &with(field, value)).await;
        assert_eq!(status, 422, "{field}={value}");
        assert!(body.contains(message), "{field}: {message} not in the page");
        assert!(body.contains("Nothing was saved"), "{field}");
    }
    let script = "<script>alert(1)</script>";
    let mut fields = with("email", "bad");
    fields[0] = ("name", script);
    let (status, body) = submit(&t, &fields).await;
    assert_eq!(status, 422);
    assert!(!body.contains(script), "the name was echoed unescaped");
    assert!(body.contains("&#60;script&#62;") || body.contains("&lt;script&gt;"));
    let r = t
        .client
        .post(format!("{}/privacy-center", t.url))
        .form(GOOD)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no CSRF token");
    for table in ["site_rights_requests", "site_rights_tokens", "site_outbox"] {
        assert_eq!(t.count(table).await, 0, "{table}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ssn_in_the_details_is_redacted_and_the_redaction_audited() {
    let t = spawn().await;
    let (status, body) = submit(
        &t,
        &with(
            "details",
            "My SSN is 123-45-6789, please delete everything.",
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.contains("Check your e-mail"));
    assert!(body.contains("We removed patient information"));
    let id = only_request_id(&t).await;
    let mut tx = t.site.store.read().await.unwrap();
    let (details,): (Option<String>,) = kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT details FROM site_rights_requests"
    )
    .fetch_one(&mut **c)
    .await)
    .unwrap();
    let details = details.unwrap();
    assert!(!details.contains("6789"), "{details}");
    assert!(details.contains("[redacted"), "{details}");
    let events = kerato_site::audit::about(&mut tx, &format!("rights_request:{id}"))
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["rights_request.received", "rights_request.redacted"]
    );
    let note = events[1].detail.as_deref().unwrap();
    assert!(note.contains("Social Security"), "{note}");
    assert!(!note.contains("6789"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_link_verifies_once_and_the_status_page_runs_the_45_day_clock() {
    let t = spawn().await;
    let (status, _) = submit(&t, GOOD).await;
    assert_eq!(status, 200);
    let mut tx = t.site.store.read().await.unwrap();
    let (recipient,): (String,) = kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT recipient FROM site_outbox WHERE kind = 'rights_verify'"
    )
    .fetch_one(&mut **c)
    .await)
    .unwrap();
    drop(tx);
    assert_eq!(recipient, "ann@leeeye.example");
    let token = link(&t, "rights_verify", "/privacy-center/verify/").await;
    let (stored,): (String,) = {
        let mut tx = t.site.store.read().await.unwrap();
        kerato_db::on_tx!(tx, c => sqlx::query_as("SELECT token_hash FROM site_rights_tokens")
            .fetch_one(&mut **c)
            .await)
        .unwrap()
    };
    assert_ne!(stored, token, "only the hash is stored");

    let page = format!("/privacy-center/verify/{token}");
    let (status, body) = t.get(&page).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("Confirm my request"),
        "a scanner's GET verifies nothing"
    );
    let (status, body) = t.post(&page, &page, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("E-mail verified"));
    let status_token = link(&t, "rights_status", "/privacy-center/status/").await;
    assert!(body.contains(&format!("/privacy-center/status/{status_token}")));
    // Single use.
    let (status, body) = t.post("/privacy-center", &page, &[]).await;
    assert_eq!(status, 409);
    assert!(body.contains("already used"));
    assert_eq!(t.get(&page).await.0, 409);
    assert_eq!(t.get("/privacy-center/verify/00ff").await.0, 404);

    let status_page = format!("/privacy-center/status/{status_token}");
    let (status, body) = t.get(&status_page).await;
    assert_eq!(status, 200);
    assert!(body.contains("A copy of my personal information"), "{body}");
    assert!(body.contains("E-mail verified"));
    assert!(body.contains("November 27, 2026"), "received today");
    assert!(body.contains("January 11, 2027"), "due 45 days later");
    assert!(body.contains("45 days left"));
    t.clock.advance_secs(10 * 86_400);
    let (_, body) = t.get(&status_page).await;
    assert!(body.contains("35 days left"));
    assert_eq!(t.get("/privacy-center/status/00ff").await.0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_link_expires_after_48_hours() {
    let t = spawn().await;
    submit(&t, GOOD).await;
    let token = link(&t, "rights_verify", "/privacy-center/verify/").await;
    let page = format!("/privacy-center/verify/{token}");
    t.clock.advance_secs(48 * 3600);
    assert_eq!(t.get(&page).await.0, 200, "still valid at 48 hours");
    t.clock.advance_secs(1);
    let (status, body) = t.get(&page).await;
    assert_eq!(status, 403);
    assert!(body.contains("expired 48 hours after it was sent"));
    let (status, _) = t.post("/privacy-center", &page, &[]).await;
    assert_eq!(status, 403);
    let mut tx = t.site.store.read().await.unwrap();
    let listed = rights::list_requests(&mut tx, t.site.now()).await.unwrap();
    assert_eq!(listed[0].state, RequestState::Received);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_opt_out_request_records_the_consent_on_verification() {
    for (kind, purpose) in [
        ("do_not_sell_share", Purpose::SaleShare),
        ("marketing_opt_out", Purpose::MarketingEmail),
    ] {
        let t = spawn().await;
        submit(&t, &with("kind", kind)).await;
        let who = Subject::contact("ann@leeeye.example");
        {
            let mut tx = t.site.store.read().await.unwrap();
            assert!(consents::history(&mut tx, who).await.unwrap().is_empty());
        }
        let token = link(&t, "rights_verify", "/privacy-center/verify/").await;
        let page = format!("/privacy-center/verify/{token}");
        let (status, body) = t.post(&page, &page, &[]).await;
        assert_eq!(status, 200);
        assert!(body.contains("fulfilled"), "{kind}");
        let mut tx = t.site.store.read().await.unwrap();
        let history = consents::history(&mut tx, who).await.unwrap();
        assert_eq!(history.len(), 1, "{kind}");
        assert_eq!(
            (history[0].purpose, history[0].granted, history[0].source),
            (purpose, false, Source::Form)
        );
        let listed = rights::list_requests(&mut tx, t.site.now()).await.unwrap();
        assert_eq!(listed[0].state, RequestState::Fulfilled);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn staff_steps_go_through_the_engine_and_the_list_is_by_urgency() {
    let t = spawn().await;
    submit(&t, GOOD).await;
    let first = only_request_id(&t).await;
    t.clock.advance_secs(86_400);
    submit(&t, &with("kind", "deletion")).await;
    let token = link(&t, "rights_verify", "/privacy-center/verify/").await;
    let page = format!("/privacy-center/verify/{token}");
    t.post(&page, &page, &[]).await;

    // The first request is not verified: the engine refuses work on it.
    let err = rights::step(&t.site, "staff:1", &first, RequestEvent::StartWork)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("verify the requester's identity"),
        "{err}"
    );
    let err = rights::step(&t.site, "staff:1", "nope", RequestEvent::StartWork)
        .await
        .unwrap_err();
    assert!(matches!(err, kerato_site::SiteError::NotFound));

    let mut tx = t.site.store.read().await.unwrap();
    let listed = rights::list_requests(&mut tx, t.site.now()).await.unwrap();
    drop(tx);
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].request.id, first, "received first, due first");
    assert_eq!((listed[0].days_left, listed[1].days_left), (44, 45));
    let second = listed[1].request.id.clone();

    rights::step(&t.site, "staff:1", &second, RequestEvent::StartWork)
        .await
        .unwrap();
    let now = t.site.now();
    let extended = rights::step(
        &t.site,
        "staff:1",
        &second,
        RequestEvent::Extend {
            reason: "Backups must be searched".into(),
            notice_sent_at: Some(now),
        },
    )
    .await
    .unwrap();
    assert_eq!(extended.state(), RequestState::Extended);
    let mut tx = t.site.store.read().await.unwrap();
    let listed = rights::list_requests(&mut tx, t.site.now()).await.unwrap();
    let second_listed = listed.iter().find(|l| l.request.id == second).unwrap();
    assert_eq!(second_listed.days_left, 90, "extended once to 90 days");
    let actions: Vec<String> =
        kerato_site::audit::about(&mut tx, &format!("rights_request:{second}"))
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.detail.unwrap_or_default())
            .collect();
    drop(tx);
    assert!(
        actions.iter().any(|d| d.starts_with("start_work:")),
        "{actions:?}"
    );
    assert!(
        actions.iter().any(|d| d.starts_with("extend:")),
        "{actions:?}"
    );
    let done = rights::step(
        &t.site,
        "staff:1",
        &second,
        RequestEvent::Fulfil {
            summary: "Deleted the contact record".into(),
        },
    )
    .await
    .unwrap();
    assert_eq!(done.state(), RequestState::Fulfilled);
    assert!(kerato_site::audit::verify(&t.site.store).await.is_ok());
}

/// Submits a request of `kind` for Ann and verifies it by its e-mailed
/// link; returns the request's ID.
async fn verified_request(t: &TestSite, kind: &'static str) -> String {
    // A second apart, so the newest verification e-mail is this one.
    t.clock.advance_secs(1);
    let before = request_ids(t).await;
    let (status, _) = submit(t, &with("kind", kind)).await;
    assert_eq!(status, 200);
    let token = link(t, "rights_verify", "/privacy-center/verify/").await;
    let page = format!("/privacy-center/verify/{token}");
    t.post(&page, &page, &[]).await;
    request_ids(t)
        .await
        .into_iter()
        .find(|id| !before.contains(id))
        .unwrap()
}

async fn request_ids(t: &TestSite) -> Vec<String> {
    let mut tx = t.site.store.read().await.unwrap();
    let rows: Vec<(String,)> =
        kerato_db::on_tx!(tx, c => sqlx::query_as("SELECT id FROM site_rights_requests")
        .fetch_all(&mut **c)
        .await)
        .unwrap();
    rows.into_iter().map(|(id,)| id).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn access_copies_everything_held_and_deletion_keeps_only_what_a_rule_keeps() {
    let t = spawn().await;
    // Ann asked for a demo, reads the newsletter and uses the portal.
    let demo = [
        ("name", "Ann Lee"),
        ("email", "ann@leeeye.example"),
        ("practice_name", "Lee Eye Care"),
        ("specialty", "eye_care"),
    ];
    assert_eq!(t.post("/demo", "/demo", &demo).await.0, 303);
    let news = [
        ("name", "Ann Lee"),
        ("email", "ann@leeeye.example"),
        ("practice", ""),
        ("consent", "yes"),
    ];
    assert_eq!(t.post("/newsletter", "/newsletter", &news).await.0, 303);
    crate::accounts::sign_up(&t, "ann@leeeye.example").await;
    // Someone else's data must not be touched.
    let other = [
        ("name", "Bo"),
        ("email", "bo@x.example"),
        ("practice_name", "Bo"),
        ("specialty", "optical"),
    ];
    assert_eq!(t.post("/demo", "/demo", &other).await.0, 303);

    let access = verified_request(&t, "access").await;
    let copy = rights::access_copy(&t.site, "staff:test", &access)
        .await
        .unwrap();
    let tables: Vec<&str> = copy.iter().map(|s| s.table).collect();
    for table in [
        "demo_requests",
        "marketing_contacts",
        "site_consents",
        "site_users",
        "site_outbox",
        "site_rights_requests",
    ] {
        assert!(
            tables.contains(&table),
            "{table} missing from the copy: {tables:?}"
        );
    }
    let json = serde_json::to_string(&copy).unwrap();
    assert!(
        json.contains("Lee Eye Care") && !json.contains("bo@x.example"),
        "only Ann's data"
    );
    assert!(!json.contains("argon2"), "no password hash in the copy");

    let deletion = verified_request(&t, "deletion").await;
    let erasure = rights::fulfil_deletion(&t.site, "staff:test", &deletion)
        .await
        .unwrap();
    let deleted: Vec<&str> = erasure.deleted.iter().map(|(t, _)| *t).collect();
    assert!(
        deleted.contains(&"demo_requests") && deleted.contains(&"marketing_contacts"),
        "{deleted:?}"
    );
    let summary = erasure.summary();
    assert!(
        summary.contains("kept while the account is open"),
        "{summary}"
    );
    assert!(
        summary.contains("record that we answered them"),
        "{summary}"
    );
    assert_eq!(t.count("demo_requests").await, 1, "Bo's request stays");
    assert_eq!(t.count("marketing_contacts").await, 0);
    assert_eq!(
        t.count("site_users").await,
        1,
        "the open account's user stays"
    );
    let mut tx = t.site.store.read().await.unwrap();
    let listed = rights::list_requests(&mut tx, t.site.now()).await.unwrap();
    let done = listed.iter().find(|l| l.request.id == deletion).unwrap();
    assert_eq!(done.state, RequestState::Fulfilled);
    drop(tx);
    // A second fulfilment is refused by the engine.
    assert!(
        rights::fulfil_deletion(&t.site, "staff:test", &deletion)
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_is_shown_or_deleted_before_the_address_is_verified() {
    let t = spawn().await;
    let (status, _) = submit(&t, &with("kind", "deletion")).await;
    assert_eq!(status, 200);
    let id = only_request_id(&t).await;
    let err = rights::fulfil_deletion(&t.site, "staff:test", &id)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not verified"), "{err}");
    let err = rights::access_copy(&t.site, "staff:test", &id)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a request for"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_requester_downloads_the_copy_once_within_seven_days() {
    let t = spawn().await;
    let news = [
        ("name", "Ann Lee"),
        ("email", "ann@leeeye.example"),
        ("practice", ""),
        ("consent", "yes"),
    ];
    assert_eq!(t.post("/newsletter", "/newsletter", &news).await.0, 303);
    let id = verified_request(&t, "access").await;
    rights::send_access_copy(&t.site, "staff:test", &id)
        .await
        .unwrap();
    let token = link(&t, "rights_download", "/privacy-center/download/").await;
    let page = format!("/privacy-center/download/{token}");
    let (status, body) = t.get(&page).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("Download my data"),
        "a scanner's GET downloads nothing"
    );
    let (status, json) = t.post(&page, &page, &[]).await;
    assert_eq!(status, 200);
    let copy: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(json.contains("ann@leeeye.example"), "{copy}");
    // The page itself is gone now, so the form comes from another page.
    let (status, body) = t.post("/privacy-center", &page, &[]).await;
    assert_eq!(status, 410, "the link works once");
    assert!(body.contains("used"));
    let mut tx = t.site.store.read().await.unwrap();
    let listed = rights::list_requests(&mut tx, t.site.now()).await.unwrap();
    assert_eq!(
        listed.iter().find(|l| l.request.id == id).unwrap().state,
        RequestState::Fulfilled
    );
    drop(tx);

    // A second request's link expires after seven days unused.
    let id = verified_request(&t, "access").await;
    rights::send_access_copy(&t.site, "staff:test", &id)
        .await
        .unwrap();
    let token = link(&t, "rights_download", "/privacy-center/download/").await;
    t.clock.advance_secs(7 * 86_400);
    let page = format!("/privacy-center/download/{token}");
    assert_eq!(t.get(&page).await.0, 200, "still valid at seven days");
    t.clock.advance_secs(1);
    let (status, body) = t.get(&page).await;
    assert_eq!(status, 410);
    assert!(body.contains("expired"));
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_links_go_with_the_usage_logs_and_status_links_stay() {
    use kerato_core::retention::DataClass;
    use kerato_site::retention::{self, utc_date};
    let t = spawn().await;
    let id = verified_request(&t, "access").await;
    rights::send_access_copy(&t.site, "staff:test", &id)
        .await
        .unwrap();
    let tokens = |t: &TestSite| {
        let site = t.site.clone();
        async move {
            let mut tx = site.store.read().await.unwrap();
            let rows: Vec<(String,)> = kerato_db::on_tx!(tx, c => sqlx::query_as(
                "SELECT purpose FROM site_rights_tokens ORDER BY purpose"
            )
            .fetch_all(&mut **c)
            .await)
            .unwrap();
            rows.into_iter().map(|(p,)| p).collect::<Vec<_>>()
        }
    };
    assert_eq!(tokens(&t).await, ["download", "status", "verify"]);
    let day = |n: i64| {
        utc_date(crate::NOW)
            .checked_add(jiff::Span::new().days(n))
            .unwrap()
    };
    // The download link expires after 7 days and the verify link after 2;
    // each is kept 30 days more.
    retention::run(&t.site, day(30), false).await.unwrap();
    assert_eq!(tokens(&t).await, ["download", "status", "verify"]);
    let report = retention::run(&t.site, day(40), false).await.unwrap();
    assert_eq!(tokens(&t).await, ["status"]);
    assert!(report.deleted(DataClass::UsageLogs) >= 2);
}

/// The e-mails of `kind` in the outbox, as (recipient, subject, body),
/// oldest first.
async fn mails(t: &TestSite, kind: &str) -> Vec<(String, String, String)> {
    let mut tx = t.site.store.read().await.unwrap();
    kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT recipient, subject, body FROM site_outbox WHERE kind = $1 ORDER BY created_at, id"
    )
    .bind(kind)
    .fetch_all(&mut **c)
    .await)
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_near_or_past_its_deadline_alarms_the_privacy_staff_once_each() {
    use crate::accounts::{PASSWORD, sign_in};
    use kerato_core::totp::TotpSecret;
    use kerato_site::accounts::{self, Role};
    let t = spawn().await;
    let secret = TotpSecret::from_bytes([9; 20]);
    for (email, name, role) in [
        ("admin@kerato.example", "Ada", Role::VendorAdmin),
        ("support@kerato.example", "Sam", Role::VendorSupport),
    ] {
        accounts::create_staff(&t.site, email, name, role, PASSWORD, &secret)
            .await
            .unwrap();
    }
    let id = verified_request(&t, "access").await;
    // The staff home page, for a fresh sign-in at the clock's time.
    let home = |who: &'static str| {
        let t = &t;
        async move {
            let secret = TotpSecret::from_bytes([9; 20]);
            let agent = sign_in(t, who, Some(&secret)).await;
            agent.get("/staff").await.1
        }
    };
    // 45 days to answer: nothing to say yet.
    assert_eq!(rights::send_alarms(&t.site).await.unwrap(), 0);
    assert!(
        !home("admin@kerato.example")
            .await
            .contains("Privacy request")
    );

    // A week before the deadline: one alarm, once, to those who handle
    // privacy requests.
    t.clock.advance_secs(38 * 86_400);
    assert_eq!(rights::send_alarms(&t.site).await.unwrap(), 1);
    assert_eq!(
        rights::send_alarms(&t.site).await.unwrap(),
        0,
        "each alarm goes out once"
    );
    let sent = mails(&t, "rights_alarm").await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let (to, subject, body) = &sent[0];
    assert_eq!(to, "admin@kerato.example");
    assert_eq!(
        subject,
        "Privacy request due soon: answer by January 11, 2027"
    );
    assert!(
        body.contains("http://127.0.0.1:8081/staff/privacy"),
        "{body}"
    );
    assert!(body.contains(&id), "{body}");
    for private in ["Ann Lee", "ann@leeeye.example"] {
        assert!(!body.contains(private) && !subject.contains(private));
    }
    let page = home("admin@kerato.example").await;
    assert!(
        page.contains("Privacy request due soon: answer by January 11, 2027"),
        "{page}"
    );
    assert!(page.contains("href=\"/staff/privacy\""));
    let page = home("support@kerato.example").await;
    assert!(
        !page.contains("Privacy request"),
        "support staff do not handle privacy requests"
    );

    // Past the deadline: the overdue alarm, once.
    t.clock.advance_secs(8 * 86_400);
    assert_eq!(rights::send_alarms(&t.site).await.unwrap(), 1);
    assert_eq!(rights::send_alarms(&t.site).await.unwrap(), 0);
    let sent = mails(&t, "rights_alarm").await;
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[1].1,
        "Privacy request overdue: it was due by January 11, 2027"
    );
    let page = home("admin@kerato.example").await;
    assert!(page.contains("Privacy request overdue"), "{page}");
    assert!(!page.contains("due soon"), "the alarm that stands is shown");

    // Answered: no more alarms, and nothing on the home page.
    rights::step(&t.site, "staff:1", &id, RequestEvent::StartWork)
        .await
        .unwrap();
    rights::step(
        &t.site,
        "staff:1",
        &id,
        RequestEvent::Fulfil {
            summary: "Copy sent".into(),
        },
    )
    .await
    .unwrap();
    t.clock.advance_secs(86_400);
    assert_eq!(rights::send_alarms(&t.site).await.unwrap(), 0);
    assert!(
        !home("admin@kerato.example")
            .await
            .contains("Privacy request")
    );
    let mut tx = t.site.store.read().await.unwrap();
    let listed = rights::list_requests(&mut tx, t.site.now()).await.unwrap();
    let id: kerato_core::ids::RightsRequestId = id.parse().unwrap();
    let events = kerato_site::audit::about(
        &mut tx,
        &kerato_core::rights_request::alarm_key(
            id,
            kerato_core::rights_request::AlarmKind::DueSoon,
            listed[0].due_at,
        ),
    )
    .await
    .unwrap();
    assert_eq!(events.len(), 1, "the due-soon alarm is audited once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_done_deletion_tells_the_requester_what_was_kept_why_and_until_when() {
    let t = spawn().await;
    let news = [
        ("name", "Ann Lee"),
        ("email", "ann@leeeye.example"),
        ("practice", ""),
        ("consent", "yes"),
    ];
    assert_eq!(t.post("/newsletter", "/newsletter", &news).await.0, 303);
    // Ann's practice closed its account today: its data stays a year.
    let owner = crate::accounts::sign_up(&t, "ann@leeeye.example").await;
    let (status, _) = owner
        .post(
            "/portal/close",
            "/portal/close",
            &[("confirm", "Lee Eye Care")],
        )
        .await;
    assert_eq!(status, 303);
    let id = verified_request(&t, "deletion").await;
    assert!(mails(&t, "rights_outcome").await.is_empty());
    rights::fulfil_deletion(&t.site, "staff:test", &id)
        .await
        .unwrap();
    let told = mails(&t, "rights_outcome").await;
    assert_eq!(told.len(), 1, "{told:?}");
    let (to, subject, body) = &told[0];
    assert_eq!(to, "ann@leeeye.example");
    assert_eq!(subject, "Your deletion request is done");
    assert!(body.contains("Dear Ann Lee"), "{body}");
    assert!(body.contains("We deleted"), "{body}");
    assert!(body.contains("What we kept, why and until when"), "{body}");
    assert!(
        body.contains("kept until 2027-11-27, one year after the account was closed"),
        "{body}"
    );
    assert!(
        body.contains("kept as the record that we answered them"),
        "{body}"
    );
}
