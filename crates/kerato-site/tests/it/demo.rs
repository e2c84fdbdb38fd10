//! The demo seed: every part of the site has content, nothing of the
//! pasted patient data is kept, and a second seeding changes nothing.

use kerato_site::demo::{self, Seeded};

use crate::spawn;

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_seed_fills_every_part_once_and_keeps_no_patient_data() {
    let t = spawn().await;
    assert_eq!(demo::seed(&t.site).await.unwrap(), Seeded::Created);
    for (table, n) in [
        ("accounts", 1),
        ("demo_requests", 3),
        ("tickets", 2),
        ("invoices", 1),
        ("campaigns", 1),
        ("marketing_contacts", 2),
        ("site_rights_requests", 2),
        ("site_policies", 3),
    ] {
        assert_eq!(t.count(table).await, n, "{table}");
    }
    let mut tx = t.site.store.read().await.unwrap();
    let (bodies,): (i64,) = kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT count(*) FROM ticket_messages WHERE body LIKE '%123-45-6789%' OR body LIKE '%03/14/1961%'"
    )
    .fetch_one(&mut **c)
    .await)
    .unwrap();
    assert_eq!(bodies, 0, "the pasted SSN and date of birth were redacted");
    let (body,): (String,) = kerato_db::on_tx!(tx, c => sqlx::query_as(
        "SELECT body FROM site_policies WHERE version = 2"
    )
    .fetch_one(&mut **c)
    .await)
    .unwrap();
    assert!(
        body.contains("which receives the amount"),
        "the announced version says what each provider receives"
    );
    drop(tx);
    assert_eq!(demo::seed(&t.site).await.unwrap(), Seeded::Reused);
    assert_eq!(t.count("tickets").await, 2);
    assert!(kerato_site::audit::verify(&t.site.store).await.is_ok());
}
