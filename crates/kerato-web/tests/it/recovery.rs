//! Password recovery over HTTP: the pages and the JSON API answer alike
//! for known and unknown addresses, a link e-mailed over SMTP works once,
//! the rate limit holds, an administrator's temporary password must be
//! changed before anything else, and bad input changes nothing.

use kerato_domain::identity::Role;
use kerato_http::mail::Mailer;
use kerato_http::testing::smtp_sink;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{ADMIN, CSRF, PASSWORD, TestApp, Who, spawn_app};

const NEW: &str = "a brand new passphrase";
const DESK: &str = "front_desk@lakeside.example";

/// Delivers the outbox over SMTP; the path of the reset link in the last
/// reset message, checked to be absolute on the server's public address.
async fn mailed_link(t: &TestApp) -> String {
    let (url, inbox) = smtp_sink().await;
    let mailer = Mailer::from_url(&url, "kerato@clinic.example").unwrap();
    t.app.deliver_outbox(&mailer, 100).await.unwrap();
    let messages = inbox.lock().unwrap().clone();
    let message = messages
        .iter()
        .map(|m| m.replace("=\n", ""))
        .rfind(|m| m.contains("Subject: Choose a new password"))
        .expect("a reset message");
    let at = message
        .find("http://127.0.0.1:8080/password/reset/")
        .unwrap()
        + 21;
    message[at..at + 16 + 64].to_string()
}

/// An anonymous browser's form post (CSRF cookie and field, no session).
async fn post_form(
    t: &TestApp,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut all = vec![("csrf", CSRF)];
    all.extend_from_slice(fields);
    t.client
        .post(t.url(path))
        .header("cookie", cookie)
        .form(&all)
        .send()
        .await
        .unwrap()
}

async fn get(t: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    t.client
        .get(t.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

async fn post_json(
    t: &TestApp,
    path: &str,
    cookie: &str,
    body: &Value,
) -> (StatusCode, Value, Option<String>) {
    let resp = t
        .client
        .post(t.url(path))
        .header("cookie", cookie)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let set = resp
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string());
    (status, resp.json().await.unwrap(), set)
}

fn jar() -> String {
    format!("kerato_csrf={CSRF}")
}

/// Signs in through the sign-in form: the status, where it leads, and the
/// cookie header of the session it started.
async fn sign_in(t: &TestApp, email: &str, password: &str) -> (StatusCode, String, String) {
    let resp = post_form(
        t,
        "/login",
        &jar(),
        &[("email", email), ("password", password)],
    )
    .await;
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let session = resp
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .unwrap_or_default();
    (status, location, format!("{}; {session}", jar()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset_through_the_pages() {
    let t = spawn_app().await;
    let login = get(&t, "/login", &jar()).await.text().await.unwrap();
    assert!(login.contains(r#"href="/password/forgot""#));
    assert_eq!(
        get(&t, "/password/forgot", &jar()).await.status(),
        StatusCode::OK
    );

    // Known and unknown addresses get the very same page.
    let known = post_form(&t, "/password/forgot", &jar(), &[("email", DESK)]).await;
    assert_eq!(known.status(), StatusCode::OK);
    let known = known.text().await.unwrap();
    let unknown = post_form(
        &t,
        "/password/forgot",
        &jar(),
        &[("email", "nobody@lakeside.example")],
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::OK);
    assert_eq!(known, unknown.text().await.unwrap());
    assert!(known.contains("within 30 minutes"));
    let bad = post_form(
        &t,
        "/password/forgot",
        &jar(),
        &[("email", "not an address")],
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("is not an e-mail address")
    );

    let link = mailed_link(&t).await;
    // Opening the link shows the form, as often as it is opened.
    for _ in 0..2 {
        let page = get(&t, &link, &jar()).await;
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.text().await.unwrap().contains("Choose a new password"));
    }
    let cases = [
        (NEW, "a brand new passphrasE", "differ"),
        ("too short", "too short", "at least 12"),
        ("passwordpassword", "passwordpassword", "commonly used"),
    ];
    for (password, again, says) in cases {
        let resp = post_form(
            &t,
            &link,
            &jar(),
            &[
                ("new_password", password),
                ("new_password_confirmation", again),
            ],
        )
        .await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = resp.text().await.unwrap();
        assert!(page.contains(says), "{page}");
        assert!(
            !page.contains(password),
            "a password came back into the page"
        );
    }
    let resp = post_form(
        &t,
        &link,
        &jar(),
        &[("new_password", NEW), ("new_password_confirmation", NEW)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.text().await.unwrap().contains("Password changed"));
    // Once only.
    let again = post_form(
        &t,
        &link,
        &jar(),
        &[("new_password", NEW), ("new_password_confirmation", NEW)],
    )
    .await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert!(again.text().await.unwrap().contains("/password/forgot"));
    assert_eq!(get(&t, &link, &jar()).await.status(), StatusCode::GONE);
    assert_eq!(
        get(&t, "/password/reset/not-a-token", &jar())
            .await
            .status(),
        StatusCode::GONE
    );

    // The old password is gone; the new one still leads to the second factor.
    let (status, _, _) = sign_in(&t, DESK, PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, location, _) = sign_in(&t, DESK, NEW).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/login/enrol")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_answers_alike_for_every_address_and_holds_the_limit() {
    let t = spawn_app().await;
    // A second between requests orders the messages, so "the newest link"
    // is well defined.
    let ask = |email: &'static str| {
        let t = &t;
        async move {
            t.clock.advance_secs(1);
            post_json(t, "/api/password/forgot", &jar(), &json!({"email": email})).await
        }
    };
    let (s1, known, _) = ask(DESK).await;
    let (s2, unknown, _) = ask("nobody@lakeside.example").await;
    assert_eq!((s1, s2), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
    assert_eq!(known, unknown);
    let link = mailed_link(&t).await;
    let token = link.trim_start_matches("/password/reset/");

    for _ in 0..2 {
        assert_eq!(ask(DESK).await.0, StatusCode::ACCEPTED);
        assert_eq!(ask("nobody@lakeside.example").await.0, StatusCode::ACCEPTED);
    }
    let (s1, known, _) = ask(DESK).await;
    let (s2, unknown, _) = ask("nobody@lakeside.example").await;
    assert_eq!(
        (s1, s2),
        (StatusCode::TOO_MANY_REQUESTS, StatusCode::TOO_MANY_REQUESTS)
    );
    assert_eq!(known, unknown, "the limit tells the addresses apart");
    assert_eq!(known["error"], "too_many_requests");

    let (status, body, _) = post_json(
        &t,
        "/api/password/forgot",
        &jar(),
        &json!({"email": DESK, "extra": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // The newest of the three links works; the first was replaced by it.
    let newest = mailed_link(&t).await;
    let newest = newest.trim_start_matches("/password/reset/");
    let reset = |token: &str, password: &str| {
        let body = json!({"token": token, "new_password": password});
        let t = &t;
        async move { post_json(t, "/api/password/reset", &jar(), &body).await }
    };
    let (status, body, _) = reset(token, NEW).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert_eq!(body["error"], "gone");
    let (status, body, _) = reset(newest, "short").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["fields"][0]["field"], "new_password");
    let (status, body, _) = reset(&"ab".repeat(32), NEW).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    let (status, body, _) = reset(newest, NEW).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(reset(newest, NEW).await.0, StatusCode::GONE);
    let (status, location, _) = sign_in(&t, DESK, NEW).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/login/enrol")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temporary_password_opens_only_the_password_change() {
    let t = spawn_app().await;
    let admin = t.app.unsafe_caller_for(t.user(ADMIN).id).await.unwrap();
    // Without a second factor here, the password change comes straight
    // after the password (with one, it comes after the code).
    t.app
        .set_security_settings(&admin, false, 15)
        .await
        .unwrap();
    let desk = t.user(Who::Role(Role::FrontDesk)).id;
    let (_, _, desk_session) = sign_in(&t, DESK, PASSWORD).await;
    assert_eq!(
        get(&t, "/api/locations", &desk_session).await.status(),
        StatusCode::OK
    );

    let path = format!("/api/users/{desk}/password-reset");
    let admin_cookie = format!(
        "{}; kerato_session={}",
        jar(),
        t.session(ADMIN).await.unwrap()
    );
    let (status, body, _) = post_json(&t, &path, &admin_cookie, &json!({"mode": "bogus"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["fields"][0]["field"], "mode");
    let desk_cookie = format!(
        "{}; kerato_session={}",
        jar(),
        t.session(Who::Role(Role::FrontDesk)).await.unwrap()
    );
    let (status, _, _) = post_json(&t, &path, &desk_cookie, &json!({"mode": "link"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let own = format!("/api/users/{}/password-reset", t.user(ADMIN).id);
    let (status, _, _) = post_json(&t, &own, &admin_cookie, &json!({"mode": "link"})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, body, _) = post_json(
        &t,
        &path,
        &admin_cookie,
        &json!({"mode": "temporary_password"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let temporary = body["temporary_password"].as_str().unwrap().to_string();
    assert_eq!(
        get(&t, "/api/locations", &desk_session).await.status(),
        StatusCode::UNAUTHORIZED,
        "a session outlived the reset"
    );

    let (status, location, pending) = sign_in(&t, DESK, &temporary).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/login/password")
    );
    // Pages lead to the change; the API says what to do.
    let page = get(&t, "/locations", &pending).await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()["location"], "/login/password");
    let api = get(&t, "/api/locations", &pending).await;
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    let problem: Value = api.json().await.unwrap();
    assert_eq!(problem["error"], "password_change_required");
    assert!(
        problem["message"]
            .as_str()
            .unwrap()
            .contains("/api/account/password")
    );
    let form = get(&t, "/login/password", &pending).await;
    assert_eq!(form.status(), StatusCode::OK);
    assert!(
        form.text()
            .await
            .unwrap()
            .contains("Choose your own password")
    );

    // The page refuses a mismatch; the API a wrong current password.
    let resp = post_form(
        &t,
        "/login/password",
        &pending,
        &[
            ("current_password", &temporary),
            ("new_password", NEW),
            ("new_password_confirmation", "something else entirely"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body, _) = post_json(
        &t,
        "/api/account/password",
        &pending,
        &json!({"current_password": "not it at all", "new_password": NEW}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["fields"][0]["field"], "current_password");
    let (status, body, fresh) = post_json(
        &t,
        "/api/account/password",
        &pending,
        &json!({"current_password": temporary, "new_password": NEW}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let fresh = format!("{}; {}", jar(), fresh.unwrap());
    assert_eq!(
        get(&t, "/api/locations", &fresh).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get(&t, "/api/locations", &pending).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, location, _) = sign_in(&t, DESK, NEW).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_reset_from_the_staff_page() {
    let t = spawn_app().await;
    let desk = t.user(Who::Role(Role::FrontDesk)).id;
    let page = t
        .req(Method::GET, &format!("/admin/users/{desk}"), ADMIN)
        .await
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("E-mail a reset link") && page.contains("Set a temporary password"));
    let path = format!("/admin/users/{desk}/password-reset");
    let resp = t.form(&path, ADMIN, &[("mode", "link")]).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("Reset link sent") && text.contains(DESK),
        "{text}"
    );
    let link = mailed_link(&t).await;
    assert_eq!(get(&t, &link, &jar()).await.status(), StatusCode::OK);

    let resp = t
        .form(&path, ADMIN, &[("mode", "temporary_password")])
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    let at = text.find("<code>").unwrap() + 6;
    let temporary = &text[at..at + 23];
    // The link sent before is spent by the temporary password.
    assert_eq!(get(&t, &link, &jar()).await.status(), StatusCode::GONE);
    let (status, location, _) = sign_in(&t, DESK, temporary).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/login/enrol")
    );
    let resp = t.form(&path, ADMIN, &[("mode", "")]).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp = t
        .form(&path, Who::Role(Role::FrontDesk), &[("mode", "link")])
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_ones_own_password_needs_the_current_one_and_ends_other_sessions() {
    let t = spawn_app().await;
    let who = Who::Role(Role::Billing);
    let token = t.session(who).await.unwrap();
    let other = t.session(who).await.unwrap();
    let cookie = format!("{}; kerato_session={token}", jar());
    let change = |current: &'static str, new: &'static str, again: &'static str| {
        let t = &t;
        let cookie = cookie.clone();
        async move {
            post_form(
                t,
                "/account/password",
                &cookie,
                &[
                    ("current_password", current),
                    ("new_password", new),
                    ("new_password_confirmation", again),
                ],
            )
            .await
        }
    };
    let resp = change("wrong wrong wrong", NEW, NEW).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("the current password is not right")
    );
    let resp = change(PASSWORD, NEW, "not the same at all").await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp = change(PASSWORD, NEW, NEW).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let fresh = resp.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    for old in [&token, &other] {
        let c = format!("{}; kerato_session={old}", jar());
        assert_eq!(
            get(&t, "/api/locations", &c).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let c = format!("{}; {fresh}", jar());
    assert_eq!(get(&t, "/api/locations", &c).await.status(), StatusCode::OK);
}
