//! Rules of policy documents: the first versions, rendering and blocks.

use kerato_core::policy::{PolicyKind, PolicyVersion};
use kerato_core::time::Timestamp;

use crate::SiteConfig;

/// A stored version with its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub version: PolicyVersion,
    pub title: String,
    pub body: String,
}

/// The first version of our privacy statement, in force from 16 September
/// 2025 on a new site.
pub const FIRST_STATEMENT: &str = include_str!("../../content/privacy-statement.txt");

pub(crate) const FIRST_COOKIE_POLICY: &str = include_str!("../../content/cookie-policy.txt");

/// 16 September 2025, 00:00 UTC.
pub(crate) const FIRST_EFFECTIVE: Timestamp = Timestamp::from_micros(1_757_980_800_000_000);

/// SHA-256 (hex, of the trimmed text) of documents that earlier builds
/// stored as this site's privacy statement but that were copied from
/// another company: the seed's first version and the demo's second. They
/// were never ours, so a site that still holds them has them withdrawn at
/// start and gets our own statement in their place.
pub(crate) const NOT_OURS: &[&str] = &[
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

/// The path segment of a document's pages.
pub(crate) fn slug(kind: PolicyKind) -> &'static str {
    match kind {
        PolicyKind::CookiePolicy => "cookies",
        _ => "privacy",
    }
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
pub(crate) fn is_heading(line: &str) -> bool {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && line[digits..].starts_with(". ") && line.len() < 80 && !line.ends_with('.')
}

pub(crate) fn effective_date(t: Timestamp) -> String {
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
