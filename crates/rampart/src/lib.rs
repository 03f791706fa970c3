//! Security middleware for Rust web services.
//!
//! `rampart` re-exports the rampart crates behind one dependency, each behind
//! a feature of its own name:
//!
//! | module | crate | feature |
//! | --- | --- | --- |
//! | [`core`] | `rampart-core`: principal, client IP, request id, events, problems, clocks | always |
//! | `headers` | `rampart-headers`: security headers, CSP nonces, CORS, CSRF | `headers` (default) |
//! | `auth` | `rampart-auth`: JWT tokens, key rotation, JWKS, revocation, auth layer | `auth` (default) |
//! | `rbac` | `rampart-rbac`: roles, scoped permissions, grants, `RequirePermission` | `rbac` (default) |
//!
//! `axum` (default) turns on each crate's axum integration, `redis` their
//! Redis stores, `postgres` the row-level security helper.
//!
//! ```
//! use rampart::core::{AuthMethod, Principal};
//!
//! let p = Principal::new("alice", AuthMethod::Jwt);
//! assert_eq!(p.subject(), "alice");
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use rampart_core as core;

#[cfg(feature = "headers")]
#[cfg_attr(docsrs, doc(cfg(feature = "headers")))]
pub use rampart_headers as headers;

#[cfg(feature = "auth")]
#[cfg_attr(docsrs, doc(cfg(feature = "auth")))]
pub use rampart_auth as auth;

#[cfg(feature = "rbac")]
#[cfg_attr(docsrs, doc(cfg(feature = "rbac")))]
pub use rampart_rbac as rbac;

/// The README's examples, compiled as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
