//! Marketing e-mail: the newsletter sign-up, the contacts it collects,
//! campaigns written by vendor staff, and the one-click unsubscribe of
//! RFC 8058.
//!
//! Whether a contact may be e-mailed is decided only by the consent
//! registry (`Purpose::MarketingEmail` for `Subject::contact(email)`):
//! `marketing_contacts` holds who the person is, never whether they agreed.
//!
//! A software-update announcement goes to the same audience as marketing:
//! contacts who agreed to marketing e-mail. Customers' service notices
//! belong to their portal accounts, which this module does not know; to
//! mail a non-customer about a release is marketing and needs consent.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use kerato_core::ValidationErrors;
use kerato_core::consent::{Purpose, Source};
use kerato_core::policy::{self, PolicyKind};
use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx, execute, on_tx};
use kerato_http::csrf::CsrfToken;

use crate::accounts::{new_token, token_hash};
use crate::audit::{self, Event};
use crate::consents::{self, Subject};
use crate::outbox::{self, Outgoing};
use crate::web::{self, Form, Layout, Section, SiteError};
use crate::{Site, policies};

kerato_core::string_enum!(
    /// What a campaign announces.
    CampaignKind {
        Marketing = "marketing", "Marketing";
        SoftwareUpdate = "software_update", "Software update";
    }
);

impl CampaignKind {
    /// The outbox kind of its messages.
    fn outbox_kind(self) -> &'static str {
        match self {
            CampaignKind::Marketing => "marketing",
            CampaignKind::SoftwareUpdate => "announcement",
        }
    }
}

/// The body of a one-click unsubscribe POST (RFC 8058 §3.1).
const ONE_CLICK: &str = "List-Unsubscribe=One-Click";

/// What the newsletter form sent, kept to show it again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignupInput {
    pub name: String,
    pub email: String,
    pub practice: String,
    /// `yes` when the opt-in box was ticked.
    pub consent: String,
}

/// A checked sign-up with the opt-in given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signup {
    pub name: String,
    pub email: String,
    pub practice: Option<String>,
}

impl SignupInput {
    fn from_form(f: &Form) -> Self {
        Self {
            name: f.get("name"),
            email: f.get("email"),
            practice: f.get("practice"),
            consent: f.get("consent"),
        }
    }

    /// Every problem at once, by field. Without the ticked box there is no
    /// consent, so nothing is kept.
    pub fn validate(&self) -> Result<Signup, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let name = web::text(&mut e, "name", "your name", &self.name, true, 100);
        let email = web::email(&mut e, "email", &self.email);
        let practice = web::text(
            &mut e,
            "practice",
            "the practice's name",
            &self.practice,
            false,
            150,
        );
        if self.consent != "yes" {
            e.add(
                "consent",
                "tick the box to agree to receive our newsletter; without it we cannot send it",
            );
        }
        if !e.is_empty() {
            return Err(e);
        }
        Ok(Signup {
            name,
            email,
            practice: (!practice.is_empty()).then_some(practice),
        })
    }
}

/// Adds or updates a contact and records their agreement to marketing
/// e-mail (unless it is already in force), audited, in one transaction.
/// `source` is how the agreement was given (the newsletter form, or told
/// to staff). Returns the contact's ID.
pub async fn subscribe(
    site: &Site,
    actor: &str,
    s: &Signup,
    source: Source,
) -> Result<String, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let new_id = kerato_core::ids::uuid_v7(now, rand::random()).to_string();
    let (id,): (String,) = on_tx!(&mut tx, c => sqlx::query_as(
        "INSERT INTO marketing_contacts (id, email, name, practice, source, created_at, last_interaction_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) \
         ON CONFLICT (email) DO UPDATE SET name = $3, practice = $4, last_interaction_at = $6 \
         RETURNING id"
    )
    .bind(&new_id)
    .bind(&s.email)
    .bind(&s.name)
    .bind(&s.practice)
    .bind(source.as_str())
    .bind(now.as_micros())
    .fetch_one(&mut **c)
    .await)?;
    let who = Subject::contact(&s.email);
    let granted = consents::is_granted(&mut tx, who, Purpose::MarketingEmail).await?;
    if !granted {
        let documents = policies::all(&mut tx).await?;
        let versions: Vec<_> = documents.into_iter().map(|d| d.version).collect();
        let statement = policy::in_force(&versions, PolicyKind::PrivacyStatement, now)
            .map(|v| v.version.to_string());
        consents::record(
            &mut tx,
            who,
            Purpose::MarketingEmail,
            true,
            source,
            statement.as_deref(),
            now,
        )
        .await?;
    }
    let subject = format!("marketing_contact:{id}");
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some(actor),
            action: "marketing_contact.subscribed",
            subject: Some(&subject),
            detail: Some(if granted {
                "details updated; consent already given"
            } else {
                "consent to marketing e-mail recorded"
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A campaign as staff write it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CampaignInput {
    pub kind: String,
    pub subject: String,
    pub body: String,
}

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
    let subject = web::text(&mut e, "subject", "the subject", &input.subject, true, 150);
    let body = web::text(&mut e, "body", "the text", &input.body, true, 20_000);
    let Some(kind) = kind.filter(|_| e.is_empty()) else {
        return Err(SiteError::Validation(e));
    };
    let now = site.now();
    let id = kerato_core::ids::uuid_v7(now, rand::random()).to_string();
    let mut tx = site.store.write().await?;
    execute!(
        &mut tx,
        sqlx::query(
            "INSERT INTO campaigns (id, kind, subject, body, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(&id)
        .bind(kind.as_str())
        .bind(&subject)
        .bind(&body)
        .bind(actor)
        .bind(now.as_micros())
    )?;
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

/// A campaign as the staff list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: String,
    pub kind: CampaignKind,
    pub subject: String,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

/// Every campaign, newest first.
pub async fn campaigns(tx: &mut Tx) -> Result<Vec<Campaign>, StoreError> {
    let rows: Vec<(String, String, String, i64, Option<i64>)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, kind, subject, created_at, sent_at FROM campaigns ORDER BY created_at DESC"
    )
    .fetch_all(&mut **c)
    .await)?;
    rows.into_iter()
        .map(|r| {
            Ok(Campaign {
                id: r.0,
                kind: r.1.parse().map_err(kerato_db::corrupt)?,
                subject: r.2,
                created_at: Timestamp::from_micros(r.3),
                sent_at: r.4.map(Timestamp::from_micros),
            })
        })
        .collect()
}

/// What sending a campaign did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendReport {
    /// Messages queued: contacts whose agreement is in force.
    pub queued: usize,
    /// Contacts who never answered: silence is a no.
    pub skipped_no_consent: usize,
    /// Contacts who agreed once and withdrew.
    pub skipped_opted_out: usize,
}

/// The link that unsubscribes from one message, with its token.
fn unsubscribe_url(site: &Site, token: &str) -> String {
    format!(
        "{}/unsubscribe/{token}",
        site.config.public_url.trim_end_matches('/')
    )
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
    let marked = execute!(
        &mut tx,
        sqlx::query("UPDATE campaigns SET sent_at = $1 WHERE id = $2 AND sent_at IS NULL")
            .bind(now.as_micros())
            .bind(campaign_id)
    )?;
    let campaign: Option<(String, String, String)> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT kind, subject, body FROM campaigns WHERE id = $1"
    )
    .bind(campaign_id)
    .fetch_optional(&mut **c)
    .await)?;
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

async fn queue_to_consenting(
    tx: &mut Tx,
    site: &Site,
    now: Timestamp,
    campaign_id: &str,
    kind: CampaignKind,
    subject: &str,
    body: &str,
) -> Result<SendReport, StoreError> {
    let contacts: Vec<(String,)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT email FROM marketing_contacts ORDER BY email"
    )
    .fetch_all(&mut **c)
    .await)?;
    let mut report = SendReport::default();
    for (email,) in contacts {
        let history = consents::history(tx, Subject::contact(&email)).await?;
        if !kerato_core::consent::is_granted(&history, Purpose::MarketingEmail) {
            if history.iter().any(|e| e.purpose == Purpose::MarketingEmail) {
                report.skipped_opted_out += 1;
            } else {
                report.skipped_no_consent += 1;
            }
            continue;
        }
        let token = new_token();
        execute!(
            tx,
            sqlx::query(
                "INSERT INTO campaign_sends (campaign_id, email, token_hash, queued_at) VALUES ($1, $2, $3, $4)"
            )
            .bind(campaign_id)
            .bind(&email)
            .bind(token_hash(&token))
            .bind(now.as_micros())
        )?;
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

/// Withdraws the agreement of the contact a token was sent to, if it is in
/// force, audited. Returns false for an unknown token. Doing it twice
/// changes nothing the second time.
pub async fn unsubscribe(site: &Site, token: &str) -> Result<bool, SiteError> {
    let now = site.now();
    let mut tx = site.store.write().await?;
    let found: Option<(String, String, Option<String>)> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT s.campaign_id, s.email, m.id FROM campaign_sends s \
         LEFT JOIN marketing_contacts m ON m.email = s.email WHERE s.token_hash = $1"
    )
    .bind(token_hash(token))
    .fetch_optional(&mut **c)
    .await)?;
    let Some((campaign_id, email, contact_id)) = found else {
        return Ok(false);
    };
    let who = Subject::contact(&email);
    if consents::is_granted(&mut tx, who, Purpose::MarketingEmail).await? {
        consents::record(
            &mut tx,
            who,
            Purpose::MarketingEmail,
            false,
            Source::Link,
            None,
            now,
        )
        .await?;
        // The contact's record when it still exists; otherwise the campaign
        // the link came from, so the trail never names the address.
        let audit_subject = match contact_id {
            Some(id) => format!("marketing_contact:{id}"),
            None => format!("campaign:{campaign_id}"),
        };
        let detail = format!("unsubscribed from campaign {campaign_id}");
        audit::record(
            &mut tx,
            now,
            Event {
                actor: Some("visitor"),
                action: "marketing_contact.unsubscribed",
                subject: Some(&audit_subject),
                detail: Some(&detail),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

#[derive(Template, WebTemplate)]
#[template(path = "newsletter.html")]
struct NewsletterPage {
    layout: Layout,
    input: SignupInput,
    errors: ValidationErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "newsletter_thanks.html")]
struct NewsletterThanks {
    layout: Layout,
}

/// Where an unsubscribe stands, for its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Confirm,
    Done,
    Unknown,
}

#[derive(Template, WebTemplate)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    layout: Layout,
    step: Step,
    token: String,
}

fn newsletter_page(
    site: &Site,
    csrf: &CsrfToken,
    input: SignupInput,
    errors: ValidationErrors,
) -> NewsletterPage {
    NewsletterPage {
        layout: Layout::new(site, csrf, "Newsletter", Section::Contact),
        input,
        errors,
    }
}

async fn newsletter(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
) -> NewsletterPage {
    newsletter_page(
        &site,
        &csrf,
        SignupInput::default(),
        ValidationErrors::new(),
    )
}

async fn newsletter_submit(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    form: Form,
) -> Result<Response, SiteError> {
    let input = SignupInput::from_form(&form);
    match input.validate() {
        Ok(valid) => {
            subscribe(&site, "visitor", &valid, Source::Form).await?;
            Ok(Redirect::to("/newsletter/thanks").into_response())
        }
        Err(errors) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            newsletter_page(&site, &csrf, input, errors),
        )
            .into_response()),
    }
}

async fn newsletter_thanks(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
) -> NewsletterThanks {
    NewsletterThanks {
        layout: Layout::new(&site, &csrf, "You are subscribed", Section::Contact),
    }
}

fn unsubscribe_page(site: &Site, csrf: &CsrfToken, step: Step, token: String) -> Response {
    let (status, title) = match step {
        Step::Confirm => (StatusCode::OK, "Unsubscribe"),
        Step::Done => (StatusCode::OK, "You are unsubscribed"),
        Step::Unknown => (StatusCode::NOT_FOUND, "Unknown unsubscribe link"),
    };
    let page = UnsubscribePage {
        layout: Layout::new(site, csrf, title, Section::Privacy),
        step,
        token,
    };
    (status, page).into_response()
}

/// The page behind the link in the message. Opening it changes nothing,
/// because mail scanners open links; its one button unsubscribes.
async fn unsubscribe_confirm(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
) -> Result<Response, SiteError> {
    let mut tx = site.store.read().await?;
    let known: Option<(String,)> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT campaign_id FROM campaign_sends WHERE token_hash = $1"
    )
    .bind(token_hash(&token))
    .fetch_optional(&mut **c)
    .await)?;
    let step = if known.is_some() {
        Step::Confirm
    } else {
        Step::Unknown
    };
    Ok(unsubscribe_page(&site, &csrf, step, token))
}

/// The one-click unsubscribe of RFC 8058, sent by mail clients and by the
/// page's button alike. The token in the path is the credential: a mail
/// client has no cookie and no CSRF token, so the body is read here rather
/// than through `Form`, and it must be exactly `List-Unsubscribe=One-Click`.
async fn unsubscribe_post(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, SiteError> {
    let one_click =
        form_urlencoded::parse(&body).any(|(k, v)| k == "List-Unsubscribe" && v == "One-Click");
    if !one_click {
        return Err(SiteError::BadRequest(format!(
            "an unsubscribe request carries the body {ONE_CLICK}; use the button on the unsubscribe page"
        )));
    }
    let step = if unsubscribe(&site, &token).await? {
        Step::Done
    } else {
        Step::Unknown
    };
    Ok(unsubscribe_page(&site, &csrf, step, token))
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route("/newsletter", get(newsletter).post(newsletter_submit))
        .route("/newsletter/thanks", get(newsletter_thanks))
        .route(
            "/unsubscribe/{token}",
            get(unsubscribe_confirm).post(unsubscribe_post),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> SignupInput {
        SignupInput {
            name: "Ann Lee".into(),
            email: "Ann@LeeEye.example".into(),
            practice: String::new(),
            consent: "yes".into(),
        }
    }

    #[test]
    fn a_ticked_sign_up_is_valid_and_an_unticked_one_is_not() {
        let s = good().validate().unwrap();
        assert_eq!((s.email.as_str(), s.practice), ("ann@leeeye.example", None));
        for consent in ["", "on", "no"] {
            let mut i = good();
            i.consent = consent.into();
            let e = i.validate().unwrap_err();
            assert!(
                e.for_field("consent")
                    .is_some_and(|m| m.contains("tick the box"))
            );
        }
    }

    #[test]
    fn tokens_are_stored_only_as_their_hash() {
        let h = token_hash("abc");
        assert_eq!(h.len(), 64);
        assert_ne!(h, "abc");
        assert_eq!(h, token_hash("abc"));
    }
}
