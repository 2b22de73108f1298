//! The one error type of the domain. Transports map it to their own codes
//! (GraphQL `extensions.code`, HTTP status, CLI exit status).

/// What went wrong, in terms a client may be told — except `Internal`, whose text is only logged.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("authentication required")]
    Unauthenticated,
    #[error("you do not have permission to {0}")]
    Forbidden(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    BadInput(String),
    #[error("{0}")]
    Conflict(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// The database cannot be used (down, restarting, overloaded, disk full): worth retrying.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Too much at once (sign-ins queued for password hashing): retry in a moment.
    #[error("{0}")]
    Busy(String),
}

impl Error {
    pub fn bad_input(msg: impl Into<String>) -> Self {
        Error::BadInput(msg.into())
    }
    pub fn internal(err: impl std::fmt::Display) -> Self {
        Error::Internal(err.to_string())
    }
    /// The stable machine-readable code of this error, shared by every transport.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthenticated => "UNAUTHENTICATED",
            Error::Forbidden(_) => "FORBIDDEN",
            Error::NotFound(_) => "NOT_FOUND",
            Error::BadInput(_) => "BAD_USER_INPUT",
            Error::Conflict(_) => "CONFLICT",
            Error::Internal(_) => "INTERNAL",
            Error::Unavailable(_) => "UNAVAILABLE",
            Error::Busy(_) => "TOO_MANY_REQUESTS",
        }
    }
    /// Log what only operators may see: internal detail, and why the database is unavailable.
    pub fn log(&self, context: &str) {
        match self {
            Error::Internal(detail) => tracing::error!(error = %detail, "{context}"),
            Error::Unavailable(detail) => tracing::warn!(error = %detail, "{context}"),
            _ => {}
        }
    }
    /// The message a client may see: everything but internal detail.
    pub fn public_message(&self) -> String {
        match self {
            Error::Internal(_) => "internal error".to_string(),
            Error::Unavailable(_) => {
                "temporarily unavailable: the database cannot be used right now; try again shortly".to_string()
            }
            other => other.to_string(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
