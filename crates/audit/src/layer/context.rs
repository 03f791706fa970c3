//! The slot through which inner layers and handlers tell the audit layer
//! what it cannot see from outside.

use rampart_core::Principal;
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use tower_layer::Layer;
use tower_service::Service;

#[derive(Debug, Default)]
pub(crate) struct Slot {
    pub principal: Option<Principal>,
    pub event_type: Option<String>,
    pub action: Option<String>,
    pub route: Option<String>,
    pub target: Option<(String, String)>,
    pub metadata: Map<String, Value>,
}

/// What the audit layer records about a request beyond what it sees itself.
///
/// The audit layer sits outside authentication, so the `Principal` that the
/// auth layer inserts into the request never comes back out to it. Instead
/// the audit layer puts an `AuditContext` in the request's extensions; inner
/// code fills it: [`CapturePrincipalLayer`] (placed inside the auth layer)
/// copies the principal, and a handler can name the action, the route
/// template, the target and extra detail. Clones share the slot.
///
/// ```
/// use rampart_audit::AuditContext;
///
/// # let mut extensions = http::Extensions::new();
/// # extensions.insert(AuditContext::default());
/// if let Some(audit) = AuditContext::from_extensions(&extensions) {
///     audit.set_action("invoices:delete");
///     audit.set_target("invoice", "inv-42");
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct AuditContext {
    slot: Arc<Mutex<Slot>>,
}

impl AuditContext {
    /// The context the audit layer put in `extensions`, if any.
    pub fn from_extensions(extensions: &http::Extensions) -> Option<AuditContext> {
        extensions.get::<AuditContext>().cloned()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Slot) -> T) -> T {
        f(&mut self.slot.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub(crate) fn take(&self) -> Slot {
        self.with(std::mem::take)
    }

    /// Records who is acting.
    pub fn set_principal(&self, principal: Principal) {
        self.with(|s| s.principal = Some(principal));
    }

    /// Replaces the event type (by default `data.read`, `data.write` or
    /// `data.delete` from the method).
    pub fn set_event_type(&self, event_type: impl Into<String>) {
        self.with(|s| s.event_type = Some(event_type.into()));
    }

    /// Names the action (`items:delete`).
    pub fn set_action(&self, action: impl Into<String>) {
        self.with(|s| s.action = Some(action.into()));
    }

    /// Names the route template (`/items/{id}`) instead of the raw path.
    pub fn set_route(&self, route: impl Into<String>) {
        self.with(|s| s.route = Some(route.into()));
    }

    /// Names the resource acted on.
    pub fn set_target(&self, kind: impl Into<String>, id: impl Into<String>) {
        self.with(|s| s.target = Some((kind.into(), id.into())));
    }

    /// Adds a metadata entry (redacted like any other).
    pub fn insert_metadata(&self, key: impl Into<String>, value: impl Into<Value>) {
        self.with(|s| {
            s.metadata.insert(key.into(), value.into());
        });
    }
}

/// Copies the request's `Principal` into the [`AuditContext`]. Place it
/// inside the authentication layer (so it runs after the principal is set).
#[derive(Debug, Clone, Copy, Default)]
pub struct CapturePrincipalLayer;

impl<S> Layer<S> for CapturePrincipalLayer {
    type Service = CapturePrincipal<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CapturePrincipal { inner }
    }
}

/// The service of [`CapturePrincipalLayer`].
#[derive(Debug, Clone)]
pub struct CapturePrincipal<S> {
    inner: S,
}

impl<S, B> Service<http::Request<B>> for CapturePrincipal<S>
where
    S: Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        if let (Some(ctx), Some(principal)) = (
            req.extensions().get::<AuditContext>(),
            req.extensions().get::<Principal>(),
        ) {
            ctx.set_principal(principal.clone());
        }
        self.inner.call(req)
    }
}
