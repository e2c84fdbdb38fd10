//! Getting back in and choosing a password: "Forgot your password?", the
//! page a reset link opens, the forced change at sign-in, an
//! administrator's reset of a staff member's password, and their JSON API.
//!
//! The forced change and `POST /api/account/password` are public in the
//! route table because a session that must change its password is not
//! signed in yet; their handlers check the session themselves, as the
//! enrolment page does.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_app::AppError;
use kerato_app::identity::{AdminReset, NewPassword, SessionStage};
use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, Resource};
use kerato_domain::password::reset::{self, ResetMode};
use kerato_http::csrf::CsrfToken;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{MessagePage, fmt_time, parse_user_id, redirect_with_cookie, stage_is, user_view};
use crate::WebState;
use crate::auth::{ClientIp, CurrentUser, SessionCookie, session_cookie};
use crate::error::{Problem, WebError};
use crate::extract::{ApiJson, FormFields};
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use crate::view::FieldView;

pub(super) fn routes(r: Routes) -> Routes {
    use Access::{Needs, Public};
    r.add("GET", "/password/forgot", Public, get(forgot_page))
        .add("POST", "/password/forgot", Public, post(forgot_submit))
        .add("GET", "/password/reset/{token}", Public, get(reset_page))
        .add(
            "POST",
            "/password/reset/{token}",
            Public,
            post(reset_submit),
        )
        .add("GET", "/login/password", Public, get(change_page))
        .add("POST", "/login/password", Public, post(change_submit))
        .add(
            "POST",
            "/admin/users/{id}/password-reset",
            Needs(Resource::User, Action::Update),
            post(admin_reset),
        )
        .add("POST", "/api/password/forgot", Public, post(api_forgot))
        .add("POST", "/api/password/reset", Public, post(api_reset))
        .add("POST", "/api/account/password", Public, post(api_change))
        .add(
            "POST",
            "/api/users/{id}/password-reset",
            Needs(Resource::User, Action::Update),
            post(api_admin_reset),
        )
}

/// Password fields never come back into a page: only their errors do.
fn password_field(errors: &ValidationErrors, field: &str) -> FieldView {
    FieldView::new("", errors, field, kerato_domain::password::MAX_CHARS)
}

pub(super) fn new_password(form: &FormFields) -> NewPassword {
    NewPassword {
        password: form.get(NewPassword::FIELDS[0]),
        confirmation: Some(form.get(NewPassword::FIELDS[1])),
    }
}

// ------------------------------------------------------------ forgot

#[derive(Template, WebTemplate)]
#[template(path = "password_forgot.html")]
struct ForgotPage {
    layout: Layout,
    problem: Option<String>,
    email: FieldView,
}

fn forgot_view(csrf: &CsrfToken, email: FieldView, problem: Option<String>) -> ForgotPage {
    ForgotPage {
        layout: Layout::public(csrf, "login"),
        problem,
        email,
    }
}

async fn forgot_page(Extension(csrf): Extension<CsrfToken>) -> ForgotPage {
    forgot_view(&csrf, FieldView::empty(254), None)
}

async fn forgot_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    ip: ClientIp,
    form: FormFields,
) -> Result<Response, WebError> {
    let email = form.get("email");
    match state.app.request_password_reset(&email, ip.0).await {
        Ok(()) => Ok(MessagePage {
            layout: Layout::public(&csrf, "login"),
            title: "Check your e-mail",
            message: reset::REQUESTED.into(),
            detail: None,
            back: "/login",
        }
        .into_response()),
        Err(AppError::Validation(errors)) => {
            let field = FieldView::new(&email, &errors, "email", 254);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                forgot_view(&csrf, field, None),
            )
                .into_response())
        }
        Err(AppError::TooManyRequests(m)) => {
            let field = FieldView::new(&email, &ValidationErrors::new(), "email", 254);
            Ok((
                StatusCode::TOO_MANY_REQUESTS,
                forgot_view(&csrf, field, Some(m)),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------ the link

#[derive(Template, WebTemplate)]
#[template(path = "password_reset.html")]
struct ResetPage {
    layout: Layout,
    action: String,
    problem: Option<String>,
    new_password: FieldView,
    confirmation: FieldView,
}

fn reset_view(csrf: &CsrfToken, token: &str, errors: &ValidationErrors) -> ResetPage {
    ResetPage {
        layout: Layout::public(csrf, "login"),
        action: format!("/password/reset/{token}"),
        problem: None,
        new_password: password_field(errors, NewPassword::FIELDS[0]),
        confirmation: password_field(errors, NewPassword::FIELDS[1]),
    }
}

/// The page for a link that no longer works, with the way to a new one.
fn link_gone(csrf: &CsrfToken, message: String) -> Response {
    let page = MessagePage {
        layout: Layout::public(csrf, "login"),
        title: "This link no longer works",
        message,
        detail: None,
        back: "/password/forgot",
    };
    (StatusCode::GONE, page).into_response()
}

/// Shows the form; looking does not spend the link.
async fn reset_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    match state.app.check_reset_link(&token).await {
        Ok(()) => Ok(reset_view(&csrf, &token, &ValidationErrors::new()).into_response()),
        Err(AppError::Gone(m)) => Ok(link_gone(&csrf, m)),
        Err(e) => Err(e.into()),
    }
}

async fn reset_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    ip: ClientIp,
    Path(token): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    match state
        .app
        .reset_password(&token, &new_password(&form), ip.0)
        .await
    {
        Ok(()) => Ok(MessagePage {
            layout: Layout::public(&csrf, "login"),
            title: "Password changed",
            message: "Your new password is saved and every session of your account has ended. Sign in with it; you will be asked for your second factor as usual.".into(),
            detail: None,
            back: "/login",
        }
        .into_response()),
        Err(AppError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            reset_view(&csrf, &token, &errors),
        )
            .into_response()),
        Err(AppError::TooManyRequests(m)) => {
            let mut page = reset_view(&csrf, &token, &ValidationErrors::new());
            page.problem = Some(m);
            Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response())
        }
        Err(AppError::Gone(m)) => Ok(link_gone(&csrf, m)),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------ forced change

#[derive(Template, WebTemplate)]
#[template(path = "password_change.html")]
struct ChangePage {
    layout: Layout,
    current: FieldView,
    new_password: FieldView,
    confirmation: FieldView,
}

fn change_view(csrf: &CsrfToken, errors: &ValidationErrors) -> ChangePage {
    ChangePage {
        layout: Layout::public(csrf, "login"),
        current: password_field(errors, "current_password"),
        new_password: password_field(errors, NewPassword::FIELDS[0]),
        confirmation: password_field(errors, NewPassword::FIELDS[1]),
    }
}

/// The one page a session that must change its password may use; any
/// other session is sent on ("/" signs in or goes home).
async fn change_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    cookie: SessionCookie,
) -> Result<Response, WebError> {
    if stage_is(&state, &cookie, SessionStage::Password)
        .await?
        .is_none()
    {
        return Ok(Redirect::to("/").into_response());
    }
    Ok(change_view(&csrf, &ValidationErrors::new()).into_response())
}

async fn change_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    ip: ClientIp,
    cookie: SessionCookie,
    form: FormFields,
) -> Result<Response, WebError> {
    let Some(token) = stage_is(&state, &cookie, SessionStage::Password).await? else {
        return Ok(Redirect::to("/").into_response());
    };
    match state
        .app
        .change_own_password(
            &token,
            ip.0,
            &form.get("current_password"),
            &new_password(&form),
        )
        .await
    {
        Ok(t) => Ok(redirect_with_cookie(
            "/",
            &session_cookie(state.options.tls, &t),
        )),
        Err(AppError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            change_view(&csrf, &errors),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------ administrators

fn parse_mode(raw: &str) -> Result<ResetMode, WebError> {
    raw.parse::<ResetMode>().map_err(|_| {
        WebError::Validation(ValidationErrors::single(
            "mode",
            "choose how to reset the password: link (e-mail a reset link) or temporary_password",
        ))
    })
}

async fn admin_reset(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let id = parse_user_id(&id)?;
    let mode = parse_mode(&form.get("mode"))?;
    let layout = Layout::signed_in(&state, &csrf, &caller, "users").await?;
    match state.app.reset_user_password(&caller, id, mode).await {
        Ok(AdminReset::LinkSent { email, expires_at }) => Ok(MessagePage {
            layout,
            title: "Reset link sent",
            message: format!(
                "A link to choose a new password is on its way to {email}; it works once, until {}. Every session of the account has ended.",
                fmt_time(expires_at)
            ),
            detail: None,
            back: "/admin/users",
        }
        .into_response()),
        Ok(AdminReset::TemporaryPassword(password)) => Ok(MessagePage {
            layout,
            title: "Temporary password",
            message: "Give this password to the staff member in person or by phone, not by e-mail: it is shown only now. They must choose their own at their next sign-in. Every session of the account has ended.".into(),
            detail: Some(password),
            back: "/admin/users",
        }
        .into_response()),
        Err(AppError::Conflict(m)) => {
            let mut page = user_view(&state, &csrf, &caller, id).await?;
            page.problem = Some(m);
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------ JSON API

/// A sentence for the person the program acts for.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    pub message: String,
}

fn message(status: StatusCode, text: &str) -> Response {
    (
        status,
        Json(MessageView {
            message: text.into(),
        }),
    )
        .into_response()
}

/// An address to send a reset link to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotBody {
    /// The e-mail address the account signs in with.
    pub email: String,
}

/// A new password, with the token from a reset link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetBody {
    /// The 64 hex digits at the end of the link.
    pub token: String,
    /// 12 to 128 characters, not a common password, not the user's name.
    pub new_password: String,
}

impl std::fmt::Debug for ResetBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResetBody([redacted])")
    }
}

/// The caller's current password and the new one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeBody {
    pub current_password: String,
    /// 12 to 128 characters, not a common password, not the user's name,
    /// and not the current one.
    pub new_password: String,
}

impl std::fmt::Debug for ChangeBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangeBody([redacted])")
    }
}

/// How an administrator resets a staff member's password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminResetBody {
    /// `link` (e-mail a single-use link valid 30 minutes) or
    /// `temporary_password` (returned once; to be changed at the next
    /// sign-in).
    pub mode: String,
}

/// What an administrator's reset did.
#[derive(Serialize, ToSchema)]
pub struct AdminResetView {
    /// `link` or `temporary_password`.
    pub mode: String,
    /// Where the link went (mode `link`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// When the link stops working, RFC 3339 (mode `link`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The password to hand over, returned only this once (mode
    /// `temporary_password`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporary_password: Option<String>,
}

impl std::fmt::Debug for AdminResetView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminResetView")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

#[utoipa::path(post, path = "/api/password/forgot", tag = "identity", operation_id = "forgot_password", request_body = ForgotBody,
    responses((status = 202, description = "Accepted. The same answer whether or not an account uses the address: if one does (and is active), a single-use link valid 30 minutes is e-mailed to it", body = MessageView),
        (status = 400, description = "The body is not valid JSON", body = Problem), (status = 413, description = "The body is larger than 64 KiB", body = Problem),
        (status = 415, description = "The body is not sent as application/json", body = Problem), (status = 422, description = "The address is not an e-mail address", body = Problem),
        (status = 429, description = "More than 3 requests for this address, or 10 from this client, in the last hour (whether or not the address has an account)", body = Problem),
        (status = 500, description = "An internal error; it has been logged", body = Problem)))]
pub(crate) async fn api_forgot(
    State(state): State<WebState>,
    ip: ClientIp,
    ApiJson(body): ApiJson<ForgotBody>,
) -> Result<Response, WebError> {
    state.app.request_password_reset(&body.email, ip.0).await?;
    Ok(message(StatusCode::ACCEPTED, reset::REQUESTED))
}

#[utoipa::path(post, path = "/api/password/reset", tag = "identity", operation_id = "reset_password", request_body = ResetBody,
    responses((status = 200, description = "The password is changed, the link spent, and every session of the account ended; sign in again (the second factor is still asked)", body = MessageView),
        (status = 400, description = "The body is not valid JSON", body = Problem), (status = 410, description = "The link is unknown, already used or expired; ask for a new one", body = Problem),
        (status = 413, description = "The body is larger than 64 KiB", body = Problem), (status = 415, description = "The body is not sent as application/json", body = Problem),
        (status = 422, description = "The new password is not acceptable; nothing changed and the link still works", body = Problem),
        (status = 429, description = "Too many attempts from this client; wait 5 minutes", body = Problem),
        (status = 500, description = "An internal error; it has been logged", body = Problem)))]
pub(crate) async fn api_reset(
    State(state): State<WebState>,
    ip: ClientIp,
    ApiJson(body): ApiJson<ResetBody>,
) -> Result<Response, WebError> {
    let new = NewPassword {
        password: body.new_password,
        confirmation: None,
    };
    state.app.reset_password(&body.token, &new, ip.0).await?;
    Ok(message(
        StatusCode::OK,
        "the password is changed and every session of the account has ended; sign in with it",
    ))
}

#[utoipa::path(post, path = "/api/account/password", tag = "identity", operation_id = "change_own_password", request_body = ChangeBody,
    responses((status = 200, description = "Changed. Every session of the account ended; the response sets the cookie of a new, signed-in session. Also how a session that must choose a new password (after `kerato init`, or an administrator's temporary password) becomes signed in", body = MessageView),
        (status = 400, description = "The body is not valid JSON", body = Problem), (status = 401, description = "No session, or one that has not passed the second factor", body = Problem),
        (status = 413, description = "The body is larger than 64 KiB", body = Problem), (status = 415, description = "The body is not sent as application/json", body = Problem),
        (status = 422, description = "The current password is wrong, or the new one is not acceptable; nothing changed", body = Problem),
        (status = 500, description = "An internal error; it has been logged", body = Problem)))]
pub(crate) async fn api_change(
    State(state): State<WebState>,
    ip: ClientIp,
    cookie: SessionCookie,
    ApiJson(body): ApiJson<ChangeBody>,
) -> Result<Response, WebError> {
    let token = cookie.0.ok_or(WebError::App(AppError::Unauthenticated(
        "sign in to continue".into(),
    )))?;
    let new = NewPassword {
        password: body.new_password,
        confirmation: None,
    };
    let fresh = state
        .app
        .change_own_password(&token, ip.0, &body.current_password, &new)
        .await?;
    let mut resp = message(
        StatusCode::OK,
        "the password is changed; every other session has ended",
    );
    if let Ok(v) = HeaderValue::from_str(&session_cookie(state.options.tls, &fresh)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[utoipa::path(post, path = "/api/users/{id}/password-reset", tag = "identity", operation_id = "reset_user_password", request_body = AdminResetBody,
    params(("id" = String, Path, description = "the staff member's user ID")),
    responses((status = 200, description = "Done: every session of the user ended; a link was e-mailed, or the temporary password is in the answer, this once", body = AdminResetView),
        (status = 400, description = "The body is not valid JSON", body = Problem), (status = 403, description = "Only administrators of the user's practice may do this", body = Problem),
        (status = 404, description = "No such user", body = Problem), (status = 409, description = "The user is the caller (use /api/account/password) or is deactivated", body = Problem),
        (status = 413, description = "The body is larger than 64 KiB", body = Problem), (status = 415, description = "The body is not sent as application/json", body = Problem),
        (status = 422, description = "`mode` is not `link` or `temporary_password`", body = Problem),
        (status = 500, description = "An internal error; it has been logged", body = Problem)))]
pub(crate) async fn api_admin_reset(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AdminResetBody>,
) -> Result<Json<AdminResetView>, WebError> {
    let id = parse_user_id(&id)?;
    let mode = parse_mode(&body.mode)?;
    let view = match state.app.reset_user_password(&caller, id, mode).await? {
        AdminReset::LinkSent { email, expires_at } => AdminResetView {
            mode: mode.as_str().into(),
            email: Some(email),
            expires_at: Some(expires_at.to_string()),
            temporary_password: None,
        },
        AdminReset::TemporaryPassword(password) => AdminResetView {
            mode: mode.as_str().into(),
            email: None,
            expires_at: None,
            temporary_password: Some(password),
        },
    };
    Ok(Json(view))
}
