//! Tamper-evident audit logging for web services.
//!
//! This crate will provide audit events with correlation ids, an `Audit` layer
//! recording every request, sinks (tracing, JSONL file, PostgreSQL), a hash
//! chain with signed checkpoints and its verification, redaction, retention,
//! query and export. It implements `rampart_core::EventSink`, which is how the
//! other crates report what they refused.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
