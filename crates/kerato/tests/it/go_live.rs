//! Go-live from `kerato init` on an empty data directory, with no demo code
//! anywhere: the administrator signs in and sets the practice up, a
//! physician accepts an invitation, and the front desk registers a patient
//! and books the first appointment. Once as a script would, through the
//! JSON API alone; once as people would, in Chromium.

use std::time::{Duration, Instant};

use kerato_domain::time::Clock;
use kerato_http::testing::smtp_sink;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{ADMIN_EMAIL, Running, admin_password, init, own_password, start, temp};

/// `kerato serve` on a fresh `kerato init`, delivering mail every second to
/// a local sink; returns the server, its URL and the sink's inbox.
async fn fresh_practice(
    dir: &std::path::Path,
) -> (
    Running,
    String,
    String,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    let data = dir.join("data");
    let password = admin_password(&init(&data));
    let (smtp, inbox) = smtp_sink().await;
    let server = start(
        &[
            "serve",
            "--data-dir",
            data.to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
        ],
        &[
            ("KERATO_MAIL__SMTP_URL", smtp.as_str()),
            ("KERATO_MAIL__FROM", "Go-live Clinic <desk@clinic.example>"),
            ("KERATO_MAIL__INTERVAL_SECONDS", "1"),
        ],
        1,
    )
    .await;
    let base = server.urls[0].clone();
    (server, base, password, inbox)
}

/// The link holding `path` in the message to `to` that carries one,
/// waiting for the mail worker to deliver it.
async fn link_to(
    inbox: &std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    to: &str,
    path: &str,
) -> String {
    let text = crate::demo_mail::mail_to(inbox, to, path).await;
    let at = text.find(path).unwrap();
    let start = text[..at]
        .rfind("http")
        .unwrap_or_else(|| panic!("no absolute link in {text}"));
    let end = text[at..]
        .find(char::is_whitespace)
        .map_or(text.len(), |e| at + e);
    text[start..end].trim_end_matches('.').to_string()
}

fn code_now(secret: &str) -> String {
    let secret = kerato_domain::totp::TotpSecret::from_base32(secret).unwrap();
    let step = kerato_domain::totp::step_at(kerato_app::clock::SystemClock.now());
    kerato_domain::totp::code_for_step(&secret, step, 6)
}

/// A client that keeps its cookies, as a script's HTTP library does.
struct Script {
    http: reqwest::Client,
    base: String,
}

impl Script {
    fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.into(),
        }
    }

    /// Calls the API and, when the answer names a new resource, reads it
    /// back from its `Location`: a script follows what it is told.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let location = resp
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        let text = resp.text().await.unwrap();
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if let Some(at) = location {
            let again = self
                .http
                .get(format!("{}{at}", self.base))
                .send()
                .await
                .unwrap();
            assert_eq!(again.status(), StatusCode::OK, "{path} pointed to {at}");
            let read: Value = again.json().await.unwrap();
            assert_eq!(read["id"], value["id"], "{at} reads back what {path} made");
        }
        (status, value)
    }

    async fn ok(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let (status, value) = self.call(method, path, body).await;
        assert!(status.is_success(), "{path}: {status} {value}");
        value
    }

    /// Signs in as a person at a script would: the password, an
    /// authenticator enrolled or a code, and a new password when asked.
    async fn sign_in(
        &self,
        email: &str,
        password: &str,
        new_password: Option<&str>,
    ) -> Option<String> {
        use reqwest::Method;
        let mut secret = None;
        let mut step = self
            .ok(
                Method::POST,
                "/api/session",
                Some(json!({"email": email, "password": password})),
            )
            .await;
        loop {
            match step["next"].as_str().unwrap() {
                "enrolment" => {
                    let key = self.ok(Method::POST, "/api/session/enrolment", None).await;
                    let s = key["secret"].as_str().unwrap().to_string();
                    step = self
                        .ok(
                            Method::POST,
                            "/api/session/enrolment/confirm",
                            Some(json!({"code": code_now(&s)})),
                        )
                        .await;
                    assert_eq!(step["recovery_codes"].as_array().unwrap().len(), 10);
                    secret = Some(s);
                }
                "password" => {
                    let new = new_password.expect("a new password was asked for");
                    self.ok(
                        Method::POST,
                        "/api/account/password",
                        Some(json!({"current_password": password, "new_password": new})),
                    )
                    .await;
                    step = self.ok(Method::GET, "/api/session", None).await;
                }
                "none" => return secret,
                other => panic!("unexpected step {other}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_sets_up_a_new_practice_and_books_its_first_appointment() {
    use reqwest::Method;
    let dir = temp("go-live-api");
    let (server, base, printed, inbox) = fresh_practice(&dir).await;

    // The administrator: the printed password, an authenticator, then
    // their own password, before anything else.
    let admin = Script::new(&base);
    let (status, _) = admin.call(Method::GET, "/api/setup", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    admin
        .sign_in(ADMIN_EMAIL, &printed, Some(&own_password(&printed)))
        .await
        .expect("administrators enrol an authenticator");
    let setup = admin.ok(Method::GET, "/api/setup", None).await;
    assert_eq!(setup["next"], "practice");

    // The practice and its location with opening hours.
    admin
        .ok(
            Method::PUT,
            "/api/organisation",
            Some(json!({"name": "Go-live Skin Clinic"})),
        )
        .await;
    let location = admin
        .ok(
            Method::POST,
            "/api/locations",
            Some(json!({
                "name": "Main Street",
                "time_zone": "America/Chicago",
                "address_line1": "100 Main St",
                "city": "Springfield",
                "state": "IL",
                "zip": "62701",
                "specialties": ["dermatology"]
            })),
        )
        .await;
    let loc = location["id"].as_str().unwrap().to_string();
    let week: Vec<Value> = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
    .iter()
    .map(|d| json!({"weekday": d, "opens": "07:00", "closes": "19:00"}))
    .collect();
    admin
        .ok(
            Method::PUT,
            &format!("/api/locations/{loc}/hours"),
            Some(json!({"days": week})),
        )
        .await;
    // Dermatology's visit types, rooms and recalls.
    let added = admin
        .ok(
            Method::POST,
            "/api/setup/defaults",
            Some(json!({"specialties": ["dermatology"]})),
        )
        .await;
    assert_eq!(added["visit_types"], 5);

    // A physician is invited and accepts from the e-mailed link.
    let invited = admin
        .ok(
            Method::POST,
            "/api/users",
            Some(json!({"email": "okafor@clinic.example", "display_name": "Ada Okafor", "role": "physician"})),
        )
        .await;
    let link = link_to(&inbox, "okafor@clinic.example", "/invite/").await;
    assert!(
        link.starts_with(&base),
        "the e-mailed link names this server: {link}"
    );
    let token = link.rsplit('/').next().unwrap();
    let physician = Script::new(&base);
    let (status, _) = physician
        .call(
            Method::POST,
            &format!("/api/invitations/{token}"),
            Some(json!({"new_password": "a physician's own passphrase"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    physician
        .sign_in(
            "okafor@clinic.example",
            "a physician's own passphrase",
            None,
        )
        .await;
    let me = physician.call(Method::GET, "/api/setup", None).await;
    assert_eq!(
        me.0,
        StatusCode::FORBIDDEN,
        "the set-up is the administrator's"
    );

    // She is the practice's provider, working every day.
    let provider = admin
        .ok(
            Method::POST,
            "/api/providers",
            Some(json!({
                "name": "Dr. Ada Okafor",
                "user_id": invited["id"],
                "credentials": "MD",
                "npi": "1245319599",
                "taxonomy_code": "207N00000X",
                "specialties": ["dermatology"],
                "location_ids": [loc]
            })),
        )
        .await;
    let pid = provider["id"].as_str().unwrap().to_string();
    let days: Vec<Value> = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
    .iter()
    .map(|d| json!({"weekday": d, "start": "08:00", "end": "18:00"}))
    .collect();
    admin
        .ok(
            Method::POST,
            &format!("/api/providers/{pid}/hours"),
            Some(json!({"location_id": loc, "effective_from": "2020-01-06", "days": days})),
        )
        .await;

    // The front desk, invited the same way.
    admin
        .ok(
            Method::POST,
            "/api/users",
            Some(json!({"email": "desk@clinic.example", "display_name": "Dee Desk", "role": "front_desk"})),
        )
        .await;
    let link = link_to(&inbox, "desk@clinic.example", "/invite/").await;
    let desk = Script::new(&base);
    desk.ok(
        Method::POST,
        &format!("/api/invitations/{}", link.rsplit('/').next().unwrap()),
        Some(json!({"new_password": "reception on main street 2027"})),
    )
    .await;
    desk.sign_in("desk@clinic.example", "reception on main street 2027", None)
        .await;

    // The notice of privacy practices, and a test message.
    let today = kerato_app::clock::SystemClock
        .now()
        .to_jiff()
        .to_zoned_datetime(jiff::tz::TimeZone::get("America/Chicago").unwrap())
        .date();
    let (status, notice) = admin
        .call(
            Method::POST,
            "/api/setup/privacy-notice",
            Some(json!({"effective_on": today.to_string(), "contact": "(217) 555-0100"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{notice}");
    let tested = admin
        .ok(
            Method::POST,
            "/api/settings/messaging/test",
            Some(json!({"channel": "email", "to": ADMIN_EMAIL})),
        )
        .await;
    assert_eq!(tested["test_passed"], true, "{tested}");
    assert_eq!(tested["from_configuration"], true);
    let setup = admin.ok(Method::GET, "/api/setup", None).await;
    assert_eq!(setup["next"], "first_appointment", "{setup}");

    // The front desk registers a patient and books what is free first.
    let patient = desk
        .ok(
            Method::POST,
            "/api/patients",
            Some(json!({"patient": {
                "legal_first_name": "Amara",
                "legal_last_name": "Smith",
                "date_of_birth": "1990-04-12",
                "mobile_phone": "217-555-0142"
            }})),
        )
        .await;
    let types = desk.ok(Method::GET, "/api/visit-types", None).await;
    let skin = types
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Full-skin check")
        .unwrap()["id"]
        .clone();
    let providers = desk.ok(Method::GET, "/api/providers", None).await;
    assert_eq!(providers[0]["id"], pid);
    let free = desk
        .ok(
            Method::POST,
            "/api/appointments/next-available",
            Some(json!({"provider_id": pid, "location_id": loc, "appointment_type_id": skin})),
        )
        .await;
    let at: jiff::Timestamp = free["starts_at"].as_str().unwrap().parse().unwrap();
    let local = at.to_zoned_datetime(jiff::tz::TimeZone::get("America/Chicago").unwrap());
    let (status, booked) = desk
        .call(
            Method::POST,
            "/api/appointments",
            Some(json!({
                "provider_id": pid,
                "patient_id": patient["id"],
                "location_id": loc,
                "appointment_type_id": skin,
                "date": local.date().to_string(),
                "time": local.time().strftime("%H:%M").to_string()
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    assert_eq!(booked["starts_at"], free["starts_at"]);
    let setup = admin.ok(Method::GET, "/api/setup", None).await;
    assert_eq!(
        setup["next"],
        Value::Null,
        "the set-up is complete: {setup}"
    );
    assert!(
        setup["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["state"] == "done"),
        "{setup}"
    );
    drop(server);
    std::fs::remove_dir_all(dir).unwrap();
}

/// The browser's page for the go-live walk: it checks each screen it
/// reaches with axe-core and counts them.
struct Walk<'a> {
    b: &'a crate::browser::Browser,
    pages: Vec<String>,
    violations: Vec<String>,
}

impl Walk<'_> {
    /// Waits for `needle` on the screen now shown, then checks and counts
    /// it as `name`.
    async fn reach(&mut self, needle: &str, name: &str) {
        self.b.wait_for(needle).await;
        self.pages.push(name.into());
        self.violations.extend(
            self.b
                .accessibility_violations()
                .await
                .into_iter()
                .map(|v| format!("{name}: {v}")),
        );
    }
}

/// Sets a field's value as the browser's own picker would: typing into a
/// time field depends on the browser's locale (12 or 24 hours).
async fn set_value(b: &crate::browser::Browser, css: &str, value: &str) {
    let set = b
        .eval_string(&format!(
            "const f = document.querySelector({css:?}); f.value = {value:?}; return f.value;"
        ))
        .await;
    assert_eq!(set, value, "{css}");
}

/// Signs in at the page; enrols an authenticator when asked (returning one
/// of the recovery codes it shows) or enters `second_factor`, a recovery
/// code.
async fn sign_in_page(
    w: &mut Walk<'_>,
    site: &str,
    email: &str,
    password: &str,
    second_factor: Option<&str>,
) -> Option<String> {
    let b = w.b;
    b.call(reqwest::Method::DELETE, "/cookie", None).await;
    b.go(&format!("{site}/login")).await;
    w.reach("<h1>Sign in", "sign-in").await;
    b.type_into("#email", email).await;
    b.type_into("#password", password).await;
    b.click("button[type=submit]").await;
    for _ in 0..100 {
        let source = b.source().await;
        if source.contains("Set up your authenticator") {
            w.reach("Set up your authenticator", "enrolment").await;
            let key = b.text("main code").await;
            b.type_into("#code", &code_now(&key)).await;
            b.click("form button[type=submit]").await;
            w.reach("Your recovery codes", "recovery codes").await;
            // A recovery code signs in again later: the authenticator's
            // code of this half minute is spent, and a code is never
            // taken twice.
            let recovery = b.text("ul.codes li").await;
            b.click("main a.button").await;
            return Some(recovery);
        }
        if source.contains("id=\"code\"") {
            b.type_into("#code", second_factor.expect("a second factor is asked"))
                .await;
            b.click("form button[type=submit]").await;
            // Signed in only once the code's page has gone: leaving it
            // sooner would cancel the form.
            b.wait_without("id=\"code\"").await;
            return None;
        }
        if !source.contains("<h1>Sign in") {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the sign-in went nowhere: {}", b.source().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_practice_sets_itself_up_and_books_its_first_appointment_in_chromium() {
    if !std::path::Path::new(crate::browser::CHROMEDRIVER).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the browser test: cargo xtask ci installs chromium-driver"
        );
        return;
    }
    let dir = temp("go-live-browser");
    let (server, site, printed, inbox) = fresh_practice(&dir).await;
    let (b, _driver) = crate::browser::open_browser(&dir).await;
    let started = Instant::now();
    let mut w = Walk {
        b: &b,
        pages: Vec::new(),
        violations: Vec::new(),
    };

    // The administrator's first sign-in ends at the set-up.
    let recovery = sign_in_page(&mut w, &site, ADMIN_EMAIL, &printed, None)
        .await
        .expect("administrators enrol");
    w.reach("Choose your own password", "password change").await;
    let own = own_password(&printed);
    b.type_into("#current_password", &printed).await;
    b.type_into("#new_password", &own).await;
    b.type_into("#new_password_confirmation", &own).await;
    b.click("form.form button[type=submit]").await;
    w.reach(
        "<h2 id=\"step-title\">Practice and locations</h2>",
        "set-up: practice",
    )
    .await;

    // The location, then its opening hours (the usual week is offered).
    b.click("main a.button[href='/locations/new']").await;
    w.reach("<h1>Add location</h1>", "location form").await;
    b.type_into("#name", "Browser Clinic").await;
    b.type_into("#address_line1", "5 Chromium Way").await;
    b.type_into("#city", "Madison").await;
    b.type_into("#state", "WI").await;
    b.type_into("#zip", "53703").await;
    b.type_into("#time_zone", "America/Chicago").await;
    b.click("input[value=dermatology]").await;
    b.click("form.form button[type=submit]").await;
    w.reach("Location added.", "locations").await;
    b.click("nav a[href='/setup']").await;
    w.reach("Browser Clinic, 5 Chromium Way", "set-up: opening hours")
        .await;
    for day in ["sat", "sun"] {
        set_value(&b, &format!("input[name={day}_opens]"), "09:00").await;
        set_value(&b, &format!("input[name={day}_closes]"), "13:00").await;
    }
    b.click("form[action$='/hours'] button[type=submit]").await;
    w.reach(
        "Practice and locations</a> <span class=\"badge\">Done",
        "set-up: practice done",
    )
    .await;
    b.click("a.button[href='/setup/steps/specialties']").await;
    w.reach("Visit types, rooms and recalls</h2>", "set-up: specialties")
        .await;
    b.click("form[action='/setup/defaults'] button[type=submit]")
        .await;
    w.reach(
        "The practice has 5 visit types and 4 rooms",
        "set-up: defaults added",
    )
    .await;

    // A provider and her hours, every day from today.
    b.click("a.button[href='/setup/steps/providers']").await;
    w.reach("Providers and their hours</h2>", "set-up: providers")
        .await;
    b.click("a.button[href='/setup/providers/new']").await;
    w.reach("<h1>Add a provider</h1>", "provider form").await;
    b.type_into("#name", "Dr. Ada Okafor").await;
    b.type_into("#credentials", "MD").await;
    b.type_into("#npi", "1245319599").await;
    b.type_into("#taxonomy_code", "207N00000X").await;
    b.click("input[name=specialties][value=dermatology]").await;
    b.click("form.form button[type=submit]").await;
    w.reach("<h1>Dr. Ada Okafor, MD</h1>", "provider").await;
    for day in ["sat", "sun"] {
        set_value(&b, &format!("input[name={day}_start]"), "09:00").await;
        set_value(&b, &format!("input[name={day}_end]"), "13:00").await;
    }
    b.click("form[action$='/hours'] button[type=submit]").await;
    w.reach("Sat 09:00–13:00, Sun 09:00–13:00", "provider with hours")
        .await;

    // Staff: a physician and the front desk, who accept from their mail.
    b.click("nav a[href='/setup']").await;
    w.reach("Staff invitations</h2>", "set-up: staff").await;
    let mut accepted = Vec::new();
    for (email, name, role, password) in [
        (
            "okafor@clinic.example",
            "Ada Okafor",
            "physician",
            "a physician's own passphrase",
        ),
        (
            "desk@clinic.example",
            "Dee Desk",
            "front_desk",
            "reception on main street 2027",
        ),
    ] {
        b.go(&format!("{site}/admin/users")).await;
        w.reach("<h1>Staff</h1>", "staff").await;
        b.type_into("#email", email).await;
        b.type_into("#display_name", name).await;
        crate::browser::choose(&b, "#role", role).await;
        b.click("input[name=all_locations]").await;
        b.click("form.form button[type=submit]").await;
        w.reach("Invitation created", "invitation").await;
        accepted.push((link_to(&inbox, email, "/invite/").await, password));
    }
    for (link, password) in &accepted {
        b.go(link).await;
        w.reach("<h1>Choose your password</h1>", "invitation accepted")
            .await;
        b.type_into("#new_password", password).await;
        b.click("form button[type=submit]").await;
        w.reach("Your password is saved", "password saved").await;
    }

    // The notice of privacy practices and a test message.
    b.go(&format!("{site}/setup")).await;
    w.reach("Notice of privacy practices</h2>", "set-up: privacy notice")
        .await;
    b.type_into("#n-contact", "(608) 555-0100").await;
    b.click("form[action='/setup/privacy-notice'] button[type=submit]")
        .await;
    w.reach(
        "The practice's notice of privacy practices is published",
        "notice published",
    )
    .await;
    b.click("a.button[href='/setup/steps/messaging']").await;
    w.reach(
        "come from the server's configuration file",
        "set-up: messaging",
    )
    .await;
    b.type_into("#t-to", ADMIN_EMAIL).await;
    b.click("form[action='/setup/messaging/test'] button[type=submit]")
        .await;
    w.reach(": sent.", "test message sent").await;
    crate::demo_mail::mail_to(&inbox, ADMIN_EMAIL, "This is a test message from Kerato").await;

    // The front desk registers the first patient and books her.
    sign_in_page(
        &mut w,
        &site,
        "desk@clinic.example",
        "reception on main street 2027",
        None,
    )
    .await;
    b.go(&format!("{site}/patients/new")).await;
    w.reach("<h1>Register patient", "registration").await;
    b.type_into("#legal_first_name", "Amara").await;
    b.type_into("#legal_last_name", "Smith").await;
    b.type_into("#date_of_birth", "04/12/1990").await;
    b.click("form.form button[type=submit]").await;
    w.reach("Book appointment", "chart").await;
    b.press("b").await;
    w.reach("<h1>Book an appointment", "booking").await;
    b.click("button[value=find]").await;
    w.reach("Next available:", "next available").await;
    b.click("button[value=book]").await;
    w.reach("<h1>Schedule</h1>", "schedule").await;
    assert!(b.source().await.contains("Smith, Amara"));

    // Back as the administrator: the set-up is complete.
    sign_in_page(&mut w, &site, ADMIN_EMAIL, &own, Some(&recovery)).await;
    b.go(&format!("{site}/setup")).await;
    w.reach("The set-up is complete", "set-up complete").await;
    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "the browser reported errors: {errors:?}");
    assert!(
        w.violations.is_empty(),
        "WCAG violations found by axe-core:\n{}",
        w.violations.join("\n")
    );
    let took = started.elapsed();
    eprintln!(
        "go-live in Chromium: {} pages, {:.1} s: {}",
        w.pages.len(),
        took.as_secs_f64(),
        w.pages.join(" → ")
    );
    b.call(reqwest::Method::DELETE, "", None).await;
    drop(server);
    std::fs::remove_dir_all(&dir).unwrap();
}
