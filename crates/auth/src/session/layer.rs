//! `SessionLayer`: session cookie in, [`Principal`](rampart_core::Principal)
//! and [`Session`] handle out, `Set-Cookie` after the handler.

use super::client::ClientInfo;
use super::cookie::{CookieValue, find_cookie};
use super::handle::Session;
use super::manager::{Lookup, SOURCE, SessionManager};
use crate::account::{AccountDecision, AccountStatusCheck};
use crate::layer::ResponseFuture;
use crate::revocation::FailMode;
use http::{Request, Response};
use rampart_core::{
    EventKind, Problem, ProblemResponse, Rejection, RejectionResponse, STORE_RETRY_AFTER_SECS,
    SecurityEvent, SharedSink, reject,
};
use std::sync::Arc;
use std::task::{Context, Poll};
use tower_layer::Layer;
use tower_service::Service;

/// Why the session layer refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionRejection {
    /// The session store failed and the layer fails closed.
    StoreUnavailable,
    /// The account status could not be asked and the check fails closed.
    AccountStatusUnavailable,
}

impl Rejection for SessionRejection {
    fn to_problem(&self) -> Problem {
        let code = match self {
            Self::StoreUnavailable => "session_store_unavailable",
            Self::AccountStatusUnavailable => "account_status_unavailable",
        };
        Problem::unavailable_retry_after(STORE_RETRY_AFTER_SECS)
            .with_detail("authentication is temporarily unavailable")
            .with_extension("code", code)
    }
}

struct Config {
    manager: SessionManager,
    status: Option<AccountStatusCheck>,
    fail: FailMode,
    sink: SharedSink,
}

/// Loads the session named by the cookie on every request.
///
/// A live session puts its [`Principal`](rampart_core::Principal) (method
/// `session`) into the request extensions, exactly where
/// [`JwtAuthLayer`](crate::JwtAuthLayer) puts one, so authorization and
/// audit layers work the same behind either. Every request also gets a
/// [`Session`] handle; after the handler, the layer saves changed values and
/// writes `Set-Cookie` when the handler signed in, rotated or signed out.
///
/// A missing, malformed, unknown, timed-out or mismatched cookie is not a
/// refusal: the request goes on without a principal (the route's guard
/// decides), and a stale cookie is cleared. A failing store answers `503`
/// problem JSON by default ([`insecure_fail_open`](Self::insecure_fail_open)
/// lets it through signed out instead).
///
/// ```
/// use rampart::auth::session::{MemorySessionStore, SessionLayer, SessionManager};
/// use std::sync::Arc;
///
/// let manager = SessionManager::builder(Arc::new(MemorySessionStore::new())).build();
/// let app: axum::Router = axum::Router::new()
///     .route("/", axum::routing::get(|| async { "hi" }))
///     .layer(SessionLayer::new(manager));
/// # let _ = app;
/// ```
pub struct SessionLayer<R = ProblemResponse> {
    config: Arc<Config>,
    responder: R,
}

impl<R: Clone> Clone for SessionLayer<R> {
    fn clone(&self) -> Self {
        Self {
            config: self.config.clone(),
            responder: self.responder.clone(),
        }
    }
}

impl<R> std::fmt::Debug for SessionLayer<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionLayer")
            .field("manager", &self.config.manager)
            .field("fail", &self.config.fail)
            .finish_non_exhaustive()
    }
}

impl SessionLayer {
    /// A layer over `manager`'s sessions, failing closed.
    pub fn new(manager: SessionManager) -> Self {
        let sink = manager.sink().clone();
        Self {
            config: Arc::new(Config {
                manager,
                status: None,
                fail: FailMode::Closed,
                sink,
            }),
            responder: ProblemResponse,
        }
    }
}

impl<R> SessionLayer<R> {
    fn map(self, change: impl FnOnce(&mut Config)) -> Self {
        let old = &*self.config;
        let mut config = Config {
            manager: old.manager.clone(),
            status: old.status.clone(),
            fail: old.fail,
            sink: old.sink.clone(),
        };
        change(&mut config);
        Self {
            config: Arc::new(config),
            responder: self.responder,
        }
    }

    /// Asks `check` whether a signed-in account is still active on every
    /// request; a disabled one loses its session at once. Default: not asked.
    #[must_use]
    pub fn account_status(self, check: AccountStatusCheck) -> Self {
        self.map(|c| c.status = Some(check))
    }

    /// Lets requests through signed out when the store fails, instead of
    /// `503`. Default: off.
    #[must_use]
    pub fn insecure_fail_open(self) -> Self {
        self.map(|c| c.fail = FailMode::Open)
    }

    /// Where the layer reports store failures and disabled accounts.
    /// Default: the manager's sink.
    #[must_use]
    pub fn event_sink(self, sink: SharedSink) -> Self {
        self.map(|c| c.sink = sink)
    }

    /// Replaces the `503` response (a [`RejectionResponse`] or a closure).
    pub fn with_response<R2>(self, responder: R2) -> SessionLayer<R2> {
        SessionLayer {
            config: self.config,
            responder,
        }
    }
}

impl<S, R: Clone> Layer<S> for SessionLayer<R> {
    type Service = SessionService<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            config: self.config.clone(),
            responder: self.responder.clone(),
        }
    }
}

/// The service built by [`SessionLayer`].
pub struct SessionService<S, R = ProblemResponse> {
    inner: S,
    config: Arc<Config>,
    responder: R,
}

impl<S: Clone, R: Clone> Clone for SessionService<S, R> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            config: self.config.clone(),
            responder: self.responder.clone(),
        }
    }
}

impl<S: std::fmt::Debug, R> std::fmt::Debug for SessionService<S, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

fn store_failure(config: &Config, client: &ClientInfo, what: &'static str) {
    let mut e = SecurityEvent::new(EventKind::StoreFailure, SOURCE, what).with_field(
        "fail_mode",
        if config.fail == FailMode::Open {
            "open"
        } else {
            "closed"
        },
    );
    e.client_ip = client.ip;
    e.request_id.clone_from(&client.request_id);
    config.sink.emit(e);
}

impl<S, R, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Send + 'static,
    R: RejectionResponse<SessionRejection, ResBody>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<Response<ResBody>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let config = self.config.clone();
        let responder = self.responder.clone();
        ResponseFuture {
            inner: Box::pin(async move {
                let manager = &config.manager;
                let client = ClientInfo::from_request(req.headers(), req.extensions());
                let cookie = match find_cookie(req.headers(), &manager.cookie().name()) {
                    CookieValue::Present(v) => Some(v.to_owned()),
                    CookieValue::Absent => None,
                };
                let mut stale = false;
                let mut active = None;
                if let Some(value) = cookie {
                    match manager.load(&value, &client).await {
                        Ok(Lookup::Active(s)) => active = Some(*s),
                        Ok(_) => stale = true,
                        Err(e) => {
                            tracing::warn!(target: "rampart::auth", error = %e, "session store unavailable");
                            store_failure(&config, &client, "session store unavailable");
                            if config.fail == FailMode::Closed {
                                return Ok(reject(&responder, SessionRejection::StoreUnavailable));
                            }
                        }
                    }
                }
                if let (Some(check), Some(subject)) = (
                    &config.status,
                    active.as_ref().and_then(|s| s.subject()).map(str::to_owned),
                ) {
                    match check.check(&subject).await {
                        AccountDecision::Active => {}
                        AccountDecision::Inactive => {
                            if let Some(s) = active.take() {
                                let _ = manager.destroy(&s).await;
                            }
                            stale = true;
                            let mut e = SecurityEvent::new(
                                EventKind::AuthenticationFailed,
                                SOURCE,
                                "account disabled",
                            )
                            .with_subject(subject)
                            .with_field("session_event", "account_disabled");
                            e.client_ip = client.ip;
                            e.request_id.clone_from(&client.request_id);
                            config.sink.emit(e);
                        }
                        _ => {
                            store_failure(&config, &client, "account status unavailable");
                            return Ok(reject(
                                &responder,
                                SessionRejection::AccountStatusUnavailable,
                            ));
                        }
                    }
                }
                if let Some(p) = active.as_ref().and_then(|s| s.principal()) {
                    req.extensions_mut().insert(p);
                }
                let handle = Session::new(manager.clone(), client.clone(), active);
                req.extensions_mut().insert(handle.clone());
                let mut response = inner.call(req).await?;
                if let Err(e) = handle.finish(response.headers_mut(), stale).await {
                    tracing::warn!(target: "rampart::auth", error = %e, "session not saved");
                    store_failure(&config, &client, "session not saved");
                    if config.fail == FailMode::Closed {
                        return Ok(reject(&responder, SessionRejection::StoreUnavailable));
                    }
                }
                Ok(response)
            }),
        }
    }
}
