//! Use cases: the privacy center's e-mailed links are checked and spent.

use crate::Site;
use crate::audit::{self, Event};
use crate::rights::store::{person_data, *};
use crate::web::SiteError;

/// Whether a verification link still works, for the page that shows its
/// button.
pub(crate) async fn check_verify_link(site: &Site, token: &str) -> Result<(), SiteError> {
    let mut tx = site.store.read().await?;
    usable_verify_token(&mut tx, token, site.now()).await?;
    Ok(())
}

/// Whether a download link still works, for the page that shows its
/// button.
pub(crate) async fn check_download(site: &Site, token: &str) -> Result<(), SiteError> {
    let mut tx = site.store.read().await?;
    usable_download(&mut tx, token, site.now()).await?;
    Ok(())
}

/// Spends a download link: marks it used, audits the download and returns
/// the copy of the requester's data, in one transaction.
pub(crate) async fn take_download(
    site: &Site,
    token: &str,
) -> Result<Vec<person_data::Section>, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let request = usable_download(&mut tx, token, now).await?;
    mark_used(&mut tx, token, now).await?;
    let copy = person_data::export(&mut tx, &request.email).await?;
    let subject = format!("rights_request:{}", request.id);
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some("visitor"),
            action: "rights_request.downloaded",
            subject: Some(&subject),
            detail: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(copy)
}
