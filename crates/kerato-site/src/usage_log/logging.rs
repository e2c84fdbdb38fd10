//! Use case: a page request is written to the usage log.

use kerato_db::StoreError;

use crate::Site;
use crate::usage_log::rules::LogLine;
use crate::usage_log::store;

/// Writes one line, in its own transaction, at the site's clock.
pub(crate) async fn record(site: &Site, line: LogLine) -> Result<(), StoreError> {
    let mut tx = site.store.write().await?;
    store::insert(&mut tx, site.now(), &line).await?;
    tx.commit().await
}
