//! The privacy officer's steps on a request, through the domain's rules,
//! and what fulfilling one does: an access package behind a one-time
//! link, opt-outs in the consent registry, a deletion by the retention
//! rules, an accounting of disclosures, an amendment on the record.

use kerato_domain::ValidationErrors;
use kerato_domain::consent::{ConsentEntry, Purpose, Source};
use kerato_domain::identity::{Action, Resource};
use kerato_domain::ids::{MessageId, PatientId, RightsRequestId};
use kerato_domain::privacy::Disclosure;
use kerato_domain::rights::{
    AmendmentDecision, LINK_DAYS, RequestEvent, RequestStep, RequestType, RightsRequest, advance,
    due_at,
};
use kerato_store::{
    consents as consent_store, outbox, patients as patient_store, rights as store, tenancy,
};

use super::target;
use crate::authz::{Act, Caller};
use crate::patient_data::{AccessPackage, DeletionReport};
use crate::{App, AppError};

/// What fulfilling a request produced for the privacy officer to pass on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fulfilment {
    pub request: RightsRequest,
    /// For an access request: the download link's token, shown once.
    pub download_token: Option<String>,
}

/// What a fulfilment did before its step was recorded.
enum Prepared {
    Package(AccessPackage),
    Deleted(DeletionReport),
    Accounting(Vec<(Disclosure, String)>),
}

fn link_chart_first() -> AppError {
    ValidationErrors::single(
        "step",
        "verify the requester's identity and link their chart first",
    )
    .into()
}

impl App {
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
            RequestStep::Fulfil { .. } => self.prepare_fulfilment(caller, id).await?,
            _ => None,
        };
        let mut tx = self.store.write().await?;
        let mut request = store::find_request(&mut tx, id)
            .await?
            .filter(|r| r.organisation_id == org)
            .ok_or(AppError::NotFound("privacy request"))?;
        if request.version != version {
            return Err(AppError::Conflict(
                "the request changed meanwhile; reload and try again".into(),
            ));
        }
        let calendar = self.practice_calendar(&mut tx, org).await?;
        let before = request.state();
        let now = self.now();
        let mut consents = Vec::new();
        let event = match &step {
            RequestStep::VerifyIdentity { patient, note } => {
                let chart = patient_store::find_patient(&mut tx, *patient)
                    .await?
                    .filter(|p| p.organisation_id == org && p.merged_into.is_none())
                    .ok_or_else(|| {
                        ValidationErrors::single("patient_id", "choose the requester's chart")
                    })?;
                request.patient_id = Some(chart.id);
                request.identity_note = Some(note.clone());
                if request.gpc {
                    consents.push((Purpose::SaleShare, Source::Gpc));
                }
                RequestEvent::VerifyIdentity
            }
            RequestStep::StartWork => RequestEvent::StartWork,
            RequestStep::Extend { reason } => RequestEvent::Extend {
                reason: reason.clone(),
                notice_sent_at: request.requester.email.as_ref().map(|_| now),
            },
            RequestStep::Deny { reason } => RequestEvent::Deny {
                reason: reason.clone(),
            },
            RequestStep::Fulfil { summary } => {
                match request.request_type() {
                    RequestType::MarketingOptOut => {
                        consents.push((Purpose::MarketingEmail, Source::Form));
                        consents.push((Purpose::Sms, Source::Form));
                    }
                    RequestType::DoNotSellShare => {
                        consents.push((Purpose::SaleShare, Source::Form))
                    }
                    _ => {}
                }
                if !consents.is_empty() && request.patient_id.is_none() {
                    return Err(link_chart_first());
                }
                let extra = match &prepared {
                    Some(Prepared::Package(p)) => format!(
                        " Package {} ({} bytes) behind a one-time link valid {LINK_DAYS} days.",
                        p.file_name,
                        p.bytes.len()
                    ),
                    Some(Prepared::Deleted(report)) => format!(" {}", deletion_summary(report)),
                    Some(Prepared::Accounting(list)) => format!(" {}", accounting_summary(list)),
                    None => String::new(),
                };
                RequestEvent::Fulfil {
                    summary: format!("{summary}{extra}"),
                }
            }
        };
        request.timeline = advance(&request.timeline, event, now, &calendar)
            .map_err(|m| ValidationErrors::single("step", m))?;
        request.updated_at = now;
        let mut act = Act::new(Action::Update, target(org), "privacy request").id(id);
        act.patient_id = request.patient_id.map(|p| p.to_string());
        act.old = Some(before.as_str().to_string());
        act.new = Some(request.state().as_str().to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        if !store::update_request(&mut tx, &request).await? {
            return Err(AppError::Conflict(
                "the request changed meanwhile; reload and try again".into(),
            ));
        }
        if let Some(patient) = request.patient_id {
            self.record_opt_outs(&mut tx, caller, patient, consents)
                .await?;
        }
        if request.request_type() == RequestType::Correction
            && let Some(patient) = request.patient_id
        {
            let decision = match &step {
                RequestStep::Fulfil { summary } => {
                    Some((AmendmentDecision::Accepted, summary.clone(), None))
                }
                RequestStep::Deny { reason } => Some((
                    AmendmentDecision::Denied,
                    request.details.trim().to_string(),
                    Some(reason.clone()),
                )),
                _ => None,
            };
            if let Some((decision, body, reason)) = decision {
                if body.is_empty() {
                    return Err(ValidationErrors::single(
                        "summary",
                        "write the amendment as it is to be appended to the record",
                    )
                    .into());
                }
                let amendment =
                    self.amendment(caller, (patient, Some(request.id)), decision, body, reason);
                store::insert_amendment(&mut tx, &amendment).await?;
            }
        }
        let download_token = match prepared {
            Some(Prepared::Package(p)) => Some(self.store_download(&mut tx, &request, p).await?),
            _ => None,
        };
        if let (Some(email), RequestStep::Extend { reason }) = (&request.requester.email, &step) {
            outbox::queue_email(
                &mut tx,
                &MessageId::new(now, self.random_id_bits()).to_string(),
                email,
                "Your privacy request needs more time",
                &format!(
                    "We need more time to answer your request {id}: {reason}. We will answer by {}.",
                    due_at(&request.timeline, &calendar)
                        .to_jiff()
                        .strftime("%Y-%m-%d")
                ),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        request.version += 1;
        Ok(Fulfilment {
            request,
            download_token,
        })
    }

    /// Builds what fulfilling the request needs before its step: the
    /// access package, the deletion or the accounting, each in its own
    /// audited transaction; nothing for the other types.
    async fn prepare_fulfilment(
        &self,
        caller: &Caller,
        id: RightsRequestId,
    ) -> Result<Option<Prepared>, AppError> {
        let mut tx = self.store.read().await?;
        let request = store::find_request(&mut tx, id)
            .await?
            .filter(|r| r.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("privacy request"))?;
        drop(tx);
        let kind = request.request_type();
        let needs_chart = matches!(
            kind,
            RequestType::Access | RequestType::Deletion | RequestType::AccountingOfDisclosures
        );
        let Some(patient) = request.patient_id else {
            return if needs_chart {
                Err(link_chart_first())
            } else {
                Ok(None)
            };
        };
        Ok(match kind {
            RequestType::Access => Some(Prepared::Package(
                self.access_package(caller, patient).await?,
            )),
            RequestType::Deletion => Some(Prepared::Deleted(
                self.carry_out_deletion(caller, patient).await?,
            )),
            RequestType::AccountingOfDisclosures => Some(Prepared::Accounting(
                self.accounting_of_disclosures(caller, patient).await?,
            )),
            _ => None,
        })
    }

    /// Writes a request's opt-outs to the patient's consent history, each
    /// after the answers before it.
    async fn record_opt_outs(
        &self,
        tx: &mut kerato_store::Tx,
        caller: &Caller,
        patient: PatientId,
        opt_outs: Vec<(Purpose, Source)>,
    ) -> Result<(), AppError> {
        if opt_outs.is_empty() {
            return Ok(());
        }
        let mut history = self.consent_history(tx, patient).await?;
        for (purpose, source) in opt_outs {
            let consent = self.consent_row(caller, patient, &history, (purpose, false, source));
            consent_store::insert_consent(tx, &consent).await?;
            history.push(ConsentEntry {
                purpose,
                granted: false,
                source,
                policy_version: None,
                at: consent.recorded_at,
            });
        }
        Ok(())
    }

    /// Deletes what a patient's deletion request lets go, with the rules of
    /// the state of the practice's first location.
    async fn carry_out_deletion(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<DeletionReport, AppError> {
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

/// The accounting of disclosures in words, for the answer to the
/// requester: each disclosure's date, recipient and purpose.
fn accounting_summary(list: &[(Disclosure, String)]) -> String {
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
pub fn deletion_summary(report: &DeletionReport) -> String {
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
