//! Per-request time limits: how long a client may take to send a body, and
//! how long a request may take in all. The connection-level limits (header
//! read timeout, connection count) are in [`crate::serve`].

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use rampart_core::Problem;
use std::time::Duration;
use tower_http::timeout::DeadlineBody;

/// The two limits the middleware applies.
#[derive(Debug, Clone, Copy)]
pub struct RequestTimeouts {
    /// From the end of the headers to the end of the body; a body still
    /// arriving after this fails to read, and the body extractor answers `408`.
    pub body: Duration,
    /// From the end of the headers to the response; then `503`.
    pub request: Duration,
}

/// Middleware (`axum::middleware::from_fn_with_state`): a body deadline,
/// because a client trickling a body one byte at a time holds a task and
/// its buffer for as long as it likes; and a deadline on the whole request,
/// because no handler should hold a connection without bound either.
pub async fn limit(
    State(limits): State<RequestTimeouts>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let request = Request::from_parts(parts, Body::new(DeadlineBody::new(limits.body, body)));
    match tokio::time::timeout(limits.request, next.run(request)).await {
        Ok(response) => response,
        Err(_) => Problem::unavailable()
            .with_title("Request timed out")
            .with_detail("the request took too long to complete; try again")
            .into_response(),
    }
}
