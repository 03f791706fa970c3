//! `InputGuardLayer`: the guard in front of a tower service.

use super::inspect::Inspection;
use super::{GuardRejection, InputGuard, Location, Mode, Violation};
use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::request::Parts;
use http::{Request, Response, Uri};
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use pin_project_lite::pin_project;
use rampart_core::{
    EventKind, ProblemResponse, RejectionResponse, SecurityEvent, Severity, reject,
};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tower_layer::Layer;
use tower_service::Service;

/// The tracing target and event source of the guard.
const SOURCE: &str = "rampart::sanitize";

/// Inspects path segments, query parameters, chosen headers, cookies and
/// JSON or form bodies of every request with an [`InputGuard`].
///
/// JSON and form bodies are buffered up to the guard's limit (larger:
/// `413`) and handed to the inner service unchanged when they pass (or
/// with cleaned fields rewritten, for [`super::FieldPolicy::Clean`]). In
/// [`Mode::Block`] a detection answers `400` problem JSON naming the
/// parameter and the category, never the value; in [`Mode::DetectOnly`]
/// the request passes. Either way an [`EventKind::AttackDetected`] event
/// goes to the guard's sink. The typed [`GuardRejection`] is attached to
/// refusals.
///
/// ```
/// use rampart_sanitize::{FieldPolicy, InputGuard, InputGuardLayer};
/// use tower::ServiceBuilder;
///
/// let guard = InputGuard::builder().field("id", FieldPolicy::Strict).build()?;
/// let stack = ServiceBuilder::new().layer(InputGuardLayer::new(guard));
/// # let _ = stack;
/// # Ok::<(), rampart_sanitize::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct InputGuardLayer<R = ProblemResponse> {
    guard: InputGuard,
    responder: R,
}

impl InputGuardLayer {
    /// A layer inspecting with `guard`.
    pub fn new(guard: InputGuard) -> Self {
        Self {
            guard,
            responder: ProblemResponse,
        }
    }
}

impl<R> InputGuardLayer<R> {
    /// Replaces the refusal response (default: problem JSON).
    pub fn with_response<R2>(self, responder: R2) -> InputGuardLayer<R2> {
        InputGuardLayer {
            guard: self.guard,
            responder,
        }
    }
}

impl<S, R: Clone> Layer<S> for InputGuardLayer<R> {
    type Service = InputGuardService<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        InputGuardService {
            inner,
            guard: self.guard.clone(),
            responder: self.responder.clone(),
        }
    }
}

/// The service built by [`InputGuardLayer`].
#[derive(Clone)]
pub struct InputGuardService<S, R> {
    inner: S,
    guard: InputGuard,
    responder: R,
}

impl<S, R> std::fmt::Debug for InputGuardService<S, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputGuardService")
            .field("guard", &self.guard)
            .finish_non_exhaustive()
    }
}

type BoxedFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

pin_project! {
    /// The response future of [`InputGuardService`]: the inner future when
    /// only the request head was inspected, a boxed one when the body had
    /// to be read first.
    pub struct ResponseFuture<F, B, E> {
        #[pin]
        state: State<F, B, E>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B, E> {
        Inner { #[pin] future: F },
        Refused { response: Option<Response<B>> },
        Buffered { future: BoxedFuture<Response<B>, E> },
    }
}

impl<F, B, E> Future for ResponseFuture<F, B, E>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            StateProj::Inner { future } => future.poll(cx),
            StateProj::Refused { response } => match response.take() {
                Some(r) => Poll::Ready(Ok(r)),
                None => panic!("ResponseFuture polled after completion"),
            },
            StateProj::Buffered { future } => future.as_mut().poll(cx),
        }
    }
}

/// Reports what inspection found; returns the refusal in block mode.
fn decide(guard: &InputGuard, parts: &Parts, found: &Inspection) -> Option<GuardRejection> {
    let block = guard.mode() == Mode::Block;
    let report = |v: &Violation, action: &'static str| {
        let mut event = SecurityEvent::new(
            EventKind::AttackDetected,
            SOURCE,
            "input matched an attack detector",
        )
        .with_request_context(&parts.extensions)
        .with_field("category", v.finding.category().as_str())
        .with_field("fingerprint", v.finding.fingerprint())
        .with_field("location", v.location.as_str())
        .with_field("parameter", v.parameter.as_str())
        .with_field("action", action);
        if action == "cleaned" {
            event = event.with_severity(Severity::Warning);
        }
        guard.inner.sink.emit(event);
    };
    for v in &found.cleaned {
        report(v, "cleaned");
    }
    for v in &found.violations {
        report(v, if block { "blocked" } else { "detected" });
    }
    if block {
        found.violations.first().map(Violation::rejection)
    } else {
        None
    }
}

fn with_query(uri: &Uri, query: &str) -> Option<Uri> {
    let mut p = uri.clone().into_parts();
    let pq = format!("{}?{query}", uri.path());
    p.path_and_query = Some(pq.parse().ok()?);
    Uri::from_parts(p).ok()
}

fn refused<R, B, F, E>(responder: &R, rejection: GuardRejection) -> ResponseFuture<F, B, E>
where
    R: RejectionResponse<GuardRejection, B>,
{
    ResponseFuture {
        state: State::Refused {
            response: Some(reject(responder, rejection)),
        },
    }
}

impl<S, R, ReqB, ResB> Service<Request<ReqB>> for InputGuardService<S, R>
where
    S: Service<Request<ReqB>, Response = Response<ResB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: 'static,
    R: RejectionResponse<GuardRejection, ResB>,
    ReqB: Body<Data = Bytes> + From<Bytes> + Send + 'static,
    ReqB::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    ResB: Send + 'static,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResB, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqB>) -> Self::Future {
        // The ready service handles this request; a clone waits for the next one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let guard = self.guard.clone();

        if !guard.wants_body(req.headers()) {
            let (mut parts, body) = req.into_parts();
            let found = match guard.inspect(&parts, None) {
                Ok(found) => found,
                Err(rejection) => return refused(&self.responder, rejection),
            };
            if let Some(rejection) = decide(&guard, &parts, &found) {
                return refused(&self.responder, rejection);
            }
            if let Some(uri) = found
                .query
                .as_deref()
                .and_then(|q| with_query(&parts.uri, q))
            {
                parts.uri = uri;
            }
            return ResponseFuture {
                state: State::Inner {
                    future: inner.call(Request::from_parts(parts, body)),
                },
            };
        }

        let limit = guard.max_body_bytes();
        let declared = req
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return refused(&self.responder, GuardRejection::TooLarge { limit });
        }
        let responder = self.responder.clone();
        let future = async move {
            let (mut parts, body) = req.into_parts();
            let bytes = match Limited::new(body, limit).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(e) => {
                    let rejection = if e.downcast_ref::<LengthLimitError>().is_some() {
                        GuardRejection::TooLarge { limit }
                    } else {
                        GuardRejection::Unreadable {
                            location: Location::Body,
                            reason: "the body could not be received",
                        }
                    };
                    return Ok(reject(&responder, rejection));
                }
            };
            let found = match guard.inspect(&parts, Some(&bytes)) {
                Ok(found) => found,
                Err(rejection) => return Ok(reject(&responder, rejection)),
            };
            if let Some(rejection) = decide(&guard, &parts, &found) {
                return Ok(reject(&responder, rejection));
            }
            if let Some(uri) = found
                .query
                .as_deref()
                .and_then(|q| with_query(&parts.uri, q))
            {
                parts.uri = uri;
            }
            let body = match found.body {
                Some(cleaned) => {
                    parts.headers.remove(CONTENT_LENGTH);
                    cleaned
                }
                None => bytes,
            };
            inner
                .call(Request::from_parts(parts, ReqB::from(body)))
                .await
        };
        ResponseFuture {
            state: State::Buffered {
                future: Box::pin(future),
            },
        }
    }
}
