//! Versioned policy documents, clinic side: the privacy officer publishes
//! a new version of the notice of privacy practices or the privacy
//! statement; a material change can only take effect 30 days after it is
//! announced (the domain's `policy` rule); the announcement goes to every
//! patient with an e-mail address through the outbox and shows as a
//! banner until it takes effect; staff record a patient's acknowledgement
//! of the version they received.

use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{MessageId, OrganisationId, PatientId};
use kerato_domain::policy::{
    AcknowledgementInput, PolicyInput, PolicyKind, PolicyVersion, PublishedPolicy,
    check_publication, in_force,
};
use kerato_domain::time::Timestamp;
use kerato_store::{Tx, outbox, patients as patient_store, rights as store};

use crate::authz::{Act, Caller};
use crate::{App, AppError};

/// A change announced and not yet in force, for the banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub kind: PolicyKind,
    pub version: u32,
    pub effective_at: Timestamp,
    pub summary: String,
}

fn rule_versions(published: &[PublishedPolicy]) -> Vec<PolicyVersion> {
    published
        .iter()
        .map(PublishedPolicy::rule_version)
        .collect()
}

fn policy_target(org: OrganisationId) -> Target {
    Target {
        organisation: org,
        location: None,
        resource: Resource::PrivacyRequest,
    }
}

impl App {
    /// Publishes the next version of a policy, announced now. Refused,
    /// with the date it could take effect, when a material change would
    /// take effect less than 30 days after this announcement. The
    /// announcement is queued for every patient with an e-mail address in
    /// the same transaction.
    pub async fn publish_policy(
        &self,
        caller: &Caller,
        input: &PolicyInput,
    ) -> Result<PublishedPolicy, AppError> {
        // The privacy officer owns the notices, as the privacy program's
        // documents; the permission is that of the program's requests.
        self.require(caller, Resource::PrivacyRequest, Action::Create, None)
            .await?;
        let target = policy_target(caller.actor.organisation_id);
        self.publish(caller, input, (Action::Create, target), |_| Ok(()))
            .await
    }

    /// The practice's first notice of privacy practices, published by the
    /// administrator as part of the set-up (the privacy officer publishes
    /// every later version): refused once the practice has one.
    pub async fn publish_first_notice(
        &self,
        caller: &Caller,
        input: &PolicyInput,
    ) -> Result<PublishedPolicy, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let target = Target {
            organisation: caller.actor.organisation_id,
            location: None,
            resource: Resource::Organisation,
        };
        let first = |existing: &[PublishedPolicy]| {
            if existing
                .iter()
                .any(|p| p.kind == PolicyKind::NoticeOfPrivacyPractices)
            {
                Err(AppError::Conflict(
                    "the practice already has a notice of privacy practices; the privacy officer publishes new versions"
                        .into(),
                ))
            } else {
                Ok(())
            }
        };
        let input = PolicyInput {
            kind: PolicyKind::NoticeOfPrivacyPractices,
            ..input.clone()
        };
        self.publish(caller, &input, (Action::Update, target), first)
            .await
    }

    /// Publishes `input` as the next version, audited as `act` (the action
    /// on its target), once `allowed` accepts the practice's existing
    /// versions.
    async fn publish(
        &self,
        caller: &Caller,
        input: &PolicyInput,
        (action, target): (Action, Target),
        allowed: impl FnOnce(&[PublishedPolicy]) -> Result<(), AppError>,
    ) -> Result<PublishedPolicy, AppError> {
        // One reading of the clock: the announcement and a version that
        // takes effect at once share it.
        let now = self.now();
        let kind = input.kind;
        let effective_at = input
            .effective_on
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .map(|z| Timestamp::from_jiff(z.timestamp()))
            .map_err(|_| {
                ValidationErrors::single(
                    "effective_on",
                    "write the day it takes effect as YYYY-MM-DD",
                )
            })?;
        // A version that takes effect today does so as it is published,
        // not at a midnight already past.
        let effective_at =
            if effective_at < now && now.as_micros() - effective_at.as_micros() < 86_400_000_000 {
                now
            } else {
                effective_at
            };
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        let existing = store::policies_of(&mut tx, org).await?;
        allowed(&existing)?;
        let next = existing
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| p.version)
            .max()
            .unwrap_or(0)
            .checked_add(1)
            .ok_or_else(|| AppError::corrupt("a policy's version number overflowed"))?;
        let policy = PublishedPolicy {
            organisation_id: org,
            kind,
            version: next,
            announced_at: now,
            effective_at,
            material: input.material,
            summary: input.summary.clone(),
            body: input.body.clone(),
            published_by: caller.actor.user_id,
        };
        check_publication(&policy.rule_version(), &rule_versions(&existing), now)?;
        let act = Act::new(action, target, "policy version")
            .id(format!("{}:{next}", kind.as_str()))
            .new_value(&serde_json::json!({
                "kind": kind.as_str(), "version": next, "material": input.material,
                "effective_at": effective_at.to_string(),
            }));
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_policy(&mut tx, &policy).await?;
        self.announce(&mut tx, &policy).await?;
        tx.commit().await?;
        Ok(policy)
    }

    /// Queues the announcement of a new version to every patient of the
    /// organisation who gave an e-mail address.
    async fn announce(&self, tx: &mut Tx, policy: &PublishedPolicy) -> Result<(), AppError> {
        let now = self.now();
        let kind = policy.kind;
        let subject = format!("Changes to our {}", kind.label().to_lowercase());
        let body = format!(
            "Our {} changes on {}: {} You can read the new version at the front desk or on our site.",
            kind.label().to_lowercase(),
            policy.effective_at.to_jiff().strftime("%Y-%m-%d"),
            policy.summary
        );
        for email in patient_store::emails_of(tx, policy.organisation_id).await? {
            outbox::queue_email(
                tx,
                &MessageId::new(now, self.random_id_bits()).to_string(),
                &email,
                &subject,
                &body,
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// Every version of every policy, by kind and version.
    pub async fn policies(&self, caller: &Caller) -> Result<Vec<PublishedPolicy>, AppError> {
        let mut tx = self
            .guard_org(
                caller,
                Action::Query,
                Resource::PrivacyRequest,
                "policy versions",
            )
            .await?;
        let rows = store::policies_of(&mut tx, caller.actor.organisation_id).await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Changes announced and not yet in force, for the banner; anyone may
    /// see them, signed in or not, so no caller is needed.
    pub async fn announcements(&self, org: OrganisationId) -> Result<Vec<Announcement>, AppError> {
        let mut tx = self.store.read().await?;
        let rows = store::policies_of(&mut tx, org).await?;
        let now = self.now();
        Ok(rows
            .into_iter()
            .filter(|r| r.effective_at > now)
            .map(|r| Announcement {
                kind: r.kind,
                version: r.version,
                effective_at: r.effective_at,
                summary: r.summary,
            })
            .collect())
    }

    /// The version of a policy in force now, if one was published.
    pub async fn policy_in_force(
        &self,
        org: OrganisationId,
        kind: PolicyKind,
    ) -> Result<Option<PublishedPolicy>, AppError> {
        let mut tx = self.store.read().await?;
        let published = store::policies_of(&mut tx, org).await?;
        let current = in_force(&rule_versions(&published), kind, self.now()).map(|v| v.version);
        Ok(published
            .into_iter()
            .find(|r| r.kind == kind && Some(r.version) == current))
    }

    /// Records that a patient received (and acknowledged) a version.
    pub async fn record_policy_acknowledgement(
        &self,
        caller: &Caller,
        patient: PatientId,
        input: &AcknowledgementInput,
    ) -> Result<(), AppError> {
        let AcknowledgementInput { kind, version } = *input;
        self.require(caller, Resource::Patient, Action::Update, None)
            .await?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        patient_store::find_patient(&mut tx, patient)
            .await?
            .filter(|p| p.organisation_id == org)
            .ok_or(AppError::NotFound("patient"))?;
        if !store::policies_of(&mut tx, org)
            .await?
            .iter()
            .any(|p| p.kind == kind && p.version == version)
        {
            return Err(ValidationErrors::single(
                "version",
                "that version was never published; choose one from the list",
            )
            .into());
        }
        let mut act = Act::new(
            Action::Update,
            Target {
                resource: Resource::Patient,
                ..policy_target(org)
            },
            "policy acknowledgement",
        )
        .new_value(&serde_json::json!({ "kind": kind.as_str(), "version": version }));
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        store::record_acceptance(
            &mut tx,
            org,
            (kind, version),
            patient,
            Some(caller.actor.user_id),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The notice of privacy practices in force and whether the patient
    /// acknowledged receiving it: (version, acknowledged), or `None` when
    /// no notice was published. Read with the chart, audited with it.
    pub async fn notice_acknowledgement(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<Option<(i64, bool)>, AppError> {
        let kind = PolicyKind::NoticeOfPrivacyPractices;
        let Some(current) = self
            .policy_in_force(caller.actor.organisation_id, kind)
            .await?
        else {
            return Ok(None);
        };
        let acknowledged = self
            .read_of_patient(
                caller,
                patient,
                (Resource::Patient, Action::View, "policy acknowledgement"),
                async |tx| Ok(store::acceptances_of(tx, patient, kind).await?),
            )
            .await?;
        Ok(Some((
            i64::from(current.version),
            acknowledged.contains(&current.version),
        )))
    }
}
