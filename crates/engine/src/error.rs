//! The engine's one error type. The HTTP layer alone turns it into authentik's bodies.

use domain::errors::FieldErrors;
use domain::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// 400 with a DRF validation body.
    #[error("validation failed")]
    Validation(FieldErrors),
    /// 400 with a bare JSON value as body (authentik's `attributes` filter errors are arrays).
    #[error("bad request")]
    BadRequestBody(serde_json::Value),
    /// 400 with an empty body (a few authentik actions answer like this).
    #[error("bad request")]
    BadRequestEmpty,
    /// 403 with `{"detail": ...}`.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// 404 `{"detail": "Not found."}`.
    #[error("not found")]
    NotFound,
    /// 404 `{"detail": "Invalid page."}`.
    #[error("invalid page")]
    InvalidPage,
    /// 405 for a method the route does not support.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 503: the database cannot be reached.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected database failure. Logged, never shown in detail.
    #[error("internal error: {0}")]
    Internal(String),
}

pub const NO_CREDENTIALS: &str = "Authentication credentials were not provided.";
pub const TOKEN_INVALID: &str = "Token invalid/expired";
pub const UNSUPPORTED_AUTH: &str = "Unsupported authentication type";
pub const NO_PERMISSION: &str = "You do not have permission to perform this action.";

impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(m) => EngineError::Unavailable(m),
            other => EngineError::Internal(other.to_string()),
        }
    }
}

impl From<FieldErrors> for EngineError {
    fn from(e: FieldErrors) -> Self {
        EngineError::Validation(e)
    }
}

pub type EngineResult<T> = Result<T, EngineError>;
