//! Rate limiting for web services: quotas by client IP, user, tenant, route or
//! API key; several limits checked as one; counters in memory or shared
//! through Redis; a tower layer answering `429` with `Retry-After` and the IETF
//! `RateLimit` headers; and a login throttle that locks out password guessing.
//!
//! # Why
//!
//! A limiter in a security stack must be exact under concurrency (N tasks
//! against one key admit exactly the quota), must not be fooled about who the
//! client is (keys come from [`rampart_core::ClientIp`], resolved only through
//! the proxies you trust, and from the [`rampart_core::Principal`] an auth
//! layer inserted), and must say what it does when its store is down. A
//! request refused by one limit consumes nothing from the others, so a user
//! hitting their own limit does not drain their tenant's.
//!
//! # Quick start
//!
//! ```
//! use rampart_ratelimit::{Key, KeyContext, Limit, Quota, RateLimiter, RateLimitLayer};
//! use std::time::Duration;
//!
//! let limiter = RateLimiter::builder()
//!     .limit(Limit::new("tenant", Quota::per_minute(1000)).key(Key::tenant()))
//!     .limit(Limit::new("user", Quota::per_minute(100)).key(Key::subject()))
//!     .limit(
//!         Limit::new("login", Quota::new(5, Duration::from_secs(300)))
//!             .key(Key::subject().and(Key::route())),
//!     )
//!     .limit(Limit::new("ip", Quota::per_minute(300)))
//!     .build()?;
//!
//! // Plain API (a job queue, a gRPC interceptor...):
//! let ctx = KeyContext::new().tenant("acme").subject("bob").ip("203.0.113.7".parse().unwrap());
//! let decision = limiter.check_now(&ctx).expect("counters are in memory");
//! assert!(decision.is_allowed());
//!
//! // Or as a tower layer, after the layers that insert ClientIp and Principal:
//! let layer = RateLimitLayer::new(limiter);
//! # let _ = layer;
//! # Ok::<(), rampart_ratelimit::ConfigError>(())
//! ```
//!
//! # Algorithms
//!
//! Every algorithm reads the same [`Quota`] (limit, period, burst, optional
//! penalty) and runs in both stores:
//!
//! | [`Algorithm`] | admits | state per key | use it for |
//! | --- | --- | --- | --- |
//! | `Gcra` (default) | `burst` at once, then one per `period / limit` | one timestamp | APIs: smooth, exact, smallest |
//! | `TokenBucket` | as GCRA | tokens + timestamp | the vocabulary other systems use |
//! | `LeakyBucket` | as GCRA (a policing meter, not a queue) | level + timestamp | idem |
//! | `FixedWindow` | `limit` per window aligned to the epoch; up to 2× across a boundary | count | quotas billed per calendar window |
//! | `SlidingLog` | exactly `limit` in any `period` | one timestamp per request | small limits that must be exact (logins) |
//! | `SlidingWindow` | `limit`, previous window weighted by overlap | two counts | large limits, little memory |
//!
//! A quota with a penalty ([`Quota::with_penalty`]) refuses a key for that
//! long once it exceeds the quota, rather than only until its next request
//! would fit. Quotas per tenant, plan or API key come from a [`QuotaSource`].
//!
//! # Stores and fail modes
//!
//! [`MemoryStore`] (the default) shards each limit's keys behind many locks and
//! bounds them (idle keys are dropped first), so a flood of distinct keys costs
//! bounded memory. With the `redis` feature, `RedisStore` shares counters
//! between instances: each check, all limits included, is one Lua script called
//! by SHA (by its body when the server's script cache lost it), timed by the
//! Redis server's clock.
//!
//! When Redis fails the limiter applies its [`FailMode`] and emits a
//! `StoreFailure` event every time:
//!
//! | mode | builder | request |
//! | --- | --- | --- |
//! | `Closed` (default) | — | refused, `503` + `Retry-After` |
//! | `Memory` | `fail_over_to_memory()` | counted in this process until Redis answers |
//! | `Open` | `insecure_fail_open()` | admitted unlimited |
//!
//! The connection manager reconnects by itself: once Redis answers again, the
//! next check uses it, without a restart.
//!
//! # Redis Cluster
//!
//! All keys of one store share the hash tag `{prefix}`, so a multi-limit check
//! touches one slot and its script stays atomic on a cluster (or a proxy in
//! front of one). All those keys then live on one node: give independent
//! limiters distinct prefixes to spread the load. Connecting to a cluster
//! directly (a cluster connection type) is not offered yet.
//!
//! # Login throttling
//!
//! [`LoginThrottle`] counts failed sign-ins per (normalised) username and per
//! address and locks either out; see its docs for the defaults and for the
//! trade-off of letting anyone lock a known username.
//!
//! # Headers
//!
//! [`RateLimitLayer`] writes `RateLimit-Policy: "ip";q=600;w=60` and
//! `RateLimit: "ip";r=599;t=1` (draft-ietf-httpapi-ratelimit-headers, one item
//! per limit), on refusals and, unless turned off, on admitted responses; the
//! legacy `X-RateLimit-Limit/-Remaining/-Reset` on request.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The README's example (the crate's page on crates.io), compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

mod algorithm;
mod config;
mod decision;
mod error;
mod key;
mod layer;
mod limit;
mod limiter;
mod login;
mod name;
mod quota;
mod refusal_events;
mod store;

pub use algorithm::Algorithm;
pub use config::RateLimitConfig;
pub use decision::{Decision, LimitStatus, Verdict};
pub use error::{ConfigError, StoreError};
pub use key::{Key, KeyContext, RouteTemplate};
pub use layer::{
    RATELIMIT, RATELIMIT_POLICY, RateLimitLayer, RateLimitRejection, RateLimitService,
    ResponseFuture,
};
pub use limit::{Limit, MissingKey, QuotaSource};
pub use limiter::{FailMode, RateLimiter, RateLimiterBuilder};
pub use login::{
    LoginDecision, LoginThrottle, LoginThrottleBuilder, ThrottleReason, normalize_username,
};
pub use quota::{MAX_LIMIT, MAX_PERIOD, Quota, QuotaConfig};
pub use store::memory::MemoryStore;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use store::redis::RedisStore;
