//! Input defence for web services.
//!
//! This crate provides detectors for SQL injection, cross-site scripting,
//! path traversal, command and header injection; strict validators for
//! e-mail addresses, URLs (with SSRF protection) and uploads; HTML cleaning;
//! and an `InputGuard` layer that rejects or flags injected input.
//!
//! # Detectors
//!
//! Each detector implements [`Detector`]: `scan(&str) -> Option<Finding>`,
//! with the [`Category`], a fingerprint of the shape that matched, and the
//! span. Inputs are normalised first ([`Normalized`]: bounded repeated URL
//! decoding, HTML entities, NFKC, case folding) and scanned whole, in linear
//! time. [`Strictness::Strict`] is for fields that never hold prose.
//!
//! ```
//! use rampart_sanitize::{Category, Detector, Detectors, SqlInjectionDetector, Strictness};
//!
//! assert!(SqlInjectionDetector::default().scan("1' OR '1'='1").is_some());
//! let all = Detectors::new(Strictness::Default);
//! let finding = all.scan("..%2f..%2fetc%2fpasswd").expect("traversal");
//! assert_eq!(finding.category(), Category::PathTraversal);
//! assert!(all.scan("Drop me a line; cat lovers welcome").is_none());
//! ```
//!
//! # The `InputGuard` layer
//!
//! [`InputGuardLayer`] applies an [`InputGuard`] to path segments, query
//! parameters, chosen headers, cookies and JSON or form bodies, each value
//! decoded once in its context, with per-field policies
//! ([`FieldPolicy`]: strict, exempt, or cleaned by a function you give).
//! It blocks with a `400` problem or, in [`Mode::DetectOnly`], reports an
//! `AttackDetected` event and lets the request pass. Configure it with the
//! builder or from TOML ([`InputGuardConfig`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The README's example (the crate's page on crates.io), compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub mod clean;
mod config;
mod detect;
pub mod encode;
mod error;
mod guard;
pub mod validate;

pub use config::InputGuardConfig;
pub use detect::{
    Category, CommandInjectionDetector, Detector, Detectors, Finding, HeaderInjectionDetector,
    MAX_DECODE_PASSES, NoSqlInjectionDetector, Normalized, PathTraversalDetector,
    SqlInjectionDetector, Strictness, XssDetector, is_nosql_operator,
};
pub use error::ConfigError;
pub use guard::{
    Cleaner, DEFAULT_MAX_BODY_BYTES, FieldPolicy, FieldPolicyConfig, GuardRejection, InputGuard,
    InputGuardBuilder, InputGuardLayer, InputGuardService, Location, Mode, ResponseFuture,
    Violation,
};
