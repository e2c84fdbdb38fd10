//! The retention job's rows: legal holds, the records it weighs page by
//! page with the dates its rules need, the deletions, and its runs.
//!
//! Every listing pages by key (`after`, then at most `limit` rows), so a
//! record the job keeps (held, or not yet due) is read once per run and
//! never stops the pages behind it.

use jiff::civil::Date;
use kerato_domain::ids::{LegalHoldId, OrganisationId, PatientId, PhotoId, RetentionRunId};
use kerato_domain::retention::{DataClass, Hold};
use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

type HoldTuple = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    String,
);

/// A hold as stored: its days are `YYYY-MM-DD` in the practice's zone.
fn hold_from(t: HoldTuple) -> Result<Hold, StoreError> {
    Ok(Hold {
        id: t.0.parse().map_err(corrupt)?,
        organisation_id: t.1.parse().map_err(corrupt)?,
        patient_id: t.2.map(|p| p.parse()).transpose().map_err(corrupt)?,
        data_class: t.3.map(|c| c.parse()).transpose().map_err(corrupt)?,
        reason: t.4,
        placed_on: t.5.parse().map_err(corrupt)?,
        released_on: t.6.map(|d| d.parse()).transpose().map_err(corrupt)?,
        placed_by: t.7.parse().map_err(corrupt)?,
    })
}

const HOLD_COLUMNS: &str =
    "id, organisation_id, patient_id, data_class, reason, placed_on, released_on, placed_by";

pub async fn insert_hold(tx: &mut Tx, h: &Hold) -> Result<(), StoreError> {
    let sql =
        format!("INSERT INTO legal_holds ({HOLD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
    execute!(
        tx,
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(h.id.to_string())
            .bind(h.organisation_id.to_string())
            .bind(h.patient_id.map(|p| p.to_string()))
            .bind(h.data_class.map(DataClass::as_str))
            .bind(&h.reason)
            .bind(h.placed_on.to_string())
            .bind(h.released_on.map(|d| d.to_string()))
            .bind(h.placed_by.to_string())
    )?;
    Ok(())
}

/// Releases a standing hold of the organisation's; false when there is no
/// such hold or it was released already.
pub async fn release_hold(
    tx: &mut Tx,
    organisation: OrganisationId,
    id: LegalHoldId,
    on: Date,
) -> Result<bool, StoreError> {
    let n = execute!(
        tx,
        sqlx::query(
            "UPDATE legal_holds SET released_on = $3 \
             WHERE id = $1 AND organisation_id = $2 AND released_on IS NULL"
        )
        .bind(id.to_string())
        .bind(organisation.to_string())
        .bind(on.to_string())
    )?;
    Ok(n == 1)
}

/// Every hold of the organisation, standing or released, oldest first.
pub async fn holds(tx: &mut Tx, organisation: OrganisationId) -> Result<Vec<Hold>, StoreError> {
    let sql = format!(
        "SELECT {HOLD_COLUMNS} FROM legal_holds WHERE organisation_id = $1 ORDER BY placed_on, id"
    );
    crate::fetch_all_by!(tx, sql, organisation.to_string(), HoldTuple, hold_from)
}

/// A chart with the dates its retention runs from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartDates {
    pub patient: PatientId,
    pub created_at: Timestamp,
    pub date_of_birth: String,
    /// The latest visit the patient came to (an appointment checked in or
    /// later, not booked, missed or cancelled), exam or procedure.
    pub last_visit_at: Option<Timestamp>,
    /// Merged into another chart, or another merged into it.
    pub merged: bool,
}

/// A page of the organisation's charts, by ID after `after`.
pub async fn charts(
    tx: &mut Tx,
    organisation: OrganisationId,
    after: &str,
    limit: i64,
) -> Result<Vec<ChartDates>, StoreError> {
    // A booked, missed or cancelled appointment is not a visit: the clock
    // of a clinical record runs from care given, not care planned.
    let rows: Vec<(String, i64, String, Option<i64>, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT p.id, p.created_at, p.date_of_birth, \
         (SELECT max(v.at) FROM ( \
            SELECT max(a.starts_at) AS at FROM appointments a WHERE a.patient_id = p.id \
              AND a.status NOT IN ('booked', 'no_show', 'cancelled') \
            UNION ALL SELECT max(e.created_at) FROM eye_exams e WHERE e.patient_id = p.id \
            UNION ALL SELECT max(r.performed_at) FROM procedures r WHERE r.patient_id = p.id \
         ) AS v), \
         CAST(CASE WHEN p.merged_into IS NOT NULL \
           OR EXISTS (SELECT 1 FROM patients m WHERE m.merged_into = p.id) THEN 1 ELSE 0 END AS BIGINT) \
         FROM patients p WHERE p.organisation_id = $1 AND p.id > $2 ORDER BY p.id LIMIT $3"
    )
    .bind(organisation.to_string())
    .bind(after)
    .bind(limit)
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(id, created, dob, visit, merged)| {
            Ok(ChartDates {
                patient: id.parse().map_err(corrupt)?,
                created_at: Timestamp::from_micros(created),
                date_of_birth: dob,
                last_visit_at: visit.map(Timestamp::from_micros),
                merged: merged != 0,
            })
        })
        .collect()
}

/// A patient's answers for one consent purpose, with the chart's dates
/// the rules for marketing and children's data need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentHistory {
    pub patient: PatientId,
    pub rows: u64,
    pub first_at: Timestamp,
    pub last_at: Timestamp,
    /// Whether the latest answer was yes.
    pub last_granted: bool,
    pub date_of_birth: String,
    pub chart_created_at: Timestamp,
}

/// A page of the organisation's patients' answers for `purpose`, one
/// history per patient, by patient ID after `after`.
pub async fn consent_histories(
    tx: &mut Tx,
    organisation: OrganisationId,
    purpose: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<ConsentHistory>, StoreError> {
    let rows: Vec<(String, i64, i64, i64, i64, String, i64)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT c.subject_id, count(*), min(c.recorded_at), max(c.recorded_at), \
         (SELECT l.granted FROM consents l WHERE l.subject_kind = 'patient' \
           AND l.subject_id = c.subject_id AND l.purpose = c.purpose \
           ORDER BY l.recorded_at DESC, l.id DESC LIMIT 1), \
         p.date_of_birth, p.created_at \
         FROM consents c JOIN patients p ON p.id = c.subject_id \
         WHERE c.organisation_id = $1 AND c.subject_kind = 'patient' AND c.purpose = $2 \
           AND c.subject_id > $3 \
         GROUP BY c.subject_id, c.purpose, p.date_of_birth, p.created_at \
         ORDER BY c.subject_id LIMIT $4"
    )
    .bind(organisation.to_string())
    .bind(purpose)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(id, n, first, last, granted, dob, created)| {
            Ok(ConsentHistory {
                patient: id.parse().map_err(corrupt)?,
                rows: u64::try_from(n).map_err(corrupt)?,
                first_at: Timestamp::from_micros(first),
                last_at: Timestamp::from_micros(last),
                last_granted: granted != 0,
                date_of_birth: dob,
                chart_created_at: Timestamp::from_micros(created),
            })
        })
        .collect()
}

/// Deletes a patient's answers for `purpose`.
pub async fn delete_consent_history(
    tx: &mut Tx,
    patient: PatientId,
    purpose: &str,
) -> Result<u64, StoreError> {
    Ok(execute!(
        tx,
        sqlx::query(
            "DELETE FROM consents WHERE subject_kind = 'patient' AND subject_id = $1 AND purpose = $2"
        )
        .bind(patient.to_string())
        .bind(purpose)
    )?)
}

/// A record the job weighs by one date: its key, its patient (when it
/// has one, for patient holds), and the date its period runs from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dated {
    pub key: String,
    pub patient: Option<PatientId>,
    pub at: Timestamp,
}

/// The kinds of record that go on their own, each by one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatedRecords {
    /// Prescription release confirmations and refusals, from when they
    /// were recorded.
    FtcConfirmations,
    /// Staff sign-in sessions (the usage logs: client address, pages),
    /// from their last request or sign-out.
    StaffSessions,
    /// The disclosure log's entries, from when they were recorded.
    Disclosures,
    /// Answered privacy requests with their links and alarms, from their
    /// answer; an amendment they produced stays with the chart.
    ClosedRightsRequests,
    /// Acknowledgements of a policy version, from when they were given.
    PolicyAcceptances,
}

impl DatedRecords {
    /// Selects (key, patient, date) after key `$2`, at most `$3`, of
    /// organisation `$1`, by key.
    fn list(self) -> &'static str {
        match self {
            Self::FtcConfirmations => {
                "SELECT c.prescription_id, p.patient_id, c.recorded_at FROM rx_confirmations c \
                 JOIN prescriptions p ON p.id = c.prescription_id \
                 WHERE c.organisation_id = $1 AND c.prescription_id > $2 \
                 ORDER BY c.prescription_id LIMIT $3"
            }
            Self::StaffSessions => {
                "SELECT s.token_hash, NULL, CASE WHEN s.revoked_at > s.last_seen_at \
                 THEN s.revoked_at ELSE s.last_seen_at END FROM sessions s \
                 JOIN users u ON u.id = s.user_id \
                 WHERE u.organisation_id = $1 AND s.token_hash > $2 ORDER BY s.token_hash LIMIT $3"
            }
            Self::Disclosures => {
                "SELECT id, patient_id, created_at FROM disclosures \
                 WHERE organisation_id = $1 AND id > $2 ORDER BY id LIMIT $3"
            }
            Self::ClosedRightsRequests => {
                "SELECT id, patient_id, updated_at FROM rights_requests \
                 WHERE organisation_id = $1 AND state IN ('fulfilled', 'denied') AND id > $2 \
                 ORDER BY id LIMIT $3"
            }
            Self::PolicyAcceptances => {
                "SELECT kind || '|' || CAST(version AS TEXT) || '|' || subject_id, \
                 CASE WHEN subject_kind = 'patient' THEN subject_id END, accepted_at \
                 FROM policy_acceptances WHERE organisation_id = $1 \
                 AND kind || '|' || CAST(version AS TEXT) || '|' || subject_id > $2 \
                 ORDER BY 1 LIMIT $3"
            }
        }
    }

    /// Deletes the record with key `$1` of organisation `$2`, dependent
    /// rows first.
    fn delete(self) -> &'static [&'static str] {
        match self {
            Self::FtcConfirmations => &[
                "DELETE FROM rx_confirmations WHERE prescription_id = $1 AND organisation_id = $2",
            ],
            Self::StaffSessions => &["DELETE FROM sessions WHERE token_hash = $1 \
                 AND user_id IN (SELECT id FROM users WHERE organisation_id = $2)"],
            Self::Disclosures => {
                &["DELETE FROM disclosures WHERE id = $1 AND organisation_id = $2"]
            }
            Self::ClosedRightsRequests => &[
                "UPDATE record_amendments SET request_id = NULL WHERE request_id = $1 AND organisation_id = $2",
                "DELETE FROM download_links WHERE request_id = $1 AND organisation_id = $2",
                "DELETE FROM rights_request_alarms WHERE request_id = $1 \
                 AND request_id IN (SELECT id FROM rights_requests WHERE organisation_id = $2)",
                "DELETE FROM rights_requests WHERE id = $1 AND organisation_id = $2",
            ],
            Self::PolicyAcceptances => {
                &["DELETE FROM policy_acceptances WHERE organisation_id = $2 \
                 AND kind || '|' || CAST(version AS TEXT) || '|' || subject_id = $1"]
            }
        }
    }
}

/// A page of one kind of dated record, by key.
pub async fn dated_page(
    tx: &mut Tx,
    kind: DatedRecords,
    organisation: OrganisationId,
    after: &str,
    limit: i64,
) -> Result<Vec<Dated>, StoreError> {
    let rows: Vec<(String, Option<String>, i64)> = on_tx!(tx, c => sqlx::query_as(kind.list())
        .bind(organisation.to_string())
        .bind(after)
        .bind(limit)
        .fetch_all(&mut **c)
        .await)?;
    rows.into_iter()
        .map(|(key, patient, at)| {
            Ok(Dated {
                key,
                patient: patient.map(|p| p.parse()).transpose().map_err(corrupt)?,
                at: Timestamp::from_micros(at),
            })
        })
        .collect()
}

/// Deletes one dated record; returns the rows that went with it.
pub async fn delete_dated(
    tx: &mut Tx,
    kind: DatedRecords,
    organisation: OrganisationId,
    key: &str,
) -> Result<u64, StoreError> {
    let mut rows = 0;
    for sql in kind.delete() {
        let n = execute!(
            tx,
            sqlx::query(*sql).bind(key).bind(organisation.to_string())
        )?;
        // An update unlinks a row that stays; only deletions are counted.
        if sql.starts_with("DELETE") {
            rows += n;
        }
    }
    Ok(rows)
}

/// The IDs of a patient's clinical photos, whose encrypted files lie
/// beside the database and go after the rows.
pub async fn photo_ids(tx: &mut Tx, patient: PatientId) -> Result<Vec<PhotoId>, StoreError> {
    let ids: Vec<String> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM clinical_photos WHERE patient_id = $1")
        .bind(patient.to_string())
        .fetch_all(&mut **c)
        .await)?;
    ids.into_iter()
        .map(|id| id.parse().map_err(corrupt))
        .collect()
}

/// Records one run of the job for one practice.
pub async fn insert_run(
    tx: &mut Tx,
    id: RetentionRunId,
    organisation: OrganisationId,
    ran_at: Timestamp,
    dry_run: bool,
    report: &str,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO retention_runs (id, organisation_id, ran_at, dry_run, report) \
             VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(id.to_string())
        .bind(organisation.to_string())
        .bind(ran_at.as_micros())
        .bind(i64::from(dry_run))
        .bind(report)
    )?;
    Ok(())
}

/// The latest run for a practice: (when, dry run, report as JSON).
pub async fn last_run(
    tx: &mut Tx,
    organisation: OrganisationId,
) -> Result<Option<(Timestamp, bool, String)>, StoreError> {
    let row: Option<(i64, i64, String)> = crate::on_tx!(tx, c => sqlx::query_as(
        "SELECT ran_at, dry_run, report FROM retention_runs WHERE organisation_id = $1 \
         ORDER BY ran_at DESC, id DESC LIMIT 1"
    )
    .bind(organisation.to_string())
    .fetch_optional(&mut **c)
    .await)?;
    Ok(row.map(|(at, dry, report)| (Timestamp::from_micros(at), dry != 0, report)))
}
