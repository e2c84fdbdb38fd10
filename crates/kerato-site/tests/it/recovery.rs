//! Password recovery and changes on the vendor site, for customers and
//! vendor staff: a link works once and for 30 minutes, every address gets
//! the same answer, the rate limit holds, sessions end, the second factor
//! is still asked, and a signed-in person changes their own password.

use kerato_core::password::reset;
use kerato_core::totp::{self, TotpSecret};
use kerato_http::mail::Mailer;
use kerato_site::accounts::{self, Role};
use kerato_site::mail;

use crate::accounts::{PASSWORD, sign_in, sign_up};
use crate::{Agent, TestSite, smtp_sink, spawn};

const NEW: &str = "a brand new passphrase";

/// The path of the newest reset link e-mailed to `email`, and how many
/// reset messages went to it.
async fn reset_link(t: &TestSite, email: &str) -> (String, usize) {
    let mut tx = t.site.store.read().await.unwrap();
    let bodies: Vec<(String,)> = kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT body FROM site_outbox WHERE recipient = $1 AND kind = 'password_reset' ORDER BY created_at, id"
    )
    .bind(email)
    .fetch_all(&mut **c)
    .await)
    .unwrap();
    let last = &bodies.last().expect("a reset message").0;
    let at = last.find("/password/reset/").unwrap();
    (last[at..at + 16 + 64].to_string(), bodies.len())
}

/// Signs in a fresh browser with a password; the browser, the status and
/// where it leads.
async fn log_in(t: &TestSite, email: &str, password: &str) -> (Agent, u16, String) {
    let a = t.agent();
    let (status, location) = a
        .post(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await;
    (a, status, location)
}

async fn forgot(a: &Agent, email: &str) -> (u16, String) {
    a.post("/password/forgot", "/password/forgot", &[("email", email)])
        .await
}

async fn reset(a: &Agent, link: &str, password: &str, confirm: &str) -> (u16, String) {
    a.post(link, link, &[("password", password), ("confirm", confirm)])
        .await
}

/// Every audit event's action, subject and detail, oldest first.
async fn trail(t: &TestSite) -> Vec<(String, Option<String>, Option<String>)> {
    let mut tx = t.site.store.read().await.unwrap();
    kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT action, subject, detail FROM site_audit ORDER BY seq"
    )
    .fetch_all(&mut **c)
    .await)
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_customer_resets_with_a_link_that_works_once_within_thirty_minutes() {
    let t = spawn().await;
    let first = sign_up(&t, "ann@leeeye.example").await;
    let second = sign_in(&t, "ann@leeeye.example", None).await;
    let (status, login) = t.agent().get("/login").await;
    assert_eq!(status, 200);
    assert!(login.contains(r#"href="/password/forgot""#));

    // Known and unknown addresses get the very same page.
    let a = t.agent();
    let (status, known) = forgot(&a, "Ann@LeeEye.example").await;
    assert_eq!(status, 200);
    let (status, unknown) = forgot(&a, "nobody@leeeye.example").await;
    assert_eq!(status, 200);
    assert_eq!(known, unknown);
    assert!(known.contains("within 30 minutes"));
    let (status, body) = forgot(&a, "not an address").await;
    assert_eq!(status, 422);
    assert!(body.contains("enter an e-mail address like"));

    // The message goes out over SMTP with an absolute link.
    let (url, inbox) = smtp_sink().await;
    let mailer = Mailer::from_url(&url, "Kerato <info@kerato.example>").unwrap();
    mail::deliver_outbox(&t.site, &mailer, 10).await.unwrap();
    let sent = inbox.lock().unwrap().clone();
    let sent: Vec<String> = sent
        .iter()
        .map(|m| m.replace("=\n", ""))
        .filter(|m| m.contains("Subject: Choose a new password"))
        .collect();
    assert_eq!(sent.len(), 1, "only the known address gets a message");
    assert!(sent[0].contains("To: ann@leeeye.example"));
    assert!(sent[0].contains("http://127.0.0.1:8081/password/reset/"));
    let (link, _) = reset_link(&t, "ann@leeeye.example").await;

    // Opening the link shows the form, as often as it is opened.
    for _ in 0..2 {
        let (status, page) = t.agent().get(&link).await;
        assert_eq!(status, 200);
        assert!(page.contains("Choose a new password"));
    }
    let (status, body) = reset(&a, &link, NEW, "a brand new passphrasE").await;
    assert_eq!(status, 422);
    assert!(body.contains("differ"));
    let (status, body) = reset(&a, &link, "too short", "too short").await;
    assert_eq!(status, 422);
    assert!(body.contains("at least 12"));
    t.clock.advance_secs(30 * 60 - 1);
    let (status, body) = reset(&a, &link, NEW, NEW).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Password changed"));
    let (status, body) = reset(&a, &link, NEW, NEW).await;
    assert_eq!(status, 410, "a link worked twice");
    assert!(body.contains("/password/forgot"));
    assert_eq!(t.agent().get(&link).await.0, 410);
    assert_eq!(t.agent().get("/password/reset/not-a-token").await.0, 410);

    // Every session ended; only the new password works.
    for browser in [&first, &second] {
        assert_eq!(browser.get("/portal").await, (303, "/login".to_string()));
    }
    assert_eq!(log_in(&t, "ann@leeeye.example", PASSWORD).await.1, 422);
    let (_, status, location) = log_in(&t, "ann@leeeye.example", NEW).await;
    assert_eq!((status, location.as_str()), (303, "/portal"));

    // A second link, left until 30:01, is refused and changes nothing.
    forgot(&a, "ann@leeeye.example").await;
    let (late, sent) = reset_link(&t, "ann@leeeye.example").await;
    assert_eq!(sent, 2);
    t.clock.advance_secs(30 * 60 + 1);
    assert_eq!(
        reset(
            &a,
            &late,
            "yet another passphrase",
            "yet another passphrase"
        )
        .await
        .0,
        410
    );
    assert_eq!(log_in(&t, "ann@leeeye.example", NEW).await.1, 303);

    // The trail records each step and holds neither token nor password.
    let events = trail(&t).await;
    let actions: Vec<&str> = events.iter().map(|e| e.0.as_str()).collect();
    for expected in [
        "user.password_reset_requested",
        "password_reset.refused",
        "user.password_reset",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing: {actions:?}"
        );
    }
    let done = events
        .iter()
        .find(|e| e.0 == "user.password_reset")
        .unwrap();
    assert_eq!(done.2.as_deref(), Some("2 sessions ended"));
    let text = format!("{events:?}");
    for secret in [&link[16..], &late[16..], NEW] {
        assert!(!text.contains(secret), "{secret} is in the audit trail");
    }
    kerato_site::audit::verify(&t.site.store).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn vendor_staff_still_need_the_second_factor_after_a_reset() {
    let t = spawn().await;
    let secret = TotpSecret::from_bytes([7; 20]);
    accounts::create_staff(
        &t.site,
        "sam@kerato.example",
        "Sam",
        Role::VendorSales,
        PASSWORD,
        &secret,
    )
    .await
    .unwrap();
    let code =
        |t: &TestSite| totp::code_for_step(&secret, totp::step_at(t.site.now()), totp::DIGITS);
    let staff = sign_in(&t, "sam@kerato.example", Some(&secret)).await;
    assert_eq!(staff.get("/staff").await.0, 200);
    t.clock.advance_secs(30);

    // Locked out by failures, then reset by link.
    for _ in 0..5 {
        log_in(&t, "sam@kerato.example", "not the password at all").await;
    }
    let (_, status, _) = log_in(&t, "sam@kerato.example", PASSWORD).await;
    assert_eq!(status, 422, "the lockout did not hold");
    let a = t.agent();
    forgot(&a, "sam@kerato.example").await;
    let (link, _) = reset_link(&t, "sam@kerato.example").await;
    assert_eq!(reset(&a, &link, NEW, NEW).await.0, 200);
    assert_eq!(staff.get("/staff").await, (303, "/login".to_string()));

    // The lock is gone, and the code is still asked.
    let (b, status, location) = log_in(&t, "sam@kerato.example", NEW).await;
    assert_eq!((status, location.as_str()), (303, "/login/mfa"));
    assert_eq!(b.get("/staff").await, (303, "/login/mfa".to_string()));
    let (status, location) = b
        .post("/login/mfa", "/login/mfa", &[("code", &code(&t))])
        .await;
    assert_eq!((status, location.as_str()), (303, "/staff"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rate_limit_holds_and_answers_every_address_alike() {
    let t = spawn().await;
    sign_up(&t, "ann@leeeye.example").await;
    let a = t.agent();
    let mut refusals = Vec::new();
    for email in ["ann@leeeye.example", "nobody@leeeye.example"] {
        for _ in 0..reset::PER_ADDRESS {
            assert_eq!(forgot(&a, email).await.0, 200);
        }
        let (status, body) = forgot(&a, email).await;
        assert_eq!(status, 429, "{email}");
        assert!(body.contains(reset::TOO_MANY));
        refusals.push(body.replace(email, "EMAIL"));
    }
    assert_eq!(
        refusals[0], refusals[1],
        "the limit tells the addresses apart"
    );
    assert_eq!(reset_link(&t, "ann@leeeye.example").await.1, 3);

    // Ten a client an hour, whatever the addresses (six are used above).
    for i in 0..(reset::PER_CLIENT - 6) {
        assert_eq!(
            forgot(&a, &format!("someone{i}@elsewhere.example")).await.0,
            200
        );
    }
    assert_eq!(forgot(&a, "fresh@elsewhere.example").await.0, 429);
    let refused = trail(&t)
        .await
        .into_iter()
        .filter(|e| e.2.as_deref() == Some("too many requests in the last hour"))
        .count();
    assert_eq!(refused, 3);

    // An hour on, the window has slid.
    t.clock.advance_secs(3600);
    assert_eq!(forgot(&a, "ann@leeeye.example").await.0, 200);
    assert_eq!(reset_link(&t, "ann@leeeye.example").await.1, 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn people_change_their_own_password_and_other_sessions_end() {
    let t = spawn().await;
    let owner = sign_up(&t, "ann@leeeye.example").await;
    let elsewhere = sign_in(&t, "ann@leeeye.example", None).await;
    let (status, portal) = owner.get("/portal").await;
    assert_eq!(status, 200);
    assert!(portal.contains(r#"href="/account/password""#));
    assert_eq!(
        t.agent().get("/account/password").await,
        (303, "/login".to_string())
    );
    assert_eq!(owner.get("/account/password").await.0, 200);
    let change = |current: &'static str, new: &'static str, again: &'static str| {
        let owner = owner.clone();
        async move {
            owner
                .post(
                    "/account/password",
                    "/account/password",
                    &[("current", current), ("password", new), ("confirm", again)],
                )
                .await
        }
    };
    let (status, body) = change("not my password", NEW, NEW).await;
    assert_eq!(status, 422);
    assert!(body.contains("the current password is not right"));
    let (status, body) = change(PASSWORD, NEW, "something else entirely").await;
    assert_eq!(status, 422);
    assert!(body.contains("differ"));
    let (status, body) = change(PASSWORD, PASSWORD, PASSWORD).await;
    assert_eq!(status, 422);
    assert!(body.contains("different from the current one"));
    let (status, body) = change(PASSWORD, NEW, NEW).await;
    assert_eq!(status, 200);
    assert!(body.contains("Your password is changed"));
    // This browser carries on with its new session; the other one is out.
    assert_eq!(owner.get("/portal").await.0, 200);
    assert_eq!(elsewhere.get("/portal").await, (303, "/login".to_string()));
    assert_eq!(log_in(&t, "ann@leeeye.example", PASSWORD).await.1, 422);
    assert_eq!(log_in(&t, "ann@leeeye.example", NEW).await.1, 303);
    let events = trail(&t).await;
    assert!(events.iter().any(|e| e.0 == "user.password_changed"));

    // Vendor staff have the same page, linked from their home.
    let staff = crate::accounts::staff(&t, "sam@kerato.example", "Sam", Role::VendorSupport).await;
    let (status, home) = staff.get("/staff").await;
    assert_eq!(status, 200);
    assert!(home.contains(r#"href="/account/password""#));
    let (status, _) = staff
        .post(
            "/account/password",
            "/account/password",
            &[("current", PASSWORD), ("password", NEW), ("confirm", NEW)],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(staff.get("/staff").await.0, 200);
}

/// Known and unknown addresses take the same time to answer: a queued
/// message must not show in the response time. Medians of 7 each, the
/// requests alternating so background load hits both alike.
#[tokio::test(flavor = "multi_thread")]
async fn known_and_unknown_addresses_take_the_same_time() {
    let t = spawn().await;
    sign_up(&t, "ann@leeeye.example").await;
    let a = t.agent();
    let csrf = a.csrf("/password/forgot").await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..14 {
        // A moving clock keeps the rate limits away.
        t.clock.advance_secs(3600);
        let (email, samples) = if i % 2 == 0 {
            ("nobody.here@leeeye.example", &mut unknown)
        } else {
            ("ann@leeeye.example", &mut known)
        };
        let started = std::time::Instant::now();
        let resp = a
            .client
            .post(format!("{}/password/forgot", a.url))
            .form(&[("csrf", csrf.as_str()), ("email", email)])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        samples.push(started.elapsed().as_secs_f64());
    }
    let (k, u, diff) = kerato_http::testing::median_gap(&mut known, &mut unknown);
    assert!(k >= reset::ANSWER_FLOOR.as_secs_f64() && u >= reset::ANSWER_FLOOR.as_secs_f64());
    assert!(
        diff < 0.10,
        "known {:.1} ms vs unknown {:.1} ms: {:.0}% apart",
        k * 1e3,
        u * 1e3,
        diff * 100.0
    );
}
