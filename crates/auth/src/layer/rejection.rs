//! Why the layer refused a request, and the default answer.

use crate::error::AuthError;
use http::HeaderValue;
use rampart_core::{Problem, Rejection, STORE_RETRY_AFTER_SECS};

/// The typed reason the JWT layer refused a request, attached to the
/// response's extensions for outer layers (audit) to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthRejection {
    /// What was wrong with the credential.
    pub error: AuthError,
}

impl Rejection for AuthRejection {
    fn to_problem(&self) -> Problem {
        match self.error {
            AuthError::StoreUnavailable => Problem::unavailable_retry_after(STORE_RETRY_AFTER_SECS)
                .with_detail("authentication is temporarily unavailable")
                .with_extension("code", self.error.code()),
            // RFC 6750 §3.1: a request without credentials gets a bare challenge.
            AuthError::Missing => Problem::unauthorized(HeaderValue::from_static("Bearer"))
                .with_detail("a bearer token is required")
                .with_extension("code", self.error.code()),
            other => {
                Problem::unauthorized(HeaderValue::from_static(r#"Bearer error="invalid_token""#))
                    .with_title("Invalid token")
                    .with_detail(other.to_string())
                    .with_extension("code", other.code())
            }
        }
    }
}
