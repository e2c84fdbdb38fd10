//! What the site knows about the visitor of the current request: the consent cookie and the GPC signal, kept in a task-local for the layout.

use std::future::Future;

use axum::http::{HeaderMap, HeaderValue, header};

pub(crate) const COOKIE: &str = "kerato_consent";

/// One year, the keep time the cookie policy states.
pub(crate) const MAX_AGE_SECS: u32 = 365 * 24 * 60 * 60;

/// What the consent cookie says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentCookie {
    /// 32 hex digits, random; the registry's visitor subject.
    pub visitor: String,
    /// The cookie policy version the answers were given under (0 when no
    /// policy was in force).
    pub policy_version: u32,
    pub analytics: bool,
    pub preferences: bool,
    /// Whether the visitor answered the banner. A cookie made only to
    /// remember a GPC signal or a do-not-sell opt-out is not an answer, so
    /// the banner is still shown.
    pub chosen: bool,
}

pub(crate) fn bit(b: bool) -> char {
    if b { '1' } else { '0' }
}

impl ConsentCookie {
    pub(crate) fn new(policy_version: u32) -> Self {
        Self {
            visitor: hex::encode(rand::random::<[u8; 16]>()),
            policy_version,
            analytics: false,
            preferences: false,
            chosen: false,
        }
    }

    /// `<policy version>.<visitor>.<analytics><preferences><chosen>`.
    pub fn value(&self) -> String {
        format!(
            "{}.{}.{}{}{}",
            self.policy_version,
            self.visitor,
            bit(self.analytics),
            bit(self.preferences),
            bit(self.chosen)
        )
    }

    /// Reads a cookie value; anything malformed reads as no cookie, so a
    /// tampered cookie can only lose answers, never invent a visitor ID
    /// the registry would trust.
    pub fn parse(value: &str) -> Option<Self> {
        let mut parts = value.split('.');
        let version = parts.next()?.parse().ok()?;
        let visitor = parts.next()?;
        let flags = parts.next()?.as_bytes();
        let ok = parts.next().is_none()
            && visitor.len() == 32
            && visitor
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && flags.len() == 3
            && flags.iter().all(|b| *b == b'0' || *b == b'1');
        ok.then(|| Self {
            visitor: visitor.to_string(),
            policy_version: version,
            analytics: flags[0] == b'1',
            preferences: flags[1] == b'1',
            chosen: flags[2] == b'1',
        })
    }

    pub(crate) fn set_cookie(&self, tls: bool) -> Option<HeaderValue> {
        let secure = if tls { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{COOKIE}={}; Path=/; Max-Age={MAX_AGE_SECS}; HttpOnly; SameSite=Lax{secure}",
            self.value()
        ))
        .ok()
    }
}

/// What the site knows about the visitor of the current request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Visitor {
    pub cookie: Option<ConsentCookie>,
    /// The request carried `Sec-GPC: 1`.
    pub gpc: bool,
    /// The request's path, for the banner to return to.
    pub path: String,
    pub tls: bool,
}

impl Visitor {
    pub(crate) fn from_headers(headers: &HeaderMap, path: &str, tls: bool) -> Self {
        let cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == COOKIE)
            .and_then(|(_, v)| ConsentCookie::parse(v));
        let gpc = headers
            .get("sec-gpc")
            .is_some_and(|v| v.as_bytes().trim_ascii() == b"1");
        Self {
            cookie,
            gpc,
            path: path.to_string(),
            tls,
        }
    }

    /// Whether the banner was answered.
    pub fn chosen(&self) -> bool {
        self.cookie.as_ref().is_some_and(|c| c.chosen)
    }

    /// Whether analytics may run for this request: the visitor said yes
    /// and the request carries no GPC signal, which wins over the cookie.
    pub fn analytics(&self) -> bool {
        !self.gpc && self.analytics_chosen()
    }

    /// What the cookie says about analytics, whatever the signal says:
    /// the answer the settings page shows.
    pub fn analytics_chosen(&self) -> bool {
        self.cookie.as_ref().is_some_and(|c| c.analytics)
    }

    pub fn preferences(&self) -> bool {
        self.cookie.as_ref().is_some_and(|c| c.preferences)
    }
}

tokio::task_local! {
    /// The current request's visitor, for `Layout::new`. A task-local
    /// rather than a handler argument, so that every page shows the banner
    /// (or the analytics script) without each handler passing the visitor
    /// through.
    static CURRENT: Visitor;
}

/// The visitor of the request being handled; outside a request (unit
/// tests) a visitor without a cookie, who sees the banner and no analytics.
pub(crate) fn current() -> Visitor {
    CURRENT.try_with(Visitor::clone).unwrap_or_default()
}

pub(crate) fn scope<F: Future>(visitor: Visitor, f: F) -> impl Future<Output = F::Output> {
    CURRENT.scope(visitor, f)
}
