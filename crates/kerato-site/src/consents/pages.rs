//! The cookie settings and do-not-sell pages, and the middleware that reads every request's consent cookie.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_core::ValidationErrors;
use kerato_http::Tls;
use kerato_http::csrf::CsrfToken;
use kerato_http::extract::FormFields;

use crate::Site;
use crate::accounts::pages::SignedIn;
use crate::consents::choices::*;
use crate::consents::rules::*;
use crate::consents::store::*;
use crate::web::visitor::*;
use crate::web::{Layout, Section, SiteError};

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
    if visitor.gpc && crate::usage_log::rules::is_page_request(&visitor.path) {
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

pub(crate) async fn choose(
    State(site): State<Site>,
    Extension(visitor): Extension<Visitor>,
    form: FormFields,
) -> Result<Response, SiteError> {
    let (analytics, preferences) = answers(&form)?;
    let cookie =
        record_cookie_choice(&site, visitor.cookie.clone(), analytics, preferences).await?;
    let mut resp = Redirect::to(safe_return(&form.get("return"))).into_response();
    if let Some(value) = cookie.set_cookie(visitor.tls) {
        resp.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(resp)
}

#[derive(Template, WebTemplate)]
#[template(path = "cookie_settings.html")]
pub(crate) struct SettingsPage {
    pub(crate) layout: Layout,
    pub(crate) opt_outs: Vec<RecordedOptOut>,
}

pub(crate) async fn settings(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Extension(visitor): Extension<Visitor>,
    who: Option<SignedIn>,
) -> Result<SettingsPage, SiteError> {
    Ok(SettingsPage {
        opt_outs: recorded_opt_outs(&site, &visitor, who.as_ref().map(|s| s.user.email.as_str()))
            .await?,
        layout: Layout::new(&site, &csrf, "Cookie settings", Section::Privacy),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "do_not_sell.html")]
pub(crate) struct DoNotSellPage {
    pub(crate) layout: Layout,
    pub(crate) email: String,
    pub(crate) errors: ValidationErrors,
    pub(crate) done: bool,
    pub(crate) opt_outs: Vec<RecordedOptOut>,
}

pub(crate) async fn do_not_sell(
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
        opt_outs: recorded_opt_outs(&site, &visitor, who.as_ref().map(|s| s.user.email.as_str()))
            .await?,
    })
}

/// Records a visitor's opt-out of sale and sharing, and the contact's when
/// an e-mail address is given. An opt-out needs no proof of identity (11
/// CCR 7026(d) forbids asking for it), so it takes effect at once.
pub(crate) async fn opt_out(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Extension(visitor): Extension<Visitor>,
    form: FormFields,
) -> Result<Response, SiteError> {
    let typed = form.get("email");
    let mut errors = ValidationErrors::new();
    let email =
        (!typed.trim().is_empty()).then(|| crate::fields::email(&mut errors, "email", &typed));
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
    let new = record_opt_out(&site, visitor.cookie.as_ref(), email.as_deref()).await?;
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
