//! The vendor site end to end over HTTP, on the backend the run tests
//! (SQLite, or PostgreSQL when KERATO_TEST_PG_URL is set).

// A failed unwrap in a test helper is a test failure with its location; that is the point.
#![allow(clippy::unwrap_used)]

mod accounts;
mod billing;
mod boundary;
mod cookies;
mod demo;
mod demo_requests;
mod forms;
mod layers;
mod marketing;
mod pages;
mod recovery;
mod retention;
mod rights;
mod staff;
mod statement;
mod telemetry;
mod tickets;

use std::sync::Arc;

use kerato_core::time::{TestClock, Timestamp};
use kerato_db::testing::TestDb;
pub use kerato_http::testing::smtp_sink;
use kerato_site::{Site, SiteConfig, schema};

/// 27 November 2026, 12:00 UTC.
pub const NOW: Timestamp = Timestamp::from_micros(1_795_780_800_000_000);

/// A running site on a loopback port, with its own fresh database.
pub struct TestSite {
    pub url: String,
    pub site: Site,
    pub clock: Arc<TestClock>,
    pub client: reqwest::Client,
    _db: TestDb,
}

impl std::fmt::Debug for TestSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestSite").field("url", &self.url).finish()
    }
}

/// One browser: a cookie jar that does not follow redirects.
#[derive(Debug, Clone)]
pub struct Agent {
    pub url: String,
    pub client: reqwest::Client,
}

/// Status and body, or for a redirect its Location.
async fn answer(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = r.text().await.unwrap();
    (status, location.unwrap_or(body))
}

impl Agent {
    fn new(url: &str) -> Self {
        Self {
            url: url.to_string(),
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    /// Status and body (or, for a redirect, the Location).
    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        answer(r).await
    }

    /// The CSRF token a page's forms carry (the page also sets the cookie).
    pub async fn csrf(&self, path: &str) -> String {
        let (_, body) = self.get(path).await;
        let start = body
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("{path} has no form: {body}"))
            + 19;
        body[start..start + 64].to_string()
    }

    /// Posts a form from `page` (with its CSRF token) to `path`; status and
    /// body (or, for a redirect, the Location).
    pub async fn post(&self, page: &str, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let csrf = self.csrf(page).await;
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        let r = self
            .client
            .post(format!("{}{path}", self.url))
            .form(&all)
            .send()
            .await
            .unwrap();
        answer(r).await
    }
}

pub async fn spawn() -> TestSite {
    spawn_with(SiteConfig::default()).await
}

/// A running site with its own settings (a payment processor's address…).
pub async fn spawn_with(config: SiteConfig) -> TestSite {
    let db = TestDb::with(schema::MIGRATIONS).await;
    let clock = Arc::new(TestClock::new(NOW));
    let site = Site::new(db.store.clone(), clock.clone(), config);
    site.prepare().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // Served with the peer address, as `kerato site` serves it, so the
    // usage log sees the client's address.
    let service = kerato_site::router(site.clone(), false)
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move {
        axum::serve(listener, service).await.unwrap();
    });
    let client = Agent::new(&url).client;
    TestSite {
        url,
        site,
        clock,
        client,
        _db: db,
    }
}

impl TestSite {
    /// A second browser: its own cookies, the same site.
    pub fn agent(&self) -> Agent {
        Agent::new(&self.url)
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        self.default_agent().get(path).await
    }

    pub async fn csrf(&self, path: &str) -> String {
        self.default_agent().csrf(path).await
    }

    pub async fn post(&self, page: &str, path: &str, fields: &[(&str, &str)]) -> (u16, String) {
        self.default_agent().post(page, path, fields).await
    }

    fn default_agent(&self) -> Agent {
        Agent {
            url: self.url.clone(),
            client: self.client.clone(),
        }
    }

    /// The number of rows in a site table.
    pub async fn count(&self, table: &str) -> i64 {
        let mut tx = self.site.store.read().await.unwrap();
        let sql = format!("SELECT count(*) FROM {table}");
        let (n,): (i64,) = kerato_db::on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut **c)
            .await)
        .unwrap();
        n
    }
}
