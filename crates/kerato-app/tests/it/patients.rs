//! The patient registry through the use cases, on the backend the run selects.

use kerato_app::AppError;
use kerato_domain::coverage::NewCoverage;
use kerato_domain::identity::Role;
use kerato_domain::input::ParseInput;
use kerato_domain::patients::{ChartMerge, MergeInput, PatientInput};
use kerato_store::audit;

use crate::world;

fn merge(mrn: &str) -> ChartMerge {
    ChartMerge::parse(MergeInput { mrn: mrn.into() }).unwrap()
}

fn input(first: &str, last: &str, dob: &str) -> PatientInput {
    PatientInput {
        legal_first_name: first.into(),
        legal_last_name: last.into(),
        date_of_birth: dob.into(),
        ..PatientInput::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_hands_out_mrns_and_audits_the_write() {
    let w = world().await;
    let desk = w.user("desk@capital.example", Role::FrontDesk, &[]).await;
    let desk = w.app.unsafe_caller_for(desk.id).await.unwrap();
    let a = w
        .app
        .register_patient(
            &desk,
            &kerato_domain::patients::Registration::of(
                &input("Zoë", "Müller-O'Neil", "1980-04-15"),
                false,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let b = w
        .app
        .register_patient(
            &desk,
            &kerato_domain::patients::Registration::of(&input("Jo", "Smith", "07/04/1975"), false)
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!((a.mrn.as_str(), b.mrn.as_str()), ("0000001", "0000002"));
    let mut tx = w.app.store().read().await.unwrap();
    let events = audit::events_after(&mut tx, 0, 1000).await.unwrap();
    let created = events
        .iter()
        .find(|e| e.event.patient_id.as_deref() == Some(a.id.to_string().as_str()))
        .unwrap();
    assert_eq!(
        (
            created.event.action.as_str(),
            created.event.category.as_str()
        ),
        ("create", "demographics")
    );
    assert!(
        created
            .event
            .new_value
            .as_deref()
            .unwrap()
            .contains("Müller-O'Neil")
    );
    drop(tx);
    // Reading a chart is audited too.
    w.app.get_patient(&desk, a.id).await.unwrap();
    let mut tx = w.app.store().read().await.unwrap();
    let last = audit::events_after(&mut tx, 0, 1000)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(last.event.action.as_str(), "view");
    assert_eq!(last.event.patient_id, Some(a.id.to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_likely_duplicate_is_stopped_unless_confirmed() {
    let w = world().await;
    let first = PatientInput {
        mobile_phone: Some("217-555-0199".into()),
        ..input("Ana", "García", "1990-02-01")
    };
    w.app
        .register_patient(
            &w.admin,
            &kerato_domain::patients::Registration::of(&first, false).unwrap(),
        )
        .await
        .unwrap();
    for dup in [
        input("ana", "GARCIA", "02/01/1990"),
        PatientInput {
            mobile_phone: Some("(217) 555-0199".into()),
            ..input("Luis", "Pérez", "1985-01-01")
        },
    ] {
        let err = w
            .app
            .register_patient(
                &w.admin,
                &kerato_domain::patients::Registration::of(&dup, false).unwrap(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, AppError::Conflict(m) if m.contains("MRN 0000001")),
            "{err}"
        );
    }
    w.app
        .register_patient(
            &w.admin,
            &kerato_domain::patients::Registration::of(&input("Ana", "García", "1990-02-01"), true)
                .unwrap(),
        )
        .await
        .unwrap();
    let caller = &w.admin;
    assert_eq!(
        w.app.search_patients(caller, "garcia").await.unwrap().len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_by_name_with_a_typo_date_phone_and_mrn() {
    let w = world().await;
    let c = &w.admin;
    let smith = w
        .app
        .register_patient(
            c,
            &kerato_domain::patients::Registration::of(
                &PatientInput {
                    mobile_phone: Some("217 555 0142".into()),
                    ..input("Jonathan", "Smith", "1961-12-24")
                },
                false,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    w.app
        .register_patient(
            c,
            &kerato_domain::patients::Registration::of(
                &input("Smitty", "Jones", "1970-01-01"),
                false,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    w.app
        .register_patient(
            c,
            &kerato_domain::patients::Registration::of(
                &PatientInput {
                    preferred_name: Some("Liz".into()),
                    ..input("Elizabeth", "Nguyễn", "2001-09-09")
                },
                false,
            )
            .unwrap(),
        )
        .await
        .unwrap();

    let names = |v: Vec<kerato_domain::patients::Patient>| {
        v.into_iter()
            .map(|p| p.fields.legal_last_name)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(w.app.search_patients(c, "smi").await.unwrap()),
        vec!["Smith", "Jones"]
    );
    assert_eq!(
        names(w.app.search_patients(c, "smyth").await.unwrap()),
        vec!["Smith"],
        "one typo"
    );
    // "smith" is one typo from "Smitt(y)", so Smitty Jones matches too, but ranks below.
    assert_eq!(
        names(w.app.search_patients(c, "smith jon").await.unwrap()),
        vec!["Smith", "Jones"]
    );
    assert_eq!(
        names(w.app.search_patients(c, "NGUYEN").await.unwrap()),
        vec!["Nguyễn"],
        "accents ignored"
    );
    assert_eq!(
        names(w.app.search_patients(c, "liz").await.unwrap()),
        vec!["Nguyễn"],
        "preferred name"
    );
    assert_eq!(
        names(w.app.search_patients(c, "12/24/1961").await.unwrap()),
        vec!["Smith"]
    );
    assert_eq!(
        names(w.app.search_patients(c, "(217) 555-0142").await.unwrap()),
        vec!["Smith"]
    );
    assert_eq!(
        names(w.app.search_patients(c, &smith.mrn).await.unwrap()),
        vec!["Smith"]
    );
    assert_eq!(
        names(w.app.search_patients(c, "1").await.unwrap()),
        vec!["Smith"],
        "MRN without leading zeros"
    );
    assert!(w.app.search_patients(c, "zzz").await.unwrap().is_empty());
    assert!(w.app.search_patients(c, "   ").await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_are_versioned_and_audited_with_old_and_new_values() {
    let w = world().await;
    let p = w
        .app
        .register_patient(
            &w.admin,
            &kerato_domain::patients::Registration::of(&input("Jo", "Smith", "1975-07-04"), false)
                .unwrap(),
        )
        .await
        .unwrap();
    let edited = w
        .app
        .update_patient(
            &w.admin,
            p.id,
            &kerato_domain::patients::DemographicsUpdate::of(
                &input("Joanna", "Smith", "1975-07-04"),
                1,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(edited.version, 2);
    let stale = w
        .app
        .update_patient(
            &w.admin,
            p.id,
            &kerato_domain::patients::DemographicsUpdate::of(
                &input("Jo", "Smythe", "1975-07-04"),
                1,
            )
            .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(matches!(stale, AppError::Conflict(_)));
    assert_eq!(
        w.app
            .get_patient(&w.admin, p.id)
            .await
            .unwrap()
            .fields
            .legal_first_name,
        "Joanna"
    );
    let mut tx = w.app.store().read().await.unwrap();
    let update = audit::events_after(&mut tx, 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.event.action.as_str() == "update" && e.event.patient_id.is_some())
        .unwrap();
    assert!(update.event.old_value.unwrap().contains("\"Jo\""));
    assert!(update.event.new_value.unwrap().contains("Joanna"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_and_tenants_are_kept_apart() {
    let w = world().await;
    let p = w
        .app
        .register_patient(
            &w.admin,
            &kerato_domain::patients::Registration::of(&input("Jo", "Smith", "1975-07-04"), false)
                .unwrap(),
        )
        .await
        .unwrap();
    let auditor = w.user("audit@capital.example", Role::Auditor, &[]).await;
    let auditor = w.app.unsafe_caller_for(auditor.id).await.unwrap();
    assert!(matches!(
        w.app.get_patient(&auditor, p.id).await,
        Err(AppError::Forbidden(_))
    ));
    let billing = w.user("billing@capital.example", Role::Billing, &[]).await;
    let billing = w.app.unsafe_caller_for(billing.id).await.unwrap();
    w.app.get_patient(&billing, p.id).await.unwrap();
    assert!(matches!(
        w.app
            .register_patient(
                &billing,
                &kerato_domain::patients::Registration::of(&input("A", "B", "2000-01-01"), false)
                    .unwrap()
            )
            .await,
        Err(AppError::Forbidden(_))
    ));

    let (_, other) = w
        .app
        .unsafe_add_tenant(
            "Elsewhere",
            kerato_domain::tenancy::OrganisationKind::Practice,
            "x@elsewhere.example",
            "Xavier",
            crate::PASSWORD,
        )
        .await
        .unwrap();
    let other = w.app.unsafe_caller_for(other.id).await.unwrap();
    assert!(matches!(
        w.app.get_patient(&other, p.id).await,
        Err(AppError::Forbidden(_))
    ));
    assert!(
        w.app
            .search_patients(&other, "smith")
            .await
            .unwrap()
            .is_empty()
    );
    let err = w
        .app
        .update_patient(
            &other,
            p.id,
            &kerato_domain::patients::DemographicsUpdate::of(
                &input("Hacked", "Smith", "1975-07-04"),
                1,
            )
            .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden(_)));
    assert_eq!(
        w.app
            .get_patient(&w.admin, p.id)
            .await
            .unwrap()
            .fields
            .legal_first_name,
        "Jo"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merging_a_duplicate_keeps_its_trail_and_moves_its_disclosures() {
    let w = world().await;
    let keep = w
        .app
        .register_patient(
            &w.admin,
            &kerato_domain::patients::Registration::of(&input("Jo", "Smith", "1975-07-04"), false)
                .unwrap(),
        )
        .await
        .unwrap();
    let dup = w
        .app
        .register_patient(
            &w.admin,
            &kerato_domain::patients::Registration::of(&input("Joe", "Smith", "1975-07-04"), false)
                .unwrap(),
        )
        .await
        .unwrap();
    let doc = w.user("doc@capital.example", Role::Physician, &[]).await;
    let doc = w.app.unsafe_caller_for(doc.id).await.unwrap();
    let disclosure = kerato_domain::privacy::DisclosureInput {
        patient: dup.id,
        disclosed_on: jiff::civil::date(2026, 1, 2),
        recipient: "County Health".into(),
        purpose: "public health".into(),
        description: "immunisation record".into(),
    };
    w.app.record_disclosure(&doc, &disclosure).await.unwrap();

    assert!(matches!(
        w.app
            .merge_patient(&w.admin, keep.id, &merge(&keep.mrn))
            .await,
        Err(AppError::Conflict(_))
    ));
    assert!(
        ChartMerge::parse(MergeInput { mrn: "abc".into() })
            .unwrap_err()
            .for_field("mrn")
            .is_some()
    );
    w.app
        .merge_patient(&w.admin, keep.id, &merge("2"))
        .await
        .unwrap();

    let merged = w.app.get_patient(&w.admin, dup.id).await.unwrap();
    assert_eq!(merged.merged_into, Some(keep.id));
    let found = w.app.search_patients(&w.admin, "smith").await.unwrap();
    assert_eq!(
        found.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![keep.id],
        "the duplicate leaves search"
    );
    let accounting = w
        .app
        .accounting_of_disclosures(&doc, keep.id)
        .await
        .unwrap();
    assert_eq!(accounting.len(), 1, "the disclosure follows the chart");
    assert!(matches!(
        w.app
            .update_patient(
                &w.admin,
                dup.id,
                &kerato_domain::patients::DemographicsUpdate::of(
                    &input("X", "Y", "1975-07-04"),
                    merged.version
                )
                .unwrap()
            )
            .await,
        Err(AppError::Conflict(_))
    ));
    assert!(
        matches!(
            w.app.merge_patient(&w.admin, keep.id, &merge("2")).await,
            Err(AppError::Conflict(_))
        ),
        "merging twice"
    );

    let mut tx = w.app.store().read().await.unwrap();
    let events = audit::events_after(&mut tx, 0, 1000).await.unwrap();
    let merge_events: Vec<_> = events
        .iter()
        .filter(|e| e.event.category == "chart merge")
        .collect();
    assert_eq!(merge_events.len(), 2, "both charts record the merge");
    assert!(
        events
            .iter()
            .any(|e| e.event.patient_id == Some(dup.id.to_string())
                && e.event.action.as_str() == "create"),
        "the duplicate's trail stays"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coverages_in_priority_order_without_clashes() {
    let w = world().await;
    let p = w
        .app
        .register_patient(
            &w.admin,
            &kerato_domain::patients::Registration::of(&input("Jo", "Smith", "1975-07-04"), false)
                .unwrap(),
        )
        .await
        .unwrap();
    let raw = |kind: &str, priority: &str, payer: &str, from: &str, to: Option<&str>| {
        kerato_domain::coverage::CoverageInput {
            kind: kind.into(),
            priority: priority.into(),
            payer: payer.into(),
            member_id: "M123".into(),
            subscriber_relationship: "self".into(),
            effective_from: from.into(),
            effective_to: to.map(str::to_string),
            ..Default::default()
        }
    };
    let cov = |kind: &str, priority: &str, payer: &str, from: &str, to: Option<&str>| {
        NewCoverage::parse(raw(kind, priority, payer, from, to)).unwrap()
    };
    w.app
        .add_coverage(
            &w.admin,
            p.id,
            &cov("medical", "1", "Acme Health", "2026-01-01", None),
        )
        .await
        .unwrap();
    w.app
        .add_coverage(
            &w.admin,
            p.id,
            &cov("vision", "1", "VSP", "2026-01-01", None),
        )
        .await
        .unwrap();
    w.app
        .add_coverage(
            &w.admin,
            p.id,
            &cov("medical", "1", "Old Plan", "2024-01-01", Some("2025-12-31")),
        )
        .await
        .unwrap();
    let clash = w
        .app
        .add_coverage(
            &w.admin,
            p.id,
            &cov("medical", "1", "Other", "2026-06-01", None),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&clash, AppError::Conflict(m) if m.contains("Acme Health")),
        "{clash}"
    );
    let bad = NewCoverage::parse(raw("dental", "1", "X", "2026-01-01", None)).unwrap_err();
    assert!(bad.for_field("kind").is_some());
    let all = w.app.coverages(&w.admin, p.id).await.unwrap();
    let payers: Vec<&str> = all.iter().map(|c| c.payer.as_str()).collect();
    assert_eq!(payers, vec!["Acme Health", "Old Plan", "VSP"]);
}

/// The `i`th chart of a registry filled straight into the store (the fill
/// is set-up, not what is tested).
fn chart(
    w: &crate::World,
    org: kerato_domain::ids::OrganisationId,
    i: usize,
    input: PatientInput,
) -> kerato_domain::patients::Patient {
    kerato_domain::patients::Patient {
        id: kerato_domain::ids::PatientId::new(w.app.now(), rand::random()),
        organisation_id: org,
        mrn: format!("{:07}", i + 1),
        fields: input.validate(jiff::civil::date(2026, 1, 1)).unwrap(),
        merged_into: None,
        version: 1,
        created_at: w.app.now(),
        updated_at: w.app.now(),
    }
}

async fn insert_charts(w: &crate::World, charts: &[kerato_domain::patients::Patient]) {
    let mut tx = w.app.store().write().await.unwrap();
    kerato_store::patients::insert_patients(&mut tx, charts)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// What a name search should return, worked out by brute force over every
/// chart: best score first, then by the first query word's matching name
/// word (from the best way it matches), last name, first name and ID.
fn expected_by_brute_force(
    query: &str,
    charts: &[kerato_domain::patients::Patient],
) -> Vec<kerato_domain::ids::PatientId> {
    let mut all = ranked_by_brute_force(query, charts);
    all.truncate(50);
    all
}

/// Every chart a name search matches, in result order, by brute force.
fn ranked_by_brute_force(
    query: &str,
    charts: &[kerato_domain::patients::Patient],
) -> Vec<kerato_domain::ids::PatientId> {
    use kerato_domain::patients::{NameKind, fold, name_match, name_words, typo_match};
    let folded = fold(query);
    let driver = folded.split(' ').next().unwrap();
    let mut ranked: Vec<_> = charts
        .iter()
        .filter_map(|p| {
            let f = &p.fields;
            let score = name_match(
                query,
                &f.legal_last_name,
                &f.legal_first_name,
                f.preferred_name.as_deref(),
            )?;
            let words = name_words(
                &f.legal_last_name,
                &f.legal_first_name,
                f.preferred_name.as_deref(),
            );
            let token = [
                (NameKind::Last, false),
                (NameKind::First, false),
                (NameKind::Last, true),
                (NameKind::First, true),
            ]
            .iter()
            .find_map(|(kind, typo)| {
                words
                    .iter()
                    .filter(|(k, w)| {
                        k == kind
                            && if *typo {
                                typo_match(driver, w)
                            } else {
                                w.starts_with(driver)
                            }
                    })
                    .map(|(_, w)| w.clone())
                    .min()
            })?;
            Some((
                std::cmp::Reverse(score),
                token,
                fold(&f.legal_last_name),
                fold(&f.legal_first_name),
                p.id,
            ))
        })
        .collect();
    ranked.sort();
    ranked.into_iter().map(|r| r.4).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexed_name_search_ranks_as_brute_force_does() {
    use kerato_domain::ids::PatientId;
    use kerato_domain::patients::Patient;

    let w = world().await;
    let org = w.admin.actor.organisation_id;
    let lasts = [
        "Smith",
        "Smyth",
        "Smithers",
        "Garcia Lopez",
        "Müller-O'Neil",
        "Nguyễn",
        "Sanchez",
        "Jones",
        "Lee",
    ];
    let firsts = ["Jon", "Joanna", "Smitty", "Elizabeth", "Zoë", "Ana", "Lee"];
    let charts: Vec<Patient> = (0..180)
        .map(|i: usize| {
            let preferred = i
                .is_multiple_of(5)
                .then(|| ["Liz", "Jo", "Sam"][i % 3].to_string());
            chart(
                &w,
                org,
                i,
                PatientInput {
                    legal_first_name: firsts[i % firsts.len()].into(),
                    legal_last_name: lasts[(i / 3) % lasts.len()].into(),
                    preferred_name: preferred,
                    date_of_birth: format!("19{:02}-01-01", 10 + i % 90),
                    ..PatientInput::default()
                },
            )
        })
        .collect();
    insert_charts(&w, &charts).await;

    for q in [
        "s",
        "sm",
        "smi",
        "smith",
        "smyth",
        "smtih",
        "smithres",
        "jo",
        "liz",
        "lopez",
        "gacria",
        "mul",
        "oneil",
        "ng",
        "nguyen",
        "lee",
        "lea",
        "smith jo",
        "smith jno",
        "jo smith",
        "sanchez ana",
        "zoe mul",
        "zz",
    ] {
        let found: Vec<PatientId> = w
            .app
            .search_patients(&w.admin, q)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(found, expected_by_brute_force(q, &charts), "query {q:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_name_is_found_by_the_new_name_only() {
    let w = world().await;
    let p = w
        .app
        .register_patient(
            &w.admin,
            &kerato_domain::patients::Registration::of(&input("Jo", "Smith", "1975-07-04"), false)
                .unwrap(),
        )
        .await
        .unwrap();
    w.app
        .update_patient(
            &w.admin,
            p.id,
            &kerato_domain::patients::DemographicsUpdate::of(
                &input("Jo", "Okonkwo", "1975-07-04"),
                1,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let found = |q: &'static str| {
        let app = &w.app;
        let admin = &w.admin;
        async move { app.search_patients(admin, q).await.unwrap().len() }
    };
    assert_eq!(found("smith").await, 0);
    assert_eq!(found("okon").await, 1);
    assert_eq!(found("okonkow").await, 1, "one typo");
    assert_eq!(found("jo").await, 1, "the first name stays");
}

/// Every chart an exact-field search (date of birth, phone or MRN) matches,
/// in result order, by brute force: by folded last name and ID, or by ID
/// for an MRN.
fn exact_by_brute_force(
    query: &str,
    charts: &[kerato_domain::patients::Patient],
) -> Vec<kerato_domain::ids::PatientId> {
    use kerato_domain::patients::fold;
    let mut hits: Vec<(String, kerato_domain::ids::PatientId)> = charts
        .iter()
        .filter(|p| {
            let f = &p.fields;
            if query.starts_with("19") {
                f.date_of_birth.to_string() == query
            } else if query.len() >= 10 {
                let digits: String = query.chars().filter(char::is_ascii_digit).collect();
                f.mobile_phone
                    .as_ref()
                    .is_some_and(|m| m.e164().ends_with(&digits))
            } else {
                p.mrn == format!("{query:0>7}")
            }
        })
        .map(|p| {
            let key = if query.len() < 8 {
                String::new()
            } else {
                fold(&p.fields.legal_last_name)
            };
            (key, p.id)
        })
        .collect();
    hits.sort();
    hits.into_iter().map(|(_, id)| id).collect()
}

/// Paging through a search with any page size gives, page after page,
/// exactly the unpaged ordered result, with nothing repeated or skipped;
/// and the first 50 are what the unpaged search answers.
#[test]
fn the_pages_of_a_search_add_up_to_its_whole_result() {
    use kerato_domain::ids::PatientId;
    use kerato_domain::patients::Patient;
    use kerato_domain::patients::search::{PatientSearchInput, SearchQuery};
    use proptest::prelude::*;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let w = rt.block_on(world());
    let tenants = std::sync::atomic::AtomicUsize::new(0);
    let lasts = [
        "Smith",
        "Smyth",
        "Smithers",
        "Sm Ith",
        "Lee",
        "Garcia Lopez",
        "Jones",
    ];
    let firsts = ["Jo", "Jon", "Joanna", "Ana", "Lee", "Smitty"];
    let queries = [
        "s",
        "sm",
        "smi",
        "smith",
        "smyth",
        "smtih",
        "jo",
        "lee",
        "lea",
        "ana",
        "smith jo",
        "smith jno",
        "jo smith",
        "sm jo",
        "lee lee",
        "1960-01-01",
        "1961-01-01",
        "217-555-0100",
        "3",
    ];
    let spec = (
        0..lasts.len(),
        0..firsts.len(),
        0..4usize,
        0..2usize,
        any::<bool>(),
    );
    let config = ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    };
    proptest!(config, |(specs in proptest::collection::vec(spec, 1..70), q in 0..queries.len(), page in 1usize..9)| {
        rt.block_on(async {
            let n = tenants.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let (_, admin) = w
                .app
                .unsafe_add_tenant(
                    "Paging Practice",
                    kerato_domain::tenancy::OrganisationKind::Practice,
                    &format!("admin{n}@paging.example"),
                    "Pat Paging",
                    crate::PASSWORD,
                )
                .await
                .unwrap();
            let caller = w.app.unsafe_caller_for(admin.id).await.unwrap();
            let org = caller.actor.organisation_id;
            let charts: Vec<Patient> = specs
                .iter()
                .enumerate()
                .map(|(i, (last, first, born, phone, preferred))| {
                    chart(
                        &w,
                        org,
                        i,
                        PatientInput {
                            legal_first_name: firsts[*first].into(),
                            legal_last_name: lasts[*last].into(),
                            preferred_name: preferred.then(|| "Sam".to_string()),
                            date_of_birth: format!("196{born}-01-01"),
                            mobile_phone: Some(format!("217-555-010{phone}")),
                            ..PatientInput::default()
                        },
                    )
                })
                .collect();
            insert_charts(&w, &charts).await;

            let query = queries[q];
            let expected = if query.chars().any(|c| c.is_ascii_digit()) {
                exact_by_brute_force(query, &charts)
            } else {
                ranked_by_brute_force(query, &charts)
            };
            let mut paged: Vec<PatientId> = Vec::new();
            let mut cursor: Option<String> = None;
            let mut pages = 0;
            loop {
                let search: SearchQuery = PatientSearchInput {
                    query: query.into(),
                    page_size: Some(page as i64),
                    cursor: cursor.take(),
                }
                .validate()
                .unwrap();
                let got = w.app.search_patients_page(&caller, &search).await.unwrap();
                assert!(got.patients.len() <= page);
                paged.extend(got.patients.iter().map(|p| p.id));
                pages += 1;
                match got.next_cursor {
                    Some(c) => {
                        assert_eq!(got.patients.len(), page, "only the last page is short");
                        cursor = Some(c.encode());
                    }
                    None => break,
                }
                assert!(pages <= charts.len() + 1, "the pages never end");
            }
            assert_eq!(paged, expected, "query {query:?}, pages of {page}");
            let unpaged: Vec<PatientId> = w
                .app
                .search_patients(&caller, query)
                .await
                .unwrap()
                .into_iter()
                .map(|p| p.id)
                .collect();
            assert_eq!(unpaged, expected.iter().take(50).copied().collect::<Vec<_>>());
        });
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_from_elsewhere_or_a_changed_chart_is_refused() {
    use kerato_domain::patients::search::{PatientSearchInput, SearchCursor};
    let w = world().await;
    for first in ["Ann", "Bea", "Cy"] {
        w.patient(first, "Smith", "1970-01-01").await;
    }
    let page = |query: &str, cursor: Option<String>| PatientSearchInput {
        query: query.into(),
        page_size: Some(1),
        cursor,
    };
    let first = w
        .app
        .search_patients_page(&w.admin, &page("smith", None).validate().unwrap())
        .await
        .unwrap();
    let cursor = first.next_cursor.unwrap().encode();
    // The same cursor with another query, or edited, does not validate.
    assert!(page("smit", Some(cursor.clone())).validate().is_err());
    let mut edited = cursor.clone().into_bytes();
    edited[10] = if edited[10] == b'A' { b'B' } else { b'A' };
    let edited = String::from_utf8(edited).unwrap();
    assert!(page("smith", Some(edited)).validate().is_err());
    // A well-formed cursor naming another practice's chart, or a chart
    // renamed since, is refused by the search.
    let (_, other) = w
        .app
        .unsafe_add_tenant(
            "Elsewhere",
            kerato_domain::tenancy::OrganisationKind::Practice,
            "admin@elsewhere.example",
            "Else Where",
            crate::PASSWORD,
        )
        .await
        .unwrap();
    let other = w.app.unsafe_caller_for(other.id).await.unwrap();
    let theirs = page("smith", Some(cursor.clone())).validate().unwrap();
    let err = w
        .app
        .search_patients_page(&other, &theirs)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Validation(e) if e.for_field("cursor").is_some()),
        "{err}"
    );
    let ann = first.patients[0].clone();
    w.app
        .update_patient(
            &w.admin,
            ann.id,
            &kerato_domain::patients::DemographicsUpdate::of(
                &input("Ann", "Jones", "1970-01-01"),
                ann.version,
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let err = w
        .app
        .search_patients_page(&w.admin, &theirs)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, AppError::Validation(e) if e.for_field("cursor").is_some()),
        "{err}"
    );
    assert_eq!(SearchCursor::decode(&cursor).unwrap().after, ann.id);
}
