//! The site's use-case error, the problem it becomes (`kerato_http`'s,
//! shared with the clinic) and the page that problem is shown on.

use askama::Template;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kerato_core::ValidationErrors;
use kerato_db::StoreError;
use kerato_http::problem::{HttpError, Problem, keep_headers, problem_of};

/// What can go wrong in a use case or a request, each with the sentence a
/// visitor can act on. Internal errors are logged and shown without detail.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Validation(ValidationErrors),
    #[error("{0}")]
    Forbidden(String),
    #[error("there is no such page")]
    NotFound,
    #[error("the form is larger than {} KiB; shorten the text and send it again", .0 / 1024)]
    TooLarge(usize),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("sign in to continue")]
    SignIn,
    #[error("enter the code from your authenticator app to finish signing in")]
    SecondFactor,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("the site could not complete this request; try again in a minute")]
    Store(#[from] StoreError),
    #[error("the site could not complete this request; try again in a minute")]
    Internal(String),
}

impl From<sqlx::Error> for SiteError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(e))
    }
}

impl From<ValidationErrors> for SiteError {
    fn from(e: ValidationErrors) -> Self {
        Self::Validation(e)
    }
}

/// The shared extractors' refusals, as the variants of the same names.
impl From<HttpError> for SiteError {
    fn from(e: HttpError) -> Self {
        match e {
            HttpError::BadRequest(m) => Self::BadRequest(m),
            HttpError::UnsupportedMediaType(m) => Self::UnsupportedMediaType(m),
            HttpError::PayloadTooLarge(limit) => Self::TooLarge(limit),
            HttpError::Validation(errors) => Self::Validation(errors),
            HttpError::Forbidden(m) => Self::Forbidden(m),
        }
    }
}

impl SiteError {
    /// The status and stable code of the problem this error is, with the
    /// error's own sentence as the message.
    pub fn problem(&self) -> Problem {
        let (status, code) = match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Validation(errors) => {
                return Problem {
                    message: self.to_string(),
                    ..Problem::validation(errors)
                };
            }
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Self::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::SignIn => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Self::SecondFactor => (StatusCode::UNAUTHORIZED, "second_factor"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::Gone(_) => (StatusCode::GONE, "gone"),
            Self::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            Self::Store(_) | Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        Problem::new(status, code, self.to_string())
    }
}

impl IntoResponse for SiteError {
    fn into_response(self) -> Response {
        match &self {
            Self::SignIn => return Redirect::to("/login").into_response(),
            Self::SecondFactor => return Redirect::to("/login/mfa").into_response(),
            Self::Store(e) => tracing::error!(error = %e, "site request failed in the database"),
            Self::Internal(e) => tracing::error!(error = %e, "site request failed"),
            _ => {}
        }
        self.problem().into_response()
    }
}

pub(crate) async fn not_found() -> SiteError {
    SiteError::NotFound
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    title: &'static str,
    message: String,
}

/// The heading of the error page for a status.
fn title(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "This request cannot be used",
        StatusCode::UNPROCESSABLE_ENTITY => "Some fields need attention",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::METHOD_NOT_ALLOWED => "Not available this way",
        StatusCode::PAYLOAD_TOO_LARGE => "Too much text",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "This form was not sent from its page",
        StatusCode::CONFLICT => "Already done",
        StatusCode::GONE => "This link no longer works",
        StatusCode::TOO_MANY_REQUESTS => "Please wait",
        s if s.is_server_error() => "Something went wrong",
        _ => "This request cannot be used",
    }
}

/// Writes the error page of every error response that has no body of its
/// own: the site's errors, the shared extractors' refusals and axum's own
/// rejections alike.
pub(crate) async fn render(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let Some(problem) = problem_of(&resp) else {
        return resp;
    };
    let page = ErrorPage {
        status: problem.status.as_u16(),
        title: title(problem.status),
        message: problem.message.clone(),
    };
    let body = match page.render() {
        Ok(html) => (problem.status, Html(html)).into_response(),
        Err(_) => (problem.status, problem.message).into_response(),
    };
    keep_headers(body, &resp)
}
