//! An API open to the world: anonymous callers are served, a bearer token
//! (when sent) must be valid, and every caller is counted by address.
//!
//! Outermost first:
//!
//! | layer | why here |
//! | --- | --- |
//! | security headers (`api` preset) | every answer, refusals included, is `nosniff`, framed by no one, not cached as a page |
//! | request id | a caller who got a `429` or `400` can quote the id |
//! | client address, through the trusted proxies only | the limit counts the real client; a forwarding header from anyone else is ignored, or a client could pick its own key |
//! | CORS for the listed origins | preflights are answered before they cost a limit, and browsers can read the `429` below |
//! | limit per address | the cheapest refusal, before any signature check or input scan |
//! | JWT, optional | a token that is sent must be valid (`401` otherwise); none at all passes without a `Principal`, and handlers decide what an anonymous caller sees |
//! | input guard | injected input in path, query, headers named, cookies or body is a `400` problem before a handler parses it |
//!
//! CORS carries no credentials: a public API's callers send tokens in
//! `Authorization`, which the browser only sends when the page's script adds
//! it, so there is no ambient cookie for another site to ride on and no CSRF
//! layer is needed.

use crate::Error;
use axum::Router;
use rampart::auth::JwtAuthority;
use rampart::core::{ClientIpLayer, RequestIdLayer, TrustedProxies};
use rampart::headers::{CorsPolicy, SecurityHeaders, SecurityHeadersLayer};
use rampart::ratelimit::{Limit, Quota, RateLimitLayer, RateLimiter};
use rampart::sanitize::{InputGuard, InputGuardLayer};

/// What only the service knows.
#[derive(Debug, Clone)]
pub struct PublicApi {
    /// CIDRs of the proxies in front of the service, whose
    /// `X-Forwarded-For` names the client. Empty: the TCP peer is the client.
    pub trusted_proxies: Vec<String>,
    /// Origins whose pages may call the API from a browser (exact,
    /// `https://app.example.com`). Empty: no cross-origin reads.
    pub allowed_origins: Vec<String>,
    /// Requests per minute per client address (IPv6 by /64).
    pub requests_per_minute: u32,
}

impl Default for PublicApi {
    fn default() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            allowed_origins: Vec::new(),
            requests_per_minute: 600,
        }
    }
}

/// Wraps `routes` in the public API stack; handlers find the caller's
/// [`Principal`](rampart::core::Principal) in the request extensions when a
/// valid token was sent.
///
/// # Errors
/// A proxy CIDR or origin that does not parse, or a zero limit.
pub fn public_api(
    routes: Router,
    auth: &JwtAuthority,
    settings: &PublicApi,
) -> Result<Router, Error> {
    let by_address = RateLimiter::builder()
        .limit(Limit::new(
            "ip",
            Quota::per_minute(settings.requests_per_minute),
        ))
        .build()?;
    let cors = CorsPolicy::new()
        .allow_origins(settings.allowed_origins.clone())
        .expose_headers([
            "x-request-id",
            "retry-after",
            "ratelimit",
            "ratelimit-policy",
        ])
        .build()?;
    Ok(routes
        .layer(InputGuardLayer::new(InputGuard::builder().build()?))
        .layer(auth.layer().allow_anonymous())
        .layer(RateLimitLayer::new(by_address))
        .layer(cors)
        .layer(ClientIpLayer::new(TrustedProxies::new(
            &settings.trusted_proxies,
        )?))
        .layer(RequestIdLayer::new())
        .layer(SecurityHeadersLayer::new(SecurityHeaders::api().build()?)))
}
