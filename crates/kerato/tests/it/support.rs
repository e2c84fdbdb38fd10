//! Running the binary.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_kerato")
}

/// `kerato ARGS` to completion: (success, stdout, stderr).
pub fn run(args: &[&str]) -> (bool, String, String) {
    run_with_env(args, &[])
}

pub fn run_with_env(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = std::process::Command::new(bin())
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        .output()
        .expect("kerato runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub const ADMIN_EMAIL: &str = "admin@clinic.example";

pub fn init(dir: &Path) -> String {
    init_with(&["--data-dir", dir.to_str().unwrap()])
}

/// `kerato init ARGS --admin-email …`; returns what it printed.
pub fn init_with(args: &[&str]) -> String {
    let mut all = vec!["init", "--admin-email", ADMIN_EMAIL];
    all.extend_from_slice(args);
    let (ok, out, err) = run(&all);
    assert!(ok, "init failed: {out}{err}");
    out
}

/// The one-time administrator password `kerato init` printed.
pub fn admin_password(init_output: &str) -> String {
    let marker = "one-time password ";
    let start = init_output.find(marker).expect("init prints the password") + marker.len();
    init_output[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

const CSRF: &str = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed";

/// The password a test chooses at the first sign-in in place of the one
/// `kerato init` printed.
pub fn own_password(printed: &str) -> String {
    format!("{printed} made my own")
}

/// The session a response's `Set-Cookie` starts, as a Cookie header value
/// with the CSRF cookie the test forms carry.
pub fn session_of(resp: &reqwest::Response) -> String {
    let set = resp.headers()["set-cookie"].to_str().unwrap();
    format!("kerato_csrf={CSRF}; {}", set.split(';').next().unwrap())
}

/// Posts a sign-in form as a browser would, with the CSRF cookie and field.
pub async fn post_form(
    base: &str,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut all = vec![("csrf", CSRF)];
    all.extend_from_slice(fields);
    client()
        .post(format!("{base}{path}"))
        .header("cookie", cookie)
        .form(&all)
        .send()
        .await
        .unwrap()
}

/// The first two steps of a first sign-in: the password, then enrolling
/// an authenticator (administrators must); returns the Cookie header value
/// of the session enrolment left.
pub async fn password_and_enrolment(base: &str, email: &str, password: &str) -> String {
    use kerato_domain::time::Clock;
    let jar = format!("kerato_csrf={CSRF}");
    let resp = post_form(
        base,
        "/login",
        &jar,
        &[("email", email), ("password", password)],
    )
    .await;
    assert_eq!(resp.status(), 303, "sign-in refused");
    assert_eq!(resp.headers()["location"], "/login/enrol");
    let pending = session_of(&resp);
    let html = client()
        .get(format!("{base}/login/enrol"))
        .header("cookie", &pending)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = html.find("Key: <code>").unwrap() + "Key: <code>".len();
    let secret = kerato_domain::totp::TotpSecret::from_base32(&html[start..start + 32]).unwrap();
    let now = kerato_app::clock::SystemClock.now();
    let code = kerato_domain::totp::code_for_step(&secret, kerato_domain::totp::step_at(now), 6);
    let resp = post_form(base, "/login/enrol", &pending, &[("code", code.as_str())]).await;
    assert_eq!(resp.status(), 200, "enrolment refused");
    session_of(&resp)
}

/// Submits the forced password change from `current` to `new`.
pub async fn change_password(
    base: &str,
    cookie: &str,
    current: &str,
    new: &str,
) -> reqwest::Response {
    post_form(
        base,
        "/login/password",
        cookie,
        &[
            ("current_password", current),
            ("new_password", new),
            ("new_password_confirmation", new),
        ],
    )
    .await
}

/// Signs in through the pages as a real browser would, enrolling an
/// authenticator on the way (administrators must) and, when the password
/// was chosen by someone else (the one `kerato init` printed), choosing
/// [`own_password`] as asked; returns the Cookie header value of the
/// signed-in session.
pub async fn sign_in(base: &str, email: &str, password: &str) -> String {
    let cookie = password_and_enrolment(base, email, password).await;
    // The change page answers only a session that must change its password.
    let change = client()
        .get(format!("{base}/login/password"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    if change.status() != 200 {
        return cookie;
    }
    let resp = change_password(base, &cookie, password, &own_password(password)).await;
    assert_eq!(resp.status(), 303, "the password change was refused");
    session_of(&resp)
}

/// The instant every demo a test starts begins at (a Wednesday, 09:00 in
/// the demo practice's Chicago): the demo is seeded around its clock, so
/// with it fixed the pages show the same days, and a test gives the same
/// answer, whatever the real date.
pub const DEMO_CLOCK: &str = "2027-01-13T15:00:00Z";

/// A running `kerato` child; killed (SIGKILL) when dropped.
#[derive(Debug)]
pub struct Running {
    pub child: Child,
    /// Every URL the child said it listens on, in order.
    pub urls: Vec<String>,
    pub stdout: Vec<String>,
    /// Everything the child wrote to stderr (its logs), so far.
    pub stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

/// Starts `kerato ARGS` and waits until it has printed `expect_urls`
/// "listening on" lines.
pub async fn start(args: &[&str], env: &[(&str, &str)], expect_urls: usize) -> Running {
    let mut child = Command::new(bin())
        .args(args)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("kerato starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mut err_lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let sink = stderr.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = err_lines.next_line().await {
            let mut s = sink.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
        }
    });
    let mut urls = Vec::new();
    let mut seen = Vec::new();
    let wait = async {
        while urls.len() < expect_urls {
            match lines.next_line().await.unwrap() {
                Some(line) => {
                    if let Some((_, url)) = line.split_once("listening on ") {
                        urls.push(url.trim().to_string());
                    }
                    seen.push(line);
                }
                None => break,
            }
        }
    };
    let timed_out = tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .is_err();
    if urls.len() < expect_urls {
        let _ = child.start_kill();
        let _ = child.wait().await;
        panic!(
            "kerato {args:?} did not start (timed out: {timed_out}); stdout: {seen:?}; stderr: {}",
            stderr.lock().unwrap()
        );
    }
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Running {
        child,
        urls,
        stdout: seen,
        stderr,
    }
}

/// Starts the vendor site once on `dir` and stops it: its first start is
/// what makes the site's data there.
pub async fn start_site_once(dir: &Path) {
    let site = start(
        &[
            "site",
            "--data-dir",
            dir.to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
        ],
        &[],
        1,
    )
    .await;
    drop(site);
}

pub fn temp(label: &str) -> PathBuf {
    kerato_store::testing::temp_dir(label)
}

pub const FORM_CSRF: &str = CSRF;

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}
