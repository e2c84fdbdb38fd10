use kerato_store::testing::TestDb;
use kerato_store::{ClinicSchema, MIGRATIONS, meta, tenancy};

use crate::{location, now, organisation};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_database_is_upgraded_and_keeps_its_data() {
    let db = TestDb::empty().await;
    assert_eq!(db.store.migrate_to(1, now()).await.unwrap(), 1);
    let mut tx = db.store.write().await.unwrap();
    meta::set(&mut tx, "install_id", "from-v1", now())
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let status = db.store.schema_status().await.unwrap();
    assert_eq!(status.current, 1);
    assert_eq!(status.pending.len(), MIGRATIONS.len() - 1);

    assert_eq!(db.store.migrate(now()).await.unwrap(), MIGRATIONS.len() - 1);
    let mut tx = db.store.write().await.unwrap();
    assert_eq!(
        meta::get(&mut tx, "install_id").await.unwrap().as_deref(),
        Some("from-v1")
    );
    let org = organisation("After upgrade");
    tenancy::insert_organisation(&mut tx, &org).await.unwrap();
    tenancy::insert_location(&mut tx, &location(&org, "New"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrating_twice_does_nothing_the_second_time() {
    let db = TestDb::empty().await;
    assert_eq!(db.store.migrate(now()).await.unwrap(), MIGRATIONS.len());
    assert_eq!(db.store.migrate(now()).await.unwrap(), 0);
    let status = db.store.schema_status().await.unwrap();
    assert!(status.pending.is_empty());
    assert_eq!(status.current, status.latest);
}

type IndexRows = (
    Vec<(String, String, String, String, String, Option<String>)>,
    Vec<(String,)>,
    Vec<(String, String)>,
);

/// An organisation's name index, with charts named by MRN.
async fn name_index(db: &TestDb, org: &str) -> IndexRows {
    let mut tx = db.store.read().await.unwrap();
    let tokens = kerato_store::on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT p.mrn, t.kind, t.token, t.last_folded, t.first_folded, t.preferred_folded \
         FROM patient_name_tokens t JOIN patients p ON p.id = t.patient_id \
         WHERE t.organisation_id = $1 ORDER BY p.mrn, t.kind, t.token"
    ).bind(org).fetch_all(&mut **c).await)
    .unwrap();
    let words = kerato_store::on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT word FROM patient_name_words WHERE organisation_id = $1 ORDER BY word"
    ).bind(org).fetch_all(&mut **c).await)
    .unwrap();
    let keys = kerato_store::on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT typo_key, word FROM patient_name_typo_keys WHERE organisation_id = $1 ORDER BY typo_key, word"
    ).bind(org).fetch_all(&mut **c).await)
    .unwrap();
    (tokens, words, keys)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_name_index_backfill_writes_what_registration_writes() {
    use kerato_domain::ids::PatientId;
    use kerato_domain::patients::{Patient, PatientInput};

    let db = TestDb::empty().await;
    db.store.migrate_to(7, now()).await.unwrap();
    let (before, after) = (organisation("Before"), organisation("After"));
    let people = [
        ("Zoë Anne", "Müller-O'Neil", Some("Zo")),
        ("Lee", "Lee", None),
        ("Jo", "Smith Smithers", None),
        ("Elizabeth", "Nguyễn", Some("Liz")),
        ("Merged", "Away", None),
    ];
    let today = jiff::civil::date(2026, 1, 1);
    let charts: Vec<Patient> = people
        .iter()
        .enumerate()
        .map(|(i, (first, last, preferred))| Patient {
            id: PatientId::new(now(), crate::rnd()),
            organisation_id: before.id,
            mrn: format!("{:07}", i + 1),
            fields: PatientInput {
                legal_first_name: (*first).into(),
                legal_last_name: (*last).into(),
                preferred_name: preferred.map(Into::into),
                date_of_birth: "1980-01-01".into(),
                ..PatientInput::default()
            }
            .validate(today)
            .unwrap(),
            merged_into: None,
            version: 1,
            created_at: now(),
            updated_at: now(),
        })
        .collect();
    // Charts as schema version 7 stored them, the last one merged into the first.
    let mut tx = db.store.write().await.unwrap();
    tenancy::insert_organisation(&mut tx, &before)
        .await
        .unwrap();
    tenancy::insert_organisation(&mut tx, &after).await.unwrap();
    for (i, p) in charts.iter().enumerate() {
        let f = &p.fields;
        let merged = (i == charts.len() - 1).then(|| charts[0].id.to_string());
        kerato_store::on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO patients (id, organisation_id, mrn, legal_first_name, legal_last_name, preferred_name, \
             last_folded, first_folded, preferred_folded, date_of_birth, preferred_language, reminder_channel, \
             results_channel, statement_channel, marketing_consent, version, created_at, updated_at, merged_into) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '1980-01-01', 'en', 'mail', 'phone', 'mail', 0, 1, 0, 0, $10)"
        )
        .bind(p.id.to_string())
        .bind(before.id.to_string())
        .bind(&p.mrn)
        .bind(&f.legal_first_name)
        .bind(&f.legal_last_name)
        .bind(f.preferred_name.as_deref())
        .bind(kerato_domain::patients::fold(&f.legal_last_name))
        .bind(kerato_domain::patients::fold(&f.legal_first_name))
        .bind(f.preferred_name.as_deref().map(kerato_domain::patients::fold))
        .bind(merged)
        .execute(&mut **c).await.map(|r| r.rows_affected()))
        .unwrap();
    }
    tx.commit().await.unwrap();
    db.store.migrate(now()).await.unwrap();

    // The same people registered after the migration, through the store.
    let registered: Vec<Patient> = charts
        .iter()
        .take(charts.len() - 1)
        .map(|p| Patient {
            id: PatientId::new(now(), crate::rnd()),
            organisation_id: after.id,
            ..p.clone()
        })
        .collect();
    let mut tx = db.store.write().await.unwrap();
    kerato_store::patients::insert_patients(&mut tx, &registered)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let backfilled = name_index(&db, &before.id.to_string()).await;
    assert_eq!(backfilled, name_index(&db, &after.id.to_string()).await);
    assert!(
        backfilled.0.iter().all(|t| t.0 != "0000005"),
        "a merged chart stays out of search"
    );
    assert!(backfilled.0.iter().any(|t| t.2 == "oneil" && t.1 == "last"));
    assert!(backfilled.0.iter().any(|t| t.2 == "zo" && t.1 == "first"));
    assert!(backfilled.2.iter().any(|k| k.0 == "smt" && k.1 == "smith"));

    // Every chart, merged or not, has its display name.
    let mut tx = db.store.read().await.unwrap();
    let names: Vec<(String, String)> = kerato_store::on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT n.legal_last_name, n.legal_first_name FROM patient_display_names n \
         JOIN patients p ON p.id = n.patient_id WHERE p.organisation_id = $1 ORDER BY p.mrn"
    ).bind(before.id.to_string()).fetch_all(&mut **c).await)
    .unwrap();
    assert_eq!(names.len(), charts.len());
    assert_eq!(
        names[0],
        ("Müller-O'Neil".to_string(), "Zoë Anne".to_string())
    );
}

/// Retention asks of every chart whether another was merged into it; without
/// an index each answer scanned the registry (seconds a page of 500 charts at
/// 20,000). The lookup must ride `patients_merged_into` on both backends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_merged_chart_lookup_rides_its_index() {
    let db = TestDb::new().await;
    let mut tx = db.store.read().await.unwrap();
    let plan: Vec<String> = match tx.backend() {
        kerato_store::Backend::Sqlite => {
            let rows: Vec<(i64, i64, i64, String)> = kerato_store::on_tx!(&mut tx, c => sqlx::query_as(
                "EXPLAIN QUERY PLAN SELECT p.id, EXISTS (SELECT 1 FROM patients m WHERE m.merged_into = p.id) \
                 FROM patients p WHERE p.organisation_id = 'x' AND p.id > '' ORDER BY p.id LIMIT 500"
            ).fetch_all(&mut **c).await)
            .unwrap();
            rows.into_iter().map(|r| r.3).collect()
        }
        kerato_store::Backend::Postgres => {
            // The planner picks a sequential scan of an empty table whatever
            // its indexes; with scans priced out, the index must be there.
            kerato_store::on_tx!(&mut tx, c => sqlx::query("SET LOCAL enable_seqscan = off")
                .execute(&mut **c).await.map(drop))
            .unwrap();
            let rows: Vec<(String,)> = kerato_store::on_tx!(&mut tx, c => sqlx::query_as(
                "EXPLAIN SELECT 1 FROM patients m WHERE m.merged_into = 'x'"
            ).fetch_all(&mut **c).await)
            .unwrap();
            rows.into_iter().map(|r| r.0).collect()
        }
    };
    assert!(
        plan.iter().any(|l| l.contains("patients_merged_into")),
        "the merged-chart lookup does not use its index: {plan:?}"
    );
    assert!(
        !plan.iter().any(|l| l.contains("SCAN m")),
        "the merged-chart lookup scans the registry: {plan:?}"
    );
}
