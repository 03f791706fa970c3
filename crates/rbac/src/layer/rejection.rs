//! Why `RequirePermission` refused a request.

use crate::Decision;
use http::HeaderValue;
use rampart_core::{Problem, Rejection, STORE_RETRY_AFTER_SECS};

/// The reason a request was refused, attached to the refusal's response
/// extensions so outer layers (audit) can read it. The client sees only a
/// generic problem.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PermissionRejection {
    /// No `Principal` in the request: the route is protected but the request is
    /// not authenticated (or the auth layer is missing). 401.
    Unauthenticated,
    /// The authorizer denied the action. 403.
    Denied(Decision),
    /// The resource could not be determined from the request (a path parameter or
    /// the extractor closure gave nothing), so nothing can be allowed. 403.
    UnknownResource,
    /// A role or grant store failed and the authorizer fails closed. 503.
    StoreUnavailable,
    /// A path parameter is not UTF-8 once percent-decoded, so no resource can be
    /// named from it (axum's router refuses such a parameter with 400 too). 400.
    MalformedPath,
    /// A query parameter the resource is read from is repeated or is not UTF-8
    /// once decoded, so which value the handler would act on is uncertain. 400.
    MalformedQuery,
}

impl Rejection for PermissionRejection {
    fn to_problem(&self) -> Problem {
        match self {
            PermissionRejection::Unauthenticated => {
                Problem::unauthorized(HeaderValue::from_static("Bearer"))
                    .with_detail("Authentication is required.")
            }
            PermissionRejection::Denied(_) | PermissionRejection::UnknownResource => {
                Problem::forbidden()
                    .with_detail("You do not have permission to perform this action.")
            }
            PermissionRejection::MalformedPath => Problem::bad_request()
                .with_detail("A path parameter is not valid UTF-8 once percent-decoded."),
            PermissionRejection::MalformedQuery => Problem::bad_request().with_detail(
                "A query parameter is repeated or not valid UTF-8 once percent-decoded.",
            ),
            PermissionRejection::StoreUnavailable => {
                Problem::unavailable_retry_after(STORE_RETRY_AFTER_SECS)
                    .with_detail("Authorization is temporarily unavailable; try again later.")
            }
        }
    }
}
