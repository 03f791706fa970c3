//! Rate limiting for web services.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod algorithm;
mod config;
mod decision;
mod error;
mod key;
mod layer;
mod limit;
mod limiter;
mod login;
mod quota;
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
