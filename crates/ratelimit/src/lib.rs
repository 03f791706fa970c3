//! Rate limiting for web services.
//!
//! This crate will provide quotas and limiting algorithms keyed by client IP,
//! user, tenant and route; multi-level policies; in-memory and Redis stores
//! shared between instances; a `RateLimit` layer answering 429 with
//! `Retry-After`; and login throttling with account lockout.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
