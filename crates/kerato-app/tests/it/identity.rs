//! Sign-in, lockout, MFA, sessions and break-glass, all on the test clock.

use kerato_app::AppError;
use kerato_app::identity::{SIGN_IN_FAILED, SignIn};
use kerato_domain::identity::{LOCKOUT_MICROS, MINUTE_MICROS, Role};
use kerato_domain::ids::PatientId;
use kerato_domain::time::Clock;
use kerato_domain::totp::{DIGITS, TotpSecret, code_for_step, step_at};
use kerato_store::audit;

use crate::{PASSWORD, location_input, world};

fn token(s: SignIn) -> String {
    match s {
        SignIn::Done(t)
        | SignIn::NeedsCode(t)
        | SignIn::NeedsEnrolment(t)
        | SignIn::NeedsPasswordChange(t) => t.0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_failures_lock_the_account_for_fifteen_minutes() {
    let w = world().await;
    w.app
        .set_security_settings(&w.admin, false, 15)
        .await
        .unwrap();
    w.user("billing@capital.example", Role::Billing, &[]).await;
    for _ in 0..5 {
        let err = w
            .app
            .sign_in("billing@capital.example", "wrong password here", None)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), SIGN_IN_FAILED);
    }
    // Locked: even the right password fails, with the same message.
    let err = w
        .app
        .sign_in("billing@capital.example", PASSWORD, None)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), SIGN_IN_FAILED);
    w.clock.advance_micros(LOCKOUT_MICROS - 1);
    assert!(
        w.app
            .sign_in("billing@capital.example", PASSWORD, None)
            .await
            .is_err()
    );
    w.clock.advance_micros(1);
    assert!(matches!(
        w.app
            .sign_in("billing@capital.example", PASSWORD, None)
            .await
            .unwrap(),
        SignIn::Done(_)
    ));
    // Four failures then a success reset the count.
    for _ in 0..4 {
        let _ = w
            .app
            .sign_in("billing@capital.example", "nope nope nope", None)
            .await;
    }
    assert!(
        w.app
            .sign_in("billing@capital.example", PASSWORD, None)
            .await
            .is_ok()
    );
    let _ = w
        .app
        .sign_in("billing@capital.example", "nope nope nope", None)
        .await;
    assert!(
        w.app
            .sign_in("billing@capital.example", PASSWORD, None)
            .await
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_users_get_the_same_answer_and_are_audited() {
    let w = world().await;
    let err = w
        .app
        .sign_in(
            "nobody@capital.example",
            PASSWORD,
            Some("198.51.100.7".into()),
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), SIGN_IN_FAILED);
    let mut tx = w.app.store().read().await.unwrap();
    let last = audit::events_after(&mut tx, 0, 1000)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(last.event.action.as_str(), "login_failed");
    assert_eq!(last.event.source_ip.as_deref(), Some("198.51.100.7"));
    assert_eq!(last.event.detail.as_deref(), Some("unknown e-mail address"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_is_rate_limited() {
    let w = world().await;
    let ip = Some("203.0.113.9".to_string());
    for _ in 0..20 {
        let err = w
            .app
            .sign_in("nobody@capital.example", "x", ip.clone())
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Unauthenticated(_)));
    }
    let err = w
        .app
        .sign_in("owner@capital.example", PASSWORD, ip.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::TooManyRequests(_)), "{err}");
    // Another address is not affected; the window passes.
    assert!(
        w.app
            .sign_in(
                "owner@capital.example",
                PASSWORD,
                Some("203.0.113.10".into())
            )
            .await
            .is_ok()
    );
    w.clock.advance_secs(5 * 60);
    assert!(
        w.app
            .sign_in("owner@capital.example", PASSWORD, ip)
            .await
            .is_ok()
    );
}

/// Enrols the user through the real flow; returns the secret.
async fn enrol(w: &crate::World, email: &str) -> TotpSecret {
    let t = token(w.app.sign_in(email, PASSWORD, None).await.unwrap());
    let e = w.app.start_enrolment(&t).await.unwrap();
    assert!(e.qr_svg.contains("<svg") && e.otpauth_uri.starts_with("otpauth://totp/Kerato:"));
    let secret = TotpSecret::from_base32(&e.secret_base32).unwrap();
    let wrong = w.app.confirm_enrolment(&t, "000000").await;
    assert!(
        matches!(wrong, Err(AppError::Validation(_)))
            || code_for_step(&secret, step_at(w.clock.now()), DIGITS) == "000000"
    );
    let code = code_for_step(&secret, step_at(w.clock.now()), DIGITS);
    let (full, codes) = w.app.confirm_enrolment(&t, &code).await.unwrap();
    assert_eq!(codes.len(), 10);
    w.app.authenticate(&full.0, None).await.unwrap();
    secret
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mfa_rejects_wrong_and_replayed_codes() {
    let w = world().await;
    w.user("tech@capital.example", Role::Technician, &[]).await;
    // MFA is on for everyone by default: the first sign-in must enrol.
    let first = w
        .app
        .sign_in("tech@capital.example", PASSWORD, None)
        .await
        .unwrap();
    assert!(matches!(first, SignIn::NeedsEnrolment(_)));
    // A session that has not passed MFA opens nothing.
    assert!(matches!(
        w.app.authenticate(&token(first), None).await,
        Err(AppError::Unauthenticated(_))
    ));
    let secret = enrol(&w, "tech@capital.example").await;

    let t = w
        .app
        .sign_in("tech@capital.example", PASSWORD, None)
        .await
        .unwrap();
    assert!(matches!(t, SignIn::NeedsCode(_)));
    let t = token(t);
    let now_code = code_for_step(&secret, step_at(w.clock.now()), DIGITS);
    // The code used to confirm enrolment cannot be used again.
    assert!(matches!(
        w.app.submit_code(&t, &now_code).await,
        Err(AppError::Unauthenticated(_))
    ));
    let wrong = if now_code == "123456" {
        "654321"
    } else {
        "123456"
    };
    assert!(w.app.submit_code(&t, wrong).await.is_err());
    w.clock.advance_secs(30);
    let next = code_for_step(&secret, step_at(w.clock.now()), DIGITS);
    let full = w.app.submit_code(&t, &next).await.unwrap();
    w.app.authenticate(&full.0, None).await.unwrap();
    // The pre-MFA token was replaced at sign-in.
    assert!(w.app.authenticate(&t, None).await.is_err());
    // Replay of an accepted code on a new sign-in fails.
    let t2 = token(
        w.app
            .sign_in("tech@capital.example", PASSWORD, None)
            .await
            .unwrap(),
    );
    assert!(w.app.submit_code(&t2, &next).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovery_code_works_once() {
    let w = world().await;
    w.user("optician@capital.example", Role::Optician, &[])
        .await;
    let t = token(
        w.app
            .sign_in("optician@capital.example", PASSWORD, None)
            .await
            .unwrap(),
    );
    let e = w.app.start_enrolment(&t).await.unwrap();
    let secret = TotpSecret::from_base32(&e.secret_base32).unwrap();
    let (_, codes) = w
        .app
        .confirm_enrolment(&t, &code_for_step(&secret, step_at(w.clock.now()), DIGITS))
        .await
        .unwrap();

    let t = token(
        w.app
            .sign_in("optician@capital.example", PASSWORD, None)
            .await
            .unwrap(),
    );
    let full = w
        .app
        .submit_code(&t, &codes[3].to_uppercase())
        .await
        .unwrap();
    w.app.authenticate(&full.0, None).await.unwrap();
    let t = token(
        w.app
            .sign_in("optician@capital.example", PASSWORD, None)
            .await
            .unwrap(),
    );
    assert!(
        w.app.submit_code(&t, &codes[3]).await.is_err(),
        "a recovery code worked twice"
    );
    assert!(w.app.submit_code(&t, &codes[4]).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_when_idle_and_after_twelve_hours() {
    let w = world().await;
    w.app
        .set_security_settings(&w.admin, false, 15)
        .await
        .unwrap();
    w.user("desk@capital.example", Role::FrontDesk, &[]).await;
    let t = token(
        w.app
            .sign_in("desk@capital.example", PASSWORD, None)
            .await
            .unwrap(),
    );
    w.clock.advance_micros(15 * MINUTE_MICROS - 1);
    w.app.authenticate(&t, None).await.unwrap();
    w.clock.advance_micros(15 * MINUTE_MICROS);
    let err = w.app.authenticate(&t, None).await.unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");

    // Kept busy, a session still ends 12 hours after sign-in.
    let t = token(
        w.app
            .sign_in("desk@capital.example", PASSWORD, None)
            .await
            .unwrap(),
    );
    for _ in 0..(12 * 6 - 1) {
        w.clock.advance_micros(10 * MINUTE_MICROS);
        w.app.authenticate(&t, None).await.unwrap();
    }
    w.clock.advance_micros(10 * MINUTE_MICROS);
    assert!(w.app.authenticate(&t, None).await.is_err());

    // The idle limit is configurable up to 30 minutes, no further.
    w.app
        .set_security_settings(&w.admin, false, 30)
        .await
        .unwrap();
    assert!(matches!(
        w.app.set_security_settings(&w.admin, false, 31).await,
        Err(AppError::Validation(_))
    ));
    let t = token(
        w.app
            .sign_in("desk@capital.example", PASSWORD, None)
            .await
            .unwrap(),
    );
    w.clock.advance_micros(29 * MINUTE_MICROS);
    w.app.authenticate(&t, None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_and_password_changes_end_sessions() {
    let w = world().await;
    w.app
        .set_security_settings(&w.admin, false, 15)
        .await
        .unwrap();
    let user = w
        .user("scribe@capital.example", Role::Technician, &[])
        .await;
    let t = token(
        w.app
            .sign_in("scribe@capital.example", PASSWORD, None)
            .await
            .unwrap(),
    );
    let u = w.app.get_user(&w.admin, user.id).await.unwrap();
    let change = kerato_app::identity::UserInput {
        email: u.email.clone(),
        display_name: u.display_name.clone(),
        role: "front_desk".into(),
        locations: vec![],
        all_locations: true,
    };
    w.app
        .update_user(&w.admin, user.id, u.version, &change, true)
        .await
        .unwrap();
    assert!(
        w.app.authenticate(&t, None).await.is_err(),
        "a role change kept the session"
    );

    let t1 = token(
        w.app
            .sign_in("scribe@capital.example", PASSWORD, None)
            .await
            .unwrap(),
    );
    let t2 = token(
        w.app
            .sign_in("scribe@capital.example", PASSWORD, None)
            .await
            .unwrap(),
    );
    let new = |p: &str| kerato_app::identity::NewPassword {
        password: p.into(),
        confirmation: None,
    };
    let weak = w
        .app
        .change_own_password(&t1, None, PASSWORD, &new("password1234"))
        .await;
    assert!(matches!(weak, Err(AppError::Validation(_))));
    let fresh = w
        .app
        .change_own_password(&t1, None, PASSWORD, &new("a much longer new passphrase"))
        .await
        .unwrap();
    assert!(w.app.authenticate(&t1, None).await.is_err());
    assert!(w.app.authenticate(&t2, None).await.is_err());
    w.app.authenticate(&fresh.0, None).await.unwrap();

    let caller = w.app.authenticate(&fresh.0, None).await.unwrap();
    w.app.sign_out_everywhere(&caller).await.unwrap();
    assert!(w.app.authenticate(&fresh.0, None).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn break_glass_opens_a_location_for_an_hour_and_tells_the_privacy_officer() {
    let w = world().await;
    let l1 = w
        .app
        .create_location(&w.admin, &location_input("North").validate().unwrap())
        .await
        .unwrap();
    let l2 = w
        .app
        .create_location(&w.admin, &location_input("South").validate().unwrap())
        .await
        .unwrap();
    let doc = w
        .user("doc@capital.example", Role::Physician, &[l1.id.to_string()])
        .await;
    let officer = w
        .user("privacy@capital.example", Role::PrivacyOfficer, &[])
        .await;
    let doc_caller = w.app.unsafe_caller_for(doc.id).await.unwrap();

    assert!(matches!(
        w.app.get_location(&doc_caller, l2.id).await,
        Err(AppError::Forbidden(_))
    ));
    let short = w
        .app
        .open_emergency_access(&doc_caller, l2.id, "help")
        .await;
    assert!(matches!(short, Err(AppError::Validation(_))));
    w.app
        .open_emergency_access(
            &doc_caller,
            l2.id,
            "patient collapsed in the South waiting room",
        )
        .await
        .unwrap();

    let t = w.app.unsafe_session_for(doc.id).await.unwrap();
    let with_grant = w.app.authenticate(&t.0, None).await.unwrap();
    w.app.get_location(&with_grant, l2.id).await.unwrap();
    let mut tx = w.app.store().read().await.unwrap();
    let last = audit::events_after(&mut tx, 0, 10_000)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert!(last.event.emergency, "an emergency read was not flagged");
    drop(tx);

    let officer_caller = w.app.unsafe_caller_for(officer.id).await.unwrap();
    let inbox = w.app.inbox(&officer_caller).await.unwrap();
    assert!(inbox[0].1.contains("South") && inbox[0].1.contains("collapsed"));
    let mut tx = w.app.store().read().await.unwrap();
    let queued = kerato_store::outbox::queued_emails(&mut tx).await.unwrap();
    assert!(
        queued
            .iter()
            .any(|(to, subject)| to == "privacy@capital.example"
                && subject == "Emergency access opened"),
        "{queued:?}"
    );
    drop(tx);
    assert_eq!(w.app.emergency_log(&officer_caller).await.unwrap().len(), 1);

    w.clock.advance_secs(3600);
    let t = w.app.unsafe_session_for(doc.id).await.unwrap();
    let expired = w.app.authenticate(&t.0, None).await.unwrap();
    assert!(matches!(
        w.app.get_location(&expired, l2.id).await,
        Err(AppError::Forbidden(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_accounting_covers_six_years() {
    let w = world().await;
    let biller = w.user("billing@capital.example", Role::Billing, &[]).await;
    let biller = w.app.unsafe_caller_for(biller.id).await.unwrap();
    let patient = PatientId::new(w.clock.now(), [7; 10]);
    let input = |day: &str, to: &str| {
        use kerato_domain::input::ParseInput;
        kerato_domain::privacy::DisclosureInput::parse(kerato_domain::privacy::RawDisclosure {
            patient: patient.to_string(),
            disclosed_on: day.into(),
            recipient: to.into(),
            purpose: "payment".into(),
            description: "claim with diagnosis codes".into(),
        })
        .unwrap()
    };
    // The test clock stands in mid-2026.
    w.app
        .record_disclosure(&biller, &input("2019-01-10", "Old Insurer"))
        .await
        .unwrap();
    w.app
        .record_disclosure(&biller, &input("2024-03-01", "Acme Health Plan"))
        .await
        .unwrap();
    let future = w
        .app
        .record_disclosure(&biller, &input("2999-01-01", "Nobody"))
        .await;
    assert!(matches!(future, Err(AppError::Validation(_))));
    let rows = w
        .app
        .accounting_of_disclosures(&biller, patient)
        .await
        .unwrap();
    assert_eq!(
        rows.iter()
            .map(|(r, _)| r.recipient.as_str())
            .collect::<Vec<_>>(),
        vec!["Acme Health Plan"]
    );
    assert_eq!(rows[0].1, "Test Billing");
    // The front desk records no disclosures.
    let desk = w.user("desk@capital.example", Role::FrontDesk, &[]).await;
    let desk = w.app.unsafe_caller_for(desk.id).await.unwrap();
    assert!(matches!(
        w.app.accounting_of_disclosures(&desk, patient).await,
        Err(AppError::Forbidden(_))
    ));
}

/// An unknown address and a wrong password must cost the same: otherwise
/// response times tell an attacker which accounts exist. Attempts alternate
/// so background load hits both sides alike; medians of 15 each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_users_and_wrong_passwords_take_the_same_time() {
    let w = world().await;
    w.user("timing@capital.example", Role::Billing, &[]).await;
    let mut unknown = Vec::new();
    let mut wrong = Vec::new();
    for i in 0..31 {
        // Distinct addresses and a moving clock keep the rate limit and the
        // lockout out of the way; both cases must hash either way.
        w.clock.advance_secs(16 * 60);
        let ip = Some(format!("192.0.2.{i}"));
        let (email, samples) = if i % 2 == 0 {
            ("nobody.here@capital.example", &mut unknown)
        } else {
            ("timing@capital.example", &mut wrong)
        };
        let started = std::time::Instant::now();
        let err = w
            .app
            .sign_in(email, "definitely not it", ip)
            .await
            .unwrap_err();
        samples.push(started.elapsed().as_secs_f64());
        assert_eq!(err.to_string(), SIGN_IN_FAILED);
    }
    let (u, p, diff) = kerato_http::testing::median_gap(&mut unknown, &mut wrong);
    assert!(
        diff < 0.10,
        "unknown user {:.1} ms vs wrong password {:.1} ms: {:.0}% apart",
        u * 1e3,
        p * 1e3,
        diff * 100.0
    );
}
