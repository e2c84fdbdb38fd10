//! Patients' guarantors, one row per patient who has one recorded.

use kerato_domain::guarantors::{Guarantor, Relationship};
use kerato_domain::ids::PatientId;
use kerato_domain::patients::Phone;
use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};
use kerato_db::StoreError;
use kerato_db::Tx;

/// Records (or replaces) a patient's guarantor.
pub async fn set(
    tx: &mut Tx,
    patient: PatientId,
    g: &Guarantor,
    now: Timestamp,
) -> Result<(), StoreError> {
    let (relationship, name, phone, address) = match g {
        Guarantor::SelfPay => (Relationship::SelfPay, None, None, None),
        Guarantor::Other {
            relationship,
            name,
            phone,
            address,
        } => (
            *relationship,
            Some(name.as_str()),
            Some(phone.e164()),
            Some(address.as_str()),
        ),
    };
    execute!(tx, sqlx::query(
        "INSERT INTO patient_guarantors (patient_id, relationship, name, phone, address, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (patient_id) DO UPDATE SET relationship = excluded.relationship, \
         name = excluded.name, phone = excluded.phone, address = excluded.address, updated_at = excluded.updated_at"
    )
    .bind(patient.to_string())
    .bind(relationship.as_str())
    .bind(name)
    .bind(phone)
    .bind(address)
    .bind(now.as_micros()))?;
    Ok(())
}

/// (relationship, name, phone, address) as stored.
type Row = (String, Option<String>, Option<String>, Option<String>);

pub async fn get(tx: &mut Tx, patient: PatientId) -> Result<Option<Guarantor>, StoreError> {
    let row: Option<Row> = on_tx!(tx, c => sqlx::query_as(
        "SELECT relationship, name, phone, address FROM patient_guarantors WHERE patient_id = $1"
    )
    .bind(patient.to_string())
    .fetch_optional(&mut **c)
    .await)?;
    let corrupt = |what: &str| StoreError::Corrupt(format!("guarantor {what}"));
    row.map(|(relationship, name, phone, address)| {
        let relationship =
            Relationship::parse(&relationship).ok_or_else(|| corrupt("relationship"))?;
        Ok(match relationship {
            Relationship::SelfPay => Guarantor::SelfPay,
            _ => Guarantor::Other {
                relationship,
                name: name.ok_or_else(|| corrupt("name"))?,
                phone: Phone::from_e164(&phone.ok_or_else(|| corrupt("phone"))?)
                    .map_err(|_| corrupt("phone"))?,
                address: address.ok_or_else(|| corrupt("address"))?,
            },
        })
    })
    .transpose()
}
