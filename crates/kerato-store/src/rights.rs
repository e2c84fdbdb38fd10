//! Privacy rights requests, their alarms, one-time download links, and
//! versioned policy documents with their acknowledgements.

use kerato_domain::ids::{OrganisationId, PatientId, RightsRequestId, UserId};
use kerato_domain::time::Timestamp;

use crate::execute;
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RightsRequestRow {
    pub id: RightsRequestId,
    pub organisation_id: OrganisationId,
    pub patient_id: Option<PatientId>,
    pub requester_name: String,
    /// As the requester typed it, `YYYY-MM-DD`.
    pub requester_dob: Option<String>,
    pub requester_email: Option<String>,
    pub requester_phone: Option<String>,
    pub details: String,
    /// `staff`, `portal` (the kiosk or portal form).
    pub channel: String,
    /// Whether the request came with a Global Privacy Control signal.
    pub gpc: bool,
    pub request_type: String,
    pub regime: String,
    pub state: String,
    /// The domain's timeline as JSON.
    pub timeline: String,
    /// How the requester's identity was checked.
    pub identity_note: Option<String>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

type RequestTuple = (
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    i64,
    i64,
);

const COLUMNS: &str = "id, organisation_id, patient_id, requester_name, requester_contact, details, channel, gpc, request_type, regime, state, timeline, identity_note, version, created_at, updated_at";

/// The requester's contact details as stored together.
#[derive(serde::Serialize, serde::Deserialize)]
struct Contact {
    dob: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

fn request_from(t: RequestTuple) -> Result<RightsRequestRow, StoreError> {
    let contact: Contact = serde_json::from_str(&t.4).map_err(corrupt)?;
    Ok(RightsRequestRow {
        id: t.0.parse().map_err(corrupt)?,
        organisation_id: t.1.parse().map_err(corrupt)?,
        patient_id: t.2.map(|p| p.parse()).transpose().map_err(corrupt)?,
        requester_name: t.3,
        requester_dob: contact.dob,
        requester_email: contact.email,
        requester_phone: contact.phone,
        details: t.5,
        channel: t.6,
        gpc: t.7 != 0,
        request_type: t.8,
        regime: t.9,
        state: t.10,
        timeline: t.11,
        identity_note: t.12,
        version: t.13,
        created_at: Timestamp::from_micros(t.14),
        updated_at: Timestamp::from_micros(t.15),
    })
}

pub async fn insert_request(tx: &mut Tx, r: &RightsRequestRow) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO rights_requests ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    );
    let contact = serde_json::to_string(&Contact {
        dob: r.requester_dob.clone(),
        email: r.requester_email.clone(),
        phone: r.requester_phone.clone(),
    })
    .map_err(corrupt)?;
    execute!(
        tx,
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(r.id.to_string())
            .bind(r.organisation_id.to_string())
            .bind(r.patient_id.map(|p| p.to_string()))
            .bind(&r.requester_name)
            .bind(contact)
            .bind(&r.details)
            .bind(&r.channel)
            .bind(i64::from(r.gpc))
            .bind(&r.request_type)
            .bind(&r.regime)
            .bind(&r.state)
            .bind(&r.timeline)
            .bind(&r.identity_note)
            .bind(r.version)
            .bind(r.created_at.as_micros())
            .bind(r.updated_at.as_micros())
    )?;
    Ok(())
}

pub async fn find_request(
    tx: &mut Tx,
    id: RightsRequestId,
) -> Result<Option<RightsRequestRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM rights_requests WHERE id = $1");
    crate::fetch_one_by!(tx, sql, id.to_string(), RequestTuple, request_from)
}

/// Every request of an organisation, open or closed, oldest first (the
/// dashboard sorts them by urgency).
pub async fn requests_of(
    tx: &mut Tx,
    org: OrganisationId,
) -> Result<Vec<RightsRequestRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM rights_requests WHERE organisation_id = $1 ORDER BY created_at, id"
    );
    crate::fetch_all_by!(tx, sql, org.to_string(), RequestTuple, request_from)
}

/// Stores a request's new step if the row is still at `version`; false
/// when someone else moved it meanwhile.
pub async fn update_request(tx: &mut Tx, r: &RightsRequestRow) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "UPDATE rights_requests SET patient_id = $3, state = $4, timeline = $5, identity_note = $6, \
         version = version + 1, updated_at = $7 WHERE id = $1 AND version = $2"
    )
    .bind(r.id.to_string())
    .bind(r.version)
    .bind(r.patient_id.map(|p| p.to_string()))
    .bind(&r.state)
    .bind(&r.timeline)
    .bind(&r.identity_note)
    .bind(r.updated_at.as_micros()))?;
    Ok(n == 1)
}

/// Records an alarm as sent; false when it already was.
pub async fn record_alarm(
    tx: &mut Tx,
    key: &str,
    request: RightsRequestId,
    kind: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "INSERT INTO rights_request_alarms (alarm_key, request_id, kind, sent_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (alarm_key) DO NOTHING"
    )
    .bind(key)
    .bind(request.to_string())
    .bind(kind)
    .bind(now.as_micros()))?;
    Ok(n == 1)
}

/// A one-time download link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadLink {
    pub token_hash: String,
    pub request_id: RightsRequestId,
    pub organisation_id: OrganisationId,
    pub file_id: String,
    pub file_name: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
}

pub async fn insert_link(tx: &mut Tx, l: &DownloadLink) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO download_links (token_hash, request_id, organisation_id, file_id, file_name, created_at, expires_at, used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)"
    )
    .bind(&l.token_hash)
    .bind(l.request_id.to_string())
    .bind(l.organisation_id.to_string())
    .bind(&l.file_id)
    .bind(&l.file_name)
    .bind(l.created_at.as_micros())
    .bind(l.expires_at.as_micros()))?;
    Ok(())
}

type LinkTuple = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
);

pub async fn find_link(tx: &mut Tx, token_hash: &str) -> Result<Option<DownloadLink>, StoreError> {
    let sql = "SELECT token_hash, request_id, organisation_id, file_id, file_name, created_at, expires_at, used_at FROM download_links WHERE token_hash = $1";
    crate::fetch_one_by!(tx, sql, token_hash, LinkTuple, |t: LinkTuple| {
        Ok::<_, StoreError>(DownloadLink {
            token_hash: t.0,
            request_id: t.1.parse().map_err(corrupt)?,
            organisation_id: t.2.parse().map_err(corrupt)?,
            file_id: t.3,
            file_name: t.4,
            created_at: Timestamp::from_micros(t.5),
            expires_at: Timestamp::from_micros(t.6),
            used_at: t.7.map(Timestamp::from_micros),
        })
    })
}

/// Marks a link used, if it was not; false when another download got it
/// first, so a link serves exactly one download.
pub async fn use_link(tx: &mut Tx, token_hash: &str, now: Timestamp) -> Result<bool, StoreError> {
    let n = execute!(
        tx,
        sqlx::query(
            "UPDATE download_links SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL"
        )
        .bind(token_hash)
        .bind(now.as_micros())
    )?;
    Ok(n == 1)
}

/// One version of a policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRow {
    pub organisation_id: OrganisationId,
    pub kind: String,
    pub version: i64,
    pub announced_at: Timestamp,
    pub effective_at: Timestamp,
    pub material: bool,
    pub summary: String,
    pub body: String,
    pub published_by: UserId,
}

pub async fn insert_policy(tx: &mut Tx, p: &PolicyRow) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO policy_versions (organisation_id, kind, version, announced_at, effective_at, material, summary, body, published_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(p.organisation_id.to_string())
    .bind(&p.kind)
    .bind(p.version)
    .bind(p.announced_at.as_micros())
    .bind(p.effective_at.as_micros())
    .bind(i64::from(p.material))
    .bind(&p.summary)
    .bind(&p.body)
    .bind(p.published_by.to_string()))?;
    Ok(())
}

type PolicyTuple = (String, String, i64, i64, i64, i64, String, String, String);

/// Every version of every policy of an organisation, by kind and version.
pub async fn policies_of(tx: &mut Tx, org: OrganisationId) -> Result<Vec<PolicyRow>, StoreError> {
    let sql = "SELECT organisation_id, kind, version, announced_at, effective_at, material, summary, body, published_by \
               FROM policy_versions WHERE organisation_id = $1 ORDER BY kind, version";
    crate::fetch_all_by!(tx, sql, org.to_string(), PolicyTuple, |t: PolicyTuple| {
        Ok::<_, StoreError>(PolicyRow {
            organisation_id: t.0.parse().map_err(corrupt)?,
            kind: t.1,
            version: t.2,
            announced_at: Timestamp::from_micros(t.3),
            effective_at: Timestamp::from_micros(t.4),
            material: t.5 != 0,
            summary: t.6,
            body: t.7,
            published_by: t.8.parse().map_err(corrupt)?,
        })
    })
}

/// Records that a person acknowledged a version; recording it twice is
/// not an error.
pub async fn record_acceptance(
    tx: &mut Tx,
    org: OrganisationId,
    (kind, version): (&str, i64),
    patient: PatientId,
    by: Option<UserId>,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO policy_acceptances (organisation_id, kind, version, subject_kind, subject_id, accepted_at, recorded_by) \
         VALUES ($1, $2, $3, 'patient', $4, $5, $6) ON CONFLICT DO NOTHING"
    )
    .bind(org.to_string())
    .bind(kind)
    .bind(version)
    .bind(patient.to_string())
    .bind(now.as_micros())
    .bind(by.map(|u| u.to_string())))?;
    Ok(())
}

/// The versions of a kind a patient acknowledged.
pub async fn acceptances_of(
    tx: &mut Tx,
    patient: PatientId,
    kind: &str,
) -> Result<Vec<i64>, StoreError> {
    let rows: Vec<(i64,)> = crate::on_tx!(tx, c => sqlx::query_as(
        "SELECT version FROM policy_acceptances WHERE subject_kind = 'patient' AND subject_id = $1 AND kind = $2 ORDER BY version"
    )
    .bind(patient.to_string())
    .bind(kind)
    .fetch_all(&mut **c)
    .await)?;
    Ok(rows.into_iter().map(|(v,)| v).collect())
}

/// The files of links that expired unused and still have their package:
/// (token hash, file ID).
pub async fn expired_packages(
    tx: &mut Tx,
    now: Timestamp,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(crate::on_tx!(tx, c => sqlx::query_as(
        "SELECT token_hash, file_id FROM download_links WHERE used_at IS NULL AND expires_at <= $1 AND file_id <> ''"
    )
    .bind(now.as_micros())
    .fetch_all(&mut **c)
    .await)?)
}

/// Records that a link's package file was deleted.
pub async fn forget_package(tx: &mut Tx, token_hash: &str) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("UPDATE download_links SET file_id = '' WHERE token_hash = $1")
            .bind(token_hash)
    )?;
    Ok(())
}

/// One entry of a patient's amendments: an accepted amendment, a denial,
/// or the patient's statement of disagreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmendmentRow {
    pub id: String,
    pub organisation_id: OrganisationId,
    pub patient_id: PatientId,
    pub request_id: Option<RightsRequestId>,
    /// `accepted`, `denied` or `disagreement`.
    pub decision: String,
    /// The amendment, the change asked for, or the statement.
    pub body: String,
    /// Why a denial was made.
    pub reason: Option<String>,
    pub recorded_by: UserId,
    pub recorded_at: Timestamp,
}

pub async fn insert_amendment(tx: &mut Tx, a: &AmendmentRow) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO record_amendments (id, organisation_id, patient_id, request_id, decision, body, reason, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(&a.id)
    .bind(a.organisation_id.to_string())
    .bind(a.patient_id.to_string())
    .bind(a.request_id.map(|r| r.to_string()))
    .bind(&a.decision)
    .bind(&a.body)
    .bind(&a.reason)
    .bind(a.recorded_by.to_string())
    .bind(a.recorded_at.as_micros()))?;
    Ok(())
}

type AmendmentTuple = (
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    String,
    i64,
);

/// A patient's amendments, denials and statements, oldest first.
pub async fn amendments_of(
    tx: &mut Tx,
    patient: PatientId,
) -> Result<Vec<AmendmentRow>, StoreError> {
    let sql = "SELECT id, organisation_id, patient_id, request_id, decision, body, reason, recorded_by, recorded_at \
               FROM record_amendments WHERE patient_id = $1 ORDER BY recorded_at, id";
    crate::fetch_all_by!(
        tx,
        sql,
        patient.to_string(),
        AmendmentTuple,
        |t: AmendmentTuple| {
            Ok::<_, StoreError>(AmendmentRow {
                id: t.0,
                organisation_id: t.1.parse().map_err(corrupt)?,
                patient_id: t.2.parse().map_err(corrupt)?,
                request_id: t.3.map(|r| r.parse()).transpose().map_err(corrupt)?,
                decision: t.4,
                body: t.5,
                reason: t.6,
                recorded_by: t.7.parse().map_err(corrupt)?,
                recorded_at: Timestamp::from_micros(t.8),
            })
        }
    )
}
