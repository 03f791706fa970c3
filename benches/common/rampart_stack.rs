//! rampart's recommended stack as the stack bench and the allocation test
//! both drive it: the same layers, in `SecurityStack`'s order, around a
//! handler answering `[]`, and the request a browser-based client sends.

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, header};
use rampart_audit::{AuditLayer, AuditLog, CapturePrincipalLayer};
use rampart_auth::{JwtAuthority, JwtConfig, JwtRuntime, TokenRequest};
use rampart_core::{
    ClientIpLayer, RequestIdLayer, SharedSink, TrustedProxies, TrustedProxiesConfig,
};
use rampart_headers::{
    CorsConfig, CsrfConfig, CsrfLayer, SecurityHeadersConfig, SecurityHeadersLayer,
};
use rampart_ratelimit::{RateLimitConfig, RateLimitLayer};
use rampart_rbac::{Authorizer, RequirePermission};
use rampart_sanitize::{InputGuardConfig, InputGuardLayer};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tower::util::BoxCloneService;
use tower::{ServiceBuilder, ServiceExt, service_fn};
use tower_http::cors::CorsLayer;

pub type Svc = BoxCloneService<Request<Body>, Response<Body>, Infallible>;

pub const ORIGIN: &str = "https://app.example.com";
pub const ISSUER: &str = "https://auth.example.com";
pub const AUDIENCE: &str = "api";

pub fn handler() -> Svc {
    BoxCloneService::new(service_fn(|_req: Request<Body>| async {
        Ok::<_, Infallible>(Response::new(Body::from(Bytes::from_static(b"[]"))))
    }))
}

/// What a browser-based client of the API sends: a bearer token, its
/// origin, and the address the server saw.
pub fn request(token: &HeaderValue) -> Request<Body> {
    let mut request = Request::builder()
        .method(Method::GET)
        .uri("/items?page=2")
        .header(header::AUTHORIZATION, token.clone())
        .header(header::ORIGIN, ORIGIN)
        .header(header::USER_AGENT, "bench/1.0")
        .body(Body::empty())
        .expect("request");
    request
        .extensions_mut()
        .insert(SocketAddr::from(([203, 0, 113, 9], 50_000)));
    request
}

/// The layers of rampart's stack, outermost first; `depth` keeps the first
/// `depth` of them.
pub struct Rampart {
    headers: SecurityHeadersLayer,
    request_id: RequestIdLayer,
    client_ip: ClientIpLayer,
    audit: AuditLayer,
    cors: CorsLayer,
    by_ip: RateLimitLayer,
    csrf: CsrfLayer,
    jwt: rampart_auth::JwtAuthLayer,
    by_user: RateLimitLayer,
    guard: InputGuardLayer,
    permission: RequirePermission,
}

pub const LAYERS: [&str; 12] = [
    "headers",
    "request_id",
    "client_ip",
    "audit",
    "cors",
    "ip_limit",
    "csrf",
    "jwt",
    "principal_handover",
    "user_limit",
    "input_guard",
    "permission",
];

impl Rampart {
    pub fn new(log: &AuditLog, authority: &JwtAuthority) -> Self {
        let sink: SharedSink = Arc::new(log.clone());
        let generous = RateLimitConfig {
            ip_per_minute: 10_000_000,
            user_per_minute: 10_000_000,
            ..RateLimitConfig::default()
        };
        let cors = CorsConfig {
            allowed_origins: vec![ORIGIN.to_owned()],
            ..CorsConfig::default()
        };
        let csrf = CsrfConfig::default()
            .to_builder()
            .trust_cors_origins(&cors.to_policy())
            .build()
            .expect("csrf");
        let authorizer = Authorizer::from_toml(
            r#"
            [roles.reader]
            permissions = ["items:read"]
            "#,
        )
        .expect("policy");
        Self {
            headers: SecurityHeadersLayer::new(
                SecurityHeadersConfig::default().build().expect("headers"),
            ),
            request_id: RequestIdLayer::new(),
            client_ip: ClientIpLayer::new(
                TrustedProxies::try_from(TrustedProxiesConfig::default()).expect("proxies"),
            ),
            audit: AuditLayer::new(log.clone())
                .rejection::<rampart_auth::AuthRejection>()
                .rejection::<rampart_rbac::PermissionRejection>()
                .rejection::<rampart_headers::CsrfRejection>()
                .rejection::<rampart_ratelimit::RateLimitRejection>(),
            cors: cors.build().expect("cors"),
            by_ip: RateLimitLayer::new(generous.ip_limiter().expect("ip limiter")),
            csrf: CsrfLayer::new(csrf).event_sink(sink.clone()),
            jwt: authority.layer().event_sink(sink.clone()),
            by_user: RateLimitLayer::new(generous.user_limiter().expect("user limiter")),
            guard: InputGuardLayer::new(
                InputGuardConfig::default()
                    .build_with_sink(sink.clone())
                    .expect("input guard"),
            ),
            permission: RequirePermission::try_new(authorizer, "items:read")
                .expect("permission")
                .event_sink(sink),
        }
    }

    /// The first `depth` layers around the handler.
    pub fn service(&self, depth: usize) -> Svc {
        let on = |i: usize| depth > i;
        let svc = ServiceBuilder::new()
            .option_layer(on(0).then(|| self.headers.clone()))
            .option_layer(on(1).then(|| self.request_id.clone()))
            .option_layer(on(2).then(|| self.client_ip.clone()))
            .option_layer(on(3).then(|| self.audit.clone()))
            .option_layer(on(4).then(|| self.cors.clone()))
            .option_layer(on(5).then(|| self.by_ip.clone()))
            .option_layer(on(6).then(|| self.csrf.clone()))
            .option_layer(on(7).then(|| self.jwt.clone()))
            .option_layer(on(8).then_some(CapturePrincipalLayer))
            .option_layer(on(9).then(|| self.by_user.clone()))
            .option_layer(on(10).then(|| self.guard.clone()))
            .option_layer(on(11).then(|| self.permission.clone()))
            .service(handler());
        BoxCloneService::new(svc.map_err(|e| -> Infallible {
            panic!("the stack is infallible over an infallible handler: {e}")
        }))
    }
}

/// An ES256 authority like the reference app's, and a token for a reader.
pub fn authority(runtime: &tokio::runtime::Runtime, cache: bool) -> (JwtAuthority, HeaderValue) {
    let config = JwtConfig {
        issuer: Some(ISSUER.to_owned()),
        audience: vec![AUDIENCE.to_owned()],
        verified_cache: if cache {
            rampart_auth::DEFAULT_VERIFIED_CACHE
        } else {
            0
        },
        ..JwtConfig::default()
    };
    let authority = config
        .build_with(JwtRuntime::default().insecure_skip_revalidation())
        .expect("authority");
    let pair = runtime
        .block_on(
            authority
                .tokens()
                .issue_pair(&TokenRequest::new("alice").tenant("acme").roles(["reader"])),
        )
        .expect("token");
    let bearer = HeaderValue::from_str(&format!("Bearer {}", pair.access_token)).expect("header");
    (authority, bearer)
}
