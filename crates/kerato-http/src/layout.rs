//! The parts of a page's frame both front ends fill the same way: the
//! stylesheet and icon from their asset set, the request's CSRF token for
//! every form, and the banner announcing a policy change before it applies.

use kerato_core::time::Timestamp;

use crate::assets::AssetSet;
use crate::csrf::CsrfToken;

/// What every page's frame carries whatever the front end. A front end's
/// own layout holds one and dereferences to it, so templates read
/// `layout.css` and `layout.csrf` alike on both.
#[derive(Debug, Clone)]
pub struct Frame {
    pub css: String,
    pub icon: String,
    pub csrf: String,
    /// Policy changes announced and not yet in force.
    pub notices: Vec<Notice>,
}

impl Frame {
    /// The frame with `css` and `favicon.svg` from `assets` and the
    /// request's token; no notices until [`Frame::with_notices`].
    pub fn new(assets: &AssetSet, css: &str, csrf: &CsrfToken) -> Self {
        Self {
            css: assets.url(css),
            icon: assets.url("favicon.svg"),
            csrf: csrf.0.clone(),
            notices: Vec::new(),
        }
    }

    /// The frame with the notices still ahead at `now`.
    pub fn with_notices(mut self, notices: &[Notice], now: Timestamp) -> Self {
        self.notices = notices
            .iter()
            .filter(|n| n.effective_at > now)
            .cloned()
            .collect();
        self
    }
}

/// A material policy change announced ahead of the date it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The document, as it reads after "Our": "privacy statement".
    pub what: String,
    pub effective_at: Timestamp,
    /// What changes, in one sentence.
    pub summary: String,
    /// The page of the announced version, where there is one.
    pub href: Option<String>,
}

impl Notice {
    /// The date it applies, as people write it ("September 16, 2025", UTC).
    pub fn effective_date(&self) -> String {
        self.effective_at
            .to_jiff()
            .strftime("%B %-d, %Y")
            .to_string()
    }

    /// The banner's sentence with the date as the clinic's pages write
    /// dates ("2025-09-16").
    pub fn line(&self) -> String {
        format!(
            "Our {} changes on {}: {}",
            self.what,
            self.effective_at.to_jiff().strftime("%Y-%m-%d"),
            self.summary
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_notices_still_ahead_are_shown() {
        let at = |micros| Timestamp::from_micros(micros);
        let notice = |micros| Notice {
            what: "privacy statement".into(),
            effective_at: at(micros),
            summary: "We name our processors.".into(),
            href: None,
        };
        let frame = Frame {
            css: String::new(),
            icon: String::new(),
            csrf: String::new(),
            notices: Vec::new(),
        }
        .with_notices(&[notice(10), notice(30)], at(20));
        assert_eq!(frame.notices, vec![notice(30)]);
    }

    #[test]
    fn the_line_names_the_document_the_date_and_the_change() {
        let n = Notice {
            what: "privacy statement".into(),
            effective_at: Timestamp::from_micros(1_757_980_800_000_000),
            summary: "We name our processors.".into(),
            href: None,
        };
        assert_eq!(
            n.line(),
            "Our privacy statement changes on 2025-09-16: We name our processors."
        );
        assert_eq!(n.effective_date(), "September 16, 2025");
    }
}
