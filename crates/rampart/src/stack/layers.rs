//! The two halves of the stack as tower layers with named service types, so
//! a user can store the wrapped service in a struct or a type alias.

use rampart_audit::{Audit, AuditLayer, CapturePrincipal, CapturePrincipalLayer};
use rampart_auth::{JwtAuth, JwtAuthLayer, NoCustomClaims};
use rampart_core::{
    ClientIpLayer, ClientIpService, ProblemResponse, RequestIdLayer, RequestIdService,
};
use rampart_headers::{
    CsrfLayer, CsrfService, HttpsOnlyLayer, HttpsOnlyService, SecurityHeadersLayer,
    SecurityHeadersService,
};
use rampart_ratelimit::{RateLimitLayer, RateLimitService};
use rampart_sanitize::{InputGuardLayer, InputGuardService};
use tower::Layer;
use tower::util::Either;
use tower_http::cors::{Cors, CorsLayer};

/// The edge of every route, outermost first: security headers, request id,
/// client address, audit, HTTPS only, CORS, the per-address limit, CSRF.
/// Built by [`SecurityStack::edge`](super::SecurityStack::edge).
#[derive(Clone)]
pub struct EdgeLayer {
    pub(super) headers: SecurityHeadersLayer,
    pub(super) request_id: RequestIdLayer,
    pub(super) client_ip: ClientIpLayer,
    pub(super) audit: Option<AuditLayer>,
    pub(super) https_only: Option<HttpsOnlyLayer>,
    pub(super) cors: Option<CorsLayer>,
    pub(super) by_ip: RateLimitLayer,
    pub(super) csrf: CsrfLayer,
}

impl std::fmt::Debug for EdgeLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EdgeLayer")
            .field("audit", &self.audit.is_some())
            .field("https_only", &self.https_only.is_some())
            .field("cors", &self.cors.is_some())
            .finish_non_exhaustive()
    }
}

/// The CSRF check, innermost of the edge.
pub type CsrfStage<S> = CsrfService<S, ProblemResponse>;
/// The per-address limit around [`CsrfStage`].
pub type IpLimitStage<S> = RateLimitService<CsrfStage<S>, ProblemResponse>;
/// CORS, when configured, around [`IpLimitStage`].
pub type CorsStage<S> = Either<Cors<IpLimitStage<S>>, IpLimitStage<S>>;
/// HTTPS only, when on, around [`CorsStage`].
pub type HttpsStage<S> = Either<HttpsOnlyService<CorsStage<S>, ProblemResponse>, CorsStage<S>>;
/// The audit layer, when a trail is configured, around [`HttpsStage`].
pub type AuditStage<S> = Either<Audit<HttpsStage<S>>, HttpsStage<S>>;
/// The service [`EdgeLayer`] makes of `S`.
pub type EdgeService<S> = SecurityHeadersService<RequestIdService<ClientIpService<AuditStage<S>>>>;

fn optional<L: Layer<S>, S>(layer: Option<&L>, inner: S) -> Either<L::Service, S> {
    match layer {
        Some(layer) => Either::Left(layer.layer(inner)),
        None => Either::Right(inner),
    }
}

impl<S> Layer<S> for EdgeLayer {
    type Service = EdgeService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        let inner = self.by_ip.layer(self.csrf.layer(inner));
        let inner = optional(self.cors.as_ref(), inner);
        let inner = optional(self.https_only.as_ref(), inner);
        let inner = optional(self.audit.as_ref(), inner);
        self.headers
            .layer(self.request_id.layer(self.client_ip.layer(inner)))
    }
}

/// The protected routes, outermost first: JWT authentication (inserts the
/// `Principal`), the hand-over of that principal to the audit layer, the
/// per-user limit, the input guard. Built by
/// [`SecurityStack::protect`](super::SecurityStack::protect); the permission
/// check goes on each route inside it
/// ([`SecurityStack::require`](super::SecurityStack::require)).
#[derive(Clone)]
pub struct ProtectLayer {
    pub(super) auth: JwtAuthLayer,
    pub(super) by_user: RateLimitLayer,
    pub(super) guard: InputGuardLayer,
}

impl std::fmt::Debug for ProtectLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProtectLayer").finish_non_exhaustive()
    }
}

/// The service [`ProtectLayer`] makes of `S`.
pub type ProtectService<S> = JwtAuth<
    CapturePrincipal<RateLimitService<InputGuardService<S, ProblemResponse>, ProblemResponse>>,
    NoCustomClaims,
    ProblemResponse,
>;

impl<S> Layer<S> for ProtectLayer {
    type Service = ProtectService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        let inner = self.by_user.layer(self.guard.layer(inner));
        self.auth.layer(CapturePrincipalLayer.layer(inner))
    }
}
