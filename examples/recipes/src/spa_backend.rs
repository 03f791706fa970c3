//! The backend of one single-page app: it serves the app's `index.html`
//! under a nonce CSP and the app's API to a signed-in user, whose browser
//! sends the access token as a cookie by itself.
//!
//! Outermost first:
//!
//! | layer | why here |
//! | --- | --- |
//! | security headers (`spa` preset) | `script-src 'self' 'nonce-…'`: a fresh nonce per response, written into the page by [`NonceHtml`]; an injected inline script has none and does not run |
//! | request id | every answer carries one |
//! | CORS for the one front-end origin, with credentials | when the app is served from its own origin, its calls carry the cookie and it can read the answers, `401`s included; no other origin can |
//! | CSRF (Fetch Metadata, then `Origin` / `Referer`) | the cookie is ambient: any site could make the browser send it, so an unsafe request from another site is a `403` before the cookie is looked at; the CORS origin is trusted |
//! | *(the page ends here: it is public)* | |
//! | JWT from the cookie | the API needs a signed-in user (`401` otherwise) |
//! | limit per user | counts by subject, which exists only after authentication, so one user's script cannot starve the others |
//!
//! The cookie should be set `HttpOnly; Secure; SameSite=Lax; Path=/` with a
//! `__Host-` name (the default here), so script on the page cannot read the
//! token and no other subdomain can set it. `SameSite` alone is not the CSRF
//! defence: sibling subdomains are "same site", and the CSRF layer refuses
//! them unless trusted.

use crate::Error;
use axum::Router;
use rampart::auth::JwtAuthority;
use rampart::core::RequestIdLayer;
use rampart::headers::{
    CorsPolicy, CsrfLayer, CsrfPolicy, NonceHtml, SecurityHeaders, SecurityHeadersLayer,
};
use rampart::ratelimit::{Key, Limit, Quota, RateLimitLayer, RateLimiter};

/// What only the service knows.
#[derive(Debug, Clone)]
pub struct SpaBackend {
    /// The one origin the front-end may call from when it is not served by
    /// this backend (`https://app.example.com`).
    pub app_origin: String,
    /// The cookie holding the access token.
    pub cookie: String,
    /// API requests per minute per signed-in user.
    pub requests_per_minute_per_user: u32,
}

impl Default for SpaBackend {
    fn default() -> Self {
        Self {
            app_origin: "https://app.example.com".into(),
            cookie: "__Host-access_token".into(),
            requests_per_minute_per_user: 300,
        }
    }
}

/// Serves `api` to signed-in users and `index_html` (with each
/// `{{csp_nonce}}` filled in) on every other `GET`, which is what a
/// client-side router needs.
///
/// # Errors
/// An origin that is not `scheme://host[:port]`, or a zero limit.
pub fn spa_backend(
    api: Router,
    index_html: &str,
    auth: &JwtAuthority,
    settings: &SpaBackend,
) -> Result<Router, Error> {
    let by_user = RateLimiter::builder()
        .limit(
            Limit::new(
                "user",
                Quota::per_minute(settings.requests_per_minute_per_user),
            )
            .key(Key::subject()),
        )
        .build()?;
    let cors = CorsPolicy::new()
        .allow_origin(settings.app_origin.clone())
        .allow_credentials(true);
    let csrf = CsrfPolicy::builder().trust_cors_origins(&cors).build()?;
    let api = api
        .layer(RateLimitLayer::new(by_user))
        .layer(auth.layer().cookie(settings.cookie.clone()));
    Ok(Router::new()
        .merge(api)
        .fallback_service(NonceHtml::new(index_html))
        .layer(CsrfLayer::new(csrf))
        .layer(cors.build()?)
        .layer(RequestIdLayer::new())
        .layer(SecurityHeadersLayer::new(SecurityHeaders::spa().build()?)))
}
