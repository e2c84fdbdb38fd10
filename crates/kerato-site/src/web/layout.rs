//! The frame of every page: the shared frame of `kerato_http::layout` and
//! what only the site shows.

use kerato_http::csrf::CsrfToken;
use kerato_http::layout::Frame;

use super::assets::ASSETS;
use super::visitor::{self, Visitor};
use crate::Site;

/// Which part of the site a page belongs to, for the navigation's
/// `aria-current`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Home,
    Products,
    Pricing,
    Contact,
    Privacy,
    Portal,
}

/// The frame of every page: the shared [`Frame`] (stylesheet, icon, CSRF
/// token, announced policy changes), which it dereferences to, and what
/// only the site shows.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub frame: Frame,
    pub title: String,
    pub section: Section,
    pub vendor_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    /// The visitor's cookie choices and GPC signal: whether to show the
    /// banner and whether to load the analytics script.
    pub visitor: Visitor,
    pub analytics_js: String,
}

impl std::ops::Deref for Layout {
    type Target = Frame;

    fn deref(&self) -> &Frame {
        &self.frame
    }
}

impl Layout {
    pub fn new(site: &Site, csrf: &CsrfToken, title: impl Into<String>, section: Section) -> Self {
        let notices = site.notices.read().map(|n| n.clone()).unwrap_or_default();
        Self {
            frame: Frame::new(&ASSETS, "site.css", csrf).with_notices(&notices, site.now()),
            title: title.into(),
            section,
            vendor_name: site.config.vendor_name.clone(),
            contact_email: site.config.contact_email.clone(),
            contact_phone: site.config.contact_phone.clone(),
            visitor: visitor::current(),
            analytics_js: ASSETS.url("analytics.js"),
        }
    }

    pub fn is(&self, section: Section) -> bool {
        self.section == section
    }

    /// The content-hashed URL of a bundled asset, for pages that load a
    /// script of their own (such as the PHI guard on ticket forms).
    pub fn asset(&self, file: &str) -> String {
        ASSETS.url(file)
    }
}
