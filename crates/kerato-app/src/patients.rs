//! The patient registry: registration with duplicate detection, charts,
//! edits and the search the front desk types into all day.

use jiff::civil::Date;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::PatientId;
use kerato_domain::patients::{
    MIN_TYPO_CHARS, NameKind, Patient, PatientFields, PatientInput, Phone, fold, name_match,
    parse_date_of_birth, typo_match, typo_probe,
};
use kerato_store::patients::{self as store, ExactField, NameHit, WordMatch};

use crate::authz::{Act, Caller, Guarded};
use crate::{App, AppError};

/// Most results one search returns.
pub const MAX_RESULTS: usize = 50;
/// Name-index rows read per tier when a query of several words may hide a
/// typo in a word after the first (see `name_search`).
const TYPO_SCAN_ROWS: usize = 500;

/// The ways the first query word can match a chart, best first: the
/// beginning of a last-name word, of a first or preferred name word, then
/// the same with one typo. The score a word earns falls in this order.
const TIERS: [(NameKind, bool); 4] = [
    (NameKind::Last, false),
    (NameKind::First, false),
    (NameKind::Last, true),
    (NameKind::First, true),
];

/// A chart a name search found, with what it is ranked by.
struct Found {
    score: u32,
    hit: NameHit,
}

impl Found {
    /// Best score first; then by the name word that matched, last name,
    /// first name and ID, the order the name index reads in.
    fn rank(&self) -> (std::cmp::Reverse<u32>, &str, &str, &str, PatientId) {
        (
            std::cmp::Reverse(self.score),
            &self.hit.token,
            &self.hit.last_folded,
            &self.hit.first_folded,
            self.hit.patient_id,
        )
    }
}

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

    /// Registers a patient. Unless `allow_duplicate`, a chart with the same
    /// name and date of birth, mobile phone or e-mail stops the
    /// registration with a conflict that names the existing charts.
    pub async fn register_patient(
        &self,
        caller: &Caller,
        input: &PatientInput,
        allow_duplicate: bool,
    ) -> Result<Patient, AppError> {
        self.require(caller, Resource::Patient, Action::Create, None)
            .await?;
        let fields = input.validate(self.today())?;
        let org = caller.actor.organisation_id;
        let mut tx = self.store.write().await?;
        if !allow_duplicate {
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
        let mut tx = self.store.write().await?;
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

    /// Replaces a chart's demographics; old and new values are audited.
    pub async fn update_patient(
        &self,
        caller: &Caller,
        id: PatientId,
        expected_version: i64,
        input: &PatientInput,
    ) -> Result<Patient, AppError> {
        self.require(caller, Resource::Patient, Action::Update, None)
            .await?;
        let fields = input.validate(self.today())?;
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

    /// Finds charts by name (prefix of last, first or preferred name,
    /// accents and case ignored, one typo tolerated), date of birth, phone,
    /// e-mail or MRN; best matches first. The search, with what was typed,
    /// is audited as a query of PHI.
    pub async fn search_patients(
        &self,
        caller: &Caller,
        query: &str,
    ) -> Result<Vec<Patient>, AppError> {
        let q = query.trim();
        let org = caller.actor.organisation_id;
        let tx = self.store.write().await?;
        let mut act = Act::new(Action::Query, target(org), "patient search");
        act.new = serde_json::to_string(
            &serde_json::json!({ "query": q.chars().take(100).collect::<String>() }),
        )
        .ok();
        let mut tx = self.guard(tx, caller, act).await?;
        let limit = MAX_RESULTS as i64;
        let digits: String = q.chars().filter(char::is_ascii_digit).collect();
        let results = if q.is_empty() {
            Vec::new()
        } else if q.contains('@') {
            store::by_field(&mut tx, org, ExactField::Email, &q.to_lowercase(), limit).await?
        } else if let Ok(dob) = parse_date_of_birth(q, self.today()) {
            store::by_field(
                &mut tx,
                org,
                ExactField::DateOfBirth,
                &dob.to_string(),
                limit,
            )
            .await?
        } else if digits.len() >= 10
            && digits.len() == q.chars().filter(|c| c.is_ascii_alphanumeric()).count()
        {
            match Phone::parse(q) {
                Ok(p) => store::by_field(&mut tx, org, ExactField::Phone, p.e164(), limit).await?,
                Err(_) => Vec::new(),
            }
        } else if !digits.is_empty() && digits.len() == q.len() {
            let mrn = format!("{:0>7}", digits);
            store::by_field(&mut tx, org, ExactField::Mrn, &mrn, limit).await?
        } else {
            self.name_search(&mut tx, org, q).await?
        };
        tx.commit().await?;
        Ok(results)
    }

    /// Name search over the name index. The first query word drives it,
    /// tier by tier (see [`TIERS`]); for a one-word query each tier is read
    /// in result order and the search stops once a page is full, so the
    /// answer is exact and costs a few index probes whatever the size of
    /// the registry. Further words must each begin a name word (checked in
    /// SQL as the rows are read); only if that leaves fewer than a page of
    /// best-possible matches are up to [`TYPO_SCAN_ROWS`] rows per tier also
    /// read without that check, to let a later word carry a typo.
    async fn name_search(
        &self,
        tx: &mut kerato_store::Tx,
        org: kerato_domain::ids::OrganisationId,
        q: &str,
    ) -> Result<Vec<Patient>, AppError> {
        let folded = fold(q);
        let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
        let Some((driver, others)) = words.split_first() else {
            return Ok(Vec::new());
        };
        // The dictionary's words one typo from the first query word, looked
        // up only if the search gets as far as the typo tiers.
        let mut typo_words: Option<Vec<String>> = None;
        let best_possible = 12 + 6 * others.len() as u32;
        let mut found: Vec<Found> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let keep = |hits: Vec<NameHit>,
                    found: &mut Vec<Found>,
                    seen: &mut std::collections::HashSet<PatientId>| {
            for hit in hits {
                if !seen.insert(hit.patient_id) {
                    continue;
                }
                let score = name_match(
                    q,
                    &hit.last_folded,
                    &hit.first_folded,
                    hit.preferred_folded.as_deref(),
                );
                if let Some(score) = score {
                    found.push(Found { score, hit });
                }
            }
        };
        for (kind, typo) in TIERS {
            if found.len() >= MAX_RESULTS {
                break;
            }
            let need = MAX_RESULTS - found.len();
            if typo && typo_words.is_none() {
                typo_words = Some(one_typo_words(tx, org, driver).await?);
            }
            let words = typo_words.as_deref().filter(|_| typo);
            let hits = tier_hits(tx, org, kind, driver, words, others, &seen, need).await?;
            keep(hits, &mut found, &mut seen);
        }
        let all_best = found.len() >= MAX_RESULTS
            && found[..MAX_RESULTS]
                .iter()
                .all(|f| f.score == best_possible);
        if !others.is_empty() && !all_best {
            for (kind, typo) in TIERS {
                if typo && typo_words.is_none() {
                    typo_words = Some(one_typo_words(tx, org, driver).await?);
                }
                let words = typo_words.as_deref().filter(|_| typo);
                let hits =
                    tier_hits(tx, org, kind, driver, words, &[], &seen, TYPO_SCAN_ROWS).await?;
                keep(hits, &mut found, &mut seen);
            }
        }
        found.sort_by(|a, b| a.rank().cmp(&b.rank()));
        let ids: Vec<PatientId> = found
            .iter()
            .take(MAX_RESULTS)
            .map(|f| f.hit.patient_id)
            .collect();
        Ok(store::by_ids(tx, org, &ids).await?)
    }
}

/// The words of the organisation's name dictionary that `driver` (a folded
/// query word) matches only with one typo, alphabetically; none for a word
/// too short to tolerate one.
async fn one_typo_words(
    tx: &mut kerato_store::Tx,
    org: kerato_domain::ids::OrganisationId,
    driver: &str,
) -> Result<Vec<String>, AppError> {
    if driver.chars().count() < MIN_TYPO_CHARS {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = typo_probe(driver).into_iter().collect();
    let mut words = store::words_by_typo_keys(tx, org, &keys).await?;
    words.retain(|w| typo_match(driver, w));
    Ok(words)
}

/// Up to `need` charts not in `seen` whose `kind` name has a word matching
/// `driver`, by its beginning or (when `typo_words` is given) by being one
/// of those words, and whose names also contain a word beginning with each
/// of `others`; in the order the name index reads them.
#[allow(clippy::too_many_arguments)]
async fn tier_hits(
    tx: &mut kerato_store::Tx,
    org: kerato_domain::ids::OrganisationId,
    kind: NameKind,
    driver: &str,
    typo_words: Option<&[String]>,
    others: &[&str],
    seen: &std::collections::HashSet<PatientId>,
    need: usize,
) -> Result<Vec<NameHit>, AppError> {
    let matches: Vec<WordMatch<'_>> = match typo_words {
        None => vec![WordMatch::Prefix(driver)],
        Some(words) => words.iter().map(|w| WordMatch::Word(w)).collect(),
    };
    let mut out: Vec<NameHit> = Vec::new();
    let mut taken = std::collections::HashSet::new();
    for m in matches {
        // Charts already found, or with two matching words, come back
        // again; read further until enough new ones are in hand or the
        // index runs out.
        let mut limit = need - out.len();
        loop {
            let hits = store::name_hits(tx, org, kind, m, others, limit as i64).await?;
            let exhausted = hits.len() < limit;
            let fresh: Vec<NameHit> = hits
                .into_iter()
                .filter(|h| !seen.contains(&h.patient_id) && !taken.contains(&h.patient_id))
                .fold(Vec::new(), |mut v: Vec<NameHit>, h| {
                    if !v.iter().any(|x| x.patient_id == h.patient_id) {
                        v.push(h);
                    }
                    v
                });
            if exhausted || out.len() + fresh.len() >= need {
                for h in fresh.into_iter().take(need - out.len()) {
                    taken.insert(h.patient_id);
                    out.push(h);
                }
                break;
            }
            limit *= 2;
        }
        if out.len() >= need {
            break;
        }
    }
    Ok(out)
}

impl App {
    /// Merges the chart with MRN `duplicate_mrn` into `keep`: the duplicate
    /// keeps its row and its audit trail but leaves search and points at
    /// `keep`; its disclosures move to `keep`. Both sides are audited.
    pub async fn merge_patient(
        &self,
        caller: &Caller,
        keep: PatientId,
        duplicate_mrn: &str,
    ) -> Result<Patient, AppError> {
        self.require(caller, Resource::Patient, Action::Update, None)
            .await?;
        let digits: String = duplicate_mrn.chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() || digits.len() > 7 || digits.len() != duplicate_mrn.trim().len() {
            return Err(kerato_domain::ValidationErrors::single(
                "mrn",
                "enter the duplicate chart's MRN (digits only)",
            )
            .into());
        }
        let mrn = format!("{digits:0>7}");
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
        let duplicate = store::by_field(&mut tx, org, ExactField::Mrn, &mrn, 1)
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
        input: &kerato_domain::coverage::CoverageInput,
    ) -> Result<kerato_domain::coverage::Coverage, AppError> {
        self.require(caller, Resource::Patient, Action::Update, None)
            .await?;
        let now = self.now();
        let coverage = input.validate(
            kerato_domain::ids::CoverageId::new(now, self.random_id_bits()),
            patient,
            self.today(),
            now,
        )?;
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
    ) -> Result<Vec<kerato_domain::coverage::Coverage>, AppError> {
        self.require(caller, Resource::Patient, Action::View, None)
            .await?;
        let mut tx = self.store.write().await?;
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
        input: &kerato_domain::guarantor::GuarantorInput,
    ) -> Result<kerato_domain::guarantor::Guarantor, AppError> {
        let (tx, chart) = self
            .chart_in_practice(caller, patient, Action::Update)
            .await?;
        let guarantor = input.validate(chart.fields.date_of_birth, self.today())?;
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
    ) -> Result<Option<kerato_domain::guarantor::Guarantor>, AppError> {
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
