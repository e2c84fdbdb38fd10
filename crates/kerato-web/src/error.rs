//! One error type for the web layer, rendered once.
//!
//! A handler returns [`WebError`]; its response carries a [`Problem`] and no
//! body. The [`render`] middleware then writes the body in the format of the
//! route: JSON under `/api`, a FHIR `OperationOutcome` under `/fhir`, an HTML
//! page elsewhere. axum's own rejections (unknown route, wrong method) pass
//! through the same place. Internal errors are logged with their cause chain
//! and shown only as a generic message.

use askama::Template;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use kerato_app::AppError;
use kerato_domain::ValidationErrors;
pub use kerato_http::problem::Problem;
use kerato_http::problem::{HttpError, keep_headers, problem_of};

use crate::layout::Layout;

#[derive(Debug)]
pub enum WebError {
    App(AppError),
    NotFound(&'static str),
    BadRequest(String),
    UnsupportedMediaType(String),
    /// The body passed the route's limit, in bytes.
    PayloadTooLarge(usize),
    Validation(ValidationErrors),
    Forbidden(String),
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl From<ValidationErrors> for WebError {
    fn from(e: ValidationErrors) -> Self {
        Self::Validation(e)
    }
}

/// The shared extractors' refusals, as the variants of the same names.
impl From<HttpError> for WebError {
    fn from(e: HttpError) -> Self {
        match e {
            HttpError::BadRequest(m) => Self::BadRequest(m),
            HttpError::UnsupportedMediaType(m) => Self::UnsupportedMediaType(m),
            HttpError::PayloadTooLarge(limit) => Self::PayloadTooLarge(limit),
            HttpError::Validation(errors) => Self::Validation(errors),
            HttpError::Forbidden(m) => Self::Forbidden(m),
        }
    }
}

impl WebError {
    pub fn problem(&self) -> Problem {
        match self {
            WebError::App(AppError::Validation(errors)) | WebError::Validation(errors) => {
                Problem::validation(errors)
            }
            WebError::App(AppError::NotFound(what)) | WebError::NotFound(what) => {
                Problem::not_found(what)
            }
            WebError::App(AppError::Conflict(message)) => {
                Problem::new(StatusCode::CONFLICT, "conflict", message.clone())
            }
            WebError::App(AppError::Gone(message)) => {
                Problem::new(StatusCode::GONE, "gone", message.clone())
            }
            WebError::App(AppError::NotReady(message)) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_ready",
                message.clone(),
            ),
            WebError::App(AppError::Internal(_)) => Problem::internal(),
            WebError::App(AppError::Forbidden(message)) => {
                Problem::new(StatusCode::FORBIDDEN, "forbidden", message.clone())
            }
            WebError::App(AppError::Unauthenticated(message)) => {
                Problem::new(StatusCode::UNAUTHORIZED, "unauthenticated", message.clone())
            }
            WebError::App(AppError::PasswordChangeRequired) => Problem::new(
                StatusCode::FORBIDDEN,
                PASSWORD_CHANGE_REQUIRED,
                kerato_app::PASSWORD_CHANGE_REQUIRED,
            ),
            WebError::App(AppError::TooManyRequests(message)) => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                message.clone(),
            ),
            WebError::BadRequest(message) => HttpError::BadRequest(message.clone()).problem(),
            WebError::UnsupportedMediaType(message) => {
                HttpError::UnsupportedMediaType(message.clone()).problem()
            }
            WebError::PayloadTooLarge(limit) => HttpError::PayloadTooLarge(*limit).problem(),
            WebError::Forbidden(message) => HttpError::Forbidden(message.clone()).problem(),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if let WebError::App(AppError::Internal(cause)) = &self {
            // The chain names the failing operation; values never reach it
            // because queries bind parameters and sqlx does not echo them.
            tracing::error!(error = %cause, source = ?std::error::Error::source(cause), "request failed");
        }
        self.problem().into_response()
    }
}

/// The error code of [`AppError::PasswordChangeRequired`].
const PASSWORD_CHANGE_REQUIRED: &str = "password_change_required";

pub(crate) async fn not_found() -> WebError {
    WebError::NotFound("page")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Html,
    Json,
    Fhir,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    title: String,
    message: String,
}

fn fhir_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::CONFLICT => "conflict",
        StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => "forbidden",
        StatusCode::PAYLOAD_TOO_LARGE => "too-long",
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "invalid",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "not-supported",
        _ => "exception",
    }
}

fn body(problem: &Problem, format: Format) -> Response {
    match format {
        Format::Json => (problem.status, axum::Json(problem)).into_response(),
        Format::Fhir => {
            let issues: Vec<serde_json::Value> = if problem.fields.is_empty() {
                vec![serde_json::json!({
                    "severity": "error",
                    "code": fhir_code(problem.status),
                    "diagnostics": problem.message,
                })]
            } else {
                problem
                    .fields
                    .iter()
                    .map(|f| {
                        serde_json::json!({
                            "severity": "error",
                            "code": "invalid",
                            "diagnostics": f.message,
                            "expression": [f.field],
                        })
                    })
                    .collect()
            };
            let outcome = serde_json::json!({"resourceType": "OperationOutcome", "issue": issues});
            (
                problem.status,
                [(header::CONTENT_TYPE, "application/fhir+json")],
                outcome.to_string(),
            )
                .into_response()
        }
        Format::Html => {
            let title = problem
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string();
            let page = ErrorPage {
                layout: Layout::bare(),
                title,
                message: problem.message.clone(),
            };
            match page.render() {
                Ok(html) => (problem.status, Html(html)).into_response(),
                Err(_) => (problem.status, problem.message.clone()).into_response(),
            }
        }
    }
}

/// Writes the body of every error response that has none of its own.
pub(crate) async fn render(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let format = if path.starts_with("/api/") {
        Format::Json
    } else if path == "/fhir" || path.starts_with("/fhir/") {
        Format::Fhir
    } else {
        Format::Html
    };
    let resp = next.run(req).await;
    let Some(problem) = problem_of(&resp) else {
        return resp;
    };
    // A page needing a signed-in user sends a browser to the sign-in page;
    // the API answers 401 for its client to handle.
    if problem.status == StatusCode::UNAUTHORIZED && format == Format::Html {
        return axum::response::Redirect::to("/login").into_response();
    }
    // A session that must choose a new password is sent to the one page it
    // may use; the API answers 403 with the code saying so.
    if problem.error == PASSWORD_CHANGE_REQUIRED && format == Format::Html {
        return axum::response::Redirect::to("/login/password").into_response();
    }
    keep_headers(body(&problem, format), &resp)
}
