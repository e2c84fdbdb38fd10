//! Cookie choices and Global Privacy Control: the consent cookie, the
//! banner's form, the cookie settings page and the public "do not sell or
//! share" opt-out.
//!
//! The consent cookie (`kerato_consent`) holds a random visitor ID, the
//! visitor's answers and the cookie policy version they were given under.
//! It is a necessary cookie: without it the site could not remember a "no"
//! (to analytics, or to sale and sharing) and would have to ask, or
//! assume, again on every page. Every answer is also recorded in the
//! consent registry under `Subject::visitor(id)`, so the registry, not the
//! cookie, is the record of what the visitor agreed to and when; the cookie
//! settings and do-not-sell pages show a recorded opt-out of sale and
//! sharing from it (the visitor's, and the signed-in person's by address),
//! not from whether this request happens to carry the GPC signal.

use std::future::Future;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_core::ValidationErrors;
use kerato_core::consent::{self, Purpose, Source};
use kerato_core::policy::{self, PolicyKind};
use kerato_core::time::Timestamp;
use kerato_db::{StoreError, Tx};
use kerato_http::Tls;
use kerato_http::csrf::CsrfToken;

use crate::Site;
use crate::audit::{self, Event};
use crate::auth::SignedIn;
use crate::consents::{self, Subject};
use crate::policies;
use crate::web::{self, Form, Layout, Section, SiteError};

const COOKIE: &str = "kerato_consent";
/// One year, the keep time the cookie policy states.
const MAX_AGE_SECS: u32 = 365 * 24 * 60 * 60;
/// The longest return path the banner's form may send back to.
const MAX_RETURN: usize = 200;

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

fn bit(b: bool) -> char {
    if b { '1' } else { '0' }
}

impl ConsentCookie {
    fn new(policy_version: u32) -> Self {
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

    fn set_cookie(&self, tls: bool) -> Option<HeaderValue> {
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
    fn from_headers(headers: &HeaderMap, path: &str, tls: bool) -> Self {
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

fn scope<F: Future>(visitor: Visitor, f: F) -> impl Future<Output = F::Output> {
    CURRENT.scope(visitor, f)
}

/// Reads the consent cookie and the GPC signal of every request, records a
/// GPC opt-out the first time a visitor sends one, and makes the visitor
/// known to the handler and the layout.
pub(crate) async fn layer(
    State((site, Tls(tls))): State<(Site, Tls)>,
    mut req: Request,
    next: Next,
) -> Response {
    let mut visitor = Visitor::from_headers(req.headers(), req.uri().path(), tls);
    let mut created = None;
    if visitor.gpc && crate::usage_log::is_page_request(&visitor.path) {
        match record_gpc(&site, visitor.cookie.as_ref()).await {
            Ok(new) => {
                if let Some(new) = new {
                    visitor.cookie = Some(new.clone());
                    created = Some(new);
                }
            }
            // The page still answers; the next request with the signal
            // tries again, and analytics stay off for it meanwhile.
            Err(e) => tracing::error!(error = %e, "the GPC opt-out could not be recorded"),
        }
    }
    req.extensions_mut().insert(visitor.clone());
    let mut resp = scope(visitor, next.run(req)).await;
    // A handler that answered the banner on this same request set its own
    // cookie with the same visitor ID; that one is the newer answer.
    let handler_set = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(COOKIE.as_bytes()));
    if let Some(value) = created
        .filter(|_| !handler_set)
        .and_then(|c| c.set_cookie(tls))
    {
        resp.headers_mut().append(header::SET_COOKIE, value);
    }
    resp
}

/// The visitor's ID, from their cookie or from a new one (returned, for the
/// response to set) when they have none yet.
fn visitor_or_new(
    cookie: Option<&ConsentCookie>,
    policy_version: u32,
) -> (String, Option<ConsentCookie>) {
    match cookie {
        Some(c) => (c.visitor.clone(), None),
        None => {
            let c = ConsentCookie::new(policy_version);
            (c.visitor.clone(), Some(c))
        }
    }
}

/// The cookie policy version in force, as the registry records it.
async fn cookie_policy_version(tx: &mut Tx, now: Timestamp) -> Result<u32, StoreError> {
    let versions: Vec<_> = policies::all(tx)
        .await?
        .into_iter()
        .map(|d| d.version)
        .collect();
    Ok(policy::in_force(&versions, PolicyKind::CookiePolicy, now).map_or(0, |v| v.version))
}

/// Records a GPC signal as an opt-out of sale and sharing, unless the
/// visitor's current answer already is that. A visitor without a cookie
/// gets one (analytics off, banner not answered), with analytics recorded
/// as off too: the signal is their only answer so far. Returns the new
/// cookie, if one was made.
async fn record_gpc(
    site: &Site,
    cookie: Option<&ConsentCookie>,
) -> Result<Option<ConsentCookie>, SiteError> {
    let now = site.now();
    if let Some(c) = cookie {
        let mut tx = site.store.read().await?;
        let history = consents::history(&mut tx, Subject::visitor(&c.visitor)).await?;
        let current = consent::current(&history, Purpose::SaleShare);
        if current.is_some_and(|e| !e.granted && e.source == Source::Gpc) {
            return Ok(None);
        }
    }
    let mut tx = site.store.write().await?;
    let version = cookie_policy_version(&mut tx, now).await?;
    let (visitor, new) = visitor_or_new(cookie, version);
    let who = Subject::visitor(&visitor);
    let v = version.to_string();
    consents::record(
        &mut tx,
        who,
        Purpose::SaleShare,
        false,
        Source::Gpc,
        Some(&v),
        now,
    )
    .await?;
    if new.is_some() {
        consents::record(
            &mut tx,
            who,
            Purpose::AnalyticsCookies,
            false,
            Source::Gpc,
            Some(&v),
            now,
        )
        .await?;
    }
    let subject = format!("visitor:{visitor}");
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some("visitor"),
            action: "consent.gpc_opt_out",
            subject: Some(&subject),
            detail: Some("sale_share=no"),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(new)
}

/// A same-site path to go back to after the banner, or `/`. Only a path
/// starting with a single `/` is taken: `//host` and `/\host` are read by
/// browsers as another site, and a scheme (`https:`) is another site too.
pub(crate) fn safe_return(path: &str) -> &str {
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && path.len() <= MAX_RETURN
        && !path
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace());
    if ok { path } else { "/" }
}

/// The answers of the banner's form: accept all, reject all, or the
/// settings page's checkboxes.
fn answers(form: &Form) -> Result<(bool, bool), SiteError> {
    match form.get("choice").as_str() {
        "accept_all" => Ok((true, true)),
        "reject_all" => Ok((false, false)),
        "custom" => Ok((
            form.get("analytics") == "yes",
            form.get("preferences") == "yes",
        )),
        _ => Err(SiteError::BadRequest(
            "choose Accept all, Reject all, or Save my choices on the cookie settings page".into(),
        )),
    }
}

async fn choose(
    State(site): State<Site>,
    Extension(visitor): Extension<Visitor>,
    form: Form,
) -> Result<Response, SiteError> {
    let (analytics, preferences) = answers(&form)?;
    let now = site.now();
    let mut tx = site.store.write().await?;
    let version = cookie_policy_version(&mut tx, now).await?;
    let mut cookie = visitor
        .cookie
        .clone()
        .unwrap_or_else(|| ConsentCookie::new(version));
    cookie.policy_version = version;
    cookie.analytics = analytics;
    cookie.preferences = preferences;
    cookie.chosen = true;
    let who = Subject::visitor(&cookie.visitor);
    let v = version.to_string();
    for (purpose, granted) in [
        (Purpose::AnalyticsCookies, analytics),
        (Purpose::PreferenceCookies, preferences),
    ] {
        consents::record(&mut tx, who, purpose, granted, Source::Form, Some(&v), now).await?;
    }
    let subject = format!("visitor:{}", cookie.visitor);
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let detail = format!(
        "analytics={} preferences={}",
        yes_no(analytics),
        yes_no(preferences)
    );
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some("visitor"),
            action: "consent.cookies",
            subject: Some(&subject),
            detail: Some(&detail),
        },
    )
    .await?;
    tx.commit().await?;
    let mut resp = Redirect::to(safe_return(&form.get("return"))).into_response();
    if let Some(value) = cookie.set_cookie(visitor.tls) {
        resp.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(resp)
}

/// An opt-out of sale and sharing the registry holds, as the pages say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordedOptOut {
    /// "this browser", or the signed-in person's address.
    pub who: String,
    pub since: String,
    pub how: &'static str,
}

/// How an answer reached the registry, as the visitor reads it.
fn how(source: Source) -> &'static str {
    match source {
        Source::Gpc => "from the Global Privacy Control signal your browser sent",
        Source::Form => "from a form on this site",
        Source::Link => "from a link in an e-mail",
        Source::Portal => "from the customer portal",
        Source::Staff => "recorded by our staff",
    }
}

/// The opt-outs of sale and sharing in force for this visitor: the one
/// recorded under their cookie's visitor ID, and the one recorded under
/// the signed-in person's address.
async fn recorded_opt_outs(
    site: &Site,
    visitor: &Visitor,
    who: Option<&SignedIn>,
) -> Result<Vec<RecordedOptOut>, SiteError> {
    let mut subjects = Vec::new();
    if let Some(c) = &visitor.cookie {
        subjects.push(("this browser".to_string(), Subject::visitor(&c.visitor)));
    }
    if let Some(s) = who {
        subjects.push((s.user.email.clone(), Subject::contact(&s.user.email)));
    }
    let mut out = Vec::new();
    let mut tx = site.store.read().await?;
    for (name, subject) in subjects {
        let history = consents::history(&mut tx, subject).await?;
        if let Some(e) = consent::current(&history, Purpose::SaleShare).filter(|e| !e.granted) {
            out.push(RecordedOptOut {
                who: name,
                since: e.at.to_jiff().strftime("%B %-d, %Y").to_string(),
                how: how(e.source),
            });
        }
    }
    Ok(out)
}

#[derive(Template, WebTemplate)]
#[template(path = "cookie_settings.html")]
struct SettingsPage {
    layout: Layout,
    opt_outs: Vec<RecordedOptOut>,
}

async fn settings(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Extension(visitor): Extension<Visitor>,
    who: Option<SignedIn>,
) -> Result<SettingsPage, SiteError> {
    Ok(SettingsPage {
        opt_outs: recorded_opt_outs(&site, &visitor, who.as_ref()).await?,
        layout: Layout::new(&site, &csrf, "Cookie settings", Section::Privacy),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "do_not_sell.html")]
struct DoNotSellPage {
    layout: Layout,
    email: String,
    errors: ValidationErrors,
    done: bool,
    opt_outs: Vec<RecordedOptOut>,
}

async fn do_not_sell(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Extension(visitor): Extension<Visitor>,
    who: Option<SignedIn>,
) -> Result<DoNotSellPage, SiteError> {
    Ok(DoNotSellPage {
        layout: Layout::new(&site, &csrf, "Do not sell or share", Section::Privacy),
        email: String::new(),
        errors: ValidationErrors::new(),
        done: false,
        opt_outs: recorded_opt_outs(&site, &visitor, who.as_ref()).await?,
    })
}

/// Records a visitor's opt-out of sale and sharing, and the contact's when
/// an e-mail address is given. An opt-out needs no proof of identity (11
/// CCR 7026(d) forbids asking for it), so it takes effect at once.
async fn opt_out(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Extension(visitor): Extension<Visitor>,
    form: Form,
) -> Result<Response, SiteError> {
    let typed = form.get("email");
    let mut errors = ValidationErrors::new();
    let email = (!typed.trim().is_empty()).then(|| web::email(&mut errors, "email", &typed));
    let page = |errors, done| DoNotSellPage {
        layout: Layout::new(&site, &csrf, "Do not sell or share", Section::Privacy),
        email: typed.clone(),
        errors,
        done,
        // The form's own answer says what was recorded.
        opt_outs: Vec::new(),
    };
    if !errors.is_empty() {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page(errors, false)).into_response());
    }
    let now = site.now();
    let mut tx = site.store.write().await?;
    let version = cookie_policy_version(&mut tx, now).await?;
    let (visitor_id, new) = visitor_or_new(visitor.cookie.as_ref(), version);
    let mut subjects = vec![Subject::visitor(&visitor_id)];
    subjects.extend(email.as_deref().map(Subject::contact));
    for who in &subjects {
        consents::record(
            &mut tx,
            *who,
            Purpose::SaleShare,
            false,
            Source::Form,
            None,
            now,
        )
        .await?;
    }
    let subject = format!("visitor:{visitor_id}");
    let detail = if email.is_some() {
        "sale_share=no, also for an e-mail address"
    } else {
        "sale_share=no"
    };
    audit::record(
        &mut tx,
        now,
        Event {
            actor: Some("visitor"),
            action: "consent.do_not_sell",
            subject: Some(&subject),
            detail: Some(detail),
        },
    )
    .await?;
    tx.commit().await?;
    let mut resp = page(ValidationErrors::new(), true).into_response();
    if let Some(value) = new.and_then(|c| c.set_cookie(visitor.tls)) {
        resp.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(resp)
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route("/cookie-consent", post(choose))
        .route("/cookie-settings", get(settings))
        .route(
            "/privacy-center/do-not-sell",
            get(do_not_sell).post(opt_out),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn return_paths_stay_on_this_site() {
        for good in ["/", "/pricing", "/products/eye-care?x=1"] {
            assert_eq!(safe_return(good), good);
        }
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "evil",
            "",
            "/a b",
            "/\nx",
        ] {
            assert_eq!(safe_return(bad), "/", "{bad:?}");
        }
    }

    #[test]
    fn a_tampered_cookie_reads_as_none() {
        let good = ConsentCookie::new(1).value();
        assert!(ConsentCookie::parse(&good).is_some());
        for bad in [
            good.replace(".000", ".200"),
            good.replace(".000", ".00"),
            format!("{good}.1"),
            good.to_uppercase(),
            "1.short.000".to_string(),
            String::new(),
        ] {
            assert_eq!(ConsentCookie::parse(&bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn a_cookie_reads_back_as_written(v in 0u32..1000, a: bool, p: bool, c: bool) {
            let cookie = ConsentCookie { analytics: a, preferences: p, chosen: c, ..ConsentCookie::new(v) };
            prop_assert_eq!(ConsentCookie::parse(&cookie.value()), Some(cookie));
        }

    }
}
