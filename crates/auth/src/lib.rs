//! JWT authentication for web services: issue, verify, rotate, revoke.
//!
//! - [`JwtIssuer`] and [`JwtVerifier`] sign and check access and refresh
//!   tokens with keys from a rotating [`KeySet`]; [`JwksService`] publishes
//!   the public keys.
//! - [`TokenManager`] issues [`TokenPair`]s, rotates refresh tokens (each works
//!   once; reuse revokes the whole family; a family ends 30 days after sign-in
//!   however often it is refreshed), re-checks the user through the
//!   application's [`Revalidate`] hook on every refresh, and logs out.
//! - [`RevocationStore`] / [`FamilyStore`] remember revocations and refresh
//!   families: [`MemoryStore`], or `RedisStore` (feature `redis`) for several instances.
//! - [`JwtAuthLayer`] authenticates requests and inserts a
//!   [`Principal`](rampart_core::Principal) and the typed claims as
//!   `Arc<`[`Claims<C>`]`>`, shared with the verified-token cache rather than
//!   copied per request (the axum `Claims<C>` extractor copies them out;
//!   `extensions().get::<Arc<Claims<C>>>()` reads them in place). A
//!   token seen before is not re-verified until it expires: the verifier
//!   remembers the exact token strings it accepted
//!   ([`JwtVerifierBuilder::verified_cache`]), and still checks revocation on
//!   every request.
//! - [`JwtConfig`] builds all of it from one serde config.
//! - [`AccountStatusCheck`] refuses a disabled account on its next request,
//!   however fresh its token (`JwtAuthLayer::account_status`).
//! - [`password::PasswordVerifier`] checks argon2id passwords on the blocking
//!   pool, a bounded number at once (`Busy` beyond), with a decoy for unknown
//!   users that costs what a real check costs.
//!
//! # Quick start (axum)
//!
//! ```
//! # #[cfg(feature = "axum")] {
//! use axum::{Json, Router, extract::State, routing::{get, post}};
//! use rampart::auth::{JwtConfig, JwtRuntime, RefreshClaims, RefreshError, Revalidation, Standing, StoreError,
//!     TokenPair, TokenRequest, axum::{Authenticated, jwks_route}};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Every refresh asks the user directory who the user is now.
//! let revalidate = |claims: &RefreshClaims| {
//!     let still_here = claims.subject() == "alice"; // ... look the user up ...
//!     async move {
//!         Ok::<_, StoreError>(if still_here {
//!             Revalidation::Allow(Standing::roles(["editor"]).tenant("acme".to_owned()))
//!         } else {
//!             Revalidation::Refuse
//!         })
//!     }
//! };
//! let config = JwtConfig { issuer: Some("https://api.example.com".into()), ..JwtConfig::default() };
//! let auth = config.build_with(JwtRuntime::default().revalidate(revalidate))?;
//! println!("signing with key {}", auth.signing_kid().unwrap_or_default());
//!
//! async fn login(State(auth): State<rampart::auth::JwtAuthority>) -> Json<TokenPair> {
//!     // ... check the password first ...
//!     let request = TokenRequest::new("alice").tenant("acme").roles(["editor"]);
//!     Json(auth.tokens().issue_pair(&request).await.expect("store is in memory"))
//! }
//! async fn refresh(State(auth): State<rampart::auth::JwtAuthority>, body: String)
//!     -> Result<Json<TokenPair>, String> {
//!     match auth.tokens().refresh(&body, None).await {
//!         Ok(pair) => Ok(Json(pair)),
//!         Err(RefreshError::Unavailable(_)) => Err("try again shortly (503, Retry-After)".into()),
//!         Err(e) if e.is_invalid_grant() => Err("invalid_grant: sign in again (401)".into()),
//!         Err(e) => Err(e.code().into()),
//!     }
//! }
//! async fn logout(State(auth): State<rampart::auth::JwtAuthority>, Authenticated(who): Authenticated) {
//!     let _ = auth.tokens().logout(&who).await;
//! }
//! async fn me(Authenticated(who): Authenticated) -> String {
//!     format!("{} ({:?}) roles {:?}", who.subject(), who.tenant(), who.roles())
//! }
//!
//! let protected = Router::new()
//!     .route("/me", get(me))
//!     .route("/logout", post(logout))
//!     .layer(auth.layer());
//! let app: Router = Router::new()
//!     .route("/login", post(login))
//!     .route("/refresh", post(refresh))
//!     .route("/.well-known/jwks.json", jwks_route(auth.keys().clone()))
//!     .merge(protected)
//!     .with_state(auth);
//! # let _ = app; Ok(()) }
//! # }
//! ```
//!
//! # Security choices
//!
//! - **Crypto backend.** jsonwebtoken runs on its `aws_lc_rs` backend
//!   (default features off, plus `use_pem`), and keys are generated with
//!   aws-lc-rs directly. The alternative `rust_crypto` backend pulls the `rsa`
//!   crate, whose private-key operations are open to a timing side channel
//!   (Marvin attack, RUSTSEC-2023-0071, no fixed release); aws-lc's RSA is
//!   constant-time, and it is the same library rustls uses.
//! - **Algorithm confusion.** Each key carries one algorithm; a token's `alg`
//!   must equal its key's. `none` (any spelling) is refused before any key is
//!   looked at. An HMAC key never verifies an RSA/EC/Ed token, and a public
//!   key (PEM or JWK) can never become an HMAC secret.
//! - **Keys from tokens.** `jwk`, `jku`, `x5u`, `x5c` headers are refused:
//!   rampart never fetches a URL named by a token, and the `kid` is only a map key.
//! - **Size.** Tokens over 8 KiB are refused before decoding.
//! - **Token use.** Access tokens carry `typ: at+jwt` (RFC 9068) and
//!   `token_use: access`; refresh tokens `rt+jwt` and `refresh`. Each is checked.
//! - **Revocation.** Fail closed by default; every store failure raises a
//!   [`SecurityEvent`](rampart_core::SecurityEvent).
//!
//! # Features
//!
//! - `axum`: extractors ([`axum::Authenticated`], `Claims<C>`) and [`axum::jwks_route`].
//! - `redis`: `RedisStore` (and `mfa::RedisMfaStore` with `mfa`,
//!   `webauthn::RedisWebAuthnStore` with `webauthn`).
//! - `session`: `session::SessionManager` and `session::SessionLayer`,
//!   server-side sessions for cookie-based apps (`session::RedisSessionStore`
//!   with `redis`).
//! - `mfa`: `mfa::Mfa`, a TOTP second factor (RFC 6238) with backup codes,
//!   QR enrolment, replay protection and per-account throttling.
//! - `webauthn`: `webauthn::WebAuthnMfa`, WebAuthn / FIDO2 security keys and
//!   passkeys as a second factor (registration and authentication
//!   ceremonies, credentials in a store trait).
//! - `remote-jwks`: `remote::RemoteJwks`, trusting an external provider's
//!   published keys (fetched by your own HTTP client), refreshed periodically
//!   and on unknown `kid`s.
//! - `oidc` (implies `remote-jwks`): `RemoteJwks::from_url`,
//!   `RemoteJwks::discover` (OpenID Connect discovery) and
//!   `remote::ProviderConfig`, fetching over HTTPS with reqwest and rustls.
//!
//! # Tokens from an OpenID Connect provider
//!
//! ```no_run
//! # #[cfg(feature = "oidc")] {
//! use rampart::auth::{JwtAuthLayer, JwtVerifier, remote::RemoteJwks};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let provider = RemoteJwks::discover("https://login.example.com/").await?;
//! provider.refresh().await?;
//! let verifier = JwtVerifier::external(provider)
//!     .audience(["https://api.example.com"])
//!     .tenant_claim("tid")
//!     .build()?;
//! let layer = JwtAuthLayer::new(verifier);
//! # let _ = layer; Ok(()) }
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The README's example (the crate's page on crates.io), compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

mod account;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
mod config;
mod error;
mod jwks;
mod jwt;
mod layer;
#[cfg(feature = "mfa")]
#[cfg_attr(docsrs, doc(cfg(feature = "mfa")))]
pub mod mfa;
#[cfg(feature = "oob")]
#[cfg_attr(docsrs, doc(cfg(feature = "oob")))]
pub mod oob;
pub mod password;
mod refresh;
#[cfg(feature = "remote-jwks")]
#[cfg_attr(docsrs, doc(cfg(feature = "remote-jwks")))]
pub mod remote;
mod revalidate;
pub mod revocation;
#[cfg(feature = "session")]
#[cfg_attr(docsrs, doc(cfg(feature = "session")))]
pub mod session;
mod tenant_policy;
#[cfg(feature = "webauthn")]
#[cfg_attr(docsrs, doc(cfg(feature = "webauthn")))]
pub mod webauthn;

pub use account::{AccountDecision, AccountStatus, AccountStatusCheck};
pub use config::{JwtAuthority, JwtConfig, JwtRuntime, Secret};
pub use error::{AuthError, ConfigError, IssueError, RefreshError, StoreError};
pub use jsonwebtoken::jwk::{Jwk, JwkSet};
pub use jwks::JwksService;
pub use jwt::algorithm::Algorithm;
pub use jwt::claims::{Audience, Claims, NoCustomClaims, RequiredClaim, TokenUse};
pub use jwt::issue::{IssuedToken, JwtIssuer, JwtIssuerBuilder, TokenRequest};
pub use jwt::key_id::jwk_thumbprint;
pub use jwt::key_set::KeySet;
pub use jwt::keys::{SigningKey, VerificationKey};
pub use jwt::mapping::{ClaimPath, PrincipalMapper};
pub use jwt::numeric_date::NumericDate;
pub use jwt::rotation::{KeyRotation, KeyRotationBuilder};
pub use jwt::verified_cache::DEFAULT_VERIFIED_CACHE;
pub use jwt::verify::{DEFAULT_MAX_TOKEN_BYTES, JwtVerifier, JwtVerifierBuilder};
pub use layer::{AuthRejection, JwtAuth, JwtAuthLayer, ResponseFuture};
pub use refresh::{DEFAULT_FAMILY_LIFETIME, TokenManager, TokenManagerBuilder, TokenPair};
pub use revalidate::{
    RefreshClaims, Revalidate, RevalidateFuture, Revalidation, SharedRevalidate, Standing,
};
pub use revocation::{
    FailMode, FamilyClient, FamilyInfo, FamilyStore, MemoryStore, RevocationResponder,
    RevocationStore,
};
pub use tenant_policy::TenantPolicies;
