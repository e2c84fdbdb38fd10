//! Procedures with their notes, and the charge proposals coded from them.

use jiff::civil::Date;
use kerato_domain::ids::{BiopsyId, OrganisationId, PatientId, UserId};
use kerato_domain::procedures::coding::{DistinctModifier, EmCode};
use kerato_domain::procedures::{ChargeProposalLine, PayerModifier, Procedure};
use kerato_domain::time::Timestamp;

use crate::execute;
use kerato_db::Tx;
use kerato_db::{StoreError, corrupt};

type ProcedureTuple = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    i64,
);

const COLUMNS: &str = "id, organisation_id, patient_id, lesion_id, biopsy_id, kind, service_date, data, note, performed_by, performed_at";

/// The procedure of a row: `kind` is the record's kind, kept beside the
/// record for listing; `data` is the structured record as JSON.
fn procedure_from(t: ProcedureTuple) -> Result<Procedure, StoreError> {
    Ok(Procedure {
        id: t.0.parse().map_err(corrupt)?,
        organisation_id: t.1.parse().map_err(corrupt)?,
        patient_id: t.2.parse().map_err(corrupt)?,
        lesion_id: t.3.map(|l| l.parse()).transpose().map_err(corrupt)?,
        biopsy_id: t.4.map(|b| b.parse()).transpose().map_err(corrupt)?,
        service_date: t.6.parse().map_err(corrupt)?,
        record: serde_json::from_str(&t.7).map_err(corrupt)?,
        note: t.8,
        performed_by: t.9.parse().map_err(corrupt)?,
        performed_at: Timestamp::from_micros(t.10),
    })
}

pub async fn insert_procedure(tx: &mut Tx, p: &Procedure) -> Result<(), StoreError> {
    let data = serde_json::to_string(&p.record).map_err(corrupt)?;
    let sql = format!(
        "INSERT INTO procedures ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    );
    execute!(
        tx,
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(p.id.to_string())
            .bind(p.organisation_id.to_string())
            .bind(p.patient_id.to_string())
            .bind(p.lesion_id.map(|l| l.to_string()))
            .bind(p.biopsy_id.map(|b| b.to_string()))
            .bind(p.kind().as_str())
            .bind(p.service_date.to_string())
            .bind(&data)
            .bind(&p.note)
            .bind(p.performed_by.to_string())
            .bind(p.performed_at.as_micros())
    )?;
    Ok(())
}

/// A patient's procedures, oldest first.
pub async fn procedures_of_patient(
    tx: &mut Tx,
    patient: PatientId,
) -> Result<Vec<Procedure>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM procedures WHERE patient_id = $1 ORDER BY service_date, performed_at, id"
    );
    crate::fetch_all_by!(tx, sql, patient.to_string(), ProcedureTuple, procedure_from)
}

/// Replaces the proposal for a patient's service date with freshly coded
/// lines, numbered from 1.
pub async fn replace_charge_proposals(
    tx: &mut Tx,
    organisation: OrganisationId,
    patient: PatientId,
    service_date: Date,
    lines: &[ChargeProposalLine],
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("DELETE FROM charge_proposals WHERE patient_id = $1 AND service_date = $2")
            .bind(patient.to_string())
            .bind(service_date.to_string())
    )?;
    for l in lines {
        execute!(
            tx,
            sqlx::query(
                "INSERT INTO charge_proposals (patient_id, service_date, n, organisation_id, code, units, modifiers, rationale, hold, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            )
            .bind(patient.to_string())
            .bind(service_date.to_string())
            .bind(l.n)
            .bind(organisation.to_string())
            .bind(&l.code)
            .bind(l.units)
            .bind(l.modifiers.join(","))
            .bind(&l.rationale)
            .bind(&l.hold)
            .bind(now.as_micros())
        )?;
    }
    Ok(())
}

type ChargeTuple = (i64, String, i64, String, String, Option<String>);

/// The proposal's lines for a patient's service date, in order.
pub async fn charge_proposals(
    tx: &mut Tx,
    patient: PatientId,
    service_date: Date,
) -> Result<Vec<ChargeProposalLine>, StoreError> {
    let rows: Vec<ChargeTuple> = crate::on_tx!(tx, c => sqlx::query_as(
        "SELECT n, code, units, modifiers, rationale, hold FROM charge_proposals WHERE patient_id = $1 AND service_date = $2 ORDER BY n"
    )
    .bind(patient.to_string())
    .bind(service_date.to_string())
    .fetch_all(&mut **c)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|t| ChargeProposalLine {
            n: t.0,
            code: t.1,
            units: t.2,
            modifiers: t
                .3
                .split(',')
                .filter(|m| !m.is_empty())
                .map(str::to_string)
                .collect(),
            rationale: t.4,
            hold: t.5,
        })
        .collect())
}

/// The procedure that took a specimen, if any.
pub async fn procedure_of_specimen(
    tx: &mut Tx,
    biopsy: BiopsyId,
) -> Result<Option<Procedure>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM procedures WHERE biopsy_id = $1");
    crate::fetch_one_by!(tx, sql, biopsy.to_string(), ProcedureTuple, procedure_from)
}

/// Sets or clears (`None`) the separately identifiable E/M of a patient's
/// service date.
pub async fn set_visit_em(
    tx: &mut Tx,
    organisation: OrganisationId,
    patient: PatientId,
    service_date: Date,
    code: Option<EmCode>,
    by: UserId,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("DELETE FROM visit_em WHERE patient_id = $1 AND service_date = $2")
            .bind(patient.to_string())
            .bind(service_date.to_string())
    )?;
    if let Some(code) = code {
        execute!(
            tx,
            sqlx::query(
                "INSERT INTO visit_em (patient_id, service_date, organisation_id, code, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)"
            )
            .bind(patient.to_string())
            .bind(service_date.to_string())
            .bind(organisation.to_string())
            .bind(code.code())
            .bind(by.to_string())
            .bind(now.as_micros())
        )?;
    }
    Ok(())
}

/// The separately identifiable E/M of a patient's service date, if any.
pub async fn visit_em(
    tx: &mut Tx,
    patient: PatientId,
    service_date: Date,
) -> Result<Option<EmCode>, StoreError> {
    let row: Option<(String,)> = crate::on_tx!(tx, c => sqlx::query_as(
        "SELECT code FROM visit_em WHERE patient_id = $1 AND service_date = $2"
    )
    .bind(patient.to_string())
    .bind(service_date.to_string())
    .fetch_optional(&mut **c)
    .await)?;
    row.map(|(code,)| {
        EmCode::from_code(&code)
            .ok_or_else(|| corrupt(format!("a stored E/M code {code:?} is unknown")))
    })
    .transpose()
}

/// Sets a payer's choice between modifier 59 and XS; the payer's name is
/// as normalised by the caller.
pub async fn set_payer_modifier(
    tx: &mut Tx,
    organisation: OrganisationId,
    setting: &PayerModifier,
    now: Timestamp,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO payer_coding_settings (organisation_id, payer, distinct_modifier, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (organisation_id, payer) DO UPDATE SET distinct_modifier = $3, updated_at = $4"
        )
        .bind(organisation.to_string())
        .bind(&setting.payer)
        .bind(setting.modifier.code())
        .bind(now.as_micros())
    )?;
    Ok(())
}

/// Every payer's modifier choice, by payer.
pub async fn payer_modifiers(
    tx: &mut Tx,
    organisation: OrganisationId,
) -> Result<Vec<PayerModifier>, StoreError> {
    let rows: Vec<(String, String)> = crate::on_tx!(tx, c => sqlx::query_as(
        "SELECT payer, distinct_modifier FROM payer_coding_settings WHERE organisation_id = $1 ORDER BY payer"
    )
    .bind(organisation.to_string())
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|(payer, code)| {
            Ok(PayerModifier {
                modifier: DistinctModifier::from_code(&code)
                    .ok_or_else(|| corrupt(format!("a stored modifier {code:?} is unknown")))?,
                payer,
            })
        })
        .collect()
}
