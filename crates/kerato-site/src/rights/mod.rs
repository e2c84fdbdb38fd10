//! The privacy center: a self-service rights request (access, correction,
//! deletion, opt-out of marketing, do not sell or share), verified by an
//! e-mailed link, with a status page, on the shared legal clock of
//! `kerato_core::rights_request` (the privacy statement's regime: 45 days,
//! extendable once to 90 with a reason).
//!
//! A request's history is the engine's `RequestTimeline`, stored as JSON;
//! its state, deadline and days left are derived from it on every read.
//! Links carry random 32-byte tokens; only their SHA-256 is stored.

use kerato_core::ValidationErrors;
use kerato_core::calendar::BusinessCalendar;
use kerato_core::consent::{Purpose, Source};
use kerato_core::ids::RightsRequestId;
use kerato_core::phi_guard;
use kerato_core::rights_request::{
    self, Regime, RequestEvent, RequestState, RequestTimeline, RequestType,
};
use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx, execute, on_tx};

use crate::audit::{self, Event};
use crate::consents::{self, Subject};
use crate::outbox::{self, Outgoing};
use crate::web::{self, Form, SiteError};
use crate::{Site, person_data};

mod alarms;
mod links;
mod pages;

pub use alarms::{Attention, needing_attention, send_alarms};
use links::{insert_token, mark_used, token_pair, usable_verify_token};
pub(crate) use pages::routes;

/// The request types the public form offers; the others of the engine
/// (restriction, accounting of disclosures, …) concern patient records,
/// which the site does not hold.
pub const OFFERED: &[RequestType] = &[
    RequestType::Access,
    RequestType::Correction,
    RequestType::Deletion,
    RequestType::MarketingOptOut,
    RequestType::DoNotSellShare,
];

/// How long a verification link works.
pub const VERIFY_HOURS: i64 = 48;
const HOUR_MICROS: i64 = 3_600_000_000;
/// The longest details text, in characters.
pub const MAX_DETAILS: usize = 2000;

/// The calendar the deadlines are counted on. The statement's regime
/// counts calendar days, so only the zone matters: UTC, because the site
/// has no zone of its own and a UTC date is the one staff and requester
/// both see on the status page.
pub(super) fn calendar() -> BusinessCalendar {
    BusinessCalendar::federal(jiff::tz::TimeZone::UTC)
}

/// What the requester typed, kept to show the form again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RightsInput {
    pub name: String,
    pub email: String,
    pub kind: String,
    pub details: String,
}

/// A checked request, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRights {
    pub name: String,
    pub email: String,
    pub kind: RequestType,
    pub details: Option<String>,
}

impl RightsInput {
    pub(super) fn from_form(f: &Form) -> Self {
        Self {
            name: f.get("name"),
            email: f.get("email"),
            kind: f.get("kind"),
            details: f.get("details"),
        }
    }

    /// Every problem at once, by field.
    pub fn validate(&self) -> Result<ValidRights, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = web::text(&mut e, "name", "your name", &self.name, true, 100);
        let email = web::email(&mut e, "email", &self.email);
        let kind = self
            .kind
            .parse::<RequestType>()
            .ok()
            .filter(|k| OFFERED.contains(k));
        if kind.is_none() {
            e.add("kind", "choose the kind of request");
        }
        let details = web::text(
            &mut e,
            "details",
            "the details",
            &self.details,
            false,
            MAX_DETAILS,
        );
        match kind {
            Some(kind) if e.is_empty() => Ok(ValidRights {
                name,
                email,
                kind,
                details: (!details.is_empty()).then_some(details),
            }),
            _ => Err(e),
        }
    }
}

/// A stored request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RightsRequest {
    pub id: String,
    pub name: String,
    pub email: String,
    pub details: Option<String>,
    pub timeline: RequestTimeline,
}

/// A request as staff see it in the list, with its clock computed now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub request: RightsRequest,
    pub state: RequestState,
    pub due_at: Timestamp,
    pub days_left: i64,
    pub overdue: bool,
}

/// How a state reads on the status page and in the staff list.
pub fn state_label(state: RequestState) -> &'static str {
    match state {
        RequestState::Received => "Received (waiting for e-mail verification)",
        RequestState::IdentityVerified => "E-mail verified",
        RequestState::InProgress => "In progress",
        RequestState::Extended => "Extended",
        RequestState::Fulfilled => "Fulfilled",
        RequestState::Denied => "Denied",
    }
}

/// How a request type reads to the requester, in the first person (the
/// engine's labels are written for staff).
pub fn request_label(kind: RequestType) -> &'static str {
    match kind {
        RequestType::Access => "A copy of my personal information",
        RequestType::Correction => "Correct my personal information",
        RequestType::Deletion => "Delete my personal information",
        RequestType::MarketingOptOut => "Stop marketing e-mail to me",
        RequestType::DoNotSellShare => "Do not sell or share my personal information",
        other => other.label(),
    }
}

pub(super) fn date(t: Timestamp) -> String {
    t.to_jiff().strftime("%B %-d, %Y").to_string()
}

type Row = (String, String, String, Option<String>, String);

fn request(r: Row) -> Result<RightsRequest, StoreError> {
    Ok(RightsRequest {
        id: r.0,
        name: r.1,
        email: r.2,
        details: r.3,
        timeline: serde_json::from_str(&r.4).map_err(kerato_db::corrupt)?,
    })
}

const COLUMNS: &str = "id, name, email, details, timeline";

pub(super) async fn load(tx: &mut Tx, id: &str) -> Result<Option<RightsRequest>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM site_rights_requests WHERE id = $1");
    let row: Option<Row> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **c)
        .await)?;
    row.map(request).transpose()
}

async fn save(tx: &mut Tx, timeline: &RequestTimeline) -> Result<(), StoreError> {
    let json = serde_json::to_string(timeline).map_err(kerato_db::corrupt)?;
    execute!(
        tx,
        sqlx::query("UPDATE site_rights_requests SET timeline = $1 WHERE id = $2")
            .bind(json)
            .bind(timeline.id.to_string())
    )?;
    Ok(())
}

/// Every request, the most urgent first (the engine's order: overdue,
/// then fewest days left; closed ones last).
pub async fn list_requests(tx: &mut Tx, now: Timestamp) -> Result<Vec<Listed>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM site_rights_requests");
    let rows: Vec<Row> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut **c)
        .await)?;
    let mut all: Vec<RightsRequest> = rows.into_iter().map(request).collect::<Result<_, _>>()?;
    let cal = calendar();
    let timelines: Vec<RequestTimeline> = all.iter().map(|r| r.timeline.clone()).collect();
    let mut listed = Vec::with_capacity(all.len());
    for t in rights_request::by_urgency(&timelines, now, &cal) {
        if let Some(i) = all.iter().position(|r| r.timeline.id == t.id) {
            let request = all.swap_remove(i);
            listed.push(Listed {
                state: t.state(),
                due_at: rights_request::due_at(t, &cal),
                days_left: rights_request::days_left(t, now, &cal),
                overdue: rights_request::is_overdue(t, now, &cal),
                request,
            });
        }
    }
    Ok(listed)
}

fn event_name(e: &RequestEvent) -> &'static str {
    match e {
        RequestEvent::ConfirmReceipt => "confirm_receipt",
        RequestEvent::VerifyIdentity => "verify_identity",
        RequestEvent::StartWork => "start_work",
        RequestEvent::Extend { .. } => "extend",
        RequestEvent::RecordExtensionNotice { .. } => "extension_notice",
        RequestEvent::Fulfil { .. } => "fulfil",
        RequestEvent::Deny { .. } => "deny",
    }
}

/// Applies `event` through the engine and audits it, in the caller's
/// transaction.
async fn apply(
    tx: &mut Tx,
    actor: &str,
    timeline: &RequestTimeline,
    event: RequestEvent,
    now: Timestamp,
) -> Result<RequestTimeline, SiteError> {
    let name = event_name(&event);
    let next =
        rights_request::advance(timeline, event, now, &calendar()).map_err(SiteError::Conflict)?;
    save(tx, &next).await?;
    let subject = format!("rights_request:{}", next.id);
    let detail = format!(
        "{name}: {} -> {}",
        state_label(timeline.state()),
        state_label(next.state())
    );
    audit::record(
        tx,
        now,
        Event {
            actor: Some(actor),
            action: "rights_request.step",
            subject: Some(&subject),
            detail: Some(&detail),
        },
    )
    .await?;
    Ok(next)
}

/// A staff step (start work, extend with a reason, fulfil, deny with a
/// reason) on request `id`, through the engine's `advance`, audited.
pub async fn step(
    site: &Site,
    actor: &str,
    id: &str,
    event: RequestEvent,
) -> Result<RequestTimeline, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let current = load(&mut tx, id).await?.ok_or(SiteError::NotFound)?;
    let next = apply(&mut tx, actor, &current.timeline, event, now).await?;
    tx.commit().await?;
    Ok(next)
}

/// A request whose requester proved their address, or a clear refusal.
async fn verified(tx: &mut Tx, id: &str, kind: RequestType) -> Result<RightsRequest, SiteError> {
    let request = load(tx, id).await?.ok_or(SiteError::NotFound)?;
    if request.timeline.request_type != kind {
        return Err(SiteError::Conflict(format!(
            "this is not a request for {}",
            kind.label().to_lowercase()
        )));
    }
    if request.timeline.identity_verified_at.is_none() {
        return Err(SiteError::Conflict(
            "the requester has not verified their e-mail address yet; nothing can be shown or deleted before that"
                .into(),
        ));
    }
    Ok(request)
}

/// The copy of everything held about an access request's address, for
/// staff to send to the requester; the export is audited (by counts).
pub async fn access_copy(
    site: &Site,
    actor: &str,
    id: &str,
) -> Result<Vec<person_data::Section>, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let request = verified(&mut tx, id, RequestType::Access).await?;
    let copy = person_data::export(&mut tx, &request.email).await?;
    let subject = format!("rights_request:{id}");
    let rows: usize = copy.iter().map(|s| s.rows.len()).sum();
    let detail = format!("{rows} records in {} tables", copy.len());
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(actor),
            action: "rights_request.exported",
            subject: Some(&subject),
            detail: Some(&detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(copy)
}

/// How long the requester's one-time download link works.
pub const DOWNLOAD_DAYS: i64 = 7;

/// Fulfils a verified access request: e-mails the requester a one-time
/// link to the copy of their data, valid [`DOWNLOAD_DAYS`] days, and
/// records the fulfilment, in one transaction. Returns the link's token
/// (for the tests; the requester gets it by e-mail).
pub async fn send_access_copy(site: &Site, actor: &str, id: &str) -> Result<String, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let request = verified(&mut tx, id, RequestType::Access).await?;
    let (token, hash) = token_pair();
    let expires = now.plus_micros(DOWNLOAD_DAYS * 86_400_000_000);
    insert_token(&mut tx, &hash, id, "download", Some(expires)).await?;
    let body = format!(
        "Dear {name},\n\nThe copy of the personal information we hold about {email} is ready. \
         This link works once, for {DOWNLOAD_DAYS} days:\n{url}/privacy-center/download/{token}\n\n{vendor}\n",
        name = request.name,
        email = request.email,
        url = site.config.public_url.trim_end_matches('/'),
        vendor = site.config.vendor_name,
    );
    outbox::queue(
        &mut tx,
        now,
        rand::random(),
        Outgoing {
            kind: "rights_download",
            recipient: &request.email,
            subject: "The copy of your personal information",
            body: &body,
            headers: &[],
        },
    )
    .await?;
    let summary = format!(
        "A copy of your personal information was sent to you by a one-time link, valid {DOWNLOAD_DAYS} days."
    );
    apply(
        &mut tx,
        actor,
        &request.timeline,
        RequestEvent::Fulfil { summary },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// Fulfils a verified deletion request: deletes what no rule keeps about
/// the address, records what was deleted and what is kept, why and until
/// when, as the request's outcome, and e-mails the requester that account.
/// One transaction.
pub async fn fulfil_deletion(
    site: &Site,
    actor: &str,
    id: &str,
) -> Result<person_data::Erasure, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let request = verified(&mut tx, id, RequestType::Deletion).await?;
    let erasure = person_data::erase(&mut tx, &request.email, now).await?;
    let summary = erasure.summary();
    // Queued after the erasure, which took the address's earlier mail
    // with it.
    let body = format!(
        "Dear {name},\n\nYour request to delete your personal information is done.\n\n{account}\n\n\
         Questions? Write to {contact}.\n\n{vendor}\n",
        name = request.name,
        account = erasure.account(),
        contact = site.config.contact_email,
        vendor = site.config.vendor_name,
    );
    outbox::queue(
        &mut tx,
        now,
        rand::random(),
        Outgoing {
            kind: "rights_outcome",
            recipient: &request.email,
            subject: "Your deletion request is done",
            body: &body,
            headers: &[],
        },
    )
    .await?;
    apply(
        &mut tx,
        actor,
        &request.timeline,
        RequestEvent::Fulfil { summary },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(erasure)
}

/// What a stored request's details say once patient information is taken
/// out, and the summary of what was taken, if anything.
fn redact(details: Option<String>) -> (Option<String>, Option<String>) {
    match details {
        Some(d) => {
            let r = phi_guard::redact(&d);
            let summary = (!r.findings.is_empty()).then(|| phi_guard::summary(&r.findings));
            (Some(r.text), summary)
        }
        None => (None, None),
    }
}

/// Stores a checked request with its verification link, queues the
/// e-mail and audits it, in one transaction. Returns the request's ID and
/// what was redacted from the details, if anything.
pub async fn receive(site: &Site, r: ValidRights) -> Result<(String, Option<String>), SiteError> {
    let now = site.now();
    let id = RightsRequestId::new(now, rand::random());
    let timeline = RequestTimeline::new(id, r.kind, Regime::Statement, now);
    let (details, redacted) = redact(r.details);
    let id = id.to_string();
    let json = serde_json::to_string(&timeline).map_err(|e| SiteError::Internal(e.to_string()))?;
    let mut tx = site.store.write().await?;
    execute!(
        &mut tx,
        sqlx::query(
            "INSERT INTO site_rights_requests (id, kind, name, email, details, received_at, timeline) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )
        .bind(&id)
        .bind(r.kind.as_str())
        .bind(&r.name)
        .bind(&r.email)
        .bind(&details)
        .bind(now.as_micros())
        .bind(json)
    )?;
    let (token, hash) = token_pair();
    let expires = now.plus_micros(VERIFY_HOURS * HOUR_MICROS);
    insert_token(&mut tx, &hash, &id, "verify", Some(expires)).await?;
    let body = format!(
        "Dear {name},\n\nWe received your privacy request ({kind}). To confirm that this \
         e-mail address is yours, open this link within {VERIFY_HOURS} hours:\n\n\
         {url}/privacy-center/verify/{token}\n\n\
         If you did not make this request, ignore this message and nothing will happen.\n\n{vendor}\n",
        name = r.name,
        kind = request_label(r.kind).to_lowercase(),
        url = site.config.public_url,
        vendor = site.config.vendor_name,
    );
    outbox::queue(
        &mut tx,
        now,
        rand::random(),
        Outgoing {
            kind: "rights_verify",
            recipient: &r.email,
            subject: "Confirm your privacy request",
            body: &body,
            headers: &[],
        },
    )
    .await?;
    let subject = format!("rights_request:{id}");
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some("visitor"),
            action: "rights_request.received",
            subject: Some(&subject),
            detail: Some(r.kind.as_str()),
        },
    )
    .await?;
    if let Some(summary) = &redacted {
        audit::record(
            &mut tx,
            now,
            Event {
                actor: Some("system:phi_guard"),
                action: "rights_request.redacted",
                subject: Some(&subject),
                detail: Some(summary),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok((id, redacted))
}

/// Verifies the requester's e-mail: marks the link used, records the step,
/// fulfils an opt-out at once (by recording the "no" in the consent
/// registry), and e-mails the status link. Returns the status token.
pub(super) async fn verify(
    site: &Site,
    token: &str,
) -> Result<(RequestTimeline, String), SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let id = usable_verify_token(&mut tx, token, now).await?;
    mark_used(&mut tx, token, now).await?;
    let r = load(&mut tx, &id).await?.ok_or(SiteError::NotFound)?;
    let mut timeline = apply(
        &mut tx,
        "visitor",
        &r.timeline,
        RequestEvent::VerifyIdentity,
        now,
    )
    .await?;
    let opt_out = match r.timeline.request_type {
        RequestType::MarketingOptOut => Some(Purpose::MarketingEmail),
        RequestType::DoNotSellShare => Some(Purpose::SaleShare),
        _ => None,
    };
    if let Some(purpose) = opt_out {
        consents::record(
            &mut tx,
            Subject::contact(&r.email),
            purpose,
            false,
            Source::Form,
            None,
            now,
        )
        .await?;
        let summary = format!("{} recorded as no in the consent registry", purpose.label());
        timeline = apply(
            &mut tx,
            "system:privacy_center",
            &timeline,
            RequestEvent::Fulfil { summary },
            now,
        )
        .await?;
    }
    let (status_token, hash) = token_pair();
    insert_token(&mut tx, &hash, &id, "status", None).await?;
    let body = format!(
        "Dear {name},\n\nThank you: your e-mail address is verified and your privacy request \
         ({kind}) is {state}. You can follow it at any time here:\n\n\
         {url}/privacy-center/status/{status_token}\n\n{vendor}\n",
        name = r.name,
        kind = request_label(r.timeline.request_type).to_lowercase(),
        state = state_label(timeline.state()).to_lowercase(),
        url = site.config.public_url,
        vendor = site.config.vendor_name,
    );
    outbox::queue(
        &mut tx,
        now,
        rand::random(),
        Outgoing {
            kind: "rights_status",
            recipient: &r.email,
            subject: "Your privacy request is verified",
            body: &body,
            headers: &[],
        },
    )
    .await?;
    tx.commit().await?;
    Ok((timeline, status_token))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> RightsInput {
        RightsInput {
            name: "Ann Lee".into(),
            email: "ann@leeeye.example".into(),
            kind: "access".into(),
            details: String::new(),
        }
    }

    #[test]
    fn a_complete_request_is_valid() {
        let v = good().validate().unwrap();
        assert_eq!(v.kind, RequestType::Access);
        assert_eq!(v.details, None);
    }

    #[test]
    fn every_problem_is_reported_by_field() {
        let bad = RightsInput {
            name: String::new(),
            email: "nope".into(),
            kind: "accounting_of_disclosures".into(),
            details: "y".repeat(MAX_DETAILS + 1),
        };
        let e = bad.validate().unwrap_err();
        for field in ["name", "email", "kind", "details"] {
            assert!(e.for_field(field).is_some(), "{field} not reported");
        }
    }

    #[test]
    fn details_lose_patient_information_and_say_what() {
        let (text, summary) = redact(Some("My SSN is 123-45-6789.".into()));
        assert!(!text.unwrap().contains("6789"));
        assert!(summary.unwrap().contains("Social Security"));
        assert_eq!(redact(Some("Please send my data".into())).1, None);
    }
}
