//! The response future of a layer that either passes a request on or answers
//! it itself (a refusal, a redirect).

use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pin_project! {
    /// The inner service's future, or a response the layer made without
    /// calling it.
    pub struct GuardFuture<F, B> {
        #[pin]
        state: State<F, B>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B> {
        Inner { #[pin] inner: F },
        Answered { response: Option<http::Response<B>> },
    }
}

impl<F, B> GuardFuture<F, B> {
    pub(crate) fn inner(inner: F) -> Self {
        Self {
            state: State::Inner { inner },
        }
    }

    pub(crate) fn answered(response: http::Response<B>) -> Self {
        Self {
            state: State::Answered {
                response: Some(response),
            },
        }
    }
}

impl<F, B> std::fmt::Debug for GuardFuture<F, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardFuture").finish_non_exhaustive()
    }
}

impl<F, B, E> Future for GuardFuture<F, B>
where
    F: Future<Output = Result<http::Response<B>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Inner { inner } => inner.poll(cx),
            StateProj::Answered { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                None => Poll::Pending,
            },
        }
    }
}
