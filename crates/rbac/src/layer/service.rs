//! The service `RequirePermission` wraps around a route.

use super::resource::Extracted;
use super::{Config, PermissionRejection};
use crate::authorizer::TARGET;
use crate::{Decision, Reason, Resource};
use http::{Request, Response};
use pin_project_lite::pin_project;
use rampart_core::{
    EventKind, EventSink, Principal, RejectionResponse, SecurityEvent, Severity, reject,
};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use tower_service::Service;

/// The service built by [`super::RequirePermission`].
#[derive(Clone)]
pub struct RequirePermissionService<S, R> {
    inner: S,
    config: Arc<Config>,
    responder: R,
}

impl<S, R> std::fmt::Debug for RequirePermissionService<S, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequirePermissionService")
            .field("action", &self.config.label)
            .finish_non_exhaustive()
    }
}

impl<S, R> RequirePermissionService<S, R> {
    pub(crate) fn new(inner: S, config: Arc<Config>, responder: R) -> Self {
        Self {
            inner,
            config,
            responder,
        }
    }
}

type BoxedFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

pin_project! {
    /// The response future of [`RequirePermissionService`]: the route's own future
    /// when the check was decided synchronously, a boxed one when a role or grant
    /// store had to be awaited.
    #[project = Proj]
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
        Stores { future: BoxedFuture<Response<B>, E> },
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
            StateProj::Stores { future } => Poll::Ready(ready!(future.as_mut().poll(cx))),
        }
    }
}

impl<S, R, ReqB, ResB> Service<Request<ReqB>> for RequirePermissionService<S, R>
where
    S: Service<Request<ReqB>, Response = Response<ResB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: 'static,
    R: RejectionResponse<PermissionRejection, ResB>,
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
        let config = &self.config;

        if req.extensions().get::<Principal>().is_none() {
            emit(
                config,
                &req,
                EventKind::AuthenticationFailed,
                "no principal on a protected route".into(),
                None,
            );
            return refused(
                &mut self.inner,
                reject(&self.responder, PermissionRejection::Unauthenticated),
            );
        }
        let (mut parts, body) = req.into_parts();
        let extracted = config
            .resource
            .extract(config.action.resource(), &mut parts);
        let req = Request::from_parts(parts, body);
        let resource = match extracted {
            Extracted::Resource(resource) => resource,
            Extracted::Unknown => {
                emit(
                    config,
                    &req,
                    EventKind::PermissionDenied,
                    "resource could not be determined from the request".into(),
                    None,
                );
                return refused(
                    &mut self.inner,
                    reject(&self.responder, PermissionRejection::UnknownResource),
                );
            }
            Extracted::Malformed => {
                emit(
                    config,
                    &req,
                    EventKind::PermissionDenied,
                    "a path parameter is not UTF-8 once percent-decoded".into(),
                    None,
                );
                return refused(
                    &mut self.inner,
                    reject(&self.responder, PermissionRejection::MalformedPath),
                );
            }
            Extracted::MalformedQuery => {
                emit(
                    config,
                    &req,
                    EventKind::PermissionDenied,
                    "a query parameter is repeated or not UTF-8 once decoded".into(),
                    None,
                );
                return refused(
                    &mut self.inner,
                    reject(&self.responder, PermissionRejection::MalformedQuery),
                );
            }
        };

        if !config.authorizer.has_stores() {
            let decision = match req.extensions().get::<Principal>() {
                Some(p) => config
                    .authorizer
                    .decide(p, config.action.action(), &resource),
                None => Decision::deny(Reason::NoPermission),
            };
            if decision.is_allowed() {
                // Decided without a store: the inner service `poll_ready`
                // prepared is called now, no clone of the route needed.
                return ResponseFuture {
                    state: State::Inner {
                        future: self.inner.call(req),
                    },
                };
            }
            let rejection = denied(config, &req, &resource, decision);
            return refused(&mut self.inner, reject(&self.responder, rejection));
        }

        // The ready service handles this request once the stores answer; a
        // clone waits for the next one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let resource = resource.into_owned();
        let config = Arc::clone(config);
        let responder = self.responder.clone();
        let future = async move {
            let decision = match req.extensions().get::<Principal>() {
                Some(p) => {
                    config
                        .authorizer
                        .decide_with_stores(p, config.action.action(), &resource)
                        .await
                }
                None => Decision::deny(Reason::NoPermission),
            };
            if decision.is_allowed() {
                return inner.call(req).await;
            }
            let rejection = denied(&config, &req, &resource, decision);
            Ok(reject(&responder, rejection))
        };
        ResponseFuture {
            state: State::Stores {
                future: Box::pin(future),
            },
        }
    }
}

/// A refusal: the inner service is not called, so the readiness `poll_ready`
/// reserved in it is given up, a clone to be polled again taking its place.
fn refused<S: Clone, F, B, E>(inner: &mut S, response: Response<B>) -> ResponseFuture<F, B, E> {
    let fresh = inner.clone();
    drop(std::mem::replace(inner, fresh));
    ResponseFuture {
        state: State::Refused {
            response: Some(response),
        },
    }
}

fn denied<B>(
    config: &Config,
    req: &Request<B>,
    resource: &Resource<'_>,
    decision: Decision,
) -> PermissionRejection {
    let unavailable = matches!(decision.reason(), Reason::StoreUnavailable);
    tracing::debug!(target: TARGET, action = %config.label, %decision, "permission denied");
    emit(
        config,
        req,
        EventKind::PermissionDenied,
        decision.reason().to_string(),
        Some(resource),
    );
    if unavailable {
        PermissionRejection::StoreUnavailable
    } else {
        PermissionRejection::Denied(decision)
    }
}

fn emit<B>(
    config: &Config,
    req: &Request<B>,
    kind: EventKind,
    reason: String,
    resource: Option<&Resource<'_>>,
) {
    let Some(sink) = &config.sink else {
        return;
    };
    let mut event = SecurityEvent::new(kind, TARGET, reason)
        .at(config.authorizer.clock().now())
        .with_request_context(req.extensions())
        .with_field("permission", config.label.to_string())
        .with_field("method", req.method().as_str())
        .with_field("path", req.uri().path());
    if kind == EventKind::AuthenticationFailed {
        event = event.with_severity(Severity::Warning);
    }
    if let Some(r) = resource {
        if let Some(id) = r.id() {
            event = event.with_field("resource_id", id);
        }
        if let Some(t) = r.tenant() {
            event = event.with_field("resource_tenant", t);
        }
        if let Some(o) = r.org() {
            event = event.with_field("resource_org", o);
        }
    }
    sink.emit(event);
}
