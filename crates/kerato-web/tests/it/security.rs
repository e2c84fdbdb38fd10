//! Security headers on every route, whatever the method and the outcome.

use kerato_domain::tenancy::LocationInput;
use reqwest::Method;

use crate::support::spawn_app;

#[tokio::test]
async fn every_route_sends_the_security_headers() {
    let t = spawn_app().await;
    let org = t.app.home_organisation().await.unwrap();
    let loc = t
        .app
        .create_location(
            org.id,
            &LocationInput {
                name: "Main".into(),
                time_zone: "America/Chicago".into(),
                address_line1: "1 Main St".into(),
                address_line2: None,
                city: "Springfield".into(),
                state: "IL".into(),
                zip: "62701".into(),
                specialties: vec!["eye_care".into()],
            },
        )
        .await
        .unwrap();
    let asset = kerato_web::assets::url("app.css")
        .trim_start_matches("/assets/")
        .to_string();
    let mut requests: Vec<(Method, String)> = Vec::new();
    for (method, template) in kerato_web::route_table() {
        let path = template
            .replace("{id}", &loc.id.to_string())
            .replace("{file}", &asset);
        requests.push((method.parse().unwrap(), path.clone()));
        // The same path with a method it does not take, and a bad ID.
        requests.push((Method::DELETE, path));
        if template.contains("{id}") {
            requests.push((method.parse().unwrap(), template.replace("{id}", "nope")));
        }
    }
    requests.push((Method::GET, "/definitely/missing".into()));
    assert!(requests.len() > 30);

    for (method, path) in requests {
        let resp = t
            .client
            .request(method.clone(), t.url(&path))
            .send()
            .await
            .unwrap();
        let h = resp.headers();
        let get = |name: &str| {
            h.get(name)
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default()
        };
        let what = format!("{method} {path} -> {}", resp.status());
        assert!(
            get("content-security-policy").contains("script-src 'self'"),
            "{what}"
        );
        assert!(
            get("content-security-policy").contains("frame-ancestors 'none'"),
            "{what}"
        );
        assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
        assert_eq!(get("x-frame-options"), "DENY", "{what}");
        assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
        assert!(!get("permissions-policy").is_empty(), "{what}");
        assert!(
            h.get("strict-transport-security").is_none(),
            "HSTS without TLS: {what}"
        );
        if path.starts_with("/assets/") && resp.status().is_success() {
            assert!(get("cache-control").contains("immutable"), "{what}");
        } else {
            assert_eq!(get("cache-control"), "no-store", "{what}");
        }
        if get("content-type").starts_with("text/html") {
            assert!(resp.status() != 500, "{what}");
        }
    }
}

#[tokio::test]
async fn hsts_is_sent_when_served_over_tls() {
    let db = kerato_store::testing::TestDb::new().await;
    let app = kerato_app::App::new(
        db.store.clone(),
        std::sync::Arc::new(kerato_domain::time::TestClock::new(
            kerato_domain::time::Timestamp::from_micros(0),
        )),
    );
    let router = kerato_web::router(app, kerato_web::WebOptions { tls: true });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let resp = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    assert!(
        resp.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    let cookie = resp.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("__Host-kerato_csrf=") && cookie.contains("; Secure"),
        "{cookie}"
    );
}
