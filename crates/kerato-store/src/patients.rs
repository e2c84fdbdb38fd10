//! The patient registry.

use jiff::civil::Date;
use kerato_domain::ids::{OrganisationId, PatientId};
use kerato_domain::patients::{
    Channel, CommunicationPrefs, Patient, PatientFields, Phone, SexAtBirth, fold,
};
use kerato_domain::tenancy::Address;
use kerato_domain::time::Timestamp;

use crate::backend::Tx;
use crate::error::StoreError;
use crate::{execute, on_tx};

macro_rules! patient_columns {
    () => {
        "id, organisation_id, mrn, legal_first_name, legal_middle_name, legal_last_name, \
         preferred_name, date_of_birth, sex_at_birth, gender_identity, mobile_phone, home_phone, \
         email, address_line1, address_line2, city, state, zip, preferred_language, \
         emergency_contact_name, emergency_contact_phone, reminder_channel, results_channel, \
         statement_channel, marketing_consent, version, created_at, updated_at, merged_into"
    };
}

fn corrupt<E: std::fmt::Display>(e: E) -> sqlx::Error {
    sqlx::Error::Decode(e.to_string().into())
}

/// Decodes a patient row on either backend (too many columns for a tuple).
fn decode<R>(r: &R) -> Result<Patient, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let text = |i: usize| -> Result<String, sqlx::Error> { r.try_get(i) };
    let opt = |i: usize| -> Result<Option<String>, sqlx::Error> { r.try_get(i) };
    let phone = |i: usize| -> Result<Option<Phone>, sqlx::Error> {
        opt(i)?
            .map(|p| Phone::from_e164(&p).map_err(corrupt))
            .transpose()
    };
    let channel =
        |i: usize| -> Result<Channel, sqlx::Error> { Channel::parse(&text(i)?).map_err(corrupt) };
    let line1 = opt(13)?;
    let address = match line1 {
        Some(line1) => Some(Address {
            line1,
            line2: opt(14)?,
            city: opt(15)?.unwrap_or_default(),
            state: opt(16)?.unwrap_or_default(),
            zip: opt(17)?.unwrap_or_default(),
        }),
        None => None,
    };
    let emergency = match (opt(19)?, phone(20)?) {
        (Some(n), Some(p)) => Some((n, p)),
        _ => None,
    };
    let consent: i64 = r.try_get(24)?;
    Ok(Patient {
        id: text(0)?.parse().map_err(corrupt)?,
        organisation_id: text(1)?.parse().map_err(corrupt)?,
        mrn: text(2)?,
        fields: PatientFields {
            legal_first_name: text(3)?,
            legal_middle_name: opt(4)?,
            legal_last_name: text(5)?,
            preferred_name: opt(6)?,
            date_of_birth: text(7)?.parse::<Date>().map_err(corrupt)?,
            sex_at_birth: opt(8)?
                .map(|s| SexAtBirth::parse(&s).map_err(corrupt))
                .transpose()?,
            gender_identity: opt(9)?,
            mobile_phone: phone(10)?,
            home_phone: phone(11)?,
            email: opt(12)?,
            address,
            preferred_language: text(18)?,
            emergency_contact: emergency,
            communication: CommunicationPrefs {
                reminders: channel(21)?,
                results: channel(22)?,
                statements: channel(23)?,
                marketing_consent: consent != 0,
            },
        },
        merged_into: opt(28)?.map(|m| m.parse().map_err(corrupt)).transpose()?,
        version: r.try_get(25)?,
        created_at: Timestamp::from_micros(r.try_get(26)?),
        updated_at: Timestamp::from_micros(r.try_get(27)?),
    })
}

/// The next medical record number of an organisation: seven digits,
/// handed out under the counter row's lock so two registrations never share one.
pub async fn next_mrn(tx: &mut Tx, org: OrganisationId) -> Result<String, StoreError> {
    execute!(tx, sqlx::query(
        "INSERT INTO mrn_counters (organisation_id, next_mrn) VALUES ($1, 1) ON CONFLICT (organisation_id) DO NOTHING"
    )
    .bind(org.to_string()))?;
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as(
        "UPDATE mrn_counters SET next_mrn = next_mrn + 1 WHERE organisation_id = $1 RETURNING next_mrn - 1"
    )
    .bind(org.to_string())
    .fetch_one(&mut **c)
    .await)?;
    Ok(format!("{n:07}"))
}

pub async fn insert_patient(tx: &mut Tx, p: &Patient) -> Result<(), StoreError> {
    let f = &p.fields;
    let sql = concat!(
        "INSERT INTO patients (",
        patient_columns!(),
        ", last_folded, first_folded, preferred_folded) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32)"
    );
    execute!(
        tx,
        sqlx::query(sql)
            .bind(p.id.to_string())
            .bind(p.organisation_id.to_string())
            .bind(&p.mrn)
            .bind(&f.legal_first_name)
            .bind(f.legal_middle_name.as_deref())
            .bind(&f.legal_last_name)
            .bind(f.preferred_name.as_deref())
            .bind(f.date_of_birth.to_string())
            .bind(f.sex_at_birth.map(SexAtBirth::as_str))
            .bind(f.gender_identity.as_deref())
            .bind(f.mobile_phone.as_ref().map(Phone::e164))
            .bind(f.home_phone.as_ref().map(Phone::e164))
            .bind(f.email.as_deref())
            .bind(f.address.as_ref().map(|a| a.line1.as_str()))
            .bind(f.address.as_ref().and_then(|a| a.line2.as_deref()))
            .bind(f.address.as_ref().map(|a| a.city.as_str()))
            .bind(f.address.as_ref().map(|a| a.state.as_str()))
            .bind(f.address.as_ref().map(|a| a.zip.as_str()))
            .bind(&f.preferred_language)
            .bind(f.emergency_contact.as_ref().map(|(n, _)| n.as_str()))
            .bind(f.emergency_contact.as_ref().map(|(_, p)| p.e164()))
            .bind(f.communication.reminders.as_str())
            .bind(f.communication.results.as_str())
            .bind(f.communication.statements.as_str())
            .bind(i64::from(f.communication.marketing_consent))
            .bind(p.version)
            .bind(p.created_at.as_micros())
            .bind(p.updated_at.as_micros())
            .bind(p.merged_into.map(|m| m.to_string()))
            .bind(fold(&f.legal_last_name))
            .bind(fold(&f.legal_first_name))
            .bind(f.preferred_name.as_deref().map(fold))
    )?;
    Ok(())
}

/// Replaces a chart's demographics if it is still at `p.version - 1`;
/// false when someone else saved first.
pub async fn update_patient(tx: &mut Tx, p: &Patient) -> Result<bool, StoreError> {
    let f = &p.fields;
    let n = execute!(tx, sqlx::query(
        "UPDATE patients SET legal_first_name = $1, legal_middle_name = $2, legal_last_name = $3, \
         preferred_name = $4, date_of_birth = $5, sex_at_birth = $6, gender_identity = $7, \
         mobile_phone = $8, home_phone = $9, email = $10, address_line1 = $11, address_line2 = $12, \
         city = $13, state = $14, zip = $15, preferred_language = $16, emergency_contact_name = $17, \
         emergency_contact_phone = $18, reminder_channel = $19, results_channel = $20, \
         statement_channel = $21, marketing_consent = $22, version = $23, updated_at = $24, \
         last_folded = $25, first_folded = $26, preferred_folded = $27 \
         WHERE id = $28 AND organisation_id = $29 AND version = $30"
    )
    .bind(&f.legal_first_name)
    .bind(f.legal_middle_name.as_deref())
    .bind(&f.legal_last_name)
    .bind(f.preferred_name.as_deref())
    .bind(f.date_of_birth.to_string())
    .bind(f.sex_at_birth.map(SexAtBirth::as_str))
    .bind(f.gender_identity.as_deref())
    .bind(f.mobile_phone.as_ref().map(Phone::e164))
    .bind(f.home_phone.as_ref().map(Phone::e164))
    .bind(f.email.as_deref())
    .bind(f.address.as_ref().map(|a| a.line1.as_str()))
    .bind(f.address.as_ref().and_then(|a| a.line2.as_deref()))
    .bind(f.address.as_ref().map(|a| a.city.as_str()))
    .bind(f.address.as_ref().map(|a| a.state.as_str()))
    .bind(f.address.as_ref().map(|a| a.zip.as_str()))
    .bind(&f.preferred_language)
    .bind(f.emergency_contact.as_ref().map(|(n, _)| n.as_str()))
    .bind(f.emergency_contact.as_ref().map(|(_, p)| p.e164()))
    .bind(f.communication.reminders.as_str())
    .bind(f.communication.results.as_str())
    .bind(f.communication.statements.as_str())
    .bind(i64::from(f.communication.marketing_consent))
    .bind(p.version)
    .bind(p.updated_at.as_micros())
    .bind(fold(&f.legal_last_name))
    .bind(fold(&f.legal_first_name))
    .bind(f.preferred_name.as_deref().map(fold))
    .bind(p.id.to_string())
    .bind(p.organisation_id.to_string())
    .bind(p.version - 1))?;
    Ok(n == 1)
}

/// A chart by ID whatever its organisation, so the caller can tell a
/// cross-tenant attempt from a missing chart.
pub async fn find_patient(tx: &mut Tx, id: PatientId) -> Result<Option<Patient>, StoreError> {
    let sql = concat!(
        "SELECT ",
        patient_columns!(),
        " FROM patients WHERE id = $1"
    );
    Ok(on_tx!(tx, c => sqlx::query(sql)
        .bind(id.to_string())
        .fetch_optional(&mut **c)
        .await
        .and_then(|row| row.as_ref().map(decode).transpose()))?)
}

/// Charts whose last, first or preferred name starts with `prefix`
/// (already folded), at most `limit`.
pub async fn by_name_prefix(
    tx: &mut Tx,
    org: OrganisationId,
    prefix: &str,
    limit: i64,
) -> Result<Vec<Patient>, StoreError> {
    let sql = concat!(
        "SELECT ",
        patient_columns!(),
        " FROM patients WHERE organisation_id = $1 AND merged_into IS NULL AND ((last_folded >= $2 AND last_folded < $3) \
         OR (first_folded >= $2 AND first_folded < $3) OR (preferred_folded >= $2 AND preferred_folded < $3)) \
         ORDER BY last_folded, first_folded, id LIMIT $4"
    );
    let upper = format!("{prefix}\u{10FFFF}");
    Ok(on_tx!(tx, c => sqlx::query(sql)
        .bind(org.to_string())
        .bind(prefix)
        .bind(&upper)
        .bind(limit)
        .fetch_all(&mut **c)
        .await
        .and_then(|rows| rows.iter().map(decode).collect::<Result<Vec<_>, _>>()))?)
}

/// Charts matching one exact field: `mrn`, `date_of_birth`, `phone` (mobile
/// or home, E.164) or `email`.
pub async fn by_field(
    tx: &mut Tx,
    org: OrganisationId,
    field: ExactField,
    value: &str,
    limit: i64,
) -> Result<Vec<Patient>, StoreError> {
    let sql = match field {
        ExactField::Mrn => concat!(
            "SELECT ",
            patient_columns!(),
            " FROM patients WHERE organisation_id = $1 AND mrn = $2 ORDER BY id LIMIT $3"
        ),
        ExactField::DateOfBirth => concat!(
            "SELECT ",
            patient_columns!(),
            " FROM patients WHERE organisation_id = $1 AND merged_into IS NULL AND date_of_birth = $2 ORDER BY last_folded, id LIMIT $3"
        ),
        ExactField::Phone => concat!(
            "SELECT ",
            patient_columns!(),
            " FROM patients WHERE organisation_id = $1 AND merged_into IS NULL AND (mobile_phone = $2 OR home_phone = $2) ORDER BY last_folded, id LIMIT $3"
        ),
        ExactField::Email => concat!(
            "SELECT ",
            patient_columns!(),
            " FROM patients WHERE organisation_id = $1 AND merged_into IS NULL AND email = $2 ORDER BY last_folded, id LIMIT $3"
        ),
    };
    Ok(on_tx!(tx, c => sqlx::query(sql)
        .bind(org.to_string())
        .bind(value)
        .bind(limit)
        .fetch_all(&mut **c)
        .await
        .and_then(|rows| rows.iter().map(decode).collect::<Result<Vec<_>, _>>()))?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExactField {
    Mrn,
    DateOfBirth,
    Phone,
    Email,
}

/// Charts that may be the same person: same folded first and last name and
/// date of birth.
pub async fn same_name_and_birth(
    tx: &mut Tx,
    org: OrganisationId,
    last: &str,
    first: &str,
    dob: Date,
) -> Result<Vec<Patient>, StoreError> {
    let sql = concat!(
        "SELECT ",
        patient_columns!(),
        " FROM patients WHERE organisation_id = $1 AND merged_into IS NULL AND last_folded = $2 \
         AND first_folded = $3 AND date_of_birth = $4 ORDER BY id"
    );
    Ok(on_tx!(tx, c => sqlx::query(sql)
        .bind(org.to_string())
        .bind(fold(last))
        .bind(fold(first))
        .bind(dob.to_string())
        .fetch_all(&mut **c)
        .await
        .and_then(|rows| rows.iter().map(decode).collect::<Result<Vec<_>, _>>()))?)
}

pub async fn count_patients(tx: &mut Tx, org: OrganisationId) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_tx!(tx, c => sqlx::query_as("SELECT count(*) FROM patients WHERE organisation_id = $1")
        .bind(org.to_string())
        .fetch_one(&mut **c)
        .await)?;
    Ok(n)
}

/// Marks `merged` as a duplicate of `into`; false if it was already merged
/// or changed since `expected_version`.
pub async fn mark_merged(
    tx: &mut Tx,
    merged: &Patient,
    into: PatientId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let n = execute!(tx, sqlx::query(
        "UPDATE patients SET merged_into = $1, merged_at = $2, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND version = $4 AND merged_into IS NULL"
    )
    .bind(into.to_string())
    .bind(now.as_micros())
    .bind(merged.id.to_string())
    .bind(merged.version))?;
    Ok(n == 1)
}
