//! Privacy rights requests, their alarms, one-time download links, and
//! versioned policy documents with their acknowledgements, mapped to and
//! from the domain's records.

use kerato_domain::ids::{OrganisationId, PatientId, RightsRequestId, UserId};
use kerato_domain::policy::{PolicyKind, PublishedPolicy};
use kerato_domain::rights::{Amendment, DownloadLink, Requester, RightsRequest};
use kerato_domain::time::Timestamp;

use crate::execute;
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

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
    Option<String>,
    i64,
    i64,
    i64,
);

const COLUMNS: &str = "id, organisation_id, patient_id, requester_name, requester_contact, details, channel, gpc, timeline, identity_note, version, created_at, updated_at";

/// The requester's contact details as stored together.
#[derive(serde::Serialize, serde::Deserialize)]
struct Contact {
    dob: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

fn request_from(t: RequestTuple) -> Result<RightsRequest, StoreError> {
    let contact: Contact = serde_json::from_str(&t.4).map_err(corrupt)?;
    Ok(RightsRequest {
        id: t.0.parse().map_err(corrupt)?,
        organisation_id: t.1.parse().map_err(corrupt)?,
        patient_id: t.2.map(|p| p.parse()).transpose().map_err(corrupt)?,
        requester: Requester {
            name: t.3,
            date_of_birth: contact
                .dob
                .map(|d| d.parse::<jiff::civil::Date>())
                .transpose()
                .map_err(corrupt)?,
            email: contact.email,
            phone: contact.phone,
        },
        details: t.5,
        channel: t.6.parse().map_err(corrupt)?,
        gpc: t.7 != 0,
        timeline: serde_json::from_str(&t.8).map_err(corrupt)?,
        identity_note: t.9,
        version: t.10,
        created_at: Timestamp::from_micros(t.11),
        updated_at: Timestamp::from_micros(t.12),
    })
}

/// The timeline as stored, with the state beside it for queries.
fn timeline_text(r: &RightsRequest) -> Result<String, StoreError> {
    serde_json::to_string(&r.timeline).map_err(corrupt)
}

pub async fn insert_request(tx: &mut Tx, r: &RightsRequest) -> Result<(), StoreError> {
    let sql = "INSERT INTO rights_requests (id, organisation_id, patient_id, requester_name, requester_contact, details, channel, gpc, request_type, regime, state, timeline, identity_note, version, created_at, updated_at) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";
    let contact = serde_json::to_string(&Contact {
        dob: r.requester.date_of_birth.map(|d| d.to_string()),
        email: r.requester.email.clone(),
        phone: r.requester.phone.clone(),
    })
    .map_err(corrupt)?;
    execute!(
        tx,
        sqlx::query(sql)
            .bind(r.id.to_string())
            .bind(r.organisation_id.to_string())
            .bind(r.patient_id.map(|p| p.to_string()))
            .bind(&r.requester.name)
            .bind(contact)
            .bind(&r.details)
            .bind(r.channel.as_str())
            .bind(i64::from(r.gpc))
            .bind(r.request_type().as_str())
            .bind(r.regime().as_str())
            .bind(r.state().as_str())
            .bind(timeline_text(r)?)
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
) -> Result<Option<RightsRequest>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM rights_requests WHERE id = $1");
    crate::fetch_one_by!(tx, sql, id.to_string(), RequestTuple, request_from)
}

/// Every request of an organisation, open or closed, oldest first (the
/// dashboard sorts them by urgency).
pub async fn requests_of(
    tx: &mut Tx,
    org: OrganisationId,
) -> Result<Vec<RightsRequest>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM rights_requests WHERE organisation_id = $1 ORDER BY created_at, id"
    );
    crate::fetch_all_by!(tx, sql, org.to_string(), RequestTuple, request_from)
}

/// Stores a request's new step if the row is still at `version`; false
/// when someone else moved it meanwhile.
pub async fn update_request(tx: &mut Tx, r: &RightsRequest) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "UPDATE rights_requests SET patient_id = $3, state = $4, timeline = $5, identity_note = $6, \
         version = version + 1, updated_at = $7 WHERE id = $1 AND version = $2"
    )
    .bind(r.id.to_string())
    .bind(r.version)
    .bind(r.patient_id.map(|p| p.to_string()))
    .bind(r.state().as_str())
    .bind(timeline_text(r)?)
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

pub async fn insert_policy(tx: &mut Tx, p: &PublishedPolicy) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO policy_versions (organisation_id, kind, version, announced_at, effective_at, material, summary, body, published_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(p.organisation_id.to_string())
    .bind(p.kind.as_str())
    .bind(i64::from(p.version))
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
pub async fn policies_of(
    tx: &mut Tx,
    org: OrganisationId,
) -> Result<Vec<PublishedPolicy>, StoreError> {
    let sql = "SELECT organisation_id, kind, version, announced_at, effective_at, material, summary, body, published_by \
               FROM policy_versions WHERE organisation_id = $1 ORDER BY kind, version";
    crate::fetch_all_by!(tx, sql, org.to_string(), PolicyTuple, |t: PolicyTuple| {
        Ok::<_, StoreError>(PublishedPolicy {
            organisation_id: t.0.parse().map_err(corrupt)?,
            kind: t.1.parse().map_err(corrupt)?,
            version: u32::try_from(t.2).map_err(corrupt)?,
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
    (kind, version): (PolicyKind, u32),
    patient: PatientId,
    by: Option<UserId>,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO policy_acceptances (organisation_id, kind, version, subject_kind, subject_id, accepted_at, recorded_by) \
         VALUES ($1, $2, $3, 'patient', $4, $5, $6) ON CONFLICT DO NOTHING"
    )
    .bind(org.to_string())
    .bind(kind.as_str())
    .bind(i64::from(version))
    .bind(patient.to_string())
    .bind(now.as_micros())
    .bind(by.map(|u| u.to_string())))?;
    Ok(())
}

/// The versions of a kind a patient acknowledged.
pub async fn acceptances_of(
    tx: &mut Tx,
    patient: PatientId,
    kind: PolicyKind,
) -> Result<Vec<u32>, StoreError> {
    let rows: Vec<(i64,)> = crate::on_tx!(tx, c => sqlx::query_as(
        "SELECT version FROM policy_acceptances WHERE subject_kind = 'patient' AND subject_id = $1 AND kind = $2 ORDER BY version"
    )
    .bind(patient.to_string())
    .bind(kind.as_str())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(v,)| u32::try_from(v).map_err(corrupt))
        .collect()
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

pub async fn insert_amendment(tx: &mut Tx, a: &Amendment) -> Result<(), StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO record_amendments (id, organisation_id, patient_id, request_id, decision, body, reason, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(a.id.to_string())
    .bind(a.organisation_id.to_string())
    .bind(a.patient_id.to_string())
    .bind(a.request_id.map(|r| r.to_string()))
    .bind(a.decision.as_str())
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
pub async fn amendments_of(tx: &mut Tx, patient: PatientId) -> Result<Vec<Amendment>, StoreError> {
    let sql = "SELECT id, organisation_id, patient_id, request_id, decision, body, reason, recorded_by, recorded_at \
               FROM record_amendments WHERE patient_id = $1 ORDER BY recorded_at, id";
    crate::fetch_all_by!(
        tx,
        sql,
        patient.to_string(),
        AmendmentTuple,
        |t: AmendmentTuple| {
            Ok::<_, StoreError>(Amendment {
                id: t.0.parse().map_err(corrupt)?,
                organisation_id: t.1.parse().map_err(corrupt)?,
                patient_id: t.2.parse().map_err(corrupt)?,
                request_id: t.3.map(|r| r.parse()).transpose().map_err(corrupt)?,
                decision: t.4.parse().map_err(corrupt)?,
                body: t.5,
                reason: t.6,
                recorded_by: t.7.parse().map_err(corrupt)?,
                recorded_at: Timestamp::from_micros(t.8),
            })
        }
    )
}
