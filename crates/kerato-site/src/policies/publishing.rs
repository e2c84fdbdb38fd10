//! Use cases: the first documents are seeded, new versions published and announced.

use kerato_core::ValidationErrors;
use kerato_core::policy::{self, PolicyKind, PolicyVersion};
use kerato_core::time::Timestamp;
use kerato_http::layout::Notice;
use sha2::{Digest, Sha256};

use crate::Site;
use crate::audit::{self, Event};
use crate::policies::rules::*;
use crate::policies::store::*;
use crate::web::SiteError;

/// Withdraws every stored version whose text (trimmed) has one of the
/// SHA-256 digests `not_ours`, audited one by one; returns how many went.
/// A document copied from another company is not a version of ours, so
/// it leaves the history rather than staying readable there.
pub async fn withdraw_copies(site: &Site, not_ours: &[&str]) -> Result<usize, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let mut withdrawn = 0;
    for doc in all(&mut tx).await? {
        let digest = hex::encode(Sha256::digest(doc.body.trim().as_bytes()));
        if !not_ours.contains(&digest.as_str()) {
            continue;
        }
        delete_version(&mut tx, doc.version.kind, doc.version.version).await?;
        let subject = format!(
            "policy:{}:{}",
            doc.version.kind.as_str(),
            doc.version.version
        );
        audit::record(
            &mut tx,
            now,
            Event {
                actor: Some("system:policies"),
                action: "policy.withdrawn",
                subject: Some(&subject),
                detail: Some("a copy of another company's document, never ours"),
            },
        )
        .await?;
        withdrawn += 1;
    }
    tx.commit().await?;
    Ok(withdrawn)
}

/// Withdraws the copied documents earlier builds stored, then puts our
/// first privacy statement and cookie policy in place as version 1
/// wherever the site has no version 1 of them.
pub async fn seed(site: &Site) -> Result<(), SiteError> {
    withdraw_copies(site, NOT_OURS).await?;
    let mut tx = site.store.write().await?;
    let existing = all(&mut tx).await?;
    for (kind, title, body) in [
        (
            PolicyKind::PrivacyStatement,
            "Privacy Statement",
            FIRST_STATEMENT,
        ),
        (
            PolicyKind::CookiePolicy,
            "Cookie Policy",
            FIRST_COOKIE_POLICY,
        ),
    ] {
        if existing
            .iter()
            .any(|d| d.version.kind == kind && d.version.version == 1)
        {
            continue;
        }
        let doc = Document {
            version: PolicyVersion {
                version: 1,
                kind,
                announced_at: FIRST_EFFECTIVE,
                effective_at: FIRST_EFFECTIVE,
                material: false,
                summary: "First published version.".into(),
            },
            title: title.into(),
            body: body.into(),
        };
        insert(&mut tx, &doc).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A version to publish.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    pub kind: PolicyKind,
    pub title: &'a str,
    pub body: &'a str,
    /// What changed, as the notice to users says it.
    pub summary: &'a str,
    pub material: bool,
    pub effective_at: Timestamp,
}

/// Publishes a new version, announced now, if the rules allow it: a
/// material change needs 30 days' notice. Refused versions leave nothing
/// behind.
pub async fn publish(site: &Site, actor: &str, new: NewVersion<'_>) -> Result<Document, SiteError> {
    let NewVersion {
        kind,
        title,
        body,
        summary,
        material,
        effective_at,
    } = new;
    let now = site.now();
    let mut tx = site.store.write().await?;
    let existing = all(&mut tx).await?;
    let versions: Vec<PolicyVersion> = existing.iter().map(|d| d.version.clone()).collect();
    let next = versions
        .iter()
        .filter(|v| v.kind == kind)
        .map(|v| v.version)
        .max()
        .unwrap_or(0)
        .saturating_add(1);
    let doc = Document {
        version: PolicyVersion {
            version: next,
            kind,
            announced_at: now,
            effective_at,
            material,
            summary: summary.trim().to_string(),
        },
        title: title.trim().to_string(),
        body: body.trim().to_string(),
    };
    let mut errors = match policy::check_publication(&doc.version, &versions, now) {
        Ok(()) => ValidationErrors::new(),
        Err(e) => e,
    };
    if doc.body.is_empty() {
        errors.add("body", "paste the text of the new version");
    }
    if doc.title.is_empty() {
        errors.add("title", "give the document a title");
    }
    if !errors.is_empty() {
        return Err(SiteError::Validation(errors));
    }
    insert(&mut tx, &doc).await?;
    let mut told = 0;
    if material {
        // The statement promises notice by e-mail or on the site at least
        // 30 days ahead: every customer user is e-mailed, and the banner
        // shows it to everyone else.
        let body = format!(
            "Our {title} changes on {date}.\n\nWhat changes: {summary}\n\nRead the new version: {url}/{slug}/versions/{next}\n\n{vendor}\n",
            title = doc.title,
            date = effective_date(effective_at),
            summary = doc.version.summary,
            url = site.config.public_url.trim_end_matches('/'),
            slug = slug(kind),
            vendor = site.config.vendor_name,
        );
        let subject_line = format!(
            "Our {} changes on {}",
            doc.title,
            effective_date(effective_at)
        );
        for email in crate::accounts::store::active_customer_emails(&mut tx).await? {
            crate::mail::outbox::queue(
                &mut tx,
                now,
                rand::random(),
                crate::mail::outbox::Outgoing {
                    kind: "policy_notice",
                    recipient: &email,
                    subject: &subject_line,
                    body: &body,
                    headers: &[],
                },
            )
            .await?;
            told += 1;
        }
    }
    let subject = format!("policy:{}:{}", kind.as_str(), next);
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(actor),
            action: "policy.published",
            subject: Some(&subject),
            detail: Some(&if material {
                format!("material change, {told} customers e-mailed")
            } else {
                "minor update".to_string()
            }),
        },
    )
    .await?;
    tx.commit().await?;
    refresh_notices(site).await?;
    Ok(doc)
}

/// Reloads the banner's notices from the stored versions.
pub async fn refresh_notices(site: &Site) -> Result<(), SiteError> {
    let now = site.now();
    let mut tx = site.store.read().await?;
    let notices: Vec<Notice> = all(&mut tx)
        .await?
        .into_iter()
        .filter(|d| d.version.material && d.version.effective_at > now)
        .map(|d| Notice {
            href: Some(format!(
                "/{}/versions/{}",
                slug(d.version.kind),
                d.version.version
            )),
            what: d.title,
            summary: d.version.summary,
            effective_at: d.version.effective_at,
        })
        .collect();
    if let Ok(mut slot) = site.notices.write() {
        *slot = notices;
    }
    Ok(())
}
