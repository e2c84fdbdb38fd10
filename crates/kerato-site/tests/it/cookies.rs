//! Cookie choices, Global Privacy Control, first-party analytics and the
//! usage log, over HTTP: no optional cookie before a choice, equal "Accept
//! all" and "Reject all", every answer in the registry, GPC winning over
//! the cookie, beacons counted only with consent, and the usage log
//! storing truncated addresses and paths only.

use crate::{TestSite, spawn};

/// A GET with extra headers, returning the status, the `Set-Cookie`
/// headers and the body.
async fn get_with(
    t: &TestSite,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<String>, String) {
    let mut r = t.client.get(format!("{}{path}", t.url));
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let cookies = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    (status, cookies, r.text().await.unwrap())
}

/// Sends a page-view beacon as the script does, from this site's origin.
async fn beacon(t: &TestSite, path: &str, headers: &[(&str, &str)]) -> u16 {
    let mut r = t
        .client
        .post(format!("{}/analytics/pageview", t.url))
        .json(&serde_json::json!({ "path": path }));
    if !headers.iter().any(|(k, _)| *k == "origin") {
        r = r.header("origin", &t.url);
    }
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.send().await.unwrap().status().as_u16()
}

/// Each registry entry as (subject kind, purpose, granted, source, version).
async fn registry(t: &TestSite) -> Vec<(String, String, i64, String, Option<String>)> {
    let mut tx = t.site.store.read().await.unwrap();
    kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT subject_kind, purpose, granted, source, policy_version FROM site_consents ORDER BY recorded_at, purpose"
    )
    .fetch_all(&mut **c)
    .await)
    .unwrap()
}

async fn views(t: &TestSite) -> Vec<(String, String, i64)> {
    let mut tx = t.site.store.read().await.unwrap();
    kerato_db::on_tx!(tx, c => sqlx::query_as("SELECT day, path, views FROM page_views_daily")
        .fetch_all(&mut **c)
        .await)
    .unwrap()
}

const SCRIPT: &str = "/assets/analytics.";

#[tokio::test(flavor = "multi_thread")]
async fn before_a_choice_only_the_csrf_cookie_is_set_and_the_banner_shows() {
    let t = spawn().await;
    let (status, cookies, body) = get_with(&t, "/pricing", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    assert!(cookies[0].starts_with("kerato_csrf="), "{cookies:?}");
    assert!(body.contains("class=\"cookie-banner\""));
    // Accept all and Reject all are equal: the same element and class.
    assert!(body.contains(
        "<button type=\"submit\" name=\"choice\" value=\"accept_all\" class=\"consent-choice\">Accept all</button>"
    ));
    assert!(body.contains(
        "<button type=\"submit\" name=\"choice\" value=\"reject_all\" class=\"consent-choice\">Reject all</button>"
    ));
    assert!(body.contains("href=\"/cookie-settings\">Customize</a>"));
    assert!(body.contains("name=\"return\" value=\"/pricing\""));
    assert!(!body.contains(SCRIPT), "no analytics before a choice");
    assert_eq!(beacon(&t, "/pricing", &[]).await, 403);
    assert!(views(&t).await.is_empty());
    assert!(registry(&t).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn reject_all_records_two_noes_and_nothing_is_counted() {
    let t = spawn().await;
    let r = t
        .client
        .post(format!("{}/cookie-consent", t.url))
        .form(&[
            ("csrf", t.csrf("/pricing").await.as_str()),
            ("choice", "reject_all"),
            ("return", "/pricing"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/pricing");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("kerato_consent=1."), "{cookie}");
    let value = cookie.split(';').next().unwrap();
    assert!(
        value.ends_with(".001"),
        "analytics and preferences off: {value}"
    );
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=31536000"] {
        assert!(cookie.contains(attr), "{attr} missing from {cookie}");
    }
    assert!(!cookie.contains("Secure"), "no TLS here, so no Secure flag");
    let entries = registry(&t).await;
    assert_eq!(
        entries,
        [
            (
                "visitor".to_string(),
                "analytics_cookies".to_string(),
                0,
                "form".to_string(),
                Some("1".to_string())
            ),
            (
                "visitor".to_string(),
                "preference_cookies".to_string(),
                0,
                "form".to_string(),
                Some("1".to_string())
            ),
        ]
    );
    let (_, body) = t.get("/pricing").await;
    assert!(!body.contains("cookie-banner"), "the banner is gone");
    assert!(!body.contains(SCRIPT));
    assert_eq!(beacon(&t, "/pricing", &[]).await, 403);
    assert!(views(&t).await.is_empty());
    let mut tx = t.site.store.read().await.unwrap();
    let (n,): (i64,) = kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT count(*) FROM site_audit WHERE action = 'consent.cookies' AND detail = 'analytics=no preferences=no'"
    )
    .fetch_one(&mut **c)
    .await)
    .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn accept_all_loads_the_script_and_a_beacon_counts_once_per_view() {
    let t = spawn().await;
    let (status, location) = t
        .post(
            "/",
            "/cookie-consent",
            &[("choice", "accept_all"), ("return", "/")],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/"));
    let (_, body) = t.get("/pricing").await;
    assert!(!body.contains("cookie-banner"));
    let start = body.find(SCRIPT).expect("the analytics script is included");
    let script_url = &body[start..body[start..].find('"').unwrap() + start];
    let (status, js) = t.get(script_url).await;
    assert_eq!(status, 200);
    assert!(js.contains("sendBeacon"));
    assert_eq!(beacon(&t, "/pricing", &[]).await, 204);
    assert_eq!(
        views(&t).await,
        [("2026-11-27".to_string(), "/pricing".to_string(), 1)]
    );
    assert_eq!(beacon(&t, "/pricing", &[]).await, 204);
    assert_eq!(views(&t).await[0].2, 2);
    // Anything but a same-origin JSON beacon with a short path is refused.
    let long = format!("/{}", "a".repeat(200));
    assert_eq!(beacon(&t, &long, &[]).await, 400);
    assert_eq!(beacon(&t, "https://evil.example/", &[]).await, 400);
    assert_eq!(
        beacon(&t, "/pricing", &[("origin", "https://evil.example")]).await,
        403
    );
    assert_eq!(
        beacon(&t, "/pricing", &[("sec-fetch-site", "cross-site")]).await,
        403
    );
    let post = |body: &'static str, content_type: &'static str| {
        t.client
            .post(format!("{}/analytics/pageview", t.url))
            .header("origin", &t.url)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    assert_eq!(
        post("path=/pricing", "application/x-www-form-urlencoded")
            .await
            .unwrap()
            .status(),
        415
    );
    assert_eq!(
        post("{\"path\": 1}", "application/json")
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        post("{\"path\": \"/a\", \"id\": \"x\"}", "application/json")
            .await
            .unwrap()
            .status(),
        400
    );
    let no_origin = t
        .client
        .post(format!("{}/analytics/pageview", t.url))
        .json(&serde_json::json!({ "path": "/pricing" }))
        .send()
        .await
        .unwrap();
    assert_eq!(no_origin.status(), 403);
    assert_eq!(views(&t).await[0].2, 2, "no refused beacon was counted");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_settings_page_shows_and_changes_the_choice() {
    let t = spawn().await;
    let (_, body) = t.get("/").await;
    assert!(body.contains("href=\"/cookie-settings\">Cookie settings</a>"));
    let (_, body) = t.get("/cookie-settings").await;
    assert!(body.contains("You have not made a choice yet"));
    assert!(!body.contains("Global Privacy Control detected"));
    let (status, location) = t
        .post(
            "/cookie-settings",
            "/cookie-consent",
            &[
                ("choice", "custom"),
                ("analytics", "yes"),
                ("return", "/cookie-settings"),
            ],
        )
        .await;
    assert_eq!((status, location.as_str()), (303, "/cookie-settings"));
    let (_, body) = t.get("/cookie-settings").await;
    assert!(body.contains("Your current choice: analytics on, preferences off."));
    assert!(body.contains("name=\"analytics\" value=\"yes\" checked"));
    assert!(!body.contains("name=\"preferences\" value=\"yes\" checked"));
    assert!(body.contains(SCRIPT));
    let entries = registry(&t).await;
    assert_eq!(entries.len(), 2);
    assert_eq!(
        (entries[0].1.as_str(), entries[0].2),
        ("analytics_cookies", 1)
    );
    assert_eq!(
        (entries[1].1.as_str(), entries[1].2),
        ("preference_cookies", 0)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn return_paths_and_choices_are_checked() {
    let t = spawn().await;
    for (asked, went) in [
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
        ("/products/optical", "/products/optical"),
    ] {
        let (status, location) = t
            .post(
                "/cookie-settings",
                "/cookie-consent",
                &[("choice", "reject_all"), ("return", asked)],
            )
            .await;
        assert_eq!((status, location.as_str()), (303, went), "{asked:?}");
    }
    let before = registry(&t).await.len();
    let (status, body) = t
        .post(
            "/cookie-settings",
            "/cookie-consent",
            &[("choice", "<script>x</script>")],
        )
        .await;
    assert_eq!(status, 400);
    assert!(body.contains("choose Accept all, Reject all"));
    assert!(!body.contains("<script>x"));
    let r = t
        .client
        .post(format!("{}/cookie-consent", t.url))
        .form(&[("choice", "accept_all")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no CSRF token, no choice");
    assert_eq!(registry(&t).await.len(), before, "nothing recorded");
}

#[tokio::test(flavor = "multi_thread")]
async fn gpc_is_an_opt_out_that_wins_over_an_accept_cookie() {
    let t = spawn().await;
    // A first visit with the signal: the opt-out is recorded with a
    // cookie to remember it, and the banner still asks the rest.
    let gpc = [("sec-gpc", "1")];
    let (status, cookies, body) = get_with(&t, "/cookie-settings", &gpc).await;
    assert_eq!(status, 200);
    assert!(body.contains(
        "Global Privacy Control detected: we treat it as an opt-out of sale and sharing"
    ));
    assert!(body.contains("cookie-banner"));
    let consent: Vec<&String> = cookies
        .iter()
        .filter(|c| c.starts_with("kerato_consent="))
        .collect();
    assert_eq!(consent.len(), 1, "{cookies:?}");
    assert!(
        consent[0].contains(".000;"),
        "analytics off: {}",
        consent[0]
    );
    let entries = registry(&t).await;
    assert_eq!(entries.len(), 2);
    assert!(entries.contains(&(
        "visitor".into(),
        "sale_share".into(),
        0,
        "gpc".into(),
        Some("1".into())
    )));
    assert!(entries.contains(&(
        "visitor".into(),
        "analytics_cookies".into(),
        0,
        "gpc".into(),
        Some("1".into())
    )));
    // The same visitor again: nothing new to record.
    get_with(&t, "/", &gpc).await;
    assert_eq!(registry(&t).await.len(), 2);

    // A visitor who accepted everything, then turns the signal on.
    let t = spawn().await;
    t.post("/", "/cookie-consent", &[("choice", "accept_all")])
        .await;
    let (_, body) = t.get("/").await;
    assert!(body.contains(SCRIPT));
    let (_, cookies, body) = get_with(&t, "/", &gpc).await;
    assert!(!body.contains(SCRIPT), "GPC wins over the cookie");
    assert!(
        !cookies.iter().any(|c| c.starts_with("kerato_consent=")),
        "the visitor's own cookie is kept"
    );
    let entries = registry(&t).await;
    assert_eq!(entries.len(), 3);
    assert_eq!(
        (entries[2].1.as_str(), entries[2].2, entries[2].3.as_str()),
        ("sale_share", 0, "gpc")
    );
    assert_eq!(beacon(&t, "/", &gpc).await, 403);
    assert!(views(&t).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn do_not_sell_records_the_opt_out_for_the_visitor_and_the_address() {
    let t = spawn().await;
    let (status, body) = t.get("/privacy-center/do-not-sell").await;
    assert_eq!(status, 200);
    assert!(body.contains("<h1>Do not sell or share my personal information</h1>"));
    for bad in ["not-an-address", "<script>@x.example"] {
        let (status, body) = t
            .post(
                "/privacy-center/do-not-sell",
                "/privacy-center/do-not-sell",
                &[("email", bad)],
            )
            .await;
        assert_eq!(status, 422, "{bad}");
        assert!(body.contains("enter an e-mail address like"));
        assert!(body.contains("Nothing was saved"));
        assert!(!body.contains("<script>@"));
    }
    assert!(registry(&t).await.is_empty());
    let (status, body) = t
        .post(
            "/privacy-center/do-not-sell",
            "/privacy-center/do-not-sell",
            &[("email", "Ann@LeeEye.example")],
        )
        .await;
    assert_eq!(status, 200);
    assert!(body.contains("Your opt-out is recorded"));
    let entries = registry(&t).await;
    let kinds: Vec<(&str, &str, i64, &str)> = entries
        .iter()
        .map(|e| (e.0.as_str(), e.1.as_str(), e.2, e.3.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("visitor", "sale_share", 0, "form"),
            ("contact", "sale_share", 0, "form")
        ]
    );
    use kerato_core::consent::Purpose;
    use kerato_site::consents::{self, Subject};
    let mut tx = t.site.store.read().await.unwrap();
    let history = consents::history(&mut tx, Subject::contact("ann@leeeye.example"))
        .await
        .unwrap();
    assert_eq!(history[0].purpose, Purpose::SaleShare);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_usage_log_keeps_a_truncated_address_and_no_query() {
    let t = spawn().await;
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
    get_with(
        &t,
        "/pricing?email=ann@leeeye.example",
        &[("user-agent", firefox)],
    )
    .await;
    get_with(&t, "/healthz", &[]).await;
    let (_, body) = t.get("/").await;
    let start = body.find("/assets/site.").unwrap();
    let css = &body[start..body[start..].find('"').unwrap() + start];
    t.get(css).await;
    let mut tx = t.site.store.read().await.unwrap();
    let rows: Vec<(i64, Option<String>, String, String, String, i64)> =
        kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT at, ip_prefix, browser, device, path, status FROM usage_log ORDER BY at, path"
    )
    .fetch_all(&mut **c)
    .await)
        .unwrap();
    assert_eq!(
        rows.len(),
        2,
        "assets and the health check are not logged: {rows:?}"
    );
    let pricing = rows.iter().find(|r| r.4 == "/pricing").unwrap();
    assert_eq!(
        pricing,
        &(
            crate::NOW.as_micros(),
            Some("127.0.0.0".to_string()),
            "Firefox".to_string(),
            "desktop".to_string(),
            "/pricing".to_string(),
            200
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_retention_job_keeps_the_usage_log_for_the_configured_days_only() {
    use kerato_core::retention::DataClass;
    use kerato_site::retention::{self, utc_date};
    let t = spawn().await;
    t.get("/").await;
    t.clock.advance_secs(10 * 86_400);
    t.get("/pricing").await;
    assert_eq!(t.count("usage_log").await, 2);
    // The default keeps 30 days: the first row goes 31 days after its day.
    let first_day = utc_date(crate::NOW);
    let day = |n: i64| first_day.checked_add(jiff::Span::new().days(n)).unwrap();
    let report = retention::run(&t.site, day(30), false).await.unwrap();
    assert_eq!(
        report.deleted(DataClass::UsageLogs),
        0,
        "kept through its 30th day"
    );
    let report = retention::run(&t.site, day(31), false).await.unwrap();
    assert_eq!(report.deleted(DataClass::UsageLogs), 1);
    assert_eq!(t.count("usage_log").await, 1, "the newer row is kept");
    let report = retention::run(&t.site, day(31), false).await.unwrap();
    assert_eq!(
        report.deleted(DataClass::UsageLogs),
        0,
        "a second run does nothing"
    );
    let report = retention::run(&t.site, day(41), true).await.unwrap();
    assert_eq!(
        report.deleted(DataClass::UsageLogs),
        0,
        "a dry run deletes nothing"
    );
    assert_eq!(t.count("usage_log").await, 1);
}

/// A GPC opt-out is recorded in the registry, and the registry, not the
/// live header, is what the pages show: the browser that sent the signal
/// once still sees its opt-out when the signal stops, and a customer who
/// opted out by address sees it on any browser once signed in.
#[tokio::test(flavor = "multi_thread")]
async fn a_recorded_opt_out_is_shown_after_the_browser_stops_sending_gpc() {
    let t = spawn().await;
    let browser = t.agent();
    let r = browser
        .client
        .get(format!("{}/cookie-settings", t.url))
        .header("sec-gpc", "1")
        .send()
        .await
        .unwrap();
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Global Privacy Control detected")
    );
    t.clock.advance_secs(3 * 86_400);
    // The signal is off now; the same browser, with its cookie.
    for page in ["/cookie-settings", "/privacy-center/do-not-sell"] {
        let (status, body) = browser.get(page).await;
        assert_eq!(status, 200);
        assert!(!body.contains("Global Privacy Control detected"), "{page}");
        assert!(
            body.contains(
                "Your opt-out of sale and sharing is recorded for this browser since November 27, 2026, from the Global Privacy Control signal your browser sent."
            ),
            "{page}: {body}"
        );
    }
    // Another browser, without the cookie, has no opt-out to show.
    let (_, body) = t.agent().get("/cookie-settings").await;
    assert!(!body.contains("is recorded"), "{body}");

    // A customer opts out by address on one browser …
    let (status, _) = t
        .agent()
        .post(
            "/privacy-center/do-not-sell",
            "/privacy-center/do-not-sell",
            &[("email", "ann@leeeye.example")],
        )
        .await;
    assert_eq!(status, 200);
    // … and sees it on another once signed in, and not before.
    let elsewhere = t.agent();
    let (_, body) = elsewhere.get("/cookie-settings").await;
    assert!(!body.contains("is recorded"), "{body}");
    let signed_in = crate::accounts::sign_up(&t, "ann@leeeye.example").await;
    let (_, body) = signed_in.get("/cookie-settings").await;
    assert!(
        body.contains(
            "Your opt-out of sale and sharing is recorded for ann@leeeye.example since November 30, 2026, from a form on this site."
        ),
        "{body}"
    );
}
