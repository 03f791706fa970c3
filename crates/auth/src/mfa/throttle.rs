//! How many wrong second-factor codes an account may send.
//!
//! A 6-digit code is one of a million; with a ±1 step window three of them
//! are right at any moment. Unthrottled, an attacker who has the password
//! finds the code in hours. Counting failures per account (not per address,
//! which a botnet spreads thin) and locking the second factor caps that at
//! `max_failures` guesses per `lockout`.

use std::time::Duration;

/// Wrong codes before the lock, by default.
pub const DEFAULT_MAX_FAILURES: u32 = 5;
/// The window failures are counted in, by default: 15 minutes.
pub const DEFAULT_FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long the second factor stays locked, by default: 15 minutes.
pub const DEFAULT_LOCKOUT: Duration = Duration::from_secs(15 * 60);

/// The throttle's settings, handed to the store with every failure so that
/// the count and the lock are decided in one atomic step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures within [`window_secs`](Self::window_secs) that lock.
    pub max_failures: u32,
    /// The counting window, from the first failure, in seconds.
    pub window_secs: u64,
    /// The lock's length, in seconds.
    pub lockout_secs: u64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            max_failures: DEFAULT_MAX_FAILURES,
            window_secs: DEFAULT_FAILURE_WINDOW.as_secs(),
            lockout_secs: DEFAULT_LOCKOUT.as_secs(),
        }
    }
}

/// What recording a failure did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureOutcome {
    /// Counted: this many failures in the current window.
    Counted(u32),
    /// This failure reached the limit: locked until this Unix second.
    LockedNow(u64),
    /// The account was already locked until this Unix second (a failure
    /// that raced the lock); nothing changed.
    AlreadyLocked(u64),
}
