//! Recalls: the practice's recall types (annual eye exam, glaucoma every 3
//! months, full-skin check, melanoma follow-up …), each patient's due
//! date, due lists for the front desk, and outreach with its outcome.
//!
//! A recall notice says only that the patient is due for a visit: the
//! recall type can name a condition (glaucoma, melanoma), so it is never
//! put in a message.

use jiff::civil::Date;
use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{AppointmentId, RecallId, RecallTypeId};
use kerato_domain::recalls::{DueRecall, Outreach, Recall, RecallInput, RecallStatus, RecallType};
use kerato_domain::scheduling::recall_due;
use kerato_domain::tenancy::Specialty;
use kerato_store::outbox::Envelope;
use kerato_store::{patients as patient_store, recalls as store, scheduling, tenancy};

use crate::authz::{Act, Caller};
use crate::reminders::patient_contact;
use crate::{App, AppError};

pub use kerato_domain::setup::DEFAULT_RECALL_TYPES;

/// The longest recall interval, in months.
const MAX_INTERVAL_MONTHS: i64 = 120;

fn recall_target(caller: &Caller) -> Target {
    Target {
        organisation: caller.actor.organisation_id,
        location: None,
        resource: Resource::Appointment,
    }
}

impl App {
    pub async fn create_recall_type(
        &self,
        caller: &Caller,
        name: &str,
        interval_months: i64,
        specialty: Option<Specialty>,
    ) -> Result<RecallType, AppError> {
        self.require(caller, Resource::Organisation, Action::Update, None)
            .await?;
        let mut e = ValidationErrors::new();
        let name = kerato_domain::tenancy::validate_name(&mut e, "name", name);
        if !(1..=MAX_INTERVAL_MONTHS).contains(&interval_months) {
            e.add(
                "interval_months",
                format!("a recall interval is 1 to {MAX_INTERVAL_MONTHS} months"),
            );
        }
        let name = e.into_result(name)?.unwrap_or_default();
        let t = RecallType {
            id: RecallTypeId::new(self.now(), self.random_id_bits()),
            organisation_id: caller.actor.organisation_id,
            name,
            interval_months,
            specialty,
        };
        let tx = self.store.write().await?;
        let act = Act::new(
            Action::Update,
            Target {
                resource: Resource::Organisation,
                ..recall_target(caller)
            },
            "scheduling set-up",
        )
        .id(t.id);
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_type(&mut tx, &t, self.now()).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Adds the default recall types the practice does not have yet (by
    /// name); running it twice adds nothing.
    pub async fn install_default_recall_types(
        &self,
        caller: &Caller,
    ) -> Result<Vec<RecallType>, AppError> {
        let existing = self.recall_types(caller).await?;
        for (name, months, specialty) in DEFAULT_RECALL_TYPES {
            if !existing.iter().any(|t| t.name == name) {
                self.create_recall_type(caller, name, months, Some(specialty))
                    .await?;
            }
        }
        self.recall_types(caller).await
    }

    pub async fn recall_types(&self, caller: &Caller) -> Result<Vec<RecallType>, AppError> {
        let mut tx = self
            .guard_org(caller, Action::Query, Resource::Appointment, "recalls")
            .await?;
        let types = store::types_of(&mut tx, caller.actor.organisation_id).await?;
        tx.commit().await?;
        Ok(types)
    }

    /// Puts a patient on recall: due on `due` (`YYYY-MM-DD`), or one
    /// interval from today in the practice's first location when empty.
    pub async fn add_recall(
        &self,
        caller: &Caller,
        input: &RecallInput,
    ) -> Result<Recall, AppError> {
        let (patient, kind) = (input.patient_id, input.recall_type_id);
        self.require(caller, Resource::Appointment, Action::Create, None)
            .await?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        let mut e = ValidationErrors::new();
        if patient_store::find_patient(&mut tx, patient)
            .await?
            .is_none_or(|p| p.organisation_id != org || p.merged_into.is_some())
        {
            e.add("patient_id", "no such patient in this practice");
        }
        let types = store::types_of(&mut tx, org).await?;
        let t = types.iter().find(|t| t.id == kind);
        if t.is_none() {
            e.add("recall_type_id", "no such recall type in this practice");
        }
        let due = match input.due_date {
            Some(due) => Some(due),
            None => {
                let today = self.today_at_practice(&mut tx, org).await?;
                t.and_then(|t| recall_due(today, t.interval_months))
            }
        };
        let due = e
            .into_result(due)?
            .ok_or_else(|| ValidationErrors::single("due_date", "the due date is out of range"))?;
        let r = Recall {
            id: RecallId::new(self.now(), self.random_id_bits()),
            organisation_id: org,
            patient_id: patient,
            recall_type_id: kind,
            due_date: due,
            status: RecallStatus::Open,
            outreach: Outreach::None,
            outreach_attempts: 0,
            last_outreach_at: None,
            appointment_id: None,
            version: 1,
        };
        let mut act = Act::new(Action::Create, recall_target(caller), "recall").id(r.id);
        act.patient_id = Some(patient.to_string());
        act.new = serde_json::to_string(&serde_json::json!({ "due": r.due_date })).ok();
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert(&mut tx, &r, self.now()).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Today in the practice's first location (recall dates are days, not
    /// instants).
    pub(crate) async fn today_at_practice(
        &self,
        tx: &mut kerato_store::Tx,
        org: kerato_domain::ids::OrganisationId,
    ) -> Result<Date, AppError> {
        let zone = tenancy::list_locations(tx, org)
            .await?
            .first()
            .map(|l| l.time_zone.zone().clone())
            .unwrap_or(jiff::tz::TimeZone::UTC);
        Ok(self.now().to_jiff().to_zoned_datetime(zone).date())
    }

    /// The due list: open recalls due by `until`, of one type or all.
    pub async fn due_recalls(
        &self,
        caller: &Caller,
        until: Date,
        kind: Option<RecallTypeId>,
    ) -> Result<Vec<DueRecall>, AppError> {
        let mut tx = self
            .guard_org(caller, Action::Query, Resource::Appointment, "recalls")
            .await?;
        let due = store::due(&mut tx, caller.actor.organisation_id, until, kind, 500).await?;
        tx.commit().await?;
        Ok(due)
    }

    /// Records how an outreach attempt went.
    pub async fn record_recall_outreach(
        &self,
        caller: &Caller,
        id: RecallId,
        outcome: Outreach,
    ) -> Result<Recall, AppError> {
        let outcome = outcome.as_outcome()?;
        let (mut tx, r) = self.recall_for_update(caller, id, outcome.as_str()).await?;
        if !store::record_outreach(&mut tx, &r, outcome, self.now()).await? {
            return Err(AppError::Conflict(
                "the recall changed meanwhile; reload".into(),
            ));
        }
        tx.commit().await?;
        Ok(Recall {
            outreach: outcome,
            outreach_attempts: r.outreach_attempts + 1,
            last_outreach_at: Some(self.now()),
            version: r.version + 1,
            ..r
        })
    }

    async fn recall_for_update(
        &self,
        caller: &Caller,
        id: RecallId,
        what: &str,
    ) -> Result<(kerato_store::Tx, Recall), AppError> {
        self.require(caller, Resource::Appointment, Action::Update, None)
            .await?;
        let mut tx = self.store.write().await?;
        let r = store::find(&mut tx, id)
            .await?
            .filter(|r| r.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("recall"))?;
        let mut act = Act::new(Action::Update, recall_target(caller), "recall").id(r.id);
        act.patient_id = Some(r.patient_id.to_string());
        act.new = serde_json::to_string(&serde_json::json!({ "change": what })).ok();
        let tx = self.guard(tx, caller, act).await?;
        Ok((tx, r))
    }

    /// Links a recall to the appointment booked for it.
    pub async fn schedule_recall(
        &self,
        caller: &Caller,
        id: RecallId,
        appointment: AppointmentId,
    ) -> Result<(), AppError> {
        let (mut tx, r) = self.recall_for_update(caller, id, "scheduled").await?;
        let a = scheduling::find_appointment(&mut tx, appointment)
            .await?
            .filter(|a| a.patient_id == r.patient_id)
            .ok_or_else(|| {
                ValidationErrors::single("appointment_id", "not an appointment of this patient")
            })?;
        if !store::set_status(&mut tx, &r, RecallStatus::Scheduled, Some(a.id), self.now()).await? {
            return Err(AppError::Conflict(
                "the recall changed meanwhile; reload".into(),
            ));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Closes a recall as done on the visit date and opens the next one,
    /// one interval later.
    pub async fn complete_recall(
        &self,
        caller: &Caller,
        id: RecallId,
        visit: Date,
    ) -> Result<Recall, AppError> {
        let (mut tx, r) = self.recall_for_update(caller, id, "done").await?;
        let types = store::types_of(&mut tx, r.organisation_id).await?;
        let t = types
            .iter()
            .find(|t| t.id == r.recall_type_id)
            .ok_or(AppError::NotFound("recall type"))?;
        let due = recall_due(visit, t.interval_months)
            .ok_or_else(|| ValidationErrors::single("visit", "the date is out of range"))?;
        if !store::set_status(
            &mut tx,
            &r,
            RecallStatus::Done,
            r.appointment_id,
            self.now(),
        )
        .await?
        {
            return Err(AppError::Conflict(
                "the recall changed meanwhile; reload".into(),
            ));
        }
        let next = Recall {
            id: RecallId::new(self.now(), self.random_id_bits()),
            due_date: due,
            status: RecallStatus::Open,
            outreach: Outreach::None,
            outreach_attempts: 0,
            last_outreach_at: None,
            appointment_id: None,
            version: 1,
            ..r
        };
        store::insert(&mut tx, &next, self.now()).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Sends a notice to every patient on the due list (by `until`) not yet
    /// contacted, by their chosen channel, once per recall and due date;
    /// returns how many were queued. Patients who chose the phone or post
    /// stay on the list for a call or a letter.
    pub async fn send_recall_notices(
        &self,
        caller: &Caller,
        until: Date,
    ) -> Result<usize, AppError> {
        let due = self.due_recalls(caller, until, None).await?;
        let mut queued = 0;
        for d in due
            .into_iter()
            .filter(|d| d.recall.outreach == Outreach::None)
        {
            let Some((channel, recipient)) = patient_contact(
                d.reminder_channel.as_str(),
                d.email.as_deref(),
                d.mobile_phone.as_deref(),
            ) else {
                continue;
            };
            let name = d.preferred_name.as_deref().unwrap_or(&d.first_name);
            let body = format!(
                "Hello {name}, it is time to book your next visit with us. Please call the practice or reply to arrange it."
            );
            let (mut tx, r) = self
                .recall_for_update(caller, d.recall.id, Outreach::MessageSent.as_str())
                .await?;
            let key = format!("recall:{}:{}", r.id, r.due_date);
            let message = Envelope {
                channel,
                recipient,
                subject: "Time to book your visit",
                body: &body,
            };
            if self.queue_once(&mut tx, &key, message).await?
                && store::record_outreach(&mut tx, &r, Outreach::MessageSent, self.now()).await?
            {
                queued += 1;
                tx.commit().await?;
            }
        }
        Ok(queued)
    }
}
