//! Who is asking: the session cookie, the client address, and the
//! extractor that turns them into a signed-in [`Caller`].

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use kerato_app::Caller;
use kerato_app::identity::SessionToken;

use crate::WebState;
use crate::error::WebError;

pub(crate) fn session_cookie_name(tls: bool) -> &'static str {
    if tls {
        "__Host-kerato_session"
    } else {
        "kerato_session"
    }
}

/// The `Set-Cookie` value that stores a session token. No `Max-Age`: the
/// cookie ends with the browser, and the server ends the session sooner.
pub(crate) fn session_cookie(tls: bool, token: &SessionToken) -> String {
    let secure = if tls { "; Secure" } else { "" };
    format!(
        "{}={}; Path=/; HttpOnly; SameSite=Strict{secure}",
        session_cookie_name(tls),
        token.0
    )
}

pub(crate) fn clear_session_cookie(tls: bool) -> String {
    let secure = if tls { "; Secure" } else { "" };
    format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}",
        session_cookie_name(tls)
    )
}

fn cookie(parts: &Parts, name: &str) -> Option<String> {
    kerato_http::csrf::token_cookie(&parts.headers, name)
}

/// The raw session token, if the browser sent one.
#[derive(Debug, Clone)]
pub(crate) struct SessionCookie(pub Option<String>);

impl<S> FromRequestParts<S> for SessionCookie
where
    WebState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = WebState::from_ref(state);
        Ok(Self(cookie(parts, session_cookie_name(state.options.tls))))
    }
}

/// The client's address as the socket saw it (no proxy headers are
/// trusted: the clinic server is reached directly).
pub(crate) fn client_ip(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

/// The client address, as an extractor.
#[derive(Debug, Clone)]
pub(crate) struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(client_ip(parts)))
    }
}

/// A signed-in user. Handlers that take it are closed to everyone else:
/// HTML pages redirect to the sign-in page, the API answers 401.
#[derive(Debug, Clone)]
pub(crate) struct CurrentUser(pub Caller);

/// The signed-in caller behind a request's session cookie.
pub(crate) async fn authenticate(state: &WebState, parts: &mut Parts) -> Result<Caller, WebError> {
    let token = cookie(parts, session_cookie_name(state.options.tls)).ok_or(WebError::App(
        kerato_app::AppError::Unauthenticated("sign in to continue".into()),
    ))?;
    Ok(state.app.authenticate(&token, client_ip(parts)).await?)
}

/// A signed-in user if the request is one's, for public pages that read
/// differently for them.
impl<S> axum::extract::OptionalFromRequestParts<S> for CurrentUser
where
    WebState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let state = WebState::from_ref(state);
        Ok(authenticate(&state, parts).await.ok().map(Self))
    }
}

impl<S> FromRequestParts<S> for CurrentUser
where
    WebState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // The route's access check has usually authenticated already.
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let state = WebState::from_ref(state);
        Ok(Self(authenticate(&state, parts).await?))
    }
}
