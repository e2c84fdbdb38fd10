//! The pages as a browser without JavaScript uses them: plain GET and POST,
//! with the CSRF token from the page.

use reqwest::{Method, StatusCode};

use crate::support::{ADMIN, CSRF, TestApp, Who, spawn_app};

fn fields<'a>(name: &'a str, tz: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("address_line1", "1 Lake Rd"),
        ("address_line2", ""),
        ("city", "Madison"),
        ("state", "WI"),
        ("zip", "53703"),
        ("time_zone", tz),
        ("specialties", "optical_shop"),
        ("specialties", "eye_care"),
    ]
}

async fn page(t: &TestApp, path: &str, who: Who) -> String {
    let resp = t.req(Method::GET, path, who).await.send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    resp.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_then_edit_a_location_through_the_forms() {
    let t = spawn_app().await;
    let form = page(&t, "/locations/new", ADMIN).await;
    assert!(form.contains(&format!("name=\"csrf\" value=\"{CSRF}\"")));
    let resp = t
        .form(
            "/locations",
            ADMIN,
            &fields("Lakeside Optical", "America/Chicago"),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/locations?notice=created");

    let list = page(&t, "/locations?notice=created", ADMIN).await;
    assert!(
        list.contains("Lakeside Optical") && list.contains("Location added."),
        "{list}"
    );
    assert!(list.contains("Optical shop") && list.contains("America/Chicago"));

    let caller = t.app.unsafe_caller_for(t.user(ADMIN).id).await.unwrap();
    let loc = t
        .app
        .list_locations(&caller)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.name == "Lakeside Optical")
        .unwrap();
    let edit = page(&t, &format!("/locations/{}/edit", loc.id), ADMIN).await;
    assert!(edit.contains("value=\"Lakeside Optical\""));
    assert!(edit.contains("name=\"version\" value=\"1\""));
    let mut form = fields("Lakeside Optical & Eye", "America/Chicago");
    form.push(("version", "1"));
    let resp = t
        .form(&format!("/locations/{}", loc.id), ADMIN, &form)
        .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        t.app.get_location(&caller, loc.id).await.unwrap().name,
        "Lakeside Optical & Eye"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_form_comes_back_with_the_message_next_to_the_field() {
    let t = spawn_app().await;
    let resp = t
        .form(
            "/locations",
            ADMIN,
            &fields("<script>alert(1)</script>", "Moon/Base"),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.unwrap();
    assert!(html.contains("id=\"time_zone-error\""), "{html}");
    assert!(html.contains("is not a known IANA time zone"));
    assert!(html.contains("aria-invalid=\"true\""));
    // What the user typed is kept, escaped.
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)"));
    assert_eq!(t.location_count().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_without_the_right_csrf_token_is_refused() {
    let t = spawn_app().await;
    let zeros = "0".repeat(64);
    for token in ["", zeros.as_str()] {
        let mut all = vec![("csrf", token)];
        all.extend(fields("Forged", "America/Chicago"));
        let resp = t
            .req(Method::POST, "/locations", ADMIN)
            .await
            .form(&all)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        assert!(resp.text().await.unwrap().contains("reload the page"));
    }
    assert_eq!(t.location_count().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_are_sent_to_sign_in_and_unknown_pages_are_404() {
    let t = spawn_app().await;
    let resp = t
        .req(Method::GET, "/locations", Who::Anonymous)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/login");
    let resp = t
        .req(Method::GET, "/no/such/page", ADMIN)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(resp.text().await.unwrap().contains("no such page"));
    let resp = t
        .req(Method::GET, "/locations/not-an-id/edit", ADMIN)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_through_the_pages() {
    let t = spawn_app().await;
    // Front desk: MFA is on for everyone by default, so enrolment comes first.
    let jar = format!("kerato_csrf={CSRF}");
    let login = |email: &'static str, password: &'static str| {
        let t = &t;
        let jar = jar.clone();
        async move {
            t.client
                .post(t.url("/login"))
                .header("cookie", jar)
                .form(&[("csrf", CSRF), ("email", email), ("password", password)])
                .send()
                .await
                .unwrap()
        }
    };
    let resp = login("front_desk@lakeside.example", "not the password").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let wrong = resp.text().await.unwrap();
    let resp = login("nobody@lakeside.example", "not the password").await;
    let unknown = resp.text().await.unwrap();
    assert_eq!(
        wrong.replace("front_desk@lakeside.example", "EMAIL"),
        unknown.replace("nobody@lakeside.example", "EMAIL"),
        "an unknown address must look exactly like a wrong password"
    );

    let resp = login("front_desk@lakeside.example", crate::support::PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/login/enrol");
    let set = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let session = set.split(';').next().unwrap().to_string();
    let cookie = format!("{jar}; {session}");
    let html = t
        .client
        .get(t.url("/login/enrol"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<svg"), "the QR code is missing");
    let key_start = html.find("Key: <code>").unwrap() + "Key: <code>".len();
    let secret = &html[key_start..key_start + 32];
    let secret = kerato_domain::totp::TotpSecret::from_base32(secret).unwrap();
    use kerato_domain::time::Clock;
    let code =
        kerato_domain::totp::code_for_step(&secret, kerato_domain::totp::step_at(t.clock.now()), 6);
    let resp = t
        .client
        .post(t.url("/login/enrol"))
        .header("cookie", &cookie)
        .form(&[("csrf", CSRF), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let rotated = resp.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_ne!(rotated, session, "the session token must change at sign-in");
    let page = resp.text().await.unwrap();
    assert!(page.contains("recovery codes"));
    let resp = t
        .client
        .get(t.url("/locations"))
        .header("cookie", format!("{jar}; {rotated}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // The pre-sign-in token opens nothing.
    let resp = t
        .client
        .get(t.url("/locations"))
        .header("cookie", format!("{jar}; {session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}
