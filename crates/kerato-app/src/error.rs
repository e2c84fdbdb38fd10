use kerato_domain::ValidationErrors;
use kerato_store::StoreError;

/// What a session that must change its password is told, page or API.
pub const PASSWORD_CHANGE_REQUIRED: &str = "choose a new password before anything else: the one you signed in with was chosen by someone else (on a page, go to /login/password; from the API, POST /api/account/password)";

/// What a use case can fail with. The web layer maps each to a status code
/// and a body; [`AppError::Internal`] text is logged, never shown.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid input: {0}")]
    Validation(ValidationErrors),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Unauthenticated(String),
    /// Signed in with a password someone else chose (the one `kerato init`
    /// printed, or an administrator's temporary one): choosing a new one
    /// is the only thing the session may do.
    #[error("{PASSWORD_CHANGE_REQUIRED}")]
    PasswordChangeRequired,
    #[error("{0}")]
    TooManyRequests(String),
    /// What was asked for existed but is no more: a used or expired link.
    #[error("{0}")]
    Gone(String),
    #[error("not ready: {0}")]
    NotReady(String),
    #[error("internal error: {0}")]
    Internal(#[source] StoreError),
}

impl AppError {
    /// Stored data that does not decode (a section that is not JSON, an
    /// unknown template): only a change outside Kerato can cause it.
    pub(crate) fn corrupt(what: impl std::fmt::Display) -> Self {
        Self::Internal(StoreError::Corrupt(what.to_string()))
    }
}

impl From<ValidationErrors> for AppError {
    fn from(e: ValidationErrors) -> Self {
        Self::Validation(e)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(message) => Self::Conflict(message),
            other => Self::Internal(other),
        }
    }
}
