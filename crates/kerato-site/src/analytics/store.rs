//! The SQL of the daily page-view counts.

use kerato_db::{StoreError, Tx, execute};

/// One more view of `path` on `day` (`YYYY-MM-DD`, UTC).
pub(crate) async fn add_view(tx: &mut Tx, day: &str, path: &str) -> Result<(), StoreError> {
    execute!(
        tx,
        sqlx::query(
            "INSERT INTO page_views_daily (day, path, views) VALUES ($1, $2, 1) \
             ON CONFLICT (day, path) DO UPDATE SET views = page_views_daily.views + 1"
        )
        .bind(day)
        .bind(path)
    )?;
    Ok(())
}
