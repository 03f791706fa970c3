//! The security stack around the `Items` service, and the server that runs it.

use crate::items::{Catalog, ItemsServer};
use crate::proto::GET_ITEM;
use rampart::audit::{AuditContext, AuditLayer, AuditLog, CapturePrincipalLayer};
use rampart::auth::{AuthRejection, JwtAuthLayer, JwtVerifier};
use rampart::core::{ClientIpLayer, GrpcResponse, RequestIdLayer, SharedSink, TrustedProxies};
use rampart::ratelimit::{Key, Limit, Quota, RateLimitLayer, RateLimitRejection, RateLimiter};
use rampart::rbac::{Authorizer, PermissionRejection, RequirePermission};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tonic::transport::server::{TcpConnectInfo, TcpIncoming};
use tonic::transport::{Error, Server};
use tower::ServiceBuilder;
use tower::util::MapRequestLayer;

/// The permission every call of this server needs.
pub const PERMISSION: &str = "items:read";

/// Who may do what: `reader`s may read items.
pub const POLICY: &str = "[roles.reader]\npermissions = [\"items:read\"]";

/// The default per-user quota: 60 calls a minute.
pub fn default_quota() -> Quota {
    Quota::per_minute(60)
}

/// Everything the stack decides with: the token verifier, the policy, the
/// audit log and the per-user limiter, wired to report into the trail.
#[derive(Clone)]
pub struct Security {
    pub(crate) verifier: JwtVerifier,
    pub(crate) authorizer: Authorizer,
    pub(crate) audit: AuditLayer,
    pub(crate) limiter: RateLimiter,
}

impl std::fmt::Debug for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Security")
            .field("audit", &self.audit)
            .finish_non_exhaustive()
    }
}

impl Security {
    /// The stack's parts: calls are authenticated by `verifier`, allowed by
    /// `authorizer`, limited to `per_user` per subject, and recorded in `audit`
    /// (which also receives the layers' own security events).
    ///
    /// # Errors
    /// The quota is not a usable one (zero calls, zero period).
    pub fn new(
        verifier: JwtVerifier,
        authorizer: Authorizer,
        audit: AuditLog,
        per_user: Quota,
    ) -> Result<Self, rampart::ratelimit::ConfigError> {
        let audit = AuditLayer::new(audit)
            .rejection::<AuthRejection>()
            .rejection::<RateLimitRejection>()
            .rejection::<PermissionRejection>();
        let sink: SharedSink = Arc::new(audit.clone());
        let limiter = RateLimiter::builder()
            .limit(Limit::new("user", per_user).key(Key::subject()))
            .event_sink(sink)
            .build()?;
        Ok(Self {
            verifier,
            authorizer,
            audit,
            limiter,
        })
    }
}

/// tonic hands the peer over as `TcpConnectInfo`; rampart's `ClientIpLayer`
/// reads a `SocketAddr` extension, as any server can insert one.
pub(crate) fn peer_from_tonic<B>(mut request: http::Request<B>) -> http::Request<B> {
    if let Some(peer) = request
        .extensions()
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr)
    {
        request.extensions_mut().insert::<SocketAddr>(peer);
    }
    request
}

/// Names the call in its audit record before any guard runs, so a refused
/// call is recorded as the read it tried to be, not as a generic `POST`.
pub(crate) fn describe_call<B>(request: http::Request<B>) -> http::Request<B> {
    if let Some(audit) = AuditContext::from_extensions(request.extensions()) {
        audit.set_action(request.uri().path().trim_start_matches('/').to_owned());
        if request.uri().path() == GET_ITEM {
            audit.set_event_type("data.read");
        }
    }
    request
}

/// Serves the `Items` service over `listener` behind the stack, until
/// `shutdown` completes.
///
/// Outermost first: the peer address and the request id (for every record),
/// the audit layer (which sees every outcome below it), JWT authentication,
/// the per-user limit (keyed by the principal, so after auth), and the
/// permission. Each guard answers with [`GrpcResponse`]: a refusal is a gRPC
/// status (`UNAUTHENTICATED`, `RESOURCE_EXHAUSTED`, `PERMISSION_DENIED`)
/// that any gRPC client reads, not a problem JSON it would drop.
///
/// # Errors
/// The transport failed (the listener broke).
pub async fn serve(
    listener: TcpListener,
    security: Security,
    catalog: Catalog,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let Security {
        verifier,
        authorizer,
        audit,
        limiter,
    } = security;
    let sink: SharedSink = Arc::new(audit.clone());
    let stack = ServiceBuilder::new()
        .layer(MapRequestLayer::new(peer_from_tonic))
        .layer(ClientIpLayer::new(TrustedProxies::none()))
        .layer(RequestIdLayer::new())
        .layer(audit)
        .layer(MapRequestLayer::new(describe_call))
        .layer(
            JwtAuthLayer::new(verifier)
                .event_sink(sink.clone())
                .with_response(GrpcResponse),
        )
        .layer(CapturePrincipalLayer)
        .layer(RateLimitLayer::new(limiter).with_response(GrpcResponse))
        .layer(
            RequirePermission::new(authorizer, PERMISSION)
                .event_sink(sink)
                .with_response(GrpcResponse),
        )
        .into_inner();
    Server::builder()
        .layer(stack)
        .add_service(ItemsServer::new(catalog))
        .serve_with_incoming_shutdown(TcpIncoming::from(listener), shutdown)
        .await
}
