//! Signing in (the password, then a code or an authenticator to enrol),
//! signing out, and accepting an invitation.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kerato_app::AppError;
use kerato_http::csrf::CsrfToken;

use super::{MessagePage, redirect_with_cookie, with_cookie};
use crate::WebState;
use crate::auth::{SessionCookie, clear_session_cookie, session_cookie};
use crate::error::WebError;
use crate::extract::{Form, FormFields};
use crate::layout::Layout;
use crate::view::FieldView;
use kerato_app::identity::{SessionStage, SignIn};
use kerato_domain::identity::{ChosenPassword, OneTimeCode, SignInCredentials};

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub(super) struct LoginPage {
    layout: Layout,
    problem: Option<String>,
    email: FieldView,
    password: FieldView,
}

pub(super) async fn login_page(Extension(csrf): Extension<CsrfToken>) -> LoginPage {
    LoginPage {
        layout: Layout::public(&csrf, "login"),
        problem: None,
        email: FieldView::empty(254),
        password: FieldView::empty(128),
    }
}

pub(super) async fn login_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    ip: crate::auth::ClientIp,
    form: Form<SignInCredentials>,
) -> Response {
    let tls = state.options.tls;
    let signed_in = match &form.input {
        Ok(c) => state.app.sign_in(&c.email, &c.password, ip.0).await,
        Err(errors) => Err(AppError::Validation(errors.clone())),
    };
    match signed_in {
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
                    value: form.fields.get("email"),
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
pub(super) struct CodePage {
    layout: Layout,
    problem: Option<String>,
    code: FieldView,
}

/// The session token, if the session is alive and at `stage` of sign-in.
pub(super) async fn stage_is(
    state: &WebState,
    cookie: &SessionCookie,
    stage: SessionStage,
) -> Result<Option<String>, WebError> {
    let Some(token) = cookie.0.clone() else {
        return Ok(None);
    };
    Ok((state.app.sign_in_stage(&token).await? == Some(stage)).then_some(token))
}

pub(super) async fn code_page(
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

pub(super) async fn code_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    cookie: SessionCookie,
    form: Form<OneTimeCode>,
) -> Result<Response, WebError> {
    let Some(token) = stage_is(&state, &cookie, SessionStage::Mfa).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let OneTimeCode(code) = form.input?;
    match state.app.submit_code(&token, &code).await {
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
pub(super) struct EnrolPage {
    pub(super) layout: Layout,
    pub(super) action: &'static str,
    pub(super) qr_svg: String,
    pub(super) secret: String,
    pub(super) code: FieldView,
}

#[derive(Template, WebTemplate)]
#[template(path = "recovery_codes.html")]
pub(super) struct RecoveryCodesPage {
    layout: Layout,
    codes: Vec<String>,
}

pub(super) async fn enrol_page(
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

pub(super) async fn finish_enrolment(
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

pub(super) async fn enrol_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    cookie: SessionCookie,
    form: Form<OneTimeCode>,
) -> Result<Response, WebError> {
    let Some(token) = stage_is(&state, &cookie, SessionStage::Enrol).await? else {
        return Ok(Redirect::to("/login").into_response());
    };
    let OneTimeCode(code) = form.input?;
    finish_enrolment(&state, &csrf, &token, &code, "/login/enrol").await
}

pub(super) async fn logout(
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

#[derive(Template, WebTemplate)]
#[template(path = "invite.html")]
pub(super) struct InvitePage {
    layout: Layout,
    action: String,
    password: FieldView,
}

pub(super) fn valid_token(token: &str) -> bool {
    token.len() == 48 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

pub(super) async fn invite_page(
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

pub(super) async fn invite_submit(
    State(state): State<WebState>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
    form: Form<ChosenPassword>,
) -> Result<Response, WebError> {
    if !valid_token(&token) {
        return Err(WebError::NotFound("invitation"));
    }
    let ChosenPassword(password) = form.input?;
    match state.app.accept_invitation(&token, &password).await {
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
