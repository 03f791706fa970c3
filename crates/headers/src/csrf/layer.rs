//! [`CsrfLayer`]: the tower adapter over [`CsrfPolicy`].

use super::{CsrfPolicy, CsrfRejection};
use pin_project_lite::pin_project;
use rampart_core::{
    EventKind, ProblemResponse, RejectionResponse, SecurityEvent, SharedSink, TracingSink, reject,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_layer::Layer;
use tower_service::Service;

/// Refuses cross-site unsafe requests with `403` problem JSON and reports each
/// refusal as a [`EventKind::CsrfRejected`] event.
///
/// ```
/// use axum::{Router, routing::post};
/// use rampart_headers::{CsrfLayer, CsrfPolicy};
///
/// # fn build() -> Result<Router, rampart_headers::ConfigError> {
/// let app: Router = Router::new()
///     .route("/transfer", post(|| async { "done" }))
///     .layer(CsrfLayer::new(CsrfPolicy::new().trust_origin("https://app.example.com")?));
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
    pub fn with_sink(mut self, sink: SharedSink) -> Self {
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
            Ok(()) => CsrfFuture::inner(self.inner.call(request)),
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
                CsrfFuture::rejected(reject(&self.responder, rejection))
            }
        }
    }
}

pin_project! {
    /// The response future of [`CsrfService`].
    pub struct CsrfFuture<F, B> {
        #[pin]
        state: State<F, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B> {
        Inner { #[pin] inner: F },
        Rejected { response: Option<http::Response<B>> },
    }
}

impl<F, B> CsrfFuture<F, B> {
    fn inner(inner: F) -> Self {
        Self {
            state: State::Inner { inner },
        }
    }

    fn rejected(response: http::Response<B>) -> Self {
        Self {
            state: State::Rejected {
                response: Some(response),
            },
        }
    }
}

impl<F, B, E> Future for CsrfFuture<F, B>
where
    F: Future<Output = Result<http::Response<B>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Inner { inner } => inner.poll(cx),
            StateProj::Rejected { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                None => Poll::Pending,
            },
        }
    }
}
