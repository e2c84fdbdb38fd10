//! Importing patients: each row validated as the registration form is,
//! checked against the registry and the file's earlier rows for the same
//! person, and written as registration writes a chart.

use std::collections::HashMap;

use kerato_domain::import::patients::{PersonKey, patient_fields, person_key, same_person};
use kerato_domain::import::{DuplicateRow, ImportKind, SourceRow};
use kerato_domain::patients::PatientFields;
use kerato_store::import::{self as ledger, LedgerRow};
use kerato_store::patients as store;

use super::{BATCH_ROWS, Progress, Run, mapped_rows};
use crate::authz::Guarded;
use crate::{App, AppError};

impl App {
    pub(super) async fn import_patients(
        &self,
        run: &mut Run<'_>,
        rows: &[SourceRow],
        progress: &dyn Progress,
    ) -> Result<(), AppError> {
        let org = run.caller.actor.organisation_id;
        let today = self.today();
        let record = ImportKind::Patients.record();
        // The people this run has taken in so far, to find a person the
        // file lists twice under different IDs.
        let mut people: HashMap<PersonKey, Vec<(u64, PatientFields)>> = HashMap::new();
        let mut keys: HashMap<String, u64> = HashMap::new();
        for batch in rows.chunks(BATCH_ROWS) {
            let mut tx = self.batch_tx(run.dry_run).await?;
            let mapped = mapped_rows(run.binding, batch, run.report);
            let wanted: Vec<&str> = mapped.iter().map(|m| m.key.as_str()).collect();
            let done =
                ledger::already_imported(&mut tx, org, record, &run.mapping().source, &wanted)
                    .await?;
            let mut charts = Vec::new();
            let mut remembered = Vec::new();
            for row in &mapped {
                if done.contains_key(&row.key) {
                    run.report.already_imported += 1;
                    continue;
                }
                if run.repeated_key(&mut keys, row) {
                    continue;
                }
                let fields = match patient_fields(row, run.mapping(), today) {
                    Ok(f) => f,
                    Err(e) => {
                        run.report.refused.extend(row.issues(&e));
                        continue;
                    }
                };
                let key = person_key(&fields);
                let mut matches: Vec<String> = people
                    .get(&key)
                    .into_iter()
                    .flatten()
                    .filter(|(_, earlier)| same_person(&fields, earlier))
                    .map(|(n, _)| format!("row {n}"))
                    .collect();
                let registered = store::same_name_and_birth(
                    &mut tx,
                    org,
                    &fields.legal_last_name,
                    &fields.legal_first_name,
                    fields.date_of_birth,
                )
                .await?;
                matches.extend(
                    registered
                        .iter()
                        .filter(|p| same_person(&fields, &p.fields))
                        .map(|p| format!("MRN {}", p.mrn)),
                );
                if !matches.is_empty() {
                    run.report.duplicates.push(DuplicateRow {
                        row: row.number,
                        matches,
                    });
                    continue;
                }
                people
                    .entry(key)
                    .or_default()
                    .push((row.number, fields.clone()));
                run.report.created += 1;
                if run.dry_run {
                    continue;
                }
                match self.new_chart_in(&mut tx, run.caller, fields).await? {
                    Guarded::Allowed(chart) => {
                        remembered.push(LedgerRow {
                            organisation_id: org,
                            record_kind: record,
                            source: run.mapping().source.clone(),
                            source_key: row.key.clone(),
                            record_id: chart.id.to_string(),
                            patient_id: chart.id,
                            imported_at: chart.created_at,
                            imported_by: run.caller.actor.user_id,
                        });
                        charts.push(chart);
                    }
                    Guarded::Denied(act, why) => {
                        drop(tx);
                        return Err(self.record_denial(run.caller, &act, why).await?);
                    }
                }
            }
            if !run.dry_run {
                store::insert_patients(&mut tx, &charts).await?;
                ledger::remember(&mut tx, &remembered).await?;
                tx.commit().await?;
            }
            progress.advance(batch.len() as u64);
        }
        Ok(())
    }
}
