//! The patient data registry: for every table of the clinic schema, how
//! its rows relate to a patient, or why it holds nothing about one.
//!
//! A right of access (the package a patient is owed) and a deletion
//! request both start here, so that neither can forget a table: the store
//! tests list the tables the database actually has and fail on any table
//! that is in neither [`PATIENT_TABLES`] nor [`OTHER_TABLES`]. A migration
//! that adds a table must therefore say how it relates to patients.

use kerato_domain::consent::Purpose;
use kerato_domain::ids::PatientId;
use kerato_domain::retention::DataClass;
use kerato_domain::time::Timestamp;
use serde_json::{Map, Value};
use sqlx::{Column, Row, TypeInfo, ValueRef};

use crate::{Tx, on_tx};
use kerato_db::StoreError;

/// How long a group of rows is kept once the patient asks for deletion.
///
/// The domain's [`DataClass`] covers every record the schedule keeps; a
/// waiting-list wish or a queued reminder is kept by no rule at all, and
/// the domain has no class for "nothing keeps it" because its schedule
/// only lists what is kept. That case is [`Retention::OnRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// Kept as the retention schedule says for this class.
    Schedule(DataClass),
    /// Kept by no rule: it goes as soon as the patient asks.
    OnRequest,
}

/// One group of rows about a patient: a table, or for a table whose rows
/// fall in different retention classes (consents), one part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatientTable {
    pub table: &'static str,
    /// Selects every column of the table's rows about patient `$1`.
    pub select: &'static str,
    /// Deletes exactly the rows `select` finds; `None` where the schema
    /// does not let them go (append-only or signed records).
    pub delete: Option<&'static str>,
    pub class: Retention,
    /// The column holding when a row was made, in UTC microseconds: the
    /// retention period of classes that run from creation runs from the
    /// newest row. `None` for rows that copy another table's (the name
    /// index), which follow the chart.
    pub dated: Option<&'static str>,
}

/// Builds an entry from one `WHERE` clause, so that the rows exported and
/// the rows deleted can never differ.
macro_rules! rows {
    ($table:literal, $where:literal, $class:expr, $dated:expr) => {
        PatientTable {
            table: $table,
            select: concat!("SELECT * FROM ", $table, " WHERE ", $where),
            delete: Some(concat!("DELETE FROM ", $table, " WHERE ", $where)),
            class: $class,
            dated: $dated,
        }
    };
    ($table:literal, $where:literal, $class:expr, $dated:expr, kept) => {
        PatientTable {
            table: $table,
            select: concat!("SELECT * FROM ", $table, " WHERE ", $where),
            delete: None,
            class: $class,
            dated: $dated,
        }
    };
}

const CLINICAL: Retention = Retention::Schedule(DataClass::ClinicalAdult);

/// Every group of rows about a patient, in the order a deletion must take
/// them: rows that refer to others (by foreign key, or by an ID inside a
/// message key) come before the rows they refer to, and the chart itself
/// comes last.
pub const PATIENT_TABLES: &[PatientTable] = &[
    rows!(
        "appointment_events",
        "appointment_id IN (SELECT id FROM appointments WHERE patient_id = $1)",
        CLINICAL,
        Some("at")
    ),
    rows!(
        "appointment_resources",
        "appointment_id IN (SELECT id FROM appointments WHERE patient_id = $1)",
        CLINICAL,
        Some("starts_at")
    ),
    // Outbox rows carry no patient column; they are the patient's when
    // their idempotency key names one of the patient's appointments,
    // prescriptions, recalls or waiting-list entries (the keys reminders,
    // eye care, recalls and the waiting list queue under). Matching the
    // recipient address instead would also find a relative's messages
    // sent to a shared address.
    rows!(
        "email_outbox",
        "idempotency_key IN (SELECT 'reminder:' || id FROM appointments WHERE patient_id = $1 \
         UNION ALL SELECT 'rx-release:' || id FROM prescriptions WHERE patient_id = $1) \
         OR EXISTS (SELECT 1 FROM recalls r WHERE r.patient_id = $1 \
         AND email_outbox.idempotency_key LIKE 'recall:' || r.id || ':%') \
         OR EXISTS (SELECT 1 FROM waitlist w WHERE w.patient_id = $1 \
         AND email_outbox.idempotency_key LIKE 'waitlist-offer:' || w.id || ':%')",
        Retention::OnRequest,
        Some("created_at")
    ),
    rows!(
        "waitlist",
        "patient_id = $1",
        Retention::OnRequest,
        Some("created_at")
    ),
    rows!("recalls", "patient_id = $1", CLINICAL, Some("created_at")),
    // Signed exams, their sections and every amendment are unchangeable by
    // trigger (migration 12), so there is no deleting them in place.
    rows!(
        "eye_exam_amendments",
        "exam_id IN (SELECT id FROM eye_exams WHERE patient_id = $1)",
        CLINICAL,
        Some("amended_at"),
        kept
    ),
    rows!(
        "eye_exam_sections",
        "exam_id IN (SELECT id FROM eye_exams WHERE patient_id = $1)",
        CLINICAL,
        Some("updated_at"),
        kept
    ),
    rows!(
        "rx_releases",
        "prescription_id IN (SELECT id FROM prescriptions WHERE patient_id = $1)",
        CLINICAL,
        Some("released_at")
    ),
    rows!(
        "rx_confirmations",
        "prescription_id IN (SELECT id FROM prescriptions WHERE patient_id = $1)",
        Retention::Schedule(DataClass::FtcRxConfirmation),
        Some("recorded_at")
    ),
    // A seller's verification request and its answer document a
    // disclosure; a request the seller made by name only, without a chart
    // match, has no patient ID and is not found here.
    rows!(
        "rx_requests",
        "patient_id = $1 OR prescription_id IN (SELECT id FROM prescriptions WHERE patient_id = $1)",
        Retention::Schedule(DataClass::HipaaDocumentation),
        Some("received_at")
    ),
    rows!(
        "prescriptions",
        "patient_id = $1",
        CLINICAL,
        Some("created_at")
    ),
    rows!(
        "eye_exams",
        "patient_id = $1",
        CLINICAL,
        Some("created_at"),
        kept
    ),
    // Evidence of the patient's consent to a digital copy is kept as long
    // as the confirmations (16 CFR 315.3).
    rows!(
        "rx_digital_consents",
        "patient_id = $1",
        Retention::Schedule(DataClass::FtcRxConfirmation),
        Some("given_at")
    ),
    rows!(
        "biopsy_alerts",
        "biopsy_id IN (SELECT id FROM biopsies WHERE patient_id = $1)",
        CLINICAL,
        Some("sent_at")
    ),
    rows!(
        "charge_proposals",
        "patient_id = $1",
        CLINICAL,
        Some("created_at")
    ),
    rows!("visit_em", "patient_id = $1", CLINICAL, Some("recorded_at")),
    rows!(
        "procedures",
        "patient_id = $1",
        CLINICAL,
        Some("performed_at")
    ),
    rows!("biopsies", "patient_id = $1", CLINICAL, Some("created_at")),
    rows!(
        "clinical_photos",
        "patient_id = $1",
        CLINICAL,
        Some("taken_at")
    ),
    rows!(
        "lesion_observations",
        "lesion_id IN (SELECT id FROM lesions WHERE patient_id = $1)",
        CLINICAL,
        Some("observed_at")
    ),
    rows!("lesions", "patient_id = $1", CLINICAL, Some("created_at")),
    // Which row of another system's export became which of the
    // patient's records: part of the chart's history.
    rows!(
        "import_rows",
        "patient_id = $1",
        CLINICAL,
        Some("imported_at")
    ),
    rows!(
        "appointments",
        "patient_id = $1",
        CLINICAL,
        Some("created_at")
    ),
    rows!(
        "appointment_series",
        "patient_id = $1",
        CLINICAL,
        Some("created_at")
    ),
    rows!("coverages", "patient_id = $1", CLINICAL, Some("created_at")),
    rows!(
        "patient_guarantors",
        "patient_id = $1",
        CLINICAL,
        Some("updated_at")
    ),
    // Consents fall in four classes by purpose; the store tests check that
    // every purpose the domain knows is in exactly one of them.
    rows!(
        "consents",
        "subject_kind = 'patient' AND subject_id = $1 \
         AND purpose IN ('photo_marketing', 'marketing_email', 'sale_share')",
        Retention::Schedule(DataClass::MarketingData),
        Some("recorded_at")
    ),
    rows!(
        "consents",
        "subject_kind = 'patient' AND subject_id = $1 \
         AND purpose IN ('photo_teaching', 'sms', 'analytics_cookies', 'preference_cookies')",
        Retention::OnRequest,
        Some("recorded_at")
    ),
    rows!(
        "consents",
        "subject_kind = 'patient' AND subject_id = $1 AND purpose IN ('clinical_photography')",
        CLINICAL,
        Some("recorded_at")
    ),
    rows!(
        "consents",
        "subject_kind = 'patient' AND subject_id = $1 AND purpose IN ('digital_rx')",
        Retention::Schedule(DataClass::FtcRxConfirmation),
        Some("recorded_at")
    ),
    // The accounting of disclosures is owed for six years (45 CFR
    // 164.528), which is the documentation class's period.
    rows!(
        "disclosures",
        "patient_id = $1",
        Retention::Schedule(DataClass::HipaaDocumentation),
        Some("created_at")
    ),
    // Audit events are append-only (migration 4); retention pseudonymises
    // them when their period ends instead of deleting them.
    rows!(
        "audit_events",
        "patient_id = $1",
        Retention::Schedule(DataClass::AuditTrail),
        Some("at"),
        kept
    ),
    // Amendments, denials and statements of disagreement are part of the
    // record they amend.
    rows!(
        "record_amendments",
        "patient_id = $1",
        CLINICAL,
        Some("recorded_at")
    ),
    // Privacy requests and what they produced are HIPAA documentation:
    // the proof of how a right was answered is kept six years.
    rows!(
        "download_links",
        "request_id IN (SELECT id FROM rights_requests WHERE patient_id = $1)",
        Retention::Schedule(DataClass::HipaaDocumentation),
        Some("created_at")
    ),
    rows!(
        "rights_request_alarms",
        "request_id IN (SELECT id FROM rights_requests WHERE patient_id = $1)",
        Retention::Schedule(DataClass::HipaaDocumentation),
        Some("sent_at")
    ),
    rows!(
        "rights_requests",
        "patient_id = $1",
        Retention::Schedule(DataClass::HipaaDocumentation),
        Some("created_at")
    ),
    rows!(
        "policy_acceptances",
        "subject_kind = 'patient' AND subject_id = $1",
        Retention::Schedule(DataClass::HipaaDocumentation),
        Some("accepted_at")
    ),
    rows!("patient_name_tokens", "patient_id = $1", CLINICAL, None),
    rows!("patient_display_names", "patient_id = $1", CLINICAL, None),
    rows!("patients", "id = $1", CLINICAL, Some("created_at")),
];

/// The entries that make up the chart itself: they go only with the last
/// of the patient's other records, because those refer to it.
pub const CHART_TABLES: &[&str] = &["patient_name_tokens", "patient_display_names", "patients"];

/// Every table that holds nothing about any one patient, and why.
pub const OTHER_TABLES: &[(&str, &str)] = &[
    ("kerato_meta", "the installation's own settings"),
    (
        "kerato_migrations",
        "the migrations applied, with their checksums",
    ),
    ("organisations", "the practice's own settings"),
    ("locations", "the practice's offices"),
    ("users", "staff accounts"),
    ("user_locations", "which offices each staff member works at"),
    ("recovery_codes", "staff sign-in recovery codes"),
    ("sessions", "staff sign-in sessions"),
    ("invitations", "staff invitations"),
    (
        "password_resets",
        "staff password reset requests and links, kept a day",
    ),
    (
        "emergency_grants",
        "staff break-glass grants to an office; which charts were opened under one is in the audit trail",
    ),
    (
        "inbox_messages",
        "staff notices; by design they name no patient (biopsy alerts point to the work queue)",
    ),
    ("audit_head", "the end of the audit chain: one hash"),
    ("mrn_counters", "the next record number per practice"),
    ("providers", "the practice's clinicians"),
    ("provider_locations", "where each clinician works"),
    ("appointment_types", "the practice's visit types"),
    ("provider_windows", "clinicians' weekly hours"),
    ("provider_hours", "clinicians' working-hours templates"),
    ("location_hours", "each location's opening hours"),
    ("setup_skips", "set-up steps the administrator skipped"),
    (
        "messaging_settings",
        "the server's e-mail and text-message settings",
    ),
    (
        "provider_visit_types",
        "the visit types each clinician takes",
    ),
    ("resources", "rooms and devices"),
    ("appointment_type_resources", "what each visit type needs"),
    ("provider_breaks", "clinicians' weekly breaks"),
    ("time_off", "closures and clinicians' time off"),
    ("recall_types", "the practice's recall intervals"),
    (
        "patient_name_words",
        "the practice's dictionary of name words, shared by every chart with that word and tied to none",
    ),
    (
        "patient_name_typo_keys",
        "the typo keys of the name dictionary, tied to words, not charts",
    ),
    ("reference_version", "a counter of set-up changes"),
    ("prescriber_credentials", "clinicians' licence numbers"),
    ("payer_coding_settings", "each payer's modifier choice"),
    (
        "policy_versions",
        "the practice's policy documents; who acknowledged them is in policy_acceptances",
    ),
    (
        "legal_holds",
        "the practice's litigation and investigation holds; a hold names a chart by ID only and is the practice's record of the matter, kept after the chart goes",
    ),
    (
        "retention_runs",
        "the retention job's runs, with counts per class and nothing about any record",
    ),
];

/// The consent purposes the registry files under `class`, read from the
/// consent groups' queries, so that the registry stays the one place that
/// says which consent is marketing.
pub fn consent_purposes(class: Retention) -> Vec<Purpose> {
    Purpose::ALL
        .iter()
        .copied()
        .filter(|p| {
            let quoted = format!("'{}'", p.as_str());
            PATIENT_TABLES
                .iter()
                .any(|t| t.table == "consents" && t.class == class && t.select.contains(&quoted))
        })
        .collect()
}

/// What an entry holds about a patient: how many rows, and when the newest
/// was made (per [`PatientTable::dated`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holding {
    pub rows: u64,
    pub newest: Option<Timestamp>,
}

/// Counts an entry's rows about `patient` and finds the newest.
pub async fn holding(
    tx: &mut Tx,
    entry: &PatientTable,
    patient: PatientId,
) -> Result<Holding, StoreError> {
    // The column name is one of the registry's constants, never input.
    let newest = entry.dated.map_or("CAST(NULL AS BIGINT)".to_string(), |c| {
        format!("max(x.{c})")
    });
    let sql = format!("SELECT count(*), {newest} FROM ({}) x", entry.select);
    let (rows, newest): (i64, Option<i64>) = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(patient.to_string())
        .fetch_one(&mut **c)
        .await)?;
    Ok(Holding {
        rows: u64::try_from(rows).unwrap_or(0),
        newest: newest.map(Timestamp::from_micros),
    })
}

/// Deletes an entry's rows about `patient`; `None` when the entry cannot
/// be deleted in place.
pub async fn delete(
    tx: &mut Tx,
    entry: &PatientTable,
    patient: PatientId,
) -> Result<Option<u64>, StoreError> {
    let Some(sql) = entry.delete else {
        return Ok(None);
    };
    let n = crate::execute!(
        tx,
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(patient.to_string())
    )?;
    Ok(Some(n))
}

/// Every row about `patient` in every table of [`PATIENT_TABLES`], as
/// table name → rows, each row an object of column → value. Integers and
/// text stay what they are, reals become numbers, binary data becomes
/// hex. Rows are sorted by their JSON text so equal data exports equal.
pub async fn export_patient(
    tx: &mut Tx,
    patient: PatientId,
) -> Result<Map<String, Value>, StoreError> {
    let mut out: Map<String, Value> = Map::new();
    for entry in PATIENT_TABLES {
        let rows = on_tx!(tx, c => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(entry.select))
                .bind(patient.to_string())
                .fetch_all(&mut **c)
                .await?;
            rows.iter().map(row_json).collect::<Result<Vec<_>, StoreError>>()
        })?;
        let slot = out
            .entry(entry.table)
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = slot {
            list.extend(rows.into_iter().map(Value::Object));
        }
    }
    for rows in out.values_mut() {
        if let Value::Array(list) = rows {
            list.sort_by_cached_key(Value::to_string);
        }
    }
    Ok(out)
}

/// One row as column → value, decoding each value by the type the
/// database reports for it: SQLite reports each value's own storage class,
/// PostgreSQL the column's type.
fn row_json<R>(row: &R) -> Result<Map<String, Value>, StoreError>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database>,
    for<'r> f64: sqlx::Decode<'r, R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database>,
{
    let mut object = Map::new();
    for (i, column) in row.columns().iter().enumerate() {
        let raw = row.try_get_raw(i)?;
        let value = if raw.is_null() {
            Value::Null
        } else {
            let kind = raw.type_info().name().to_ascii_uppercase();
            match kind.as_str() {
                "INTEGER" | "INT8" | "BIGINT" => Value::from(row.try_get_unchecked::<i64, _>(i)?),
                "INT4" | "INT2" | "INT" => Value::from(row.try_get_unchecked::<i32, _>(i)?),
                "REAL" | "FLOAT8" | "FLOAT4" | "NUMERIC" => {
                    Value::from(row.try_get_unchecked::<f64, _>(i)?)
                }
                "BOOL" | "BOOLEAN" => Value::from(row.try_get_unchecked::<bool, _>(i)?),
                "BLOB" | "BYTEA" => {
                    Value::from(hex::encode(row.try_get_unchecked::<Vec<u8>, _>(i)?))
                }
                _ => Value::from(row.try_get_unchecked::<String, _>(i)?),
            }
        };
        object.insert(column.name().to_string(), value);
    }
    Ok(object)
}
