//! Security headers for web services, as a tower layer and a plain API.
//!
//! - [`SecurityHeadersLayer`] sets, on every response including rejections
//!   from inner layers: `Strict-Transport-Security`, `Content-Security-Policy`
//!   (or `-Report-Only`) with an optional fresh nonce per response,
//!   `X-Content-Type-Options`, `X-Frame-Options` with matching
//!   `frame-ancestors`, `Referrer-Policy`, `Permissions-Policy`,
//!   `Cross-Origin-Opener/Embedder/Resource-Policy`, `Origin-Agent-Cluster`,
//!   `X-DNS-Prefetch-Control`, `X-Permitted-Cross-Domain-Policies`,
//!   `X-Download-Options`, `X-XSS-Protection: 0`; and it removes `Server` and
//!   `X-Powered-By`.
//! - Presets named for what they protect: [`SecurityHeaders::builder`]
//!   (server-rendered sites, at least as strict as helmet),
//!   [`SecurityHeaders::api`], [`SecurityHeaders::spa`],
//!   [`SecurityHeaders::strict`].
//! - [`CorsPolicy`] builds tower-http's `CorsLayer` from exact origins and
//!   validated subdomain patterns, refusing `*` with credentials.
//! - [`CsrfLayer`] refuses cross-site unsafe requests using Fetch Metadata,
//!   with an `Origin`/`Referer` fallback and an allow-list, which can be the
//!   CORS policy's ([`CsrfPolicyBuilder::trust_cors_origins`]).
//! - [`NonceHtml`] serves a single-page app's `index.html` with the
//!   response's CSP nonce written where the page says `{{csp_nonce}}`.
//!
//! Every value is typed and checked when the layer is built; at request time
//! the layer only copies precomputed values (and splices the nonce).
//!
//! # Where the layers go
//!
//! Outermost first; in axum each `.layer(..)` wraps the ones before it, so
//! the outermost is written last:
//!
//! 1. [`SecurityHeadersLayer`]: every response gets the headers, refusals
//!    from the layers inside included, and [`NonceHtml`] finds its nonce.
//! 2. CORS ([`CorsPolicy::build`]): **outside authentication** and every
//!    other layer that can refuse a request. Before a cross-origin request
//!    with an `Authorization` header or a JSON body, the browser sends a
//!    preflight, an `OPTIONS` request without credentials. Behind an
//!    authentication layer the preflight gets `401` without
//!    `Access-Control-Allow-*` headers, the browser reports a CORS error and
//!    never sends the real request. Outside, CORS answers the preflight
//!    itself and adds its headers to the refusals of the layers inside, so
//!    the front-end can read a `401` or `403` and act on it.
//! 3. [`CsrfLayer`]: outside authentication too, so that a forged request is
//!    refused before any token or session is looked at. It lets preflights
//!    (and every safe method) through.
//! 4. Authentication, rate limits, permissions, the handlers.
//!
//! ```
//! use axum::{Router, routing::{get, post}};
//! use rampart::headers::{CorsPolicy, CsrfLayer, CsrfPolicy, SecurityHeaders, SecurityHeadersLayer};
//!
//! # fn build(auth: tower::layer::util::Identity) -> Result<Router, rampart::headers::ConfigError> {
//! let cors = CorsPolicy::new()
//!     .allow_origin("https://app.example.com")
//!     .allow_credentials(true);
//! let csrf = CsrfPolicy::builder().trust_cors_origins(&cors).build()?;
//! let app = Router::new()
//!     .route("/api/items", get(|| async { "[]" }).post(|| async { "created" }))
//!     .layer(auth) // authentication: innermost of these
//!     .layer(CsrfLayer::new(csrf))
//!     .layer(cors.build()?)
//!     .layer(SecurityHeadersLayer::new(SecurityHeaders::api().build()?));
//! # Ok(app) }
//! # build(tower::layer::util::Identity::new()).unwrap();
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The README's example (the crate's page on crates.io), compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

mod config;
mod cors;
mod csp;
mod csrf;
mod error;
mod guard_future;
mod hsts;
mod html;
mod https_only;
mod layer;
mod origin;
mod permissions_policy;
mod security_headers;
mod values;

pub use config::{Preset, SecurityHeadersConfig};
pub use cors::{CorsConfig, CorsPolicy};
pub use csp::{CompiledCsp, ContentSecurityPolicy, CspNonce, Directive, Source};
pub use csrf::{
    CsrfConfig, CsrfFuture, CsrfLayer, CsrfPolicy, CsrfPolicyBuilder, CsrfReason, CsrfRejection,
    CsrfService,
};
pub use error::ConfigError;
pub use guard_future::GuardFuture;
pub use hsts::{Hsts, ONE_YEAR_SECS};
pub use html::{NONCE_PLACEHOLDER, NonceHtml};
pub use https_only::{
    HttpsOnly, HttpsOnlyConfig, HttpsOnlyFuture, HttpsOnlyLayer, HttpsOnlyService, HttpsRequired,
    TlsConnection,
};
pub use layer::{ResponseFuture, SecurityHeadersLayer, SecurityHeadersService};
pub use permissions_policy::{DENIED_BY_DEFAULT, PermissionsPolicy};
pub use security_headers::{SecurityHeaders, SecurityHeadersBuilder};
pub use values::{
    CrossOriginEmbedderPolicy, CrossOriginOpenerPolicy, CrossOriginResourcePolicy, FrameOptions,
    ReferrerPolicy,
};
