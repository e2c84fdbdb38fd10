//! The signed-in person's own pages: the account (password, sessions,
//! authenticator), the inbox, and break-glass access with its log.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kerato_app::AppError;
use kerato_http::csrf::CsrfToken;

use super::{fmt_time, redirect_with_cookie, with_cookie};
use crate::WebState;
use crate::auth::{CurrentUser, SessionCookie, clear_session_cookie, session_cookie};
use crate::error::WebError;
use crate::extract::{Form, FormFields};
use crate::layout::Layout;
use crate::view::{Choice, FieldView};
use kerato_domain::identity::{EmergencyRequest, OneTimeCode};

use super::recovery;
use super::sign_in::{EnrolPage, finish_enrolment};

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
pub(super) struct AccountPage {
    layout: Layout,
    notice: Option<&'static str>,
    current: FieldView,
    new_password: FieldView,
    confirmation: FieldView,
}

pub(super) async fn account_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<AccountPage, WebError> {
    Ok(AccountPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "account").await?,
        notice: None,
        current: FieldView::empty(128),
        new_password: FieldView::empty(128),
        confirmation: FieldView::empty(128),
    })
}

pub(super) async fn password_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    cookie: SessionCookie,
    form: FormFields,
) -> Result<Response, WebError> {
    let layout = Layout::signed_in(&state, &csrf, &caller, "account").await?;
    match state
        .app
        .change_own_password(
            &cookie.0.unwrap_or_default(),
            caller.source_ip.clone(),
            &form.get("current_password"),
            &recovery::new_password(&form),
        )
        .await
    {
        Ok(token) => {
            let page = AccountPage {
                layout,
                notice: Some("Password changed. Every other session has ended."),
                current: FieldView::empty(128),
                new_password: FieldView::empty(128),
                confirmation: FieldView::empty(128),
            };
            Ok(with_cookie(
                page.into_response(),
                &session_cookie(state.options.tls, &token),
            ))
        }
        Err(AppError::Validation(errors)) => {
            let page = AccountPage {
                layout,
                notice: None,
                current: FieldView::new("", &errors, "current_password", 128),
                new_password: FieldView::new("", &errors, "new_password", 128),
                confirmation: FieldView::new("", &errors, "new_password_confirmation", 128),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn sign_out_everywhere(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    _form: FormFields,
) -> Result<Response, WebError> {
    state.app.sign_out_everywhere(&caller).await?;
    Ok(redirect_with_cookie(
        "/login",
        &clear_session_cookie(state.options.tls),
    ))
}

pub(super) async fn reenrol_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    cookie: SessionCookie,
) -> Result<EnrolPage, WebError> {
    let token = cookie.0.unwrap_or_default();
    let e = state.app.start_enrolment(&token).await?;
    Ok(EnrolPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "account").await?,
        action: "/account/mfa",
        qr_svg: e.qr_svg,
        secret: e.secret_base32,
        code: FieldView::empty(6),
    })
}

pub(super) async fn reenrol_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(_caller): CurrentUser,
    cookie: SessionCookie,
    form: Form<OneTimeCode>,
) -> Result<Response, WebError> {
    let token = cookie.0.unwrap_or_default();
    let OneTimeCode(code) = form.input?;
    finish_enrolment(&state, &csrf, &token, &code, "/account/mfa").await
}

#[derive(Template, WebTemplate)]
#[template(path = "inbox.html")]
pub(super) struct InboxPage {
    layout: Layout,
    messages: Vec<(String, String, String)>,
}

pub(super) async fn inbox_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<InboxPage, WebError> {
    let messages = state
        .app
        .inbox(&caller)
        .await?
        .into_iter()
        .map(|(s, b, t)| (s, b, fmt_time(t)))
        .collect();
    Ok(InboxPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "inbox").await?,
        messages,
    })
}

// ------------------------------------------------------------ break-glass

#[derive(Template, WebTemplate)]
#[template(path = "emergency.html")]
pub(super) struct EmergencyPage {
    layout: Layout,
    problem: Option<String>,
    notice: Option<String>,
    locations: Vec<Choice>,
    reason: String,
    reason_error: Option<String>,
}

async fn emergency_view(
    state: &WebState,
    csrf: &CsrfToken,
    caller: &kerato_app::Caller,
) -> Result<EmergencyPage, WebError> {
    let locations = state
        .app
        .emergency_locations(caller)
        .await?
        .into_iter()
        .map(|l| Choice {
            value: l.id.to_string(),
            label: l.name,
            selected: false,
        })
        .collect();
    Ok(EmergencyPage {
        layout: Layout::signed_in(state, csrf, caller, "emergency").await?,
        problem: None,
        notice: None,
        locations,
        reason: String::new(),
        reason_error: None,
    })
}

pub(super) async fn emergency_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<EmergencyPage, WebError> {
    emergency_view(&state, &csrf, &caller).await
}

pub(super) async fn emergency_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: Form<EmergencyRequest>,
) -> Result<Response, WebError> {
    let request = form.input?;
    match state
        .app
        .open_emergency_access(&caller, request.location, &request.reason)
        .await
    {
        Ok(until) => {
            let mut page = emergency_view(&state, &csrf, &caller).await?;
            page.notice = Some(format!(
                "Emergency access is open until {}.",
                fmt_time(until)
            ));
            Ok(page.into_response())
        }
        Err(AppError::Validation(errors)) => {
            let mut page = emergency_view(&state, &csrf, &caller).await?;
            page.reason = request.reason;
            page.reason_error = errors.for_field("reason").map(str::to_string);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "breakglass.html")]
pub(super) struct BreakGlassPage {
    layout: Layout,
    grants: Vec<GrantView>,
}

struct GrantView {
    started: String,
    until: String,
    user: String,
    location: String,
    reason: String,
}

pub(super) async fn breakglass_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<BreakGlassPage, WebError> {
    let grants = state.app.emergency_log(&caller).await?;
    let names = state.app.user_names(&caller).await?;
    let locations = state.app.location_names(&caller).await?;
    Ok(BreakGlassPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "breakglass").await?,
        grants: grants
            .into_iter()
            .map(|g| GrantView {
                started: fmt_time(g.started_at),
                until: fmt_time(g.expires_at),
                user: names
                    .get(&g.user_id)
                    .cloned()
                    .unwrap_or_else(|| g.user_id.to_string()),
                location: locations
                    .get(&g.location_id)
                    .cloned()
                    .unwrap_or_else(|| g.location_id.to_string()),
                reason: g.reason,
            })
            .collect(),
    })
}
