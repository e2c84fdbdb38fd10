//! Signing in, staff accounts and invitations over the JSON API, so a
//! script does all a person does at the pages: each step of sign-in answers
//! with the next one, and the session is the same cookie the pages use.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use kerato_app::AppError;
use kerato_app::identity::{SessionStage, SignIn, UserInput};
use kerato_domain::identity::{
    AcceptBody, Action, ChosenPassword, CodeBody, LocationScope, OneTimeCode, Resource, SignInBody,
    SignInCredentials, User,
};
use kerato_domain::ids::UserId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::WebState;
use crate::auth::{ClientIp, CurrentUser, SessionCookie, clear_session_cookie, session_cookie};
use crate::error::{Problem, WebError};
use crate::extract::{ApiInput, ApiJson};
use crate::routes::{Access, Routes};

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::{Needs, Public};
    r.add("POST", "/api/session", Public, post(api_sign_in))
        .add("GET", "/api/session", Public, get(api_session))
        .add(
            "DELETE",
            "/api/session",
            Public,
            axum::routing::delete(api_sign_out),
        )
        .add("POST", "/api/session/code", Public, post(api_code))
        .add(
            "POST",
            "/api/session/enrolment",
            Public,
            post(api_start_enrolment),
        )
        .add(
            "POST",
            "/api/session/enrolment/confirm",
            Public,
            post(api_confirm_enrolment),
        )
        .add(
            "GET",
            "/api/users",
            Needs(Resource::User, Action::Query),
            get(api_users),
        )
        .add(
            "POST",
            "/api/users",
            Needs(Resource::User, Action::Create),
            post(api_invite),
        )
        .add(
            "GET",
            "/api/users/{id}",
            Needs(Resource::User, Action::View),
            get(api_user),
        )
        .add("POST", "/api/invitations/{token}", Public, post(api_accept))
}

/// Where a sign-in stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// What the session needs next: `code` (a TOTP or recovery code),
    /// `enrolment` (set up an authenticator first), `password` (choose a
    /// new password, with `POST /api/account/password`) or `none` (signed
    /// in).
    pub next: String,
}

fn next_of(stage: SessionStage) -> &'static str {
    match stage {
        SessionStage::Mfa => "code",
        SessionStage::Enrol => "enrolment",
        SessionStage::Password => "password",
        SessionStage::Full => "none",
    }
}

fn with_session(state: &WebState, token: &str, stage: SessionStage) -> Response {
    let mut resp = Json(SessionView {
        next: next_of(stage).into(),
    })
    .into_response();
    let cookie = session_cookie(
        state.options.tls,
        &kerato_app::identity::SessionToken(token.into()),
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn unauthenticated() -> WebError {
    WebError::App(AppError::Unauthenticated("sign in to continue".into()))
}

/// The session's token when it is alive and at `stage`.
async fn at_stage(
    state: &WebState,
    cookie: &SessionCookie,
    stage: SessionStage,
) -> Result<String, WebError> {
    let token = cookie.0.clone().ok_or_else(unauthenticated)?;
    match state.app.sign_in_stage(&token).await? {
        Some(s) if s == stage => Ok(token),
        Some(other) => Err(WebError::App(AppError::Conflict(format!(
            "this session needs {} next, not this step",
            next_of(other)
        )))),
        None => Err(unauthenticated()),
    }
}

#[utoipa::path(post, path = "/api/session", tag = "identity", operation_id = "sign_in", request_body = SignInBody,
    responses((status = 200, description = "The password was right; the cookie holds the session and `next` says what it needs", body = SessionView),
        (status = 401, description = "Wrong e-mail address or password (the same answer for both)", body = Problem),
        (status = 429, description = "Too many attempts; wait and try again", body = Problem)))]
pub(crate) async fn api_sign_in(
    State(state): State<WebState>,
    ip: ClientIp,
    ApiInput(c): ApiInput<SignInCredentials>,
) -> Result<Response, WebError> {
    let (token, stage) = match state.app.sign_in(&c.email, &c.password, ip.0).await? {
        SignIn::Done(t) => (t, SessionStage::Full),
        SignIn::NeedsCode(t) => (t, SessionStage::Mfa),
        SignIn::NeedsEnrolment(t) => (t, SessionStage::Enrol),
        SignIn::NeedsPasswordChange(t) => (t, SessionStage::Password),
    };
    Ok(with_session(&state, &token.0, stage))
}

#[utoipa::path(get, path = "/api/session", tag = "identity", operation_id = "session",
    responses((status = 200, description = "What the session needs next", body = SessionView),
        (status = 401, description = "No live session", body = Problem)))]
pub(crate) async fn api_session(
    State(state): State<WebState>,
    cookie: SessionCookie,
) -> Result<Json<SessionView>, WebError> {
    let token = cookie.0.ok_or_else(unauthenticated)?;
    let stage = state
        .app
        .sign_in_stage(&token)
        .await?
        .ok_or_else(unauthenticated)?;
    Ok(Json(SessionView {
        next: next_of(stage).into(),
    }))
}

#[utoipa::path(delete, path = "/api/session", tag = "identity", operation_id = "sign_out",
    responses((status = 204, description = "Signed out (also when there was no session)"),
        (status = 500, description = "An internal error; it has been logged", body = Problem)))]
pub(crate) async fn api_sign_out(
    State(state): State<WebState>,
    cookie: SessionCookie,
) -> Result<Response, WebError> {
    if let Some(token) = cookie.0 {
        state.app.sign_out(&token).await?;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&clear_session_cookie(state.options.tls)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

async fn stage_after(state: &WebState, token: &str) -> Result<SessionStage, WebError> {
    state
        .app
        .sign_in_stage(token)
        .await?
        .ok_or_else(unauthenticated)
}

#[utoipa::path(post, path = "/api/session/code", tag = "identity", operation_id = "submit_code", request_body = CodeBody,
    responses((status = 200, description = "Accepted; the cookie holds the new session", body = SessionView),
        (status = 401, description = "The code does not match, or no session waits for one", body = Problem),
        (status = 409, description = "The session needs another step", body = Problem)))]
pub(crate) async fn api_code(
    State(state): State<WebState>,
    cookie: SessionCookie,
    ApiInput(OneTimeCode(code)): ApiInput<OneTimeCode>,
) -> Result<Response, WebError> {
    let token = at_stage(&state, &cookie, SessionStage::Mfa).await?;
    let next = state.app.submit_code(&token, &code).await?;
    let stage = stage_after(&state, &next.0).await?;
    Ok(with_session(&state, &next.0, stage))
}

/// The authenticator key to add to an app.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentView {
    /// Base32, as authenticator apps take it typed.
    pub secret: String,
    /// The `otpauth://` URI a QR code carries.
    pub otpauth_uri: String,
}

#[utoipa::path(post, path = "/api/session/enrolment", tag = "identity", operation_id = "start_enrolment",
    responses((status = 200, description = "A new key; confirm it with a code it shows", body = EnrolmentView),
        (status = 401, description = "No session waits for enrolment", body = Problem),
        (status = 409, description = "The session needs another step", body = Problem)))]
pub(crate) async fn api_start_enrolment(
    State(state): State<WebState>,
    cookie: SessionCookie,
) -> Result<Json<EnrolmentView>, WebError> {
    let token = at_stage(&state, &cookie, SessionStage::Enrol).await?;
    let e = state.app.start_enrolment(&token).await?;
    Ok(Json(EnrolmentView {
        secret: e.secret_base32,
        otpauth_uri: e.otpauth_uri,
    }))
}

/// The enrolment confirmed, with the recovery codes to keep.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolledView {
    /// What the session needs next (`password` or `none`).
    pub next: String,
    /// Each works once in place of a code; they are shown only now.
    pub recovery_codes: Vec<String>,
}

#[utoipa::path(post, path = "/api/session/enrolment/confirm", tag = "identity", operation_id = "confirm_enrolment", request_body = CodeBody,
    responses((status = 200, description = "Enrolled; the cookie holds the new session", body = EnrolledView),
        (status = 401, description = "No session waits for enrolment", body = Problem),
        (status = 422, description = "The code does not match the new key", body = Problem)))]
pub(crate) async fn api_confirm_enrolment(
    State(state): State<WebState>,
    cookie: SessionCookie,
    ApiInput(OneTimeCode(code)): ApiInput<OneTimeCode>,
) -> Result<Response, WebError> {
    let token = at_stage(&state, &cookie, SessionStage::Enrol).await?;
    let (next, codes) = state.app.confirm_enrolment(&token, &code).await?;
    let stage = stage_after(&state, &next.0).await?;
    let mut resp = Json(EnrolledView {
        next: next_of(stage).into(),
        recovery_codes: codes,
    })
    .into_response();
    let cookie = session_cookie(state.options.tls, &next);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// A staff account as the API returns it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    /// Null: every location.
    pub location_ids: Option<Vec<String>>,
    pub active: bool,
    pub mfa_enrolled: bool,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.to_string(),
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            role: u.role.as_str().into(),
            location_ids: match &u.locations {
                LocationScope::All => None,
                LocationScope::Only(set) => Some(set.iter().map(ToString::to_string).collect()),
            },
            active: u.active,
            mfa_enrolled: u.mfa_enrolled,
        }
    }
}

/// Someone to invite.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteBody {
    pub email: String,
    pub display_name: String,
    /// `admin`, `physician`, `optometrist`, `technician`, `optician`,
    /// `front_desk`, `billing`, `privacy_officer` or `auditor`.
    pub role: String,
    /// Absent or null: every location.
    #[serde(default)]
    pub location_ids: Option<Vec<String>>,
}

#[utoipa::path(get, path = "/api/users", tag = "identity", operation_id = "list_users",
    responses((status = 200, description = "The practice's staff accounts", body = Vec<UserView>),
        (status = 403, description = "The caller may not see staff accounts", body = Problem)))]
pub(crate) async fn api_users(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
) -> Result<Json<Vec<UserView>>, WebError> {
    let users = state.app.list_users(&caller).await?;
    Ok(Json(users.iter().map(UserView::from).collect()))
}

#[utoipa::path(get, path = "/api/users/{id}", tag = "identity", operation_id = "get_user",
    params(("id" = String, Path, description = "user ID")),
    responses((status = 200, description = "The account", body = UserView),
        (status = 404, description = "No such account in this practice", body = Problem)))]
pub(crate) async fn api_user(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<UserView>, WebError> {
    let id: UserId = id.parse().map_err(|_| WebError::NotFound("user"))?;
    let user = state.app.get_user(&caller, id).await?;
    Ok(Json(UserView::from(&user)))
}

#[utoipa::path(post, path = "/api/users", tag = "identity", operation_id = "invite_user", request_body = InviteBody,
    responses((status = 201, description = "Invited: the account exists, and its invitation link was e-mailed to the address", body = UserView),
        (status = 409, description = "The address already has an account", body = Problem),
        (status = 422, description = "A field is not valid; `fields` names each", body = Problem)))]
pub(crate) async fn api_invite(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    ApiJson(body): ApiJson<InviteBody>,
) -> Result<Response, WebError> {
    let input = UserInput {
        email: body.email,
        display_name: body.display_name,
        role: body.role,
        all_locations: body.location_ids.is_none(),
        locations: body.location_ids.unwrap_or_default(),
    };
    // The link goes by e-mail to the person invited, never back to the
    // administrator's script.
    let (user, _token) = state.app.invite_user(&caller, &input).await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/users/{}", user.id))],
        Json(UserView::from(&user)),
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/invitations/{token}", tag = "identity", operation_id = "accept_invitation", request_body = AcceptBody,
    params(("token" = String, Path, description = "the token of the e-mailed link")),
    responses((status = 204, description = "The password is set; sign in with it"),
        (status = 404, description = "No such invitation, or it expired or was used", body = Problem),
        (status = 422, description = "The password is not acceptable; the message says why", body = Problem)))]
pub(crate) async fn api_accept(
    State(state): State<WebState>,
    Path(token): Path<String>,
    ApiInput(ChosenPassword(password)): ApiInput<ChosenPassword>,
) -> Result<StatusCode, WebError> {
    state.app.accept_invitation(&token, &password).await?;
    Ok(StatusCode::NO_CONTENT)
}
