//! Where live codes live: the [`OobStore`] trait, in memory or in Redis.
//!
//! A store never sees a code, only its keyed hash. Each operation that
//! decides something is one atomic step in the store: sending (the resend
//! count, and the new code replacing the old), checking (expiry, the
//! attempt count, and consuming a right code) and voiding.

mod memory;
#[cfg(feature = "redis")]
mod redis;

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisOobStore;
pub use memory::MemoryOobStore;

use crate::revocation::StoreFuture;
use std::sync::Arc;

/// The stored form of a code: HMAC-SHA-256 of the subject, purpose and
/// code under a key the store does not have.
pub type CodeHash = [u8; 32];

/// A code to store, replacing the live one of its subject and purpose.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct NewCode<'a> {
    /// Whose code.
    pub subject: &'a str,
    /// What it is for.
    pub purpose: &'a str,
    /// Its keyed hash.
    pub hash: &'a CodeHash,
    /// Now, seconds since the epoch.
    pub now: u64,
    /// When it stops working, seconds since the epoch.
    pub expires_at: u64,
    /// Wrong codes it accepts before it is void.
    pub max_attempts: u32,
    /// Codes that may be sent per subject and purpose in `resend_window_secs`.
    pub max_sends: u32,
    /// The window sends are counted in, from the first, in seconds.
    pub resend_window_secs: u64,
}

/// What storing a new code did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Issued {
    /// Stored; any earlier code of the subject and purpose is void.
    Stored,
    /// Too many codes were sent in the window: nothing stored; another may
    /// be sent at this Unix second.
    Throttled {
        /// When the window ends, seconds since the epoch.
        until: u64,
    },
}

/// What checking a code did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Checked {
    /// Right: the code is consumed (of two concurrent checks, one wins).
    Verified,
    /// Wrong; the code accepts this many more tries.
    Wrong {
        /// Tries left.
        attempts_left: u32,
    },
    /// Wrong, and that was the last try: the code is now void.
    Exhausted,
    /// The code's time ran out: it is void.
    Expired,
    /// No live code (never sent, used, voided or replaced).
    NoCode,
}

/// Live one-time codes, shared between instances. Object-safe: use as
/// `Arc<dyn OobStore>`.
///
/// At most one code is live per (subject, purpose). Every time is given
/// by the caller (read from its [`Clock`](rampart_core::Clock)), so
/// expiry never depends on the backend's eviction timing.
pub trait OobStore: Send + Sync + 'static {
    /// Counts a send and stores `code` in place of the live one, unless
    /// the subject already had `max_sends` codes for this purpose in the
    /// window; in one atomic step.
    fn issue<'a>(&'a self, code: NewCode<'a>) -> StoreFuture<'a, Issued>;

    /// Checks `hash` against the live code at `now`: consumes it when it
    /// matches, counts a try when not, voids it at its last try or when it
    /// has expired; in one atomic step.
    fn check<'a>(
        &'a self,
        subject: &'a str,
        purpose: &'a str,
        hash: &'a CodeHash,
        now: u64,
    ) -> StoreFuture<'a, Checked>;

    /// Voids the live code if it is still the one with `hash` (a newer code
    /// sent meanwhile stays).
    fn void<'a>(
        &'a self,
        subject: &'a str,
        purpose: &'a str,
        hash: &'a CodeHash,
    ) -> StoreFuture<'a, ()>;
}

/// A one-time code store shared by services.
pub type SharedOobStore = Arc<dyn OobStore>;
