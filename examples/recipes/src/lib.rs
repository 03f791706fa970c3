//! Copy-paste layer stacks for three common services, each a function that
//! wraps an axum `Router` in the rampart layers that service needs, in the
//! order that makes them work together:
//!
//! | recipe | for | authentication | the defences that make it that recipe |
//! | --- | --- | --- | --- |
//! | [`public_api`] | an API called by anyone: scripts, partners, other sites' front-ends | bearer JWT, optional | CORS for listed origins, a limit per client address behind trusted proxies, the input guard |
//! | [`spa_backend`] | the backend of one single-page app, in the browser of a signed-in user | JWT in an `HttpOnly` cookie | a nonce CSP on the served page, CSRF defence, credentialed CORS for one origin, a limit per user |
//! | [`internal_admin`] | an operators' service | bearer JWT, required | HTTPS only, an admin permission on every route, an audit record of every request, tight limits |
//!
//! Every recipe puts the security headers outermost and the request id
//! next, so that every answer, the refusals of every layer included, carries
//! both. Each module's docs say why each layer sits where it does; copy the
//! function and change what your service needs.
//!
//! ```
//! use axum::{Router, routing::get};
//! use rampart::auth::JwtConfig;
//! use recipes::public_api::{PublicApi, public_api};
//!
//! # fn run() -> Result<(), recipes::Error> {
//! let auth = JwtConfig { issuer: Some("https://auth.example.com".into()), ..JwtConfig::default() }.build()?;
//! let settings = PublicApi {
//!     trusted_proxies: vec!["10.0.0.0/8".into()],
//!     allowed_origins: vec!["https://partner.example.com".into()],
//!     ..PublicApi::default()
//! };
//! let app: Router = public_api(Router::new().route("/v1/items", get(|| async { "[]" })), &auth, &settings)?;
//! # drop(app);
//! # Ok(()) }
//! # run().unwrap();
//! ```

pub mod internal_admin;
pub mod public_api;
pub mod spa_backend;

/// Whatever setting a recipe refused: each rampart crate checks its own
/// configuration when a layer is built and says what is wrong, so a recipe
/// passes that message on rather than translate it.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
