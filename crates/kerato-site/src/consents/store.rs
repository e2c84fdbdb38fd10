//! The consent registry's SQL.

use kerato_core::consent::{self, ConsentEntry, Purpose, Source};
use kerato_core::policy::{self, PolicyKind};
use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx, execute, on_tx};

use crate::consents::rules::Subject;

pub(crate) type Row = (String, i64, String, Option<String>, i64);

/// A subject's whole history, in the order it was recorded.
pub async fn history(tx: &mut Tx, subject: Subject<'_>) -> Result<Vec<ConsentEntry>, StoreError> {
    let rows: Vec<Row> = on_tx!(tx, c => sqlx::query_as(
        "SELECT purpose, granted, source, policy_version, recorded_at FROM site_consents \
         WHERE subject_kind = $1 AND subject = $2 ORDER BY recorded_at, id"
    )
    .bind(subject.kind.as_str())
    .bind(subject.id)
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|r| {
            Ok(ConsentEntry {
                purpose: r.0.parse().map_err(kerato_db::corrupt)?,
                granted: r.1 != 0,
                source: r.2.parse().map_err(kerato_db::corrupt)?,
                policy_version: r.3,
                at: Timestamp::from_micros(r.4),
            })
        })
        .collect()
}

/// Appends an answer, at `now` or just after the subject's latest answer
/// for the purpose (so the latest answer is always the one recorded last).
pub async fn record(
    tx: &mut Tx,
    subject: Subject<'_>,
    purpose: Purpose,
    granted: bool,
    source: Source,
    policy_version: Option<&str>,
    now: Timestamp,
) -> Result<ConsentEntry, StoreError> {
    let past = history(tx, subject).await?;
    let at = consent::next_instant(&past, purpose, now);
    let id = kerato_core::ids::uuid_v7(at, rand::random()).to_string();
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO site_consents (id, subject_kind, subject, purpose, granted, source, policy_version, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        .bind(&id)
        .bind(subject.kind.as_str())
        .bind(subject.id)
        .bind(purpose.as_str())
        .bind(i64::from(granted))
        .bind(source.as_str())
        .bind(policy_version)
        .bind(at.as_micros())
    )?;
    Ok(ConsentEntry {
        purpose,
        granted,
        source,
        policy_version: policy_version.map(str::to_string),
        at,
    })
}

/// Whether the subject has agreed to the purpose now.
pub async fn is_granted(
    tx: &mut Tx,
    subject: Subject<'_>,
    purpose: Purpose,
) -> Result<bool, StoreError> {
    Ok(consent::is_granted(&history(tx, subject).await?, purpose))
}

/// The cookie policy version in force, as the registry records it.
pub(crate) async fn cookie_policy_version(tx: &mut Tx, now: Timestamp) -> Result<u32, StoreError> {
    let versions: Vec<_> = crate::policies::store::all(tx)
        .await?
        .into_iter()
        .map(|d| d.version)
        .collect();
    Ok(policy::in_force(&versions, PolicyKind::CookiePolicy, now).map_or(0, |v| v.version))
}

/// An opt-out of sale and sharing the registry holds, as the pages say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordedOptOut {
    /// "this browser", or the signed-in person's address.
    pub who: String,
    pub since: String,
    pub how: &'static str,
}
