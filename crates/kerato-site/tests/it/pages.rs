//! The public pages answer, carry the security headers, and show the
//! vendor's contact details from configuration.

use crate::spawn;

pub const PUBLIC_PAGES: &[&str] = &[
    "/",
    "/products/dermatology",
    "/products/eye-care",
    "/products/optical",
    "/pricing",
    "/contact",
    "/privacy",
    "/cookies",
    "/privacy/versions/1",
    "/demo",
    "/cookie-settings",
    "/privacy-center",
    "/privacy-center/do-not-sell",
    "/newsletter",
];

#[tokio::test(flavor = "multi_thread")]
async fn every_public_page_answers_with_strict_headers_and_the_configured_contact() {
    let t = spawn().await;
    for path in PUBLIC_PAGES {
        let r = t
            .client
            .get(format!("{}{path}", t.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        let body = r.text().await.unwrap();
        assert!(
            body.contains("info@kerato.example"),
            "{path} lacks the contact e-mail"
        );
        assert!(body.contains("1-800-555-0199"), "{path} lacks the phone");
        // Nothing is loaded from another origin.
        for needle in [
            "src=\"http",
            "href=\"http",
            "src=\"//",
            "googletagmanager",
            "fonts.googleapis",
        ] {
            assert!(!body.contains(needle), "{path} loads {needle}");
        }
    }
    let (status, _) = t.get("/products/surgery").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_privacy_statement_renders_from_its_versions_with_history() {
    let t = spawn().await;
    let (_, body) = t.get("/privacy").await;
    assert!(
        body.contains("<h2>5. How We Protect It</h2>"),
        "headings are structured"
    );
    assert!(body.contains("Version 1, effective September 16, 2025"));
    assert!(body.contains("Version history"));
    let (status, _) = t.get("/privacy/versions/9").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_material_change_needs_thirty_days_notice_and_shows_as_upcoming() {
    use kerato_core::policy::PolicyKind;
    use kerato_site::policies::{NewVersion, publish};
    let t = spawn().await;
    let day = 86_400_000_000;
    let version = |days: i64| NewVersion {
        kind: PolicyKind::PrivacyStatement,
        title: "Privacy Statement",
        body: "1. Information We Collect\nLess than before.",
        summary: "We no longer use any third-party analytics.",
        material: true,
        effective_at: crate::NOW.plus_micros(days * day),
    };
    let refused = publish(&t.site, "staff:test", version(10))
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("30 days"), "{refused}");
    let (_, body) = t.get("/privacy").await;
    assert!(
        !body.contains("takes effect on"),
        "a refused version left a trace"
    );
    // A customer, who is to be told by e-mail.
    crate::accounts::sign_up(&t, "ann@leeeye.example").await;
    let doc = publish(&t.site, "staff:test", version(30)).await.unwrap();
    assert_eq!(doc.version.version, 2);
    let mut tx = t.site.store.read().await.unwrap();
    let told: Vec<(String, String)> = kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT recipient, subject FROM site_outbox WHERE kind = 'policy_notice'"
    )
    .fetch_all(&mut **c)
    .await)
    .unwrap();
    drop(tx);
    assert_eq!(
        told,
        [(
            "ann@leeeye.example".to_string(),
            "Our Privacy Statement changes on December 27, 2026".to_string()
        )]
    );
    // Every page carries the notice until the change takes effect.
    let (_, home) = t.get("/pricing").await;
    assert!(
        home.contains("Our Privacy Statement changes on December 27, 2026"),
        "{home}"
    );
    assert!(home.contains("href=\"/privacy/versions/2\""));
    let (_, body) = t.get("/privacy").await;
    assert!(
        body.contains("Version 1, effective"),
        "the old version stays in force"
    );
    assert!(
        body.contains("A new version (2) takes effect on December 27, 2026"),
        "{body}"
    );
    t.clock.advance_secs(30 * 86_400);
    let (_, body) = t.get("/privacy").await;
    assert!(body.contains("Version 2, effective December 27, 2026"));
    assert!(
        !body.contains("changes on December 27"),
        "the banner outlived the change"
    );
}
