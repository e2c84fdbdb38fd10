//! E-mail from the site over real SMTP to a local sink: the outbox is
//! delivered once, retried with backoff; campaigns reach only contacts who
//! agreed, and carry a one-click unsubscribe (RFC 8058) that works without
//! cookies and is not triggered by merely opening the link.

use kerato_core::consent::{Purpose, Source};
use kerato_site::consents::{self, Subject};
use kerato_site::demo_requests::{Specialty, ValidDemo};
use kerato_site::mail::{self, Mailer};
use kerato_site::marketing::{self, CampaignInput, SendReport};
use kerato_site::{SiteError, demo_requests};

use crate::{NOW, TestSite, smtp_sink, spawn};

/// The value of a header in a raw message, with folded lines joined.
fn header(raw: &str, name: &str) -> Option<String> {
    let head = raw.split("\n\n").next().unwrap_or("");
    let mut unfolded: Vec<String> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = unfolded.last_mut() {
                last.push_str(line);
            }
        } else {
            unfolded.push(line.to_string());
        }
    }
    let prefix = format!("{}:", name.to_ascii_lowercase());
    unfolded
        .into_iter()
        .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
        .map(|l| l[prefix.len()..].trim().to_string())
}

async fn marketing_granted(t: &TestSite, email: &str) -> bool {
    let mut tx = t.site.store.read().await.unwrap();
    consents::is_granted(&mut tx, Subject::contact(email), Purpose::MarketingEmail)
        .await
        .unwrap()
}

async fn sign_up(t: &TestSite, name: &str, email: &str) {
    let (status, location) = t
        .post(
            "/newsletter",
            "/newsletter",
            &[("name", name), ("email", email), ("consent", "yes")],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/newsletter/thanks"));
}

fn demo(email: &str) -> ValidDemo {
    ValidDemo {
        name: "Ann Lee".into(),
        email: email.into(),
        phone: None,
        practice_name: "Lee Eye Care".into(),
        specialty: Specialty::EyeCare,
        message: None,
    }
}

fn campaign(subject: &str) -> CampaignInput {
    CampaignInput {
        kind: "marketing".into(),
        subject: subject.into(),
        body: "Kerato 3.2 reads OCT scans straight from the device.".into(),
    }
}

/// A port on loopback where nothing listens.
async fn closed_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("smtp://127.0.0.1:{port}")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_acknowledgement_is_delivered_over_smtp_once() {
    let t = spawn().await;
    let fields = [
        ("name", "Ann Lee"),
        ("email", "Ann@LeeEye.example"),
        ("practice_name", "Lee Eye Care"),
        ("specialty", "eye_care"),
    ];
    let (status, _) = t.post("/demo", "/demo", &fields).await;
    assert_eq!(status, 303);
    let (url, inbox) = smtp_sink().await;
    let mailer = Mailer::from_url(&url, "Kerato <info@kerato.example>").unwrap();
    assert_eq!(
        mail::deliver_outbox(&t.site, &mailer, 10).await.unwrap(),
        (1, 0)
    );
    assert_eq!(
        mail::deliver_outbox(&t.site, &mailer, 10).await.unwrap(),
        (0, 0)
    );
    let inbox = inbox.lock().unwrap().clone();
    assert_eq!(inbox.len(), 1);
    assert_eq!(
        header(&inbox[0], "To").as_deref(),
        Some("ann@leeeye.example")
    );
    assert_eq!(
        header(&inbox[0], "Subject").as_deref(),
        Some("Your Kerato demo request")
    );
    assert!(inbox[0].contains("Dear Ann Lee"));
    assert!(header(&inbox[0], "List-Unsubscribe").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_campaign_reaches_only_consenting_contacts_and_unsubscribes_in_one_click() {
    let t = spawn().await;
    sign_up(&t, "Ann Lee", "Ann@LeeEye.example").await;
    sign_up(&t, "Cleo Park", "cleo@park.example").await;
    // Cleo withdrew earlier through the portal; Bob came from a trade fair
    // list and never agreed.
    let mut tx = t.site.store.write().await.unwrap();
    consents::record(
        &mut tx,
        Subject::contact("cleo@park.example"),
        Purpose::MarketingEmail,
        false,
        Source::Portal,
        None,
        NOW,
    )
    .await
    .unwrap();
    kerato_db::execute!(
        &mut tx,
        sqlx::query(
            "INSERT INTO marketing_contacts (id, email, name, source, created_at, last_interaction_at) \
             VALUES ('c-bob', 'bob@fair.example', 'Bob', 'staff', $1, $1)"
        )
        .bind(NOW.as_micros())
    )
    .unwrap();
    tx.commit().await.unwrap();

    let id = marketing::create_campaign(&t.site, "staff:1", &campaign("Kerato 3.2"))
        .await
        .unwrap();
    let report = marketing::send_campaign(&t.site, "staff:1", &id)
        .await
        .unwrap();
    assert_eq!(
        report,
        SendReport {
            queued: 1,
            skipped_no_consent: 1,
            skipped_opted_out: 1
        }
    );
    assert_eq!(t.count("campaign_sends").await, 1);
    let again = marketing::send_campaign(&t.site, "staff:1", &id).await;
    assert!(
        matches!(&again, Err(SiteError::Conflict(m)) if m.contains("sent only once")),
        "{again:?}"
    );
    assert_eq!(t.count("campaign_sends").await, 1);

    let (url, inbox) = smtp_sink().await;
    let mailer = Mailer::from_url(&url, "Kerato <info@kerato.example>").unwrap();
    assert_eq!(
        mail::deliver_outbox(&t.site, &mailer, 10).await.unwrap(),
        (1, 0)
    );
    let raw = inbox.lock().unwrap()[0].clone();
    assert_eq!(header(&raw, "To").as_deref(), Some("ann@leeeye.example"));
    let public = format!("{}/unsubscribe/", t.site.config.public_url);
    let list = header(&raw, "List-Unsubscribe").unwrap();
    let start = list.find(&public).unwrap();
    let token = &list[start + public.len()..start + public.len() + 64];
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(
        list,
        format!("<{public}{token}>, <mailto:info@kerato.example?subject=unsubscribe>")
    );
    assert_eq!(
        header(&raw, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(
        raw.contains(&format!("{public}{token}")),
        "no link in the body"
    );
    let path = format!("{}/unsubscribe/{token}", t.url);

    // A client without cookies, like a mail client or a link scanner.
    let bare = reqwest::Client::new();
    let page = bare.get(&path).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains(">Unsubscribe</button>"));
    assert!(page.contains("name=\"List-Unsubscribe\" value=\"One-Click\""));
    assert!(
        marketing_granted(&t, "ann@leeeye.example").await,
        "a GET unsubscribed"
    );

    let wrong = bare
        .post(&path)
        .body("unsubscribe=please")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("List-Unsubscribe=One-Click")
    );
    assert!(marketing_granted(&t, "ann@leeeye.example").await);

    for _ in 0..2 {
        let done = bare
            .post(&path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 200);
        assert!(done.text().await.unwrap().contains("You are unsubscribed"));
    }
    assert!(!marketing_granted(&t, "ann@leeeye.example").await);
    let mut tx = t.site.store.read().await.unwrap();
    let history = consents::history(&mut tx, Subject::contact("ann@leeeye.example"))
        .await
        .unwrap();
    assert_eq!(history.len(), 2, "a repeated unsubscribe recorded again");
    assert_eq!(history[1].source, Source::Link);
    let (contact_id,): (String,) = kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT id FROM marketing_contacts WHERE email = 'ann@leeeye.example'"
    )
    .fetch_one(&mut **c)
    .await)
    .unwrap();
    let events = kerato_site::audit::about(&mut tx, &format!("marketing_contact:{contact_id}"))
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "marketing_contact.subscribed",
            "marketing_contact.unsubscribed"
        ]
    );
    drop(tx);
    assert!(kerato_site::audit::verify(&t.site.store).await.is_ok());

    let unknown = bare
        .post(format!("{}/unsubscribe/{}", t.url, "0".repeat(64)))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(unknown.text().await.unwrap().contains("not one we sent"));
    let unknown = bare
        .get(format!("{}/unsubscribe/nope", t.url))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    let next = marketing::create_campaign(&t.site, "staff:1", &campaign("Kerato 3.3"))
        .await
        .unwrap();
    let report = marketing::send_campaign(&t.site, "staff:1", &next)
        .await
        .unwrap();
    assert_eq!(
        report,
        SendReport {
            queued: 0,
            skipped_no_consent: 1,
            skipped_opted_out: 2
        }
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_delivery_is_retried_with_backoff_and_given_up_after_eight_attempts() {
    let t = spawn().await;
    demo_requests::receive(&t.site, &demo("ann@leeeye.example"))
        .await
        .unwrap();
    let broken = Mailer::from_url(&closed_port().await, "info@kerato.example").unwrap();
    assert_eq!(
        mail::deliver_outbox(&t.site, &broken, 10).await.unwrap(),
        (0, 1)
    );
    let row = || async {
        let mut tx = t.site.store.read().await.unwrap();
        let r: (i64, i64, Option<String>, Option<i64>) = kerato_db::on_tx!(tx, c => sqlx::query_as(
            "SELECT attempts, next_attempt_at, last_error, sent_at FROM site_outbox"
        )
        .fetch_one(&mut **c)
        .await)
        .unwrap();
        r
    };
    let (attempts, next, error, sent) = row().await;
    assert_eq!((attempts, sent), (1, None));
    assert_eq!(
        next,
        t.site.now().as_micros() + 60_000_000,
        "one minute later"
    );
    assert!(error.unwrap().contains("smtp"));
    // Not due yet: nothing is tried, even with a working relay.
    let (url, inbox) = smtp_sink().await;
    let working = Mailer::from_url(&url, "info@kerato.example").unwrap();
    assert_eq!(
        mail::deliver_outbox(&t.site, &working, 10).await.unwrap(),
        (0, 0)
    );
    t.clock.advance_secs(61);
    assert_eq!(
        mail::deliver_outbox(&t.site, &working, 10).await.unwrap(),
        (1, 0)
    );
    assert_eq!(inbox.lock().unwrap().len(), 1);
    let (attempts, _, error, sent) = row().await;
    assert_eq!((attempts, error), (2, None));
    assert!(sent.is_some());

    // A message that never gets through is given up after eight attempts.
    let t = spawn().await;
    demo_requests::receive(&t.site, &demo("bob@fair.example"))
        .await
        .unwrap();
    for _ in 0..10 {
        mail::deliver_outbox(&t.site, &broken, 10).await.unwrap();
        t.clock.advance_secs(7 * 3600);
    }
    let mut tx = t.site.store.read().await.unwrap();
    let (attempts, next): (i64, i64) = kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT attempts, next_attempt_at FROM site_outbox"
    )
    .fetch_one(&mut **c)
    .await)
    .unwrap();
    assert_eq!((attempts, next), (8, i64::MAX));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_at_once_send_each_message_once() {
    let t = spawn().await;
    for i in 0..6 {
        demo_requests::receive(&t.site, &demo(&format!("p{i}@clinic.example")))
            .await
            .unwrap();
    }
    let (url, inbox) = smtp_sink().await;
    let mailer = Mailer::from_url(&url, "info@kerato.example").unwrap();
    let (a, b) = tokio::join!(
        mail::deliver_outbox(&t.site, &mailer, 10),
        mail::deliver_outbox(&t.site, &mailer, 10)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.0 + b.0, a.1 + b.1), (6, 0));
    let inbox = inbox.lock().unwrap().clone();
    let mut ids: Vec<String> = inbox
        .iter()
        .map(|m| header(m, "Message-ID").unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!((inbox.len(), ids.len()), (6, 6));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_newsletter_form_refuses_bad_input_and_never_assumes_consent() {
    let t = spawn().await;
    let good = [
        ("name", "Ann Lee"),
        ("email", "ann@leeeye.example"),
        ("practice", "Lee Eye Care"),
        ("consent", "yes"),
    ];
    let page = t.get("/newsletter").await.1;
    assert!(page.contains("type=\"checkbox\" id=\"consent\" name=\"consent\" value=\"yes\">"));
    let long = "x".repeat(5000);
    let cases: Vec<(&str, &str, &str)> = vec![
        ("consent", "", "tick the box"),
        ("consent", "true", "tick the box"),
        ("name", "", "enter your name"),
        ("email", "ann at lee", "enter an e-mail address like"),
        ("email", "", "enter an e-mail address"),
        ("practice", long.as_str(), "shorten it to 150"),
        ("name", long.as_str(), "shorten it to 100"),
    ];
    for (field, value, message) in cases {
        let fields: Vec<(&str, &str)> = good
            .iter()
            .map(|(k, v)| if *k == field { (*k, value) } else { (*k, *v) })
            .collect();
        let (status, body) = t.post("/newsletter", "/newsletter", &fields).await;
        assert_eq!(status, 422, "{field}");
        assert!(body.contains(message), "{field}: {message} not in the page");
        assert!(body.contains("Nothing was saved"), "{field}");
    }
    // Missing fields altogether: the box is not ticked, so no consent.
    let (status, body) = t
        .post(
            "/newsletter",
            "/newsletter",
            &[("email", "ann@leeeye.example")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("tick the box"));
    let script = "<script>alert(1)</script>";
    let (status, body) = t
        .post(
            "/newsletter",
            "/newsletter",
            &[("name", script), ("email", script)],
        )
        .await;
    assert_eq!(status, 422);
    assert!(!body.contains(script), "echoed unescaped");
    let huge = "y".repeat(70 * 1024);
    let (status, _) = t
        .post("/newsletter", "/newsletter", &[("name", huge.as_str())])
        .await;
    assert_eq!(status, 413);
    let r = t
        .client
        .post(format!("{}/newsletter", t.url))
        .form(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no CSRF token");
    let r = t
        .client
        .post(format!("{}/newsletter", t.url))
        .json(&serde_json::json!({"email": "ann@leeeye.example", "consent": "yes"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(t.count("marketing_contacts").await, 0);
    assert_eq!(t.count("site_consents").await, 0);
    assert_eq!(t.count("site_audit").await, 0);

    sign_up(&t, "Ann Lee", "ann@leeeye.example").await;
    assert!(marketing_granted(&t, "ann@leeeye.example").await);
    assert_eq!(t.count("site_consents").await, 1);
    // Signing up again updates the contact without a second consent row.
    sign_up(&t, "Ann B. Lee", "ann@leeeye.example").await;
    assert_eq!(
        (
            t.count("marketing_contacts").await,
            t.count("site_consents").await
        ),
        (1, 1)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn campaigns_are_checked_before_they_are_stored() {
    let t = spawn().await;
    let bad = CampaignInput {
        kind: "spam".into(),
        subject: String::new(),
        body: "x".repeat(20_001),
    };
    let Err(SiteError::Validation(e)) = marketing::create_campaign(&t.site, "staff:1", &bad).await
    else {
        panic!("a bad campaign was accepted");
    };
    for field in ["kind", "subject", "body"] {
        assert!(e.for_field(field).is_some(), "{field} not reported");
    }
    assert_eq!(t.count("campaigns").await, 0);
    let missing = marketing::send_campaign(&t.site, "staff:1", "nope").await;
    assert!(matches!(missing, Err(SiteError::NotFound)));
}
