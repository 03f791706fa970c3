//! [`SecurityHeadersLayer`]: the tower adapter over [`SecurityHeaders`].

mod future;

pub use future::ResponseFuture;

use crate::{CspNonce, SecurityHeaders};
use http::Request;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_layer::Layer;
use tower_service::Service;

/// Sets security headers on every response of the wrapped service, including
/// the error responses it and the layers inside it produce.
///
/// Place it outermost, so that rejections from inner layers (401, 403, 429)
/// carry the headers too. When the policy uses a nonce, a fresh [`CspNonce`]
/// is inserted into each request's extensions for the handler to use.
///
/// ```
/// use axum::{Router, routing::get, Extension};
/// use rampart::headers::{CspNonce, SecurityHeaders, SecurityHeadersLayer};
///
/// async fn page(Extension(nonce): Extension<CspNonce>) -> String {
///     format!("<script nonce=\"{nonce}\">start()</script>")
/// }
///
/// # fn build() -> Result<Router, rampart::headers::ConfigError> {
/// let app = Router::new()
///     .route("/", get(page))
///     .layer(SecurityHeadersLayer::new(SecurityHeaders::spa().build()?));
/// # Ok(app) }
/// # build().unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct SecurityHeadersLayer {
    headers: Arc<SecurityHeaders>,
}

impl SecurityHeadersLayer {
    /// A layer applying `headers`.
    pub fn new(headers: SecurityHeaders) -> Self {
        Self {
            headers: Arc::new(headers),
        }
    }
}

impl<S> Layer<S> for SecurityHeadersLayer {
    type Service = SecurityHeadersService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SecurityHeadersService {
            inner,
            headers: Arc::clone(&self.headers),
        }
    }
}

/// The service made by [`SecurityHeadersLayer`].
#[derive(Debug, Clone)]
pub struct SecurityHeadersService<S> {
    inner: S,
    headers: Arc<SecurityHeaders>,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SecurityHeadersService<S>
where
    S: Service<Request<ReqBody>, Response = http::Response<ResBody>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let nonce = self.headers.uses_nonce().then(|| {
            let nonce = CspNonce::generate();
            request.extensions_mut().insert(nonce);
            nonce
        });
        ResponseFuture::new(self.inner.call(request), Arc::clone(&self.headers), nonce)
    }
}
