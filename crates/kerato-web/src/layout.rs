//! What every page's frame needs.

use crate::assets;
use crate::csrf::CsrfToken;

#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub css: String,
    pub js: String,
    pub htmx: String,
    pub csrf: String,
    pub organisation: String,
    /// The navigation entry to mark as current.
    pub section: &'static str,
}

impl Layout {
    pub fn new(csrf: &CsrfToken, organisation: &str, section: &'static str) -> Self {
        Self {
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            htmx: assets::url("htmx.min.js"),
            csrf: csrf.0.clone(),
            organisation: organisation.to_string(),
            section,
        }
    }

    /// The frame for error pages, which show no forms and no organisation.
    pub fn bare() -> Self {
        Self::new(&CsrfToken(String::new()), "", "")
    }
}
