//! What a check answered, per limit and as a whole.

use crate::quota::Quota;
use std::time::Duration;

/// The state of one limit after a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitStatus {
    /// The limit's name (`ip`, `user`...), as in the `RateLimit` headers.
    pub name: &'static str,
    /// The quota that applied (a tenant's own when a quota source gave one).
    pub quota: Quota,
    /// Whether this limit admitted the request.
    pub allowed: bool,
    /// Requests the key may still make now.
    pub remaining: u32,
    /// When the key's quota is whole again.
    pub reset_after: Duration,
    /// When a refused request may be retried (zero when allowed).
    pub retry_after: Duration,
    /// Whether the key is serving a penalty.
    pub blocked: bool,
}

/// How the check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Every limit admitted the request; each one counted it.
    Allowed,
    /// At least one limit refused it; none counted it.
    Limited,
    /// The store failed and the limiter fails closed: refuse with 503.
    Unavailable,
}

/// The answer of [`crate::RateLimiter::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    verdict: Verdict,
    limits: Statuses,
    degraded: bool,
}

/// The statuses of a decision. Most limiters have one limit, and a check is
/// on every request's path: one status is kept inline, without allocating.
#[derive(Clone)]
enum Statuses {
    One(LimitStatus),
    Many(Vec<LimitStatus>),
}

impl Statuses {
    fn as_slice(&self) -> &[LimitStatus] {
        match self {
            Statuses::One(status) => std::slice::from_ref(status),
            Statuses::Many(statuses) => statuses,
        }
    }
}

impl PartialEq for Statuses {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Statuses {}

impl std::fmt::Debug for Statuses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_slice().fmt(f)
    }
}

impl Decision {
    pub(crate) fn from_limits(limits: Vec<LimitStatus>) -> Self {
        Self::from_statuses(Statuses::Many(limits))
    }

    #[inline]
    pub(crate) fn from_one(status: LimitStatus) -> Self {
        Self::from_statuses(Statuses::One(status))
    }

    #[inline]
    fn from_statuses(limits: Statuses) -> Self {
        let verdict = if limits.as_slice().iter().all(|l| l.allowed) {
            Verdict::Allowed
        } else {
            Verdict::Limited
        };
        Self {
            verdict,
            limits,
            degraded: false,
        }
    }

    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn unavailable() -> Self {
        Self {
            verdict: Verdict::Unavailable,
            limits: Statuses::Many(Vec::new()),
            degraded: true,
        }
    }

    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn open() -> Self {
        Self {
            verdict: Verdict::Allowed,
            limits: Statuses::Many(Vec::new()),
            degraded: true,
        }
    }

    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn degraded(mut self) -> Self {
        self.degraded = true;
        self
    }

    /// How the check ended.
    pub fn verdict(&self) -> Verdict {
        self.verdict
    }

    /// Whether the request may proceed.
    pub fn is_allowed(&self) -> bool {
        self.verdict == Verdict::Allowed
    }

    /// The limits that applied, in the limiter's order (limits whose key was
    /// missing and that are skipped do not appear). Empty when the store failed.
    pub fn limits(&self) -> &[LimitStatus] {
        self.limits.as_slice()
    }

    /// Whether the store failed and the fail mode decided (open, or the local
    /// fallback limiter).
    pub fn is_degraded(&self) -> bool {
        self.degraded
    }

    /// The first limit that refused the request.
    pub fn denied_by(&self) -> Option<&LimitStatus> {
        self.limits().iter().find(|l| !l.allowed)
    }

    /// How long to wait before retrying: the longest wait among the refusing
    /// limits (zero when allowed).
    pub fn retry_after(&self) -> Duration {
        self.limits()
            .iter()
            .filter(|l| !l.allowed)
            .map(|l| l.retry_after)
            .max()
            .unwrap_or(Duration::ZERO)
    }

    /// The limit closest to refusing: fewest remaining, then longest reset.
    pub fn tightest(&self) -> Option<&LimitStatus> {
        self.limits()
            .iter()
            .min_by_key(|l| (l.allowed, l.remaining, std::cmp::Reverse(l.reset_after)))
    }
}

/// Whole seconds, rounded up: a client told `0` would retry at once.
pub(crate) fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(name: &str, allowed: bool, remaining: u32, retry: u64) -> LimitStatus {
        LimitStatus {
            name: crate::name::intern(name),
            quota: Quota::per_minute(10),
            allowed,
            remaining,
            reset_after: Duration::from_secs(retry),
            retry_after: Duration::from_secs(if allowed { 0 } else { retry }),
            blocked: false,
        }
    }

    #[test]
    fn verdict_and_tightest() {
        let d = Decision::from_limits(vec![status("a", true, 3, 5), status("b", true, 1, 2)]);
        assert!(d.is_allowed());
        assert_eq!(d.tightest().unwrap().name, "b");
        assert_eq!(d.retry_after(), Duration::ZERO);
        let d = Decision::from_limits(vec![
            status("a", false, 0, 7),
            status("b", true, 1, 2),
            status("c", false, 0, 9),
        ]);
        assert_eq!(d.verdict(), Verdict::Limited);
        assert_eq!(d.denied_by().unwrap().name, "a");
        assert_eq!(d.tightest().unwrap().name, "c");
        assert_eq!(d.retry_after(), Duration::from_secs(9));
    }

    #[test]
    fn seconds_round_up() {
        assert_eq!(ceil_secs(Duration::from_millis(1)), 1);
        assert_eq!(ceil_secs(Duration::from_secs(2)), 2);
        assert_eq!(ceil_secs(Duration::from_millis(2001)), 3);
        assert_eq!(ceil_secs(Duration::ZERO), 0);
    }
}
