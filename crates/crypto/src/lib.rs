//! Field-level encryption for web services.
//!
//! This crate will provide AES-256-GCM encryption of individual fields bound to
//! their context (record, field, tenant), a keyring with rotation, per-tenant
//! keys and envelope encryption through a key provider, blind indexes for
//! searching encrypted values, and masking for display.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
