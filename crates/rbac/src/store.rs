//! What role and grant stores have in common.

use crate::error::StoreError;
use std::future::Future;
use std::pin::Pin;

/// The future a store method returns. Boxed so that stores can be used as trait
/// objects (`Arc<dyn GrantStore>`) and swapped without touching the authorizer's type.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// What a check does when a role or grant store cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FailMode {
    /// Deny the action ([`crate::Reason::StoreUnavailable`]); the layer answers 503.
    /// The default: an outage must not widen access.
    #[default]
    Closed,
    /// Decide as if the failed store were empty: roles from the principal and the
    /// policy still apply, store roles and grants do not. Insecure only in one way:
    /// a `deny` rule reached through a store-bound role is missed while it is down.
    Open,
}

/// Connects a Redis store: one URL or comma-separated Redis Cluster node
/// URLs; a failure is the `store`'s backend error.
#[cfg(feature = "redis")]
pub(crate) async fn connect_redis(
    url: &str,
    store: &'static str,
) -> Result<rampart_core::redis::RedisConnection, StoreError> {
    rampart_core::redis::RedisConnection::connect(url)
        .await
        .map_err(|e| StoreError::Backend {
            store,
            message: e.to_string(),
        })
}
