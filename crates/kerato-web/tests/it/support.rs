//! `spawn_app()`: the whole web application on a free loopback port, with a
//! fresh database, the test clock, a signed-up user for every role, and
//! quiet logs (set TEST_LOG to see them).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};

use kerato_app::App;
use kerato_app::identity::UserInput;
use kerato_domain::identity::{Role, User};
use kerato_domain::tenancy::{Location, LocationInput, OrganisationKind};
use kerato_domain::time::{TestClock, Timestamp};
use kerato_store::testing::TestDb;
use kerato_web::WebOptions;
use reqwest::Method;
use reqwest::header;

pub const PASSWORD: &str = "correct horse battery staple";
/// The CSRF token the test client uses: any 64 hex digits, sent both as the
/// cookie and as the form field, as a browser does.
pub const CSRF: &str = "c0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ffeec0ff";

/// Who makes a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Who {
    Anonymous,
    Role(Role),
    /// An administrator who works at location 1 only.
    AdminAtL1,
    /// Front desk at location 1 only.
    DeskAtL1,
    /// The administrator of another organisation.
    OtherOrgAdmin,
}

#[derive(Debug)]
pub struct TestApp {
    pub base: String,
    pub app: App,
    pub clock: Arc<TestClock>,
    pub client: reqwest::Client,
    pub users: HashMap<Who, User>,
    pub l1: Location,
    pub l2: Location,
    pub other_location: Location,
    /// Every `Location` header the server sent, followed.
    pub followed: Arc<Followed>,
    _db: TestDb,
    _files: tempfile::TempDir,
}

static LOGS: Once = Once::new();

fn init_logs() {
    LOGS.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt().with_test_writer().try_init();
        }
    });
}

pub fn location_input(name: &str) -> LocationInput {
    LocationInput {
        name: name.into(),
        time_zone: "America/Chicago".into(),
        address_line1: "100 Main St".into(),
        address_line2: None,
        city: "Springfield".into(),
        state: "IL".into(),
        zip: "62701".into(),
        specialties: vec!["eye_care".into()],
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(WebOptions { tls: false }).await
}

pub async fn spawn_app_with(options: WebOptions) -> TestApp {
    init_logs();
    let db = TestDb::new().await;
    let clock = Arc::new(TestClock::new(Timestamp::from_micros(
        1_780_000_000_000_000,
    )));
    // Photos are stored as the server stores them: encrypted attachments
    // in a folder of their own.
    let files = tempfile::tempdir().unwrap();
    let app = App::new(db.store.clone(), clock.clone()).with_attachments(
        kerato_store::attachments::AttachmentStore::new(
            files.path(),
            &kerato_store::DbKey::from_bytes(rand::random()),
        )
        .unwrap(),
    );
    let (_, admin) = app
        .bootstrap(
            "Lakeside Eye & Skin",
            OrganisationKind::Practice,
            "admin@lakeside.example",
            "Ada Admin",
            PASSWORD,
        )
        .await
        .unwrap();
    let admin_caller = app.unsafe_caller_for(admin.id).await.unwrap();
    let l1 = app
        .create_location(&admin_caller, &location_input("North").validate().unwrap())
        .await
        .unwrap();
    let l2 = app
        .create_location(&admin_caller, &location_input("South").validate().unwrap())
        .await
        .unwrap();
    let mut users = HashMap::new();
    users.insert(Who::Role(Role::Admin), admin);
    let invite = |email: String, role: Role, only_l1: bool| {
        let app = app.clone();
        let caller = admin_caller.clone();
        let l1 = l1.id.to_string();
        async move {
            let (user, token) = app
                .invite_user(
                    &caller,
                    &UserInput {
                        email,
                        display_name: format!("Test {}", role.label()),
                        role: role.as_str().into(),
                        locations: if only_l1 { vec![l1] } else { vec![] },
                        all_locations: !only_l1,
                    },
                )
                .await
                .unwrap();
            app.accept_invitation(&token, PASSWORD).await.unwrap();
            user
        }
    };
    for role in Role::ALL.iter().copied().filter(|r| *r != Role::Admin) {
        let user = invite(format!("{}@lakeside.example", role.as_str()), role, false).await;
        users.insert(Who::Role(role), user);
    }
    users.insert(
        Who::AdminAtL1,
        invite("admin-l1@lakeside.example".into(), Role::Admin, true).await,
    );
    users.insert(
        Who::DeskAtL1,
        invite("desk-l1@lakeside.example".into(), Role::FrontDesk, true).await,
    );
    let (_, other_admin) = app
        .unsafe_add_tenant(
            "Hilltop Optical",
            OrganisationKind::Practice,
            "admin@hilltop.example",
            "Hal Hilltop",
            PASSWORD,
        )
        .await
        .unwrap();
    let other_caller = app.unsafe_caller_for(other_admin.id).await.unwrap();
    let other_location = app
        .create_location(
            &other_caller,
            &location_input("Hilltop").validate().unwrap(),
        )
        .await
        .unwrap();
    users.insert(Who::OtherOrgAdmin, other_admin);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let followed = Arc::new(Followed::default());
    let router = follow_every_location(kerato_web::router(app.clone(), options), &followed);
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        base: format!("http://{addr}"),
        app,
        clock,
        client,
        users,
        l1,
        l2,
        other_location,
        followed,
        _db: db,
        _files: files,
    }
}

/// The `Location` headers the server sent during a test, each followed.
#[derive(Debug, Default)]
pub struct Followed {
    /// How many were followed.
    pub count: AtomicUsize,
    /// Those that did not lead to a page or document: what was asked, where
    /// it pointed and what that answered.
    pub failures: Mutex<Vec<String>>,
}

/// Serves `router` so that every response carrying a `Location` header is
/// followed before it goes back to the test: a `GET` of that address with
/// the cookies the client would then hold (the request's, updated by the
/// response's `Set-Cookie`), through any further redirects, must end in a
/// 200. A route answering with an address nobody serves is recorded in
/// `followed`, and the test fails when its `TestApp` is dropped.
pub fn follow_every_location(router: axum::Router, followed: &Arc<Followed>) -> axum::Router {
    let inner = router.clone();
    let followed = followed.clone();
    router.layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| {
            let inner = inner.clone();
            let followed = followed.clone();
            async move {
                let asked = format!("{} {}", req.method(), req.uri());
                let cookies = req
                    .headers()
                    .get_all(header::COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(';'))
                    .filter_map(|c| c.trim().split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<HashMap<_, _>>();
                let peer = req
                    .extensions()
                    .get::<axum::extract::ConnectInfo<SocketAddr>>()
                    .cloned();
                let path = req.uri().path().to_string();
                let resp = next.run(req).await;
                if let Some(location) = resp.headers().get(header::LOCATION) {
                    let location = location.to_str().unwrap_or("").to_string();
                    let headers = resp.headers().clone();
                    followed.count.fetch_add(1, Ordering::Relaxed);
                    if let Err(why) = follow(inner, cookies, peer, &headers, &path, &location).await
                    {
                        followed
                            .failures
                            .lock()
                            .unwrap()
                            .push(format!("{asked} sent Location {location}: {why}"));
                    }
                }
                resp
            }
        },
    ))
}

/// Follows `location` (sent with the headers `first` to a request for `path`) to the
/// page it leads to; `Err` says why it does not resolve.
async fn follow(
    router: axum::Router,
    mut cookies: HashMap<String, String>,
    peer: Option<axum::extract::ConnectInfo<SocketAddr>>,
    first: &axum::http::HeaderMap,
    path: &str,
    location: &str,
) -> Result<(), String> {
    use tower::ServiceExt;
    let keep = |cookies: &mut HashMap<String, String>, headers: &axum::http::HeaderMap| {
        for set in headers.get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap_or("");
            let Some((name, rest)) = set.split_once('=') else {
                continue;
            };
            let value = rest.split(';').next().unwrap_or("");
            let gone = value.is_empty() || set.to_ascii_lowercase().contains("max-age=0");
            if gone {
                cookies.remove(name.trim());
            } else {
                cookies.insert(name.trim().to_string(), value.to_string());
            }
        }
    };
    keep(&mut cookies, first);
    let mut from = path.to_string();
    let mut target = location.to_string();
    for _ in 0..5 {
        let address = if target.starts_with('/') {
            target.clone()
        } else if let Some(rest) = target.strip_prefix("http://") {
            rest.find('/')
                .map_or("/".to_string(), |i| rest[i..].to_string())
        } else if target.starts_with('?') {
            format!("{from}{target}")
        } else {
            let dir = from.rsplit_once('/').map_or("", |(d, _)| d);
            format!("{dir}/{target}")
        };
        let mut req = axum::http::Request::get(&address);
        let jar: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if !jar.is_empty() {
            req = req.header(header::COOKIE, jar.join("; "));
        }
        let mut req = req.body(axum::body::Body::empty()).unwrap();
        if let Some(peer) = peer {
            req.extensions_mut().insert(peer);
        }
        let resp = router.clone().oneshot(req).await.unwrap();
        keep(&mut cookies, resp.headers());
        let status = resp.status();
        if status == reqwest::StatusCode::OK {
            return Ok(());
        }
        match resp.headers().get(header::LOCATION) {
            Some(next) if status.is_redirection() => {
                from = address.split('?').next().unwrap_or("").to_string();
                target = next.to_str().unwrap_or("").to_string();
            }
            _ => return Err(format!("GET {address} answered {status}")),
        }
    }
    Err("more than five redirects".into())
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let failures = self.followed.failures.lock().unwrap();
        if !failures.is_empty() && !std::thread::panicking() {
            panic!(
                "Location headers that do not resolve:\n{}",
                failures.join("\n")
            );
        }
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn user(&self, who: Who) -> &User {
        &self.users[&who]
    }

    /// A fresh signed-in session for `who` (none for anonymous).
    pub async fn session(&self, who: Who) -> Option<String> {
        match who {
            Who::Anonymous => None,
            _ => Some(
                self.app
                    .unsafe_session_for(self.user(who).id)
                    .await
                    .unwrap()
                    .0,
            ),
        }
    }

    /// A request as `who`, with the session and CSRF cookies a browser sends.
    pub async fn req(&self, method: Method, path: &str, who: Who) -> reqwest::RequestBuilder {
        let mut cookie = format!("kerato_csrf={CSRF}");
        if let Some(token) = self.session(who).await {
            cookie.push_str(&format!("; kerato_session={token}"));
        }
        self.client
            .request(method, self.url(path))
            .header("cookie", cookie)
    }

    /// A form submission as `who`, with the CSRF field added.
    pub async fn form(&self, path: &str, who: Who, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut all = vec![("csrf", CSRF)];
        all.extend_from_slice(fields);
        self.req(Method::POST, path, who)
            .await
            .form(&all)
            .send()
            .await
            .unwrap()
    }

    pub async fn location_count(&self) -> usize {
        let caller = self
            .app
            .unsafe_caller_for(self.user(Who::Role(Role::Admin)).id)
            .await
            .unwrap();
        self.app.list_locations(&caller).await.unwrap().len()
    }
}

pub const ADMIN: Who = Who::Role(Role::Admin);

/// Working hours every Monday from `start` to `end` (`HH:MM`) at `location`.
pub fn mondays(
    location: kerato_domain::ids::LocationId,
    start: &str,
    end: &str,
) -> kerato_domain::providers::hours::HoursInput {
    kerato_domain::providers::hours::HoursInput {
        location_id: location.to_string(),
        effective_from: "2000-01-03".into(),
        effective_until: None,
        repeats: None,
        days: vec![kerato_domain::providers::hours::DayHoursInput {
            weekday: "monday".into(),
            start: start.into(),
            end: end.into(),
            overbook: false,
        }],
    }
}

/// Ria Shah, registered by `admin`.
pub async fn ria_shah(t: &TestApp, admin: &kerato_app::Caller) -> kerato_domain::patients::Patient {
    t.app
        .register_patient(
            admin,
            &kerato_domain::patients::Registration::of(
                &kerato_domain::patients::PatientInput {
                    legal_first_name: "Ria".into(),
                    legal_last_name: "Shah".into(),
                    date_of_birth: "1990-03-03".into(),
                    ..Default::default()
                },
                false,
            )
            .unwrap(),
        )
        .await
        .unwrap()
}

pub fn location_json(name: &str) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "time_zone": "America/Chicago",
        "address_line1": "100 Main St",
        "city": "Springfield",
        "state": "IL",
        "zip": "62701",
        "specialties": ["dermatology", "eye_care"]
    })
}

/// The boundary of the multipart bodies [`multipart`] writes.
pub const BOUNDARY: &str = "kerato-test-boundary-7d1f";

/// A `multipart/form-data` body as a browser sends a form with one file
/// input: the text fields, then the file (if one was chosen) as the
/// field `file_field` with the given name and media type.
pub fn multipart(
    fields: &[(&str, &str)],
    file_field: (&str, &str, &str),
    file: Option<&[u8]>,
) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some(bytes) = file {
        let (field, filename, media) = file_field;
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: {media}\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}
