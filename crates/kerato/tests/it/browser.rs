//! The main flow in a real browser: Debian's Chromium, headless, driven over
//! the W3C WebDriver protocol by chromedriver. Sign in as the first
//! administrator, enrol an authenticator, choose one's own password in place
//! of the printed one, add a location with the keyboard
//! shortcut, and check that the browser reported no errors (a CSP violation
//! by htmx or our own script would show here).

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::process::Command;

use crate::support::{ADMIN_EMAIL, admin_password, init, start, temp};

pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A WebDriver session: just the calls this test needs.
pub(crate) struct Browser {
    http: reqwest::Client,
    base: String,
}

impl Browser {
    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        assert!(v["value"].get("error").is_none(), "WebDriver {path}: {v}");
        v["value"].clone()
    }

    pub(crate) async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    pub(crate) async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v.as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    pub(crate) async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/click"),
            Some(json!({})),
        )
        .await;
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.call(reqwest::Method::GET, &format!("/element/{el}/text"), None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    pub(crate) async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    pub(crate) async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Waits until the page source contains `needle`.
    pub(crate) async fn wait_for(&self, needle: &str) {
        for _ in 0..100 {
            if self.source().await.contains(needle) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the page never showed {needle:?}: {}", self.source().await);
    }

    /// Runs a script on the page and returns its result as a string.
    pub(crate) async fn eval_string(&self, script: &str) -> String {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Waits until the page source no longer contains `needle`.
    pub(crate) async fn wait_without(&self, needle: &str) {
        for _ in 0..100 {
            if !self.source().await.contains(needle) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the page still shows {needle:?}: {}", self.source().await);
    }

    /// Presses a key on the page (not in a field).
    pub(crate) async fn press(&self, key: &str) {
        let actions = json!({"actions": [{"type": "key", "id": "kbd", "actions": [
            {"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}
        ]}]});
        self.call(reqwest::Method::POST, "/actions", Some(actions))
            .await;
    }

    /// Runs axe-core (vendored from npm, test-only) on the current page for
    /// WCAG 2.2 A and AA rules; returns a line per violation.
    pub(crate) async fn accessibility_violations(&self) -> Vec<String> {
        self.axe(
            "{runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}}",
            "true",
        )
        .await
    }

    /// Runs axe-core on the page with `options` (a JavaScript object) and
    /// returns the violations for which the JavaScript expression `keep`
    /// (over `v`, one violation) is true.
    pub(crate) async fn axe(&self, options: &str, keep: &str) -> Vec<String> {
        let script = format!(
            "{}\n;var done = arguments[arguments.length - 1];\n\
             axe.run(document, {options})\n\
             .then(function (r) {{ done(r.violations.filter(function (v) {{ return {keep}; }}).map(function (v) {{ return v.impact + ' ' + v.id + ': ' + v.help + ' (' + v.nodes.map(function (n) {{ return n.target.join(' '); }}).join(', ') + ')'; }})); }});",
            include_str!("../fixtures/axe-core-4.14.1.min.js")
        );
        let v = self
            .call(
                reqwest::Method::POST,
                "/execute/async",
                Some(json!({"script": script, "args": []})),
            )
            .await;
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap_or("").to_string())
            .collect()
    }

    pub(crate) async fn console_errors(&self) -> Vec<String> {
        let v = self
            .call(
                reqwest::Method::POST,
                "/se/log",
                Some(json!({"type": "browser"})),
            )
            .await;
        v.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or("").to_string())
            .collect()
    }
}

/// Starts chromedriver and a headless Chromium session; the driver process
/// ends when the returned child is dropped.
pub(crate) async fn open_browser(dir: &std::path::Path) -> (Browser, tokio::process::Child) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    let profile = dir.join("profile");
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:loggingPrefs": {"browser": "ALL"},
        "goog:chromeOptions": {"binary": CHROMIUM, "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
            format!("--user-data-dir={}", profile.display()), "--window-size=1280,900"
        ]}
    }}});
    let mut session = None;
    for _ in 0..100 {
        if let Ok(resp) = http
            .post(format!("http://127.0.0.1:{port}/session"))
            .json(&caps)
            .send()
            .await
        {
            let v: Value = resp.json().await.unwrap();
            session = v["value"]["sessionId"].as_str().map(str::to_string);
            assert!(session.is_some(), "chromedriver refused the session: {v}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let id = session.expect("chromedriver did not start");
    (
        Browser {
            http,
            base: format!("http://127.0.0.1:{port}/session/{id}"),
        },
        driver,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_enrol_and_add_a_location_in_chromium() {
    if !std::path::Path::new(CHROMEDRIVER).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the browser test: cargo xtask ci installs chromium-driver"
        );
        eprintln!(
            "skipping the browser test: {CHROMEDRIVER} is not installed (cargo xtask ci installs it)"
        );
        return;
    }
    let dir = temp("browser");
    let data = dir.join("data");
    let password = admin_password(&init(&data));
    let server = start(
        &[
            "serve",
            "--data-dir",
            data.to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
        ],
        &[],
        1,
    )
    .await;
    let site = server.urls[0].clone();

    let (b, _driver) = open_browser(&dir).await;
    b.go(&format!("{site}/locations")).await;
    assert!(
        b.url().await.ends_with("/login"),
        "strangers go to the sign-in page"
    );
    let mut violations = Vec::new();
    violations.extend(
        b.accessibility_violations()
            .await
            .into_iter()
            .map(|v| format!("sign-in: {v}")),
    );
    b.type_into("#email", ADMIN_EMAIL).await;
    b.type_into("#password", &password).await;
    b.click("button[type=submit]").await;
    b.wait_for("Set up your authenticator").await;
    violations.extend(
        b.accessibility_violations()
            .await
            .into_iter()
            .map(|v| format!("enrolment: {v}")),
    );
    let secret = b.text("main code").await;
    let secret = kerato_domain::totp::TotpSecret::from_base32(&secret).unwrap();
    use kerato_domain::time::Clock;
    let code = kerato_domain::totp::code_for_step(
        &secret,
        kerato_domain::totp::step_at(kerato_app::clock::SystemClock.now()),
        6,
    );
    b.type_into("#code", &code).await;
    b.click("form button[type=submit]").await;
    b.wait_for("Your recovery codes").await;
    b.click("main a.button").await;
    // The printed password was for this one sign-in: choosing one's own
    // comes before anything else.
    b.wait_for("Choose your own password").await;
    violations.extend(
        b.accessibility_violations()
            .await
            .into_iter()
            .map(|v| format!("password change: {v}")),
    );
    let own = crate::support::own_password(&password);
    b.type_into("#current_password", &password).await;
    b.type_into("#new_password", &own).await;
    b.type_into("#new_password_confirmation", &own).await;
    b.click("form.form button[type=submit]").await;
    // A practice with nothing set up starts its administrator on the set-up.
    b.wait_for("<h2 id=\"step-title\">Practice and locations</h2>")
        .await;
    b.go(&format!("{site}/locations")).await;
    b.wait_for("No locations yet").await;

    // The keyboard shortcut shown on the button opens the form.
    b.press("n").await;
    b.wait_for("<h1>Add location</h1>").await;
    violations.extend(
        b.accessibility_violations()
            .await
            .into_iter()
            .map(|v| format!("location form: {v}")),
    );
    b.type_into("#name", "Browser Clinic").await;
    b.type_into("#address_line1", "5 Chromium Way").await;
    b.type_into("#city", "Madison").await;
    b.type_into("#state", "WI").await;
    b.type_into("#zip", "53703").await;
    b.type_into("#time_zone", "America/Chicago").await;
    b.click("input[value=eye_care]").await;
    b.click("form.form button[type=submit]").await;
    b.wait_for("Location added.").await;
    assert!(b.source().await.contains("Browser Clinic"));
    violations.extend(
        b.accessibility_violations()
            .await
            .into_iter()
            .map(|v| format!("locations: {v}")),
    );
    b.go(&format!("{site}/admin/audit")).await;
    b.wait_for("<h1>Audit trail</h1>").await;
    violations.extend(
        b.accessibility_violations()
            .await
            .into_iter()
            .map(|v| format!("audit: {v}")),
    );
    b.go(&format!("{site}/admin/users")).await;
    b.wait_for("<h1>Staff</h1>").await;
    violations.extend(
        b.accessibility_violations()
            .await
            .into_iter()
            .map(|v| format!("staff: {v}")),
    );
    b.go(&format!("{site}/setup/scheduling")).await;
    b.wait_for("<h1>Scheduling set-up</h1>").await;
    violations.extend(
        b.accessibility_violations()
            .await
            .into_iter()
            .map(|v| format!("scheduling set-up: {v}")),
    );
    assert!(
        violations.is_empty(),
        "WCAG violations found by axe-core:\n{}",
        violations.join("\n")
    );
    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "the browser reported errors: {errors:?}");
    // The checker itself can fail: a page with an unlabelled field and an
    // image without text is reported.
    b.go("data:text/html,<html lang=en><title>t</title><main><img src=x.png><input></main></html>")
        .await;
    let bad = b.accessibility_violations().await;
    assert!(
        bad.iter().any(|v| v.contains(" image-alt:")) && bad.iter().any(|v| v.contains(" label:")),
        "{bad:?}"
    );

    b.call(reqwest::Method::DELETE, "", None).await;
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The front desk's morning: sign in, find a patient by a misspelt name,
/// book the next available slot, check the patient in, and see the
/// schedule show the arrival.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn front_desk_books_and_checks_in_a_patient_in_chromium() {
    let Some((dir, server, site, b, _driver)) = demo_in_browser("browser-desk").await else {
        return;
    };

    b.go(&format!("{site}/login")).await;
    b.type_into("#email", "front-desk@riverside.example").await;
    b.type_into("#password", "kerato demo password").await;
    b.click("button[type=submit]").await;
    b.wait_for("<h1>Locations</h1>").await;

    // The search box in the header, with "Smith" misspelt.
    b.type_into("#header-q", "smtih\n").await;
    b.wait_for("Smith, Amara").await;
    b.click("#results tbody tr:first-child a").await;
    b.wait_for("Book appointment").await;
    b.press("b").await;
    b.wait_for("<h1>Book an appointment").await;
    b.click("button[value=find]").await;
    b.wait_for("Next available:").await;
    let source = b.source().await;
    let value_of = |id: &str| {
        let marker = format!("id=\"{id}\" name=\"{id}\" value=\"");
        let start = source.find(&marker).unwrap() + marker.len();
        source[start..].split('"').next().unwrap().to_string()
    };
    let time = value_of("time");
    assert_eq!(time.len(), 5, "{time}");
    b.click("button[value=book]").await;
    b.wait_for("<h1>Schedule</h1>").await;
    let row = format!(
        "//tr[td[1][normalize-space()='{time}'] and td[2]/a[normalize-space()='Smith, Amara']]"
    );
    let arrived = b.call(reqwest::Method::POST, "/element", Some(json!({"using": "xpath", "value": format!("{row}//button[normalize-space()='Arrived']")}))).await;
    let el = arrived
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    b.call(
        reqwest::Method::POST,
        &format!("/element/{el}/click"),
        Some(json!({})),
    )
    .await;
    b.wait_for("0 min").await;
    let status = b
        .call(
            reqwest::Method::POST,
            "/element",
            Some(json!({"using": "xpath", "value": format!("{row}/td[5]")})),
        )
        .await;
    let el = status
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    let text = b
        .call(reqwest::Method::GET, &format!("/element/{el}/text"), None)
        .await;
    assert_eq!(text.as_str(), Some("Arrived"));

    // The flow board for that day shows the patient as arrived ...
    let schedule = b.url().await;
    b.go(&schedule.replace("/schedule?", "/flow?")).await;
    b.wait_for("<h1>Flow board</h1>").await;
    let card = "//section[@aria-label='{}']//article[.//a[normalize-space()='Smith, Amara']]";
    let in_column = |column: &str| json!({"using": "xpath", "value": card.replace("{}", column)});
    let found = b
        .call(
            reqwest::Method::POST,
            "/elements",
            Some(in_column("Arrived")),
        )
        .await;
    assert_eq!(
        found.as_array().map(Vec::len),
        Some(1),
        "one card under Arrived"
    );
    let violations = b.accessibility_violations().await;
    assert!(violations.is_empty(), "the flow board: {violations:?}");
    // ... and, when the patient moves on elsewhere (another desk, here a
    // request the page does not make itself), updates without a reload.
    let moved = b
        .call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": "const card = [...document.querySelectorAll('#board article')].find(a => a.textContent.includes('Smith, Amara')); \
                const form = card.querySelector('form'); \
                return fetch(form.action, {method: 'POST', body: new URLSearchParams(new FormData(form)), redirect: 'manual'}).then(r => r.type);", "args": []})),
        )
        .await;
    assert_eq!(
        moved.as_str(),
        Some("opaqueredirect"),
        "the move was accepted"
    );
    let mut shown = false;
    for _ in 0..150 {
        let found = b
            .call(
                reqwest::Method::POST,
                "/elements",
                Some(in_column("Pretest")),
            )
            .await;
        if found.as_array().map(Vec::len) == Some(1) {
            shown = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        shown,
        "the board never moved the card to Pretest: {}",
        b.source().await
    );
    // The other front-desk pages pass the same accessibility checks.
    for (path, heading) in [
        ("/schedule/week", "<h1>Week of"),
        ("/schedule/week?by=resource", "<h1>Week of"),
        ("/waitlist", "<h1>Waitlist</h1>"),
        ("/recalls", "<h1>Recalls due</h1>"),
    ] {
        b.go(&format!("{site}{path}")).await;
        b.wait_for(heading).await;
        let violations = b.accessibility_violations().await;
        assert!(violations.is_empty(), "{path}: {violations:?}");
    }
    // On a narrow screen the week grid scrolls sideways inside its own
    // region, which keyboard users must be able to reach (axe-core's
    // scrollable-region-focusable) even in a week with no appointment, whose
    // grid holds no link to tab to: the week after the demo's booked month.
    b.call(
        reqwest::Method::POST,
        "/window/rect",
        Some(json!({"width": 640, "height": 900})),
    )
    .await;
    b.go(&format!("{site}/schedule/week?date=2027-03-10")).await;
    b.wait_for("<h1>Week of").await;
    let overflows = b
        .eval_string("const g = document.querySelector('.grid-scroll'); return String(g.scrollWidth > g.clientWidth);")
        .await;
    assert_eq!(overflows, "true", "the week grid should scroll at 640 px");
    let violations = b.accessibility_violations().await;
    assert!(violations.is_empty(), "the narrow week: {violations:?}");
    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "the browser reported errors: {errors:?}");
    b.call(reqwest::Method::DELETE, "", None).await;
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The demo served from a fresh data directory and a browser on it; `None`
/// (outside CI only) when chromedriver is not installed.
async fn demo_in_browser(
    name: &str,
) -> Option<(
    std::path::PathBuf,
    crate::support::Running,
    String,
    Browser,
    tokio::process::Child,
)> {
    if !std::path::Path::new(CHROMEDRIVER).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the browser test: cargo xtask ci installs chromium-driver"
        );
        return None;
    }
    let dir = temp(name);
    let server = start_demo(&dir.join("demo"), &[]).await;
    let site = server.urls[0].clone();
    let (b, driver) = open_browser(&dir).await;
    Some((dir, server, site, b, driver))
}

/// `kerato demo` on loopback ports from `data`, with `extra` arguments.
pub(crate) async fn start_demo(data: &std::path::Path, extra: &[&str]) -> crate::support::Running {
    let mut args = vec![
        "demo",
        "--data-dir",
        data.to_str().unwrap(),
        "--bind",
        "127.0.0.1:0",
        "--site-bind",
        "127.0.0.1:0",
        "--clock",
        crate::support::DEMO_CLOCK,
    ];
    args.extend_from_slice(extra);
    start(&args, &[], 2).await
}

/// Signs in to the demo with a role's account (password only; the demo
/// relaxes MFA for the roles that allow it).
async fn demo_sign_in(b: &Browser, site: &str, email: &str) {
    b.call(reqwest::Method::DELETE, "/cookie", None).await;
    b.go(&format!("{site}/login")).await;
    b.type_into("#email", email).await;
    b.type_into("#password", "kerato demo password").await;
    b.click("button[type=submit]").await;
    b.wait_for("<h1>Locations</h1>").await;
}

/// Finds a patient from the search box on every page and opens the first
/// chart found.
async fn open_chart(b: &Browser, query: &str, shown_as: &str) {
    b.type_into("#header-q", &format!("{query}\n")).await;
    b.wait_for(shown_as).await;
    b.click("#results tbody tr:first-child a").await;
}

/// The number on a row of the FTC report's table.
async fn report_count(b: &Browser, row: &str) -> i64 {
    // `row` is one of the test's own labels, quoted as a JavaScript string.
    b.eval_string(&format!(
        "const th = [...document.querySelectorAll('th[scope=row]')].find(t => t.textContent === {row:?}); return th ? th.nextElementSibling.textContent : '';"
    ))
    .await
    .parse()
    .unwrap_or_else(|_| panic!("the report has no row {row}"))
}

/// The value attribute of a section's input in `source`.
fn input_value(source: &str, section: &str, name: &str) -> String {
    let id = format!("{section}-{name}");
    let marker = format!("id=\"{id}\" name=\"{name}\" value=\"");
    let start = source
        .find(&marker)
        .unwrap_or_else(|| panic!("no input {id}"))
        + marker.len();
    source[start..].split('"').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_eye_exam_is_entered_signed_and_its_rx_released_in_chromium() {
    let Some((dir, server, site, b, _driver)) = demo_in_browser("browser-eye").await else {
        return;
    };

    // The technician opens the patient's chart and starts an exam.
    demo_sign_in(&b, &site, "technician@riverside.example").await;
    open_chart(&b, "smith amara", "Smith, Amara").await;
    b.wait_for("Eye exams").await;
    b.click("a[href$='/exams']").await;
    b.wait_for("<h1>Eye exams</h1>").await;
    b.click("form[action$='/exams'] button[type=submit]").await;
    b.wait_for("<h1>Comprehensive eye exam</h1>").await;
    let exam_url = b.url().await;
    // Acuity and autorefraction, typed as technicians type them; each
    // section saves itself when left (no button pressed).
    b.type_into("#acuity-od\\.distance_sc", "20/40-2").await;
    b.type_into("#acuity-os\\.distance_sc", "20/30").await;
    b.type_into("#autorefraction-od\\.sphere", "-225").await;
    b.type_into("#autorefraction-od\\.cylinder", "-.50").await;
    b.type_into("#autorefraction-od\\.axis", "90").await;
    b.type_into("#autorefraction-os\\.sphere", "-2").await;
    b.click("#autorefraction-os\\.cylinder").await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    b.go(&exam_url).await;
    b.wait_for("<h1>Comprehensive eye exam</h1>").await;
    let source = b.source().await;
    assert_eq!(input_value(&source, "acuity", "od.distance_sc"), "20/40-2");
    assert_eq!(
        input_value(&source, "autorefraction", "od.sphere"),
        "-2.25",
        "saved in canonical form"
    );
    assert_eq!(
        input_value(&source, "autorefraction", "od.cylinder"),
        "-0.50"
    );
    assert_eq!(input_value(&source, "autorefraction", "od.axis"), "090");
    assert_eq!(input_value(&source, "autorefraction", "os.sphere"), "-2.00");
    assert_eq!(
        input_value(&source, "lensometry", "od.sphere"),
        "",
        "each refraction is its own"
    );
    let violations = b.accessibility_violations().await;
    assert!(violations.is_empty(), "the exam screen: {violations:?}");

    // The optometrist enters the manifest and the final refraction and
    // signs; the prescription is released at once. This month's FTC report
    // already counts the demo's own prescriptions.
    demo_sign_in(&b, &site, "optometrist@riverside.example").await;
    let rows = [
        "Prescriptions issued",
        "Released to the patient",
        "Receipt confirmed by signature",
    ];
    b.go(&format!("{site}/reports/ftc")).await;
    b.wait_for("<h1>FTC compliance report</h1>").await;
    let mut before = Vec::new();
    for row in rows {
        before.push(report_count(&b, row).await);
    }
    b.go(&exam_url).await;
    b.wait_for("<h1>Comprehensive eye exam</h1>").await;
    b.call(
        reqwest::Method::POST,
        "/execute/sync",
        Some(json!({"script": "for (const s of ['manifest', 'final']) { const f = document.querySelector('#' + s + ' form'); \
            const set = (k, v) => { f.querySelector('[name=\"' + k + '\"]').value = v; }; \
            set('od.sphere', '-2.50'); set('od.cylinder', '-0.75'); set('od.axis', '85'); set('od.add', '+1.25'); \
            set('os.sphere', '-2.25'); set('os.add', '+1.25'); set('od.prism', '1 BI'); set('pd', '63'); } return true;", "args": []})),
    )
    .await;
    b.click("#manifest button[type=submit]").await;
    b.click("#final button[type=submit]").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    b.click("form[action$='/sign'] button[type=submit]").await;
    b.wait_for("<h1>Eyeglass prescription</h1>").await;
    let rx_url = b.url().await;
    let source = b.source().await;
    for value in ["-2.50", "-0.75", "085", "+1.25", "-2.25", "IL 042-000123"] {
        assert!(source.contains(value), "the prescription shows {value}");
    }
    assert!(source.contains("Released"), "released at signing");
    let violations = b.accessibility_violations().await;
    assert!(
        violations.is_empty(),
        "the prescription page: {violations:?}"
    );

    // The patient confirms receipt.
    b.click("#acknowledge").await;
    b.type_into("#signer_name", "Amara Smith").await;
    b.click("form[action$='/confirmation'] button[type=submit]")
        .await;
    b.wait_for("Receipt confirmed by Amara Smith").await;

    // The PDF downloads and its text carries the values.
    let pdf = b
        .call(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": "const done = arguments[arguments.length - 1]; \
                fetch(document.querySelector('#rx-pdf').href).then(r => r.arrayBuffer()).then(buf => { \
                let s = ''; for (const x of new Uint8Array(buf)) s += String.fromCharCode(x); done(btoa(s)); });", "args": []})),
        )
        .await;
    let bytes = data_encoding::BASE64
        .decode(pdf.as_str().unwrap().as_bytes())
        .unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "{rx_url} gave no PDF");
    let file = dir.join("rx.pdf");
    std::fs::write(&file, &bytes).unwrap();
    let text = std::process::Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext is installed by cargo xtask ci (poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    for value in [
        "Eyeglass prescription",
        "-2.50",
        "-0.75",
        "085",
        "+1.25",
        "-2.25",
        "IL 042-000123",
        "1234567893",
        "Smith",
        "PD 63",
        "BI",
    ] {
        assert!(text.contains(value), "the PDF lacks {value}: {text}");
    }
    // The patient's exams show the acuity trend, drawn and as a table.
    b.go(&exam_url).await;
    b.wait_for("<h1>Comprehensive eye exam</h1>").await;
    b.click("a[href$='/exams']").await;
    b.wait_for("<h1>Eye exams</h1>").await;
    let source = b.source().await;
    assert!(source.contains("<polyline"), "the trend is drawn");
    assert!(
        source.contains("<td>0.34</td>"),
        "20/40-2 is logMAR 0.34 in the trend table"
    );
    let violations = b.accessibility_violations().await;
    assert!(violations.is_empty(), "the exams page: {violations:?}");
    b.go(&format!("{site}/rx-requests")).await;
    b.wait_for("<h1>Prescription requests</h1>").await;
    let violations = b.accessibility_violations().await;
    assert!(violations.is_empty(), "the requests inbox: {violations:?}");
    b.click("a[href='/reports/ftc']").await;
    b.wait_for("<h1>FTC compliance report</h1>").await;
    for (row, before) in rows.into_iter().zip(before) {
        assert_eq!(report_count(&b, row).await, before + 1, "{row}");
    }
    let violations = b.accessibility_violations().await;
    assert!(violations.is_empty(), "the FTC report: {violations:?}");
    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "the browser reported errors: {errors:?}");
    b.call(reqwest::Method::DELETE, "", None).await;
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_biopsy_is_logged_and_moved_along_its_loop_in_chromium() {
    let Some((dir, server, site, b, _driver)) = demo_in_browser("browser-biopsy").await else {
        return;
    };
    demo_sign_in(&b, &site, "physician@riverside.example").await;
    open_chart(&b, "smith amara", "Smith, Amara").await;
    b.wait_for("<h2>Order a biopsy</h2>").await;
    b.type_into("#biopsy-site", "left forearm").await;
    b.click("form[action$='/biopsies'] button[type=submit]")
        .await;
    b.wait_for("<h1>Biopsies</h1>").await;
    b.wait_for("left forearm").await;
    b.wait_for("Record: send").await;
    let violations = b.accessibility_violations().await;
    assert!(violations.is_empty(), "the biopsy queue: {violations:?}");
    // The demo's own biopsies share the queue: act on this one's row.
    let action = b.eval_string("return [...document.querySelectorAll('tbody tr')].find(r => r.textContent.includes('left forearm')).querySelector('form[action$=\"/step\"]').getAttribute('action');").await;
    let id = action
        .trim_start_matches("/biopsies/")
        .trim_end_matches("/step")
        .to_string();
    let step = format!("form[action='{action}'] button[type=submit]");
    b.click(&step).await;
    b.wait_for(&format!("id=\"text-{id}\"")).await;
    assert!(
        queue_row(&b, &id).await.contains("no result due"),
        "the 7-day timer runs"
    );
    b.type_into(&format!("#text-{id}"), "Squamous cell carcinoma in situ")
        .await;
    choose(&b, &format!("#diagnosis-{id}"), "malignant").await;
    b.click(&step).await;
    b.wait_without(&format!("id=\"text-{id}\"")).await;
    assert!(
        queue_row(&b, &id)
            .await
            .contains("malignant not reviewed due"),
        "the 2-business-day timer runs"
    );
    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "the browser reported errors: {errors:?}");
    b.call(reqwest::Method::DELETE, "", None).await;
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lesion_is_placed_on_the_body_map_and_its_growth_flagged_in_chromium() {
    let Some((dir, server, site, b, _driver)) = demo_in_browser("browser-lesion").await else {
        return;
    };
    demo_sign_in(&b, &site, "physician@riverside.example").await;
    open_chart(&b, "smith amara", "Smith, Amara").await;
    b.wait_for("Lesions").await;
    b.click("a[href$='/lesions']").await;
    b.wait_for("<h1>Lesions</h1>").await;
    let violations = b.accessibility_violations().await;
    assert!(violations.is_empty(), "the body map: {violations:?}");
    // A click on the back drawing places the pin there.
    b.click("svg[data-view=posterior]").await;
    let view = b
        .call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": "return [document.getElementById('lesion-view').value, document.getElementById('lesion-x').value];", "args": []})),
        )
        .await;
    assert_eq!(view[0].as_str(), Some("posterior"), "{view}");
    // The face's detail drawing: a click on the nose names the region and
    // the drawing, and the midline.
    b.click("svg[data-view=face]").await;
    let picked = b
        .call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": "return ['lesion-view', 'region', 'laterality'].map(id => document.getElementById(id).value);", "args": []})),
        )
        .await;
    assert_eq!(picked, json!(["face", "nose", "midline"]));
    b.click("svg[data-view=posterior]").await;
    b.call(
        reqwest::Method::POST,
        "/execute/sync",
        Some(json!({"script": "document.getElementById('region').value = 'upper_back'; document.getElementById('laterality').value = 'left'; return true;", "args": []})),
    )
    .await;
    b.type_into("#label", "L1").await;
    b.type_into("#size_mm", "4").await;
    b.click("#colour-brown").await;
    b.click("form[action$='/lesions'] button[type=submit]")
        .await;
    b.wait_for("<h1>Lesion L1 Upper back, left</h1>").await;
    // The next visit: bigger, and black has appeared.
    b.type_into("#size_mm", "5.5").await;
    b.click("#colour-brown").await;
    b.click("#colour-black").await;
    b.click("form[action$='/observations'] button[type=submit]")
        .await;
    b.wait_for("Grew from 4.0 mm to 5.5 mm").await;
    b.wait_for("New colour: Black").await;
    let violations = b.accessibility_violations().await;
    assert!(violations.is_empty(), "the lesion timeline: {violations:?}");
    b.click("a[href$='/lesions']").await;
    b.wait_for("<title>L1 Upper back, left</title>").await;
    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "the browser reported errors: {errors:?}");
    b.call(reqwest::Method::DELETE, "", None).await;
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The fixture photo: a JPEG with EXIF and a GPS position.
fn fixture_photo() -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kerato-formats/tests/fixtures/with-exif-gps.jpg")
        .canonicalize()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// The text of the work queue's row for a biopsy.
async fn queue_row(b: &Browser, id: &str) -> String {
    b.call(
        reqwest::Method::POST,
        "/execute/sync",
        Some(json!({"script": "const row = [...document.querySelectorAll('tbody tr')].find(r => r.innerHTML.includes(arguments[0])); return row ? row.textContent : '';", "args": [id]})),
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// Sets a select's value by script (WebDriver has no "choose option").
pub(crate) async fn choose(b: &Browser, css: &str, value: &str) {
    b.call(
        reqwest::Method::POST,
        "/execute/sync",
        Some(json!({"script": "document.querySelector(arguments[0]).value = arguments[1]; return true;", "args": [css, value]})),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lesion_is_photographed_biopsied_escalated_and_its_loop_closed_in_chromium() {
    let Some((dir, mut server, site, b, _driver)) = demo_in_browser("browser-derm-loop").await
    else {
        return;
    };
    demo_sign_in(&b, &site, "physician@riverside.example").await;
    open_chart(&b, "smith amara", "Smith, Amara").await;
    b.wait_for("Lesions").await;
    b.click("a[href$='/lesions']").await;
    b.wait_for("<h1>Lesions</h1>").await;
    // Place the lesion on the front drawing.
    b.click("svg[data-view=anterior]").await;
    choose(&b, "#region", "forearm").await;
    choose(&b, "#laterality", "left").await;
    b.type_into("#label", "F1").await;
    b.type_into("#size_mm", "6").await;
    b.click("#colour-brown").await;
    b.click("form[action$='/lesions'] button[type=submit]")
        .await;
    b.wait_for("<h1>Lesion F1 Forearm, left</h1>").await;
    let lesion_url = b.url().await;

    // A photo with EXIF and GPS, with the patient's consent recorded now.
    b.type_into("#photo", &fixture_photo()).await;
    b.click("#consent").await;
    b.click("form[action$='/photos'] button[type=submit]").await;
    b.wait_for("/thumbnail\"").await;
    let shown = b
        .call(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": "const img = document.querySelector('#timeline img'); const done = arguments[0]; if (img.complete) { done(img.naturalWidth); } else { img.onload = () => done(img.naturalWidth); img.onerror = () => done(0); }", "args": []})),
        )
        .await;
    assert!(
        shown.as_u64().unwrap_or(0) > 0,
        "the thumbnail shows: {shown}"
    );
    let violations = b.accessibility_violations().await;
    assert!(
        violations.is_empty(),
        "the lesion with its photo: {violations:?}"
    );

    // A punch biopsy on the lesion: the note, the specimen, the charge.
    b.click("a[href*='/procedures?lesion=']").await;
    b.wait_for("<h1>Procedures</h1>").await;
    let violations = b.accessibility_violations().await;
    assert!(violations.is_empty(), "the procedures page: {violations:?}");
    b.type_into("#biopsy-site", "left forearm").await;
    b.type_into("#biopsy-punch", "4").await;
    b.click("#biopsy form button[type=submit]").await;
    b.wait_for("Punch biopsy, 4 mm, of left forearm.").await;
    b.wait_for("11104").await;
    let requisition = b
        .eval_string(
            "return document.querySelector(\"a[href$='/requisition.pdf']\").getAttribute('href');",
        )
        .await;
    let specimen = requisition
        .trim_start_matches("/biopsies/")
        .trim_end_matches("/requisition.pdf")
        .to_string();
    let pdf = b
        .call(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": "const done = arguments[1]; fetch(arguments[0]).then(r => r.arrayBuffer().then(buf => done([r.status, r.headers.get('content-type'), new TextDecoder('latin1').decode(buf).includes('/DCTDecode')])));", "args": [requisition]})),
        )
        .await;
    assert_eq!(
        pdf,
        json!([200, "application/pdf", true]),
        "the requisition carries the lesion photo; the server said: {}",
        server.stderr.lock().unwrap()
    );

    // The loop: sent, then a malignant result.
    let step = format!("form[action='/biopsies/{specimen}/step'] button[type=submit]");
    b.go(&format!("{site}/biopsies")).await;
    b.wait_for(&specimen).await;
    b.click(&step).await;
    b.wait_for(&format!("id=\"text-{specimen}\"")).await;
    b.type_into(&format!("#text-{specimen}"), "Melanoma in situ")
        .await;
    choose(&b, &format!("#diagnosis-{specimen}"), "malignant").await;
    b.click(&step).await;
    b.wait_without(&format!("id=\"text-{specimen}\"")).await;
    assert!(
        queue_row(&b, &specimen)
            .await
            .contains("malignant not reviewed due")
    );

    // Ten days later (the demo's training clock): the review is overdue,
    // the work queue shows who was alerted and the clinician's inbox has it.
    server.child.kill().await.unwrap();
    let mut server = start_demo(&dir.join("demo"), &["--days-ahead", "10"]).await;
    let site = server.urls[0].clone();
    demo_sign_in(&b, &site, "physician@riverside.example").await;
    let mut row = String::new();
    for _ in 0..60 {
        b.go(&format!("{site}/biopsies")).await;
        row = queue_row(&b, &specimen).await;
        if row.contains("Alerted: the responsible clinician") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        row.contains("Overdue: malignant not reviewed")
            && row.contains("Alerted: the responsible clinician"),
        "{row}"
    );
    // The clinician's inbox: this biopsy's alert beside the demo's own
    // malignant shave biopsy's.
    b.go(&format!("{site}/inbox")).await;
    let alerts = b
        .source()
        .await
        .matches("a malignant result has not been reviewed")
        .count();
    assert!(alerts >= 2, "{alerts} malignant-review alerts in the inbox");

    // Review, the notification (how, by whom, when), the plan, and close.
    b.go(&format!("{site}/biopsies")).await;
    let step = format!("form[action='/biopsies/{specimen}/step'] button[type=submit]");
    b.click(&step).await;
    b.wait_for(&format!("id=\"how-{specimen}\"")).await;
    choose(&b, &format!("#how-{specimen}"), "phone").await;
    b.click(&step).await;
    b.wait_for(&format!("id=\"plan-{specimen}\"")).await;
    b.type_into(
        &format!("#plan-{specimen}"),
        "Wide local excision, 5 mm margins",
    )
    .await;
    b.click(&step).await;
    // This biopsy's own row: the demo's planned biopsy offers to close too.
    for _ in 0..60 {
        if queue_row(&b, &specimen).await.contains("Record: close") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    b.click(&step).await;
    b.wait_without(&specimen).await;
    b.go(&format!("{site}/biopsies")).await;
    b.wait_for("<h1>Biopsies</h1>").await;
    assert!(
        !b.source().await.contains(&specimen),
        "a closed loop leaves the work queue"
    );
    b.go(&lesion_url.replace(&server_origin(&lesion_url), &site))
        .await;
    b.wait_for("F1 Forearm, left").await;
    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "the browser reported errors: {errors:?}");
    b.call(reqwest::Method::DELETE, "", None).await;
    server.child.kill().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The scheme, host and port of `url`.
fn server_origin(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    url[..end].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_request_is_verified_fulfilled_and_downloaded_once_in_chromium() {
    let Some((dir, server, site, b, _driver)) = demo_in_browser("browser-access").await else {
        return;
    };
    // The patient asks for a copy of their records on the public form.
    b.go(&format!("{site}/privacy/request")).await;
    b.wait_for("<h1>Ask about your information</h1>").await;
    let violations = b.accessibility_violations().await;
    assert!(violations.is_empty(), "the request form: {violations:?}");
    choose(&b, "#request_type", "access").await;
    b.type_into("#first_name", "Amara").await;
    b.type_into("#last_name", "Smith").await;
    b.type_into("#date_of_birth", "2010-11-03").await;
    b.type_into("#email", "amara.smith@example.net").await;
    b.click("form[action='/privacy/request'] button[type=submit]")
        .await;
    b.wait_for("We received your request").await;

    // The privacy officer (MFA always) finds it on the dashboard.
    b.go(&format!("{site}/login")).await;
    b.type_into("#email", "privacy-officer@riverside.example")
        .await;
    b.type_into("#password", "kerato demo password").await;
    b.click("button[type=submit]").await;
    b.wait_for("id=\"code\"").await;
    use kerato_domain::time::Clock;
    let secret =
        kerato_domain::totp::TotpSecret::from_base32(kerato_app::demo::DEMO_TOTP_SECRET).unwrap();
    let code = kerato_domain::totp::code_for_step(
        &secret,
        kerato_domain::totp::step_at(kerato_app::clock::SystemClock.now()),
        6,
    );
    b.type_into("#code", &code).await;
    b.click("button[type=submit]").await;
    b.wait_for("<h1>Locations</h1>").await;
    b.go(&format!("{site}/privacy")).await;
    b.wait_for("Access to (a copy of) their data").await;
    let violations = b.accessibility_violations().await;
    assert!(
        violations.is_empty(),
        "the privacy dashboard: {violations:?}"
    );
    // The demo has a request of its own; this one is Amara's.
    let row = b
        .call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": "const row = [...document.querySelectorAll('#requests tbody tr')].find(r => r.textContent.includes('Amara Smith')); return [row.querySelector('a').getAttribute('href'), row.lastElementChild.textContent.trim()];", "args": []})),
        )
        .await;
    assert_eq!(row[1], json!("30"), "a HIPAA access request has 30 days");
    b.click(&format!("#requests a[href='{}']", row[0].as_str().unwrap()))
        .await;
    b.wait_for("Verify the requester").await;
    let violations = b.accessibility_violations().await;
    assert!(violations.is_empty(), "the request page: {violations:?}");
    b.type_into("#identity_note", "photo ID at the front desk")
        .await;
    b.click("form:has(input[value=verify]) button[type=submit]")
        .await;
    b.wait_for("id=\"fulfil\"").await;
    b.type_into("#summary", "copy of the record provided").await;
    b.click("#fulfil").await;
    b.wait_for("id=\"download-link\"").await;
    let link = b
        .eval_string("return document.querySelector('#download-link a').getAttribute('href');")
        .await;
    assert!(b.text("#request-state").await.contains("fulfilled"));

    // The requester, signed out, opens the link and downloads once.
    b.call(reqwest::Method::DELETE, "/cookie", None).await;
    b.go(&format!("{site}{link}")).await;
    b.wait_for("<h1>Your records</h1>").await;
    let violations = b.accessibility_violations().await;
    assert!(violations.is_empty(), "the download page: {violations:?}");
    let fetch = json!({"script": "const done = arguments[0]; const f = document.getElementById('download-form'); fetch(f.action, {method: 'POST', body: new URLSearchParams(new FormData(f))}).then(r => r.arrayBuffer().then(buf => done([r.status, r.headers.get('content-type'), String.fromCharCode(...new Uint8Array(buf.slice(0, 2))), buf.byteLength])));", "args": []});
    let first = b
        .call(reqwest::Method::POST, "/execute/async", Some(fetch.clone()))
        .await;
    assert_eq!(first[0], json!(200), "{first}");
    assert_eq!(first[1], json!("application/zip"));
    assert_eq!(first[2], json!("PK"), "a ZIP file");
    assert!(first[3].as_u64().unwrap() > 1000, "{first}");
    let second = b
        .call(reqwest::Method::POST, "/execute/async", Some(fetch))
        .await;
    assert_eq!(second[0], json!(410), "the link works once: {second}");
    b.go(&format!("{site}{link}")).await;
    b.wait_for("this link has been used").await;
    let errors = b.console_errors().await;
    assert!(
        errors.iter().all(|e| e.contains("410")),
        "the browser reported errors: {errors:?}"
    );
    b.call(reqwest::Method::DELETE, "", None).await;
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}
