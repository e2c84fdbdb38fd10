//! Receiving a rights request, the privacy officer's dashboard, one
//! request with its clock, and the charts that may be the requester's.

use kerato_domain::ValidationErrors;
use kerato_domain::audit::{AuditAction, Outcome as AuditOutcome};
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::{MessageId, OrganisationId, RightsRequestId};
use kerato_domain::rights::{
    Channel, RequestEvent, RequestInput, RequestTimeline, Requester, RightsRequest, advance,
    by_urgency, due_at, regime_for,
};
use kerato_domain::time::Timestamp;
use kerato_store::{Tx, outbox, patients as patient_store, rights as store};

use super::{clock, server_practice, target};
use crate::authz::{Act, Caller};
use crate::{App, AppError};

/// A request on the dashboard, with its clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestView {
    pub request: RightsRequest,
    pub due_at: Timestamp,
    pub days_left: i64,
    pub overdue: bool,
}

impl App {
    /// Receives a rights request. From the portal there is no caller and
    /// the request belongs to the practice its link names (or the server's
    /// only one); from staff the caller must be a privacy officer. `gpc` is
    /// whether the browser sent the Global Privacy Control signal: it is
    /// kept with the request and applied as a sale/share opt-out once the
    /// requester's chart is known. An e-mail confirms receipt when the
    /// requester gave an address.
    pub async fn receive_rights_request(
        &self,
        caller: Option<&Caller>,
        channel: Channel,
        input: &RequestInput,
        gpc: bool,
    ) -> Result<RightsRequest, AppError> {
        if let Some(c) = caller {
            self.require(c, Resource::PrivacyRequest, Action::Create, None)
                .await?;
        }
        let mut tx = self.store.write().await?;
        let org = match caller {
            Some(c) => c.actor.organisation_id,
            None => server_practice(&mut tx, input.practice).await?,
        };
        let now = self.now();
        let id = RightsRequestId::new(now, self.random_id_bits());
        // The clinic holds PHI, so a patient's requests follow HIPAA where
        // HIPAA has a clock, and the statement's promise elsewhere.
        let regime = regime_for(input.request_type, true, input.jurisdiction);
        let mut timeline = RequestTimeline::new(id, input.request_type, regime, now);
        let calendar = self.practice_calendar(&mut tx, org).await?;
        if input.email.is_some() {
            timeline = advance(&timeline, RequestEvent::ConfirmReceipt, now, &calendar)
                .map_err(|m| ValidationErrors::single("request", m))?;
        }
        let request = RightsRequest {
            id,
            organisation_id: org,
            patient_id: None,
            requester: Requester {
                name: input.name(),
                date_of_birth: Some(input.date_of_birth),
                email: input.email.clone(),
                phone: input.phone.clone(),
            },
            details: input.details.clone(),
            channel,
            gpc,
            timeline,
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
        store::insert_request(&mut tx, &request).await?;
        if let Some(email) = &input.email {
            let due = due_at(&request.timeline, &calendar);
            outbox::queue_email(
                &mut tx,
                &MessageId::new(now, self.random_id_bits()).to_string(),
                email,
                "We received your privacy request",
                &format!(
                    "We received your request ({}) on {}. We will answer by {} at the latest, and \
                     we may first ask you to prove who you are. Reference: {id}.",
                    input.request_type.label().to_lowercase(),
                    now.to_jiff().strftime("%Y-%m-%d"),
                    due.to_jiff().strftime("%Y-%m-%d"),
                ),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(request)
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
        let views = self
            .requests_in(&mut tx, caller.actor.organisation_id)
            .await?;
        tx.commit().await?;
        Ok(views)
    }

    /// Every request of `org` with its clock, read in `tx`, open ones
    /// first and the most urgent on top.
    pub(super) async fn requests_in(
        &self,
        tx: &mut Tx,
        org: OrganisationId,
    ) -> Result<Vec<RequestView>, AppError> {
        let calendar = self.practice_calendar(tx, org).await?;
        let requests = store::requests_of(tx, org).await?;
        let now = self.now();
        let timelines: Vec<RequestTimeline> = requests.iter().map(|r| r.timeline.clone()).collect();
        let order: Vec<RightsRequestId> = by_urgency(&timelines, now, &calendar)
            .into_iter()
            .map(|t| t.id)
            .collect();
        let mut views: Vec<RequestView> = requests
            .into_iter()
            .map(|request| {
                let (due_at, days_left, overdue) = clock(&request.timeline, now, &calendar);
                RequestView {
                    request,
                    due_at,
                    days_left,
                    overdue,
                }
            })
            .collect();
        views.sort_by_key(|v| order.iter().position(|id| *id == v.request.id));
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
        let mut tx = self.store.read().await?;
        let request = store::find_request(&mut tx, id)
            .await?
            .filter(|r| r.organisation_id == org)
            .ok_or(AppError::NotFound("privacy request"))?;
        let calendar = self.practice_calendar(&mut tx, org).await?;
        let mut act = Act::new(Action::View, target(org), "privacy request").id(id);
        act.patient_id = request.patient_id.map(|p| p.to_string());
        let tx = self.guard(tx, caller, act).await?;
        tx.commit().await?;
        let (due_at, days_left, overdue) = clock(&request.timeline, self.now(), &calendar);
        Ok(RequestView {
            request,
            due_at,
            days_left,
            overdue,
        })
    }

    /// Charts that may be the requester's: same first and last name and
    /// date of birth as given on the request.
    pub async fn request_candidates(
        &self,
        caller: &Caller,
        request: &RightsRequest,
    ) -> Result<Vec<kerato_domain::patients::Patient>, AppError> {
        let Some(dob) = request.requester.date_of_birth else {
            return Ok(Vec::new());
        };
        let name = &request.requester.name;
        let (first, last) = name.rsplit_once(' ').unwrap_or(("", name.as_str()));
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
}
