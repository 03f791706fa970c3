//! The service and its response future.

use super::context::AuditContext;
use super::{Config, RecordMode};
use crate::event::{AuditEvent, HttpFacts, Outcome, types};
use http::{Method, Request, Response};
use pin_project_lite::pin_project;
use rampart_core::{ClientIp, Principal, request_id};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Instant;
use tower_service::Service;

/// Longest path and user agent kept: both are the client's to choose, and a
/// trail should not grow by whatever a client sends.
const MAX_PATH: usize = 2048;
const MAX_USER_AGENT: usize = 512;

fn bounded(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// The service [`AuditLayer`](super::AuditLayer) wraps around the inner one.
#[derive(Clone)]
pub struct Audit<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S: std::fmt::Debug> std::fmt::Debug for Audit<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Audit")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S> Audit<S> {
    pub(crate) fn new(inner: S, config: Arc<Config>) -> Self {
        Self { inner, config }
    }
}

/// What the layer learnt from the request before passing it on.
struct Pending {
    config: Arc<Config>,
    context: AuditContext,
    started: Instant,
    method: Method,
    path: String,
    request_id: Option<String>,
    client_ip: Option<String>,
    user_agent: Option<String>,
    principal: Option<Principal>,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Audit<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        // The inner service is called here, not in the future: the one
        // `poll_ready` prepared serves, no clone of the stack inside needed.
        let context = AuditContext::default();
        let ext = req.extensions();
        let pending = Pending {
            config: self.config.clone(),
            context: context.clone(),
            started: Instant::now(),
            method: req.method().clone(),
            path: bounded(req.uri().path(), MAX_PATH),
            request_id: request_id(ext).map(str::to_owned),
            client_ip: ext
                .get::<ClientIp>()
                .map(|ip| rampart_core::ip_text(ip.ip())),
            user_agent: req
                .headers()
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| bounded(s, MAX_USER_AGENT)),
            principal: ext.get::<Principal>().cloned(),
        };
        req.extensions_mut().insert(context);
        ResponseFuture {
            inner: self.inner.call(req),
            pending: Some(pending),
        }
    }
}

pin_project! {
    /// The response future of [`Audit`]: records the event when the response is ready.
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        pending: Option<Pending>,
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        if let Some(pending) = this.pending.take() {
            pending.finish(result.as_ref().ok());
        }
        Poll::Ready(result)
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The gRPC status in a response head. A gRPC server answers every call with
/// HTTP `200`, so a refusal or an error shows only here (a trailers-only
/// response); a call that streamed its answer sends the status in trailers,
/// after the head the layer records, and counts by its HTTP status.
fn grpc_status<B>(response: &Response<B>) -> Option<i32> {
    response
        .headers()
        .get("grpc-status")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

impl Pending {
    fn finish<B>(self, response: Option<&Response<B>>) {
        let status = response.map(|r| r.status().as_u16());
        let grpc = response.and_then(grpc_status);
        let failed = status.is_none_or(|s| s >= 400) || grpc.is_some_and(|code| code != 0);
        let record = match self.config.mode {
            RecordMode::All => true,
            RecordMode::Mutating => failed || !is_safe(&self.method),
            RecordMode::Failures => failed,
        };
        if !record {
            return;
        }
        let slot = self.context.take();
        let default_type = match self.method {
            Method::DELETE => types::DATA_DELETE,
            ref m if is_safe(m) => types::DATA_READ,
            _ => types::DATA_WRITE,
        };
        let mut event = AuditEvent::new(slot.event_type.unwrap_or_else(|| default_type.to_owned()))
            .source("rampart::audit")
            .outcome(if failed {
                Outcome::Failure
            } else {
                Outcome::Success
            });
        let principal = slot
            .principal
            .or(self.principal)
            .or_else(|| response.and_then(|r| r.extensions().get::<Principal>().cloned()));
        if let Some(p) = principal {
            event.actor = Some(crate::Actor {
                subject: Some(p.subject().to_owned()),
                tenant: p.tenant().map(str::to_owned),
                org: p.org().map(str::to_owned),
                session: p.session_id().map(str::to_owned),
                email: p.claim("email").and_then(|v| v.as_str()).map(str::to_owned),
            });
        }
        if self.client_ip.is_some() || self.user_agent.is_some() {
            event.client = Some(crate::Client {
                ip: self.client_ip,
                user_agent: self.user_agent,
            });
        }
        event.request_id = self.request_id;
        event.action = slot.action;
        if let Some((kind, id)) = slot.target {
            event = event.target(kind, id);
        }
        event.metadata = slot.metadata;
        if let Some(code) = grpc {
            event.metadata.insert("grpc_status".into(), code.into());
        }
        let latency = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        event.http = Some(HttpFacts {
            method: self.method.to_string(),
            route: slot.route.unwrap_or(self.path),
            status,
            latency_us: Some(latency),
        });
        match response {
            Some(r) => {
                if let Some(facts) = self
                    .config
                    .readers
                    .iter()
                    .find_map(|read| read(r.extensions()))
                {
                    event.reason = Some(facts.reason);
                    event.metadata.insert("decision".into(), "deny".into());
                    event.metadata.insert("rejection".into(), facts.kind.into());
                    event.metadata.insert("problem".into(), facts.title.into());
                }
            }
            None => event.reason = Some("the inner service failed without a response".into()),
        }
        // In block mode this waits while the queue is full: backpressure by design.
        let _ = self.config.log.record(event);
    }
}
