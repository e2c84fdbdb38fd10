//! Password recovery on the test clock: links by e-mail that work once and
//! for 30 minutes, answers that do not tell who has an account, the rate
//! limits, every session ending, the second factor still asked, the forced
//! change after installation and administrators' resets. E-mail goes
//! through a real SMTP sink.

use kerato_app::AppError;
use kerato_app::identity::{AdminReset, NewPassword, SessionStage, SignIn};
use kerato_domain::identity::{LOCKOUT_THRESHOLD, Role};
use kerato_domain::ids::UserId;
use kerato_domain::password::reset::{self, ResetMode};
use kerato_domain::time::Clock;
use kerato_domain::totp::{DIGITS, TotpSecret, code_for_step, step_at};
use kerato_http::mail::Mailer;
use kerato_http::testing::smtp_sink;
use kerato_store::audit;

use crate::{PASSWORD, World, world};

const NEW: &str = "a brand new passphrase";

fn twice(p: &str) -> NewPassword {
    NewPassword {
        password: p.into(),
        confirmation: Some(p.into()),
    }
}

fn token_of(s: SignIn) -> String {
    match s {
        SignIn::Done(t)
        | SignIn::NeedsCode(t)
        | SignIn::NeedsEnrolment(t)
        | SignIn::NeedsPasswordChange(t) => t.0,
    }
}

/// Delivers the outbox over SMTP to a fresh sink; the reset messages it
/// got (invitations go too, unread), with quoted-printable soft line
/// breaks undone.
async fn deliver(w: &World) -> Vec<String> {
    let (url, inbox) = smtp_sink().await;
    let mailer = Mailer::from_url(&url, "kerato@clinic.example").unwrap();
    w.app.deliver_outbox(&mailer, 100).await.unwrap();
    let messages = inbox.lock().unwrap().clone();
    messages
        .iter()
        .map(|m| m.replace("=\n", ""))
        .filter(|m| m.contains("Subject: Choose a new password"))
        .collect()
}

/// The token of the reset link in a message.
fn link_token(message: &str) -> String {
    let at = message.find("/password/reset/").expect("a reset link") + "/password/reset/".len();
    message[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

/// Asks for a link for `email` and returns its token, from the e-mail.
async fn reset_link(w: &World, email: &str, ip: &str) -> String {
    w.app
        .request_password_reset(email, Some(ip.into()))
        .await
        .unwrap();
    let mail = deliver(w).await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert!(mail[0].contains(&format!("To: {email}")), "{}", mail[0]);
    link_token(&mail[0])
}

/// The details of every audit event, oldest first.
async fn audit_details(w: &World) -> Vec<(Option<String>, String, Option<String>)> {
    let mut tx = w.app.store().read().await.unwrap();
    audit::events_after(&mut tx, 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e.event.resource_id,
                e.event.outcome.as_str().to_string(),
                e.event.detail,
            )
        })
        .collect()
}

async fn audit_text(w: &World) -> String {
    let mut tx = w.app.store().read().await.unwrap();
    format!(
        "{:?}",
        audit::events_after(&mut tx, 0, 10_000).await.unwrap()
    )
}

/// Enrols `email` through the real flow; returns the secret and leaves
/// the clock 30 seconds on, so the next code is a fresh one.
async fn enrol(w: &World, email: &str, password: &str) -> TotpSecret {
    let t = token_of(w.app.sign_in(email, password, None).await.unwrap());
    let e = w.app.start_enrolment(&t).await.unwrap();
    let secret = TotpSecret::from_base32(&e.secret_base32).unwrap();
    let code = code_for_step(&secret, step_at(w.clock.now()), DIGITS);
    w.app.confirm_enrolment(&t, &code).await.unwrap();
    w.clock.advance_secs(30);
    secret
}

/// Signs in with password and code; returns the signed-in token.
async fn sign_in_with_code(w: &World, email: &str, password: &str, secret: &TotpSecret) -> String {
    let first = w.app.sign_in(email, password, None).await.unwrap();
    assert!(matches!(first, SignIn::NeedsCode(_)), "{first:?}");
    let code = code_for_step(secret, step_at(w.clock.now()), DIGITS);
    let full = w.app.submit_code(&token_of(first), &code).await.unwrap();
    w.clock.advance_secs(30);
    full.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_works_once_and_for_thirty_minutes() {
    let w = world().await;
    w.user("desk@capital.example", Role::FrontDesk, &[]).await;
    w.app
        .request_password_reset("Desk@Capital.example ", Some("192.0.2.1".into()))
        .await
        .unwrap();
    let mail = deliver(&w).await;
    assert_eq!(mail.len(), 1);
    // An absolute link on the server's public address.
    assert!(
        mail[0].contains("http://127.0.0.1:8080/password/reset/"),
        "{}",
        mail[0]
    );
    assert!(mail[0].contains("Kerato at Capital Derm"), "{}", mail[0]);
    let token = link_token(&mail[0]);
    assert_eq!(token.len(), 64);

    // Opening the link (as a mail scanner would) does not spend it.
    w.app.check_reset_link(&token).await.unwrap();
    w.app.check_reset_link(&token).await.unwrap();
    w.clock.advance_secs(30 * 60 - 1);
    w.app
        .reset_password(&token, &twice(NEW), None)
        .await
        .unwrap();
    assert!(matches!(
        w.app
            .reset_password(&token, &twice("yet another passphrase"), None)
            .await,
        Err(AppError::Gone(_))
    ));
    assert!(matches!(
        w.app.check_reset_link(&token).await,
        Err(AppError::Gone(_))
    ));
    assert!(
        w.app
            .sign_in("desk@capital.example", PASSWORD, None)
            .await
            .is_err()
    );
    assert!(
        w.app
            .sign_in("desk@capital.example", NEW, None)
            .await
            .is_ok()
    );

    // A second link, left until 30:01, is refused and changes nothing.
    w.clock.advance_secs(3600);
    let late = reset_link(&w, "desk@capital.example", "192.0.2.1").await;
    w.clock.advance_secs(30 * 60 + 1);
    assert!(matches!(
        w.app.check_reset_link(&late).await,
        Err(AppError::Gone(_))
    ));
    assert!(matches!(
        w.app
            .reset_password(&late, &twice("yet another passphrase"), None)
            .await,
        Err(AppError::Gone(_))
    ));
    assert!(
        w.app
            .sign_in("desk@capital.example", NEW, None)
            .await
            .is_ok()
    );

    // A newer link replaces an older one.
    w.clock.advance_secs(3600);
    let older = reset_link(&w, "desk@capital.example", "192.0.2.1").await;
    let newer = reset_link(&w, "desk@capital.example", "192.0.2.1").await;
    assert!(matches!(
        w.app.check_reset_link(&older).await,
        Err(AppError::Gone(_))
    ));
    w.app.check_reset_link(&newer).await.unwrap();
    // Neither token reached the audit trail.
    let trail = audit_text(&w).await;
    for t in [&token, &late, &older, &newer] {
        assert!(!trail.contains(t.as_str()), "a token is in the audit trail");
    }
    assert!(!trail.contains(NEW), "a password is in the audit trail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answer_does_not_tell_whether_an_address_has_an_account() {
    let w = world().await;
    let desk = w.user("desk@capital.example", Role::FrontDesk, &[]).await;
    let gone = w.user("former@capital.example", Role::FrontDesk, &[]).await;
    w.deactivate(gone.id).await;
    let known = w
        .app
        .request_password_reset("desk@capital.example", Some("192.0.2.1".into()))
        .await;
    let unknown = w
        .app
        .request_password_reset("nobody@capital.example", Some("192.0.2.1".into()))
        .await;
    let deactivated = w
        .app
        .request_password_reset("former@capital.example", Some("192.0.2.1".into()))
        .await;
    assert!(known.is_ok() && unknown.is_ok() && deactivated.is_ok());
    // Only the active account got a message.
    let mail = deliver(&w).await;
    assert_eq!(mail.len(), 1);
    assert!(mail[0].contains("To: desk@capital.example"));
    // The trail tells them apart, for the practice's eyes only.
    let details = audit_details(&w).await;
    let n = details.len();
    assert_eq!(
        details[n - 3],
        (
            Some(desk.id.to_string()),
            "allowed".into(),
            Some("password reset link e-mailed".into())
        )
    );
    for d in &details[n - 2..] {
        assert_eq!(d.1, "denied");
        assert_eq!(
            d.2.as_deref(),
            Some("password reset not sent: no active account uses the address")
        );
    }
    // Something that is not an address is refused as such, whoever asks.
    match w
        .app
        .request_password_reset(&"x".repeat(300), Some("192.0.2.1".into()))
        .await
    {
        Err(AppError::Validation(e)) => assert!(e.for_field("email").is_some()),
        other => panic!("{other:?}"),
    }
}

/// Known and unknown addresses take the same time to answer: a queued
/// message must not show in the response time. Medians of 7 each, the
/// attempts alternating so background load hits both alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_and_unknown_addresses_take_the_same_time() {
    let w = world().await;
    w.user("timing@capital.example", Role::Billing, &[]).await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..14 {
        // A moving clock and distinct clients keep the rate limits away.
        w.clock.advance_secs(3600);
        let (email, samples) = if i % 2 == 0 {
            ("nobody.here@capital.example", &mut unknown)
        } else {
            ("timing@capital.example", &mut known)
        };
        let started = std::time::Instant::now();
        w.app
            .request_password_reset(email, Some(format!("198.51.100.{i}")))
            .await
            .unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_holds_per_address_and_per_client() {
    let w = world().await;
    w.user("desk@capital.example", Role::FrontDesk, &[]).await;
    // Three per address per hour, from any client, known address or not.
    for email in ["desk@capital.example", "nobody@capital.example"] {
        for i in 0..reset::PER_ADDRESS {
            w.app
                .request_password_reset(email, Some(format!("192.0.2.{i}")))
                .await
                .unwrap();
        }
        match w
            .app
            .request_password_reset(email, Some("192.0.2.99".into()))
            .await
        {
            Err(AppError::TooManyRequests(m)) => assert_eq!(m, reset::TOO_MANY),
            other => panic!("{email}: {other:?}"),
        }
    }
    assert_eq!(
        deliver(&w).await.len(),
        3,
        "the limit let a fourth link out"
    );
    // Ten per client per hour, whatever the addresses.
    for i in 0..reset::PER_CLIENT {
        w.app
            .request_password_reset(
                &format!("someone{i}@elsewhere.example"),
                Some("203.0.113.5".into()),
            )
            .await
            .unwrap();
    }
    assert!(matches!(
        w.app
            .request_password_reset("fresh@elsewhere.example", Some("203.0.113.5".into()))
            .await,
        Err(AppError::TooManyRequests(_))
    ));
    let refused = audit_details(&w)
        .await
        .into_iter()
        .filter(|d| {
            d.2.as_deref() == Some("password reset refused: too many requests in the last hour")
        })
        .count();
    assert_eq!(refused, 3);
    // The window slides: an hour later both may ask again.
    w.clock.advance_secs(3600);
    w.app
        .request_password_reset("desk@capital.example", Some("203.0.113.5".into()))
        .await
        .unwrap();
    assert_eq!(deliver(&w).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_ends_every_session_clears_the_lockout_and_still_asks_for_the_code() {
    let w = world().await;
    w.user("tech@capital.example", Role::Technician, &[]).await;
    let secret = enrol(&w, "tech@capital.example", PASSWORD).await;
    let one = sign_in_with_code(&w, "tech@capital.example", PASSWORD, &secret).await;
    let two = sign_in_with_code(&w, "tech@capital.example", PASSWORD, &secret).await;
    let token = reset_link(&w, "tech@capital.example", "192.0.2.1").await;
    w.app
        .reset_password(&token, &twice(NEW), None)
        .await
        .unwrap();
    for t in [&one, &two] {
        assert!(
            w.app.authenticate(t, None).await.is_err(),
            "a session outlived the reset"
        );
    }
    // The two above and the one enrolment signed in.
    let details = audit_details(&w).await;
    assert_eq!(
        details.last().unwrap().2.as_deref(),
        Some("password reset with an e-mailed link; 3 sessions ended")
    );
    // Locked out by failures, a reset lets the user straight back in, and
    // the second factor is still asked.
    for _ in 0..LOCKOUT_THRESHOLD {
        let _ = w
            .app
            .sign_in("tech@capital.example", "not the password", None)
            .await;
    }
    assert!(
        w.app
            .sign_in("tech@capital.example", NEW, None)
            .await
            .is_err()
    );
    let token = reset_link(&w, "tech@capital.example", "192.0.2.1").await;
    w.app
        .reset_password(&token, &twice("a third good passphrase"), None)
        .await
        .unwrap();
    let full = sign_in_with_code(
        &w,
        "tech@capital.example",
        "a third good passphrase",
        &secret,
    )
    .await;
    w.app.authenticate(&full, None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let w = world().await;
    w.app
        .set_security_settings(&w.admin, false, 15)
        .await
        .unwrap();
    w.user("desk@capital.example", Role::FrontDesk, &[]).await;
    let token = reset_link(&w, "desk@capital.example", "192.0.2.1").await;
    let long = "word ".repeat(30);
    let cases: Vec<(NewPassword, &str, &str)> = vec![
        (twice("short one"), "new_password", "at least 12"),
        (twice("passwordpassword"), "new_password", "commonly used"),
        (twice(&long), "new_password", "at most 128"),
        (twice("desk-lantern-orchard"), "new_password", "your name"),
        (
            NewPassword {
                password: NEW.into(),
                confirmation: Some("a brand new passphrasE".into()),
            },
            "new_password_confirmation",
            "differ",
        ),
    ];
    for (input, field, says) in cases {
        match w.app.reset_password(&token, &input, None).await {
            Err(AppError::Validation(e)) => {
                let m = e.for_field(field).unwrap_or_else(|| panic!("{e}"));
                assert!(m.contains(says), "{m}");
            }
            other => panic!("{other:?}"),
        }
        // The link still works and the old password still signs in.
        w.app.check_reset_link(&token).await.unwrap();
    }
    assert!(matches!(
        w.app.sign_in("desk@capital.example", PASSWORD, None).await,
        Ok(SignIn::Done(_))
    ));
    for garbage in [
        String::new(),
        "zz".into(),
        "ab".repeat(32),
        format!("{token}0"),
        token.to_uppercase().replace(char::is_numeric, "g"),
        "../../etc/passwd".into(),
    ] {
        assert!(
            matches!(
                w.app.reset_password(&garbage, &twice(NEW), None).await,
                Err(AppError::Gone(_))
            ),
            "{garbage}"
        );
    }
    let refused = audit_details(&w)
        .await
        .into_iter()
        .filter(|d| d.2.as_deref() == Some("password reset refused: unknown, used or expired link"))
        .count();
    assert_eq!(refused, 6);
    w.app
        .reset_password(&token, &twice(NEW), None)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_administrator_chooses_a_password_after_the_second_factor() {
    let w = world().await;
    let owner = "owner@capital.example";
    // The administrator's role requires MFA: enrolment comes first.
    let first = w.app.sign_in(owner, PASSWORD, None).await.unwrap();
    assert!(matches!(first, SignIn::NeedsEnrolment(_)));
    let t = token_of(first);
    let e = w.app.start_enrolment(&t).await.unwrap();
    let secret = TotpSecret::from_base32(&e.secret_base32).unwrap();
    let code = code_for_step(&secret, step_at(w.clock.now()), DIGITS);
    let (pending, _) = w.app.confirm_enrolment(&t, &code).await.unwrap();
    w.clock.advance_secs(30);
    // Then the password, and nothing else.
    assert_eq!(
        w.app.sign_in_stage(&pending.0).await.unwrap(),
        Some(SessionStage::Password)
    );
    assert!(matches!(
        w.app.authenticate(&pending.0, None).await,
        Err(AppError::PasswordChangeRequired)
    ));
    let refusals = [
        ("the wrong one", twice(NEW), "current_password"),
        (PASSWORD, twice(PASSWORD), "new_password"),
        (PASSWORD, twice("short"), "new_password"),
    ];
    for (current, new, field) in refusals {
        match w
            .app
            .change_own_password(&pending.0, None, current, &new)
            .await
        {
            Err(AppError::Validation(e)) => assert!(e.for_field(field).is_some(), "{e}"),
            other => panic!("{other:?}"),
        }
    }
    let full = w
        .app
        .change_own_password(&pending.0, Some("192.0.2.8".into()), PASSWORD, &twice(NEW))
        .await
        .unwrap();
    w.app.authenticate(&full.0, None).await.unwrap();
    assert!(w.app.authenticate(&pending.0, None).await.is_err());
    // The printed password no longer works; the next sign-in is an ordinary one.
    assert!(w.app.sign_in(owner, PASSWORD, None).await.is_err());
    let again = sign_in_with_code(&w, owner, NEW, &secret).await;
    w.app.authenticate(&again, None).await.unwrap();
    let trail = audit_text(&w).await;
    assert!(trail.contains("chose a new password at sign-in, as required"));
    assert!(trail.contains("password changed at sign-in"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_send_a_link_or_set_a_temporary_password() {
    let w = world().await;
    w.app
        .set_security_settings(&w.admin, false, 15)
        .await
        .unwrap();
    let desk = w.user("desk@capital.example", Role::FrontDesk, &[]).await;
    let session = token_of(
        w.app
            .sign_in("desk@capital.example", PASSWORD, None)
            .await
            .unwrap(),
    );

    // A link: sessions end at once, the message says who asked.
    match w
        .app
        .reset_user_password(&w.admin, desk.id, ResetMode::Link)
        .await
        .unwrap()
    {
        AdminReset::LinkSent { email, expires_at } => {
            assert_eq!(email, "desk@capital.example");
            assert_eq!(expires_at, reset::expires_at(w.clock.now()));
        }
        other => panic!("{other:?}"),
    }
    assert!(w.app.authenticate(&session, None).await.is_err());
    let mail = deliver(&w).await;
    assert!(mail[0].contains("An administrator asked"), "{}", mail[0]);
    let link = link_token(&mail[0]);

    // A temporary password: shown once, the open link is spent, and the
    // user must choose their own before anything else.
    let AdminReset::TemporaryPassword(temporary) = w
        .app
        .reset_user_password(&w.admin, desk.id, ResetMode::TemporaryPassword)
        .await
        .unwrap()
    else {
        panic!("no temporary password")
    };
    assert_eq!(temporary.len(), 23);
    assert!(matches!(
        w.app.check_reset_link(&link).await,
        Err(AppError::Gone(_))
    ));
    assert!(
        w.app
            .sign_in("desk@capital.example", PASSWORD, None)
            .await
            .is_err()
    );
    let pending = w
        .app
        .sign_in("desk@capital.example", &temporary, None)
        .await
        .unwrap();
    let SignIn::NeedsPasswordChange(pending) = pending else {
        panic!("{pending:?}")
    };
    assert!(matches!(
        w.app.authenticate(&pending.0, None).await,
        Err(AppError::PasswordChangeRequired)
    ));
    let full = w
        .app
        .change_own_password(&pending.0, None, &temporary, &twice(NEW))
        .await
        .unwrap();
    w.app.authenticate(&full.0, None).await.unwrap();
    assert!(matches!(
        w.app.sign_in("desk@capital.example", NEW, None).await,
        Ok(SignIn::Done(_))
    ));
    let trail = audit_text(&w).await;
    assert!(
        trail.contains(r#"{\"password\":\"temporary_password\"}"#),
        "{trail}"
    );
    assert!(
        !trail.contains(&temporary),
        "the temporary password is in the trail"
    );

    // Who may not: another role, oneself, another practice, a deactivated
    // account.
    let desk_caller = w.app.unsafe_caller_for(desk.id).await.unwrap();
    let admin_id: UserId = w.admin_user.id;
    assert!(matches!(
        w.app
            .reset_user_password(&desk_caller, admin_id, ResetMode::TemporaryPassword)
            .await,
        Err(AppError::Forbidden(_))
    ));
    assert!(matches!(
        w.app
            .reset_user_password(&w.admin, admin_id, ResetMode::Link)
            .await,
        Err(AppError::Conflict(_))
    ));
    let (_, stranger) = w
        .app
        .unsafe_add_tenant(
            "Elsewhere Eye",
            kerato_domain::tenancy::OrganisationKind::Practice,
            "boss@elsewhere.example",
            "Bea Boss",
            PASSWORD,
        )
        .await
        .unwrap();
    assert!(matches!(
        w.app
            .reset_user_password(&w.admin, stranger.id, ResetMode::TemporaryPassword)
            .await,
        Err(AppError::Forbidden(_))
    ));
    assert!(
        w.app
            .sign_in("boss@elsewhere.example", PASSWORD, None)
            .await
            .is_ok(),
        "another practice's password changed"
    );
    w.deactivate(desk.id).await;
    assert!(matches!(
        w.app
            .reset_user_password(&w.admin, desk.id, ResetMode::Link)
            .await,
        Err(AppError::Conflict(_))
    ));
}
