//! Why the guard refused a request, and the default answer.

use crate::{Category, guard::Location};
use rampart_core::{Problem, Rejection};
use std::sync::Arc;

/// A request refused by [`crate::InputGuardLayer`], attached to the
/// response's extensions for outer layers (audit) to read.
///
/// Neither the response nor this value holds the refused input: only where
/// it was, its parameter name (when that name is a plain identifier) and
/// the category of attack.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GuardRejection {
    /// A value matched a detector: `400`.
    Attack {
        /// Where the value was.
        location: Location,
        /// The parameter, key, cookie or header name (`(unnamed)` when the
        /// name itself is not a plain identifier).
        parameter: Arc<str>,
        /// The class of attack.
        category: Category,
        /// The detector's fingerprint of the match.
        fingerprint: Arc<str>,
    },
    /// The body is larger than the guard buffers: `413`.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A value could not be parsed (invalid JSON, an unreadable body), so it
    /// cannot be known to be clean: `400`.
    Unreadable {
        /// Where.
        location: Location,
        /// What was wrong, for the client (never the input).
        reason: &'static str,
    },
}

impl Rejection for GuardRejection {
    fn to_problem(&self) -> Problem {
        match self {
            GuardRejection::Attack {
                location,
                parameter,
                category,
                ..
            } => Problem::bad_request()
                .with_title("Input refused")
                .with_detail(format!(
                    "{} parameter `{parameter}` looks like {}; change the value and retry",
                    location.as_str(),
                    category.as_str().replace('_', " "),
                ))
                .with_extension("parameter", parameter.as_ref())
                .with_extension("location", location.as_str())
                .with_extension("category", category.as_str()),
            GuardRejection::TooLarge { limit } => Problem::payload_too_large()
                .with_detail(format!("the request body is larger than {limit} bytes")),
            GuardRejection::Unreadable { location, reason } => Problem::bad_request()
                .with_detail(format!(
                    "the {} could not be read: {reason}",
                    location.as_str()
                ))
                .with_extension("location", location.as_str()),
        }
    }
}
