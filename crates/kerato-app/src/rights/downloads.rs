//! The one-time links an access package is fetched through: made when an
//! access request is fulfilled, opened by the requester without a sign-in,
//! spent by the one download, and purged when they expire unused.

use kerato_domain::audit::{AuditAction, Outcome as AuditOutcome};
use kerato_domain::identity::Resource;
use kerato_domain::ids::{MessageId, RightsRequestId};
use kerato_domain::rights::{DownloadLink, LINK_DAYS, RightsRequest};
use kerato_domain::time::Timestamp;
use kerato_store::{Tx, outbox, rights as store};
use ring::digest;

use crate::patient_data::AccessPackage;
use crate::{App, AppError};

/// The SHA-256 of a download token, which is all the database keeps.
fn token_hash(token: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, token.as_bytes()))
}

/// Refuses an expired or used link with what to do next.
fn usable(link: &DownloadLink, now: Timestamp) -> Result<(), AppError> {
    match link.refusal(now) {
        Some(why) => Err(AppError::Gone(why.into())),
        None => Ok(()),
    }
}

impl App {
    /// Keeps an access package as an encrypted attachment behind a new
    /// one-time link, and e-mails the link to the requester if they gave
    /// an address; returns the link's token, which is nowhere else.
    pub(super) async fn store_download(
        &self,
        tx: &mut Tx,
        request: &RightsRequest,
        package: AccessPackage,
    ) -> Result<String, AppError> {
        let files = self.attachments.clone().ok_or_else(|| {
            AppError::NotReady("packages are stored with the data directory's key, which this server was not given".into())
        })?;
        let now = self.now();
        let token = hex::encode(rand::random::<[u8; 32]>());
        let file_id = RightsRequestId::new(now, self.random_id_bits()).to_string();
        let link = DownloadLink::new(
            token_hash(&token),
            request,
            (file_id.clone(), package.file_name),
            now,
        );
        store::insert_link(tx, &link).await?;
        files
            .put(&file_id, &package.bytes)
            .map_err(|e| AppError::NotReady(e.to_string()))?;
        if let Some(email) = &request.requester.email {
            outbox::queue_email(
                tx,
                &MessageId::new(now, self.random_id_bits()).to_string(),
                email,
                "Your records are ready",
                &format!(
                    "The copy of your records you asked for is ready. Open {} \
                     within {LINK_DAYS} days; the link works once.",
                    self.link(&format!("/privacy/download/{token}"))
                ),
                now,
            )
            .await?;
        }
        Ok(token)
    }

    /// Whether a download link can still be used: `Ok(file name)` if so.
    pub async fn download_status(&self, token: &str) -> Result<String, AppError> {
        let mut tx = self.store.read().await?;
        let link = store::find_link(&mut tx, &token_hash(token))
            .await?
            .ok_or(AppError::NotFound("download"))?;
        usable(&link, self.now())?;
        Ok(link.file_name)
    }

    /// Serves a package once: the link is marked used in the transaction
    /// that audits the download, and the file is deleted after it is read.
    pub async fn download_package(&self, token: &str) -> Result<(String, Vec<u8>), AppError> {
        let files = self.attachments.clone().ok_or_else(|| {
            AppError::NotReady("downloads are not available on this server".into())
        })?;
        let mut tx = self.store.write().await?;
        let hash = token_hash(token);
        let link = store::find_link(&mut tx, &hash)
            .await?
            .ok_or(AppError::NotFound("download"))?;
        let now = self.now();
        usable(&link, now)?;
        if !store::use_link(&mut tx, &hash, now).await? {
            return Err(AppError::Gone(
                "this link has been used; ask the practice for a new one".into(),
            ));
        }
        let request = store::find_request(&mut tx, link.request_id)
            .await?
            .ok_or(AppError::NotFound("privacy request"))?;
        let mut event = self.audit_event(
            None,
            AuditAction::Export,
            Resource::PrivacyRequest,
            AuditOutcome::Allowed,
        );
        event.organisation_id = Some(link.organisation_id.to_string());
        event.patient_id = request.patient_id.map(|p| p.to_string());
        event.resource_id = Some(link.request_id.to_string());
        event.category = "access package downloaded by the requester".into();
        kerato_store::audit::append(&mut tx, event).await?;
        let bytes = files
            .get(&link.file_id)
            .map_err(|e| AppError::NotReady(e.to_string()))?;
        tx.commit().await?;
        // The record now lives with the requester; the copy here goes.
        let _ = files.delete(&link.file_id);
        Ok((link.file_name, bytes))
    }

    /// Deletes the packages of links that expired unused: a copy of the
    /// record nobody fetched is not kept. Returns how many were deleted.
    pub async fn purge_expired_downloads(&self) -> Result<usize, AppError> {
        let Some(files) = self.attachments.clone() else {
            return Ok(0);
        };
        let mut tx = self.store.write().await?;
        let expired = store::expired_packages(&mut tx, self.now()).await?;
        for (hash, file) in &expired {
            files
                .delete(file)
                .map_err(|e| AppError::NotReady(e.to_string()))?;
            store::forget_package(&mut tx, hash).await?;
        }
        tx.commit().await?;
        Ok(expired.len())
    }
}
