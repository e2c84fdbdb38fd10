//! The vendor's policy documents: the privacy statement and the cookie
//! policy, versioned, each with its effective date, rendered from the
//! stored text with the version history beside it.
//!
//! A new version follows `kerato_core::policy`: a material change takes
//! effect no sooner than 30 days after it is announced (statement §9).
//!
//! A document names the vendor only through placeholders that [`render`]
//! fills from the `[site]` settings when the page is shown
//! (`{vendor_name}`, `{contact_email}`, `{contact_phone}`,
//! `{postal_address}`, and `{usage_log_period}`, the configured usage log
//! days), so the statement always names the company that runs the site and
//! the period its retention job really keeps the log.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::routing::get;
use kerato_core::ValidationErrors;
use kerato_core::policy::{self, PolicyKind, PolicyVersion};
use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx, execute, on_tx};
use kerato_http::csrf::CsrfToken;
use sha2::{Digest, Sha256};

use crate::audit::{self, Event};
use crate::web::{Layout, Section, SiteError};
use crate::{Site, SiteConfig};

/// A stored version with its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub version: PolicyVersion,
    pub title: String,
    pub body: String,
}

/// The first version of our privacy statement, in force from 16 September
/// 2025 on a new site.
pub const FIRST_STATEMENT: &str = include_str!("../content/privacy-statement.txt");
const FIRST_COOKIE_POLICY: &str = include_str!("../content/cookie-policy.txt");
/// 16 September 2025, 00:00 UTC.
const FIRST_EFFECTIVE: Timestamp = Timestamp::from_micros(1_757_980_800_000_000);

/// SHA-256 (hex, of the trimmed text) of documents that earlier builds
/// stored as this site's privacy statement but that were copied from
/// another company: the seed's first version and the demo's second. They
/// were never ours, so a site that still holds them has them withdrawn at
/// start and gets our own statement in their place.
const NOT_OURS: &[&str] = &[
    "eec62b15dee0e07362c9ffa335cb0f536e3b138bc01334366e4a5f20274a7754",
    "fe5baeb656577c848e1d69fe30cef20979d099160986fb66609ed025984e7c03",
];

/// Fills a document's placeholders from the site's settings. A line that
/// names the postal address is left out when none is configured, rather
/// than shown half empty.
pub fn render(body: &str, config: &SiteConfig) -> String {
    let period = match config.usage_log_days {
        1 => "1 day".to_string(),
        n => format!("{n} days"),
    };
    body.lines()
        .filter(|line| {
            !(line.contains("{postal_address}") && config.postal_address.trim().is_empty())
        })
        .map(|line| {
            line.replace("{vendor_name}", &config.vendor_name)
                .replace("{contact_email}", &config.contact_email)
                .replace("{contact_phone}", &config.contact_phone)
                .replace("{postal_address}", config.postal_address.trim())
                .replace("{usage_log_period}", &period)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

type Row = (String, i64, String, String, String, i64, i64, i64);

fn document(r: Row) -> Result<Document, StoreError> {
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

async fn insert(tx: &mut Tx, d: &Document) -> Result<(), StoreError> {
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
        execute!(
            &mut tx,
            sqlx::query("DELETE FROM site_policies WHERE kind = $1 AND version = $2")
                .bind(doc.version.kind.as_str())
                .bind(i64::from(doc.version.version))
        )?;
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
        for email in crate::accounts::active_customer_emails(&mut tx).await? {
            crate::outbox::queue(
                &mut tx,
                now,
                rand::random(),
                crate::outbox::Outgoing {
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

/// A banner line for an announced material change that is not in effect
/// yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: PolicyKind,
    pub version: u32,
    pub title: String,
    pub summary: String,
    pub effective_at: Timestamp,
}

impl Notice {
    pub fn effective_date(&self) -> String {
        effective_date(self.effective_at)
    }

    /// The page of the announced version.
    pub fn href(&self) -> String {
        format!("/{}/versions/{}", slug(self.kind), self.version)
    }
}

/// The path segment of a document's pages.
fn slug(kind: PolicyKind) -> &'static str {
    match kind {
        PolicyKind::CookiePolicy => "cookies",
        _ => "privacy",
    }
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
            kind: d.version.kind,
            version: d.version.version,
            title: d.title,
            summary: d.version.summary,
            effective_at: d.version.effective_at,
        })
        .collect();
    if let Ok(mut slot) = site.notices.write() {
        *slot = notices;
    }
    Ok(())
}

/// The notices still ahead at `now`, for the banner.
pub(crate) fn current_notices(site: &Site, now: Timestamp) -> Vec<Notice> {
    site.notices
        .read()
        .map(|n| n.iter().filter(|x| x.effective_at > now).cloned().collect())
        .unwrap_or_default()
}

/// One block of a rendered document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Block {
    Heading(String),
    Paragraph(String),
    List(Vec<String>),
}

/// Splits a plain-text policy into headings ("1. Information We Collect"),
/// paragraphs and bulleted lists ("- item"), so it renders as structured
/// HTML without storing markup.
pub(crate) fn blocks(body: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    for line in body.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(item) = line.strip_prefix("- ") {
            if let Some(Block::List(items)) = out.last_mut() {
                items.push(item.to_string());
            } else {
                out.push(Block::List(vec![item.to_string()]));
            }
        } else if is_heading(line) {
            out.push(Block::Heading(line.to_string()));
        } else {
            out.push(Block::Paragraph(line.to_string()));
        }
    }
    out
}

/// "5. Data Security": a number, a dot, and a short title without a full stop.
fn is_heading(line: &str) -> bool {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && line[digits..].starts_with(". ") && line.len() < 80 && !line.ends_with('.')
}

#[derive(Template, WebTemplate)]
#[template(path = "policy.html")]
struct PolicyPage {
    layout: Layout,
    doc: Document,
    blocks: Vec<Block>,
    history: Vec<Document>,
    upcoming: Option<Document>,
    current: bool,
}

fn effective_date(t: Timestamp) -> String {
    t.to_jiff().strftime("%B %-d, %Y").to_string()
}

impl Document {
    /// The effective date as people write it ("September 16, 2025", UTC).
    pub fn effective_date(&self) -> String {
        effective_date(self.version.effective_at)
    }

    pub fn announced_date(&self) -> String {
        effective_date(self.version.announced_at)
    }
}

async fn show(
    site: &Site,
    csrf: &CsrfToken,
    kind: PolicyKind,
    version: Option<u32>,
) -> Result<PolicyPage, SiteError> {
    let now = site.now();
    let mut tx = site.store.read().await?;
    let docs: Vec<Document> = all(&mut tx)
        .await?
        .into_iter()
        .filter(|d| d.version.kind == kind)
        .collect();
    let versions: Vec<PolicyVersion> = docs.iter().map(|d| d.version.clone()).collect();
    let in_force = policy::in_force(&versions, kind, now).map(|v| v.version);
    let chosen = match version {
        Some(v) => v,
        None => in_force.ok_or(SiteError::NotFound)?,
    };
    let doc = docs
        .iter()
        .find(|d| d.version.version == chosen)
        .cloned()
        .ok_or(SiteError::NotFound)?;
    let upcoming = docs
        .iter()
        .filter(|d| d.version.effective_at > now)
        .max_by_key(|d| d.version.version)
        .cloned();
    let mut history = docs;
    history.reverse();
    Ok(PolicyPage {
        layout: Layout::new(site, csrf, doc.title.clone(), Section::Privacy),
        blocks: blocks(&render(&doc.body, &site.config)),
        current: Some(chosen) == in_force,
        doc,
        history,
        upcoming,
    })
}

async fn privacy_statement(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
) -> Result<PolicyPage, SiteError> {
    show(&site, &csrf, PolicyKind::PrivacyStatement, None).await
}

async fn cookie_policy(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
) -> Result<PolicyPage, SiteError> {
    show(&site, &csrf, PolicyKind::CookiePolicy, None).await
}

async fn version(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Path((kind, v)): Path<(String, String)>,
) -> Result<PolicyPage, SiteError> {
    let kind = match kind.as_str() {
        "privacy" => PolicyKind::PrivacyStatement,
        "cookies" => PolicyKind::CookiePolicy,
        _ => return Err(SiteError::NotFound),
    };
    let v: u32 = v.parse().map_err(|_| SiteError::NotFound)?;
    show(&site, &csrf, kind, Some(v)).await
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route("/privacy", get(privacy_statement))
        .route("/cookies", get(cookie_policy))
        .route("/{kind}/versions/{version}", get(version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_statement_splits_into_headings_paragraphs_and_lists() {
        let b = blocks(FIRST_STATEMENT);
        assert!(b.contains(&Block::Heading("5. How We Protect It".into())));
        assert!(b.iter().any(|x| matches!(x, Block::List(items) if items.iter().any(|i| i.starts_with("Every connection to this site")))));
        assert!(
            !b.iter()
                .any(|x| matches!(x, Block::Heading(h) if h.ends_with('.')))
        );
        assert_eq!(effective_date(FIRST_EFFECTIVE), "September 16, 2025");
    }

    #[test]
    fn placeholders_take_the_settings_and_an_empty_address_drops_its_line() {
        let config = SiteConfig {
            vendor_name: "Acme Practice Software".into(),
            postal_address: " ".into(),
            usage_log_days: 1,
            ..SiteConfig::default()
        };
        let body = "We are {vendor_name}.\n- Post: {vendor_name}, {postal_address}\nKept {usage_log_period}.";
        assert_eq!(
            render(body, &config),
            "We are Acme Practice Software.\nKept 1 day."
        );
        let config = SiteConfig {
            postal_address: "1 Main St, Troy, NY 12180".into(),
            ..config
        };
        assert!(
            render(body, &config)
                .contains("- Post: Acme Practice Software, 1 Main St, Troy, NY 12180")
        );
    }
}
