//! The administrators' pages: staff accounts and invitations, the roles'
//! permissions, live sessions and the security settings.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kerato_app::AppError;
use kerato_domain::ValidationErrors;
use kerato_http::csrf::CsrfToken;

use super::{MessagePage, fmt_time};
use crate::WebState;
use crate::auth::CurrentUser;
use crate::error::WebError;
use crate::extract::{Form, FormFields};
use crate::layout::Layout;
use crate::view::{Choice, FieldView};
use kerato_app::identity::UserInput;
use kerato_domain::identity::{
    Action, LocationScope, Resource, Role, SecuritySettings, SessionKey, role_actions,
};
use kerato_domain::ids::UserId;
use kerato_domain::input::{ParseInput, one_or_many};
use kerato_domain::tenancy::MAX_NAME_CHARS;
use kerato_domain::versioned::form_version;
use serde::Deserialize;

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
pub(super) struct UsersPage {
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

pub(super) async fn users_page(
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

/// The staff forms as the browser sends them: the invitation's fields, and
/// the edit's version and whether the account is active. A ticked box
/// sends `1`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct StaffFormInput {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default, deserialize_with = "one_or_many")]
    locations: Vec<String>,
    #[serde(default)]
    all_locations: Option<String>,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    version: Option<String>,
}

/// A staff form read once. The account's own rules are the identity use
/// cases', which take the app's `UserInput`; this carries it there.
pub(super) struct StaffForm {
    user: UserInput,
    active: bool,
    version: Option<i64>,
}

impl ParseInput for StaffForm {
    type Raw = StaffFormInput;

    fn parse(raw: StaffFormInput) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let version = form_version(&mut errors, raw.version.as_deref());
        errors.into_result(())?;
        Ok(Self {
            user: UserInput {
                email: raw.email,
                display_name: raw.display_name,
                role: raw.role,
                locations: raw.locations,
                all_locations: raw.all_locations.as_deref() == Some("1"),
            },
            active: raw.active.as_deref() == Some("1"),
            version,
        })
    }
}

pub(super) async fn invite_user(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: Form<StaffForm>,
) -> Result<Response, WebError> {
    let input = form.input?.user;
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
pub(super) struct UserEditPage {
    layout: Layout,
    id: String,
    name: String,
    email: String,
    mfa: bool,
    version: i64,
    pub(super) problem: Option<String>,
    display_name: FieldView,
    roles: Vec<Choice>,
    all_locations: bool,
    locations: Vec<Choice>,
    locations_error: Option<String>,
    active: bool,
}

pub(super) fn parse_user_id(raw: &str) -> Result<UserId, WebError> {
    raw.parse().map_err(|_| WebError::NotFound("user"))
}

pub(super) async fn user_view(
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

pub(super) async fn user_page(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
) -> Result<UserEditPage, WebError> {
    user_view(&state, &csrf, &caller, parse_user_id(&id)?).await
}

pub(super) async fn user_update(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    Path(id): Path<String>,
    form: Form<StaffForm>,
) -> Result<Response, WebError> {
    let id = parse_user_id(&id)?;
    let edit = form.input?;
    let version = edit.version.ok_or_else(|| {
        WebError::BadRequest("the form is missing the account's version; reload the page".into())
    })?;
    match state
        .app
        .update_user(&caller, id, version, &edit.user, edit.active)
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

pub(super) async fn user_reset_mfa(
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
pub(super) struct RolesPage {
    layout: Layout,
    roles: Vec<&'static str>,
    rows: Vec<(&'static str, Vec<String>)>,
}

pub(super) async fn roles_page(
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
pub(super) struct SessionsPage {
    layout: Layout,
    sessions: Vec<SessionRowView>,
}

pub(super) async fn sessions_page(
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

pub(super) async fn session_revoke(
    State(state): State<WebState>,
    CurrentUser(caller): CurrentUser,
    form: Form<SessionKey>,
) -> Result<Response, WebError> {
    let SessionKey(key) = form.input.map_err(|_| WebError::NotFound("session"))?;
    state.app.revoke_session(&caller, &key).await?;
    Ok(Redirect::to("/admin/sessions").into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "security.html")]
pub(super) struct SecurityPage {
    layout: Layout,
    notice: Option<&'static str>,
    problem: Option<String>,
    mfa_all: bool,
    idle: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct Saved {
    saved: Option<String>,
}

pub(super) async fn security_page(
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

pub(super) async fn security_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    CurrentUser(caller): CurrentUser,
    form: Form<SecuritySettings>,
) -> Result<Response, WebError> {
    let result = match form.input {
        Ok(settings) => {
            state
                .app
                .set_security_settings(
                    &caller,
                    settings.mfa_required_for_all,
                    settings.idle_minutes,
                )
                .await
        }
        Err(errors) => Err(AppError::Validation(errors)),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/admin/security?saved=1").into_response()),
        Err(AppError::Validation(errors)) => {
            let page = SecurityPage {
                layout: Layout::signed_in(&state, &csrf, &caller, "security").await?,
                notice: None,
                problem: errors.for_field("idle_minutes").map(str::to_string),
                mfa_all: form.fields.get("mfa_required_for_all") == "1",
                idle: form.fields.get("idle_minutes"),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}
