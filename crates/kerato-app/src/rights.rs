//! Patients' privacy rights requests, clinic side: received from the
//! portal or kiosk form or entered by the privacy officer, run on the
//! clock of their legal regime (the domain's `rights_request`), moved
//! step by step by the privacy officer, alarmed to the privacy officers'
//! inbox when due soon or overdue, and fulfilled: an access request with a
//! package behind a one-time link, opt-outs in the consent registry, a
//! deletion by the retention rules. Every step is audited.

use kerato_domain::ValidationErrors;
use kerato_domain::audit::{AuditAction, Outcome as AuditOutcome};
use kerato_domain::calendar::BusinessCalendar;
use kerato_domain::consent::{Purpose, Source};
use kerato_domain::identity::{Action, Resource, Role, Target, normalise_email};
use kerato_domain::ids::{MessageId, OrganisationId, PatientId, RightsRequestId};
use kerato_domain::rights_request::{
    Jurisdiction, RequestEvent, RequestState, RequestTimeline, RequestType, advance, alarms,
    by_urgency, days_left, due_at, is_overdue, regime_for,
};
use kerato_domain::time::Timestamp;
pub use kerato_store::rights::{AmendmentRow, DownloadLink, RightsRequestRow};
use kerato_store::{
    Tx, consents as consent_store, identity as users, outbox, patients as patient_store,
    rights as store, tenancy,
};
use ring::digest;

use crate::authz::{Act, Caller};
use crate::privacy::required;
use crate::{App, AppError};

/// How long a download link works: a week is long enough to be read
/// after a weekend and short enough that a forwarded e-mail soon stops
/// opening the record.
pub const LINK_DAYS: i64 = 7;

/// A request as typed on the form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestInput {
    /// The practice's organisation ID from the form's link; empty on a
    /// server with one practice, and ignored when staff enter a request.
    pub practice: String,
    pub request_type: String,
    /// `us`, `us_ca` or `eu`; empty is `us`.
    pub jurisdiction: String,
    pub first_name: String,
    pub last_name: String,
    /// `YYYY-MM-DD`.
    pub date_of_birth: String,
    pub email: String,
    pub phone: String,
    pub details: String,
}

/// Where a request came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The public form at the kiosk or through the portal link.
    Portal,
    /// Entered by the privacy officer (a letter, a call, the front desk).
    Staff,
}

/// A step the privacy officer records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestStep {
    /// The requester proved who they are, and this is their chart.
    VerifyIdentity {
        patient: PatientId,
        note: String,
    },
    StartWork,
    Extend {
        reason: String,
    },
    Fulfil {
        summary: String,
    },
    Deny {
        reason: String,
    },
}

/// A request on the dashboard, with its clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestView {
    pub row: RightsRequestRow,
    pub timeline: RequestTimeline,
    pub state: RequestState,
    pub due_at: Timestamp,
    pub days_left: i64,
    pub overdue: bool,
}

/// What fulfilling a request produced for the privacy officer to pass on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fulfilment {
    pub row: RightsRequestRow,
    /// For an access request: the download link's token, shown once.
    pub download_token: Option<String>,
}

fn timeline_of(row: &RightsRequestRow) -> Result<RequestTimeline, AppError> {
    serde_json::from_str(&row.timeline)
        .map_err(|e| AppError::corrupt(format!("a request timeline is not readable: {e}")))
}

fn state_key(state: RequestState) -> &'static str {
    match state {
        RequestState::Received => "received",
        RequestState::IdentityVerified => "identity_verified",
        RequestState::InProgress => "in_progress",
        RequestState::Extended => "extended",
        RequestState::Fulfilled => "fulfilled",
        RequestState::Denied => "denied",
    }
}

/// The SHA-256 of a download token, which is all the database keeps.
pub fn token_hash(token: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, token.as_bytes()))
}

fn target(org: OrganisationId) -> Target {
    Target {
        organisation: org,
        location: None,
        resource: Resource::PrivacyRequest,
    }
}

/// Checks the form and turns it into what the row stores.
struct Checked {
    request_type: RequestType,
    jurisdiction: Jurisdiction,
    name: String,
    dob: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    details: String,
}

fn check(input: &RequestInput) -> Result<Checked, ValidationErrors> {
    let mut e = ValidationErrors::new();
    let request_type = input
        .request_type
        .trim()
        .parse::<RequestType>()
        .map_err(|m| e.add("request_type", m))
        .ok();
    let jurisdiction = match input.jurisdiction.trim() {
        "" => Some(Jurisdiction::UnitedStates),
        j => j
            .parse::<Jurisdiction>()
            .map_err(|m| e.add("jurisdiction", m))
            .ok(),
    };
    let first = required(
        &mut e,
        "first_name",
        "the first name",
        &input.first_name,
        100,
    );
    let last = required(&mut e, "last_name", "the last name", &input.last_name, 100);
    let dob = match input.date_of_birth.trim() {
        "" => {
            e.add(
                "date_of_birth",
                "the date of birth is needed to find the record; write it as YYYY-MM-DD",
            );
            None
        }
        d => match d.parse::<jiff::civil::Date>() {
            Ok(date) => Some(date.to_string()),
            Err(_) => {
                e.add("date_of_birth", "write the date of birth as YYYY-MM-DD");
                None
            }
        },
    };
    let email = match input.email.trim() {
        "" => None,
        raw => normalise_email(raw).map_err(|m| e.add("email", m)).ok(),
    };
    let phone = Some(input.phone.trim().to_string()).filter(|p| !p.is_empty());
    if phone.as_ref().is_some_and(|p| {
        p.chars().count() > 30
            || !p
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c))
    }) {
        e.add(
            "phone",
            "a phone number has digits, spaces, + - ( ) and at most 30 characters",
        );
    }
    if email.is_none() && phone.is_none() && e.for_field("email").is_none() {
        e.add(
            "email",
            "give an e-mail address or a phone number, so we can answer the request",
        );
    }
    let details = input.details.trim().to_string();
    if details.chars().count() > 4000 {
        e.add("details", "describe the request in at most 4000 characters");
    }
    let (Some(request_type), Some(jurisdiction)) = e.into_result((request_type, jurisdiction))?
    else {
        return Err(ValidationErrors::single(
            "request_type",
            "choose what the request is for",
        ));
    };
    Ok(Checked {
        request_type,
        jurisdiction,
        name: format!("{first} {last}"),
        dob,
        email,
        phone,
        details,
    })
}

impl App {
    /// The business calendar of the practice's first location (federal
    /// holidays in its zone); legal clocks of a whole organisation run on
    /// it.
    async fn practice_calendar(
        &self,
        tx: &mut Tx,
        org: OrganisationId,
    ) -> Result<BusinessCalendar, AppError> {
        match tenancy::list_locations(tx, org).await?.first() {
            Some(loc) => self.calendar(tx, loc).await,
            None => Ok(BusinessCalendar::federal(jiff::tz::TimeZone::UTC)),
        }
    }

    /// Receives a rights request. From the portal there is no caller and
    /// the request belongs to the server's practice; from staff the caller
    /// must be a privacy officer. `gpc` is whether the browser sent the
    /// Global Privacy Control signal: it is kept with the request and
    /// applied as a sale/share opt-out once the requester's chart is known.
    /// An e-mail confirms receipt when the requester gave an address.
    pub async fn receive_rights_request(
        &self,
        caller: Option<&Caller>,
        channel: Channel,
        input: &RequestInput,
        gpc: bool,
    ) -> Result<RightsRequestRow, AppError> {
        if let Some(c) = caller {
            self.require(c, Resource::PrivacyRequest, Action::Create, None)
                .await?;
        }
        let checked = check(input)?;
        let mut tx = self.store.write().await?;
        let org = match caller {
            Some(c) => c.actor.organisation_id,
            None => server_practice(&mut tx, &input.practice).await?,
        };
        let now = self.now();
        let id = RightsRequestId::new(now, self.random_id_bits());
        // The clinic holds PHI, so a patient's requests follow HIPAA where
        // HIPAA has a clock, and the statement's promise elsewhere.
        let regime = regime_for(checked.request_type, true, checked.jurisdiction);
        let mut timeline = RequestTimeline::new(id, checked.request_type, regime, now);
        let calendar = self.practice_calendar(&mut tx, org).await?;
        if checked.email.is_some() {
            timeline = advance(&timeline, RequestEvent::ConfirmReceipt, now, &calendar)
                .map_err(|m| ValidationErrors::single("request", m))?;
        }
        let row = RightsRequestRow {
            id,
            organisation_id: org,
            patient_id: None,
            requester_name: checked.name,
            requester_dob: checked.dob,
            requester_email: checked.email.clone(),
            requester_phone: checked.phone,
            details: checked.details,
            channel: match channel {
                Channel::Portal => "portal",
                Channel::Staff => "staff",
            }
            .into(),
            gpc,
            request_type: checked.request_type.as_str().into(),
            regime: regime.as_str().into(),
            state: state_key(timeline.state()).into(),
            timeline: serde_json::to_string(&timeline).map_err(AppError::corrupt)?,
            identity_note: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let mut tx = match caller {
            Some(c) => {
                let act = Act::new(Action::Create, target(org), "privacy request").id(id);
                self.guard(tx, c, act).await?
            }
            None => {
                let mut event = self.audit_event(
                    None,
                    AuditAction::Create,
                    Resource::PrivacyRequest,
                    AuditOutcome::Allowed,
                );
                event.organisation_id = Some(org.to_string());
                event.resource_id = Some(id.to_string());
                event.category = "privacy request from the portal".into();
                kerato_store::audit::append(&mut tx, event).await?;
                tx
            }
        };
        store::insert_request(&mut tx, &row).await?;
        if let Some(email) = &checked.email {
            let due = due_at(&timeline, &calendar);
            outbox::queue_email(
                &mut tx,
                &MessageId::new(now, self.random_id_bits()).to_string(),
                email,
                "We received your privacy request",
                &format!(
                    "We received your request ({}) on {}. We will answer by {} at the latest, and \
                     we may first ask you to prove who you are. Reference: {id}.",
                    checked.request_type.label().to_lowercase(),
                    now.to_jiff().strftime("%Y-%m-%d"),
                    due.to_jiff().strftime("%Y-%m-%d"),
                ),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(row)
    }

    /// The privacy officer's dashboard: every request with its clock, open
    /// ones first, the most urgent on top.
    pub async fn rights_requests(&self, caller: &Caller) -> Result<Vec<RequestView>, AppError> {
        let mut tx = self
            .guard_org(
                caller,
                Action::Query,
                Resource::PrivacyRequest,
                "privacy requests",
            )
            .await?;
        let org = caller.actor.organisation_id;
        let calendar = self.practice_calendar(&mut tx, org).await?;
        let rows = store::requests_of(&mut tx, org).await?;
        tx.commit().await?;
        let timelines = rows
            .iter()
            .map(timeline_of)
            .collect::<Result<Vec<_>, _>>()?;
        let now = self.now();
        let order: Vec<RightsRequestId> = by_urgency(&timelines, now, &calendar)
            .into_iter()
            .map(|t| t.id)
            .collect();
        let mut views: Vec<RequestView> = rows
            .into_iter()
            .zip(timelines)
            .map(|(row, timeline)| RequestView {
                state: timeline.state(),
                due_at: due_at(&timeline, &calendar),
                days_left: days_left(&timeline, now, &calendar),
                overdue: is_overdue(&timeline, now, &calendar),
                timeline,
                row,
            })
            .collect();
        views.sort_by_key(|v| order.iter().position(|id| *id == v.row.id));
        Ok(views)
    }

    /// One request with its clock, audited as a view.
    pub async fn rights_request(
        &self,
        caller: &Caller,
        id: RightsRequestId,
    ) -> Result<RequestView, AppError> {
        self.require(caller, Resource::PrivacyRequest, Action::View, None)
            .await?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        let row = store::find_request(&mut tx, id)
            .await?
            .filter(|r| r.organisation_id == org)
            .ok_or(AppError::NotFound("privacy request"))?;
        let calendar = self.practice_calendar(&mut tx, org).await?;
        let mut act = Act::new(Action::View, target(org), "privacy request").id(id);
        act.patient_id = row.patient_id.map(|p| p.to_string());
        let tx = self.guard(tx, caller, act).await?;
        tx.commit().await?;
        let timeline = timeline_of(&row)?;
        let now = self.now();
        Ok(RequestView {
            state: timeline.state(),
            due_at: due_at(&timeline, &calendar),
            days_left: days_left(&timeline, now, &calendar),
            overdue: is_overdue(&timeline, now, &calendar),
            timeline,
            row,
        })
    }

    /// Charts that may be the requester's: same first and last name and
    /// date of birth as given on the request.
    pub async fn request_candidates(
        &self,
        caller: &Caller,
        request: &RightsRequestRow,
    ) -> Result<Vec<kerato_domain::patients::Patient>, AppError> {
        let Some(dob) = request
            .requester_dob
            .as_deref()
            .and_then(|d| d.parse::<jiff::civil::Date>().ok())
        else {
            return Ok(Vec::new());
        };
        let (first, last) = request
            .requester_name
            .rsplit_once(' ')
            .unwrap_or(("", request.requester_name.as_str()));
        let mut tx = self
            .guard_org(
                caller,
                Action::Query,
                Resource::Patient,
                "privacy request identity match",
            )
            .await?;
        let found = patient_store::same_name_and_birth(
            &mut tx,
            caller.actor.organisation_id,
            last,
            first,
            dob,
        )
        .await?;
        tx.commit().await?;
        Ok(found)
    }

    /// Records the next step of a request through the domain's rules;
    /// `version` is the version the caller saw. Fulfilling dispatches on
    /// the request's type: an access request gets its package and a
    /// one-time link, an opt-out is written to the consent registry, a
    /// deletion deletes what the retention rules let go.
    pub async fn rights_request_step(
        &self,
        caller: &Caller,
        id: RightsRequestId,
        version: i64,
        step: RequestStep,
    ) -> Result<Fulfilment, AppError> {
        self.require(caller, Resource::PrivacyRequest, Action::Update, None)
            .await?;
        let org = caller.actor.organisation_id;
        // An access package is built, and a deletion carried out, before
        // the step's transaction: each reads or changes the whole record in
        // its own audited transaction.
        let prepared = match &step {
            RequestStep::Fulfil { .. } => {
                let mut tx = self.store.read().await?;
                let row = store::find_request(&mut tx, id)
                    .await?
                    .filter(|r| r.organisation_id == org)
                    .ok_or(AppError::NotFound("privacy request"))?;
                drop(tx);
                match (row.request_type.as_str(), row.patient_id) {
                    ("access", Some(patient)) => Some(Prepared::Package(
                        self.access_package(caller, patient).await?,
                    )),
                    ("deletion", Some(patient)) => Some(Prepared::Deleted(
                        self.carry_out_deletion(caller, patient).await?,
                    )),
                    ("accounting_of_disclosures", Some(patient)) => Some(Prepared::Accounting(
                        self.accounting_of_disclosures(caller, patient).await?,
                    )),
                    ("access" | "deletion" | "accounting_of_disclosures", None) => {
                        return Err(ValidationErrors::single(
                            "step",
                            "verify the requester's identity and link their chart first",
                        )
                        .into());
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        let mut tx = self.store.write().await?;
        let mut row = store::find_request(&mut tx, id)
            .await?
            .filter(|r| r.organisation_id == org)
            .ok_or(AppError::NotFound("privacy request"))?;
        if row.version != version {
            return Err(AppError::Conflict(
                "the request changed meanwhile; reload and try again".into(),
            ));
        }
        let calendar = self.practice_calendar(&mut tx, org).await?;
        let timeline = timeline_of(&row)?;
        let now = self.now();
        let mut consents = Vec::new();
        let mut summary_extra = String::new();
        let event = match &step {
            RequestStep::VerifyIdentity { patient, note } => {
                let chart = patient_store::find_patient(&mut tx, *patient)
                    .await?
                    .filter(|p| p.organisation_id == org && p.merged_into.is_none())
                    .ok_or_else(|| {
                        ValidationErrors::single("patient_id", "choose the requester's chart")
                    })?;
                let note = note.trim();
                if note.is_empty() || note.chars().count() > 500 {
                    return Err(ValidationErrors::single(
                        "identity_note",
                        "say how the identity was checked (1–500 characters), e.g. photo ID at the desk",
                    )
                    .into());
                }
                row.patient_id = Some(chart.id);
                row.identity_note = Some(note.to_string());
                if row.gpc {
                    consents.push((Purpose::SaleShare, Source::Gpc));
                }
                RequestEvent::VerifyIdentity
            }
            RequestStep::StartWork => RequestEvent::StartWork,
            RequestStep::Extend { reason } => RequestEvent::Extend {
                reason: reason.trim().to_string(),
                notice_sent_at: row.requester_email.as_ref().map(|_| now),
            },
            RequestStep::Deny { reason } => RequestEvent::Deny {
                reason: reason.trim().to_string(),
            },
            RequestStep::Fulfil { summary } => {
                match row.request_type.as_str() {
                    "marketing_opt_out" => {
                        consents.push((Purpose::MarketingEmail, Source::Form));
                        consents.push((Purpose::Sms, Source::Form));
                    }
                    "do_not_sell_share" => consents.push((Purpose::SaleShare, Source::Form)),
                    _ => {}
                }
                if !consents.is_empty() && row.patient_id.is_none() {
                    return Err(ValidationErrors::single(
                        "step",
                        "verify the requester's identity and link their chart first",
                    )
                    .into());
                }
                match &prepared {
                    Some(Prepared::Package(p)) => {
                        summary_extra = format!(
                            " Package {} ({} bytes) behind a one-time link valid {LINK_DAYS} days.",
                            p.file_name,
                            p.bytes.len()
                        );
                    }
                    Some(Prepared::Deleted(report)) => {
                        summary_extra = format!(" {}", deletion_summary(report));
                    }
                    Some(Prepared::Accounting(list)) => {
                        summary_extra = format!(" {}", accounting_summary(list));
                    }
                    None => {}
                }
                RequestEvent::Fulfil {
                    summary: format!("{}{summary_extra}", summary.trim()),
                }
            }
        };
        let next = advance(&timeline, event, now, &calendar)
            .map_err(|m| ValidationErrors::single("step", m))?;
        row.state = state_key(next.state()).into();
        row.timeline = serde_json::to_string(&next).map_err(AppError::corrupt)?;
        row.updated_at = now;
        let mut act = Act::new(Action::Update, target(org), "privacy request").id(id);
        act.patient_id = row.patient_id.map(|p| p.to_string());
        act.old = Some(state_key(timeline.state()).to_string());
        act.new = Some(row.state.clone());
        let mut tx = self.guard(tx, caller, act).await?;
        if !store::update_request(&mut tx, &row).await? {
            return Err(AppError::Conflict(
                "the request changed meanwhile; reload and try again".into(),
            ));
        }
        if let Some(patient) = row.patient_id {
            let mut history = self.consent_history(&mut tx, patient).await?;
            for (purpose, source) in consents {
                let consent = self.consent_row(caller, patient, &history, (purpose, false, source));
                consent_store::insert_consent(&mut tx, &consent).await?;
                history.push(kerato_domain::consent::ConsentEntry {
                    purpose,
                    granted: false,
                    source,
                    policy_version: None,
                    at: consent.recorded_at,
                });
            }
        }
        if row.request_type == "correction"
            && let Some(patient) = row.patient_id
        {
            let amendment = match &step {
                RequestStep::Fulfil { summary } => Some(("accepted", summary.trim(), None)),
                RequestStep::Deny { reason } => Some((
                    "denied",
                    row.details.trim(),
                    Some(reason.trim().to_string()),
                )),
                _ => None,
            };
            if let Some((decision, body, reason)) = amendment {
                if body.is_empty() {
                    return Err(ValidationErrors::single(
                        "summary",
                        "write the amendment as it is to be appended to the record",
                    )
                    .into());
                }
                store::insert_amendment(
                    &mut tx,
                    &AmendmentRow {
                        id: MessageId::new(now, self.random_id_bits()).to_string(),
                        organisation_id: org,
                        patient_id: patient,
                        request_id: Some(row.id),
                        decision: decision.into(),
                        body: body.to_string(),
                        reason,
                        recorded_by: caller.actor.user_id,
                        recorded_at: now,
                    },
                )
                .await?;
            }
        }
        let download_token = match prepared {
            Some(Prepared::Package(p)) => Some(self.store_download(&mut tx, &row, p).await?),
            _ => None,
        };
        if let (Some(email), RequestStep::Extend { reason }) = (&row.requester_email, &step) {
            outbox::queue_email(
                &mut tx,
                &MessageId::new(now, self.random_id_bits()).to_string(),
                email,
                "Your privacy request needs more time",
                &format!(
                    "We need more time to answer your request {id}: {}. We will answer by {}.",
                    reason.trim(),
                    due_at(&next, &calendar).to_jiff().strftime("%Y-%m-%d")
                ),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        row.version += 1;
        Ok(Fulfilment {
            row,
            download_token,
        })
    }

    /// Keeps an access package as an encrypted attachment behind a new
    /// one-time link, and e-mails the link to the requester if they gave
    /// an address; returns the link's token, which is nowhere else.
    async fn store_download(
        &self,
        tx: &mut Tx,
        row: &RightsRequestRow,
        package: crate::patient_data::AccessPackage,
    ) -> Result<String, AppError> {
        let files = self.attachments.clone().ok_or_else(|| {
            AppError::NotReady("packages are stored with the data directory's key, which this server was not given".into())
        })?;
        let now = self.now();
        let token = hex::encode(rand::random::<[u8; 32]>());
        let file_id = RightsRequestId::new(now, self.random_id_bits()).to_string();
        let link = DownloadLink {
            token_hash: token_hash(&token),
            request_id: row.id,
            organisation_id: row.organisation_id,
            file_id: file_id.clone(),
            file_name: package.file_name,
            created_at: now,
            expires_at: Timestamp::from_micros(
                now.as_micros().saturating_add(LINK_DAYS * 86_400_000_000),
            ),
            used_at: None,
        };
        store::insert_link(tx, &link).await?;
        files
            .put(&file_id, &package.bytes)
            .map_err(|e| AppError::NotReady(e.to_string()))?;
        if let Some(email) = &row.requester_email {
            outbox::queue_email(
                tx,
                &MessageId::new(now, self.random_id_bits()).to_string(),
                email,
                "Your records are ready",
                &format!(
                    "The copy of your records you asked for is ready. Open {} \
                     within {LINK_DAYS} days; the link works once.",
                    self.link(&format!("/privacy/download/{token}"))
                ),
                now,
            )
            .await?;
        }
        Ok(token)
    }

    /// Whether a download link can still be used: `Ok(file name)` if so.
    pub async fn download_status(&self, token: &str) -> Result<String, AppError> {
        let mut tx = self.store.read().await?;
        let link = store::find_link(&mut tx, &token_hash(token))
            .await?
            .ok_or(AppError::NotFound("download"))?;
        usable(&link, self.now())?;
        Ok(link.file_name)
    }

    /// Serves a package once: the link is marked used in the transaction
    /// that audits the download, and the file is deleted after it is read.
    pub async fn download_package(&self, token: &str) -> Result<(String, Vec<u8>), AppError> {
        let files = self.attachments.clone().ok_or_else(|| {
            AppError::NotReady("downloads are not available on this server".into())
        })?;
        let mut tx = self.store.write().await?;
        let hash = token_hash(token);
        let link = store::find_link(&mut tx, &hash)
            .await?
            .ok_or(AppError::NotFound("download"))?;
        let now = self.now();
        usable(&link, now)?;
        if link.file_id.is_empty() || !store::use_link(&mut tx, &hash, now).await? {
            return Err(AppError::Gone(
                "this link has been used; ask the practice for a new one".into(),
            ));
        }
        let request = store::find_request(&mut tx, link.request_id)
            .await?
            .ok_or(AppError::NotFound("privacy request"))?;
        let mut event = self.audit_event(
            None,
            AuditAction::Export,
            Resource::PrivacyRequest,
            AuditOutcome::Allowed,
        );
        event.organisation_id = Some(link.organisation_id.to_string());
        event.patient_id = request.patient_id.map(|p| p.to_string());
        event.resource_id = Some(link.request_id.to_string());
        event.category = "access package downloaded by the requester".into();
        kerato_store::audit::append(&mut tx, event).await?;
        let bytes = files
            .get(&link.file_id)
            .map_err(|e| AppError::NotReady(e.to_string()))?;
        tx.commit().await?;
        // The record now lives with the requester; the copy here goes.
        let _ = files.delete(&link.file_id);
        Ok((link.file_name, bytes))
    }

    /// Deletes the packages of links that expired unused: a copy of the
    /// record nobody fetched is not kept. Returns how many were deleted.
    pub async fn purge_expired_downloads(&self) -> Result<usize, AppError> {
        let Some(files) = self.attachments.clone() else {
            return Ok(0);
        };
        let mut tx = self.store.write().await?;
        let expired = store::expired_packages(&mut tx, self.now()).await?;
        for (hash, file) in &expired {
            files
                .delete(file)
                .map_err(|e| AppError::NotReady(e.to_string()))?;
            store::forget_package(&mut tx, hash).await?;
        }
        tx.commit().await?;
        Ok(expired.len())
    }

    /// Sends each due-soon, overdue and missing-notice alarm once to every
    /// active privacy officer's inbox; returns how many went out. The
    /// practice's scheduled task, with no caller; each alarm is audited.
    pub async fn send_rights_alarms(&self) -> Result<usize, AppError> {
        let mut tx = self.store.write().await?;
        let now = self.now();
        let mut sent = 0;
        for org in tenancy::list_organisations(&mut tx).await? {
            let officers: Vec<_> = users::list_users(&mut tx, org.id)
                .await?
                .into_iter()
                .filter(|u| u.active && u.role == Role::PrivacyOfficer)
                .collect();
            let calendar = self.practice_calendar(&mut tx, org.id).await?;
            for row in store::requests_of(&mut tx, org.id).await? {
                for alarm in alarms(&timeline_of(&row)?, now, &calendar) {
                    if !store::record_alarm(&mut tx, &alarm.key(), row.id, alarm.kind.as_str(), now)
                        .await?
                    {
                        continue;
                    }
                    // No requester name: the dashboard shows who it is.
                    let subject = format!(
                        "Privacy request {}: {}",
                        alarm.kind.as_str().replace('_', " "),
                        row.request_type.replace('_', " ")
                    );
                    let body = format!(
                        "Request {} is {} (deadline {}). Open Privacy requests to act on it.",
                        row.id,
                        alarm.kind.as_str().replace('_', " "),
                        alarm.deadline.to_jiff().strftime("%Y-%m-%d")
                    );
                    for officer in &officers {
                        users::insert_inbox_message(
                            &mut tx,
                            &MessageId::new(now, self.random_id_bits()).to_string(),
                            officer.id,
                            &subject,
                            &body,
                            now,
                        )
                        .await?;
                    }
                    let mut event = self.audit_event(
                        None,
                        AuditAction::Create,
                        Resource::PrivacyRequest,
                        AuditOutcome::Allowed,
                    );
                    event.organisation_id = Some(org.id.to_string());
                    event.resource_id = Some(row.id.to_string());
                    event.category = "privacy request alarm".into();
                    event.detail = Some(alarm.kind.as_str().into());
                    kerato_store::audit::append(&mut tx, event).await?;
                    sent += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(sent)
    }
}

impl App {
    /// Attaches the patient's statement of disagreement to their record
    /// after a denied amendment (45 CFR 164.526(d)): it goes with the
    /// record wherever the denied part goes.
    pub async fn attach_disagreement(
        &self,
        caller: &Caller,
        request: RightsRequestId,
        statement: &str,
    ) -> Result<AmendmentRow, AppError> {
        self.require(caller, Resource::PrivacyRequest, Action::Update, None)
            .await?;
        let statement = statement.trim();
        if statement.is_empty() || statement.chars().count() > 4000 {
            return Err(ValidationErrors::single(
                "statement",
                "paste the patient's statement of disagreement (1–4000 characters)",
            )
            .into());
        }
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        let row = store::find_request(&mut tx, request)
            .await?
            .filter(|r| r.organisation_id == org)
            .ok_or(AppError::NotFound("privacy request"))?;
        let (Some(patient), true, RequestState::Denied) = (
            row.patient_id,
            row.request_type == "correction",
            timeline_of(&row)?.state(),
        ) else {
            return Err(ValidationErrors::single(
                "statement",
                "a statement of disagreement answers a denied amendment request",
            )
            .into());
        };
        let now = self.now();
        let amendment = AmendmentRow {
            id: MessageId::new(now, self.random_id_bits()).to_string(),
            organisation_id: org,
            patient_id: patient,
            request_id: Some(request),
            decision: "disagreement".into(),
            body: statement.to_string(),
            reason: None,
            recorded_by: caller.actor.user_id,
            recorded_at: now,
        };
        let mut act =
            Act::new(Action::Update, target(org), "statement of disagreement").id(request);
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_amendment(&mut tx, &amendment).await?;
        tx.commit().await?;
        Ok(amendment)
    }

    /// A patient's amendments, denials and statements of disagreement,
    /// oldest first, shown with the chart.
    pub async fn amendments_of_patient(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<Vec<AmendmentRow>, AppError> {
        self.read_of_patient(
            caller,
            patient,
            (Resource::Patient, Action::View, "record amendments"),
            async |tx| Ok(store::amendments_of(tx, patient).await?),
        )
        .await
    }
}

/// The practice a public page belongs to: the one named by the page's
/// link (`practice`, an organisation ID), or the server's only practice
/// when the link names none. A server that holds several practices needs
/// the name, so a request never lands at the wrong one.
async fn server_practice(tx: &mut Tx, practice: &str) -> Result<OrganisationId, AppError> {
    let all = tenancy::list_organisations(tx).await?;
    let wrong_link = || {
        AppError::from(ValidationErrors::single(
            "practice",
            "this link names no practice of this server; open the form from the link your practice gave you",
        ))
    };
    match practice.trim() {
        "" => match all.as_slice() {
            [only] => Ok(only.id),
            [] => Err(AppError::NotReady("this server has no practice yet".into())),
            _ => Err(ValidationErrors::single(
                "practice",
                "open the form from the link your practice gave you: it names the practice",
            )
            .into()),
        },
        id => {
            let id: OrganisationId = id.parse().map_err(|_| wrong_link())?;
            all.iter()
                .find(|o| o.id == id)
                .map(|o| o.id)
                .ok_or_else(wrong_link)
        }
    }
}

impl App {
    /// The policy changes announced and not yet in force at the practice a
    /// public page belongs to (see `server_practice`), for its banner.
    pub async fn practice_announcements(
        &self,
        practice: &str,
    ) -> Result<Vec<crate::policies::Announcement>, AppError> {
        let mut tx = self.store.read().await?;
        let org = server_practice(&mut tx, practice).await?;
        drop(tx);
        self.announcements(org).await
    }
}

/// What a fulfilment did before its step was recorded.
enum Prepared {
    Package(crate::patient_data::AccessPackage),
    Deleted(crate::patient_data::DeletionReport),
    Accounting(Vec<(kerato_store::privacy::DisclosureRow, String)>),
}

/// The accounting of disclosures in words, for the answer to the
/// requester: each disclosure's date, recipient and purpose.
fn accounting_summary(list: &[(kerato_store::privacy::DisclosureRow, String)]) -> String {
    if list.is_empty() {
        return "No disclosures to account for in the last six years.".into();
    }
    let lines: Vec<String> = list
        .iter()
        .map(|(d, _)| {
            format!(
                "{} to {} for {}",
                d.disclosed_at.to_jiff().strftime("%Y-%m-%d"),
                d.recipient,
                d.purpose
            )
        })
        .collect();
    let count = match list.len() {
        1 => "1 disclosure".to_string(),
        n => format!("{n} disclosures"),
    };
    format!("{count} in the last six years: {}.", lines.join("; "))
}

/// The answer to a deletion request in words: what went, and what is
/// kept, why and until when.
pub fn deletion_summary(report: &crate::patient_data::DeletionReport) -> String {
    let deleted: u64 = report.deleted.iter().map(|(_, n)| n).sum();
    let kept: Vec<String> = report
        .kept
        .iter()
        .map(|k| match k.until {
            Some(until) => format!("{} ({}) until {until}", k.what, k.why),
            None => format!("{} ({})", k.what, k.why),
        })
        .collect();
    if kept.is_empty() {
        format!("Deleted {deleted} records; nothing is kept.")
    } else {
        format!("Deleted {deleted} records. Kept: {}.", kept.join("; "))
    }
}

impl App {
    /// Deletes what a patient's deletion request lets go, with the rules of
    /// the state of the practice's first location.
    async fn carry_out_deletion(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<crate::patient_data::DeletionReport, AppError> {
        let mut tx = self.store.read().await?;
        let org = caller.actor.organisation_id;
        let first = tenancy::list_locations(&mut tx, org)
            .await?
            .into_iter()
            .next();
        let holds = crate::retention::holds_covering(&mut tx, org, patient).await?;
        drop(tx);
        let Some(first) = first else {
            return Err(ValidationErrors::single(
                "step",
                "add the practice's location first: the retention rules follow its state",
            )
            .into());
        };
        let today = self
            .now()
            .to_jiff()
            .to_zoned_datetime(first.time_zone.zone().clone())
            .date();
        self.delete_patient_data(caller, patient, today, &first.address.state, &holds)
            .await
    }
}

/// Refuses an expired or used link with what to do next.
fn usable(link: &DownloadLink, now: Timestamp) -> Result<(), AppError> {
    if link.used_at.is_some() {
        return Err(AppError::Gone(
            "this link has been used; ask the practice for a new one".into(),
        ));
    }
    if now >= link.expires_at {
        return Err(AppError::Gone(
            "this link has expired; ask the practice for a new one".into(),
        ));
    }
    Ok(())
}
