//! Signing in and out, the account page, break-glass access, and the
//! administrators' pages for staff, roles, sessions and security settings.

mod account;
pub(crate) mod api;
pub(crate) mod recovery;
mod sign_in;
mod staff;

use askama::Template;
use askama_web::WebTemplate;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_domain::identity::{Action, Resource};

use crate::layout::Layout;
use crate::routes::{Access, Routes};
use sign_in::stage_is;
use staff::{parse_user_id, user_view};

pub(crate) fn routes(r: Routes) -> Routes {
    use Access::{Needs, Public, SignedIn};
    api::routes(recovery::routes(r))
        .add("GET", "/login", Public, get(sign_in::login_page))
        .add("POST", "/login", Public, post(sign_in::login_submit))
        .add("GET", "/login/code", Public, get(sign_in::code_page))
        .add("POST", "/login/code", Public, post(sign_in::code_submit))
        .add("GET", "/login/enrol", Public, get(sign_in::enrol_page))
        .add("POST", "/login/enrol", Public, post(sign_in::enrol_submit))
        .add("POST", "/logout", Public, post(sign_in::logout))
        .add("GET", "/invite/{token}", Public, get(sign_in::invite_page))
        .add(
            "POST",
            "/invite/{token}",
            Public,
            post(sign_in::invite_submit),
        )
        .add("GET", "/account", SignedIn, get(account::account_page))
        .add(
            "POST",
            "/account/password",
            SignedIn,
            post(account::password_submit),
        )
        .add(
            "POST",
            "/account/sign-out-everywhere",
            SignedIn,
            post(account::sign_out_everywhere),
        )
        .add("GET", "/account/mfa", SignedIn, get(account::reenrol_page))
        .add(
            "POST",
            "/account/mfa",
            SignedIn,
            post(account::reenrol_submit),
        )
        .add("GET", "/inbox", SignedIn, get(account::inbox_page))
        .add(
            "GET",
            "/emergency",
            Needs(Resource::EmergencyAccess, Action::View),
            get(account::emergency_page),
        )
        .add(
            "POST",
            "/emergency",
            Needs(Resource::EmergencyAccess, Action::Create),
            post(account::emergency_submit),
        )
        .add(
            "GET",
            "/admin/users",
            Needs(Resource::User, Action::Query),
            get(staff::users_page),
        )
        .add(
            "POST",
            "/admin/users",
            Needs(Resource::User, Action::Create),
            post(staff::invite_user),
        )
        .add(
            "GET",
            "/admin/users/{id}",
            Needs(Resource::User, Action::View),
            get(staff::user_page),
        )
        .add(
            "POST",
            "/admin/users/{id}",
            Needs(Resource::User, Action::Update),
            post(staff::user_update),
        )
        .add(
            "POST",
            "/admin/users/{id}/reset-mfa",
            Needs(Resource::User, Action::Update),
            post(staff::user_reset_mfa),
        )
        .add(
            "GET",
            "/admin/roles",
            Needs(Resource::User, Action::Query),
            get(staff::roles_page),
        )
        .add(
            "GET",
            "/admin/sessions",
            Needs(Resource::Session, Action::Query),
            get(staff::sessions_page),
        )
        .add(
            "POST",
            "/admin/sessions/revoke",
            Needs(Resource::Session, Action::Delete),
            post(staff::session_revoke),
        )
        .add(
            "GET",
            "/admin/security",
            Needs(Resource::Organisation, Action::View),
            get(staff::security_page),
        )
        .add(
            "POST",
            "/admin/security",
            Needs(Resource::Organisation, Action::Update),
            post(staff::security_submit),
        )
        .add(
            "GET",
            "/admin/emergency",
            Needs(Resource::EmergencyAccess, Action::Query),
            get(account::breakglass_page),
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

#[derive(Template, WebTemplate)]
#[template(path = "message.html")]
struct MessagePage {
    layout: Layout,
    title: &'static str,
    message: String,
    detail: Option<String>,
    back: &'static str,
}
