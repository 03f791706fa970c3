//! The limiting algorithms, as pure functions of a key's state and "now".
//!
//! Each algorithm decides in two steps: [`Cell::evaluate`] brings the state up
//! to `now` (refills, window roll-overs, expired log entries: changes that
//! consume nothing) and says whether one more request fits; [`Cell::commit`]
//! counts it. A multi-level check evaluates every level first and commits only
//! when all admit, so a refused request consumes nothing anywhere.
//!
//! Times are nanoseconds since the Unix epoch. Bucket levels are kept as
//! integers scaled by the period (`tokens × period`), so refills are exact and
//! the tests can hit window edges to the nanosecond.

use crate::quota::Quota;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// How requests are counted. All read the same [`Quota`].
///
/// | algorithm | admits | state per key |
/// | --- | --- | --- |
/// | `Gcra` (default) | `burst` at once, then one every `period / limit` | one timestamp |
/// | `TokenBucket` | same as GCRA; kept as a token count | count + timestamp |
/// | `LeakyBucket` | same as GCRA; kept as a level that drains (a policing meter, not a queue) | level + timestamp |
/// | `FixedWindow` | `limit` per calendar-aligned window; up to 2× `limit` across a boundary | count + window |
/// | `SlidingLog` | `limit` in any `period`: exact, memory grows with `limit` | one timestamp per request |
/// | `SlidingWindow` | `limit` in a period weighted over the previous window (approximate, small) | two counts + window |
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Algorithm {
    /// Generic cell rate algorithm: a token bucket stored as one "theoretical
    /// arrival time". Smooth, exact, one number per key.
    #[default]
    Gcra,
    /// Tokens refill continuously up to `burst`; each request takes one.
    TokenBucket,
    /// Each request adds one to a bucket of size `burst` that drains at
    /// `limit / period`; a request that would overflow it is refused.
    LeakyBucket,
    /// Counts requests per window aligned to the epoch (`now - now % period`).
    FixedWindow,
    /// Remembers each admitted request for one period.
    SlidingLog,
    /// Counts per window and weighs the previous window by how much of it still
    /// overlaps the sliding period (the "sliding window counter").
    SlidingWindow,
}

impl Algorithm {
    /// Every algorithm, in the order of the table above.
    pub const ALL: [Algorithm; 6] = [
        Algorithm::Gcra,
        Algorithm::TokenBucket,
        Algorithm::LeakyBucket,
        Algorithm::FixedWindow,
        Algorithm::SlidingLog,
        Algorithm::SlidingWindow,
    ];

    /// The name used in config files and Redis scripts.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Gcra => "gcra",
            Algorithm::TokenBucket => "token_bucket",
            Algorithm::LeakyBucket => "leaky_bucket",
            Algorithm::FixedWindow => "fixed_window",
            Algorithm::SlidingLog => "sliding_log",
            Algorithm::SlidingWindow => "sliding_window",
        }
    }
}

/// One key's state under one algorithm, and its penalty.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cell {
    state: State,
    blocked_until: u64,
}

// Kept small (32 bytes, 8-aligned): a store holds one per key, and a
// 10,000-key working set must stay in cache. Hence the u128 levels split in
// two u64 halves (a u128 field would align the whole enum to 16) and the
// sliding log boxed.
#[derive(Debug, Clone, PartialEq)]
enum State {
    Gcra {
        tat: u64,
    },
    Tokens {
        scaled: Wide,
        at: u64,
    },
    Leaky {
        scaled: Wide,
        at: u64,
    },
    Fixed {
        start: u64,
        count: u32,
    },
    // Boxed on purpose: the extra allocation is paid by sliding-log keys only,
    // while every other key's state stays 32 bytes instead of 40.
    #[allow(clippy::box_collection)]
    Log(Box<VecDeque<u64>>),
    Sliding {
        window: u64,
        prev: u32,
        cur: u32,
    },
}

/// A u128 stored as two u64 halves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Wide([u64; 2]);

impl Wide {
    fn new(v: u128) -> Self {
        Wide([(v >> 64) as u64, v as u64])
    }

    fn get(self) -> u128 {
        (u128::from(self.0[0]) << 64) | u128::from(self.0[1])
    }
}

/// What one algorithm says about one more request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Eval {
    pub allowed: bool,
    pub remaining: u32,
    pub reset_after: u64,
    pub retry_after: u64,
    pub blocked: bool,
}

fn to_u32(v: u128) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn to_u64(v: u128) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

fn div_ceil(a: u128, b: u128) -> u128 {
    if b == 0 { 0 } else { a.div_ceil(b) }
}

impl Cell {
    /// A key never seen: its whole quota is available.
    pub(crate) fn new(algorithm: Algorithm, q: &Quota) -> Self {
        let full = u128::from(q.burst()) * u128::from(q.period_nanos());
        let state = match algorithm {
            Algorithm::Gcra => State::Gcra { tat: 0 },
            Algorithm::TokenBucket => State::Tokens {
                scaled: Wide::new(full),
                at: 0,
            },
            Algorithm::LeakyBucket => State::Leaky {
                scaled: Wide::new(0),
                at: 0,
            },
            Algorithm::FixedWindow => State::Fixed { start: 0, count: 0 },
            Algorithm::SlidingLog => State::Log(Box::default()),
            Algorithm::SlidingWindow => State::Sliding {
                window: 0,
                prev: 0,
                cur: 0,
            },
        };
        Self {
            state,
            blocked_until: 0,
        }
    }

    fn matches(&self, algorithm: Algorithm) -> bool {
        matches!(
            (&self.state, algorithm),
            (State::Gcra { .. }, Algorithm::Gcra)
                | (State::Tokens { .. }, Algorithm::TokenBucket)
                | (State::Leaky { .. }, Algorithm::LeakyBucket)
                | (State::Fixed { .. }, Algorithm::FixedWindow)
                | (State::Log(_), Algorithm::SlidingLog)
                | (State::Sliding { .. }, Algorithm::SlidingWindow)
        )
    }

    /// Brings the state to `now` and says whether one more request fits,
    /// without counting it.
    pub(crate) fn evaluate(&mut self, algorithm: Algorithm, q: &Quota, now: u64) -> Eval {
        if !self.matches(algorithm) {
            *self = Cell::new(algorithm, q);
        }
        let mut eval = self.evaluate_state(q, now);
        if self.blocked_until > now {
            let wait = self.blocked_until - now;
            eval = Eval {
                allowed: false,
                remaining: 0,
                reset_after: eval.reset_after.max(wait),
                retry_after: wait,
                blocked: true,
            };
        }
        eval
    }

    fn evaluate_state(&mut self, q: &Quota, now: u64) -> Eval {
        let limit = u128::from(q.limit());
        let period = u128::from(q.period_nanos());
        let burst = u128::from(q.burst());
        match &mut self.state {
            State::Gcra { tat } => {
                // u64 throughout (the hot path): a tolerance that saturates
                // would need a burst spanning centuries.
                let t = q.emission_nanos();
                let tau = u64::from(q.burst()).saturating_mul(t);
                let base = (*tat).max(now);
                let next = base.saturating_add(t);
                if next - now <= tau {
                    Eval {
                        allowed: true,
                        remaining: u32::try_from(q.div_emission(tau - (next - now)))
                            .unwrap_or(u32::MAX),
                        reset_after: next - now,
                        retry_after: 0,
                        blocked: false,
                    }
                } else {
                    // Refused means less than one emission interval of
                    // tolerance is left: nothing remains.
                    Eval {
                        allowed: false,
                        remaining: 0,
                        reset_after: base - now,
                        retry_after: next - now - tau,
                        blocked: false,
                    }
                }
            }
            State::Tokens { scaled: wide, at } => {
                let full = burst * period;
                let mut scaled = wide.get();
                if now > *at {
                    scaled = (scaled + u128::from(now - *at) * limit).min(full);
                    *wide = Wide::new(scaled);
                    *at = now;
                }
                if scaled >= period {
                    let after = scaled - period;
                    Eval {
                        allowed: true,
                        remaining: to_u32(after / period),
                        reset_after: to_u64(div_ceil(full - after, limit)),
                        retry_after: 0,
                        blocked: false,
                    }
                } else {
                    Eval {
                        allowed: false,
                        remaining: 0,
                        reset_after: to_u64(div_ceil(full - scaled, limit)),
                        retry_after: to_u64(div_ceil(period - scaled, limit)),
                        blocked: false,
                    }
                }
            }
            State::Leaky { scaled: wide, at } => {
                let full = burst * period;
                let mut scaled = wide.get();
                if now > *at {
                    scaled = scaled.saturating_sub(u128::from(now - *at) * limit);
                    *wide = Wide::new(scaled);
                    *at = now;
                }
                if scaled + period <= full {
                    let after = scaled + period;
                    Eval {
                        allowed: true,
                        remaining: to_u32((full - after) / period),
                        reset_after: to_u64(div_ceil(after, limit)),
                        retry_after: 0,
                        blocked: false,
                    }
                } else {
                    Eval {
                        allowed: false,
                        remaining: 0,
                        reset_after: to_u64(div_ceil(scaled, limit)),
                        retry_after: to_u64(div_ceil(scaled + period - full, limit)),
                        blocked: false,
                    }
                }
            }
            State::Fixed { start, count } => {
                let p = q.period_nanos();
                let window = now - now % p;
                if *start != window {
                    *start = window;
                    *count = 0;
                }
                let end = u128::from(window) + period - u128::from(now);
                let allowed = u128::from(*count) < limit;
                Eval {
                    allowed,
                    remaining: to_u32(
                        limit.saturating_sub(u128::from(*count) + u128::from(allowed)),
                    ),
                    reset_after: if allowed || *count > 0 {
                        to_u64(end)
                    } else {
                        0
                    },
                    retry_after: if allowed { 0 } else { to_u64(end) },
                    blocked: false,
                }
            }
            State::Log(log) => {
                let p = q.period_nanos();
                while log.front().is_some_and(|&t| t.saturating_add(p) <= now) {
                    log.pop_front();
                }
                let len = log.len() as u128;
                let allowed = len < limit;
                let newest = if allowed {
                    Some(now)
                } else {
                    log.back().copied()
                };
                let reset_after = newest.map_or(0, |t| t.saturating_add(p).saturating_sub(now));
                let retry_after = if allowed {
                    0
                } else {
                    // The oldest entry that must leave for one more to fit.
                    let k = usize::try_from(len - limit).unwrap_or(0);
                    log.get(k)
                        .map_or(0, |&t| t.saturating_add(p).saturating_sub(now))
                };
                Eval {
                    allowed,
                    remaining: to_u32(limit.saturating_sub(len + u128::from(allowed))),
                    reset_after,
                    retry_after,
                    blocked: false,
                }
            }
            State::Sliding { window, prev, cur } => {
                let p = q.period_nanos();
                let w = now / p;
                if w == window.saturating_add(1) {
                    *prev = *cur;
                    *cur = 0;
                } else if w != *window {
                    *prev = 0;
                    *cur = 0;
                }
                *window = w;
                let r = u128::from(now % p);
                let (prev, cur) = (u128::from(*prev), u128::from(*cur));
                let estimate = prev * (period - r) + cur * period;
                let capacity = limit * period;
                let allowed = estimate + period <= capacity;
                let after = estimate + if allowed { period } else { 0 };
                let cur_after = cur + u128::from(allowed);
                let reset_after = if cur_after > 0 {
                    2 * period - r
                } else if prev > 0 {
                    period - r
                } else {
                    0
                };
                let retry_after = if allowed {
                    0
                } else {
                    sliding_retry(limit, period, prev, cur, r)
                };
                Eval {
                    allowed,
                    remaining: to_u32(capacity.saturating_sub(after) / period),
                    reset_after: to_u64(reset_after),
                    retry_after: to_u64(retry_after),
                    blocked: false,
                }
            }
        }
    }

    /// A whole check of one limit: evaluates, then counts the request or
    /// starts the penalty. Returns the verdict and when the cell is next idle.
    /// A GCRA request that is admitted (the common case), or refused without
    /// a penalty (a flood), takes a shorter path with the same result.
    #[inline]
    pub(crate) fn decide(&mut self, algorithm: Algorithm, q: &Quota, now: u64) -> (Eval, u64) {
        if let (Algorithm::Gcra, State::Gcra { tat }) = (algorithm, &mut self.state)
            && self.blocked_until <= now
        {
            let t = q.emission_nanos();
            let tau = u64::from(q.burst()).saturating_mul(t);
            let next = (*tat).max(now).saturating_add(t);
            if next - now <= tau {
                *tat = next;
                let eval = Eval {
                    allowed: true,
                    remaining: u32::try_from(q.div_emission(tau - (next - now)))
                        .unwrap_or(u32::MAX),
                    reset_after: next - now,
                    retry_after: 0,
                    blocked: false,
                };
                return (eval, next.max(self.blocked_until));
            }
            if q.penalty().is_none() {
                // Refused without a penalty to start: nothing changes, so the
                // cell is idle when it already was (what a flood on one key
                // hits on every request).
                let base = (*tat).max(now);
                let eval = Eval {
                    allowed: false,
                    remaining: 0,
                    reset_after: base - now,
                    retry_after: next - now - tau,
                    blocked: false,
                };
                return (eval, (*tat).max(self.blocked_until));
            }
        }
        self.decide_in_steps(algorithm, q, now)
    }

    /// [`Cell::decide`] for every case its shortcuts do not cover.
    fn decide_in_steps(&mut self, algorithm: Algorithm, q: &Quota, now: u64) -> (Eval, u64) {
        let eval = self.evaluate(algorithm, q, now);
        if eval.allowed {
            self.commit(q, now);
        } else {
            self.punish(q, now);
        }
        (eval, self.idle_at(q))
    }

    /// Counts one request (after [`Cell::evaluate`] admitted it at `now`).
    pub(crate) fn commit(&mut self, q: &Quota, now: u64) {
        let period = u128::from(q.period_nanos());
        match &mut self.state {
            State::Gcra { tat } => *tat = (*tat).max(now).saturating_add(q.emission_nanos()),
            State::Tokens { scaled, .. } => {
                *scaled = Wide::new(scaled.get().saturating_sub(period))
            }
            State::Leaky { scaled, .. } => *scaled = Wide::new(scaled.get().saturating_add(period)),
            State::Fixed { count, .. } => *count = count.saturating_add(1),
            State::Log(log) => log.push_back(now),
            State::Sliding { cur, .. } => *cur = cur.saturating_add(1),
        }
    }

    /// Starts the quota's penalty, if it has one (after a refusal at `now`).
    pub(crate) fn punish(&mut self, q: &Quota, now: u64) {
        if q.penalty().is_some() && self.blocked_until <= now {
            self.blocked_until = now.saturating_add(q.penalty_nanos());
        }
    }

    /// From when on this cell is indistinguishable from a fresh one, so the
    /// store may forget it.
    pub(crate) fn idle_at(&self, q: &Quota) -> u64 {
        let limit = u128::from(q.limit());
        let period = q.period_nanos();
        let full = u128::from(q.burst()) * u128::from(period);
        let state_idle = match &self.state {
            State::Gcra { tat } => *tat,
            State::Tokens { scaled, at } => {
                at.saturating_add(to_u64(div_ceil(full.saturating_sub(scaled.get()), limit)))
            }
            State::Leaky { scaled, at } => at.saturating_add(to_u64(div_ceil(scaled.get(), limit))),
            State::Fixed { start, count } => {
                if *count == 0 {
                    0
                } else {
                    start.saturating_add(period)
                }
            }
            State::Log(log) => log.back().map_or(0, |t| t.saturating_add(period)),
            State::Sliding { window, prev, cur } => {
                let ends = if *cur > 0 { 2 } else { u64::from(*prev > 0) };
                if ends == 0 {
                    0
                } else {
                    window.saturating_add(ends).saturating_mul(period)
                }
            }
        };
        state_idle.max(self.blocked_until)
    }
}

/// Nanoseconds until a sliding-window counter admits one more request, with
/// `prev` and `cur` counted, `r` nanoseconds into the current window.
fn sliding_retry(limit: u128, period: u128, prev: u128, cur: u128, r: u128) -> u128 {
    // Later in this window, as the previous window's weight decays.
    if cur < limit && prev > 0 {
        let room = (limit - 1 - cur) * period; // prev × (period − r') ≤ room
        let r_needed = period - (room / prev).min(period);
        if r_needed < period {
            return r_needed.saturating_sub(r).max(1);
        }
    }
    // In the next window, where `cur` becomes the previous window.
    let until_next = period - r;
    if cur == 0 {
        return until_next;
    }
    let room = (limit - 1) * period;
    let r_needed = period - (room / cur).min(period);
    until_next + r_needed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const ALL: [Algorithm; 6] = Algorithm::ALL;
    const S: u64 = 1_000_000_000;
    // A time aligned to a 60 s window, so window algorithms start fresh.
    const T0: u64 = 1_700_000_040 * S;

    fn hit(cell: &mut Cell, a: Algorithm, q: &Quota, now: u64) -> Eval {
        let e = cell.evaluate(a, q, now);
        if e.allowed {
            cell.commit(q, now);
        } else {
            cell.punish(q, now);
        }
        e
    }

    proptest::proptest! {
        /// The one-limit path (`decide`, with its GCRA shortcut) answers and
        /// leaves the cell exactly as the three steps of a multi-limit check.
        #[test]
        fn decide_is_evaluate_then_commit_or_punish(
            alg in 0usize..6,
            limit in 1u32..20,
            burst in 1u32..20,
            penalty in proptest::option::of(1u64..120),
            gaps in proptest::collection::vec(0u64..20 * S, 1..60),
        ) {
            let a = ALL[alg];
            let mut q = Quota::per_minute(limit).with_burst(burst);
            if let Some(p) = penalty {
                q = q.with_penalty(Duration::from_secs(p));
            }
            let (mut fused, mut stepped) = (Cell::new(a, &q), Cell::new(a, &q));
            let mut now = T0;
            for gap in gaps {
                now += gap;
                let (e, idle) = fused.decide(a, &q, now);
                let expected = hit(&mut stepped, a, &q, now);
                proptest::prop_assert_eq!(e, expected);
                proptest::prop_assert_eq!(&fused, &stepped);
                proptest::prop_assert_eq!(idle, stepped.idle_at(&q));
            }
        }
    }

    #[test]
    fn names_are_the_config_names() {
        for a in ALL {
            let from_config: Algorithm =
                serde_json::from_value(serde_json::Value::from(a.as_str())).unwrap();
            assert_eq!(from_config, a);
        }
    }

    #[test]
    fn gcra_refused_after_a_partial_refill_has_nothing_remaining() {
        let q = Quota::per_minute(6);
        let mut cell = Cell::new(Algorithm::Gcra, &q);
        for _ in 0..6 {
            assert!(hit(&mut cell, Algorithm::Gcra, &q, T0).allowed);
        }
        // Half an emission interval (10 s) later: not yet a whole request.
        let e = hit(&mut cell, Algorithm::Gcra, &q, T0 + 5 * S);
        assert!(!e.allowed);
        assert_eq!(e.remaining, 0);
        assert_eq!(e.retry_after, 5 * S);
        assert_eq!(e.reset_after, 55 * S);
    }

    #[test]
    fn token_bucket_reports_exact_reset_and_retry() {
        let q = Quota::per_minute(6); // one token per 10 s, bucket of 6
        let a = Algorithm::TokenBucket;
        let mut cell = Cell::new(a, &q);
        let first = hit(&mut cell, a, &q, T0);
        assert_eq!(first.reset_after, 10 * S, "one token to refill");
        for _ in 0..5 {
            assert!(hit(&mut cell, a, &q, T0).allowed);
        }
        // 5 s later half a token has come back: refused, a whole one in 5 s,
        // a full bucket in 55 s.
        let e = hit(&mut cell, a, &q, T0 + 5 * S);
        assert!(!e.allowed);
        assert_eq!(e.retry_after, 5 * S);
        assert_eq!(e.reset_after, 55 * S);
    }

    #[test]
    fn leaky_bucket_reports_exact_reset_and_retry() {
        let q = Quota::per_minute(6); // drains one per 10 s, holds 6
        let a = Algorithm::LeakyBucket;
        let mut cell = Cell::new(a, &q);
        let first = hit(&mut cell, a, &q, T0);
        assert_eq!(first.reset_after, 10 * S, "one request to drain");
        for _ in 0..5 {
            assert!(hit(&mut cell, a, &q, T0).allowed);
        }
        let e = hit(&mut cell, a, &q, T0 + 5 * S);
        assert!(!e.allowed);
        assert_eq!(e.retry_after, 5 * S);
        assert_eq!(e.reset_after, 55 * S);
    }

    #[test]
    fn every_algorithm_admits_the_limit_then_refuses() {
        let q = Quota::per_minute(5);
        for a in ALL {
            let mut cell = Cell::new(a, &q);
            for i in 0..5u32 {
                let e = hit(&mut cell, a, &q, T0);
                assert!(e.allowed, "{a:?} request {i}");
                assert_eq!(e.remaining, 4 - i, "{a:?} remaining after {i}");
            }
            let e = hit(&mut cell, a, &q, T0);
            assert!(!e.allowed, "{a:?} admitted a sixth");
            assert!(e.retry_after > 0, "{a:?} retry");
            assert_eq!(e.remaining, 0);
        }
    }

    #[test]
    fn refusal_consumes_nothing() {
        let q = Quota::per_minute(2);
        for a in ALL {
            let mut cell = Cell::new(a, &q);
            hit(&mut cell, a, &q, T0);
            hit(&mut cell, a, &q, T0);
            let before = cell.clone();
            for _ in 0..10 {
                assert!(!hit(&mut cell, a, &q, T0).allowed);
            }
            assert_eq!(cell, before, "{a:?} changed state on refusal");
        }
    }

    #[test]
    fn bucket_algorithms_refill_one_per_emission_interval_exactly() {
        // 3 per 3 s: one request back every second, to the nanosecond.
        let q = Quota::new(3, Duration::from_secs(3));
        for a in [
            Algorithm::Gcra,
            Algorithm::TokenBucket,
            Algorithm::LeakyBucket,
        ] {
            let mut cell = Cell::new(a, &q);
            for _ in 0..3 {
                assert!(hit(&mut cell, a, &q, T0).allowed);
            }
            let e = hit(&mut cell, a, &q, T0);
            assert!(!e.allowed);
            assert_eq!(e.retry_after, S, "{a:?}");
            assert_eq!(e.reset_after, 3 * S, "{a:?}");
            assert!(
                !hit(&mut cell, a, &q, T0 + S - 1).allowed,
                "{a:?} 1 ns early"
            );
            let e = hit(&mut cell, a, &q, T0 + S);
            assert!(e.allowed, "{a:?} on time");
            assert_eq!(e.remaining, 0);
            assert!(!hit(&mut cell, a, &q, T0 + S).allowed, "{a:?}");
            // After a long quiet spell the bucket is full again, never fuller.
            for _ in 0..3 {
                assert!(hit(&mut cell, a, &q, T0 + 100 * S).allowed, "{a:?}");
            }
            assert!(!hit(&mut cell, a, &q, T0 + 100 * S).allowed, "{a:?}");
        }
    }

    #[test]
    fn burst_smaller_than_limit() {
        let q = Quota::per_second(10).with_burst(2);
        for a in [
            Algorithm::Gcra,
            Algorithm::TokenBucket,
            Algorithm::LeakyBucket,
        ] {
            let mut cell = Cell::new(a, &q);
            assert!(hit(&mut cell, a, &q, T0).allowed);
            assert!(hit(&mut cell, a, &q, T0).allowed);
            let e = hit(&mut cell, a, &q, T0);
            assert!(!e.allowed, "{a:?}");
            assert_eq!(e.retry_after, S / 10, "{a:?}");
            assert!(hit(&mut cell, a, &q, T0 + S / 10).allowed, "{a:?}");
        }
    }

    #[test]
    fn fixed_window_resets_at_the_boundary() {
        let q = Quota::per_minute(2);
        let a = Algorithm::FixedWindow;
        let mut cell = Cell::new(a, &q);
        let t = T0 + 59 * S;
        assert!(hit(&mut cell, a, &q, t).allowed);
        assert!(hit(&mut cell, a, &q, t).allowed);
        let e = hit(&mut cell, a, &q, t);
        assert_eq!(e.retry_after, S);
        assert!(!hit(&mut cell, a, &q, T0 + 60 * S - 1).allowed);
        // The known weakness: a fresh window right after the boundary.
        assert!(hit(&mut cell, a, &q, T0 + 60 * S).allowed);
        assert!(hit(&mut cell, a, &q, T0 + 60 * S).allowed);
        assert!(!hit(&mut cell, a, &q, T0 + 60 * S).allowed);
    }

    #[test]
    fn sliding_log_is_exact_over_any_period() {
        let q = Quota::per_minute(2);
        let a = Algorithm::SlidingLog;
        let mut cell = Cell::new(a, &q);
        assert!(hit(&mut cell, a, &q, T0 + 59 * S).allowed);
        assert!(hit(&mut cell, a, &q, T0 + 60 * S).allowed);
        // No boundary burst: the period slides.
        let e = hit(&mut cell, a, &q, T0 + 61 * S);
        assert!(!e.allowed);
        assert_eq!(e.retry_after, 58 * S);
        assert!(!hit(&mut cell, a, &q, T0 + 119 * S - 1).allowed);
        assert!(hit(&mut cell, a, &q, T0 + 119 * S).allowed);
        assert!(!hit(&mut cell, a, &q, T0 + 119 * S).allowed);
    }

    #[test]
    fn sliding_window_weighs_the_previous_window() {
        let q = Quota::per_minute(10);
        let a = Algorithm::SlidingWindow;
        let mut cell = Cell::new(a, &q);
        for _ in 0..10 {
            assert!(hit(&mut cell, a, &q, T0 + 30 * S).allowed);
        }
        // 15 s into the next window the previous one weighs 3/4: 7.5 used.
        let t = T0 + 75 * S;
        let mut admitted = 0;
        while hit(&mut cell, a, &q, t).allowed {
            admitted += 1;
        }
        assert_eq!(admitted, 2);
        // 9.5 used; one more fits when 10 × (60 − r)/60 ≤ 7, i.e. 18 s in.
        let e = cell.evaluate(a, &q, t);
        assert_eq!(e.retry_after, 3 * S);
        assert!(!hit(&mut cell, a, &q, T0 + 78 * S - 1).allowed);
        assert!(hit(&mut cell, a, &q, T0 + 78 * S).allowed);
    }

    #[test]
    fn sliding_window_retry_hint_is_never_early() {
        let q = Quota::per_minute(7);
        let a = Algorithm::SlidingWindow;
        let mut cell = Cell::new(a, &q);
        let mut now = T0 + 13 * S;
        for _ in 0..200 {
            let e = hit(&mut cell, a, &q, now);
            if !e.allowed {
                let mut probe = cell.clone();
                assert!(!probe.evaluate(a, &q, now + e.retry_after - 1).allowed);
                assert!(probe.evaluate(a, &q, now + e.retry_after).allowed);
                now += e.retry_after;
            } else {
                now += 3 * S;
            }
        }
    }

    #[test]
    fn penalty_blocks_for_its_whole_length_then_lifts() {
        let q = Quota::per_minute(1).with_penalty(Duration::from_secs(600));
        for a in ALL {
            let mut cell = Cell::new(a, &q);
            assert!(hit(&mut cell, a, &q, T0).allowed);
            let e = hit(&mut cell, a, &q, T0 + S);
            assert!(!e.allowed);
            let e = hit(&mut cell, a, &q, T0 + 200 * S);
            assert!(e.blocked && !e.allowed, "{a:?} penalty not served");
            assert_eq!(e.retry_after, 401 * S, "{a:?}");
            assert!(cell.idle_at(&q) >= T0 + 601 * S);
            assert!(
                hit(&mut cell, a, &q, T0 + 601 * S).allowed,
                "{a:?} still blocked"
            );
        }
    }

    #[test]
    fn idle_cells_equal_fresh_ones() {
        let q = Quota::per_minute(3);
        for a in ALL {
            let mut cell = Cell::new(a, &q);
            hit(&mut cell, a, &q, T0 + S);
            hit(&mut cell, a, &q, T0 + 2 * S);
            let idle = cell.idle_at(&q);
            assert!(idle > T0 + 2 * S, "{a:?}");
            let mut fresh = Cell::new(a, &q);
            let e1 = cell.evaluate(a, &q, idle);
            let e2 = fresh.evaluate(a, &q, idle);
            assert_eq!(e1.allowed, e2.allowed, "{a:?}");
            assert_eq!(e1.remaining, e2.remaining, "{a:?}");
        }
    }

    #[test]
    fn state_stays_small() {
        assert!(
            std::mem::size_of::<Cell>() <= 40,
            "{}",
            std::mem::size_of::<Cell>()
        );
        assert_eq!(Wide::new(u128::MAX - 7).get(), u128::MAX - 7);
    }

    #[test]
    fn clock_going_backwards_never_refills() {
        let q = Quota::per_minute(1);
        for a in [
            Algorithm::Gcra,
            Algorithm::TokenBucket,
            Algorithm::LeakyBucket,
        ] {
            let mut cell = Cell::new(a, &q);
            assert!(hit(&mut cell, a, &q, T0).allowed);
            assert!(!hit(&mut cell, a, &q, T0 - 3600 * S).allowed, "{a:?}");
        }
    }
}
