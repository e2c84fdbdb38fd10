//! Security headers on every route, whatever the caller and the outcome.

use reqwest::Method;

use crate::matrix::{body_for, concrete_path};
use crate::support::{ADMIN, Who, spawn_app, spawn_app_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_sends_the_security_headers() {
    let t = spawn_app().await;
    let mut checked = 0;
    for spec in kerato_web::route_table() {
        for who in [Who::Anonymous, ADMIN] {
            let path = concrete_path(&t, spec.path);
            let method: Method = spec.method.parse().unwrap();
            let resp = body_for(&t, &spec, t.req(method.clone(), &path, who).await)
                .send()
                .await
                .unwrap();
            let h = resp.headers();
            let get = |name: &str| {
                h.get(name)
                    .map(|v| v.to_str().unwrap().to_string())
                    .unwrap_or_default()
            };
            let what = format!("{method} {path} as {who:?} -> {}", resp.status());
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
            checked += 1;
        }
    }
    assert!(checked > 80, "only {checked} requests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsts_and_secure_cookies_under_tls() {
    let t = spawn_app_with(kerato_web::WebOptions { tls: true }).await;
    let resp = t.client.get(t.url("/login")).send().await.unwrap();
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
