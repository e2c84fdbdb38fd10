//! Retention canaries on a simulated clock: each planted record is gone on
//! its due date and not a day before, and a second run does nothing.

use jiff::ToSpan;
use jiff::civil::Date;
use kerato_core::retention::DataClass;
use kerato_site::retention::{self, utc_date};

use crate::{NOW, TestSite, spawn};

const PASSWORD: &str = "correct horse battery staple";

async fn plant(t: &TestSite) {
    // Two practices: one closes its account today, one stays.
    for (email, practice) in [
        ("closing@a.example", "Closing Practice"),
        ("open@b.example", "Open Practice"),
    ] {
        let a = t.agent();
        let fields = [
            ("practice_name", practice),
            ("specialty", "dermatology"),
            ("name", "Owner"),
            ("email", email),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ];
        let (status, _) = a.post("/signup", "/signup", &fields).await;
        assert_eq!(status, 303);
        if practice == "Closing Practice" {
            let (status, _) = a
                .post("/portal/close", "/portal/close", &[("confirm", practice)])
                .await;
            assert_eq!(status, 303);
        }
    }
    // A demo request: its last interaction is today.
    let fields = [
        ("name", "Ann Lee"),
        ("email", "ann@leeeye.example"),
        ("practice_name", "Lee Eye Care"),
        ("specialty", "eye_care"),
    ];
    let (status, _) = t.post("/demo", "/demo", &fields).await;
    assert_eq!(status, 303);
}

async fn run(t: &TestSite, on: Date) -> retention::RetentionReport {
    retention::run(&t.site, on, false).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_account_goes_a_year_and_a_day_after_closure_and_marketing_data_after_three_years()
{
    let t = spawn().await;
    plant(&t).await;
    let today = utc_date(NOW);
    // A dry run counts nothing due today and changes nothing.
    let dry = retention::run(&t.site, today.checked_add(2.years()).unwrap(), true)
        .await
        .unwrap();
    assert_eq!(
        dry.classes
            .iter()
            .find(|c| c.class == DataClass::AccountData)
            .unwrap()
            .due,
        1
    );
    assert_eq!(dry.deleted(DataClass::AccountData), 0);
    assert_eq!(t.count("accounts").await, 2);

    let year = today.checked_add(1.year()).unwrap();
    let report = run(&t, year).await;
    assert_eq!(
        report.deleted(DataClass::AccountData),
        0,
        "not on the anniversary"
    );
    assert_eq!(t.count("accounts").await, 2);
    let report = run(&t, year.tomorrow().unwrap()).await;
    assert_eq!(
        report.deleted(DataClass::AccountData),
        1,
        "gone a year and a day after"
    );
    assert_eq!(t.count("accounts").await, 1, "the open account stays");
    assert_eq!(
        t.count("site_users").await,
        1,
        "the closed account's users went with it"
    );
    let again = run(&t, year.tomorrow().unwrap()).await;
    assert!(
        again.classes.iter().all(|c| c.deleted == 0),
        "a second run does nothing"
    );

    let three = today.checked_add(3.years()).unwrap();
    run(&t, three).await;
    assert_eq!(
        t.count("demo_requests").await,
        1,
        "not on the third anniversary"
    );
    let report = run(&t, three.tomorrow().unwrap()).await;
    assert_eq!(report.deleted(DataClass::MarketingData), 1);
    assert_eq!(t.count("demo_requests").await, 0);
    assert_eq!(t.count("site_retention_runs").await, 6);
    assert!(kerato_site::audit::verify(&t.site.store).await.is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_newsletter_contact_goes_at_opt_out_or_three_years_after_the_last_interaction() {
    use kerato_core::consent::{Purpose, Source};
    use kerato_site::consents::{self, Subject};
    let t = spawn().await;
    for email in ["stays@a.example", "leaves@b.example"] {
        let fields = [
            ("name", "Reader"),
            ("email", email),
            ("practice", "P"),
            ("consent", "yes"),
        ];
        let (status, _) = t.post("/newsletter", "/newsletter", &fields).await;
        assert_eq!(status, 303);
    }
    let mut tx = t.site.store.write().await.unwrap();
    consents::record(
        &mut tx,
        Subject::contact("leaves@b.example"),
        Purpose::MarketingEmail,
        false,
        Source::Link,
        None,
        NOW,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let today = utc_date(NOW);
    let report = run(&t, today).await;
    assert_eq!(
        report.deleted(DataClass::MarketingData),
        1,
        "gone at opt-out"
    );
    assert_eq!(t.count("marketing_contacts").await, 1);
    let three = today.checked_add(3.years()).unwrap();
    assert_eq!(run(&t, three).await.deleted(DataClass::MarketingData), 0);
    assert_eq!(
        run(&t, three.tomorrow().unwrap())
            .await
            .deleted(DataClass::MarketingData),
        1
    );
    assert_eq!(t.count("marketing_contacts").await, 0);
    assert_eq!(
        t.count("site_consents").await,
        0,
        "their marketing answers went with them"
    );
}
