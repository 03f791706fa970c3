//! Where sessions live: the [`SessionStore`] trait, in memory or in Redis.
//!
//! A store only sees what it needs to enforce timeouts and the per-user
//! limit atomically: the key (routing tag and SHA-256 of the cookie), the
//! times, and an opaque JSON document. Never the cookie itself.

mod memory;
#[cfg(feature = "redis")]
mod redis;

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisSessionStore;
pub use memory::{DEFAULT_MEMORY_CAPACITY, MemorySessionStore};

use super::id::SessionKey;
use super::policy::LimitAction;
use crate::revocation::StoreFuture;
use std::sync::Arc;

/// One session as a store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// Where it lives.
    pub key: SessionKey,
    /// Who signed in, or `None` before sign-in.
    pub subject: Option<String>,
    /// When it was created, seconds since the epoch.
    pub created: u64,
    /// When it was last used, seconds since the epoch.
    pub last_seen: u64,
    /// Idle timeout: it ends `idle_secs` after `last_seen`.
    pub idle_secs: u64,
    /// Absolute end, seconds since the epoch, however active it is.
    pub deadline: u64,
    /// The manager's JSON document (principal, values, binding).
    pub data: String,
}

impl StoredSession {
    /// Whether it has ended at `now` (idle or absolute timeout).
    pub fn is_expired(&self, now: u64) -> bool {
        now >= self.last_seen.saturating_add(self.idle_secs) || now >= self.deadline
    }

    /// Seconds until it ends if unused, at `now` (0 when ended).
    pub fn remaining(&self, now: u64) -> u64 {
        self.last_seen
            .saturating_add(self.idle_secs)
            .min(self.deadline)
            .saturating_sub(now)
    }
}

/// The per-user limit a creation must respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserLimit {
    /// Live sessions a user may hold at once.
    pub max: u32,
    /// What to do with one more.
    pub action: LimitAction,
}

/// What a creation did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Created {
    /// Stored; `evicted` are the user's oldest sessions removed to make room.
    Stored {
        /// Sessions ended to respect the limit.
        evicted: Vec<SessionKey>,
    },
    /// The user already holds the maximum and the policy refuses new ones.
    Refused,
}

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Touched {
    /// Live; `last_seen` is now updated.
    Live(StoredSession),
    /// It had timed out and is now deleted.
    Expired(StoredSession),
    /// No such session.
    Missing,
}

/// Keeps sessions. Every method that decides something is atomic: two
/// instances creating sessions for one user at once cannot both pass the
/// limit, and a lookup of a timed-out session deletes it.
pub trait SessionStore: Send + Sync + 'static {
    /// Stores `session`, first enforcing `limit` over the other live
    /// sessions of its tag (its user).
    fn create<'a>(
        &'a self,
        session: &'a StoredSession,
        limit: Option<UserLimit>,
        now: u64,
    ) -> StoreFuture<'a, Created>;

    /// Loads the session and marks it used at `now`, or deletes it if it has
    /// timed out by `now`.
    fn touch<'a>(&'a self, key: &'a SessionKey, now: u64) -> StoreFuture<'a, Touched>;

    /// Replaces the data of a live session; `false` if it is gone.
    fn save<'a>(&'a self, key: &'a SessionKey, data: &'a str) -> StoreFuture<'a, bool>;

    /// Atomically deletes `old` and stores `new` under the same tag (id
    /// rotation); `false`, and nothing stored, if `old` is gone.
    fn replace<'a>(&'a self, old: &'a SessionKey, new: &'a StoredSession) -> StoreFuture<'a, bool>;

    /// Deletes one session; `false` if it was not there.
    fn delete<'a>(&'a self, key: &'a SessionKey) -> StoreFuture<'a, bool>;

    /// Every live session of the tag (one user), oldest first.
    fn list<'a>(&'a self, tag: &'a str, now: u64) -> StoreFuture<'a, Vec<StoredSession>>;

    /// Deletes every session of the tag; answers how many there were.
    fn delete_all<'a>(&'a self, tag: &'a str) -> StoreFuture<'a, usize>;
}

/// A session store shared by the manager and its layers.
pub type SharedSessionStore = Arc<dyn SessionStore>;
