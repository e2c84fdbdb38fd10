//! The vendor site in a real browser (headless Chromium over WebDriver),
//! served by `kerato demo` with its mail going to a local SMTP sink:
//! cookie choices and Global Privacy Control, a demo request from the form
//! to the staff pipeline and the visitor's inbox, a customer's ticket with
//! pasted patient data, a one-click unsubscribe, and axe-core on every
//! public page.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kerato_domain::time::Clock;
use kerato_domain::totp::{self, TotpSecret};
use kerato_http::testing::smtp_sink;
use serde_json::json;

use crate::browser::{Browser, CHROMEDRIVER, open_browser};
use crate::support::{Running, start, temp};

/// Every public page of the site.
const PUBLIC_PAGES: &[&str] = &[
    "/",
    "/products/dermatology",
    "/products/eye-care",
    "/products/optical",
    "/pricing",
    "/contact",
    "/privacy",
    "/cookies",
    "/cookie-settings",
    "/demo",
    "/newsletter",
    "/privacy-center",
    "/privacy-center/do-not-sell",
    "/signup",
    "/login",
];

/// The demo with its mail delivered every second to `smtp`; returns the
/// running demo and the site's URL.
async fn demo_with_mail(data: &std::path::Path, smtp: &str) -> (Running, String) {
    let running = start(
        &[
            "demo",
            "--data-dir",
            data.to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
            "--site-bind",
            "127.0.0.1:0",
            "--clock",
            crate::support::DEMO_CLOCK,
        ],
        &[
            ("KERATO_MAIL__SMTP_URL", smtp),
            ("KERATO_MAIL__INTERVAL_SECONDS", "1"),
        ],
        2,
    )
    .await;
    let site = running.urls[1].clone();
    (running, site)
}

/// Waits up to 20 seconds for a message to `to` containing `needle`.
async fn wait_for_mail(inbox: &Arc<Mutex<Vec<String>>>, to: &str, needle: &str) -> String {
    for _ in 0..200 {
        let found = inbox
            .lock()
            .unwrap()
            .iter()
            .find(|m| m.contains(&format!("To: {to}")) && m.contains(needle))
            .cloned();
        if let Some(m) = found {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no mail to {to} with {needle:?}");
}

/// Serious and critical axe-core violations on the current page.
async fn serious_violations(b: &Browser) -> Vec<String> {
    b.axe("{}", "v.impact === 'serious' || v.impact === 'critical'")
        .await
}

/// The names of the cookies the browser holds for the site.
async fn cookie_names(b: &Browser) -> Vec<String> {
    let v = b.call(reqwest::Method::GET, "/cookie", None).await;
    let mut names: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// Signs in as demo vendor staff with the demo's authenticator key.
async fn staff_sign_in(b: &Browser, site: &str, email: &str) {
    b.call(reqwest::Method::DELETE, "/cookie", None).await;
    b.go(&format!("{site}/login")).await;
    b.type_into("#email", email).await;
    b.type_into("#password", kerato_site::demo::DEMO_PASSWORD)
        .await;
    b.click("main button[type=submit]").await;
    b.wait_for("Second step").await;
    let secret = TotpSecret::from_base32(kerato_site::demo::DEMO_TOTP_SECRET).unwrap();
    let now = kerato_app::clock::SystemClock.now();
    let code = totp::code_for_step(&secret, totp::step_at(now), totp::DIGITS);
    b.type_into("#code", &code).await;
    b.click("main button[type=submit]").await;
    b.wait_for("Vendor staff").await;
}

fn browsers_available() -> bool {
    if std::path::Path::new(CHROMEDRIVER).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run the browser test: cargo xtask ci installs chromium-driver"
    );
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_rejects_analytics_sends_gpc_and_requests_a_demo_in_chromium() {
    if !browsers_available() {
        return;
    }
    let dir = temp("site-visitor");
    let (smtp, inbox) = smtp_sink().await;
    let (server, site) = demo_with_mail(&dir.join("demo"), &smtp).await;
    let (b, _driver) = open_browser(&dir).await;

    // Before any choice: the banner, and only the necessary CSRF cookie.
    b.go(&format!("{site}/")).await;
    b.wait_for("Cookies on this site").await;
    let mut violations: Vec<String> = serious_violations(&b)
        .await
        .into_iter()
        .map(|v| format!("/ with the banner: {v}"))
        .collect();
    assert_eq!(cookie_names(&b).await, ["kerato_csrf"]);
    b.click("button[value=reject_all]").await;
    b.wait_without("Cookies on this site").await;
    assert_eq!(
        cookie_names(&b).await,
        ["kerato_consent", "kerato_csrf"],
        "no analytics cookie"
    );
    // No analytics script and no beacon, page after page.
    for path in PUBLIC_PAGES {
        b.go(&format!("{site}{path}")).await;
        b.wait_for("</footer>").await;
        violations.extend(
            serious_violations(&b)
                .await
                .into_iter()
                .map(|v| format!("{path}: {v}")),
        );
        let scripts = b
            .eval_string(
                "return String(document.querySelectorAll('script[src*=analytics]').length)",
            )
            .await;
        assert_eq!(
            scripts, "0",
            "{path} loads the analytics script after a rejection"
        );
    }
    let beacons = b
        .eval_string("return String(performance.getEntriesByType('resource').filter(function (e) { return e.name.indexOf('/analytics/') >= 0; }).length)")
        .await;
    assert_eq!(beacons, "0", "a beacon was sent after a rejection");
    assert!(
        violations.is_empty(),
        "axe-core found serious or critical problems: {violations:#?}"
    );

    // A demo request: the acknowledgement reaches the visitor's inbox and
    // the request the sales pipeline.
    b.go(&format!("{site}/demo")).await;
    b.type_into("#name", "Priya Shah").await;
    b.type_into("#email", "priya@shah-eyes.example").await;
    b.type_into("#practice_name", "Shah Family Eye Care").await;
    crate::browser::choose(&b, "#specialty", "eye_care").await;
    b.click("button[type=submit]").await;
    b.wait_for("Your request has arrived").await;
    let ack = wait_for_mail(
        &inbox,
        "priya@shah-eyes.example",
        "Your Kerato demo request",
    )
    .await;
    assert!(ack.contains("Shah Family Eye Care"));
    staff_sign_in(&b, &site, "sales@kerato.example").await;
    b.go(&format!("{site}/staff/demo-requests")).await;
    b.wait_for("Shah Family Eye Care").await;

    // Global Privacy Control: a fresh visitor whose browser sends it.
    b.call(reqwest::Method::DELETE, "/cookie", None).await;
    b.call(
        reqwest::Method::POST,
        "/goog/cdp/execute",
        Some(json!({"cmd": "Network.enable", "params": {}})),
    )
    .await;
    b.call(
        reqwest::Method::POST,
        "/goog/cdp/execute",
        Some(
            json!({"cmd": "Network.setExtraHTTPHeaders", "params": {"headers": {"Sec-GPC": "1"}}}),
        ),
    )
    .await;
    b.go(&format!("{site}/cookie-settings")).await;
    b.wait_for("Global Privacy Control detected").await;
    drop(server);
    let recorded = gpc_opt_outs(&dir.join("demo").join("site")).await;
    assert!(recorded >= 1, "the GPC opt-out was not recorded");
    b.call(reqwest::Method::DELETE, "", None).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Sale/share opt-outs recorded from the GPC signal, read from the demo
/// site's encrypted database after the demo stopped.
async fn gpc_opt_outs(site_dir: &std::path::Path) -> i64 {
    let key_hex = std::fs::read_to_string(site_dir.join("site.key")).unwrap();
    let key = kerato_store::DbKey::from_hex(key_hex.trim(), "site.key").unwrap();
    let store = kerato_store::Store::open_sqlite(kerato_store::SqliteOptions {
        path: site_dir.join("site.db"),
        key: Some(key),
        mode: kerato_store::OpenMode::Existing,
        max_connections: 2,
    })
    .await
    .unwrap();
    let mut tx = store.read().await.unwrap();
    let (n,): (i64,) = kerato_store::on_tx!(tx, c => sqlx::query_as(
        "SELECT count(*) FROM site_consents WHERE purpose = 'sale_share' AND granted = 0 AND source = 'gpc'"
    )
    .fetch_one(&mut **c)
    .await)
    .unwrap();
    drop(tx);
    store.close().await;
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_opens_a_redacted_ticket_and_a_reader_unsubscribes_in_one_click_in_chromium() {
    if !browsers_available() {
        return;
    }
    let dir = temp("site-customer");
    let (smtp, inbox) = smtp_sink().await;
    let (server, site) = demo_with_mail(&dir.join("demo"), &smtp).await;
    let (b, _driver) = open_browser(&dir).await;

    // A practice signs up (after answering the cookie banner, which sits
    // over the bottom of the page until then) and opens a ticket with an
    // SSN in it.
    b.go(&format!("{site}/signup")).await;
    b.click("button[value=accept_all]").await;
    b.wait_without("Cookies on this site").await;
    b.type_into("#practice_name", "Harbor Dermatology").await;
    crate::browser::choose(&b, "#specialty", "dermatology").await;
    b.type_into("#name", "Hana Ito").await;
    b.type_into("#email", "hana@harbor-derm.example").await;
    b.type_into("#password", "a long enough passphrase").await;
    b.type_into("#confirm", "a long enough passphrase").await;
    b.click("button[type=submit]").await;
    b.wait_for("Harbor Dermatology").await;
    b.go(&format!("{site}/portal/tickets/new")).await;
    b.type_into("#subject", "Statement question").await;
    b.type_into(
        "#message",
        "Patient SSN 219-09-9999 got two statements this month.",
    )
    .await;
    b.click("button[type=submit]").await;
    // The browser's guard warns once before the message leaves.
    b.wait_for("Social Security number").await;
    assert!(
        b.url().await.ends_with("/portal/tickets/new"),
        "the first submit was held"
    );
    b.click("button[type=submit]").await;
    b.wait_for("We removed what looked like patient information")
        .await;
    let page = b.source().await;
    assert!(page.contains("[redacted: Social Security number]"));
    assert!(!page.contains("219-09-9999"), "the SSN is shown back");

    // A reader of the demo's newsletter unsubscribes from the update the
    // demo sent, with one click on the link in the e-mail.
    let mail = wait_for_mail(
        &inbox,
        "lena@northside-derm.example",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
    )
    .await;
    // The link is read from the List-Unsubscribe header (the body may be
    // quoted-printable, which can break a long line inside it).
    let headers = mail.split("\n\n").next().unwrap();
    let at = headers.find("/unsubscribe/").unwrap() + "/unsubscribe/".len();
    let token: String = headers[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64, "{headers}");
    let path = format!("/unsubscribe/{token}");
    b.go(&format!("{site}{path}")).await;
    b.click("main button[type=submit]").await;
    b.wait_for("You are unsubscribed").await;

    // The next campaign skips that address.
    staff_sign_in(&b, &site, "sales@kerato.example").await;
    b.go(&format!("{site}/staff/campaigns")).await;
    b.type_into("#subject", "Autumn webinar").await;
    b.type_into("#body", "Join us for a tour of the new optical module.")
        .await;
    b.click("form.stack button[type=submit]").await;
    b.wait_for("Autumn webinar").await;
    b.click("form.inline button[type=submit]").await;
    b.wait_for("1 queued").await;
    assert!(b.source().await.contains("1 skipped (unsubscribed)"));
    wait_for_mail(&inbox, "june@parkeye.example", "Autumn webinar").await;
    assert!(
        !inbox
            .lock()
            .unwrap()
            .iter()
            .any(|m| m.contains("To: lena@northside-derm.example") && m.contains("Autumn webinar")),
        "the unsubscribed reader got the next campaign"
    );
    drop(server);
    b.call(reqwest::Method::DELETE, "", None).await;
    std::fs::remove_dir_all(&dir).unwrap();
}
