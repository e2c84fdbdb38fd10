//! The first sign-in after `kerato init`, with the real binary: the printed
//! password leads through the authenticator's enrolment to choosing one's
//! own password, and to nothing else; afterwards only the new one works,
//! and the second factor is still asked.

use reqwest::StatusCode;

use crate::support::{
    ADMIN_EMAIL, FORM_CSRF, admin_password, client, init_with, own_password, start, temp,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_printed_password_must_be_changed_at_the_first_sign_in() {
    let dir = temp("first-sign-in");
    let data = dir.join("data");
    let mut args: Vec<String> = vec!["--data-dir".into(), data.to_str().unwrap().into()];
    // On a PostgreSQL run the server writes to a fresh PostgreSQL database.
    if let Ok(admin) = std::env::var(kerato_store::testing::PG_URL_VAR)
        && !admin.is_empty()
    {
        let url = kerato_store::testing::create_pg_database(&admin)
            .await
            .unwrap();
        args.extend(["--database-url".into(), url]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let printed = admin_password(&init_with(&args));
    let mut serve = vec!["serve", "--bind", "127.0.0.1:0"];
    serve.extend_from_slice(&args);
    let server = start(&serve, &[], 1).await;
    let base = server.urls[0].clone();
    let http = client();
    let jar = format!("kerato_csrf={FORM_CSRF}");
    let session = |resp: &reqwest::Response| {
        let set = resp.headers()["set-cookie"].to_str().unwrap();
        format!("{jar}; {}", set.split(';').next().unwrap())
    };

    // Password, then the authenticator (an administrator must have one).
    let resp = http
        .post(format!("{base}/login"))
        .header("cookie", &jar)
        .form(&[
            ("csrf", FORM_CSRF),
            ("email", ADMIN_EMAIL),
            ("password", printed.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["location"], "/login/enrol");
    let pending = session(&resp);
    let html = http
        .get(format!("{base}/login/enrol"))
        .header("cookie", &pending)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start_at = html.find("Key: <code>").unwrap() + "Key: <code>".len();
    let secret =
        kerato_domain::totp::TotpSecret::from_base32(&html[start_at..start_at + 32]).unwrap();
    let code = || {
        use kerato_domain::time::Clock;
        let now = kerato_app::clock::SystemClock.now();
        kerato_domain::totp::code_for_step(&secret, kerato_domain::totp::step_at(now), 6)
    };
    let resp = http
        .post(format!("{base}/login/enrol"))
        .header("cookie", &pending)
        .form(&[("csrf", FORM_CSRF), ("code", code().as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let changing = session(&resp);

    // Then the password change, and nothing else: pages lead to it, the
    // API refuses with the reason.
    for page in ["/locations", "/admin/users", "/account"] {
        let resp = http
            .get(format!("{base}{page}"))
            .header("cookie", &changing)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{page}");
        assert_eq!(resp.headers()["location"], "/login/password", "{page}");
    }
    let resp = http
        .get(format!("{base}/api/locations"))
        .header("cookie", &changing)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let problem: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(problem["error"], "password_change_required");
    let page = http
        .get(format!("{base}/login/password"))
        .header("cookie", &changing)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Choose your own password"));
    // Keeping the printed password is refused.
    let resp = http
        .post(format!("{base}/login/password"))
        .header("cookie", &changing)
        .form(&[
            ("csrf", FORM_CSRF),
            ("current_password", printed.as_str()),
            ("new_password", printed.as_str()),
            ("new_password_confirmation", printed.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let own = own_password(&printed);
    let resp = http
        .post(format!("{base}/login/password"))
        .header("cookie", &changing)
        .form(&[
            ("csrf", FORM_CSRF),
            ("current_password", printed.as_str()),
            ("new_password", own.as_str()),
            ("new_password_confirmation", own.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/");
    let signed_in = session(&resp);
    let resp = http
        .get(format!("{base}/api/locations"))
        .header("cookie", &signed_in)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    // The printed password is dead; the new one asks for the code.
    let login = |password: String| {
        let http = http.clone();
        let base = base.clone();
        let jar = jar.clone();
        async move {
            http.post(format!("{base}/login"))
                .header("cookie", &jar)
                .form(&[
                    ("csrf", FORM_CSRF),
                    ("email", ADMIN_EMAIL),
                    ("password", password.as_str()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        login(printed.clone()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let resp = login(own.clone()).await;
    assert_eq!(resp.headers()["location"], "/login/code");

    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}
