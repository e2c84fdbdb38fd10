//! A patient's rights over their whole record: the access package (every
//! row about them, a readable summary and their photos) and the deletion
//! request, which deletes what no retention rule or legal hold keeps and
//! says precisely what is kept, why and until when.
//!
//! Both walk the store's patient data registry, so neither can miss a
//! table the schema has.

use std::io::Write;

use jiff::civil::Date;
use kerato_domain::identity::{Action, Resource, Target};
use kerato_domain::ids::{PatientId, PhotoId};
use kerato_domain::retention::{
    self, Anchor, DataClass, Due, Keep, LegalHold, RecordFacts, RetentionSchedule,
};
use kerato_domain::time::Timestamp;
use kerato_formats::summary_pdf::{self, SummaryPdf, SummarySection};
use kerato_store::patient_data::{self as registry, CHART_TABLES, PATIENT_TABLES, Retention};
use kerato_store::{lesions as lesion_store, patients as patient_store, tenancy};
use serde_json::{Map, Value};

use crate::authz::{Act, Caller};
use crate::lesions::remove_photo_files;
use crate::{App, AppError};

/// A patient's access package: a ZIP file to hand over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessPackage {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// What a deletion request did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeletionReport {
    /// Table and rows deleted, in the order they went.
    pub deleted: Vec<(String, u64)>,
    /// What stays, one line per retention class (or hold).
    pub kept: Vec<Kept>,
}

/// Records kept after a deletion request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Kept {
    /// The class and its tables with their row counts.
    pub what: String,
    /// The rule and its citation, or the hold, that keeps them.
    pub why: String,
    /// The first day they may go, when it is known.
    pub until: Option<Date>,
}

/// The registry's groups of one retention class, with what each holds.
struct ClassGroup {
    class: Retention,
    entries: Vec<(&'static registry::PatientTable, registry::Holding)>,
}

impl ClassGroup {
    fn rows(&self) -> u64 {
        self.entries.iter().map(|(_, h)| h.rows).sum()
    }

    fn newest(&self) -> Option<Timestamp> {
        self.entries.iter().filter_map(|(_, h)| h.newest).max()
    }

    fn label(&self) -> &'static str {
        match self.class {
            Retention::Schedule(class) => class.label(),
            Retention::OnRequest => "Non-clinical preferences and messages",
        }
    }

    /// "Clinical record (adult): appointments (2 rows), lesions (1 row)".
    fn describe(&self, only: impl Fn(&str) -> bool) -> String {
        let mut counts: Vec<(&str, u64)> = Vec::new();
        for (entry, held) in &self.entries {
            if held.rows == 0 || !only(entry.table) {
                continue;
            }
            match counts.iter_mut().find(|(t, _)| *t == entry.table) {
                Some((_, n)) => *n += held.rows,
                None => counts.push((entry.table, held.rows)),
            }
        }
        let tables: Vec<String> = counts
            .iter()
            .map(|(t, n)| format!("{t} ({n} {})", if *n == 1 { "row" } else { "rows" }))
            .collect();
        format!("{}: {}", self.label(), tables.join(", "))
    }
}

/// The day an instant falls on in UTC. Retention runs on dates; a US
/// practice's evening is the next UTC day, which only ever keeps a record
/// a day longer.
fn utc_date(t: Timestamp) -> Date {
    t.to_jiff()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

/// How a rule keeps its records, in words.
fn rule_text(class: DataClass, schedule: &RetentionSchedule) -> String {
    let row = retention::rule(class, schedule);
    let keep = match row.keep {
        Keep::Years(n) => format!("kept {n} years"),
        Keep::Days(n) => format!("kept {n} days"),
        Keep::NotAtAll => "not kept".to_string(),
    };
    let after = match row.after {
        Anchor::Created => "from when it was made",
        Anchor::LastVisit => {
            "after the last visit (for a minor, at least until majority plus the state's extra years)"
        }
        Anchor::LastEffective => "from when it was last in effect",
        Anchor::AccountClosed => "after the account closes",
        Anchor::LastInteraction => "after the last interaction, or until opt-out",
        Anchor::LearnedUnder13 => "once we learn the person is under 13",
    };
    let then = match retention::action(class) {
        retention::Action::Delete => "then deleted",
        retention::Action::Pseudonymise => "then pseudonymised, never deleted",
    };
    format!(
        "{}: {keep} {after}, {then} ({})",
        class.label(),
        row.citation
    )
}

impl App {
    /// The patient's access package: `record.json` (every row about the
    /// patient in every table, under a header naming the practice, the
    /// time and the patient), `summary.pdf` (the same, readable) and each
    /// clinical photo as stored. For the privacy officer; audited as an
    /// export of the record in the transaction that reads it.
    pub async fn access_package(
        &self,
        caller: &Caller,
        patient: PatientId,
    ) -> Result<AccessPackage, AppError> {
        let (record, practice, photos) = self
            .read_of_patient(
                caller,
                patient,
                (Resource::PrivacyRequest, Action::Export, "access package"),
                async |tx| {
                    let record = registry::export_patient(tx, patient).await?;
                    let practice = tenancy::get_organisation(tx, caller.actor.organisation_id)
                        .await?
                        .map(|o| o.name)
                        .unwrap_or_default();
                    let photos = lesion_store::photos_of_patient(tx, patient).await?;
                    Ok((record, practice, photos))
                },
            )
            .await?;
        let now = self.now();
        let generated = now.to_jiff().to_string();
        let summary = summary_pdf::render(&summary(&record, &practice, patient, &generated));
        let mut document = Map::new();
        document.insert("practice".into(), Value::from(practice));
        document.insert("generated_at".into(), Value::from(generated));
        document.insert("patient_id".into(), Value::from(patient.to_string()));
        document.insert("tables".into(), Value::Object(record));
        let json =
            serde_json::to_vec_pretty(&Value::Object(document)).map_err(AppError::corrupt)?;

        let mut files: Vec<(String, Vec<u8>)> = vec![
            ("record.json".into(), json),
            ("summary.pdf".into(), summary),
        ];
        if !photos.is_empty() {
            let store = self.photo_files()?;
            for photo in &photos {
                let bytes = store
                    .get(&photo.id.to_string())
                    .map_err(|e| AppError::NotReady(e.to_string()))?;
                let ext = if photo.media_type == kerato_domain::lesions::PhotoMediaType::Png {
                    "png"
                } else {
                    "jpg"
                };
                files.push((format!("photos/{}.{ext}", photo.id), bytes));
            }
        }
        Ok(AccessPackage {
            file_name: format!("record-{patient}-{}.zip", utc_date(now).strftime("%Y%m%d")),
            bytes: zip_files(&files)?,
        })
    }

    /// Carries out a patient's request to delete their data, for the
    /// privacy officer: everything that no retention rule (the state's
    /// schedule, with the patient's last visit and date of birth) and no
    /// legal hold keeps is deleted, in one transaction with its audit
    /// event. Marketing consents go at once, since the request is also an
    /// opt-out; clinical records inside their period stay; the audit trail
    /// always stays (retention pseudonymises it later). The report says
    /// what is kept, why and until when.
    ///
    /// `holds` are the legal holds that cover this patient; they are
    /// passed in until the store keeps them.
    pub async fn delete_patient_data(
        &self,
        caller: &Caller,
        patient: PatientId,
        today: Date,
        state: &str,
        holds: &[LegalHold],
    ) -> Result<DeletionReport, AppError> {
        self.require(caller, Resource::PrivacyRequest, Action::Update, None)
            .await?;
        let schedule = RetentionSchedule::new(state, None)?;
        let mut tx = self.store.write().await?;
        let chart = patient_store::find_patient(&mut tx, patient)
            .await?
            .filter(|p| p.organisation_id == caller.actor.organisation_id)
            .ok_or(AppError::NotFound("patient"))?;

        let mut groups: Vec<ClassGroup> = Vec::new();
        for entry in PATIENT_TABLES {
            let held = registry::holding(&mut tx, entry, patient).await?;
            match groups.iter_mut().find(|g| g.class == entry.class) {
                Some(g) => g.entries.push((entry, held)),
                None => groups.push(ClassGroup {
                    class: entry.class,
                    entries: vec![(entry, held)],
                }),
            }
        }
        let clinical = Retention::Schedule(DataClass::ClinicalAdult);
        // The last visit is the newest clinical row of any kind: a booked
        // visit or a record written later only ever keeps things longer.
        let last_visit = groups
            .iter()
            .find(|g| g.class == clinical)
            .and_then(ClassGroup::newest)
            .map(utc_date);
        let facts = |group: &ClassGroup| RecordFacts {
            created: group.newest().map_or(utc_date(chart.created_at), utc_date),
            last_visit,
            date_of_birth: Some(chart.fields.date_of_birth),
            // The request is itself an opt-out of marketing.
            opted_out_on: Some(today),
            ..RecordFacts::created(utc_date(chart.created_at))
        };

        let mut kept: Vec<Kept> = Vec::new();
        let mut deleting: Vec<&ClassGroup> = Vec::new();
        for group in groups.iter().filter(|g| g.rows() > 0) {
            let what = group.describe(|_| true);
            let hold = holds.iter().find(|h| match group.class {
                Retention::Schedule(class) => h.covers(class, today),
                // Only a hold on every class covers them; with no classes
                // listed, `covers` looks at the dates alone.
                Retention::OnRequest => {
                    h.classes.is_empty() && h.covers(DataClass::UsageLogs, today)
                }
            });
            if let Some(hold) = hold {
                kept.push(Kept {
                    what,
                    why: format!("legal hold placed on {}: {}", hold.placed_on, hold.reason),
                    until: hold.released_on,
                });
                continue;
            }
            let Retention::Schedule(class) = group.class else {
                deleting.push(group);
                continue;
            };
            let facts = facts(group);
            let due = retention::due_on(class, &facts, &schedule);
            let until = match due {
                Due::On(d) => Some(d),
                Due::Never | Due::KeepWhileActive | Due::Now => None,
            };
            let stuck: Vec<&str> = group
                .entries
                .iter()
                .filter(|(e, h)| h.rows > 0 && e.delete.is_none())
                .map(|(e, _)| e.table)
                .collect();
            if !retention::is_due(class, &facts, &schedule, holds, today) {
                kept.push(Kept {
                    what,
                    why: rule_text(class, &schedule),
                    until,
                });
            } else if !stuck.is_empty() {
                kept.push(Kept {
                    what,
                    why: format!(
                        "{}; its period has ended, but {} cannot be deleted in place (signed and append-only records); the retention job removes or pseudonymises them",
                        rule_text(class, &schedule),
                        stuck.join(", ")
                    ),
                    until,
                });
            } else {
                deleting.push(group);
            }
        }
        // The chart goes only with the last record that refers to it; the
        // audit trail refers to it by ID alone and outlives it by design.
        let others_kept = groups.iter().any(|g| {
            g.class != Retention::Schedule(DataClass::AuditTrail)
                && !deleting.iter().any(|d| d.class == g.class)
                && g.entries
                    .iter()
                    .any(|(e, h)| h.rows > 0 && !CHART_TABLES.contains(&e.table))
        });
        if others_kept
            && deleting.iter().any(|g| g.class == clinical)
            && let Some(group) = groups.iter().find(|g| g.class == clinical)
        {
            kept.push(Kept {
                what: group.describe(|t| CHART_TABLES.contains(&t)),
                why: "the chart stays while the records kept above refer to it".into(),
                until: None,
            });
        }

        let plan: Vec<&str> = deleting.iter().map(|g| g.label()).collect();
        let target = Target {
            organisation: caller.actor.organisation_id,
            location: None,
            resource: Resource::PrivacyRequest,
        };
        let mut act = Act::new(Action::Update, target, "deletion request")
            .new_value(&serde_json::json!({ "deleted_classes": plan, "kept": kept }));
        act.patient_id = Some(patient.to_string());
        let mut tx = self.guard(tx, caller, act).await?;

        let photos: Vec<PhotoId> = if deleting.iter().any(|g| g.class == clinical) {
            lesion_store::photos_of_patient(&mut tx, patient)
                .await?
                .into_iter()
                .map(|p| p.id)
                .collect()
        } else {
            Vec::new()
        };
        let mut deleted: Vec<(String, u64)> = Vec::new();
        for entry in PATIENT_TABLES {
            let goes = deleting.iter().any(|g| g.class == entry.class)
                && !(others_kept && CHART_TABLES.contains(&entry.table));
            if !goes {
                continue;
            }
            let Some(n) = registry::delete(&mut tx, entry, patient).await? else {
                continue;
            };
            if n == 0 {
                continue;
            }
            match deleted.iter_mut().find(|(t, _)| t == entry.table) {
                Some((_, total)) => *total += n,
                None => deleted.push((entry.table.to_string(), n)),
            }
        }
        tx.commit().await?;
        // Files go once their rows are gone for good; a file left behind
        // by a failure here is unreadable without its row and is reported.
        if !photos.is_empty() {
            remove_photo_files(&*self.photo_files()?, &photos);
        }
        Ok(DeletionReport { deleted, kept })
    }
}

/// Writes `files` into a ZIP archive, stored without compression.
fn zip_files(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, AppError> {
    let failed = |e: zip::result::ZipError| {
        AppError::NotReady(format!(
            "the access package could not be written ({e}); try again, and report it if it persists"
        ))
    };
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(files.iter().map(|(_, b)| b.len()).sum::<usize>() > u32::MAX as usize);
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options).map_err(failed)?;
        zip.write_all(bytes).map_err(|e| failed(e.into()))?;
    }
    Ok(zip.finish().map_err(failed)?.into_inner())
}

/// A text field of a row; numbers as written, nothing for null.
fn field(row: &Map<String, Value>, column: &str) -> String {
    match row.get(column) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// A microsecond timestamp column as a UTC date and time.
fn when(row: &Map<String, Value>, column: &str) -> String {
    row.get(column)
        .and_then(Value::as_i64)
        .map(|t| {
            Timestamp::from_micros(t)
                .to_jiff()
                .strftime("%Y-%m-%d %H:%M UTC")
                .to_string()
        })
        .unwrap_or_default()
}

/// The readable summary of an exported record.
fn summary(
    record: &Map<String, Value>,
    practice: &str,
    patient: PatientId,
    generated: &str,
) -> SummaryPdf {
    let rows = |table: &str| -> Vec<Map<String, Value>> {
        record
            .get(table)
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(|v| v.as_object().cloned()).collect())
            .unwrap_or_default()
    };
    let section =
        |heading: &str, table: &str, line: &dyn Fn(&Map<String, Value>) -> String| SummarySection {
            heading: heading.into(),
            lines: rows(table).iter().map(line).collect(),
        };
    let demographics = rows("patients")
        .iter()
        .flat_map(|p| {
            [
                format!(
                    "Name: {} {} {}",
                    field(p, "legal_first_name"),
                    field(p, "legal_middle_name"),
                    field(p, "legal_last_name")
                ),
                format!("Record number: {}", field(p, "mrn")),
                format!("Date of birth: {}", field(p, "date_of_birth")),
                format!(
                    "Address: {} {} {} {} {}",
                    field(p, "address_line1"),
                    field(p, "address_line2"),
                    field(p, "city"),
                    field(p, "state"),
                    field(p, "zip")
                ),
                format!(
                    "Phone: {} {}  E-mail: {}",
                    field(p, "mobile_phone"),
                    field(p, "home_phone"),
                    field(p, "email")
                ),
            ]
        })
        .collect();
    SummaryPdf {
        title: "Summary of your record".into(),
        header: vec![
            format!("From {practice}"),
            format!("Patient {patient}; made {generated}"),
            "The complete record, every row of every table, is in record.json beside this file."
                .into(),
        ],
        sections: vec![
            SummarySection {
                heading: "Demographics".into(),
                lines: demographics,
            },
            section("Insurance", "coverages", &|r| {
                format!(
                    "{} {} (priority {}): member {}, from {} to {}",
                    field(r, "kind"),
                    field(r, "payer"),
                    field(r, "priority"),
                    field(r, "member_id"),
                    field(r, "effective_from"),
                    field(r, "effective_to")
                )
            }),
            section("Appointments", "appointments", &|r| {
                format!("{}: {}", when(r, "starts_at"), field(r, "status"))
            }),
            section("Eye exams", "eye_exams", &|r| {
                format!(
                    "{}: {} ({})",
                    when(r, "created_at"),
                    field(r, "template"),
                    field(r, "status")
                )
            }),
            section("Prescriptions", "prescriptions", &|r| {
                format!(
                    "{}, issued {}, expires {}: {}",
                    field(r, "kind"),
                    field(r, "issued_on"),
                    field(r, "expires_on"),
                    field(r, "body")
                )
            }),
            section("Lesions", "lesions", &|r| {
                format!(
                    "{} {} {} ({})",
                    field(r, "label"),
                    field(r, "laterality"),
                    field(r, "region"),
                    field(r, "status")
                )
            }),
            section("Procedures", "procedures", &|r| {
                format!("{}: {}", field(r, "service_date"), field(r, "note"))
            }),
            section("Biopsies", "biopsies", &|r| {
                format!(
                    "{}: {} biopsy, {}",
                    field(r, "site"),
                    field(r, "method"),
                    field(r, "state")
                )
            }),
            section("Disclosures", "disclosures", &|r| {
                format!(
                    "{}: to {} for {}: {}",
                    when(r, "disclosed_at"),
                    field(r, "recipient"),
                    field(r, "purpose"),
                    field(r, "description")
                )
            }),
            section("Photographs", "clinical_photos", &|r| {
                format!("{}: photos/{}", when(r, "taken_at"), field(r, "id"))
            }),
        ],
    }
}
