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
//!   with an `Origin`/`Referer` fallback and an allow-list.
//!
//! Every value is typed and checked when the layer is built; at request time
//! the layer only copies precomputed values (and splices the nonce).
//!
//! ```
//! use axum::{Router, routing::get};
//! use rampart_headers::{CorsPolicy, CsrfLayer, CsrfPolicy, SecurityHeaders, SecurityHeadersLayer};
//!
//! # fn build() -> Result<Router, rampart_headers::ConfigError> {
//! let app = Router::new()
//!     .route("/health", get(|| async { "ok" }))
//!     .layer(CsrfLayer::new(CsrfPolicy::new()))
//!     .layer(CorsPolicy::new().allow_origin("https://app.example.com").build()?)
//!     .layer(SecurityHeadersLayer::new(SecurityHeaders::api().build()?));
//! # Ok(app) }
//! # build().unwrap();
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod config;
mod cors;
mod csp;
mod csrf;
mod error;
mod hsts;
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
pub use hsts::{Hsts, ONE_YEAR_SECS};
pub use layer::{ResponseFuture, SecurityHeadersLayer, SecurityHeadersService};
pub use permissions_policy::{DENIED_BY_DEFAULT, PermissionsPolicy};
pub use security_headers::{SecurityHeaders, SecurityHeadersBuilder};
pub use values::{
    CrossOriginEmbedderPolicy, CrossOriginOpenerPolicy, CrossOriginResourcePolicy, FrameOptions,
    ReferrerPolicy,
};
