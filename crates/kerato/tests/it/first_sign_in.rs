//! The first sign-in after `kerato init`, with the real binary: the printed
//! password leads through the authenticator's enrolment to choosing one's
//! own password, and to nothing else; afterwards only the new one works,
//! and the second factor is still asked. `kerato user reset-password` gives
//! a locked-out administrator a temporary password from the box.

use reqwest::StatusCode;

use crate::support::{
    ADMIN_EMAIL, FORM_CSRF, admin_password, change_password, client, init_with, own_password,
    password_and_enrolment, post_form, run, session_of, start, temp,
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

    // Password, then the authenticator (an administrator must have one),
    // then the password change, and nothing else: pages lead to it, the
    // API refuses with the reason.
    let changing = password_and_enrolment(&base, ADMIN_EMAIL, &printed).await;
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
    let resp = change_password(&base, &changing, &printed, &printed).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let own = own_password(&printed);
    let resp = change_password(&base, &changing, &printed, &own).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/");
    let signed_in = session_of(&resp);
    let resp = http
        .get(format!("{base}/api/locations"))
        .header("cookie", &signed_in)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    // The printed password is dead; the new one asks for the code.
    let jar = format!("kerato_csrf={FORM_CSRF}");
    for (password, leads_to) in [(&printed, None), (&own, Some("/login/code"))] {
        let resp = post_form(
            &base,
            "/login",
            &jar,
            &[("email", ADMIN_EMAIL), ("password", password.as_str())],
        )
        .await;
        match leads_to {
            None => assert_eq!(resp.status(), StatusCode::UNAUTHORIZED),
            Some(to) => assert_eq!(resp.headers()["location"], to),
        }
    }

    // Locked out without e-mail, the administrator gets a temporary
    // password from the box that holds the data; the second factor is
    // still asked with it.
    let mut reset = vec!["user", "reset-password", "--email", ADMIN_EMAIL];
    reset.extend_from_slice(&args);
    let (ok, out, err) = run(&reset);
    assert!(ok, "{out}{err}");
    let temporary = out
        .split("the temporary password ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no password printed: {out}"));
    for (password, leads_to) in [(own.as_str(), None), (temporary, Some("/login/code"))] {
        let resp = post_form(
            &base,
            "/login",
            &jar,
            &[("email", ADMIN_EMAIL), ("password", password)],
        )
        .await;
        match leads_to {
            None => assert_eq!(resp.status(), StatusCode::UNAUTHORIZED),
            Some(to) => assert_eq!(resp.headers()["location"], to),
        }
    }
    let resp = http
        .get(format!("{base}/api/locations"))
        .header("cookie", &signed_in)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::UNAUTHORIZED,
        "a session outlived the reset"
    );
    let mut unknown = vec!["user", "reset-password", "--email", "nobody@clinic.example"];
    unknown.extend_from_slice(&args);
    let (ok, out, err) = run(&unknown);
    assert!(!ok, "{out}");
    assert!(
        err.contains("staff account with that e-mail address not found"),
        "{err}"
    );
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}
