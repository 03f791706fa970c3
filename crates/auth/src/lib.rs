//! Authentication for web services.
//!
//! This crate will provide JWT access and refresh tokens (issue, verify,
//! rotation with reuse detection, revocation, key rotation and JWKS), password
//! hashing with argon2id, TOTP multi-factor authentication with backup codes,
//! server-side sessions, and the tower layers that put a
//! `rampart_core::Principal` on each authenticated request.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
