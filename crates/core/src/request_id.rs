//! One id per request, time-ordered, propagated to the response.
//!
//! Built on tower-http's request-id middleware; rampart only supplies the id
//! generator (UUIDv7, so ids sort by creation time in logs and audit trails)
//! and a single layer that both sets and propagates the header.

use http::{HeaderName, HeaderValue, Request};
use std::task::{Context, Poll};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestId, PropagateRequestIdLayer, SetRequestId, SetRequestIdLayer,
};
use tower_layer::Layer;
use tower_service::Service;

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
/// does, so a trace can cross services, provided it looks like an id: at most
/// 128 characters of letters, digits, `-`, `_`, `.` and `:`. Anything else is
/// replaced by a fresh id, so a client cannot push arbitrary text into every
/// log line and audit record of its request.
///
/// ```
/// use rampart::core::{RequestIdLayer, request_id};
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
    type Service = RequestIdService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        let propagate = PropagateRequestIdLayer::new(REQUEST_ID_HEADER).layer(inner);
        RequestIdService {
            inner: SetRequestIdLayer::new(REQUEST_ID_HEADER, TimeOrderedRequestId).layer(propagate),
        }
    }
}

/// The service made by [`RequestIdLayer`]: drops an incoming id that does not
/// look like one, then lets tower-http set and propagate the header.
#[derive(Debug, Clone)]
pub struct RequestIdService<S> {
    inner: SetRequestId<PropagateRequestId<S>, TimeOrderedRequestId>,
}

impl<S, B, ResB> Service<Request<B>> for RequestIdService<S>
where
    S: Service<Request<B>, Response = http::Response<ResB>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future =
        <SetRequestId<PropagateRequestId<S>, TimeOrderedRequestId> as Service<Request<B>>>::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let acceptable = request
            .headers()
            .get(&REQUEST_ID_HEADER)
            .is_none_or(|id| is_acceptable_id(id.as_bytes()));
        if !acceptable {
            request.headers_mut().remove(&REQUEST_ID_HEADER);
        }
        self.inner.call(request)
    }
}

fn is_acceptable_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
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

    #[tokio::test]
    async fn client_ids_are_kept_only_when_they_look_like_ids() {
        use tower::{ServiceExt, service_fn};
        let svc = RequestIdLayer::new().layer(service_fn(|req: Request<()>| async move {
            let id = request_id(req.extensions()).unwrap_or_default().to_owned();
            Ok::<_, std::convert::Infallible>(http::Response::new(id))
        }));
        let send = |id: &str| {
            let request = Request::builder()
                .header("x-request-id", id)
                .body(())
                .unwrap();
            svc.clone().oneshot(request)
        };
        let kept = send("trace-01J:abc.def_9").await.unwrap();
        assert_eq!(kept.body(), "trace-01J:abc.def_9");
        assert_eq!(kept.headers()["x-request-id"], "trace-01J:abc.def_9");
        let too_long = "x".repeat(129);
        for bad in ["has space", "quote\"", "<script>", too_long.as_str()] {
            let replaced = send(bad).await.unwrap();
            assert_eq!(replaced.body().len(), 36, "{bad:?} was kept");
            assert_eq!(replaced.headers()["x-request-id"], replaced.body().as_str());
        }
    }

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
