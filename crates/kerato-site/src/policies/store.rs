//! The SQL of policy documents.

use kerato_core::policy::{PolicyKind, PolicyVersion};
use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx, execute, on_tx};

use crate::policies::rules::*;

pub(crate) type Row = (String, i64, String, String, String, i64, i64, i64);

pub(crate) fn document(r: Row) -> Result<Document, StoreError> {
    Ok(Document {
        version: PolicyVersion {
            kind: r.0.parse().map_err(kerato_db::corrupt)?,
            version: u32::try_from(r.1).map_err(kerato_db::corrupt)?,
            summary: r.4,
            material: r.5 != 0,
            announced_at: Timestamp::from_micros(r.6),
            effective_at: Timestamp::from_micros(r.7),
        },
        title: r.2,
        body: r.3,
    })
}

/// Every version of every document, oldest first.
pub async fn all(tx: &mut Tx) -> Result<Vec<Document>, StoreError> {
    let rows: Vec<Row> = on_tx!(tx, c => sqlx::query_as(
        "SELECT kind, version, title, body, summary, material, announced_at, effective_at \
         FROM site_policies ORDER BY kind, effective_at, version"
    )
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter().map(document).collect()
}

pub(crate) async fn insert(tx: &mut Tx, d: &Document) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO site_policies (kind, version, title, body, summary, material, announced_at, effective_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        .bind(d.version.kind.as_str())
        .bind(i64::from(d.version.version))
        .bind(&d.title)
        .bind(&d.body)
        .bind(&d.version.summary)
        .bind(i64::from(d.version.material))
        .bind(d.version.announced_at.as_micros())
        .bind(d.version.effective_at.as_micros())
    )?;
    Ok(())
}

pub(crate) async fn delete_version(
    tx: &mut Tx,
    kind: PolicyKind,
    version: u32,
) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query("DELETE FROM site_policies WHERE kind = $1 AND version = $2")
            .bind(kind.as_str())
            .bind(i64::from(version))
    )?;
    Ok(())
}
