//! The patient registry.

use jiff::civil::Date;
use kerato_domain::ids::{OrganisationId, PatientId};
use kerato_domain::patients::{
    Channel, CommunicationPrefs, NameKind, Patient, PatientFields, Phone, SexAtBirth, fold,
    name_words, typo_keys,
};
use kerato_domain::tenancy::Address;
use kerato_domain::time::Timestamp;

use crate::{execute, on_tx};

mod search;
use kerato_db::StoreError;
use kerato_db::Tx;
pub use search::{NameHit, WordMatch, name_hits, words_by_typo_keys};

// The demographic fields in the order the INSERT and the UPDATE list them,
// legal first name to marketing consent, bound once for both.
macro_rules! bind_demographics {
    ($query:expr, $f:expr) => {{
        let f = $f;
        $query
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
    }};
}

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
    take_mrns(tx, org, 1)
        .await?
        .pop()
        .ok_or_else(|| StoreError::Corrupt("no MRN was handed out".into()))
}

/// The next `n` medical record numbers of an organisation, in order, taken
/// with one move of the counter (an import takes a batch's at once).
pub async fn take_mrns(
    tx: &mut Tx,
    org: OrganisationId,
    n: usize,
) -> Result<Vec<String>, StoreError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    execute!(tx, sqlx::query(
        "INSERT INTO mrn_counters (organisation_id, next_mrn) VALUES ($1, 1) ON CONFLICT (organisation_id) DO NOTHING"
    )
    .bind(org.to_string()))?;
    let (first,): (i64,) = on_tx!(tx, c => sqlx::query_as(
        "UPDATE mrn_counters SET next_mrn = next_mrn + $2 WHERE organisation_id = $1 RETURNING next_mrn - $2"
    )
    .bind(org.to_string())
    .bind(n as i64)
    .fetch_one(&mut **c)
    .await)?;
    Ok((first..first + n as i64)
        .map(|m| format!("{m:07}"))
        .collect())
}

/// `($1, $2, …), (…)`: the VALUES list of a multi-row insert of `rows` rows
/// of `cols` parameters each. The SQL built in this module from such lists
/// holds only placeholders and fixed text; every value is bound, which is
/// why those texts may be passed as `AssertSqlSafe`.
pub(crate) fn values_list(rows: usize, cols: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(r * cols + c + 1).to_string());
        }
        out.push(')');
    }
    out
}

/// Rows per multi-row insert: about 2,000 parameters. SQLite looks each
/// `$n` up among those already seen while it parses, so a statement's
/// preparation grows with the square of its parameters; most of what a
/// multi-row insert saves is saved well before that matters.
pub(crate) fn rows_per_insert(cols: usize) -> usize {
    2_000 / cols
}

pub async fn insert_patient(tx: &mut Tx, p: &Patient) -> Result<(), StoreError> {
    insert_patients(tx, std::slice::from_ref(p)).await
}

/// Inserts charts with their search index rows, many to a statement; the
/// rows are exactly those [`insert_patient`] writes one chart at a time.
pub async fn insert_patients(tx: &mut Tx, patients: &[Patient]) -> Result<(), StoreError> {
    const COLS: usize = 32;
    for chunk in patients.chunks(rows_per_insert(COLS)) {
        let sql = format!(
            concat!(
                "INSERT INTO patients (",
                patient_columns!(),
                ", last_folded, first_folded, preferred_folded) VALUES {}"
            ),
            values_list(chunk.len(), COLS)
        );
        execute!(tx, {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for p in chunk {
                let f = &p.fields;
                q = bind_demographics!(
                    q.bind(p.id.to_string())
                        .bind(p.organisation_id.to_string())
                        .bind(&p.mrn),
                    f
                )
                .bind(p.version)
                .bind(p.created_at.as_micros())
                .bind(p.updated_at.as_micros())
                .bind(p.merged_into.map(|m| m.to_string()))
                .bind(fold(&f.legal_last_name))
                .bind(fold(&f.legal_first_name))
                .bind(f.preferred_name.as_deref().map(fold));
            }
            q
        })?;
    }
    for chunk in patients.chunks(rows_per_insert(3)) {
        let sql = format!(
            "INSERT INTO patient_display_names (patient_id, legal_last_name, legal_first_name) VALUES {}",
            values_list(chunk.len(), 3)
        );
        execute!(tx, {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for p in chunk {
                q = q
                    .bind(p.id.to_string())
                    .bind(&p.fields.legal_last_name)
                    .bind(&p.fields.legal_first_name);
            }
            q
        })?;
    }
    let searchable: Vec<&Patient> = patients
        .iter()
        .filter(|p| p.merged_into.is_none())
        .collect();
    index_names(tx, &searchable).await
}

/// One row of the name index: a word of a chart's names and the names the
/// result order needs.
struct TokenRow {
    patient_id: String,
    kind: NameKind,
    token: String,
    organisation_id: String,
    last: String,
    first: String,
    preferred: Option<String>,
}

fn token_rows(p: &Patient) -> Vec<TokenRow> {
    let f = &p.fields;
    name_words(
        &f.legal_last_name,
        &f.legal_first_name,
        f.preferred_name.as_deref(),
    )
    .into_iter()
    .map(|(kind, token)| TokenRow {
        patient_id: p.id.to_string(),
        kind,
        token,
        organisation_id: p.organisation_id.to_string(),
        last: fold(&f.legal_last_name),
        first: fold(&f.legal_first_name),
        preferred: f.preferred_name.as_deref().map(fold),
    })
    .collect()
}

/// Writes the name index rows of searchable charts, and adds the words not
/// yet in their organisation's dictionary with their typo keys.
async fn index_names(tx: &mut Tx, patients: &[&Patient]) -> Result<(), StoreError> {
    let rows: Vec<TokenRow> = patients.iter().flat_map(|p| token_rows(p)).collect();
    for chunk in rows.chunks(rows_per_insert(7)) {
        let sql = format!(
            "INSERT INTO patient_name_tokens (patient_id, kind, token, organisation_id, last_folded, \
             first_folded, preferred_folded) VALUES {}",
            values_list(chunk.len(), 7)
        );
        execute!(tx, {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for r in chunk {
                q = q
                    .bind(&r.patient_id)
                    .bind(r.kind.as_str())
                    .bind(&r.token)
                    .bind(&r.organisation_id)
                    .bind(&r.last)
                    .bind(&r.first)
                    .bind(r.preferred.as_deref());
            }
            q
        })?;
    }
    let words: std::collections::BTreeSet<(&str, &str)> = rows
        .iter()
        .map(|r| (r.organisation_id.as_str(), r.token.as_str()))
        .collect();
    let words: Vec<(&str, &str)> = words.into_iter().collect();
    let mut new_words: Vec<(String, String)> = Vec::new();
    for chunk in words.chunks(rows_per_insert(2)) {
        let sql = format!(
            "INSERT INTO patient_name_words (organisation_id, word) VALUES {} \
             ON CONFLICT (organisation_id, word) DO NOTHING RETURNING organisation_id, word",
            values_list(chunk.len(), 2)
        );
        let inserted: Vec<(String, String)> = on_tx!(tx, c => {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for (org, word) in chunk {
                q = q.bind(*org).bind(*word);
            }
            q.fetch_all(&mut **c).await
        })?;
        new_words.extend(inserted);
    }
    let keys: Vec<(&str, String, &str)> = new_words
        .iter()
        .flat_map(|(org, word)| {
            typo_keys(word)
                .into_iter()
                .map(move |k| (org.as_str(), k, word.as_str()))
        })
        .collect();
    for chunk in keys.chunks(rows_per_insert(3)) {
        let sql = format!(
            "INSERT INTO patient_name_typo_keys (organisation_id, typo_key, word) VALUES {} \
             ON CONFLICT (organisation_id, typo_key, word) DO NOTHING",
            values_list(chunk.len(), 3)
        );
        execute!(tx, {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for (org, key, word) in chunk {
                q = q.bind(*org).bind(key).bind(*word);
            }
            q
        })?;
    }
    Ok(())
}

/// Takes a chart out of name search (before re-indexing it, or when it is
/// merged into another).
async fn unindex_names(tx: &mut Tx, id: PatientId) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("DELETE FROM patient_name_tokens WHERE patient_id = $1").bind(id.to_string())
    )?;
    Ok(())
}

/// Replaces a chart's demographics if it is still at `p.version - 1`;
/// false when someone else saved first.
pub async fn update_patient(tx: &mut Tx, p: &Patient) -> Result<bool, StoreError> {
    let f = &p.fields;
    let n = execute!(tx, bind_demographics!(sqlx::query(
        "UPDATE patients SET legal_first_name = $1, legal_middle_name = $2, legal_last_name = $3, \
         preferred_name = $4, date_of_birth = $5, sex_at_birth = $6, gender_identity = $7, \
         mobile_phone = $8, home_phone = $9, email = $10, address_line1 = $11, address_line2 = $12, \
         city = $13, state = $14, zip = $15, preferred_language = $16, emergency_contact_name = $17, \
         emergency_contact_phone = $18, reminder_channel = $19, results_channel = $20, \
         statement_channel = $21, marketing_consent = $22, version = $23, updated_at = $24, \
         last_folded = $25, first_folded = $26, preferred_folded = $27 \
         WHERE id = $28 AND organisation_id = $29 AND version = $30"
    ), f)
    .bind(p.version)
    .bind(p.updated_at.as_micros())
    .bind(fold(&f.legal_last_name))
    .bind(fold(&f.legal_first_name))
    .bind(f.preferred_name.as_deref().map(fold))
    .bind(p.id.to_string())
    .bind(p.organisation_id.to_string())
    .bind(p.version - 1))?;
    if n == 1 {
        execute!(tx, sqlx::query(
            "UPDATE patient_display_names SET legal_last_name = $1, legal_first_name = $2 WHERE patient_id = $3"
        )
        .bind(&f.legal_last_name)
        .bind(&f.legal_first_name)
        .bind(p.id.to_string()))?;
        unindex_names(tx, p.id).await?;
        if p.merged_into.is_none() {
            index_names(tx, &[p]).await?;
        }
    }
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

/// The charts of an organisation with these IDs, in the order of `ids`.
pub async fn by_ids(
    tx: &mut Tx,
    org: OrganisationId,
    ids: &[PatientId],
) -> Result<Vec<Patient>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 1)).collect();
    // By ID alone, so the primary key answers: with the organisation in the
    // WHERE clause SQLite may read the organisation's charts through one of
    // its indexes instead. The organisation is checked on the rows found.
    let sql = format!(
        concat!(
            "SELECT ",
            patient_columns!(),
            " FROM patients WHERE id IN ({})"
        ),
        list.join(", ")
    );
    let mut found: Vec<Patient> = on_tx!(tx, c => {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for id in ids {
            q = q.bind(id.to_string());
        }
        q.fetch_all(&mut **c)
            .await
            .and_then(|rows| rows.iter().map(decode).collect::<Result<Vec<_>, _>>())
    })?;
    found.retain(|p| p.organisation_id == org);
    found.sort_by_key(|p| ids.iter().position(|id| *id == p.id));
    Ok(found)
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
    by_field_after(tx, org, field, value, None, limit).await
}

/// Like [`by_field`], in its order (by ID for an MRN, otherwise by folded
/// last name and ID), starting after the chart `after` names: its folded
/// last name and ID.
pub async fn by_field_after(
    tx: &mut Tx,
    org: OrganisationId,
    field: ExactField,
    value: &str,
    after: Option<(&str, PatientId)>,
    limit: i64,
) -> Result<Vec<Patient>, StoreError> {
    let (filter, order) = match field {
        ExactField::Mrn => ("organisation_id = $1 AND mrn = $2", "id"),
        ExactField::DateOfBirth => (
            "organisation_id = $1 AND merged_into IS NULL AND date_of_birth = $2",
            "last_folded, id",
        ),
        // The two phone indexes find the IDs; a plain OR would let SQLite
        // walk the registry in last-name order instead.
        ExactField::Phone => (
            "id IN (SELECT id FROM patients WHERE organisation_id = $1 AND mobile_phone = $2 \
             UNION ALL SELECT id FROM patients WHERE organisation_id = $1 AND home_phone = $2) \
             AND merged_into IS NULL",
            "last_folded, id",
        ),
        ExactField::Email => (
            "organisation_id = $1 AND merged_into IS NULL AND email = $2",
            "last_folded, id",
        ),
    };
    // An MRN's order does not look at the last name, so it binds only the ID.
    let mrn = field == ExactField::Mrn;
    let (start, limit_at) = match after {
        None => ("", "$3"),
        Some(_) if mrn => (" AND id > $3", "$4"),
        Some(_) => (" AND (last_folded, id) > ($3, $4)", "$5"),
    };
    let sql = format!(
        concat!(
            "SELECT ",
            patient_columns!(),
            " FROM patients WHERE {}{} ORDER BY {} LIMIT {}"
        ),
        filter, start, order, limit_at
    );
    Ok(on_tx!(tx, c => {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(org.to_string())
            .bind(value);
        if let Some((last, id)) = after {
            if !mrn {
                q = q.bind(last);
            }
            q = q.bind(id.to_string());
        }
        q.bind(limit)
            .fetch_all(&mut **c)
            .await
            .and_then(|rows| rows.iter().map(decode).collect::<Result<Vec<_>, _>>())
    })?)
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
    same_names_and_births(tx, org, &[(last, first, dob)]).await
}

/// Live charts sharing folded last and first name and date of birth with
/// any of `people`, in one statement (an import asks for a batch at once).
pub async fn same_names_and_births(
    tx: &mut Tx,
    org: OrganisationId,
    people: &[(&str, &str, Date)],
) -> Result<Vec<Patient>, StoreError> {
    let mut out = Vec::new();
    // Three parameters a person, and the organisation's.
    for chunk in people.chunks(rows_per_insert(3)) {
        let any = (0..chunk.len())
            .map(|i| {
                format!(
                    "(last_folded = ${} AND first_folded = ${} AND date_of_birth = ${})",
                    3 * i + 2,
                    3 * i + 3,
                    3 * i + 4
                )
            })
            .collect::<Vec<_>>()
            .join(" OR ");
        // Only placeholders are formatted into the text; every value is bound.
        let sql = format!(
            concat!(
                "SELECT ",
                patient_columns!(),
                " FROM patients WHERE organisation_id = $1 AND merged_into IS NULL AND ({}) ORDER BY id"
            ),
            any
        );
        let rows = on_tx!(tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(org.to_string());
            for (last, first, dob) in chunk {
                q = q.bind(fold(last)).bind(fold(first)).bind(dob.to_string());
            }
            q.fetch_all(&mut **c)
                .await
                .and_then(|rows| rows.iter().map(decode).collect::<Result<Vec<_>, _>>())
        })?;
        out.extend(rows);
    }
    Ok(out)
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
    if n == 1 {
        unindex_names(tx, merged.id).await?;
    }
    Ok(n == 1)
}

/// The distinct e-mail addresses of an organisation's living charts, for
/// notices every patient must get (a change of the privacy notice).
pub async fn emails_of(tx: &mut Tx, org: OrganisationId) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT DISTINCT email FROM patients WHERE organisation_id = $1 AND merged_into IS NULL \
         AND email IS NOT NULL AND email <> '' ORDER BY email"
    )
    .bind(org.to_string())
    .fetch_all(&mut **c)
    .await)?;
    Ok(rows.into_iter().map(|(e,)| e).collect())
}
