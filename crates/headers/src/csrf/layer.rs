//! [`CsrfLayer`]: the tower adapter over [`CsrfPolicy`].

use super::{CsrfPolicy, CsrfRejection};
use crate::guard_future::GuardFuture;
use rampart_core::{
    EventKind, ProblemResponse, RejectionResponse, SecurityEvent, SharedSink, TracingSink, reject,
};
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_layer::Layer;
use tower_service::Service;

/// Refuses cross-site unsafe requests with `403` problem JSON and reports each
/// refusal as a [`EventKind::CsrfRejected`] event.
///
/// ```
/// use axum::{Router, routing::post};
/// use rampart::headers::{CsrfLayer, CsrfPolicy};
///
/// # fn build() -> Result<Router, rampart::headers::ConfigError> {
/// let app: Router = Router::new()
///     .route("/transfer", post(|| async { "done" }))
///     .layer(CsrfLayer::new(
///         CsrfPolicy::builder().trust_origin("https://app.example.com").build()?,
///     ));
/// # Ok(app) }
/// # build().unwrap();
/// ```
#[derive(Clone)]
pub struct CsrfLayer<R = ProblemResponse> {
    policy: Arc<CsrfPolicy>,
    sink: SharedSink,
    responder: R,
}

impl CsrfLayer {
    /// A layer enforcing `policy`, reporting to `tracing`.
    pub fn new(policy: CsrfPolicy) -> Self {
        Self {
            policy: Arc::new(policy),
            sink: TracingSink::shared(),
            responder: ProblemResponse,
        }
    }
}

impl<R> CsrfLayer<R> {
    /// Reports refusals to `sink` (default: `tracing`).
    #[must_use]
    pub fn event_sink(mut self, sink: SharedSink) -> Self {
        self.sink = sink;
        self
    }

    /// Answers refusals with `responder` instead of problem JSON.
    pub fn with_response<T>(self, responder: T) -> CsrfLayer<T> {
        CsrfLayer {
            policy: self.policy,
            sink: self.sink,
            responder,
        }
    }
}

impl<R> std::fmt::Debug for CsrfLayer<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsrfLayer")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl<S, R: Clone> Layer<S> for CsrfLayer<R> {
    type Service = CsrfService<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        CsrfService {
            inner,
            policy: Arc::clone(&self.policy),
            sink: Arc::clone(&self.sink),
            responder: self.responder.clone(),
        }
    }
}

/// The service made by [`CsrfLayer`].
#[derive(Clone)]
pub struct CsrfService<S, R = ProblemResponse> {
    inner: S,
    policy: Arc<CsrfPolicy>,
    sink: SharedSink,
    responder: R,
}

impl<S, R> std::fmt::Debug for CsrfService<S, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsrfService").finish_non_exhaustive()
    }
}

impl<S, R, ReqBody, ResBody> Service<http::Request<ReqBody>> for CsrfService<S, R>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    R: RejectionResponse<CsrfRejection, ResBody>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = CsrfFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        match self
            .policy
            .check(request.method(), request.uri(), request.headers())
        {
            Ok(()) => GuardFuture::inner(self.inner.call(request)),
            Err(rejection) => {
                self.sink.emit(
                    SecurityEvent::new(
                        EventKind::CsrfRejected,
                        "rampart::headers",
                        rejection.reason.as_str(),
                    )
                    .with_request_context(request.extensions())
                    .with_field("method", request.method().as_str())
                    .with_field("path", request.uri().path()),
                );
                tracing::debug!(target: "rampart::headers", reason = rejection.reason.as_str(), "cross-site request refused");
                GuardFuture::answered(reject(&self.responder, rejection))
            }
        }
    }
}

/// The response future of [`CsrfService`].
pub type CsrfFuture<F, B> = GuardFuture<F, B>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CsrfReason;
    use bytes::Bytes;
    use http::{Request, Response, StatusCode};
    use rampart_core::{EventKind, MemorySink};
    use std::future::{Ready, ready};
    use std::task::Waker;

    /// An inner service whose readiness the test sets, counting its calls.
    struct Gate {
        ready: Poll<Result<(), &'static str>>,
        calls: usize,
    }

    impl Service<Request<()>> for Gate {
        type Response = Response<Bytes>;
        type Error = &'static str;
        type Future = Ready<Result<Response<Bytes>, &'static str>>;

        fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            self.ready
        }

        fn call(&mut self, _request: Request<()>) -> Self::Future {
            self.calls += 1;
            ready(Ok(Response::new(Bytes::from_static(b"inner"))))
        }
    }

    fn service(ready: Poll<Result<(), &'static str>>, sink: &MemorySink) -> CsrfService<Gate> {
        CsrfLayer::new(CsrfPolicy::new())
            .event_sink(Arc::new(sink.clone()))
            .layer(Gate { ready, calls: 0 })
    }

    fn poll_ready(service: &mut CsrfService<Gate>) -> Poll<Result<(), &'static str>> {
        service.poll_ready(&mut Context::from_waker(Waker::noop()))
    }

    fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
        let mut future = std::pin::pin!(future);
        future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn readiness_is_the_inner_services() {
        let sink = MemorySink::new();
        assert_eq!(
            poll_ready(&mut service(Poll::Pending, &sink)),
            Poll::Pending
        );
        assert_eq!(
            poll_ready(&mut service(Poll::Ready(Err("overloaded")), &sink)),
            Poll::Ready(Err("overloaded"))
        );
        assert_eq!(
            poll_ready(&mut service(Poll::Ready(Ok(())), &sink)),
            Poll::Ready(Ok(()))
        );
    }

    #[test]
    fn a_refusal_answers_at_once_without_calling_the_inner_service() {
        let sink = MemorySink::new();
        let mut csrf = service(Poll::Ready(Ok(())), &sink);
        let request = Request::post("/transfer")
            .header("sec-fetch-site", "cross-site")
            .body(())
            .unwrap();
        let mut future = std::pin::pin!(csrf.call(request));
        let Poll::Ready(Ok(response)) = future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        else {
            panic!("a refusal is ready at once");
        };
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            response
                .extensions()
                .get::<CsrfRejection>()
                .map(|r| r.reason),
            Some(CsrfReason::CrossSite)
        );
        assert_eq!(csrf.inner.calls, 0);
        assert_eq!(sink.count(EventKind::CsrfRejected), 1);

        let allowed = Request::post("/transfer")
            .header("sec-fetch-site", "same-origin")
            .body(())
            .unwrap();
        let Poll::Ready(Ok(response)) = poll_once(csrf.call(allowed)) else {
            panic!("the inner service is ready at once");
        };
        assert_eq!(response.body().as_ref(), b"inner");
        assert_eq!(csrf.inner.calls, 1);
        assert_eq!(sink.count(EventKind::CsrfRejected), 1);
    }

    #[test]
    fn debug_names_the_type_and_shows_the_policy_only() {
        let layer = CsrfLayer::new(
            CsrfPolicy::builder()
                .trust_origin("https://app.example.com")
                .build()
                .unwrap(),
        );
        let text = format!("{layer:?}");
        assert!(text.starts_with("CsrfLayer"), "{text}");
        assert!(text.contains("https://app.example.com"), "{text}");
        let service = layer.layer(());
        assert_eq!(format!("{service:?}"), "CsrfService { .. }");
    }
}
