//! Importing patients: each row validated as the registration form is,
//! checked against the registry and the file's earlier rows for the same
//! person, and written as registration writes a chart.

use std::collections::HashMap;

use kerato_domain::import::patients::{PersonKey, patient_fields, person_key, same_person};
use kerato_domain::import::{DuplicateRow, ImportKind, SourceRow};
use kerato_domain::patients::PatientFields;
use kerato_store::import::{self as ledger, LedgerRow};
use kerato_store::patients as store;

use super::{BATCH_ROWS, Progress, Run};
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
        // The people this run has taken in so far, to find a person the
        // file lists twice under different IDs.
        let mut taken: HashMap<PersonKey, Vec<(u64, PatientFields)>> = HashMap::new();
        let mut keys: HashMap<String, u64> = HashMap::new();
        for batch in rows.chunks(BATCH_ROWS) {
            let (mut tx, rows) = self.open_batch(run, batch, &mut keys).await?;
            let mut valid = Vec::new();
            for row in &rows {
                match patient_fields(row, run.mapping(), today) {
                    Ok(f) => valid.push((row, f)),
                    Err(e) => run.report.refused.extend(row.issues(&e)),
                }
            }
            // The registry's charts that any of the batch's people may be,
            // asked for at once.
            let people: Vec<(&str, &str, jiff::civil::Date)> = valid
                .iter()
                .map(|(_, f)| {
                    (
                        f.legal_last_name.as_str(),
                        f.legal_first_name.as_str(),
                        f.date_of_birth,
                    )
                })
                .collect();
            let registered = store::same_names_and_births(&mut tx, org, &people).await?;
            let mut accepted = Vec::new();
            for (row, fields) in valid {
                let key = person_key(&fields);
                let matches: Vec<String> = taken
                    .get(&key)
                    .into_iter()
                    .flatten()
                    .filter(|(_, earlier)| same_person(&fields, earlier))
                    .map(|(n, _)| format!("row {n}"))
                    .chain(
                        registered
                            .iter()
                            .filter(|p| same_person(&fields, &p.fields))
                            .map(|p| format!("MRN {}", p.mrn)),
                    )
                    .collect();
                if !matches.is_empty() {
                    run.report.duplicates.push(DuplicateRow {
                        row: row.number,
                        matches,
                    });
                    continue;
                }
                taken
                    .entry(key)
                    .or_default()
                    .push((row.number, fields.clone()));
                run.report.created += 1;
                accepted.push((row, fields));
            }
            if !run.dry_run {
                if let Guarded::Denied(act, why) = self.write_charts(&mut tx, run, accepted).await?
                {
                    drop(tx);
                    return Err(self.record_denial(run.caller, &act, why).await?);
                }
                tx.commit().await?;
            }
            progress.advance(batch.len() as u64);
        }
        Ok(())
    }

    /// Writes a batch's new charts as registration writes them, each with
    /// its MRN and audit event, and remembers the rows they came from. A
    /// denial stops it; the caller records that once `tx` is gone.
    async fn write_charts(
        &self,
        tx: &mut kerato_store::Tx,
        run: &Run<'_>,
        accepted: Vec<(&kerato_domain::import::MappedRow, PatientFields)>,
    ) -> Result<Guarded<()>, AppError> {
        let org = run.caller.actor.organisation_id;
        let mrns = store::take_mrns(tx, org, accepted.len()).await?;
        let mut charts = Vec::with_capacity(accepted.len());
        let mut remembered = Vec::with_capacity(accepted.len());
        for ((row, fields), mrn) in accepted.into_iter().zip(mrns) {
            match self.new_chart_in(tx, run.caller, fields, mrn).await? {
                Guarded::Allowed(chart) => {
                    remembered.push(LedgerRow {
                        organisation_id: org,
                        record_kind: ImportKind::Patients.record(),
                        source: run.mapping().source.clone(),
                        source_key: row.key.clone(),
                        record_id: chart.id.to_string(),
                        patient_id: chart.id,
                        imported_at: chart.created_at,
                        imported_by: run.caller.actor.user_id,
                    });
                    charts.push(chart);
                }
                Guarded::Denied(act, why) => return Ok(Guarded::Denied(act, why)),
            }
        }
        store::insert_patients(tx, &charts).await?;
        ledger::remember(tx, &remembered).await?;
        Ok(Guarded::Allowed(()))
    }
}
