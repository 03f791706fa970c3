//! Input defence for web services.
//!
//! This crate will provide detectors for SQL injection, cross-site scripting,
//! path traversal, command and header injection; strict validators for
//! e-mail addresses, URLs (with SSRF protection) and uploads; HTML cleaning;
//! and an `InputGuard` layer that rejects or flags injected input.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod clean;
pub mod encode;
pub mod validate;
