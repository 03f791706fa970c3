//! Time as a replaceable dependency.
//!
//! Expiry, rate-limit windows, lockouts and TOTP steps all depend on "now".
//! Taking it from a [`Clock`] instead of calling [`SystemTime::now`] directly
//! lets tests move time forward without sleeping, and lets an application
//! pin time in a replay or a simulation.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;

    /// The current time as whole seconds since the Unix epoch (0 before 1970).
    fn unix_secs(&self) -> u64 {
        self.now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

/// A clock shared between layers, stores and engines.
pub type SharedClock = Arc<dyn Clock>;

/// The operating system's clock; the default everywhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

impl SystemClock {
    /// A [`SharedClock`] reading the system time.
    pub fn shared() -> SharedClock {
        Arc::new(SystemClock)
    }
}

/// A clock that only moves when told to, for tests.
///
/// Clones share the same time, so a test can keep one handle and give another
/// to the component under test.
///
/// ```
/// use rampart::core::{Clock, ManualClock};
/// use std::time::Duration;
///
/// let clock = ManualClock::at_unix(1_700_000_000);
/// let seen_by_component = clock.clone();
/// clock.advance(Duration::from_secs(90));
/// assert_eq!(seen_by_component.unix_secs(), 1_700_000_090);
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    // Nanoseconds since the Unix epoch; u64 nanoseconds reach the year 2554.
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock standing at `secs` seconds after the Unix epoch.
    pub fn at_unix(secs: u64) -> Self {
        Self {
            nanos: Arc::new(AtomicU64::new(secs.saturating_mul(1_000_000_000))),
        }
    }

    /// A clock standing at the current system time.
    pub fn starting_now() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Self {
            nanos: Arc::new(AtomicU64::new(nanos)),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let step = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(step))
            });
    }

    /// Sets the clock to `secs` seconds after the Unix epoch (it may go backwards,
    /// which is how tests exercise clock skew).
    pub fn set_unix(&self, secs: u64) {
        self.nanos
            .store(secs.saturating_mul(1_000_000_000), Ordering::SeqCst);
    }

    /// This clock as a [`SharedClock`] that follows every change made through `self`.
    pub fn shared(&self) -> SharedClock {
        Arc::new(self.clone())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::at_unix(100);
        assert_eq!(clock.unix_secs(), 100);
        clock.advance(Duration::from_millis(1500));
        assert_eq!(clock.unix_secs(), 101);
        clock.set_unix(50);
        assert_eq!(clock.unix_secs(), 50);
    }

    #[test]
    fn shared_handle_follows_the_original() {
        let clock = ManualClock::at_unix(10);
        let shared = clock.shared();
        clock.advance(Duration::from_secs(5));
        assert_eq!(shared.unix_secs(), 15);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.unix_secs() > 1_577_836_800);
    }
}
