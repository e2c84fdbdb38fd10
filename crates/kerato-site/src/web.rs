//! What every page shares: the layout, the form extractor with its CSRF
//! check, the error type and its page.

use std::sync::LazyLock;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kerato_core::ValidationErrors;
use kerato_db::StoreError;
use kerato_http::assets::{AssetSet, Source};
use kerato_http::csrf::{self, CsrfToken};

use crate::cookies::{self, Visitor};
use crate::{MAX_BODY_BYTES, Site};

const SOURCES: &[Source] = &[
    (
        "site.css",
        include_bytes!("../assets/site.css"),
        "text/css; charset=utf-8",
    ),
    (
        "analytics.js",
        include_bytes!("../assets/analytics.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "favicon.svg",
        include_bytes!("../assets/favicon.svg"),
        "image/svg+xml",
    ),
    (
        "phi-guard.js",
        include_bytes!("../assets/phi-guard.js"),
        "text/javascript; charset=utf-8",
    ),
];

static ASSETS: LazyLock<AssetSet> = LazyLock::new(|| AssetSet::new(SOURCES));

pub(crate) async fn asset(Path(file): Path<String>) -> Result<Response, SiteError> {
    ASSETS.response(&file).ok_or(SiteError::NotFound)
}

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

/// The frame of every page.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub title: String,
    pub section: Section,
    pub csrf: String,
    pub css: String,
    pub icon: String,
    pub vendor_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    /// The visitor's cookie choices and GPC signal: whether to show the
    /// banner and whether to load the analytics script.
    pub visitor: Visitor,
    pub analytics_js: String,
    /// Announced material policy changes, shown in a banner until they
    /// take effect.
    pub notices: Vec<crate::policies::Notice>,
}

impl Layout {
    pub fn new(site: &Site, csrf: &CsrfToken, title: impl Into<String>, section: Section) -> Self {
        Self {
            title: title.into(),
            section,
            csrf: csrf.0.clone(),
            css: ASSETS.url("site.css"),
            icon: ASSETS.url("favicon.svg"),
            vendor_name: site.config.vendor_name.clone(),
            contact_email: site.config.contact_email.clone(),
            contact_phone: site.config.contact_phone.clone(),
            visitor: cookies::current(),
            analytics_js: ASSETS.url("analytics.js"),
            notices: crate::policies::current_notices(site, site.now()),
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

/// What can go wrong in a request, each with the status and the sentence a
/// visitor can act on. Internal errors are logged and shown without detail.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{}", .0.errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Validation(ValidationErrors),
    #[error("{0}")]
    Forbidden(String),
    #[error("there is no such page")]
    NotFound,
    #[error("the form is larger than {} KiB; shorten the text and send it again", MAX_BODY_BYTES / 1024)]
    TooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("sign in to continue")]
    SignIn,
    #[error("enter the code from your authenticator app to finish signing in")]
    SecondFactor,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("the site could not complete this request; try again in a minute")]
    Store(#[from] StoreError),
    #[error("the site could not complete this request; try again in a minute")]
    Internal(String),
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    title: &'static str,
    message: String,
}

impl From<sqlx::Error> for SiteError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(e))
    }
}

impl IntoResponse for SiteError {
    fn into_response(self) -> Response {
        let (status, title) = match &self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "This request cannot be used"),
            Self::Validation(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Some fields need attention",
            ),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "Not allowed"),
            Self::NotFound => (StatusCode::NOT_FOUND, "Page not found"),
            Self::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "Too much text"),
            Self::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "This form was not sent from its page",
            ),
            Self::SignIn => return Redirect::to("/login").into_response(),
            Self::SecondFactor => return Redirect::to("/login/mfa").into_response(),
            Self::Conflict(_) => (StatusCode::CONFLICT, "Already done"),
            Self::Gone(_) => (StatusCode::GONE, "This link no longer works"),
            Self::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "Please wait"),
            Self::Store(e) => {
                tracing::error!(error = %e, "site request failed in the database");
                (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong")
            }
            Self::Internal(e) => {
                tracing::error!(error = %e, "site request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong")
            }
        };
        let page = ErrorPage {
            status: status.as_u16(),
            title,
            message: self.to_string(),
        };
        (status, page).into_response()
    }
}

pub(crate) async fn not_found() -> SiteError {
    SiteError::NotFound
}

/// The fields of a URL-encoded form whose CSRF token was checked.
#[derive(Debug)]
pub(crate) struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    /// The first value of a field, or "" when absent.
    pub fn get(&self, name: &str) -> String {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every field as sent, for checks that look at all of them.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = SiteError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if content_type != "application/x-www-form-urlencoded" {
            return Err(SiteError::UnsupportedMediaType(
                "submit this form from its page (Content-Type: application/x-www-form-urlencoded)"
                    .into(),
            ));
        }
        let expected = csrf::expected(&req);
        let bytes: Bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| SiteError::TooLarge)?;
        let pairs: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
        if !csrf::form_matches(&pairs, &expected) {
            return Err(SiteError::Forbidden(
                "this form has expired or was sent from another site; reload the page and submit it again"
                    .into(),
            ));
        }
        Ok(Self { pairs })
    }
}

/// Checks a free-text field: trimmed, required or not, at most `max`
/// characters, no control characters other than line breaks and tabs.
/// Markup is not refused (it is escaped wherever it is shown) but the field
/// is named in the error so the visitor knows which one to fix.
pub(crate) fn text(
    errors: &mut ValidationErrors,
    field: &str,
    label: &str,
    value: &str,
    required: bool,
    max: usize,
) -> String {
    let v = value.trim();
    if v.is_empty() {
        if required {
            errors.add(field, format!("enter {label}"));
        }
        return String::new();
    }
    if v.chars().count() > max {
        errors.add(
            field,
            format!(
                "{label} is {} characters long; shorten it to {max} or fewer",
                v.chars().count()
            ),
        );
    } else if v
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        errors.add(
            field,
            format!("{label} contains control characters; type it again without them"),
        );
    }
    v.to_string()
}

/// Checks an e-mail address with the shared sign-in rule (one `@`, a
/// dotted domain, no spaces, at most 254 characters) and also refuses the
/// characters that could smuggle markup or extra recipients into a mail
/// header. Returned lower-cased.
pub(crate) fn email(errors: &mut ValidationErrors, field: &str, value: &str) -> String {
    if value.trim().is_empty() {
        errors.add(field, "enter an e-mail address");
        return String::new();
    }
    match kerato_core::session::normalise_email(value) {
        Ok(e) if !e.chars().any(|c| "<>\"',;()[]\\".contains(c)) => e,
        _ => {
            errors.add(
                field,
                "enter an e-mail address like name@practice.com (no spaces, one @)",
            );
            value.trim().to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails_are_checked_and_lower_cased() {
        let mut e = ValidationErrors::new();
        assert_eq!(
            email(&mut e, "email", " Ann@Clinic.Example "),
            "ann@clinic.example"
        );
        assert!(e.is_empty());
        for bad in [
            "",
            "ann",
            "ann@clinic",
            "a b@clinic.example",
            "<script>@x.example",
            "a@@b.example",
            "a@.example",
        ] {
            let mut e = ValidationErrors::new();
            email(&mut e, "email", bad);
            assert!(e.for_field("email").is_some(), "{bad:?} accepted");
        }
    }

    #[test]
    fn text_fields_report_length_and_control_characters() {
        let mut e = ValidationErrors::new();
        text(&mut e, "name", "your name", "", true, 10);
        assert_eq!(e.for_field("name"), Some("enter your name"));
        let mut e = ValidationErrors::new();
        text(&mut e, "name", "your name", &"x".repeat(11), true, 10);
        assert!(
            e.for_field("name")
                .is_some_and(|m| m.contains("11 characters"))
        );
        let mut e = ValidationErrors::new();
        text(&mut e, "name", "your name", "a\u{7}b", true, 10);
        assert!(e.for_field("name").is_some_and(|m| m.contains("control")));
    }

    proptest! {
        #[test]
        fn text_never_panics_and_keeps_valid_input(s in "\\PC{0,40}") {
            let mut e = ValidationErrors::new();
            let out = text(&mut e, "f", "it", &s, false, 40);
            if e.is_empty() {
                prop_assert_eq!(out, s.trim());
            }
        }
    }
}
