//! The closed-loop biopsy log: order a biopsy, record each step (sent,
//! resulted, reviewed, patient notified, plan, closed) through the
//! domain's rules, the work queue of open biopsies with their running
//! timer, and the job that sends each overdue alert once, first to the
//! responsible clinician's inbox and then, if it stands, to the medical
//! director's (the organisation's administrators).

use kerato_domain::ValidationErrors;
use kerato_domain::biopsies::{
    AlertKind, Biopsy, BiopsyEvent, BiopsyOrder, BiopsyStep, BiopsyUpdate, Recipient, SpecimenOf,
    advance, running_timer,
};
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{BiopsyId, LocationId, PatientId};
use kerato_domain::time::Timestamp;
use kerato_store::{biopsies as store, patients as patient_store, tenancy};

use crate::authz::{Act, Caller};
use crate::{App, AppError};

mod alerts;
mod measures;
mod requisition;

pub use measures::BiopsyMeasures;

/// `day` at the wall-clock time `now` shows at `loc`: a report said to have
/// arrived today arrived now, and one from an earlier day keeps the same
/// time of day, which is as precise as a date typed from a fax header.
fn same_time_on(
    now: Timestamp,
    day: jiff::civil::Date,
    loc: &kerato_domain::tenancy::Location,
) -> Result<Timestamp, AppError> {
    let zone = loc.time_zone.zone().clone();
    let local = now.to_jiff().to_zoned_datetime(zone.clone());
    zone.to_timestamp(jiff::civil::DateTime::from_parts(day, local.time()))
        .map(Timestamp::from_jiff)
        .map_err(|_| {
            ValidationErrors::single(
                "received",
                "that day does not exist in the practice's time zone; check the date",
            )
            .into()
        })
}

/// An open biopsy in the work queue, with the timer now running on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem {
    pub biopsy: Biopsy,
    pub timer: Option<(AlertKind, Timestamp)>,
    pub overdue: bool,
    /// Who has been alerted about the running timer so far: the clinician,
    /// then the medical director once it escalated.
    pub alerted: Vec<Recipient>,
}

fn target(caller: &Caller, location: Option<LocationId>) -> Target {
    Target {
        organisation: caller.actor.organisation_id,
        location,
        resource: Resource::Pathology,
    }
}

fn alert_text(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::NoResult => "no pathology result 7 days after the specimen was sent",
        AlertKind::MalignantNotReviewed => {
            "a malignant result has not been reviewed in 2 business days"
        }
        AlertKind::ResultNotReviewed => "a result has not been reviewed in 5 business days",
        AlertKind::PatientNotNotified => {
            "the patient has not been told of the result in 5 business days"
        }
    }
}

impl App {
    /// A biopsy just ordered by the caller, who becomes the responsible
    /// clinician; the caller checks the patient and location.
    pub(crate) fn new_biopsy(
        &self,
        caller: &Caller,
        location: LocationId,
        patient: PatientId,
        site: &str,
        method: kerato_domain::biopsies::SpecimenMethod,
    ) -> Biopsy {
        let now = self.now();
        Biopsy::ordered(
            BiopsyId::new(now, self.random_id_bits()),
            SpecimenOf {
                organisation_id: caller.actor.organisation_id,
                location_id: location,
                patient_id: patient,
                site: site.to_string(),
                method,
            },
            caller.actor.user_id,
            now,
        )
    }

    /// Orders (logs) a biopsy of a patient; the caller is the responsible
    /// clinician.
    pub async fn order_biopsy(
        &self,
        caller: &Caller,
        patient: PatientId,
        order: &BiopsyOrder,
    ) -> Result<Biopsy, AppError> {
        self.require(caller, Resource::Pathology, Action::Create, None)
            .await?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        patient_store::find_patient(&mut tx, patient)
            .await?
            .filter(|p| p.organisation_id == org && p.merged_into.is_none())
            .ok_or_else(|| {
                ValidationErrors::single("patient_id", "no such patient in this practice")
            })?;
        tenancy::get_location(&mut tx, org, order.location)
            .await?
            .ok_or_else(|| {
                ValidationErrors::single("location_id", "no such location in this practice")
            })?;
        let biopsy = self.new_biopsy(caller, order.location, patient, &order.site, order.method);
        let mut act = Act::new(
            Action::Create,
            target(caller, Some(order.location)),
            "biopsy",
        )
        .id(biopsy.id);
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_biopsy(&mut tx, &biopsy).await?;
        tx.commit().await?;
        Ok(biopsy)
    }

    /// Records the next step of a biopsy; the domain refuses steps out of
    /// order (no close without a review and a recorded notification), and
    /// a step taken on a version the biopsy has moved past.
    pub async fn record_biopsy_step(
        &self,
        caller: &Caller,
        id: BiopsyId,
        update: &BiopsyUpdate,
    ) -> Result<Biopsy, AppError> {
        self.require(caller, Resource::Pathology, Action::Update, None)
            .await?;
        let by = caller.actor.user_id;
        let now = self.now();
        let mut tx = self.store.write().await?;
        let biopsy = store::find_biopsy(&mut tx, id)
            .await?
            .filter(|b| b.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("biopsy"))?;
        let event = match &update.step {
            BiopsyStep::Send => BiopsyEvent::Send,
            BiopsyStep::Result {
                diagnosis,
                text,
                received,
            } => BiopsyEvent::RecordResult {
                received: match received {
                    Some(day) => {
                        let loc = tenancy::get_location(
                            &mut tx,
                            biopsy.organisation_id,
                            biopsy.location_id,
                        )
                        .await?
                        .ok_or(AppError::NotFound("location"))?;
                        Some(same_time_on(now, *day, &loc)?)
                    }
                    None => None,
                },
                diagnosis: *diagnosis,
                text: text.clone(),
            },
            BiopsyStep::Review => BiopsyEvent::Review { by },
            BiopsyStep::Notify { how } => BiopsyEvent::Notify {
                how: *how,
                by,
                when: now,
            },
            BiopsyStep::Plan { text } => BiopsyEvent::Plan { text: text.clone() },
            BiopsyStep::Close => BiopsyEvent::Close,
        };
        let next = advance(&biopsy.timeline, event, now)
            .map_err(|m| ValidationErrors::single("step", m))?;
        let mut act = Act::new(
            Action::Update,
            target(caller, Some(biopsy.location_id)),
            "biopsy",
        )
        .id(id);
        act.patient_id = Some(biopsy.patient_id.to_string());
        act.old = Some(biopsy.state().as_str().to_string());
        act.new = Some(next.state().as_str().to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        let updated = Biopsy {
            timeline: next,
            version: update.version + 1,
            updated_at: now,
            ..biopsy
        };
        if !store::update_timeline(&mut tx, &updated, update.version).await? {
            return Err(AppError::Conflict(
                "the biopsy changed meanwhile; reload and try again".into(),
            ));
        }
        if matches!(update.step, BiopsyStep::Result { .. }) {
            self.recode_after_result(&mut tx, &updated).await?;
        }
        tx.commit().await?;
        Ok(updated)
    }

    /// The work queue: open biopsies with the timer running on each and
    /// whether it is overdue, the overdue first.
    pub async fn biopsy_queue(&self, caller: &Caller) -> Result<Vec<QueueItem>, AppError> {
        let mut tx = self
            .guard_org(
                caller,
                Action::Query,
                Resource::Pathology,
                "biopsy work queue",
            )
            .await?;
        let org = caller.actor.organisation_id;
        let mut items = Vec::new();
        for row in store::open_biopsies(&mut tx, org).await? {
            let loc = tenancy::get_location(&mut tx, org, row.location_id)
                .await?
                .ok_or(AppError::NotFound("location"))?;
            let calendar = self.calendar(&mut tx, &loc).await?;
            let timer = running_timer(&row.timeline, &calendar);
            let running = timer.map(|(kind, _)| kind);
            let alerted = store::alerts_sent(&mut tx, row.id)
                .await?
                .into_iter()
                .filter(|(kind, _, _)| Some(*kind) == running)
                .map(|(_, level, _)| level)
                .collect::<Vec<Recipient>>();
            items.push(QueueItem {
                alerted,
                overdue: timer.is_some_and(|(_, due)| due <= self.now()),
                timer,
                biopsy: row,
            });
        }
        tx.commit().await?;
        items.sort_by_key(|i| (!i.overdue, i.timer.map(|t| t.1)));
        Ok(items)
    }
}
