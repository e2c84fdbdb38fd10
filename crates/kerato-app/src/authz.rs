//! The one choke point for access: every use case that touches protected
//! data passes through [`App::guard`], which decides with the domain's
//! rules and writes the audit event. Allowed actions are audited inside the
//! caller's transaction (so the event and the change commit or vanish
//! together); denied ones roll the transaction back and are audited in their
//! own, because a denial must be recorded even though nothing else happens.

use kerato_domain::audit::{AuditAction, NewAuditEvent, Outcome};
use kerato_domain::identity::{Action, Actor, Decision, Denial, Resource, Target, decide};
use kerato_domain::ids::AuditEventId;
use kerato_domain::ids::PatientId;
use kerato_store::{Tx, audit, patients as patient_store};

use crate::{App, AppError};

/// A signed-in user and where the request came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub actor: Actor,
    /// For greeting the user; not used in decisions.
    pub display_name: String,
    /// The client address, for the audit trail.
    pub source_ip: Option<String>,
}

/// One attempted action, described for the decision and the audit event.
#[derive(Debug, Clone)]
pub(crate) struct Act {
    pub action: Action,
    pub target: Target,
    pub patient_id: Option<String>,
    pub resource_id: Option<String>,
    /// The data category (ASTM E2147 7.1.9).
    pub category: &'static str,
    /// JSON of the record before the change.
    pub old: Option<String>,
    /// JSON of the record after the change.
    pub new: Option<String>,
}

impl Act {
    pub fn new(action: Action, target: Target, category: &'static str) -> Self {
        Self {
            action,
            target,
            patient_id: None,
            resource_id: None,
            category,
            old: None,
            new: None,
        }
    }

    pub fn id(mut self, id: impl ToString) -> Self {
        self.resource_id = Some(id.to_string());
        self
    }

    pub fn old<T: serde::Serialize>(mut self, value: &T) -> Self {
        self.old = serde_json::to_string(value).ok();
        self
    }

    pub fn new_value<T: serde::Serialize>(mut self, value: &T) -> Self {
        self.new = serde_json::to_string(value).ok();
        self
    }
}

/// What guarding one step of a shared transaction decided: the step's
/// result, or the denial the caller records once the transaction is gone
/// (see [`App::record_denial`]).
#[derive(Debug)]
pub(crate) enum Guarded<T> {
    Allowed(T),
    Denied(Act, Denial),
}

/// Resources whose reads are PHI and so are audited even when only viewed.
fn reads_are_audited(resource: Resource) -> bool {
    !matches!(
        resource,
        Resource::Organisation
            | Resource::Location
            | Resource::User
            | Resource::Session
            | Resource::EmergencyAccess
    )
}

fn needs_audit(action: Action, resource: Resource) -> bool {
    !matches!(action, Action::View | Action::Query) || reads_are_audited(resource)
}

fn denial_message(d: Denial) -> String {
    match d {
        Denial::OtherOrganisation | Denial::Location => {
            "you do not have access to this record; if it is an emergency, use emergency access"
                .into()
        }
        Denial::Role => "your role does not allow this; ask an administrator if you need it".into(),
    }
}

impl App {
    pub(crate) fn audit_event(
        &self,
        caller: Option<&Caller>,
        action: AuditAction,
        resource: Resource,
        outcome: Outcome,
    ) -> NewAuditEvent {
        let now = self.now();
        NewAuditEvent {
            id: AuditEventId::new(now, self.random_id_bits()).to_string(),
            at: now,
            organisation_id: caller.map(|c| c.actor.organisation_id.to_string()),
            user_id: caller.map(|c| c.actor.user_id.to_string()),
            patient_id: None,
            action,
            resource: resource.as_str().to_string(),
            resource_id: None,
            category: resource.as_str().to_string(),
            old_value: None,
            new_value: None,
            source_ip: caller.and_then(|c| c.source_ip.clone()),
            outcome,
            emergency: false,
            detail: None,
        }
    }

    fn act_event(&self, caller: &Caller, act: &Act, outcome: Outcome) -> NewAuditEvent {
        let mut e = self.audit_event(
            Some(caller),
            act.action.into(),
            act.target.resource,
            outcome,
        );
        e.organisation_id = Some(act.target.organisation.to_string());
        e.user_id = Some(caller.actor.user_id.to_string());
        e.patient_id = act.patient_id.clone();
        e.resource_id = act.resource_id.clone();
        e.category = act.category.to_string();
        e.old_value = act.old.clone();
        e.new_value = act.new.clone();
        e
    }

    /// Decides `act` for `caller`; see the module comment.
    pub(crate) async fn guard(
        &self,
        mut tx: Tx,
        caller: &Caller,
        act: Act,
    ) -> Result<Tx, AppError> {
        match self.guard_in(&mut tx, caller, &act).await? {
            None => Ok(tx),
            Some(why) => {
                drop(tx);
                Err(self.record_denial(caller, &act, why).await?)
            }
        }
    }

    /// Decides `act` inside `tx`: when allowed, the audit event is written
    /// there and `None` returned; when denied, nothing is written and the
    /// reason returned, for [`App::record_denial`] once `tx` is gone.
    pub(crate) async fn guard_in(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        act: &Act,
    ) -> Result<Option<Denial>, AppError> {
        match decide(&caller.actor, act.action, &act.target, self.now()) {
            Decision::Allowed { emergency } => {
                if emergency || needs_audit(act.action, act.target.resource) {
                    let mut event = self.act_event(caller, act, Outcome::Allowed);
                    event.emergency = emergency;
                    if emergency {
                        event.detail = Some("allowed by emergency access".into());
                    }
                    audit::record(tx, event).await?;
                }
                Ok(None)
            }
            Decision::Denied(why) => Ok(Some(why)),
        }
    }

    /// Audits a denial in its own transaction and returns the error the
    /// caller sees.
    pub(crate) async fn record_denial(
        &self,
        caller: &Caller,
        act: &Act,
        why: Denial,
    ) -> Result<AppError, AppError> {
        let mut event = self.act_event(caller, act, Outcome::Denied);
        event.detail = Some(format!("denied: {}", why.as_str()));
        let mut tx = self.store.write().await?;
        audit::append(&mut tx, event).await?;
        tx.commit().await?;
        tracing::warn!(
            user = %caller.actor.user_id,
            action = act.action.as_str(),
            resource = act.target.resource.as_str(),
            reason = why.as_str(),
            "access denied"
        );
        Ok(AppError::Forbidden(denial_message(why)))
    }

    /// Opens a transaction and guards an action on a resource of the
    /// caller's whole organisation (a list, a setting), the common case. A
    /// view or a query gets a read transaction, whose audit event is made
    /// durable by its commit, shared with the reads beside it; anything else
    /// gets the writer.
    pub(crate) async fn guard_org(
        &self,
        caller: &Caller,
        action: Action,
        resource: Resource,
        category: &'static str,
    ) -> Result<Tx, AppError> {
        let tx = if matches!(action, Action::View | Action::Query) {
            self.store.read().await?
        } else {
            self.store.write().await?
        };
        let target = Target {
            organisation: caller.actor.organisation_id,
            location: None,
            resource,
        };
        self.guard(tx, caller, Act::new(action, target, category))
            .await
    }

    /// Checks that the caller may do `action` on `resource` (at `location`)
    /// before a page that only shows a form; nothing is read, so only a
    /// denial is audited.
    pub async fn require(
        &self,
        caller: &Caller,
        resource: Resource,
        action: Action,
        location: Option<kerato_domain::ids::LocationId>,
    ) -> Result<(), AppError> {
        let target = Target {
            organisation: caller.actor.organisation_id,
            location,
            resource,
        };
        match decide(&caller.actor, action, &target, self.now()) {
            Decision::Allowed { .. } => Ok(()),
            Decision::Denied(_) => {
                // guard() records and reports the denial the same way.
                let tx = self.store.write().await?;
                self.guard(tx, caller, Act::new(action, target, "page"))
                    .await
                    .map(drop)
            }
        }
    }

    /// Writes a security event (sign-in, sign-out, privilege change) in its
    /// own transaction.
    pub(crate) async fn audit_now(&self, event: NewAuditEvent) -> Result<(), AppError> {
        let mut tx = self.store.write().await?;
        audit::append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl App {
    /// Reads something of one patient's, audited: the role must allow
    /// `action` on `resource`, the patient must be the caller's
    /// organisation's, and the read is audited in the transaction it
    /// happens in. `fetch` does the reading.
    pub(crate) async fn read_of_patient<T>(
        &self,
        caller: &Caller,
        patient: PatientId,
        (resource, action, category): (Resource, Action, &'static str),
        fetch: impl AsyncFnOnce(&mut Tx) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        self.require(caller, resource, action, None).await?;
        let mut tx = self.store.read().await?;
        patient_store::find_patient(&mut tx, patient)
            .await?
            .filter(|p| p.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("patient"))?;
        let value = fetch(&mut tx).await?;
        let target = Target {
            organisation: caller.actor.organisation_id,
            location: None,
            resource,
        };
        let mut act = Act::new(action, target, category);
        act.patient_id = Some(patient.to_string());
        let tx = self.guard(tx, caller, act).await?;
        tx.commit().await?;
        Ok(value)
    }
}
