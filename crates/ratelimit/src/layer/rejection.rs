//! Why the layer refused a request, and the default answer.

use rampart_core::{Problem, Rejection, STORE_RETRY_AFTER_SECS};
use std::sync::Arc;

/// A request refused by [`super::RateLimitLayer`], attached to the response's
/// extensions for outer layers (audit) to read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RateLimitRejection {
    /// A limit refused the request: `429` with `Retry-After`.
    Limited {
        /// The limit that refused (`ip`, `user`...).
        limit: Arc<str>,
        /// Seconds until a retry may pass (at least 1).
        retry_after_secs: u64,
    },
    /// The store failed and the limiter fails closed: `503` with `Retry-After`.
    Unavailable,
}

impl Rejection for RateLimitRejection {
    fn to_problem(&self) -> Problem {
        match self {
            RateLimitRejection::Limited {
                retry_after_secs, ..
            } => Problem::too_many_requests(*retry_after_secs).with_detail(
                "request rate limit exceeded; retry after the time given in Retry-After",
            ),
            RateLimitRejection::Unavailable => {
                Problem::unavailable_retry_after(STORE_RETRY_AFTER_SECS)
                    .with_detail("rate limiting is temporarily unavailable")
            }
        }
    }
}
