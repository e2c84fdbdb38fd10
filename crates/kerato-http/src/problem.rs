//! What went wrong with a request, said once for both front ends.
//!
//! A handler's error becomes a [`Problem`]: a status, a stable code, a
//! sentence the person or program can act on and, for refused fields, each
//! field's problem. Its response carries the `Problem` as an extension and no
//! body; each front end's renderer middleware then writes the body in its own
//! format (the clinic: JSON, FHIR or its HTML page; the site: its HTML page),
//! found with [`problem_of`]. [`HttpError`] is the part of the errors both
//! front ends share: what the extractors refuse before a handler runs.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kerato_core::error::{FieldError, ValidationErrors};

use crate::extract::MAX_BODY_BYTES;

/// What went wrong, in words fit for the person or program that asked.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    #[serde(skip)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub status: StatusCode,
    /// A stable machine-readable code.
    pub error: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

impl Problem {
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            error,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// Fields the rules refused (422), each named with how to fix it.
    pub fn validation(errors: &ValidationErrors) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            error: "validation",
            message: format!("some fields are not valid: {errors}"),
            fields: errors.errors.clone(),
        }
    }

    /// A request for something that does not exist; `what` names it.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such {what}"),
        )
    }

    /// A body over the route's limit of `limit` bytes.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "the request body is larger than the limit of {} KiB; send less data",
                limit / 1024
            ),
        )
    }

    /// A failure on the server's side; its cause is logged, never shown.
    pub fn internal() -> Self {
        Self::for_status(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The generic problem for a status that arrived without one.
    pub fn for_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => {
                Self::new(status, "not_found", "there is nothing at this address")
            }
            StatusCode::METHOD_NOT_ALLOWED => Self::new(
                status,
                "method_not_allowed",
                "this address does not accept that method",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => Self::too_large(MAX_BODY_BYTES),
            s if s.is_client_error() => {
                Self::new(s, "bad_request", "the request could not be understood")
            }
            s => Self::new(
                s,
                "internal",
                "something went wrong on our side; it has been logged",
            ),
        }
    }
}

impl IntoResponse for Problem {
    /// The status alone, with the problem attached for the renderer.
    fn into_response(self) -> Response {
        let mut resp = self.status.into_response();
        resp.extensions_mut().insert(self);
        resp
    }
}

/// The problem whose body a response still needs: the one a handler
/// attached, or the generic one for a bare or plain-text error (axum's own
/// rejections). `None` for a success, and for an error page a handler
/// rendered itself (a form shown again with its errors keeps it).
pub fn problem_of(resp: &Response) -> Option<Problem> {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return None;
    }
    if let Some(p) = resp.extensions().get::<Problem>() {
        return Some(p.clone());
    }
    let own_body = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| !ct.starts_with("text/plain"));
    (!own_body).then(|| Problem::for_status(status))
}

/// `body` with the headers the handler set for the client (`Allow` on a
/// 405, for one), other than those describing the replaced body.
pub fn keep_headers(mut body: Response, from: &Response) -> Response {
    for (name, value) in from.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            body.headers_mut().insert(name.clone(), value.clone());
        }
    }
    body
}

/// What the shared extractors refuse before a handler runs; each front
/// end's error type converts from it.
#[derive(Debug)]
pub enum HttpError {
    BadRequest(String),
    UnsupportedMediaType(String),
    /// The body passed the route's limit, in bytes.
    PayloadTooLarge(usize),
    Validation(ValidationErrors),
    Forbidden(String),
}

impl HttpError {
    pub fn problem(&self) -> Problem {
        match self {
            Self::BadRequest(message) => {
                Problem::new(StatusCode::BAD_REQUEST, "bad_request", message.clone())
            }
            Self::UnsupportedMediaType(message) => Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                message.clone(),
            ),
            Self::PayloadTooLarge(limit) => Problem::too_large(*limit),
            Self::Validation(errors) => Problem::validation(errors),
            Self::Forbidden(message) => {
                Problem::new(StatusCode::FORBIDDEN, "forbidden", message.clone())
            }
        }
    }
}

impl From<ValidationErrors> for HttpError {
    fn from(e: ValidationErrors) -> Self {
        Self::Validation(e)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        self.problem().into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handlers_problem_is_kept_and_a_bare_error_gets_the_generic_one() {
        let resp = HttpError::Forbidden("no".into()).into_response();
        let p = problem_of(&resp).expect("a problem");
        assert_eq!(
            (p.status, p.error, p.message.as_str()),
            (StatusCode::FORBIDDEN, "forbidden", "no")
        );
        let bare = StatusCode::METHOD_NOT_ALLOWED.into_response();
        assert_eq!(
            problem_of(&bare).map(|p| p.error),
            Some("method_not_allowed")
        );
        let own = (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::response::Html("page"),
        )
            .into_response();
        assert!(problem_of(&own).is_none());
        assert!(problem_of(&StatusCode::OK.into_response()).is_none());
    }

    #[test]
    fn too_large_names_the_limit() {
        assert!(Problem::too_large(64 * 1024).message.contains("64 KiB"));
    }
}
