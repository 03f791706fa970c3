//! The authorizer: the policy from `[rbac]`, plus role bindings and grants
//! that administrators change at run time (`/admin/users/...`).
//!
//! Bindings and grants live in memory, or in Redis when `REDIS_URL` is set.
//! Nothing caches them: every check the token's roles do not already decide
//! reads the store, so a role given or taken through one instance is
//! honoured by the next request on every other instance. The cost is one
//! Redis round trip for such checks only (a request the token's roles allow
//! is decided without the store); a Redis outage refuses them (fail closed,
//! `503`) and leaves the others alone.

use crate::config::{AppConfig, ConfigError};
use rampart_core::SharedSink;
use rampart_core::redis::RedisConnection;
use rampart_rbac::{
    Authorizer, MemoryGrantStore, MemoryRoleStore, Policy, RedisGrantStore, RedisRoleStore,
};
use std::sync::Arc;

/// The key prefix of the app's role bindings and grants in Redis.
pub const REDIS_PREFIX: &str = "secure-api:rbac";

/// Builds the authorizer with its stores and says, for the start-up lines,
/// where bindings and grants live.
///
/// # Errors
/// A [`ConfigError`] when the `[rbac]` policy does not compile.
pub fn build(
    config: &AppConfig,
    sink: SharedSink,
    redis: Option<&RedisConnection>,
) -> Result<(Authorizer, &'static str), ConfigError> {
    let invalid = |e: &dyn std::fmt::Display| ConfigError::Invalid(format!("[rbac] {e}"));
    let policy = Policy::from_config(config.rbac.clone()).map_err(|e| invalid(&e))?;
    let builder = Authorizer::builder().policy(policy).event_sink(sink);
    let (builder, fact) = match redis {
        Some(conn) => (
            builder
                .role_store(Arc::new(RedisRoleStore::new(conn.clone(), REDIS_PREFIX)))
                .grant_store(Arc::new(RedisGrantStore::new(conn.clone(), REDIS_PREFIX))),
            "Redis, read on every check they decide (no cache: a change applies on every instance at once)",
        ),
        None => (
            builder
                .role_store(Arc::new(MemoryRoleStore::new()))
                .grant_store(Arc::new(MemoryGrantStore::new())),
            "in memory (set REDIS_URL to share them)",
        ),
    };
    let authz = builder.build().map_err(|e| invalid(&e))?;
    Ok((authz, fact))
}
