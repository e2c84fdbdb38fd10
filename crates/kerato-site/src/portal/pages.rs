//! The customer portal's pages: sign-up, colleagues, security and closing the account.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kerato_core::ValidationErrors;
use kerato_core::totp::{self, TotpSecret};
use kerato_http::csrf::CsrfToken;
use kerato_http::extract::FormFields;

use crate::Site;
use crate::accounts::pages::SignedIn;
use crate::accounts::rules::{Permission, Role, SignupInput, User};
use crate::accounts::sessions::enrol_second_factor;
use crate::accounts::store::Account;
use crate::demo_requests::rules::Specialty;
use crate::web::{Layout, Section, SiteError};

#[derive(Template, WebTemplate)]
#[template(path = "signup.html")]
pub(crate) struct SignupPage {
    pub(crate) layout: Layout,
    pub(crate) input: SignupInput,
    pub(crate) errors: ValidationErrors,
    pub(crate) specialties: &'static [Specialty],
}

pub(crate) fn signup_page(
    site: &Site,
    csrf: &CsrfToken,
    input: SignupInput,
    errors: ValidationErrors,
) -> SignupPage {
    SignupPage {
        layout: Layout::new(site, csrf, "Open an account", Section::Portal),
        input,
        errors,
        specialties: Specialty::ALL,
    }
}

pub(crate) async fn signup_form(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
) -> SignupPage {
    signup_page(
        &site,
        &csrf,
        SignupInput::default(),
        ValidationErrors::new(),
    )
}

pub(crate) async fn signup(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    form: FormFields,
) -> Result<Response, SiteError> {
    let input = SignupInput {
        practice_name: form.get("practice_name"),
        specialty: form.get("specialty"),
        name: form.get("name"),
        email: form.get("email"),
        password: form.get("password"),
        confirm: form.get("confirm"),
    };
    match crate::accounts::signup::sign_up(&site, &input).await {
        Ok(user_id) => {
            let cookie = crate::accounts::sessions::start_session(&site, &user_id).await?;
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/portal")).into_response())
        }
        Err(SiteError::Validation(errors)) => {
            // Passwords are never sent back into the page.
            let input = SignupInput {
                password: String::new(),
                confirm: String::new(),
                ..input
            };
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                signup_page(&site, &csrf, input, errors),
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "portal.html")]
pub(crate) struct PortalPage {
    pub(crate) layout: Layout,
    pub(crate) me: User,
    pub(crate) account: Account,
    pub(crate) users: Vec<User>,
    pub(crate) can_manage: bool,
    pub(crate) can_bill: bool,
    pub(crate) can_close: bool,
    pub(crate) invitable: &'static [Role],
    pub(crate) errors: ValidationErrors,
    pub(crate) invited: bool,
}

pub(crate) async fn portal_page(
    site: &Site,
    csrf: &CsrfToken,
    who: &SignedIn,
    errors: ValidationErrors,
    invited: bool,
) -> Result<PortalPage, SiteError> {
    let me = who.require(Permission::UsePortal)?.clone();
    let account_id = me.account_id.clone().ok_or(SiteError::NotFound)?;
    let mut tx = site.store.read().await?;
    let account = crate::accounts::store::account_by_id(&mut tx, &account_id)
        .await?
        .ok_or(SiteError::NotFound)?;
    let users = crate::accounts::store::users_of(&mut tx, &account_id).await?;
    Ok(PortalPage {
        layout: Layout::new(site, csrf, "Customer portal", Section::Portal),
        can_manage: me.role.permits(Permission::ManageUsers),
        can_bill: me.role.permits(Permission::Billing),
        can_close: me.role.permits(Permission::CloseAccount),
        me,
        account,
        users,
        invitable: Role::INVITABLE,
        errors,
        invited,
    })
}

pub(crate) async fn portal(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
) -> Result<PortalPage, SiteError> {
    portal_page(&site, &csrf, &who, ValidationErrors::new(), false).await
}

pub(crate) async fn invite(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    form: FormFields,
) -> Result<Response, SiteError> {
    let owner = who.require(Permission::ManageUsers)?;
    match crate::accounts::invitations::invite(
        &site,
        owner,
        &form.get("email"),
        &form.get("name"),
        &form.get("role"),
    )
    .await
    {
        Ok(()) => Ok(
            portal_page(&site, &csrf, &who, ValidationErrors::new(), true)
                .await?
                .into_response(),
        ),
        Err(SiteError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            portal_page(&site, &csrf, &who, errors, false).await?,
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "invitation.html")]
pub(crate) struct InvitationPage {
    pub(crate) layout: Layout,
    pub(crate) token: String,
    pub(crate) user: User,
    pub(crate) errors: ValidationErrors,
}

pub(crate) async fn invitation_form(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
) -> Result<InvitationPage, SiteError> {
    let mut tx = site.store.read().await?;
    let user = crate::accounts::store::invitation(&mut tx, &token, site.now()).await?.ok_or_else(|| {
        SiteError::Forbidden("this invitation link has expired or was already used; ask your practice owner for a new one".into())
    })?;
    Ok(InvitationPage {
        layout: Layout::new(&site, &csrf, "Accept your invitation", Section::Portal),
        token,
        user,
        errors: ValidationErrors::new(),
    })
}

pub(crate) async fn accept_invitation(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    Path(token): Path<String>,
    form: FormFields,
) -> Result<Response, SiteError> {
    match crate::accounts::invitations::accept_invitation(
        &site,
        &token,
        &form.get("password"),
        &form.get("confirm"),
    )
    .await
    {
        Ok(user_id) => {
            let cookie = crate::accounts::sessions::start_session(&site, &user_id).await?;
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/portal")).into_response())
        }
        Err(SiteError::Validation(errors)) => {
            let mut page = invitation_form(State(site), Extension(csrf), Path(token)).await?;
            page.errors = errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "security.html")]
pub(crate) struct SecurityPage {
    pub(crate) layout: Layout,
    pub(crate) enrolled: bool,
    pub(crate) secret: String,
    pub(crate) uri: String,
    pub(crate) errors: ValidationErrors,
}

pub(crate) fn security_page(
    site: &Site,
    csrf: &CsrfToken,
    me: &User,
    secret: TotpSecret,
    errors: ValidationErrors,
) -> SecurityPage {
    SecurityPage {
        layout: Layout::new(site, csrf, "Sign-in security", Section::Portal),
        enrolled: me.totp_secret.is_some(),
        uri: secret.otpauth_uri("Kerato portal", &me.email),
        secret: secret.to_base32(),
        errors,
    }
}

pub(crate) async fn security(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
) -> Result<SecurityPage, SiteError> {
    let me = who.require(Permission::UsePortal)?;
    Ok(security_page(
        &site,
        &csrf,
        me,
        TotpSecret::from_bytes(rand::random()),
        ValidationErrors::new(),
    ))
}

/// Turns the second factor on: the secret shown on the page comes back with
/// a code from the app, which proves the app holds it.
pub(crate) async fn enrol(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    form: FormFields,
) -> Result<Response, SiteError> {
    let me = who.require(Permission::UsePortal)?;
    let secret = TotpSecret::from_base32(&form.get("secret")).map_err(|_| {
        SiteError::BadRequest("the key on the form was changed; reload the page".into())
    })?;
    let _now = site.now();
    // Codes come from the user's phone, which knows only the real time.
    let outside = site.clock.outside_now();
    let Some(step) = totp::matching_step(&secret, form.get("code").trim(), outside) else {
        let errors = ValidationErrors::single(
            "code",
            "that code does not match the key; enter the 6-digit code the app shows now",
        );
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            security_page(&site, &csrf, me, secret, errors),
        )
            .into_response());
    };
    enrol_second_factor(&site, me, &secret, step).await?;
    Ok(Redirect::to("/portal").into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "close.html")]
pub(crate) struct ClosePage {
    pub(crate) layout: Layout,
    pub(crate) account: Account,
    pub(crate) errors: ValidationErrors,
}

pub(crate) async fn close_page(
    site: &Site,
    csrf: &CsrfToken,
    who: &SignedIn,
    errors: ValidationErrors,
) -> Result<ClosePage, SiteError> {
    let owner = who.require(Permission::CloseAccount)?;
    let account_id = owner.account_id.clone().ok_or(SiteError::NotFound)?;
    let mut tx = site.store.read().await?;
    let account = crate::accounts::store::account_by_id(&mut tx, &account_id)
        .await?
        .ok_or(SiteError::NotFound)?;
    Ok(ClosePage {
        layout: Layout::new(site, csrf, "Close the account", Section::Portal),
        account,
        errors,
    })
}

pub(crate) async fn close_form(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
) -> Result<ClosePage, SiteError> {
    close_page(&site, &csrf, &who, ValidationErrors::new()).await
}

pub(crate) async fn close(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
    who: SignedIn,
    form: FormFields,
) -> Result<Response, SiteError> {
    let owner = who.require(Permission::CloseAccount)?;
    match crate::portal::closing::close_account(&site, owner, &form.get("confirm")).await {
        Ok(()) => Ok(Redirect::to("/portal/closed").into_response()),
        Err(SiteError::Validation(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            close_page(&site, &csrf, &who, errors).await?,
        )
            .into_response()),
        Err(e) => Err(e),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "closed.html")]
pub(crate) struct ClosedPage {
    pub(crate) layout: Layout,
}

pub(crate) async fn closed(
    State(site): State<Site>,
    Extension(csrf): Extension<CsrfToken>,
) -> ClosedPage {
    ClosedPage {
        layout: Layout::new(&site, &csrf, "Account closed", Section::Portal),
    }
}

pub(crate) fn routes(r: Router<Site>) -> Router<Site> {
    r.route("/signup", get(signup_form).post(signup))
        .route("/portal", get(portal))
        .route("/portal/users", post(invite))
        .route(
            "/invitations/{token}",
            get(invitation_form).post(accept_invitation),
        )
        .route("/portal/security", get(security).post(enrol))
        .route("/portal/close", get(close_form).post(close))
        .route("/portal/closed", get(closed))
}
