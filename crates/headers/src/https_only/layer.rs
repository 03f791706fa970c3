//! [`HttpsOnlyLayer`]: the tower adapter over [`HttpsOnly`].

use super::{HttpsOnly, HttpsRequired};
use crate::guard_future::GuardFuture;
use rampart_core::{ProblemResponse, RejectionResponse, reject};
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_layer::Layer;
use tower_service::Service;

/// Redirects or refuses plain-HTTP requests before anything else reads them.
///
/// Put it outermost but for the security headers: a plain-HTTP request should
/// reach no authentication, rate limit or handler. Turn it off for local
/// development over `http://localhost` (the reference stack does), not by
/// trusting every proxy.
///
/// ```
/// use axum::{Router, routing::get};
/// use rampart::core::TrustedProxies;
/// use rampart::headers::{HttpsOnly, HttpsOnlyLayer};
///
/// # fn build() -> Result<Router, Box<dyn std::error::Error>> {
/// let https = HttpsOnly::new()
///     .trusted_proxies(TrustedProxies::new(["10.0.0.0/8"])?)
///     .canonical_host("api.example.com")?;
/// let app: Router = Router::new()
///     .route("/items", get(|| async { "[]" }))
///     .layer(HttpsOnlyLayer::new(https));
/// # Ok(app) }
/// # build().unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct HttpsOnlyLayer<R = ProblemResponse> {
    policy: Arc<HttpsOnly>,
    responder: R,
}

impl HttpsOnlyLayer {
    /// A layer enforcing `policy`.
    pub fn new(policy: HttpsOnly) -> Self {
        Self {
            policy: Arc::new(policy),
            responder: ProblemResponse,
        }
    }
}

impl<R> HttpsOnlyLayer<R> {
    /// Answers with `responder` instead of problem JSON (the redirect's
    /// `Location` is on the problem's headers).
    pub fn with_response<T>(self, responder: T) -> HttpsOnlyLayer<T> {
        HttpsOnlyLayer {
            policy: self.policy,
            responder,
        }
    }
}

impl<S, R: Clone> Layer<S> for HttpsOnlyLayer<R> {
    type Service = HttpsOnlyService<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        HttpsOnlyService {
            inner,
            policy: Arc::clone(&self.policy),
            responder: self.responder.clone(),
        }
    }
}

/// The service made by [`HttpsOnlyLayer`].
#[derive(Debug, Clone)]
pub struct HttpsOnlyService<S, R = ProblemResponse> {
    inner: S,
    policy: Arc<HttpsOnly>,
    responder: R,
}

/// The response future of [`HttpsOnlyService`].
pub type HttpsOnlyFuture<F, B> = GuardFuture<F, B>;

impl<S, R, ReqBody, ResBody> Service<http::Request<ReqBody>> for HttpsOnlyService<S, R>
where
    S: Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    R: RejectionResponse<HttpsRequired, ResBody>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = HttpsOnlyFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        match self.policy.check(&request) {
            Ok(()) => GuardFuture::inner(self.inner.call(request)),
            Err(answer) => {
                tracing::debug!(target: "rampart::headers", status = answer.status().as_u16(), "plain-HTTP request answered");
                GuardFuture::answered(reject(&self.responder, answer))
            }
        }
    }
}
