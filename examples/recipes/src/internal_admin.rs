//! An operators' service: reachable over HTTPS only, every route behind an
//! admin permission, every request in the tamper-evident audit trail, and
//! limits sized for a handful of people rather than the public.
//!
//! Outermost first:
//!
//! | layer | why here |
//! | --- | --- |
//! | security headers (`strict` preset) | every answer, refusals included |
//! | request id | joins the audit record to the layers' events and to the client's report |
//! | client address, through the trusted proxies only | the audit record and the limits see the real client, and HTTPS only believes `X-Forwarded-Proto` from these proxies alone |
//! | audit | outside every guard, so each refusal below is recorded with its typed reason; it is also the event sink of every layer inside |
//! | HTTPS only | plain-HTTP `GET`/`HEAD` are redirected, anything else refused with `403`, before a credential in them is looked at |
//! | limit per address | a flood is refused before any signature check |
//! | request body limit | admin requests are small: axum's body extractors (`Json`, `Bytes`, `Form`...) answer a larger body with `413` |
//! | JWT, required | `401` without a valid bearer token |
//! | principal hand-over | gives the audit layer outside the subject it could not see |
//! | limit per user | a stolen admin token cannot be used at machine speed |
//! | the admin permission on every route | `403` for a signed-in user who is not an operator, on unknown paths too, so the routes cannot be mapped by a non-admin |
//!
//! Routes may require more than the permission given to all of them:
//! guard a route with [`InternalAdmin::require`] (`admin:users`), and a role
//! holding `admin:*` passes both.

use crate::Error;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use rampart::audit::{AuditLayer, AuditLog, CapturePrincipalLayer, RecordMode};
use rampart::auth::{AuthRejection, JwtAuthority};
use rampart::core::{ClientIpLayer, RequestIdLayer, SharedSink, TrustedProxies};
use rampart::headers::{
    HttpsOnly, HttpsOnlyLayer, HttpsRequired, SecurityHeaders, SecurityHeadersLayer,
};
use rampart::ratelimit::{Key, Limit, Quota, RateLimitLayer, RateLimitRejection, RateLimiter};
use rampart::rbac::{Authorizer, PermissionRejection, RequirePermission};
use std::sync::Arc;

/// What only the service knows.
#[derive(Debug, Clone)]
pub struct InternalAdmin {
    /// CIDRs of the TLS-terminating proxies, whose `X-Forwarded-Proto` and
    /// `X-Forwarded-For` are believed.
    pub trusted_proxies: Vec<String>,
    /// Where plain-HTTP `GET`s are redirected (`admin.example.com`); `None`:
    /// the request's own `Host`, which the client writes.
    pub canonical_host: Option<String>,
    /// The permission every route needs.
    pub permission: String,
    /// Requests per minute per client address.
    pub requests_per_minute_per_address: u32,
    /// Requests per minute per signed-in user.
    pub requests_per_minute_per_user: u32,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Default for InternalAdmin {
    fn default() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            canonical_host: None,
            permission: "admin:access".into(),
            requests_per_minute_per_address: 120,
            requests_per_minute_per_user: 60,
            max_body_bytes: 64 * 1024,
        }
    }
}

impl InternalAdmin {
    /// A further permission for one route, reporting denials to `audit`.
    ///
    /// # Errors
    /// A permission that is not `resource:action`.
    pub fn require(
        &self,
        authz: &Authorizer,
        audit: &AuditLog,
        permission: &str,
    ) -> Result<RequirePermission, Error> {
        let sink: SharedSink = Arc::new(audit.clone());
        Ok(RequirePermission::try_new(authz.clone(), permission)?.event_sink(sink))
    }
}

/// Wraps `routes` in the internal admin stack, recording every request and
/// every layer's security events in `audit`.
///
/// # Errors
/// A proxy CIDR or host that does not parse, a malformed permission, or a
/// zero limit.
pub fn internal_admin(
    routes: Router,
    auth: &JwtAuthority,
    authz: &Authorizer,
    audit: AuditLog,
    settings: &InternalAdmin,
) -> Result<Router, Error> {
    let proxies = TrustedProxies::new(&settings.trusted_proxies)?;
    let audit = AuditLayer::new(audit)
        .record(RecordMode::All)
        .rejection::<HttpsRequired>()
        .rejection::<RateLimitRejection>()
        .rejection::<AuthRejection>()
        .rejection::<PermissionRejection>();
    let sink: SharedSink = Arc::new(audit.clone());
    let mut https = HttpsOnly::new().trusted_proxies(proxies.clone());
    if let Some(host) = &settings.canonical_host {
        https = https.canonical_host(host)?;
    }
    let limiter = |limit: Limit| {
        RateLimiter::builder()
            .limit(limit)
            .event_sink(sink.clone())
            .build()
    };
    let by_address = limiter(Limit::new(
        "ip",
        Quota::per_minute(settings.requests_per_minute_per_address),
    ))?;
    let by_user = limiter(
        Limit::new(
            "user",
            Quota::per_minute(settings.requests_per_minute_per_user),
        )
        .key(Key::subject()),
    )?;
    let admin =
        RequirePermission::try_new(authz.clone(), &settings.permission)?.event_sink(sink.clone());
    Ok(routes
        .layer(admin)
        .layer(RateLimitLayer::new(by_user))
        .layer(CapturePrincipalLayer)
        .layer(auth.layer().event_sink(sink))
        .layer(DefaultBodyLimit::max(settings.max_body_bytes))
        .layer(RateLimitLayer::new(by_address))
        .layer(HttpsOnlyLayer::new(https))
        .layer(audit)
        .layer(ClientIpLayer::new(proxies))
        .layer(RequestIdLayer::new())
        .layer(SecurityHeadersLayer::new(
            SecurityHeaders::strict().build()?,
        )))
}
