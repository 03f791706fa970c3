//! The response future of [`super::SecurityHeadersService`].

use crate::{CspNonce, SecurityHeaders};
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

pin_project! {
    /// Applies the security headers once the inner response is ready.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        headers: Arc<SecurityHeaders>,
        nonce: Option<CspNonce>,
    }
}

impl<F> ResponseFuture<F> {
    pub(super) fn new(inner: F, headers: Arc<SecurityHeaders>, nonce: Option<CspNonce>) -> Self {
        Self {
            inner,
            headers,
            nonce,
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<http::Response<B>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        this.headers
            .apply(response.headers_mut(), this.nonce.as_ref());
        Poll::Ready(Ok(response))
    }
}
