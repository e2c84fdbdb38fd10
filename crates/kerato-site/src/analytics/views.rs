//! Use case: a page view is counted, by day and path only.

use crate::Site;
use crate::analytics::store;
use crate::web::SiteError;

pub(crate) async fn count_view(site: &Site, path: &str) -> Result<(), SiteError> {
    let day = site.now().to_jiff().strftime("%Y-%m-%d").to_string();
    let mut tx = site.store.write().await?;
    store::add_view(&mut tx, &day, path).await?;
    tx.commit().await?;
    Ok(())
}
