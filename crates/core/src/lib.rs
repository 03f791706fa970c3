//! The shared vocabulary of the rampart security middleware.
//!
//! Every rampart crate speaks these types, and only these, to the others:
//!
//! - [`Principal`]: who is calling. Authentication layers insert it into the
//!   request extensions; authorization, rate limiting and audit read it.
//! - [`ClientIp`] and [`TrustedProxies`]: the caller's address, believing
//!   forwarding headers only from proxies you declared.
//! - [`RequestIdLayer`]: one time-ordered id per request, on the response and in
//!   every event.
//! - [`SecurityEvent`] and [`EventSink`]: what a layer saw (a denial, a detected
//!   attack), delivered to the audit trail or to `tracing`.
//! - [`Problem`], [`Rejection`] and [`RejectionResponse`]: RFC 9457 problem
//!   responses for every refusal, replaceable by the application.
//! - `grpc` (feature `grpc`): the same refusals as gRPC statuses, for tonic
//!   services: `GrpcResponse` per layer, or `GrpcRefusalLayer` around a stack
//!   that serves REST and gRPC alike.
//! - [`Clock`]: time as a dependency, so expiry is tested without sleeping.
//! - `redis::RedisConnection` (feature `redis`): one connection for every
//!   Redis-backed store, to a single node or a Redis Cluster.
//!
//! The crate is small on purpose: it has no cryptography, no stores and no
//! framework dependency (axum support is behind the `axum` feature, the Redis
//! connection the stores share behind the `redis` feature, gRPC refusals
//! behind the `grpc` feature, which needs no gRPC crate).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The README's example (the crate's page on crates.io), compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

mod client_ip;
mod clock;
mod error;
mod event;
mod forwarded;
#[cfg(feature = "grpc")]
#[cfg_attr(docsrs, doc(cfg(feature = "grpc")))]
pub mod grpc;
mod ip_text;
mod principal;
mod problem;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis;
mod rejection;
mod request_id;
mod response;

pub use client_ip::{
    ClientIp, ClientIpLayer, ClientIpService, ForwardingHeader, TrustedProxies,
    TrustedProxiesConfig, peer_addr,
};
pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use error::ConfigError;
pub use event::{
    CHANGE_ENCRYPTION_KEY, CHANGE_MFA, CHANGE_POLICY, CHANGE_SIGNING_KEY, CREDENTIAL_TOKEN,
    EventKind, EventSink, MFA_BACKUP_CODES_REPLACED, MFA_ENROLLED, MFA_RESET, MemorySink,
    PrivilegeAction, SecurityEvent, Severity, SharedSink, TracingSink,
};
pub use forwarded::ForwardedProto;
#[cfg(feature = "grpc")]
#[cfg_attr(docsrs, doc(cfg(feature = "grpc")))]
pub use grpc::{GrpcRefusalLayer, GrpcResponse};
pub use ip_text::ip_text;
pub use principal::{AuthMethod, Principal};
pub use problem::{PROBLEM_JSON, Problem, STORE_RETRY_AFTER_SECS};
pub use rejection::{ProblemResponse, Rejection, RejectionResponse, reject};
pub use request_id::{
    REQUEST_ID_HEADER, RequestId, RequestIdLayer, RequestIdService, TimeOrderedRequestId,
    request_id,
};
pub use response::{
    ResponseAction, ResponseError, ResponseFuture, ResponseOutcome, SecurityResponder,
    SharedResponder,
};
