//! The retention job: one practice at a time, one class at a time, in
//! small transactions (see the area's comment for what each class deletes).

use std::collections::BTreeMap;

use jiff::Span;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use kerato_domain::audit::{AuditAction, Outcome};
use kerato_domain::identity::Resource;
use kerato_domain::ids::{OrganisationId, PatientId, RetentionRunId};
use kerato_domain::retention::{
    self, DataClass, Keep, LegalHold, RecordFacts, RetentionSchedule, is_due,
};
use kerato_domain::time::Timestamp;
use kerato_store::patient_data::{self, PATIENT_TABLES, Retention};
use kerato_store::retention::{self as store, DatedRecords};
use kerato_store::{Tx, audit, tenancy};

use super::{ClassCounts, PracticeRun, RUN_CLASSES, RetentionReport};
use crate::{App, AppError};

/// The most records one transaction deletes, so that the job never holds
/// the writer for long while the practice works.
const BATCH: i64 = 500;

/// Age below which the Children's Online Privacy Protection Act applies.
const CHILD_AGE: i16 = 13;

/// One practice's run in progress: its day, rules, holds and counts.
struct Practice {
    organisation: OrganisationId,
    run: RetentionRunId,
    today: Date,
    zone: TimeZone,
    schedule: RetentionSchedule,
    /// Each hold with the patient it is on, `None` for the whole practice.
    holds: Vec<(Option<PatientId>, LegalHold)>,
    dry_run: bool,
    classes: BTreeMap<DataClass, ClassCounts>,
}

impl Practice {
    fn date(&self, at: Timestamp) -> Date {
        at.to_jiff().to_zoned_datetime(self.zone.clone()).date()
    }

    /// The holds that apply to a record of `patient` (or of nobody).
    fn holds_for(&self, patient: Option<PatientId>) -> Vec<LegalHold> {
        self.holds
            .iter()
            .filter(|(on, _)| on.is_none() || *on == patient)
            .map(|(_, hold)| hold.clone())
            .collect()
    }

    /// Whether a record is due today; a due record under a hold is counted
    /// as held and reported not due.
    fn weigh(&mut self, class: DataClass, facts: &RecordFacts, patient: Option<PatientId>) -> bool {
        if !is_due(class, facts, &self.schedule, &[], self.today) {
            return false;
        }
        if is_due(
            class,
            facts,
            &self.schedule,
            &self.holds_for(patient),
            self.today,
        ) {
            return true;
        }
        self.counts(class).held += 1;
        false
    }

    fn counts(&mut self, class: DataClass) -> &mut ClassCounts {
        self.classes.entry(class).or_default()
    }
}

/// A date of birth as stored; a chart always has one, so a bad one is
/// only possible through a change outside Kerato.
fn birth_date(text: &str) -> Result<Date, AppError> {
    text.parse()
        .map_err(|_| AppError::corrupt("a chart's date of birth"))
}

/// Whether someone born on `born` is younger than `years` on `on`.
fn younger_than(born: Date, years: i16, on: Date) -> bool {
    born.checked_add(Span::new().years(years))
        .is_ok_and(|birthday| on < birthday)
}

impl App {
    /// Runs the retention job for every practice; see the module comment.
    /// A dry run deletes nothing and reports what a run would delete.
    pub async fn run_retention(&self, dry_run: bool) -> Result<RetentionReport, AppError> {
        let ran_at = self.now();
        let mut tx = self.store.read().await?;
        let organisations = tenancy::list_organisations(&mut tx).await?;
        drop(tx);
        let mut practices = Vec::new();
        for org in organisations {
            practices.push(self.run_practice(org.id, dry_run).await?);
        }
        Ok(RetentionReport {
            ran_at,
            dry_run,
            practices,
        })
    }

    async fn run_practice(
        &self,
        organisation: OrganisationId,
        dry_run: bool,
    ) -> Result<PracticeRun, AppError> {
        let mut tx = self.store.write().await?;
        // Days are the first location's, as for recalls.
        let first = tenancy::list_locations(&mut tx, organisation).await?;
        let first = first.first();
        let zone = first.map_or(TimeZone::UTC, |l| l.time_zone.zone().clone());
        let today = self.now().to_jiff().to_zoned_datetime(zone.clone()).date();
        // A practice without an office, or whose state Kerato does not
        // know, gets the default schedule, which keeps records longest.
        let schedule = first
            .and_then(|l| RetentionSchedule::new(&l.address.state, None).ok())
            .unwrap_or_default();
        let holds = store::holds(&mut tx, organisation)
            .await?
            .into_iter()
            .map(|h| (h.patient_id, h.rule()))
            .collect();
        tx.commit().await?;
        let mut p = Practice {
            organisation,
            run: RetentionRunId::new(self.now(), self.random_id_bits()),
            today,
            zone,
            schedule,
            holds,
            dry_run,
            classes: RUN_CLASSES
                .iter()
                .map(|c| (*c, ClassCounts::default()))
                .collect(),
        };
        self.expire_charts(&mut p).await?;
        self.expire_consents(&mut p).await?;
        // Confirmations, session logs and the HIPAA documentation that
        // stands on its own go each on their own date.
        for (class, kind) in [
            (DataClass::FtcRxConfirmation, DatedRecords::FtcConfirmations),
            (DataClass::UsageLogs, DatedRecords::StaffSessions),
            (DataClass::HipaaDocumentation, DatedRecords::Disclosures),
            (
                DataClass::HipaaDocumentation,
                DatedRecords::ClosedRightsRequests,
            ),
            (
                DataClass::HipaaDocumentation,
                DatedRecords::PolicyAcceptances,
            ),
        ] {
            self.expire_dated(&mut p, class, kind).await?;
        }
        self.pseudonymise_trail(&mut p).await?;
        let run = PracticeRun {
            organisation,
            today: today.to_string(),
            classes: p.classes,
        };
        let report = serde_json::to_string(&run.classes)
            .map_err(|e| AppError::corrupt(format!("retention report: {e}")))?;
        let mut tx = self.store.write().await?;
        store::insert_run(&mut tx, p.run, organisation, self.now(), dry_run, &report).await?;
        let mut event = self.job_event(organisation, p.run, AuditAction::Query);
        event.detail = Some(format!(
            "retention {} for {today}: {report}",
            if dry_run { "dry run" } else { "run" }
        ));
        audit::append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(run)
    }

    /// The audit event of a job step: the practice and the run, no user
    /// and no patient.
    fn job_event(
        &self,
        organisation: OrganisationId,
        run: RetentionRunId,
        action: AuditAction,
    ) -> kerato_domain::audit::NewAuditEvent {
        // The job is part of the privacy program; its events are filed
        // under their own resource name so a report can find every run.
        let mut event = self.audit_event(None, action, Resource::PrivacyRequest, Outcome::Allowed);
        event.organisation_id = Some(organisation.to_string());
        event.resource = "retention".into();
        event.resource_id = Some(run.to_string());
        event.category = "retention".into();
        event
    }

    /// Clinical records: whole charts, one transaction each.
    async fn expire_charts(&self, p: &mut Practice) -> Result<(), AppError> {
        let mut after = String::new();
        loop {
            let mut tx = self.store.read().await?;
            let page = store::charts(&mut tx, p.organisation, &after, BATCH).await?;
            drop(tx);
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = last.patient.to_string();
            for chart in page {
                let born = birth_date(&chart.date_of_birth)?;
                let last_visit = chart.last_visit_at.map(|t| p.date(t));
                let seen = last_visit.unwrap_or(p.date(chart.created_at));
                // The domain keeps a minor's record past majority whichever
                // class is asked, given the date of birth; the class chosen
                // here is the one the report counts and a hold names.
                let class = if younger_than(born, p.schedule.state().majority_age, seen) {
                    DataClass::ClinicalMinor
                } else {
                    DataClass::ClinicalAdult
                };
                let facts = RecordFacts {
                    last_visit,
                    date_of_birth: Some(born),
                    ..RecordFacts::created(p.date(chart.created_at))
                };
                if !p.weigh(class, &facts, Some(chart.patient)) {
                    continue;
                }
                if chart.merged {
                    p.counts(class).kept += 1;
                    continue;
                }
                self.delete_chart(p, class, chart.patient).await?;
            }
        }
    }

    /// Deletes one due chart through the registry, or counts it as kept
    /// when some of its rows may not go yet.
    async fn delete_chart(
        &self,
        p: &mut Practice,
        class: DataClass,
        patient: PatientId,
    ) -> Result<(), AppError> {
        let mut tx = self.store.write().await?;
        let mut rows = 0;
        let mut blocked = false;
        for entry in PATIENT_TABLES {
            let held = patient_data::holding(&mut tx, entry, patient).await?;
            if held.rows == 0 {
                continue;
            }
            blocked |= match (entry.delete, entry.class) {
                // The trail outlives the chart by its own rule.
                (_, Retention::Schedule(DataClass::AuditTrail)) => continue,
                (None, _) => true,
                // Documentation and confirmations have minimum periods of
                // their own, which a chart's end does not cut short.
                (
                    Some(_),
                    Retention::Schedule(
                        own @ (DataClass::HipaaDocumentation | DataClass::FtcRxConfirmation),
                    ),
                ) => {
                    let created = held.newest.map_or(p.today, |t| p.date(t));
                    !is_due(
                        own,
                        &RecordFacts::created(created),
                        &p.schedule,
                        &p.holds_for(Some(patient)),
                        p.today,
                    )
                }
                (Some(_), _) => false,
            };
            rows += held.rows;
        }
        let photos = store::photo_ids(&mut tx, patient).await?;
        let files = if photos.is_empty() {
            None
        } else {
            self.attachments.clone()
        };
        if blocked || (!photos.is_empty() && files.is_none()) {
            p.counts(class).kept += 1;
            return Ok(());
        }
        if !p.dry_run {
            rows = 0;
            for entry in PATIENT_TABLES {
                rows += patient_data::delete(&mut tx, entry, patient)
                    .await?
                    .unwrap_or(0);
            }
        }
        let counts = p.counts(class);
        counts.records += 1;
        counts.rows += rows;
        if p.dry_run {
            return Ok(());
        }
        self.commit_batch(p, tx, &BTreeMap::from([(class, (1, rows))]))
            .await?;
        if let Some(files) = files {
            crate::lesions::remove_photo_files(&files, &photos);
        }
        Ok(())
    }

    /// Marketing answers, and those of children under 13.
    async fn expire_consents(&self, p: &mut Practice) -> Result<(), AppError> {
        for purpose in patient_data::consent_purposes(Retention::Schedule(DataClass::MarketingData))
        {
            let mut after = String::new();
            loop {
                let mut tx = self.store.read().await?;
                let page = store::consent_histories(
                    &mut tx,
                    p.organisation,
                    purpose.as_str(),
                    &after,
                    BATCH,
                )
                .await?;
                drop(tx);
                let Some(last) = page.last() else { break };
                after = last.patient.to_string();
                let mut tx = self.store.write().await?;
                let mut batch: BTreeMap<DataClass, (u64, u64)> = BTreeMap::new();
                for history in page {
                    let first = p.date(history.first_at);
                    let born = birth_date(&history.date_of_birth)?;
                    let (class, facts) = if younger_than(born, CHILD_AGE, first) {
                        // We knew the date of birth from the first answer
                        // on, or from the chart if it came later.
                        let learned = first.max(p.date(history.chart_created_at));
                        let facts = RecordFacts {
                            learned_under_13_on: Some(learned),
                            ..RecordFacts::created(first)
                        };
                        (DataClass::ChildNonClinical, facts)
                    } else {
                        let last_answer = p.date(history.last_at);
                        let facts = RecordFacts {
                            last_interaction: Some(last_answer),
                            opted_out_on: (!history.last_granted).then_some(last_answer),
                            ..RecordFacts::created(first)
                        };
                        (DataClass::MarketingData, facts)
                    };
                    if !p.weigh(class, &facts, Some(history.patient)) {
                        continue;
                    }
                    let rows = if p.dry_run {
                        history.rows
                    } else {
                        store::delete_consent_history(&mut tx, history.patient, purpose.as_str())
                            .await?
                    };
                    let counts = p.counts(class);
                    counts.records += 1;
                    counts.rows += rows;
                    let b = batch.entry(class).or_default();
                    b.0 += 1;
                    b.1 += rows;
                }
                self.commit_batch(p, tx, &batch).await?;
            }
        }
        Ok(())
    }

    /// Commits a batch of deletions or pseudonymisations with one event per
    /// class that counts them; a dry run's transaction is dropped, which
    /// undoes nothing because it changed nothing.
    async fn commit_batch(
        &self,
        p: &Practice,
        mut tx: Tx,
        batch: &BTreeMap<DataClass, (u64, u64)>,
    ) -> Result<(), AppError> {
        if p.dry_run || batch.values().all(|(records, _)| *records == 0) {
            return Ok(());
        }
        for (class, (records, rows)) in batch {
            // A pseudonymised event is changed, not removed, and its event
            // says so.
            let (action, done) = match retention::action(*class) {
                retention::Action::Delete => (AuditAction::Delete, "deleted"),
                retention::Action::Pseudonymise => (AuditAction::Update, "pseudonymised"),
            };
            let mut event = self.job_event(p.organisation, p.run, action);
            event.detail = Some(format!(
                "retention {done} {records} records ({rows} rows) of class {class}"
            ));
            audit::append(&mut tx, event).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The records that go on their own by one date: each is weighed on
    /// its class's rule and deleted, page by page, at most a batch a
    /// transaction.
    async fn expire_dated(
        &self,
        p: &mut Practice,
        class: DataClass,
        kind: DatedRecords,
    ) -> Result<(), AppError> {
        let mut after = String::new();
        loop {
            let mut tx = self.store.read().await?;
            let page = store::dated_page(&mut tx, kind, p.organisation, &after, BATCH).await?;
            drop(tx);
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = last.key.clone();
            let mut tx = self.store.write().await?;
            let (mut records, mut rows) = (0, 0);
            for record in page {
                let facts = RecordFacts::created(p.date(record.at));
                if !p.weigh(class, &facts, record.patient) {
                    continue;
                }
                rows += if p.dry_run {
                    1
                } else {
                    store::delete_dated(&mut tx, kind, p.organisation, &record.key).await?
                };
                records += 1;
            }
            let counts = p.counts(class);
            counts.records += records;
            counts.rows += rows;
            self.commit_batch(p, tx, &BTreeMap::from([(class, (records, rows))]))
                .await?;
        }
    }

    /// The audit trail: each event that may be pseudonymised is weighed on
    /// the trail's rule and holds, and the due ones are pseudonymised, page
    /// by page, at most a batch a transaction. The store lists only events
    /// about no patient or a chart that is gone (see the module comment),
    /// and only those older than [`trail_horizon`], so the job does not
    /// read the whole trail every day.
    async fn pseudonymise_trail(&self, p: &mut Practice) -> Result<(), AppError> {
        let class = DataClass::AuditTrail;
        let before = trail_horizon(p);
        let mut after = 0;
        loop {
            let mut tx = self.store.read().await?;
            let page =
                audit::pseudonymisable(&mut tx, p.organisation, before, after, BATCH).await?;
            drop(tx);
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = last.seq;
            let mut tx = self.store.write().await?;
            let mut records = 0;
            for event in page {
                let facts = RecordFacts::created(p.date(event.at));
                if !p.weigh(class, &facts, event.patient) {
                    continue;
                }
                // The store pseudonymises an event once only, so a run that
                // overlaps another counts only what it changed itself.
                if p.dry_run || audit::pseudonymise(&mut tx, event.seq, self.now()).await? {
                    records += 1;
                }
            }
            let counts = p.counts(class);
            counts.records += records;
            counts.rows += records;
            self.commit_batch(p, tx, &BTreeMap::from([(class, (records, records))]))
                .await?;
        }
    }
}

/// The start of the day after the latest day an audit event due today can
/// have been written on, in the practice's zone: the trail's period of
/// years back from today, plus a day's margin for an anniversary on 29
/// February, which counts to 28 February. It only narrows what the job
/// reads; the domain's rule decides each event it does read. When the
/// period is not in years, or the date is off the calendar, every event is
/// read.
fn trail_horizon(p: &Practice) -> Timestamp {
    let Keep::Years(years) = retention::rule(DataClass::AuditTrail, &p.schedule).keep else {
        return Timestamp::from_micros(i64::MAX);
    };
    p.today
        .checked_sub(Span::new().years(years))
        .and_then(|day| day.checked_add(Span::new().days(2)))
        .and_then(|day| day.to_zoned_datetime(p.zone.clone()))
        .map_or(Timestamp::from_micros(i64::MAX), |start| {
            Timestamp::from_jiff(start.timestamp())
        })
}
