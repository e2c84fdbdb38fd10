//! CSRF protection for HTML forms: a random token in a `SameSite=Strict`,
//! `HttpOnly` cookie, echoed in a hidden field of every form and compared on
//! every form submission. JSON API calls need `Content-Type:
//! application/json`, which a cross-site form cannot send without a CORS
//! preflight this server never grants.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use kerato_core::totp::constant_time_eq;
use rand::Rng;

use crate::Tls;

/// The CSRF token of the current request, for templates and form checks.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn cookie_name(tls: bool) -> &'static str {
    // The __Host- prefix pins the cookie to this host and path, but browsers
    // accept it only with Secure, so only under TLS.
    if tls {
        "__Host-kerato_csrf"
    } else {
        "kerato_csrf"
    }
}

/// The value of a cookie that must hold 64 hex digits (a token), if sent.
pub fn token_cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Gives every request its token (from the cookie, or a fresh one that the
/// response then sets).
pub async fn layer(State(Tls(tls)): State<Tls>, mut req: Request, next: Next) -> Response {
    let name = cookie_name(tls);
    let existing = token_cookie(req.headers(), name);
    let fresh = existing.is_none();
    let token = existing.unwrap_or_else(|| hex::encode(rand::rng().random::<[u8; 32]>()));
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut resp = next.run(req).await;
    if fresh {
        let secure = if tls { "; Secure" } else { "" };
        let cookie = format!("{name}={token}; Path=/; HttpOnly; SameSite=Strict{secure}");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    resp
}

/// The request's token, for a form to echo; empty when the layer did not run.
pub fn expected(req: &Request) -> String {
    req.extensions()
        .get::<CsrfToken>()
        .map(|t| t.0.clone())
        .unwrap_or_default()
}

/// The name of the form field that carries the token.
pub const FIELD: &str = "csrf";

/// Whether a form's `csrf` field matches the request's token, compared in
/// constant time. An empty expectation never matches.
pub fn form_matches(pairs: &[(String, String)], expected: &str) -> bool {
    let sent = pairs
        .iter()
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    !expected.is_empty() && constant_time_eq(sent, expected)
}
