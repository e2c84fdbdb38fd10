//! The patient data registry against the real schema: every table is
//! classified, and every query in the registry runs on this backend.

use std::collections::BTreeSet;

use kerato_domain::consent::Purpose;
use kerato_domain::ids::PatientId;
use kerato_store::patient_data::{self, CHART_TABLES, OTHER_TABLES, PATIENT_TABLES};
use kerato_store::testing::TestDb;
use kerato_store::{Backend, on_tx};

use crate::{now, rnd};

/// The tables the migrated database has, from its own catalog.
async fn catalog_tables(db: &TestDb) -> BTreeSet<String> {
    let mut tx = db.store.read().await.unwrap();
    let sql = match tx.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
    };
    let rows: Vec<(String,)> =
        on_tx!(tx, c => sqlx::query_as(sql).fetch_all(&mut **c).await).unwrap();
    rows.into_iter().map(|(t,)| t).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_of_the_schema_is_classified_once() {
    let db = TestDb::new().await;
    let real = catalog_tables(&db).await;
    assert!(
        real.contains("patients"),
        "the catalog query found {real:?}"
    );
    let about_patients: BTreeSet<&str> = PATIENT_TABLES.iter().map(|t| t.table).collect();
    let other: BTreeSet<&str> = OTHER_TABLES.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        other.len(),
        OTHER_TABLES.len(),
        "OTHER_TABLES lists a table twice"
    );
    let both: Vec<&&str> = about_patients.intersection(&other).collect();
    assert!(
        both.is_empty(),
        "tables in both PATIENT_TABLES and OTHER_TABLES: {both:?}"
    );
    let unclassified: Vec<&String> = real
        .iter()
        .filter(|t| !about_patients.contains(t.as_str()) && !other.contains(t.as_str()))
        .collect();
    assert!(
        unclassified.is_empty(),
        "tables that kerato_store::patient_data does not classify: {unclassified:?}; add each to \
         PATIENT_TABLES (with how its rows relate to a patient) or to OTHER_TABLES (with why it \
         holds nothing about one)"
    );
    let missing: Vec<&str> = about_patients
        .iter()
        .chain(other.iter())
        .copied()
        .filter(|t| !real.contains(*t))
        .collect();
    assert!(
        missing.is_empty(),
        "patient_data lists tables the schema does not have: {missing:?}"
    );
    for reason in OTHER_TABLES.iter().map(|(_, why)| why) {
        assert!(!reason.trim().is_empty(), "every other table says why");
    }
    for chart in CHART_TABLES {
        assert!(
            about_patients.contains(chart),
            "{chart} is not a patient table"
        );
    }
}

/// Each consent purpose the domain knows belongs to exactly one of the
/// registry's consent groups, so each has one retention class.
#[test]
fn every_consent_purpose_has_one_retention_class() {
    for purpose in Purpose::ALL {
        let quoted = format!("'{}'", purpose.as_str());
        let groups = PATIENT_TABLES
            .iter()
            .filter(|t| t.table == "consents" && t.select.contains(&quoted))
            .count();
        assert_eq!(groups, 1, "consent purpose {purpose} is in {groups} groups");
    }
}

/// The retention job reads the marketing purposes from the registry.
#[test]
fn the_registry_names_the_marketing_purposes() {
    use kerato_domain::retention::DataClass;
    use patient_data::Retention;
    assert_eq!(
        patient_data::consent_purposes(Retention::Schedule(DataClass::MarketingData)),
        [
            Purpose::PhotoMarketing,
            Purpose::MarketingEmail,
            Purpose::SaleShare
        ]
    );
    assert_eq!(
        patient_data::consent_purposes(Retention::Schedule(DataClass::FtcRxConfirmation)),
        [Purpose::DigitalRx]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_registry_query_runs_on_this_backend() {
    let db = TestDb::new().await;
    let patient = PatientId::new(now(), rnd());
    let mut tx = db.store.write().await.unwrap();
    for entry in PATIENT_TABLES {
        let held = patient_data::holding(&mut tx, entry, patient)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", entry.table));
        assert_eq!(held.rows, 0, "{}", entry.table);
        assert_eq!(held.newest, None, "{}", entry.table);
        let deleted = patient_data::delete(&mut tx, entry, patient)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", entry.table));
        assert_eq!(deleted, entry.delete.map(|_| 0), "{}", entry.table);
    }
    let export = patient_data::export_patient(&mut tx, patient)
        .await
        .unwrap();
    let tables: BTreeSet<&str> = PATIENT_TABLES.iter().map(|t| t.table).collect();
    assert_eq!(export.len(), tables.len());
    assert!(
        export
            .values()
            .all(|rows| rows.as_array().is_some_and(Vec::is_empty))
    );
}
