//! Signing in and out, the account page, break-glass access, and the
//! administrators' pages for staff, roles, sessions and security settings.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_app::AppError;
use kerato_app::identity::{SessionStage, SignIn, UserInput};
use kerato_domain::ValidationErrors;
use kerato_domain::identity::{Action, LocationScope, Resource, Role, role_actions};
use kerato_domain::ids::{LocationId, UserId};
use kerato_domain::tenancy::MAX_NAME_CHARS;
use serde::Deserialize;

use crate::WebState;
use crate::auth::{CurrentUser, SessionCookie, clear_session_cookie, session_cookie};
use crate::error::WebError;
use crate::extract::FormFields;
use crate::layout::Layout;
use crate::routes::{Access, Routes};
use crate::view::{Choice, FieldView};
use kerato_http::csrf::CsrfToken;

pub(crate) mod recovery;

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::{Needs, Public, SignedIn};
    recovery::routes(r)
        .add("GET", "/login", Public, get(login_page))
        .add("POST", "/login", Public, post(login_submit))
        .add("GET", "/login/code", Public, get(code_page))
        .add("POST", "/login/code", Public, post(code_submit))
        .add("GET", "/login/enrol", Public, get(enrol_page))
        .add("POST", "/login/enrol", Public, post(enrol_submit))
        .add("POST", "/logout", Public, post(logout))
        .add("GET", "/invite/{token}", Public, get(invite_page))
        .add("POST", "/invite/{token}", Public, post(invite_submit))
        .add("GET", "/account", SignedIn, get(account_page))
        .add("POST", "/account/password", SignedIn, post(password_submit))
        .add(
            "POST",
            "/account/sign-out-everywhere",
            SignedIn,
            post(sign_out_everywhere),
        )
        .add("GET", "/account/mfa", SignedIn, get(reenrol_page))
        .add("POST", "/account/mfa", SignedIn, post(reenrol_submit))
        .add("GET", "/inbox", SignedIn, get(inbox_page))
        .add(
            "GET",
            "/emergency",
            Needs(Resource::EmergencyAccess, Action::View),
            get(emergency_page),
        )
        .add(
            "POST",
            "/emergency",
            Needs(Resource::EmergencyAccess, Action::Create),
            post(emergency_submit),
        )
        .add(
            "GET",
            "/admin/users",
            Needs(Resource::User, Action::Query),
            get(users_page),
        )
        .add(
            "POST",
            "/admin/users",
            Needs(Resource::User, Action::Create),
            post(invite_user),
        )
        .add(
            "GET",
            "/admin/users/{id}",
            Needs(Resource::User, Action::View),
            get(user_page),
        )
        .add(
            "POST",
            "/admin/users/{id}",
            Needs(Resource::User, Action::Update),
            post(user_update),
        )
        .add(
            "POST",
            "/admin/users/{id}/reset-mfa",
            Needs(Resource::User, Action::Update),
            post(user_reset_mfa),
        )
        .add(
            "GET",
            "/admin/roles",
            Needs(Resource::User, Action::Query),
            get(roles_page),
        )
        .add(
            "GET",
            "/admin/sessions",
            Needs(Resource::Session, Action::Query),
            get(sessions_page),
        )
        .add(
            "POST",
            "/admin/sessions/revoke",
            Needs(Resource::Session, Action::Delete),
            post(session_revoke),
        )
        .add(
            "GET",
            "/admin/security",
            Needs(Resource::Organisation, Action::View),
            get(security_page),
        )
        .add(
            "POST",
            "/admin/security",
            Needs(Resource::Organisation, Action::Update),
            post(security_submit),
        )
        .add(
            "GET",
            "/admin/emergency",
            Needs(Resource::EmergencyAccess, Action::Query),
            get(breakglass_page),
        )
}

/// A redirect that also sets (or clears) the session cookie.
fn redirect_with_cookie(to: &str, cookie: &str) -> Response {
    let mut resp = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn with_cookie(mut resp: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn fmt_time(t: kerato_domain::time::Timestamp) -> String {
    t.to_jiff().strftime("%Y-%m-%d %H:%M UTC").to_string()
}

// ------------------------------------------------------------ sign-in

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    problem: Option<String>,
    email: FieldView,
    password: FieldView,
}

async fn login_page(Extension(csrf): Extension<CsrfToken>) -> LoginPage {
    LoginPage {
        layout: Layout::public(&csrf, "login"),
        problem: None,
        email: FieldView::empty(254),
        password: FieldView::empty(128),
    }
}

async fn login_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    ip: crate::auth::ClientIp,
    form: FormFields,
) -> Response {
    let email = form.get("email");
    let tls = state.options.tls;
    match state.app.sign_in(&email, &form.get("password"), ip.0).await {
        Ok(SignIn::Done(t)) => redirect_with_cookie("/", &session_cookie(tls, &t)),
        Ok(SignIn::NeedsCode(t)) => redirect_with_cookie("/login/code", &session_cookie(tls, &t)),
        Ok(SignIn::NeedsEnrolment(t)) => {
            redirect_with_cookie("/login/enrol", &session_cookie(tls, &t))
        }
        Ok(SignIn::NeedsPasswordChange(t)) => {
            redirect_with_cookie("/login/password", &session_cookie(tls, &t))
        }
        Err(err) => {
            let (status, message) = match err {
                AppError::Unauthenticated(m) => (StatusCode::UNAUTHORIZED, m),
                AppError::TooManyRequests(m) => (StatusCode::TOO_MANY_REQUESTS, m),
                other => return WebError::App(other).into_response(),
            };
            let page = LoginPage {
                layout: Layout::public(&csrf, "login"),
                problem: Some(message),
                email: FieldView {
                    value: email,
                    error: None,
                    max: 254,
                },
                password: FieldView::empty(128),
            };
            (status, page).into_response()
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "login_code.html")]
struct CodePage {
    layout: Layout,
    problem: Option<String>,
    code: FieldView,
}

/// The session token, if the session is alive and at `stage` of sign-in.
async fn stage_is(
    state: &WebState,
    cookie: &SessionCookie,
    stage: SessionStage,
) -> Result<Option<String>, WebError> {
    let Some(token) = cookie.0.clone() else {
        return Ok(None);
    };
    Ok((state.app.sign_in_stage(&token).await? == Some(stage)).then_some(token))
}

async fn code_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    cookie: SessionCookie,
) -> Result<Response, WebError> {
    if stage_is(&state, &cookie, SessionStage::Mfa)
        .await?
        .is_none()
    {
        return Ok(Redirect::to("/login").into_response());
    }
    Ok(CodePage {
        layout: Layout::public(&csrf, "login"),
        problem: None,
        code: FieldView::empty(20),
    }
    .into_response())
}

async fn code_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    cookie: SessionCookie,
    form: FormFields,
) -> Result<Response, WebError> {
    let Some(token) = stage_is(&state, &cookie, SessionStage::Mfa).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    match state.app.submit_code(&token, &form.get("code")).await {
        Ok(t) => Ok(redirect_with_cookie(
            "/",
            &session_cookie(state.options.tls, &t),
        )),
        Err(AppError::Unauthenticated(m)) => {
            let page = CodePage {
                layout: Layout::public(&csrf, "login"),
                problem: Some(m),
                code: FieldView::empty(20),
            };
            Ok((StatusCode::UNAUTHORIZED, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "enrol.html")]
struct EnrolPage {
    layout: Layout,
    action: &'static str,
    qr_svg: String,
    secret: String,
    code: FieldView,
}

#[derive(Template, WebTemplate)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage {
    layout: Layout,
    codes: Vec<String>,
}

async fn enrol_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    cookie: SessionCookie,
) -> Result<Response, WebError> {
    let Some(token) = stage_is(&state, &cookie, SessionStage::Enrol).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let e = state.app.start_enrolment(&token).await?;
    Ok(EnrolPage {
        layout: Layout::public(&csrf, "login"),
        action: "/login/enrol",
        qr_svg: e.qr_svg,
        secret: e.secret_base32,
        code: FieldView::empty(6),
    }
    .into_response())
}

async fn finish_enrolment(
    state: &WebState,
    csrf: &CsrfToken,
    token: &str,
    code: &str,
    action: &'static str,
) -> Result<Response, WebError> {
    match state.app.confirm_enrolment(token, code).await {
        Ok((t, codes)) => {
            let page = RecoveryCodesPage {
                layout: Layout::public(csrf, "account"),
                codes,
            };
            Ok(with_cookie(
                page.into_response(),
                &session_cookie(state.options.tls, &t),
            ))
        }
        Err(AppError::Validation(errors)) => {
            let e = state.app.start_enrolment(token).await?;
            let page = EnrolPage {
                layout: Layout::public(csrf, "login"),
                action,
                qr_svg: e.qr_svg,
                secret: e.secret_base32,
                code: FieldView::new("", &errors, "code", 6),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn enrol_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    cookie: SessionCookie,
    form: FormFields,
) -> Result<Response, WebError> {
    let Some(token) = stage_is(&state, &cookie, SessionStage::Enrol).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    finish_enrolment(&state, &csrf, &token, &form.get("code"), "/login/enrol").await
}

async fn logout(
    State(state): State<WebState>,
    cookie: SessionCookie,
    _form: FormFields,
) -> Result<Response, WebError> {
    if let Some(token) = cookie.0 {
        state.app.sign_out(&token).await?;
    }
    Ok(redirect_with_cookie(
        "/login",
        &clear_session_cookie(state.options.tls),
    ))
}

// ------------------------------------------------------------ invitations

#[derive(Template, WebTemplate)]
#[template(path = "invite.html")]
struct InvitePage {
    layout: Layout,
    action: String,
    password: FieldView,
}

#[derive(Template, WebTemplate)]
#[template(path = "message.html")]
struct MessagePage {
    layout: Layout,
    title: &'static str,
    message: String,
    detail: Option<String>,
    back: &'static str,
}

fn valid_token(token: &str) -> bool {
    token.len() == 48 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

async fn invite_page(
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
) -> Result<InvitePage, WebError> {
    if !valid_token(&token) {
        return Err(WebError::NotFound("invitation"));
    }
    Ok(InvitePage {
        layout: Layout::public(&csrf, "login"),
        action: format!("/invite/{token}"),
        password: FieldView::empty(128),
    })
}

async fn invite_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    if !valid_token(&token) {
        return Err(WebError::NotFound("invitation"));
    }
    match state
        .app
        .accept_invitation(&token, &form.get("new_password"))
        .await
    {
        Ok(()) => Ok(MessagePage {
            layout: Layout::public(&csrf, "login"),
            title: "Password saved",
            message:
                "Your password is saved. Sign in with your e-mail address and the new password."
                    .into(),
            detail: None,
            back: "/login",
        }
        .into_response()),
        Err(AppError::Validation(errors)) => {
            let page = InvitePage {
                layout: Layout::public(&csrf, "login"),
                action: format!("/invite/{token}"),
                password: FieldView::new("", &errors, "new_password", 128),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

// ------------------------------------------------------------ account

#[derive(Template, WebTemplate)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    notice: Option<&'static str>,
    current: FieldView,
    new_password: FieldView,
    confirmation: FieldView,
}

async fn account_page(
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

async fn password_submit(
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

async fn sign_out_everywhere(
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

async fn reenrol_page(
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

async fn reenrol_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(_caller): CurrentUser,
    cookie: SessionCookie,
    form: FormFields,
) -> Result<Response, WebError> {
    let token = cookie.0.unwrap_or_default();
    finish_enrolment(&state, &csrf, &token, &form.get("code"), "/account/mfa").await
}

#[derive(Template, WebTemplate)]
#[template(path = "inbox.html")]
struct InboxPage {
    layout: Layout,
    messages: Vec<(String, String, String)>,
}

async fn inbox_page(
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
struct EmergencyPage {
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

async fn emergency_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<EmergencyPage, WebError> {
    emergency_view(&state, &csrf, &caller).await
}

async fn emergency_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    let location: LocationId = form.get("location").parse().map_err(|_| {
        WebError::Validation(ValidationErrors::single(
            "location",
            "choose a location from the list",
        ))
    })?;
    let reason = form.get("reason");
    match state
        .app
        .open_emergency_access(&caller, location, &reason)
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
            page.reason = reason;
            page.reason_error = errors.for_field("reason").map(str::to_string);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "breakglass.html")]
struct BreakGlassPage {
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

async fn breakglass_page(
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

// ------------------------------------------------------------ staff

struct UserRow {
    id: String,
    name: String,
    email: String,
    role: &'static str,
    locations: String,
    mfa: bool,
    active: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "users.html")]
struct UsersPage {
    layout: Layout,
    notice: Option<String>,
    problem: Option<String>,
    users: Vec<UserRow>,
    may_invite: bool,
    email: FieldView,
    display_name: FieldView,
    roles: Vec<Choice>,
    role_error: Option<String>,
    locations: Vec<Choice>,
    locations_error: Option<String>,
}

fn role_choices(selected: Option<Role>) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str().into(),
            label: r.label().into(),
            selected: Some(*r) == selected,
        })
        .collect()
}

async fn users_view(
    state: &WebState,
    csrf: &CsrfToken,
    caller: &kerato_app::Caller,
    input: &UserInput,
    errors: &ValidationErrors,
) -> Result<UsersPage, WebError> {
    let users = state.app.list_users(caller).await?;
    let locations = state.app.location_names(caller).await?;
    let rows = users
        .into_iter()
        .map(|u| UserRow {
            id: u.id.to_string(),
            name: u.display_name,
            email: u.email,
            role: u.role.label(),
            locations: match &u.locations {
                LocationScope::All => "all".into(),
                LocationScope::Only(s) => s
                    .iter()
                    .map(|l| locations.get(l).cloned().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(", "),
            },
            mfa: u.mfa_enrolled,
            active: u.active,
        })
        .collect();
    Ok(UsersPage {
        layout: Layout::signed_in(state, csrf, caller, "users").await?,
        notice: None,
        problem: None,
        users: rows,
        may_invite: kerato_domain::identity::role_permits(
            caller.actor.role,
            Resource::User,
            Action::Create,
        ),
        email: FieldView::new(&input.email, errors, "email", 254),
        display_name: FieldView::new(&input.display_name, errors, "display_name", MAX_NAME_CHARS),
        roles: role_choices(input.role.parse().ok()),
        role_error: errors.for_field("role").map(str::to_string),
        locations: locations
            .into_iter()
            .map(|(id, name)| Choice {
                selected: input.locations.contains(&id.to_string()),
                value: id.to_string(),
                label: name,
            })
            .collect(),
        locations_error: errors.for_field("locations").map(str::to_string),
    })
}

async fn users_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<UsersPage, WebError> {
    users_view(
        &state,
        &csrf,
        &caller,
        &UserInput::default(),
        &ValidationErrors::new(),
    )
    .await
}

fn user_input(form: &FormFields) -> UserInput {
    UserInput {
        email: form.get("email"),
        display_name: form.get("display_name"),
        role: form.get("role"),
        locations: form.all("locations"),
        all_locations: form.get("all_locations") == "1",
    }
}

async fn invite_user(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    let input = user_input(&form);
    match state.app.invite_user(&caller, &input).await {
        Ok((user, token)) => Ok(MessagePage {
            layout: Layout::signed_in(&state, &csrf, &caller, "users").await?,
            title: "Invitation created",
            message: format!("{} can choose a password at this address within 7 days; it was also e-mailed to them.", user.display_name),
            detail: Some(format!("/invite/{token}")),
            back: "/admin/users",
        }
        .into_response()),
        Err(AppError::Validation(errors)) => {
            let page = users_view(&state, &csrf, &caller, &input, &errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(AppError::Conflict(m)) => {
            let mut page = users_view(&state, &csrf, &caller, &input, &ValidationErrors::new()).await?;
            page.problem = Some(m);
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "user_edit.html")]
struct UserEditPage {
    layout: Layout,
    id: String,
    name: String,
    email: String,
    mfa: bool,
    version: i64,
    problem: Option<String>,
    display_name: FieldView,
    roles: Vec<Choice>,
    all_locations: bool,
    locations: Vec<Choice>,
    locations_error: Option<String>,
    active: bool,
}

fn parse_user_id(raw: &str) -> Result<UserId, WebError> {
    raw.parse().map_err(|_| WebError::NotFound("user"))
}

async fn user_view(
    state: &WebState,
    csrf: &CsrfToken,
    caller: &kerato_app::Caller,
    id: UserId,
) -> Result<UserEditPage, WebError> {
    let user = state.app.get_user(caller, id).await?;
    let names = state.app.location_names(caller).await?;
    let (all, chosen) = match &user.locations {
        LocationScope::All => (true, Default::default()),
        LocationScope::Only(s) => (false, s.clone()),
    };
    Ok(UserEditPage {
        layout: Layout::signed_in(state, csrf, caller, "users").await?,
        id: user.id.to_string(),
        name: user.display_name.clone(),
        email: user.email.clone(),
        mfa: user.mfa_enrolled,
        version: user.version,
        problem: None,
        display_name: FieldView {
            value: user.display_name,
            error: None,
            max: MAX_NAME_CHARS,
        },
        roles: role_choices(Some(user.role)),
        all_locations: all,
        locations: names
            .into_iter()
            .map(|(lid, name)| Choice {
                selected: chosen.contains(&lid),
                value: lid.to_string(),
                label: name,
            })
            .collect(),
        locations_error: None,
        active: user.active,
    })
}

async fn user_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<UserEditPage, WebError> {
    user_view(&state, &csrf, &caller, parse_user_id(&id)?).await
}

async fn user_update(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    let id = parse_user_id(&id)?;
    let version = form.version("account")?;
    let input = user_input(&form);
    match state
        .app
        .update_user(&caller, id, version, &input, form.get("active") == "1")
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/admin/users/{id}")).into_response()),
        Err(AppError::Validation(errors)) => {
            let mut page = user_view(&state, &csrf, &caller, id).await?;
            page.display_name.error = errors.for_field("display_name").map(str::to_string);
            page.locations_error = errors.for_field("locations").map(str::to_string);
            page.problem = errors.for_field("role").map(str::to_string);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(AppError::Conflict(m)) => {
            let mut page = user_view(&state, &csrf, &caller, id).await?;
            page.problem = Some(m);
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn user_reset_mfa(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    _form: FormFields,
) -> Result<Response, WebError> {
    let id = parse_user_id(&id)?;
    state.app.reset_mfa(&caller, id).await?;
    Ok(Redirect::to(&format!("/admin/users/{id}")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "roles.html")]
struct RolesPage {
    layout: Layout,
    roles: Vec<&'static str>,
    rows: Vec<(&'static str, Vec<String>)>,
}

async fn roles_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<RolesPage, WebError> {
    state
        .app
        .require(&caller, Resource::User, Action::Query, None)
        .await?;
    let letter = |a: Action| match a {
        Action::View => 'V',
        Action::Query => 'Q',
        Action::Create => 'C',
        Action::Update => 'U',
        Action::Delete => 'D',
        Action::Print => 'P',
        Action::Export => 'E',
    };
    Ok(RolesPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "roles").await?,
        roles: Role::ALL.iter().map(|r| r.label()).collect(),
        rows: Resource::ALL
            .iter()
            .map(|res| {
                let cells = Role::ALL
                    .iter()
                    .map(|role| {
                        role_actions(*role, *res)
                            .into_iter()
                            .map(letter)
                            .collect::<String>()
                    })
                    .collect();
                (res.label(), cells)
            })
            .collect(),
    })
}

struct SessionRowView {
    key: String,
    user: String,
    started: String,
    last_seen: String,
    ip: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "sessions.html")]
struct SessionsPage {
    layout: Layout,
    sessions: Vec<SessionRowView>,
}

async fn sessions_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
) -> Result<SessionsPage, WebError> {
    let sessions = state
        .app
        .live_sessions(&caller)
        .await?
        .into_iter()
        .map(|s| SessionRowView {
            key: s.token_hash,
            user: s.user_name,
            started: fmt_time(s.started_at),
            last_seen: fmt_time(s.last_seen_at),
            ip: s.source_ip.unwrap_or_default(),
        })
        .collect();
    Ok(SessionsPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "sessions").await?,
        sessions,
    })
}

async fn session_revoke(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    let key = form.get("session");
    if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(WebError::NotFound("session"));
    }
    state.app.revoke_session(&caller, &key).await?;
    Ok(Redirect::to("/admin/sessions").into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "security.html")]
struct SecurityPage {
    layout: Layout,
    notice: Option<&'static str>,
    problem: Option<String>,
    mfa_all: bool,
    idle: String,
}

#[derive(Debug, Deserialize)]
struct Saved {
    saved: Option<String>,
}

async fn security_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Query(q): Query<Saved>,
) -> Result<SecurityPage, WebError> {
    let (mfa_all, idle) = state.app.security_settings(&caller).await?;
    Ok(SecurityPage {
        layout: Layout::signed_in(&state, &csrf, &caller, "security").await?,
        notice: q.saved.is_some().then_some("Settings saved."),
        problem: None,
        mfa_all,
        idle: idle.to_string(),
    })
}

async fn security_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: FormFields,
) -> Result<Response, WebError> {
    let mfa_all = form.get("mfa_required_for_all") == "1";
    let raw = form.get("idle_minutes");
    let result = match raw.trim().parse::<i64>() {
        Ok(idle) => {
            state
                .app
                .set_security_settings(&caller, mfa_all, idle)
                .await
        }
        Err(_) => Err(AppError::Validation(ValidationErrors::single(
            "idle_minutes",
            "enter a whole number of minutes from 1 to 30",
        ))),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/admin/security?saved=1").into_response()),
        Err(AppError::Validation(errors)) => {
            let page = SecurityPage {
                layout: Layout::signed_in(&state, &csrf, &caller, "security").await?,
                notice: None,
                problem: errors.for_field("idle_minutes").map(str::to_string),
                mfa_all,
                idle: raw,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
