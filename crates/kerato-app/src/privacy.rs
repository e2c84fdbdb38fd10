//! Disclosures of PHI and the accounting of them (HIPAA §164.528).

use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{DisclosureId, PatientId};
use kerato_domain::time::Timestamp;
use kerato_store::privacy::{self as store, DisclosureRow};

use crate::authz::{Act, Caller};
use crate::{App, AppError};

/// How far back an accounting reaches: six years (§164.528(a)).
const ACCOUNTING_YEARS: i16 = 6;

/// A disclosure as typed in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisclosureInput {
    /// The day of the disclosure, `YYYY-MM-DD`.
    pub disclosed_on: String,
    pub recipient: String,
    pub purpose: String,
    /// What was disclosed.
    pub description: String,
}

pub(crate) fn required(
    errors: &mut ValidationErrors,
    field: &str,
    label: &str,
    value: &str,
    max: usize,
) -> String {
    let v = value.trim();
    if v.is_empty() {
        errors.add(field, format!("{label} is required"));
    } else if v.chars().count() > max {
        errors.add(
            field,
            format!(
                "{label} is {} characters long; the limit is {max}",
                v.chars().count()
            ),
        );
    }
    v.to_string()
}

impl App {
    pub async fn record_disclosure(
        &self,
        caller: &Caller,
        patient: PatientId,
        input: &DisclosureInput,
    ) -> Result<DisclosureRow, AppError> {
        self.require(caller, Resource::Disclosure, Action::Create, None)
            .await?;
        let mut errors = ValidationErrors::new();
        let recipient = required(&mut errors, "recipient", "recipient", &input.recipient, 200);
        let purpose = required(&mut errors, "purpose", "purpose", &input.purpose, 200);
        let description = required(
            &mut errors,
            "description",
            "description",
            &input.description,
            2000,
        );
        let now = self.now();
        let day = input.disclosed_on.trim().parse::<jiff::civil::Date>().ok();
        let disclosed_at = match day.and_then(|d| d.to_zoned_datetime(jiff::tz::TimeZone::UTC).ok())
        {
            Some(z) if Timestamp::from_jiff(z.timestamp()) <= now => {
                Timestamp::from_jiff(z.timestamp())
            }
            Some(_) => {
                errors.add(
                    "disclosed_on",
                    "the date of a disclosure cannot be in the future",
                );
                now
            }
            None => {
                errors.add("disclosed_on", "write the date as YYYY-MM-DD");
                now
            }
        };
        errors.into_result(())?;
        let row = DisclosureRow {
            id: DisclosureId::new(now, self.random_id_bits()).to_string(),
            patient_id: patient.to_string(),
            disclosed_at,
            recipient,
            purpose,
            description,
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
        let mut act = Act::new(Action::Create, target, "disclosure").id(&row.id);
        act.patient_id = Some(patient.to_string());
        act.new = serde_json::to_string(&serde_json::json!({
            "recipient": row.recipient, "purpose": row.purpose, "disclosed_at": row.disclosed_at.to_string(),
        }))
        .ok();
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_disclosure(&mut tx, org, &row).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// A patient's disclosures of the last six years, oldest first, each
    /// with the name of the staff member who made it.
    pub async fn accounting_of_disclosures(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<Vec<(DisclosureRow, String)>, AppError> {
        let org = caller.actor.organisation_id;
        let now = self.now();
        let since = now
            .to_jiff()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .checked_sub(jiff::Span::new().years(ACCOUNTING_YEARS))
            .map(|z| Timestamp::from_jiff(z.timestamp()))
            .unwrap_or(Timestamp::from_micros(0));
        let tx = self.store.write().await?;
        let target = Target {
            organisation: org,
            location: None,
            resource: Resource::Disclosure,
        };
        let mut act = Act::new(Action::Query, target, "accounting of disclosures");
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        let rows =
            store::disclosures_for_patient(&mut tx, org, &patient.to_string(), since).await?;
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
