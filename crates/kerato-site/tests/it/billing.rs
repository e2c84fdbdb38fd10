//! Billing end to end: choosing a plan, issuing invoices once per period,
//! paying through the processor double, and the card data the site
//! refuses to take.

use jiff::civil::date;
use kerato_site::SiteConfig;
use kerato_site::accounts::Role;
use kerato_site::billing::{self, DECLINED};
use kerato_site::processor_double::{ProcessorDouble, spawn_processor_double};

use crate::accounts::{invite_and_accept, sign_up};
use crate::boundary::columns;
use crate::{Agent, TestSite, spawn, spawn_with};

const DECEMBER: (jiff::civil::Date, jiff::civil::Date) = (date(2026, 12, 1), date(2027, 1, 1));
const JANUARY: (jiff::civil::Date, jiff::civil::Date) = (date(2027, 1, 1), date(2027, 2, 1));

/// A site paying through a fresh processor double.
async fn spawn_paying() -> (TestSite, ProcessorDouble) {
    let double = spawn_processor_double("127.0.0.1:0").await.unwrap();
    let t = spawn_with(SiteConfig {
        payment_processor_url: double.url.clone(),
        ..SiteConfig::default()
    })
    .await;
    (t, double)
}

async fn choose(a: &Agent, plan: &str, locations: &str, seats: &str) -> (u16, String) {
    a.post(
        "/portal/billing",
        "/portal/billing",
        &[("plan", plan), ("locations", locations), ("seats", seats)],
    )
    .await
}

/// A practice with a Practice plan for 2 locations and 17 seats, and its
/// December invoice.
async fn invoiced(t: &TestSite, email: &str) -> (Agent, String) {
    let owner = sign_up(t, email).await;
    let (status, body) = choose(&owner, "practice", "2", "17").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("The subscription is saved"));
    billing::issue_invoices(&t.site, DECEMBER).await.unwrap();
    let (_, body) = owner.get("/portal/billing").await;
    let start = body.find("/portal/billing/invoices/").unwrap() + 25;
    let id = body[start..].split('"').next().unwrap().to_string();
    (owner, id)
}

async fn one(t: &TestSite, sql: &str, id: &str) -> String {
    let mut tx = t.site.store.read().await.unwrap();
    let (v,): (String,) =
        kerato_db::on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(id)
        .fetch_one(&mut **c)
        .await)
        .unwrap();
    v
}

async fn status_of(t: &TestSite, invoice: &str) -> String {
    one(t, "SELECT status FROM invoices WHERE id = $1", invoice).await
}

async fn pay(a: &Agent, invoice: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let page = format!("/portal/billing/invoices/{invoice}/pay");
    a.post(&page, &page, fields).await
}

#[tokio::test(flavor = "multi_thread")]
async fn invoices_are_issued_once_per_period_with_lines_that_add_up() {
    let t = spawn().await;
    let (owner, id) = invoiced(&t, "ann@leeeye.example").await;
    assert_eq!(
        billing::issue_invoices(&t.site, DECEMBER).await.unwrap(),
        0,
        "a second run for the same period issues nothing"
    );
    assert_eq!(t.count("invoices").await, 1);
    assert_eq!(t.count("invoice_lines").await, 2);
    let (status, body) = owner.get(&format!("/portal/billing/invoices/{id}")).await;
    assert_eq!(status, 200);
    // 2 locations × $349 and 2 users beyond the 15 included × $20.
    assert!(body.contains("$698.00") && body.contains("$40.00") && body.contains("$738.00"));
    assert!(body.contains("Open") && body.contains("Pay this invoice"));
    // A change takes effect at the next invoice; December keeps its total.
    let (status, _) = choose(&owner, "group", "4", "17").await;
    assert_eq!(status, 200);
    assert_eq!(billing::issue_invoices(&t.site, JANUARY).await.unwrap(), 1);
    let (_, body) = owner.get("/portal/billing").await;
    assert!(
        body.contains("$738.00") && body.contains("$3,596.00"),
        "{body}"
    );
    assert!(
        billing::issue_invoices(&t.site, (date(2027, 2, 1), date(2027, 2, 1)))
            .await
            .is_err()
    );
    // Closing the account cancels the subscription: no more invoices.
    owner
        .post(
            "/portal/close",
            "/portal/close",
            &[("confirm", "Lee Eye Care")],
        )
        .await;
    assert_eq!(
        one(
            &t,
            "SELECT s.status FROM subscriptions s JOIN site_users u ON u.account_id = s.account_id WHERE u.email = $1",
            "ann@leeeye.example"
        )
        .await,
        "cancelled"
    );
    assert_eq!(
        billing::issue_invoices(&t.site, (date(2027, 2, 1), date(2027, 3, 1)))
            .await
            .unwrap(),
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declined_card_leaves_the_invoice_open_and_a_good_one_pays_it() {
    let (t, double) = spawn_paying().await;
    let (owner, id) = invoiced(&t, "ann@leeeye.example").await;
    let (status, body) = owner
        .get(&format!("/portal/billing/invoices/{id}/pay"))
        .await;
    assert_eq!(status, 200);
    assert!(body.contains("Test mode") && body.contains("tok_chargeDeclined"));
    let (status, body) = pay(
        &owner,
        &id,
        &[("attempt", "1"), ("payment_method", "tok_chargeDeclined")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains(DECLINED), "{body}");
    assert!(body.contains("name=\"attempt\" value=\"2\""));
    assert_eq!(status_of(&t, &id).await, "open");
    assert_eq!(
        one(
            &t,
            "SELECT error_code FROM payments WHERE invoice_id = $1",
            &id
        )
        .await,
        "card_declined"
    );
    let (status, location) = pay(
        &owner,
        &id,
        &[("attempt", "2"), ("payment_method", "tok_visa")],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (303, format!("/portal/billing/invoices/{id}").as_str())
    );
    assert_eq!(status_of(&t, &id).await, "paid");
    let (_, body) = owner.get(&format!("/portal/billing/invoices/{id}")).await;
    assert!(body.contains("Paid") && body.contains("visa ending 4242"));
    assert!(!body.contains("Pay this invoice"));
    assert_eq!(
        (double.state.intents_created(), double.state.charges()),
        (2, 1)
    );
    let mut tx = t.site.store.read().await.unwrap();
    let actions: Vec<String> = kerato_site::audit::about(&mut tx, &format!("invoice:{id}"))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "invoice.issued",
            "payment.attempted",
            "payment.declined",
            "payment.attempted",
            "payment.succeeded",
            "invoice.paid"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pay_form_sent_twice_charges_once() {
    let (t, double) = spawn_paying().await;
    let (owner, id) = invoiced(&t, "ann@leeeye.example").await;
    // The same form, token and attempt number sent twice at once, as a
    // double click does.
    let page = format!("/portal/billing/invoices/{id}/pay");
    let csrf = owner.csrf(&page).await;
    let send = || {
        owner
            .client
            .post(format!("{}{page}", owner.url))
            .form(&[
                ("csrf", csrf.as_str()),
                ("attempt", "1"),
                ("payment_method", "tok_visa"),
            ])
            .send()
    };
    let (a, b) = tokio::join!(send(), send());
    assert_eq!(
        (a.unwrap().status().as_u16(), b.unwrap().status().as_u16()),
        (303, 303)
    );
    // Sent again later, the paid invoice needs nothing more.
    let (status, _) = owner
        .post(
            "/portal/billing",
            &page,
            &[("attempt", "1"), ("payment_method", "tok_visa")],
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(status_of(&t, &id).await, "paid");
    assert_eq!(double.state.intents_created(), 1);
    assert_eq!(double.state.charges(), 1);
    assert_eq!(t.count("payments").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_billing_roles_see_billing_and_only_their_own_invoices() {
    let (t, _double) = spawn_paying().await;
    let (owner, id) = invoiced(&t, "ann@leeeye.example").await;
    let physician = invite_and_accept(&t, &owner, "bo@leeeye.example", Role::Physician).await;
    let (status, _) = physician.get("/portal/billing").await;
    assert_eq!(status, 403);
    let clerk = invite_and_accept(&t, &owner, "cy@leeeye.example", Role::Billing).await;
    let (status, _) = clerk.get(&format!("/portal/billing/invoices/{id}")).await;
    assert_eq!(
        status, 200,
        "the billing contact sees the account's invoices"
    );
    let other = sign_up(&t, "dee@other.example").await;
    for path in [
        format!("/portal/billing/invoices/{id}"),
        format!("/portal/billing/invoices/{id}/pay"),
    ] {
        let (status, _) = other.get(&path).await;
        assert_eq!(status, 404, "{path}");
    }
    let page = format!("/portal/billing/invoices/{id}/pay");
    let (status, _) = other
        .post(
            "/portal/billing",
            &page,
            &[("attempt", "1"), ("payment_method", "tok_visa")],
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(status_of(&t, &id).await, "open");
    assert_eq!(t.count("payments").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_subscription_input_is_explained_and_changes_nothing() {
    let t = spawn().await;
    let owner = sign_up(&t, "ann@leeeye.example").await;
    invite_and_accept(&t, &owner, "bo@leeeye.example", Role::Physician).await;
    assert_eq!(choose(&owner, "practice", "1", "3").await.0, 200);
    let huge = "9".repeat(5000);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("plan", "practice"), ("locations", "0"), ("seats", "3")],
            "whole number from 1 to 50",
        ),
        (
            vec![("plan", "group"), ("locations", "51"), ("seats", "3")],
            "whole number from 1 to 50",
        ),
        (
            vec![("plan", "practice"), ("locations", "abc"), ("seats", "3")],
            "whole number from 1 to 50",
        ),
        (
            vec![("plan", "solo"), ("locations", "2"), ("seats", "3")],
            "Solo plan covers up to 1",
        ),
        (
            vec![("plan", "practice"), ("locations", "1"), ("seats", "1")],
            "2 active users; choose at least 2 seats",
        ),
        (
            vec![("plan", "platinum"), ("locations", "1"), ("seats", "3")],
            "choose one of the plans",
        ),
        (
            vec![("plan", "practice"), ("locations", "1"), ("seats", &huge)],
            "whole number from 1 to 500",
        ),
        (
            vec![
                ("plan", "<script>alert(1)</script>"),
                ("locations", "1"),
                ("seats", "3"),
            ],
            "choose one of the plans",
        ),
        (vec![], "choose one of the plans"),
    ];
    for (fields, message) in cases {
        let (status, body) = owner
            .post("/portal/billing", "/portal/billing", &fields)
            .await;
        assert_eq!(status, 422, "{message}");
        assert!(body.contains(message), "{message} missing");
        assert!(body.contains("Nothing was saved"));
        assert!(!body.contains("<script>alert(1)</script>"));
    }
    let mut tx = t.site.store.read().await.unwrap();
    let row: (String, i64, i64) = kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT plan, locations, seats FROM subscriptions"
    )
    .fetch_one(&mut **c)
    .await)
    .unwrap();
    assert_eq!(row, ("practice".to_string(), 1, 3));
}

#[tokio::test(flavor = "multi_thread")]
async fn card_numbers_are_refused_and_never_stored() {
    let card_like = |c: &str| {
        let words: Vec<&str> = c.split('_').collect();
        c.contains("card_number")
            || ["pan", "cvc", "cvv", "expiry", "number"]
                .iter()
                .any(|w| words.contains(w))
    };
    let (t, double) = spawn_paying().await;
    let bad: Vec<(String, String)> = columns(&t)
        .await
        .into_iter()
        .filter(|(_, c)| card_like(c))
        .collect();
    assert!(bad.is_empty(), "card-like columns: {bad:?}");
    let (owner, id) = invoiced(&t, "ann@leeeye.example").await;
    let (status, body) = pay(
        &owner,
        &id,
        &[
            ("attempt", "1"),
            ("payment_method", "tok_visa"),
            ("card_number", "4242424242424242"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("never accepts card numbers"), "{body}");
    assert!(!body.contains("4242424242424242"));
    assert_eq!(t.count("payments").await, 0);
    assert_eq!(double.state.intents_created(), 0);
    let mut tx = t.site.store.read().await.unwrap();
    let (traces,): (i64,) = kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT (SELECT count(*) FROM site_audit WHERE coalesce(detail, '') LIKE '%4242424242%' OR coalesce(subject, '') LIKE '%4242424242%') \
              + (SELECT count(*) FROM invoice_lines WHERE description LIKE '%4242424242%') \
              + (SELECT count(*) FROM site_outbox WHERE body LIKE '%4242424242%')"
    )
    .fetch_one(&mut **c)
    .await)
    .unwrap();
    assert_eq!(traces, 0);
    assert_eq!(status_of(&t, &id).await, "open");
}
