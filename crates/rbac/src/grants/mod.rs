//! Grants: one subject may perform some actions on one resource instance,
//! optionally until a deadline, independently of its roles.
//!
//! Roles answer "what may editors do"; grants answer "bob may read document 42
//! until Friday". A grant never overrides a policy `deny` rule.

mod memory;
#[cfg(feature = "redis")]
mod redis;

pub use memory::MemoryGrantStore;
#[cfg(feature = "redis")]
pub use redis::RedisGrantStore;

use crate::store::StoreFuture;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Actions on one resource instance granted to one subject.
///
/// ```
/// use rampart_rbac::Grant;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let until = UNIX_EPOCH + Duration::from_secs(2_000);
/// let g = Grant::new("bob", "documents", "42", ["read", "comment"]).expires_at(until);
/// assert!(g.allows("read", UNIX_EPOCH + Duration::from_secs(1_999)));
/// assert!(!g.allows("read", until));
/// assert!(!g.allows("delete", UNIX_EPOCH));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Grant {
    /// Who may act.
    pub subject: String,
    /// The kind of resource (`documents`).
    pub resource_type: String,
    /// The instance (`42`).
    pub resource_id: String,
    /// The actions (`read`), or `*` for all.
    pub actions: Vec<String>,
    /// When the grant lapses (exclusive), if ever.
    #[serde(default, with = "unix_ms", skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<SystemTime>,
}

impl Grant {
    /// A grant without expiry.
    pub fn new<I, S>(
        subject: impl Into<String>,
        resource_type: impl Into<String>,
        resource_id: impl Into<String>,
        actions: I,
    ) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            subject: subject.into(),
            resource_type: resource_type.into(),
            resource_id: resource_id.into(),
            actions: actions.into_iter().map(Into::into).collect(),
            expires_at: None,
        }
    }

    /// Lapses at `at`.
    #[must_use]
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Whether the grant has lapsed at `now`.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }

    /// Whether the grant allows `action` at `now`.
    pub fn allows(&self, action: &str, now: SystemTime) -> bool {
        !self.is_expired(now) && self.actions.iter().any(|a| a == "*" || a == action)
    }
}

mod unix_ms {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        t: &Option<SystemTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let ms = t
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        ms.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        let ms: Option<u64> = Option::deserialize(d)?;
        Ok(ms.map(|ms| UNIX_EPOCH + Duration::from_millis(ms)))
    }
}

/// Where grants live. Implementations return grants whether or not they have
/// expired; the [`crate::Authorizer`] compares expiry with its own clock, so tests
/// and every store agree on what "now" is.
pub trait GrantStore: Send + Sync + 'static {
    /// Stores `grant`, replacing any grant of the same subject on the same resource.
    fn grant(&self, grant: Grant) -> StoreFuture<'_, ()>;

    /// Removes the subject's grant on the resource; whether there was one.
    fn revoke<'a>(
        &'a self,
        subject: &'a str,
        resource_type: &'a str,
        resource_id: &'a str,
    ) -> StoreFuture<'a, bool>;

    /// The subject's grant on the resource, if any.
    fn get<'a>(
        &'a self,
        subject: &'a str,
        resource_type: &'a str,
        resource_id: &'a str,
    ) -> StoreFuture<'a, Option<Grant>>;

    /// Every grant of the subject on resources of `resource_type` (for data filters).
    fn list<'a>(&'a self, subject: &'a str, resource_type: &'a str) -> StoreFuture<'a, Vec<Grant>>;
}
