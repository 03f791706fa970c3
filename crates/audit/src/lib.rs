//! Tamper-evident audit logging for web services.
//!
//! Every record is an [`AuditEvent`] sealed into a hash chain: it carries a
//! sequence number, the previous record's hash and its own SHA-256 hash.
//! Signed [`Checkpoint`]s (Ed25519) vouch for the chain every N records and at
//! shutdown, so [`verify`] needs only the public key to say that a log is
//! intact, or which record was modified, deleted, inserted, reordered or cut off.
//!
//! - [`AuditLog`]: the plain API. [`AuditLog::record`] only enqueues (a
//!   bounded queue; no I/O on the caller's thread); a background writer
//!   redacts, encrypts personal data, seals the chain, batches and writes,
//!   retrying a failing sink with backoff. Full queue: block (default) or
//!   drop and count. [`AuditLog::shutdown`] drains and seals.
//! - [`AuditLayer`]: one event per request, and the [`EventSink`](rampart_core::EventSink)
//!   for every other rampart layer, so their denials land in the same chain.
//! - Sinks: [`FileSink`] (JSONL, fsync per batch, rotation by size or time
//!   with the chain continuing across files, crash recovery, pruning by
//!   [`Retention`]), [`SyslogSink`] (RFC 5424 over TCP, TLS with the
//!   `syslog-tls` feature), [`TracingSink`], [`FanOut`], [`MemorySink`], and
//!   with the `postgres` feature `PostgresSink` (a table, one transaction per
//!   batch, idempotent when a batch is retried) with verification and queries
//!   over its table (`PostgresTable`).
//! - [`verify`], [`query`], [`export_jsonl`], [`export_csv`] and the
//!   `rampart-audit` command line (`verify | query | export | keygen`).
//! - [`rules`]: threat rules over the event stream (brute force, attacks,
//!   rate anomalies, scanning and exfiltration, off-hours activity,
//!   privilege escalation) raising `security.alert.*` events into the same
//!   chain, and automated responses through rampart-core's
//!   [`SecurityResponder`](rampart_core::SecurityResponder) (block an address,
//!   lock an account, revoke tokens), each recorded as a `security.response.*`
//!   event. Given to a log with [`AuditLogBuilder::rules`].
//! - [`AuditConfig`]: the `[audit]` section of an application's config.
//! - Erasure: with [`SubjectKeys`], personal data is encrypted under a key per
//!   subject before the record is hashed; [`AuditLog::erase_subject`]
//!   destroys the key and the chain still verifies (see [Erasure](#erasure)).
//!
//! ```
//! use rampart_audit::{AuditConfig, AuditEvent, Outcome, types};
//!
//! # let dir = std::env::temp_dir().join(format!("rampart-audit-doc-{}", std::process::id()));
//! let mut config = AuditConfig::default();     // or toml::from_str(the [audit] section)
//! config.path = dir.join("audit.jsonl");
//! let trail = config.open()?;                  // makes audit.jsonl.key/.pub on first start
//! let layer = trail.layer();                   // wrap the router; also the layers' EventSink
//! trail.log().record(
//!     AuditEvent::new(types::ADMIN_ROLE_GRANTED)
//!         .subject("alice")
//!         .target("role_binding", "bob:editor")
//!         .outcome(Outcome::Success),
//! )?;
//! let report = trail.verify()?;                // what GET /admin/audit/verify answers
//! assert!(report.ok);
//! assert_eq!(report.events, 1);
//! trail.log().shutdown()?;
//! # drop(layer);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Tamper evidence and its limits
//!
//! Anyone can recompute SHA-256, so the hashes alone catch careless edits;
//! the signed checkpoints catch a rewritten chain. Records written after the
//! last checkpoint are only as safe as the file: a log cut back to a
//! checkpoint looks like a log still being written, which is why
//! [`VerifyReport::unsealed`] is reported and
//! [`VerifyOptions::require_sealed`] exists for closed logs. Ship
//! checkpoints elsewhere (another sink) to anchor them outside the host.
//! Retention prunes whole rotated files: every file starts with a signed
//! anchor, so the retained part verifies on its own. A file goes only when
//! every record in it has outlived its [`Category`]'s period ([`Retention`]:
//! security 7 years, access 3 years, system 1 year by default), and only the
//! oldest files go, so the retained chain never has a hole; each prune is
//! itself recorded as an `audit.retention.pruned` event.
//!
//! # Erasure
//!
//! With [`SubjectKeys`] (`[audit] subject_keys` in the config), the writer
//! encrypts personal data with AES-256-GCM *before* the record is hashed,
//! each value under the key of the subject it belongs to:
//!
//! | value | whose key |
//! | --- | --- |
//! | `actor.subject`, `actor.email`, `client.ip`, `client.user_agent` | the actor's |
//! | `target.id` when `target.kind` names a subject ([`target_is_subject`]: `subject`, `user`, `principal`, any case) | the subject it names |
//! | metadata `actor`, `subject`, `user`, `username`, `user_id`, `login` (a string or number) | the subject it names |
//! | metadata `email`, `client_ip`, `ip`, `user_agent`, and a structured value under an identifier name | the actor's; with no actor, an `email` is its own subject's |
//!
//! So in `admin.role.granted` (alice gives bob a role, as rampart-rbac
//! reports it), alice's id is sealed under alice's key and bob's, in
//! `target.id`, under bob's. [`AuditLog::erase_subject`] destroys one key:
//! every record and checkpoint still verifies byte for byte, that subject's
//! values are unreadable wherever they appear, and everyone else's still read.
//! It first writes what was recorded before the call, so a queued event is
//! not sealed under a fresh key after the old one is gone. Without an actor,
//! a client address stays in clear: there is no subject to erase it for, and
//! it is the evidence of an attack.
//!
//! An encrypted value is `enc:v1:<key id>:<base64 nonce ‖ ciphertext>`, the
//! field's path (`target.id`, `metadata.email`) as associated data, so a
//! ciphertext moved to another field does not decrypt; metadata is encrypted
//! as JSON text, so a number comes back a number. The key id is random and
//! says nothing about the subject. Readers decide by that prefix, not by the
//! event's type, so records written before a field was encrypted (a clear
//! `target.id` in older trails) still verify and read as written.
//!
//! [`query`] and the command line (`--subject-keys`) decrypt with
//! [`SubjectKeys::present`]: a value whose key is gone reads as [`ERASED`].
//! Without the key file, values stay as stored. A key file of another trail
//! holds none of this one's keys, so everything encrypted would read as erased.
//!
//! ```
//! use rampart_audit::{
//!     AuditEvent, AuditLog, ERASED, FileSink, FileSinkOptions, Query, SigningKey, SubjectKeys,
//!     query, types,
//! };
//!
//! # let dir = std::env::temp_dir().join(format!("rampart-audit-erase-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! let path = dir.join("audit.jsonl");
//! let (signer, _) = SigningKey::generate()?;
//! let log = AuditLog::builder(FileSink::new(&path, FileSinkOptions::default()), signer)
//!     .subject_keys(SubjectKeys::open(dir.join("subject-keys.json"))?)
//!     .build()?;
//! log.record(
//!     AuditEvent::new(types::ADMIN_ROLE_GRANTED)
//!         .subject("alice")
//!         .target("subject", "bob"),
//! )?;
//! log.erase_subject("bob")?;
//! log.shutdown()?;
//! let records = query(&path, &Query::default(), log.subject_keys())?;
//! let grant = &records[0].event;
//! assert_eq!(grant.target.as_ref().unwrap().id.as_deref(), Some(ERASED));
//! assert_eq!(grant.actor.as_ref().unwrap().subject.as_deref(), Some("alice"));
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Canonical encoding
//!
//! A record is one JSON line, `{"hash":"…","event":{…},"prev":"…","seq":N,"v":1}`.
//! Its hash is SHA-256 over the record without its `hash` member, encoded as
//! JSON with object members sorted by key (UTF-8 byte order) at every depth,
//! no whitespace, strings escaped as `serde_json` escapes them and numbers as
//! it prints them. The verifier re-encodes each parsed line the same way, so
//! the order members appear in on disk does not matter, but any added,
//! removed or changed member does. The first record has `seq` 1 and a `prev`
//! of 64 zeros.
//!
//! # Mapping onto the Elastic Common Schema
//!
//! | `AuditEvent` field | ECS field |
//! | --- | --- |
//! | `id` | `event.id` |
//! | `timestamp` | `@timestamp` |
//! | `type` | `event.action` (its first segment: `event.category`) |
//! | `severity` | `event.severity` (info 1 … critical 5), `log.level` |
//! | `outcome` | `event.outcome` |
//! | `action` | `event.type` detail, or `labels.action` |
//! | `reason` | `event.reason` |
//! | `actor.subject` | `user.id` |
//! | `actor.email` | `user.email` |
//! | `actor.tenant` / `actor.org` | `organization.id` / `labels.org` |
//! | `actor.session` | `session.id` (custom; ECS has none) |
//! | `client.ip` | `client.ip`, `source.ip` |
//! | `client.user_agent` | `user_agent.original` |
//! | `target.kind` / `target.id` | `labels.target_kind` / `labels.target_id` |
//! | `request_id` | `http.request.id` |
//! | `correlation_id` | `trace.id` |
//! | `http.method` / `http.route` / `http.status` | `http.request.method` / `url.path` / `http.response.status_code` |
//! | `http.latency_us` | `event.duration` (× 1000, nanoseconds) |
//! | `source` | `event.provider` |
//! | `tags` | `tags` |
//! | `metadata` | `labels` / custom fields |
//! | record `seq` / `hash` | `event.sequence` / `event.hash` |
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The README's example (the crate's page on crates.io), compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

mod canonical;
mod chain;
mod checkpoint;
mod config;
mod erasure;
mod error;
mod event;
mod files;
mod layer;
mod pipeline;
mod query;
mod redact;
mod retention;
mod retention_prune;
pub mod rules;
mod sink;
#[cfg(test)]
mod tamper_tests;
mod time;
mod verify;

pub use chain::{ChainHead, RECORD_VERSION, SealedRecord};
pub use checkpoint::{Checkpoint, SigningKey, VerifyingKey};
pub use config::{AuditConfig, AuditTrail, DatabaseUrl};
pub use erasure::{ERASED, SubjectKeys};
pub use error::{ConfigError, KeyError};
pub use event::{
    Actor, AuditEvent, Client, HttpFacts, Outcome, SCHEMA_VERSION, Severity, Target,
    default_severity, default_tags, target_is_subject, target_kinds, types,
};
pub use layer::{
    Audit, AuditContext, AuditLayer, CapturePrincipal, CapturePrincipalLayer, RecordMode,
    ResponseFuture,
};
pub use pipeline::{AuditLog, AuditLogBuilder, DrainError, Metrics, Overflow, RecordError};
pub use query::{CSV_COLUMNS, Query, QueryRecord, export_csv, export_jsonl, query};
pub use redact::{DEFAULT_REDACTED, REDACTED, Redactor};
pub use retention::{Category, Retention};
pub use retention_prune::{PruneReport, PrunedFile};
pub use sink::{
    AuditSink, Entry, FanOut, FileSink, FileSinkOptions, Gap, MemorySink, Resume, SinkContext,
    SyslogSink, SyslogSinkBuilder, TracingSink,
};
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use sink::{DEFAULT_TABLE, PostgresSink, PostgresTable};
pub use time::{format_rfc3339_ms, parse_rfc3339_ms};
pub use verify::{Failure, TamperKind, VerifyOptions, VerifyReport, verify};

/// A fresh, empty directory for a test's files.
#[cfg(test)]
pub(crate) fn test_dir(name: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rampart-audit-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
