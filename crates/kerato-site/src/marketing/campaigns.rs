//! Use cases: staff write and send campaigns.

use kerato_core::ValidationErrors;
use kerato_core::consent::Purpose;
use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx};

use crate::Site;
use crate::accounts::rules::{new_token, token_hash};
use crate::audit::{self, Event};
use crate::consents::rules::Subject;
use crate::mail::outbox::{self, Outgoing};
use crate::marketing::newsletter::*;
use crate::marketing::rules::*;
use crate::marketing::store::*;
use crate::web::SiteError;

/// Checks a campaign and stores it, unsent; returns its ID.
pub async fn create_campaign(
    site: &Site,
    actor: &str,
    input: &CampaignInput,
) -> Result<String, SiteError> {
    let mut e = ValidationErrors::new();
    let kind = input.kind.parse::<CampaignKind>().ok();
    if kind.is_none() {
        e.add("kind", "choose marketing or software update");
    }
    let subject = crate::fields::text(&mut e, "subject", "the subject", &input.subject, true, 150);
    let body = crate::fields::text(&mut e, "body", "the text", &input.body, true, 20_000);
    let Some(kind) = kind.filter(|_| e.is_empty()) else {
        return Err(SiteError::Validation(e));
    };
    let now = site.now();
    let id = kerato_core::ids::uuid_v7(now, rand::random()).to_string();
    let mut tx = site.store.write().await?;
    insert_campaign(&mut tx, &id, kind, &subject, &body, actor, now).await?;
    let audit_subject = format!("campaign:{id}");
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(actor),
            action: "campaign.created",
            subject: Some(&audit_subject),
            detail: Some(kind.as_str()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Queues one message per contact whose agreement to marketing e-mail is
/// in force, each with its own unsubscribe token, and marks the campaign
/// sent, in one transaction. A campaign is sent once.
pub async fn send_campaign(
    site: &Site,
    actor: &str,
    campaign_id: &str,
) -> Result<SendReport, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    // Marking it sent first takes the row: a second sender waits for this
    // one and then finds it sent.
    let marked = mark_sent(&mut tx, campaign_id, now).await?;
    let campaign = campaign_text(&mut tx, campaign_id).await?;
    let (kind, subject, body) = campaign.ok_or(SiteError::NotFound)?;
    if marked == 0 {
        return Err(SiteError::Conflict(
            "this campaign has already been sent, and a campaign is sent only once; \
             create a new campaign to write to the contacts again"
                .into(),
        ));
    }
    let kind: CampaignKind = kind.parse().map_err(kerato_db::corrupt)?;
    let report =
        queue_to_consenting(&mut tx, site, now, campaign_id, kind, &subject, &body).await?;
    let audit_subject = format!("campaign:{campaign_id}");
    let detail = format!(
        "queued {}, skipped {} without consent and {} opted out",
        report.queued, report.skipped_no_consent, report.skipped_opted_out
    );
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(actor),
            action: "campaign.sent",
            subject: Some(&audit_subject),
            detail: Some(&detail),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(report)
}

pub(crate) async fn queue_to_consenting(
    tx: &mut Tx,
    site: &Site,
    now: Timestamp,
    campaign_id: &str,
    kind: CampaignKind,
    subject: &str,
    body: &str,
) -> Result<SendReport, StoreError> {
    let contacts = crate::marketing::store::contact_emails(tx).await?;
    let mut report = SendReport::default();
    for email in contacts {
        let history = crate::consents::store::history(tx, Subject::contact(&email)).await?;
        if !kerato_core::consent::is_granted(&history, Purpose::MarketingEmail) {
            if history.iter().any(|e| e.purpose == Purpose::MarketingEmail) {
                report.skipped_opted_out += 1;
            } else {
                report.skipped_no_consent += 1;
            }
            continue;
        }
        let token = new_token();
        crate::marketing::store::insert_send(tx, campaign_id, &email, &token_hash(&token), now)
            .await?;
        let url = unsubscribe_url(site, &token);
        let text = format!(
            "{body}\n\n--\nYou receive this because you asked {vendor} for news by e-mail. \
             To stop, open this link and press Unsubscribe:\n{url}\n",
            vendor = site.config.vendor_name,
        );
        let headers = [
            (
                "List-Unsubscribe",
                format!(
                    "<{url}>, <mailto:{}?subject=unsubscribe>",
                    site.config.contact_email
                ),
            ),
            ("List-Unsubscribe-Post", ONE_CLICK.to_string()),
        ];
        outbox::queue(
            tx,
            now,
            rand::random(),
            Outgoing {
                kind: kind.outbox_kind(),
                recipient: &email,
                subject,
                body: &text,
                headers: &headers,
            },
        )
        .await?;
        report.queued += 1;
    }
    Ok(report)
}
