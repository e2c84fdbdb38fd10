//! `spawn_app()`: the whole web application on a free loopback port, with a
//! fresh database, the test clock and quiet logs (set TEST_LOG to see them).

use std::sync::{Arc, Once};

use kerato_app::App;
use kerato_domain::tenancy::OrganisationKind;
use kerato_domain::time::{TestClock, Timestamp};
use kerato_store::testing::TestDb;
use kerato_web::WebOptions;

#[derive(Debug)]
pub struct TestApp {
    pub base: String,
    pub app: App,
    pub clock: Arc<TestClock>,
    pub client: reqwest::Client,
    _db: TestDb,
}

static LOGS: Once = Once::new();

fn init_logs() {
    LOGS.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt().with_test_writer().try_init();
        }
    });
}

pub async fn spawn_app() -> TestApp {
    init_logs();
    let db = TestDb::new().await;
    let clock = Arc::new(TestClock::new(Timestamp::from_micros(
        1_780_000_000_000_000,
    )));
    let app = App::new(db.store.clone(), clock.clone());
    app.create_organisation("Lakeside Eye & Skin", OrganisationKind::Practice)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = kerato_web::router(app.clone(), WebOptions { tls: false });
    tokio::spawn(async move { axum::serve(listener, router).await });
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        base: format!("http://{addr}"),
        app,
        clock,
        client,
        _db: db,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn location_count(&self) -> usize {
        let org = self.app.home_organisation().await.unwrap();
        self.app.list_locations(org.id).await.unwrap().len()
    }
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
