//! One id per request, time-ordered, propagated to the response.
//!
//! Built on tower-http's request-id middleware; rampart only supplies the id
//! generator (UUIDv7, so ids sort by creation time in logs and audit trails)
//! and a single layer that both sets and propagates the header.

use http::{HeaderName, HeaderValue, Request};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestId, PropagateRequestIdLayer, SetRequestId, SetRequestIdLayer,
};
use tower_layer::Layer;

pub use tower_http::request_id::RequestId;

/// The header carrying the request id: `x-request-id`.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Generates UUIDv7 request ids: unique, and sortable by the time they were made.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeOrderedRequestId;

impl MakeRequestId for TimeOrderedRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let mut buf = uuid::Uuid::encode_buffer();
        let text = uuid::Uuid::now_v7().hyphenated().encode_lower(&mut buf);
        HeaderValue::from_str(text).ok().map(RequestId::new)
    }
}

/// Sets `x-request-id` on requests that lack one and copies it to the response.
///
/// An id the client (or an upstream proxy) already sent is kept, as tower-http
/// does, so a trace can cross services.
///
/// ```
/// use rampart_core::{RequestIdLayer, request_id};
/// use tower::{ServiceExt, service_fn, Layer};
/// use http::{Request, Response};
///
/// # tokio_test_block_on(async {
/// let svc = RequestIdLayer::new().layer(service_fn(|req: Request<()>| async move {
///     let id = request_id(req.extensions()).unwrap_or_default().to_owned();
///     Ok::<_, std::convert::Infallible>(Response::new(id))
/// }));
/// let response = svc.oneshot(Request::new(())).await.unwrap();
/// let header = response.headers()["x-request-id"].to_str().unwrap().to_owned();
/// assert_eq!(response.body(), &header);
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct RequestIdLayer {
    _private: (),
}

impl RequestIdLayer {
    /// The layer with UUIDv7 ids in `x-request-id`.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<S> Layer<S> for RequestIdLayer {
    type Service = SetRequestId<PropagateRequestId<S>, TimeOrderedRequestId>;

    fn layer(&self, inner: S) -> Self::Service {
        let propagate = PropagateRequestIdLayer::new(REQUEST_ID_HEADER).layer(inner);
        SetRequestIdLayer::new(REQUEST_ID_HEADER, TimeOrderedRequestId).layer(propagate)
    }
}

/// The request id stored in `extensions` by [`RequestIdLayer`], if any.
pub fn request_id(extensions: &http::Extensions) -> Option<&str> {
    extensions
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_time_ordered() {
        let mut make = TimeOrderedRequestId;
        let request = Request::new(());
        let ids: Vec<String> = (0..1000)
            .map(|_| {
                let id = make.make_request_id(&request).unwrap();
                id.header_value().to_str().unwrap().to_owned()
            })
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len(), "ids repeat");
        assert_eq!(sorted, ids, "ids are not in creation order");
        assert_eq!(ids[0].len(), 36);
    }
}
