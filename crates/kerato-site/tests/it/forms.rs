//! Every form of the site, whatever it is for, refuses the same three
//! kinds of bad request with a clear answer and stores nothing: a body
//! too large, a body that is not a form (wrong type), and a form without
//! its CSRF token. The fields of each form are tested in its own file.

use kerato_site::accounts::Role;

use crate::accounts::{sign_up, staff};
use crate::boundary::columns;
use crate::{Agent, TestSite, spawn};

/// Every form route, with who submits it (the owner, vendor staff, or an
/// anonymous visitor). IDs and tokens are made up: the refusals come
/// before any look-up.
const FORMS: &[(&str, Who)] = &[
    ("/demo", Who::Visitor),
    ("/signup", Who::Visitor),
    ("/login", Who::Visitor),
    ("/login/mfa", Who::Visitor),
    ("/logout", Who::Visitor),
    ("/cookie-consent", Who::Visitor),
    ("/newsletter", Who::Visitor),
    ("/privacy-center", Who::Visitor),
    ("/privacy-center/do-not-sell", Who::Visitor),
    ("/privacy-center/verify/0000", Who::Visitor),
    ("/invitations/0000", Who::Visitor),
    ("/password/forgot", Who::Visitor),
    ("/password/reset/0000", Who::Visitor),
    ("/account/password", Who::Owner),
    ("/portal/users", Who::Owner),
    ("/portal/security", Who::Owner),
    ("/portal/close", Who::Owner),
    ("/portal/billing", Who::Owner),
    ("/portal/billing/invoices/x/pay", Who::Owner),
    ("/portal/tickets/new", Who::Owner),
    ("/portal/tickets/x/reply", Who::Owner),
    ("/staff/demo-requests/x/stage", Who::Staff),
    ("/staff/campaigns", Who::Staff),
    ("/staff/campaigns/x/send", Who::Staff),
    ("/staff/privacy/x/step", Who::Staff),
    ("/staff/privacy/x/erase", Who::Staff),
    ("/staff/privacy/x/send-copy", Who::Staff),
    ("/privacy-center/download/0000", Who::Visitor),
    ("/staff/tickets/x/reply", Who::Staff),
    ("/staff/tickets/x/status", Who::Staff),
    ("/staff/tickets/x/assign", Who::Staff),
    ("/staff/tickets/x/under-13", Who::Staff),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Visitor,
    Owner,
    Staff,
}

/// The number of rows in every table but the usage log (which records
/// each request, refused or not, by design).
async fn rows(t: &TestSite) -> i64 {
    let mut tables: Vec<String> = columns(t)
        .await
        .into_iter()
        .map(|(table, _)| table)
        .collect();
    tables.sort();
    tables.dedup();
    let mut total = 0;
    for table in tables.iter().filter(|t| *t != "usage_log") {
        total += t.count(table).await;
    }
    total
}

async fn send(agent: &Agent, path: &str, content_type: &str, body: String) -> (u16, String) {
    let r = agent
        .client
        .post(format!("{}{path}", agent.url))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_form_refuses_oversized_mistyped_and_forged_requests_and_stores_nothing() {
    let t = spawn().await;
    let owner = sign_up(&t, "owner@leeeye.example").await;
    let admin = staff(&t, "admin@kerato.example", "Ada", Role::VendorAdmin).await;
    let visitor = t.agent();
    // Every agent holds a CSRF cookie, so only the missing field is wrong.
    for a in [&owner, &admin, &visitor] {
        a.get("/").await;
    }
    let before = rows(&t).await;
    let huge = format!("csrf=x&message={}", "y".repeat(70 * 1024));
    for (path, who) in FORMS {
        let agent = match who {
            Who::Visitor => &visitor,
            Who::Owner => &owner,
            Who::Staff => &admin,
        };
        let (status, body) = send(
            agent,
            path,
            "application/x-www-form-urlencoded",
            huge.clone(),
        )
        .await;
        assert_eq!(status, 413, "{path} took an oversized body: {body}");
        assert!(
            body.contains("shorten") || body.contains("too large") || body.contains("larger than"),
            "{path}: {body}"
        );
        let (status, body) = send(agent, path, "application/json", "{\"subject\": 1}".into()).await;
        assert_eq!(status, 415, "{path} took JSON");
        assert!(body.contains("form"), "{path}: {body}");
        let (status, body) = send(
            agent,
            path,
            "application/x-www-form-urlencoded",
            "subject=hi&message=hi".into(),
        )
        .await;
        assert_eq!(status, 403, "{path} took a form without its CSRF token");
        assert!(body.contains("reload the page"), "{path}: {body}");
    }
    assert_eq!(
        rows(&t).await,
        before,
        "a refused request left something behind"
    );
}
