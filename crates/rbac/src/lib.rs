//! Role-based authorization for web services.
//!
//! This crate will provide roles with inheritance, `resource:action[:scope]`
//! permissions with wildcards and tenant, organisation and owner scopes,
//! resource grants with expiry, data filters for row-level security, and a
//! `RequirePermission` layer reading the `rampart_core::Principal`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
