//! The patient registry: registration with duplicate detection, charts,
//! edits, merges, coverages and guarantors; the search the front desk types
//! into all day is in `search`.

use jiff::civil::Date;
use kerato_domain::coverage::{Coverage, NewCoverage};
use kerato_domain::guarantors::Guarantor;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::PatientId;
use kerato_domain::patients::{
    ChartMerge, DemographicsUpdate, Patient, PatientFields, Registration,
};
use kerato_store::patients::{self as store, ExactField};

use crate::authz::{Act, Caller, Guarded};
use crate::{App, AppError};

mod search;

pub use search::{MAX_RESULTS, SearchPage};

fn target(org: kerato_domain::ids::OrganisationId) -> Target {
    Target {
        organisation: org,
        location: None,
        resource: Resource::Patient,
    }
}

fn summary(p: &Patient) -> String {
    format!(
        "MRN {} ({} {}, born {})",
        p.mrn, p.fields.legal_first_name, p.fields.legal_last_name, p.fields.date_of_birth
    )
}

impl App {
    /// Today's date for date-of-birth checks. UTC is at most a day ahead
    /// of any US practice, so a baby born today is never refused.
    pub(crate) fn today(&self) -> Date {
        self.now()
            .to_jiff()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
    }

    /// Registers a patient. Unless the registration allows a duplicate, a
    /// chart with the same name and date of birth, mobile phone or e-mail
    /// stops it with a conflict that names the existing charts.
    pub async fn register_patient(
        &self,
        caller: &Caller,
        registration: &Registration,
    ) -> Result<Patient, AppError> {
        self.require(caller, Resource::Patient, Action::Create, None)
            .await?;
        let fields = registration.fields.clone();
        fields.check_date_of_birth(self.today())?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        if !registration.allow_duplicate {
            let mut found = store::same_name_and_birth(
                &mut tx,
                org,
                &fields.legal_last_name,
                &fields.legal_first_name,
                fields.date_of_birth,
            )
            .await?;
            if let Some(m) = &fields.mobile_phone {
                found.extend(store::by_field(&mut tx, org, ExactField::Phone, m.e164(), 10).await?);
            }
            if let Some(e) = &fields.email {
                found.extend(store::by_field(&mut tx, org, ExactField::Email, e, 10).await?);
            }
            found.sort_by(|a, b| a.mrn.cmp(&b.mrn));
            found.dedup_by(|a, b| a.id == b.id);
            if !found.is_empty() {
                let list: Vec<String> = found.iter().map(summary).collect();
                return Err(AppError::Conflict(format!(
                    "this may be a patient who is already registered: {}; open that chart, or confirm this is a different person",
                    list.join("; ")
                )));
            }
        }
        let mrn = store::next_mrn(&mut tx, org).await?;
        let patient = match self.new_chart_in(&mut tx, caller, fields, mrn).await? {
            Guarded::Allowed(p) => p,
            Guarded::Denied(act, why) => {
                drop(tx);
                return Err(self.record_denial(caller, &act, why).await?);
            }
        };
        store::insert_patient(&mut tx, &patient).await?;
        tx.commit().await?;
        Ok(patient)
    }

    /// A new chart of the caller's practice from validated demographics
    /// and an MRN taken for it, its creation audited in `tx`, exactly as
    /// registration does; the caller writes it, alone with
    /// `insert_patient` or with others by `insert_patients`, which write
    /// the same rows. A denial has written nothing, and the caller records
    /// it once `tx` is gone.
    pub(crate) async fn new_chart_in(
        &self,
        tx: &mut kerato_store::Tx,
        caller: &Caller,
        fields: PatientFields,
        mrn: String,
    ) -> Result<Guarded<Patient>, AppError> {
        let org = caller.actor.organisation_id;
        let now = self.now();
        let patient = Patient {
            id: PatientId::new(now, self.random_id_bits()),
            organisation_id: org,
            mrn,
            fields,
            merged_into: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let mut act = Act::new(Action::Create, target(org), "demographics")
            .id(patient.id)
            .new_value(&patient.fields);
        act.patient_id = Some(patient.id.to_string());
        Ok(match self.guard_in(tx, caller, &act).await? {
            None => Guarded::Allowed(patient),
            Some(why) => Guarded::Denied(act, why),
        })
    }

    /// A chart's demographics; the read is audited.
    pub async fn get_patient(&self, caller: &Caller, id: PatientId) -> Result<Patient, AppError> {
        self.require(caller, Resource::Patient, Action::View, None)
            .await?;
        let mut tx = self.store.read().await?;
        let patient = store::find_patient(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("patient"))?;
        let mut act = Act::new(
            Action::View,
            target(patient.organisation_id),
            "demographics",
        )
        .id(id);
        act.patient_id = Some(id.to_string());
        let tx = self.guard(tx, caller, act).await?;
        tx.commit().await?;
        Ok(patient)
    }

    /// Replaces a chart's demographics if it is still at the version the
    /// change was made from; old and new values are audited.
    pub async fn update_patient(
        &self,
        caller: &Caller,
        id: PatientId,
        update: &DemographicsUpdate,
    ) -> Result<Patient, AppError> {
        self.require(caller, Resource::Patient, Action::Update, None)
            .await?;
        update.fields.check_date_of_birth(self.today())?;
        let (fields, expected_version) = (update.fields.clone(), update.version);
        let mut tx = self.store.write().await?;
        let current = store::find_patient(&mut tx, id)
            .await?
            .ok_or(AppError::NotFound("patient"))?;
        let updated = Patient {
            fields,
            version: current.version + 1,
            updated_at: self.now(),
            ..current.clone()
        };
        let mut act = Act::new(
            Action::Update,
            target(current.organisation_id),
            "demographics",
        )
        .id(id)
        .old(&current.fields)
        .new_value(&updated.fields);
        act.patient_id = Some(id.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        // After the guard, so another organisation learns nothing of it.
        if current.merged_into.is_some() {
            return Err(AppError::Conflict(
                "this chart was merged into another; edit that one".into(),
            ));
        }
        if current.version != expected_version || !store::update_patient(&mut tx, &updated).await? {
            return Err(AppError::Conflict(format!(
                "this chart was changed by someone else (now version {}); reload it and apply your change again",
                current.version
            )));
        }
        tx.commit().await?;
        Ok(updated)
    }
}

impl App {
    /// Merges the chart with the MRN `merge` names into `keep`: the duplicate
    /// keeps its row and its audit trail but leaves search and points at
    /// `keep`; its disclosures move to `keep`. Both sides are audited.
    pub async fn merge_patient(
        &self,
        caller: &Caller,
        keep: PatientId,
        merge: &ChartMerge,
    ) -> Result<Patient, AppError> {
        self.require(caller, Resource::Patient, Action::Update, None)
            .await?;
        let mrn = merge.duplicate.as_str();
        let mut tx = self.store.write().await?;
        let kept = store::find_patient(&mut tx, keep)
            .await?
            .ok_or(AppError::NotFound("patient"))?;
        let org = kept.organisation_id;
        if org != caller.actor.organisation_id {
            // Another organisation's chart: record and refuse the attempt
            // before looking anything else up in that organisation.
            let mut act = Act::new(Action::Update, target(org), "chart merge").id(keep);
            act.patient_id = Some(keep.to_string());
            self.guard(tx, caller, act).await?;
            return Err(AppError::Forbidden(
                "you do not have access to this record".into(),
            ));
        }
        let duplicate = store::by_field(&mut tx, org, ExactField::Mrn, mrn, 1)
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound("chart with that MRN"))?;
        if duplicate.id == kept.id {
            return Err(AppError::Conflict(
                "a chart cannot be merged into itself".into(),
            ));
        }
        if kept.merged_into.is_some() || duplicate.merged_into.is_some() {
            return Err(AppError::Conflict(
                "one of these charts was already merged; open the chart it points to".into(),
            ));
        }
        let mut act = Act::new(Action::Update, target(org), "chart merge")
            .id(keep)
            .old(&duplicate.fields);
        act.patient_id = Some(keep.to_string());
        act.new = serde_json::to_string(&serde_json::json!({ "merged_from": duplicate.id.to_string(), "merged_mrn": duplicate.mrn })).ok();
        let tx = self.guard(tx, caller, act).await?;
        let mut act = Act::new(Action::Update, target(org), "chart merge").id(duplicate.id);
        act.patient_id = Some(duplicate.id.to_string());
        act.new = serde_json::to_string(
            &serde_json::json!({ "merged_into": keep.to_string(), "kept_mrn": kept.mrn }),
        )
        .ok();
        let mut tx = self.guard(tx, caller, act).await?;
        if !store::mark_merged(&mut tx, &duplicate, keep, self.now()).await? {
            return Err(AppError::Conflict(
                "the duplicate chart changed while merging; try again".into(),
            ));
        }
        kerato_store::privacy::reassign_disclosures(
            &mut tx,
            org,
            &duplicate.id.to_string(),
            &keep.to_string(),
        )
        .await?;
        tx.commit().await?;
        Ok(kept)
    }
}

impl App {
    /// Adds an insurance coverage to a chart. Two coverages of the same kind
    /// and priority may not be in force on the same day.
    pub async fn add_coverage(
        &self,
        caller: &Caller,
        patient: PatientId,
        coverage: &NewCoverage,
    ) -> Result<Coverage, AppError> {
        self.require(caller, Resource::Patient, Action::Update, None)
            .await?;
        coverage.check_subscriber(self.today())?;
        let now = self.now();
        let coverage = coverage.clone().into_coverage(
            kerato_domain::ids::CoverageId::new(now, self.random_id_bits()),
            patient,
            now,
        );
        let mut tx = self.store.write().await?;
        let chart = store::find_patient(&mut tx, patient)
            .await?
            .ok_or(AppError::NotFound("patient"))?;
        let org = chart.organisation_id;
        let mut act = Act::new(Action::Update, target(org), "insurance")
            .id(coverage.id)
            .new_value(&coverage);
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        let clash = kerato_store::coverage::coverages_of(&mut tx, org, patient)
            .await?
            .into_iter()
            .find(|c| {
                c.kind == coverage.kind && c.priority == coverage.priority && c.overlaps(&coverage)
            });
        if let Some(c) = clash {
            return Err(AppError::Conflict(format!(
                "{} is already the {} {} coverage from {}; end it or choose another priority",
                c.payer,
                match c.priority {
                    1 => "primary",
                    2 => "secondary",
                    _ => "tertiary",
                },
                c.kind.as_str(),
                c.effective_from
            )));
        }
        kerato_store::coverage::insert_coverage(&mut tx, org, &coverage).await?;
        tx.commit().await?;
        Ok(coverage)
    }

    /// A chart's coverages; the read is audited.
    pub async fn coverages(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<Vec<Coverage>, AppError> {
        self.require(caller, Resource::Patient, Action::View, None)
            .await?;
        let mut tx = self.store.read().await?;
        let chart = store::find_patient(&mut tx, patient)
            .await?
            .ok_or(AppError::NotFound("patient"))?;
        let mut act = Act::new(Action::View, target(chart.organisation_id), "insurance");
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        let all =
            kerato_store::coverage::coverages_of(&mut tx, chart.organisation_id, patient).await?;
        tx.commit().await?;
        Ok(all)
    }
}

impl App {
    /// A write transaction and a chart of the caller's practice, for the
    /// guarantor's use cases (which then guard what they do with it).
    async fn chart_in_practice(
        &self,
        caller: &Caller,
        patient: PatientId,
        action: Action,
    ) -> Result<(kerato_store::Tx, Patient), AppError> {
        self.require(caller, Resource::Patient, action, None)
            .await?;
        let mut tx = self.store.write().await?;
        let chart = store::find_patient(&mut tx, patient)
            .await?
            .filter(|p| p.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("patient"))?;
        Ok((tx, chart))
    }

    /// Records who pays the patient's bills; a minor's guarantor must be
    /// someone else.
    pub async fn set_guarantor(
        &self,
        caller: &Caller,
        patient: PatientId,
        guarantor: &Guarantor,
    ) -> Result<Guarantor, AppError> {
        let (tx, chart) = self
            .chart_in_practice(caller, patient, Action::Update)
            .await?;
        guarantor.check_for_patient(chart.fields.date_of_birth, self.today())?;
        let guarantor = guarantor.clone();
        let mut act = Act::new(Action::Update, target(chart.organisation_id), "guarantor")
            .new_value(&guarantor);
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        kerato_store::guarantors::set(&mut tx, patient, &guarantor, self.now()).await?;
        tx.commit().await?;
        Ok(guarantor)
    }

    /// The patient's guarantor, if one was recorded; the read is audited.
    pub async fn guarantor(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<Option<Guarantor>, AppError> {
        let (tx, chart) = self
            .chart_in_practice(caller, patient, Action::View)
            .await?;
        let mut act = Act::new(Action::View, target(chart.organisation_id), "guarantor");
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;
        let g = kerato_store::guarantors::get(&mut tx, patient).await?;
        tx.commit().await?;
        Ok(g)
    }
}
