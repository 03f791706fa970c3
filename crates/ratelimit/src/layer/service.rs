//! The service `RateLimitLayer` wraps around the inner one.

use super::headers::{FixedPolicy, HeaderOptions, RateLimitHeaders, headers};
use super::rejection::RateLimitRejection;
use crate::decision::{Decision, Verdict, ceil_secs};
use crate::{KeyContext, RateLimiter};
use http::{Request, Response};
use pin_project_lite::pin_project;
use rampart_core::{RejectionResponse, reject};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use tower_service::Service;

/// The service built by [`super::RateLimitLayer`].
#[derive(Clone)]
pub struct RateLimitService<S, R> {
    inner: S,
    limiter: RateLimiter,
    options: HeaderOptions,
    fixed: Option<Arc<FixedPolicy>>,
    responder: R,
}

impl<S, R> std::fmt::Debug for RateLimitService<S, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimitService")
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}

impl<S, R> RateLimitService<S, R> {
    pub(crate) fn new(
        inner: S,
        limiter: RateLimiter,
        options: HeaderOptions,
        responder: R,
    ) -> Self {
        Self {
            fixed: FixedPolicy::of(limiter.limits()).map(Arc::new),
            inner,
            limiter,
            options,
            responder,
        }
    }
}

type BoxedFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

pin_project! {
    /// The response future of [`RateLimitService`]: the inner future when the
    /// limiter decided in memory, a boxed one when a remote store was awaited.
    pub struct ResponseFuture<F, B, E> {
        #[pin]
        state: State<F, B, E>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B, E> {
        Inner { #[pin] future: F, headers: Option<RateLimitHeaders> },
        Refused { response: Option<Response<B>> },
        Remote { future: BoxedFuture<Response<B>, E> },
    }
}

impl<F, B, E> Future for ResponseFuture<F, B, E>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Inner { future, headers } => {
                let mut response = ready!(future.poll(cx))?;
                if let Some(h) = headers.take() {
                    add_headers(&mut response, h);
                }
                Poll::Ready(Ok(response))
            }
            StateProj::Refused { response } => match response.take() {
                Some(r) => Poll::Ready(Ok(r)),
                None => panic!("ResponseFuture polled after completion"),
            },
            StateProj::Remote { future } => future.as_mut().poll(cx),
        }
    }
}

fn add_headers<B>(response: &mut Response<B>, headers: RateLimitHeaders) {
    let map = response.headers_mut();
    for (name, value) in headers {
        map.insert(name, value);
    }
}

/// The refusal response for `decision`, or `None` when it admits.
fn refusal<R, B>(
    responder: &R,
    decision: &Decision,
    options: HeaderOptions,
    fixed: Option<&FixedPolicy>,
) -> Option<Response<B>>
where
    R: RejectionResponse<RateLimitRejection, B>,
{
    let rejection = match decision.verdict() {
        Verdict::Allowed => return None,
        Verdict::Unavailable => RateLimitRejection::Unavailable,
        _ => RateLimitRejection::Limited {
            limit: decision
                .denied_by()
                .map_or_else(|| Arc::from("-"), |l| Arc::from(l.name)),
            retry_after_secs: ceil_secs(decision.retry_after()).max(1),
        },
    };
    let mut response = reject(responder, rejection);
    add_headers(&mut response, headers(decision, options, fixed));
    Some(response)
}

fn allowed_headers(
    decision: &Decision,
    options: HeaderOptions,
    fixed: Option<&FixedPolicy>,
) -> Option<RateLimitHeaders> {
    options
        .on_allowed
        .then(|| headers(decision, options, fixed))
}

impl<S, R, ReqB, ResB> Service<Request<ReqB>> for RateLimitService<S, R>
where
    S: Service<Request<ReqB>, Response = Response<ResB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: 'static,
    R: RejectionResponse<RateLimitRejection, ResB>,
    ReqB: Send + 'static,
    ResB: Send + 'static,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResB, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        let options = self.options;

        let local = {
            let ctx = KeyContext::from_request(req.headers(), req.extensions());
            self.limiter.check_now(&ctx)
        };
        if let Some(decision) = local {
            let fixed = self.fixed.as_deref();
            if let Some(response) = refusal(&self.responder, &decision, options, fixed) {
                // The inner service is not called: the readiness `poll_ready`
                // reserved in it is given up, a clone to be polled again
                // taking its place.
                let fresh = self.inner.clone();
                drop(std::mem::replace(&mut self.inner, fresh));
                return ResponseFuture {
                    state: State::Refused {
                        response: Some(response),
                    },
                };
            }
            // Decided in memory: the inner service `poll_ready` prepared is
            // called now, no clone of the stack inside needed.
            return ResponseFuture {
                state: State::Inner {
                    future: self.inner.call(req),
                    headers: allowed_headers(&decision, options, fixed),
                },
            };
        }

        // The ready service handles this request once the store answers; a
        // clone waits for the next one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let limiter = self.limiter.clone();
        let responder = self.responder.clone();
        let fixed = self.fixed.clone();
        let future = async move {
            let fixed = fixed.as_deref();
            let decision = {
                let ctx = KeyContext::from_request(req.headers(), req.extensions());
                limiter.check(&ctx).await
            };
            if let Some(response) = refusal(&responder, &decision, options, fixed) {
                return Ok(response);
            }
            let mut response = inner.call(req).await?;
            if let Some(h) = allowed_headers(&decision, options, fixed) {
                add_headers(&mut response, h);
            }
            Ok(response)
        };
        ResponseFuture {
            state: State::Remote {
                future: Box::pin(future),
            },
        }
    }
}
