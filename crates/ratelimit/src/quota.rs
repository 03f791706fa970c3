//! How much a key may do: the one vocabulary every algorithm reads.

use crate::error::ConfigError;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The longest period a quota may have; longer windows belong to billing, not
/// to a rate limiter, and the bound keeps every computation in range.
pub const MAX_PERIOD: Duration = Duration::from_secs(366 * 24 * 3600);

/// The largest limit or burst a quota may have.
pub const MAX_LIMIT: u32 = 10_000_000;

/// `limit` requests per `period`, of which up to `burst` may come at once, and
/// optionally a `penalty`: once exceeded, the key is refused for that long.
///
/// `burst` defaults to `limit` (an idle client may use its whole quota at
/// once). It is read by the bucket algorithms (GCRA, token and leaky bucket);
/// the window algorithms count `limit` per window.
///
/// ```
/// use rampart_ratelimit::Quota;
/// use std::time::Duration;
///
/// let q = Quota::per_minute(100).with_burst(10).with_penalty(Duration::from_secs(300));
/// assert_eq!(q.limit(), 100);
/// assert_eq!(q.burst(), 10);
/// assert_eq!(q.period(), Duration::from_secs(60));
/// assert!(q.validate("api").is_ok());
/// assert!(rampart_ratelimit::Quota::per_second(0).validate("api").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "QuotaConfig", into = "QuotaConfig")]
pub struct Quota {
    limit: u32,
    period: Duration,
    burst: u32,
    penalty: Option<Duration>,
    /// `period / limit`, kept because every check needs it and a 64-bit
    /// division costs as much as the rest of a GCRA decision.
    emission: u64,
    /// `u64::MAX / emission`, so that dividing by the emission interval is a
    /// multiplication (see [`Quota::div_emission`]).
    reciprocal: u64,
}

/// `period / limit` in nanoseconds, at least 1 (and computed for quotas that
/// [`Quota::validate`] will refuse, without dividing by zero).
const fn emission_of(limit: u32, period: Duration) -> u64 {
    let nanos = period.as_nanos();
    let per = if limit == 0 {
        nanos
    } else {
        nanos / limit as u128
    };
    if per == 0 {
        1
    } else if per > u64::MAX as u128 {
        u64::MAX
    } else {
        per as u64
    }
}

impl Quota {
    /// `limit` requests per `period`, burst `limit`, no penalty. Checked by
    /// [`Quota::validate`] when a limiter is built.
    pub const fn new(limit: u32, period: Duration) -> Self {
        let emission = emission_of(limit, period);
        Self {
            limit,
            period,
            burst: limit,
            penalty: None,
            emission,
            reciprocal: u64::MAX / emission,
        }
    }

    /// `limit` per second.
    pub const fn per_second(limit: u32) -> Self {
        Self::new(limit, Duration::from_secs(1))
    }

    /// `limit` per minute.
    pub const fn per_minute(limit: u32) -> Self {
        Self::new(limit, Duration::from_secs(60))
    }

    /// `limit` per hour.
    pub const fn per_hour(limit: u32) -> Self {
        Self::new(limit, Duration::from_secs(3600))
    }

    /// How many may come at once after a quiet spell (default: the limit).
    #[must_use]
    pub const fn with_burst(mut self, burst: u32) -> Self {
        self.burst = burst;
        self
    }

    /// Refuses the key for `penalty` once it exceeds the quota, instead of
    /// only until the next request would fit. Default: none.
    #[must_use]
    pub const fn with_penalty(mut self, penalty: Duration) -> Self {
        self.penalty = Some(penalty);
        self
    }

    /// Requests per period.
    pub const fn limit(&self) -> u32 {
        self.limit
    }

    /// The period.
    pub const fn period(&self) -> Duration {
        self.period
    }

    /// Requests admitted at once.
    pub const fn burst(&self) -> u32 {
        self.burst
    }

    /// How long a key is refused after exceeding the quota, if set.
    pub const fn penalty(&self) -> Option<Duration> {
        self.penalty
    }

    /// Checks the quota can be enforced; `what` names it in the error.
    ///
    /// # Errors
    /// [`ConfigError::Quota`] when limit, burst or period is zero or out of
    /// range, or the penalty is longer than [`MAX_PERIOD`].
    pub fn validate(&self, what: &str) -> Result<(), ConfigError> {
        let fail = |reason| {
            Err(ConfigError::Quota {
                what: what.to_owned(),
                reason,
            })
        };
        if self.limit == 0 || self.limit > MAX_LIMIT {
            return fail("limit must be between 1 and 10,000,000 requests per period");
        }
        if self.burst == 0 || self.burst > MAX_LIMIT {
            return fail("burst must be between 1 and 10,000,000");
        }
        if self.period.is_zero() || self.period > MAX_PERIOD {
            return fail("period must be longer than zero and at most 366 days");
        }
        if self.period.as_nanos() < u128::from(self.limit) {
            return fail("limit per period is finer than one request per nanosecond");
        }
        if self.penalty.is_some_and(|p| p.is_zero() || p > MAX_PERIOD) {
            return fail("penalty must be longer than zero and at most 366 days");
        }
        Ok(())
    }

    /// The period in nanoseconds.
    pub(crate) fn period_nanos(&self) -> u64 {
        u64::try_from(self.period.as_nanos()).unwrap_or(u64::MAX)
    }

    /// The time one request "costs": period / limit, at least 1 ns.
    pub(crate) fn emission_nanos(&self) -> u64 {
        self.emission
    }

    /// `n / emission_nanos()`, exactly, by a multiplication and at most two
    /// corrections: the estimate `n * reciprocal / 2^64` is never above the
    /// quotient and at most two below it.
    pub(crate) fn div_emission(&self, n: u64) -> u64 {
        let e = self.emission;
        // Truncation intended: the product's high half.
        let mut q = ((u128::from(n) * u128::from(self.reciprocal)) >> 64) as u64;
        let mut rest = n - q * e;
        while rest >= e {
            q += 1;
            rest -= e;
        }
        q
    }

    pub(crate) fn penalty_nanos(&self) -> u64 {
        self.penalty
            .map_or(0, |p| u64::try_from(p.as_nanos()).unwrap_or(u64::MAX))
    }
}

/// Serde form of [`Quota`]: `{ limit = 100, period_secs = 60, burst = 10, penalty_secs = 300 }`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaConfig {
    /// Requests per period.
    pub limit: u32,
    /// The period in seconds (default 60).
    #[serde(default = "sixty")]
    pub period_secs: u64,
    /// Requests admitted at once (default: the limit).
    #[serde(default)]
    pub burst: Option<u32>,
    /// Seconds a key is refused after exceeding the quota (default: none).
    #[serde(default)]
    pub penalty_secs: Option<u64>,
}

fn sixty() -> u64 {
    60
}

impl TryFrom<QuotaConfig> for Quota {
    type Error = ConfigError;

    fn try_from(c: QuotaConfig) -> Result<Self, ConfigError> {
        let mut q = Quota::new(c.limit, Duration::from_secs(c.period_secs));
        if let Some(b) = c.burst {
            q = q.with_burst(b);
        }
        if let Some(p) = c.penalty_secs {
            q = q.with_penalty(Duration::from_secs(p));
        }
        q.validate("quota")?;
        Ok(q)
    }
}

impl From<Quota> for QuotaConfig {
    fn from(q: Quota) -> Self {
        Self {
            limit: q.limit,
            period_secs: q.period.as_secs(),
            burst: Some(q.burst),
            penalty_secs: q.penalty.map(|p| p.as_secs()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_degenerate_quotas() {
        for q in [
            Quota::per_second(0),
            Quota::per_second(5).with_burst(0),
            Quota::new(5, Duration::ZERO),
            Quota::new(5, MAX_PERIOD + Duration::from_secs(1)),
            Quota::new(10, Duration::from_nanos(5)),
            Quota::per_second(MAX_LIMIT + 1),
            Quota::per_second(1).with_penalty(Duration::ZERO),
        ] {
            let err = q.validate("ip").unwrap_err();
            assert!(err.to_string().starts_with("quota ip:"), "{err}");
        }
        assert!(Quota::per_minute(MAX_LIMIT).validate("x").is_ok());
        // Each bound on its own, the others valid, so no other check hides it.
        for (q, names) in [
            (Quota::per_second(0).with_burst(5), "limit"),
            (Quota::per_second(MAX_LIMIT + 1).with_burst(5), "limit"),
            (Quota::per_second(5).with_burst(MAX_LIMIT + 1), "burst"),
            (
                Quota::new(1, Duration::from_secs(366 * 86_400 + 1)),
                "period",
            ),
            (
                Quota::per_second(1).with_penalty(MAX_PERIOD + Duration::from_secs(1)),
                "penalty",
            ),
        ] {
            let err = q.validate("ip").unwrap_err();
            assert!(err.to_string().contains(names), "{err}");
        }
        // The documented longest period, exactly: 366 days.
        assert_eq!(MAX_PERIOD, Duration::from_secs(366 * 86_400));
        assert!(Quota::new(1, MAX_PERIOD).validate("x").is_ok());
        assert!(
            Quota::per_second(1)
                .with_penalty(MAX_PERIOD)
                .validate("x")
                .is_ok()
        );
        // One request per nanosecond is the finest quota.
        assert!(Quota::new(5, Duration::from_nanos(5)).validate("x").is_ok());
    }

    #[test]
    fn emission_interval_is_period_over_limit() {
        assert_eq!(Quota::per_second(4).emission_nanos(), 250_000_000);
        assert_eq!(Quota::per_minute(600).emission_nanos(), 100_000_000);
        assert_eq!(Quota::new(3, Duration::from_nanos(10)).emission_nanos(), 3);
        // Degenerate quotas (refused by `validate`) still have an interval.
        assert_eq!(Quota::per_second(0).emission_nanos(), 1_000_000_000);
        assert_eq!(Quota::new(10, Duration::from_nanos(5)).emission_nanos(), 1);
        assert_eq!(Quota::new(1, Duration::MAX).emission_nanos(), u64::MAX);
    }

    #[test]
    fn division_by_the_interval_is_exact_at_the_edges() {
        for q in [
            Quota::per_second(1),
            Quota::per_second(3),
            Quota::per_second(MAX_LIMIT),
            Quota::new(7, MAX_PERIOD),
            Quota::new(10, Duration::from_nanos(5)),
            Quota::new(1, Duration::MAX),
        ] {
            let e = q.emission_nanos();
            let twice = e.saturating_mul(2);
            for n in [
                0,
                1,
                e - 1,
                e,
                e.saturating_add(1),
                twice - 1,
                twice,
                u64::MAX - 1,
                u64::MAX,
            ]
            .into_iter()
            .chain((1..64).map(|b| 1u64 << b))
            {
                assert_eq!(q.div_emission(n), n / e, "{n} / {e}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn division_by_the_interval_is_exact(
            limit in 1u32..=MAX_LIMIT,
            period_nanos in 1u64..=u64::MAX,
            n in proptest::num::u64::ANY,
        ) {
            let q = Quota::new(limit, Duration::from_nanos(period_nanos));
            proptest::prop_assert_eq!(q.div_emission(n), n / q.emission_nanos());
        }
    }

    #[test]
    fn serde_round_trip_and_validation() {
        let q: Quota = toml::from_str("limit = 10\nburst = 2\npenalty_secs = 30").unwrap();
        assert_eq!(
            q,
            Quota::per_minute(10)
                .with_burst(2)
                .with_penalty(Duration::from_secs(30))
        );
        let back: Quota = toml::from_str(&toml::to_string(&q).unwrap()).unwrap();
        assert_eq!(back, q);
        assert!(toml::from_str::<Quota>("limit = 0").is_err());
        assert!(toml::from_str::<Quota>("limit = 1\nwindow = 3").is_err());
    }
}
