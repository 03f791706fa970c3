//! Problem JSON for the router's own refusals (unknown route, wrong method).

use axum::response::Response;
use http::StatusCode;
use rampart_core::Problem;

/// `404` for every path without a route.
pub async fn not_found() -> Response {
    Problem::not_found()
        .with_detail("no resource at this path")
        .into_response()
}

/// `405` for a known path with another method.
pub async fn method_not_allowed() -> Response {
    Problem::new(StatusCode::METHOD_NOT_ALLOWED)
        .with_detail("this path does not accept the method")
        .into_response()
}
