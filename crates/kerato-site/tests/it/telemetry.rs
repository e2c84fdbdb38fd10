//! Telemetry intake: a valid report is stored once per installation and
//! day; anything outside the schema is refused and nothing is stored; the
//! table has no column that could hold free text beyond its checked IDs.

use crate::spawn;

fn report() -> serde_json::Value {
    serde_json::json!({
        "installation": "0190f5d2-7c1e-7a3b-9f00-1a2b3c4d5e6f",
        "version": "0.1.0",
        "day": "2026-11-26",
        "counts": {
            "appointments_booked": 42, "patients_registered": 3, "eye_exams_signed": 9,
            "biopsies_logged": 1, "prescriptions_issued": 7, "active_users": 5
        }
    })
}

async fn send(t: &crate::TestSite, body: &serde_json::Value) -> (u16, String) {
    let r = t
        .client
        .post(format!("{}/api/telemetry", t.url))
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_is_stored_once_per_day_and_bad_reports_store_nothing() {
    let t = spawn().await;
    assert_eq!(send(&t, &report()).await.0, 204);
    let mut resent = report();
    resent["counts"]["appointments_booked"] = serde_json::json!(43);
    assert_eq!(send(&t, &resent).await.0, 204);
    assert_eq!(
        t.count("telemetry_reports").await,
        1,
        "a resent day replaces the first"
    );

    let mut bad = vec![];
    let mut r = report();
    r["note"] = serde_json::json!("Jane Doe DOB 3/3/1961");
    bad.push((r, 400, "unknown field"));
    let mut r = report();
    r["counts"]["appointments_booked"] = serde_json::json!("many");
    bad.push((r, 400, "invalid type"));
    let mut r = report();
    r["version"] = serde_json::json!("<script>alert(1)</script>");
    bad.push((r, 422, "MAJOR.MINOR.PATCH"));
    let mut r = report();
    r["installation"] = serde_json::json!("clinic of Dr Smith");
    bad.push((r, 400, "UUID"));
    let mut r = report();
    r["counts"]["active_users"] = serde_json::json!(5_000_000);
    bad.push((r, 422, "at most"));
    let mut r = report();
    r.as_object_mut().unwrap().remove("day");
    r["installation"] = serde_json::json!("0190f5d2-7c1e-7a3b-9f00-1a2b3c4d5e70");
    bad.push((r, 400, "missing field"));
    for (body, status, message) in bad {
        let (got, text) = send(&t, &body).await;
        assert_eq!(got, status, "{text}");
        assert!(text.contains(message), "{message} not in {text}");
    }
    let r = t
        .client
        .post(format!("{}/api/telemetry", t.url))
        .body("installation=x")
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(t.count("telemetry_reports").await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_telemetry_table_holds_counts_and_checked_keys_only() {
    let t = spawn().await;
    let mut tx = t.site.store.read().await.unwrap();
    let columns: Vec<(String, String)> = match tx.backend() {
        kerato_db::Backend::Sqlite => kerato_db::on_tx!(tx, c => sqlx::query_as(
            "SELECT name, type FROM pragma_table_info('telemetry_reports')"
        )
        .fetch_all(&mut **c)
        .await)
        .unwrap(),
        kerato_db::Backend::Postgres => kerato_db::on_tx!(tx, c => sqlx::query_as(
            "SELECT column_name::text, data_type::text FROM information_schema.columns WHERE table_name = 'telemetry_reports' ORDER BY ordinal_position"
        )
        .fetch_all(&mut **c)
        .await)
        .unwrap(),
    };
    let text: Vec<&str> = columns
        .iter()
        .filter(|(_, ty)| ty.to_lowercase().contains("text"))
        .map(|(name, _)| name.as_str())
        .collect();
    assert_eq!(text, ["installation", "day", "version"], "{columns:?}");
    let counts = kerato_core::telemetry::Counts::default().named();
    for (name, _) in counts {
        assert!(
            columns
                .iter()
                .any(|(c, ty)| c == name && ty.to_lowercase().contains("int")),
            "{name}"
        );
    }
    assert_eq!(columns.len(), 4 + counts.len());
}
