//! The closed-loop biopsy log: order a biopsy, record each step (sent,
//! resulted, reviewed, patient notified, plan, closed) through the
//! domain's rules, the work queue of open biopsies with their running
//! timer, and the job that sends each overdue alert once, first to the
//! responsible clinician's inbox and then, if it stands, to the medical
//! director's (the organisation's administrators).

use kerato_domain::ValidationErrors;
use kerato_domain::biopsies::{
    AlertKind, BiopsyEvent, BiopsyState, BiopsyTimeline, Diagnosis, MeasureResult, NotifyChannel,
    Period, Recipient, advance, biopsy_follow_up, due_alerts, report_within_7_days, running_timer,
};
use kerato_domain::identity::{Action, Resource, Role, Target};
use kerato_domain::ids::{BiopsyId, LocationId, PatientId};
use kerato_domain::time::Timestamp;
pub use kerato_store::biopsies::BiopsyRow;
use kerato_store::{biopsies as store, identity as users, patients as patient_store, tenancy};

use crate::authz::{Act, Caller};
use crate::{App, AppError};

const METHODS: [&str; 4] = ["tangential", "punch", "incisional", "excisional"];

/// A biopsy as ordered at the procedure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BiopsyInput {
    pub patient_id: String,
    pub location_id: String,
    /// The anatomic site, as the clinician names it.
    pub site: String,
    /// tangential, punch, incisional or excisional.
    pub method: String,
}

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

/// One step of the loop, as entered on the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepInput {
    Send,
    Result {
        diagnosis: String,
        text: String,
        /// The day the report reached the practice, in the biopsy's
        /// location's time zone, if not today.
        received: Option<jiff::civil::Date>,
    },
    Review,
    Notify {
        how: String,
        when: Option<Timestamp>,
    },
    Plan {
        text: String,
    },
    Close,
}

/// An open biopsy in the work queue, with the timer now running on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem {
    pub biopsy: BiopsyRow,
    pub state: BiopsyState,
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

fn state_key(state: BiopsyState) -> &'static str {
    match state {
        BiopsyState::Ordered => "ordered",
        BiopsyState::Sent => "sent",
        BiopsyState::Resulted => "resulted",
        BiopsyState::Reviewed => "reviewed",
        BiopsyState::PatientNotified => "patient_notified",
        BiopsyState::Planned => "planned",
        BiopsyState::Closed => "closed",
    }
}

fn timeline_of(row: &BiopsyRow) -> Result<BiopsyTimeline, AppError> {
    serde_json::from_str(&row.timeline)
        .map_err(|e| AppError::corrupt(format!("a biopsy timeline is not readable: {e}")))
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
    /// clinician; the caller checks the patient, location and method.
    pub(crate) fn new_biopsy_row(
        &self,
        caller: &Caller,
        location: LocationId,
        patient: PatientId,
        site: &str,
        method: &str,
    ) -> Result<BiopsyRow, AppError> {
        let now = self.now();
        let id = BiopsyId::new(now, self.random_id_bits());
        let timeline = BiopsyTimeline::new(id, caller.actor.user_id, now);
        Ok(BiopsyRow {
            id,
            organisation_id: caller.actor.organisation_id,
            location_id: location,
            patient_id: patient,
            responsible_user_id: caller.actor.user_id,
            site: site.to_string(),
            method: method.to_string(),
            state: state_key(timeline.state()).into(),
            timeline: serde_json::to_string(&timeline).map_err(AppError::corrupt)?,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    /// Orders (logs) a biopsy; the caller is the responsible clinician.
    pub async fn order_biopsy(
        &self,
        caller: &Caller,
        input: &BiopsyInput,
    ) -> Result<BiopsyRow, AppError> {
        self.require(caller, Resource::Pathology, Action::Create, None)
            .await?;
        let mut e = ValidationErrors::new();
        let patient: Option<PatientId> = input
            .patient_id
            .parse()
            .map_err(|_| e.add("patient_id", "choose the patient"))
            .ok();
        let location: Option<LocationId> = input
            .location_id
            .parse()
            .map_err(|_| e.add("location_id", "choose the location"))
            .ok();
        let site = input.site.trim();
        if site.is_empty() || site.chars().count() > 200 {
            e.add("site", "name the anatomic site (1–200 characters)");
        }
        if !METHODS.contains(&input.method.as_str()) {
            e.add("method", format!("choose one of {}", METHODS.join(", ")));
        }
        let (Some(patient), Some(location)) = e.into_result((patient, location))? else {
            return Err(ValidationErrors::single("patient_id", "choose the patient").into());
        };
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        patient_store::find_patient(&mut tx, patient)
            .await?
            .filter(|p| p.organisation_id == org && p.merged_into.is_none())
            .ok_or_else(|| {
                ValidationErrors::single("patient_id", "no such patient in this practice")
            })?;
        tenancy::get_location(&mut tx, org, location)
            .await?
            .ok_or_else(|| {
                ValidationErrors::single("location_id", "no such location in this practice")
            })?;
        let row = self.new_biopsy_row(caller, location, patient, site, &input.method)?;
        let id = row.id;
        let mut act = Act::new(Action::Create, target(caller, Some(location)), "biopsy").id(id);
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        store::insert_biopsy(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Records the next step of a biopsy; the domain refuses steps out of
    /// order (no close without a review and a recorded notification).
    /// `version` is the version the caller saw.
    pub async fn record_biopsy_step(
        &self,
        caller: &Caller,
        id: BiopsyId,
        version: i64,
        step: &StepInput,
    ) -> Result<BiopsyRow, AppError> {
        self.require(caller, Resource::Pathology, Action::Update, None)
            .await?;
        let by = caller.actor.user_id;
        let now = self.now();
        let event = match step {
            StepInput::Send => BiopsyEvent::Send,
            StepInput::Result {
                diagnosis, text, ..
            } => BiopsyEvent::RecordResult {
                // Resolved below, once the location's time zone is known.
                received: None,
                diagnosis: match diagnosis.as_str() {
                    "benign" => Diagnosis::Benign,
                    "atypical" => Diagnosis::Atypical,
                    "malignant" => Diagnosis::Malignant,
                    "nondiagnostic" => Diagnosis::Nondiagnostic,
                    _ => {
                        return Err(ValidationErrors::single(
                            "diagnosis",
                            "choose benign, atypical, malignant or nondiagnostic",
                        )
                        .into());
                    }
                },
                text: text.trim().to_string(),
            },
            StepInput::Review => BiopsyEvent::Review { by },
            StepInput::Notify { how, when } => BiopsyEvent::Notify {
                how: match how.as_str() {
                    "phone" => NotifyChannel::Phone,
                    "portal" => NotifyChannel::Portal,
                    "letter" => NotifyChannel::Letter,
                    "in_person" => NotifyChannel::InPerson,
                    _ => {
                        return Err(ValidationErrors::single(
                            "how",
                            "say how the patient was told: phone, portal, letter or in person",
                        )
                        .into());
                    }
                },
                by,
                when: when.unwrap_or(now),
            },
            StepInput::Plan { text } => BiopsyEvent::Plan {
                text: text.trim().to_string(),
            },
            StepInput::Close => BiopsyEvent::Close,
        };
        let mut tx = self.store.write().await?;
        let row = store::find_biopsy(&mut tx, id)
            .await?
            .filter(|b| b.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("biopsy"))?;
        let timeline = timeline_of(&row)?;
        let event = match (event, step) {
            (
                BiopsyEvent::RecordResult {
                    diagnosis, text, ..
                },
                StepInput::Result {
                    received: Some(day),
                    ..
                },
            ) => {
                let loc = tenancy::get_location(&mut tx, row.organisation_id, row.location_id)
                    .await?
                    .ok_or(AppError::NotFound("location"))?;
                BiopsyEvent::RecordResult {
                    diagnosis,
                    text,
                    received: Some(same_time_on(now, *day, &loc)?),
                }
            }
            (event, _) => event,
        };
        let next =
            advance(&timeline, event, now).map_err(|m| ValidationErrors::single("step", m))?;
        let text = serde_json::to_string(&next).map_err(AppError::corrupt)?;
        let mut act = Act::new(
            Action::Update,
            target(caller, Some(row.location_id)),
            "biopsy",
        )
        .id(id);
        act.patient_id = Some(row.patient_id.to_string());
        act.old = Some(state_key(timeline.state()).to_string());
        act.new = Some(state_key(next.state()).to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        let state = state_key(next.state());
        if !store::update_timeline(&mut tx, id, version, state, &text, now).await? {
            return Err(AppError::Conflict(
                "the biopsy changed meanwhile; reload and try again".into(),
            ));
        }
        let updated = BiopsyRow {
            state: state.into(),
            timeline: text,
            version: row.version + 1,
            updated_at: now,
            ..row
        };
        if matches!(step, StepInput::Result { .. }) {
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
            let timeline = timeline_of(&row)?;
            let timer = running_timer(&timeline, &calendar);
            let running = timer.map(|(kind, _)| kind.as_str());
            let alerted = store::alerts_sent(&mut tx, row.id)
                .await?
                .into_iter()
                .filter(|(kind, _, _)| Some(kind.as_str()) == running)
                .filter_map(|(_, level, _)| {
                    [Recipient::ResponsibleClinician, Recipient::MedicalDirector]
                        .into_iter()
                        .find(|r| r.as_str() == level)
                })
                .collect();
            items.push(QueueItem {
                alerted,
                state: timeline.state(),
                overdue: timer.is_some_and(|(_, due)| due <= self.now()),
                timer,
                biopsy: row,
            });
        }
        tx.commit().await?;
        items.sort_by_key(|i| (!i.overdue, i.timer.map(|t| t.1)));
        Ok(items)
    }

    /// Sends every alert that has come due and was not sent before, to the
    /// responsible clinician's inbox or, on escalation, to each of the
    /// organisation's administrators; returns how many were sent. The
    /// practice's scheduled task: it runs without a caller, and each alert
    /// is audited.
    pub async fn send_biopsy_alerts(&self) -> Result<usize, AppError> {
        let mut tx = self.store.write().await?;
        let now = self.now();
        let mut sent = 0;
        for org in tenancy::list_organisations(&mut tx).await? {
            let staff = users::list_users(&mut tx, org.id).await?;
            for row in store::open_biopsies(&mut tx, org.id).await? {
                let loc = tenancy::get_location(&mut tx, org.id, row.location_id)
                    .await?
                    .ok_or(AppError::NotFound("location"))?;
                let calendar = self.calendar(&mut tx, &loc).await?;
                for alert in due_alerts(&timeline_of(&row)?, now, &calendar) {
                    let recipient = alert.escalate_to.as_str();
                    if !store::record_alert(
                        &mut tx,
                        &alert.key(),
                        row.id,
                        alert.kind.as_str(),
                        recipient,
                        alert.due_at,
                        now,
                    )
                    .await?
                    {
                        continue;
                    }
                    let to: Vec<_> = match alert.escalate_to {
                        Recipient::ResponsibleClinician => vec![row.responsible_user_id],
                        Recipient::MedicalDirector => staff
                            .iter()
                            .filter(|u| u.active && u.role == Role::Admin)
                            .map(|u| u.id)
                            .collect(),
                    };
                    let subject = format!("Biopsy overdue: {}", alert_text(alert.kind));
                    // The message names no patient: it points to the work
                    // queue, which shows who it is to those allowed to see.
                    let body = format!(
                        "A {} biopsy ({}) needs attention: {}. Open Biopsies to act on it.",
                        row.method,
                        row.site,
                        alert_text(alert.kind)
                    );
                    for user in to {
                        users::insert_inbox_message(
                            &mut tx,
                            &BiopsyId::new(now, self.random_id_bits()).to_string(),
                            user,
                            &subject,
                            &body,
                            now,
                        )
                        .await?;
                    }
                    let mut event = self.audit_event(
                        None,
                        kerato_domain::audit::AuditAction::Create,
                        Resource::Pathology,
                        kerato_domain::audit::Outcome::Allowed,
                    );
                    event.organisation_id = Some(org.id.to_string());
                    event.patient_id = Some(row.patient_id.to_string());
                    event.resource_id = Some(row.id.to_string());
                    event.category = "biopsy alert".into();
                    event.detail = Some(format!("{} to {recipient}", alert.kind.as_str()));
                    kerato_store::audit::append(&mut tx, event).await?;
                    sent += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(sent)
    }
}

/// The biopsy quality measures over a period, for the practice's report.
#[derive(Debug, Clone, PartialEq)]
pub struct BiopsyMeasures {
    /// MIPS #440-style: malignant reports within 7 days of sending.
    pub report_within_7_days: MeasureResult,
    /// AAD-style follow-up: reviewed by the biopsying clinician and the
    /// patient told.
    pub follow_up: MeasureResult,
}

/// How long before a period a biopsy may have been ordered and still be
/// sent within it: specimens leave the practice within days of the
/// procedure, so a month covers any that count.
const ORDERED_BEFORE_SENT_DAYS: i64 = 31;

impl App {
    /// The biopsy measures for specimens sent from `from` until (not
    /// including) `until`, days in the first location's zone. Reading the
    /// report is audited as a query of pathology.
    pub async fn biopsy_measures(
        &self,
        caller: &Caller,
        from: jiff::civil::Date,
        until: jiff::civil::Date,
    ) -> Result<BiopsyMeasures, AppError> {
        if until <= from {
            return Err(ValidationErrors::single(
                "until",
                "the end of the period must be after its start",
            )
            .into());
        }
        let mut tx = self
            .guard_org(
                caller,
                Action::Query,
                Resource::Pathology,
                "biopsy measures",
            )
            .await?;
        let org = caller.actor.organisation_id;
        let loc = tenancy::list_locations(&mut tx, org)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| {
                ValidationErrors::single("location", "add a location before reporting")
            })?;
        let calendar = self.calendar(&mut tx, &loc).await?;
        let zone = loc.time_zone.zone().clone();
        let instant = |d: jiff::civil::Date| {
            zone.to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
                .map(Timestamp::from_jiff)
                .map_err(|_| ValidationErrors::single("from", "that day does not exist here"))
        };
        let period = Period {
            start: instant(from)?,
            end: instant(until)?,
        };
        let earliest = Timestamp::from_micros(
            period
                .start
                .as_micros()
                .saturating_sub(ORDERED_BEFORE_SENT_DAYS * 86_400_000_000),
        );
        let timelines = store::biopsies_ordered_between(&mut tx, org, earliest, period.end)
            .await?
            .iter()
            .map(timeline_of)
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit().await?;
        Ok(BiopsyMeasures {
            report_within_7_days: report_within_7_days(&timelines, period, &calendar),
            follow_up: biopsy_follow_up(&timelines, period, self.now()),
        })
    }
}
