//! Disclosures of PHI and the accounting of them (HIPAA §164.528).

use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{DisclosureId, PatientId};
use kerato_domain::privacy::{ACCOUNTING_YEARS, Disclosure, DisclosureInput};
use kerato_domain::time::Timestamp;
use kerato_store::privacy as store;

use crate::authz::{Act, Caller};
use crate::{App, AppError};

impl App {
    /// Records a disclosure of a patient's information, in the accounting
    /// the patient is owed.
    pub async fn record_disclosure(
        &self,
        caller: &Caller,
        input: &DisclosureInput,
    ) -> Result<Disclosure, AppError> {
        self.require(caller, Resource::Disclosure, Action::Create, None)
            .await?;
        let now = self.now();
        // A disclosure is dated by its day, from the start of it (UTC).
        let disclosed_at = input
            .disclosed_on
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .map(|z| Timestamp::from_jiff(z.timestamp()))
            .ok()
            .filter(|at| *at <= now)
            .ok_or_else(|| {
                ValidationErrors::single(
                    "disclosed_on",
                    "the date of a disclosure cannot be in the future",
                )
            })?;
        let disclosure = Disclosure {
            id: DisclosureId::new(now, self.random_id_bits()),
            patient_id: input.patient,
            disclosed_at,
            recipient: input.recipient.clone(),
            purpose: input.purpose.clone(),
            description: input.description.clone(),
            disclosed_by: caller.actor.user_id,
            created_at: now,
        };
        let org = caller.actor.organisation_id;
        let tx = self.store.write().await?;
        let target = Target {
            organisation: org,
            location: None,
            resource: Resource::Disclosure,
        };
        let mut act = Act::new(Action::Create, target, "disclosure")
            .id(disclosure.id)
            .new_value(&serde_json::json!({
                "recipient": disclosure.recipient, "purpose": disclosure.purpose,
                "disclosed_at": disclosure.disclosed_at.to_string(),
            }));
        act.patient_id = Some(input.patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_disclosure(&mut tx, org, &disclosure).await?;
        tx.commit().await?;
        Ok(disclosure)
    }

    /// A patient's disclosures of the last six years, oldest first, each
    /// with the name of the staff member who made it.
    pub async fn accounting_of_disclosures(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<Vec<(Disclosure, String)>, AppError> {
        let org = caller.actor.organisation_id;
        let now = self.now();
        let since = now
            .to_jiff()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .checked_sub(jiff::Span::new().years(ACCOUNTING_YEARS))
            .map(|z| Timestamp::from_jiff(z.timestamp()))
            .unwrap_or(Timestamp::from_micros(0));
        let tx = self.store.read().await?;
        let target = Target {
            organisation: org,
            location: None,
            resource: Resource::Disclosure,
        };
        let mut act = Act::new(Action::Query, target, "accounting of disclosures");
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        let rows = store::disclosures_for_patient(&mut tx, org, patient, since).await?;
        let mut named = Vec::with_capacity(rows.len());
        for row in rows {
            // Part of the accounting the patient is owed, so no separate
            // permission to list staff is needed to show who disclosed.
            let name = kerato_store::identity::get_user(&mut tx, row.disclosed_by)
                .await?
                .map(|(u, _)| u.display_name)
                .unwrap_or_default();
            named.push((row, name));
        }
        tx.commit().await?;
        Ok(named)
    }
}
