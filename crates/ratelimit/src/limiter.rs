//! `RateLimiter`: the plain API every layer and handler calls.

use crate::algorithm::Eval;
use crate::decision::{Decision, LimitStatus, ceil_secs};
use crate::error::ConfigError;
use crate::key::KeyContext;
use crate::limit::{Limit, MissingKey};
use crate::quota::Quota;
use crate::refusal_events::RefusalEvents;
use crate::store::memory::{self, KeyMap, MemoryStore, Probe};
use rampart_core::{EventKind, SecurityEvent, SharedClock, SharedSink, SystemClock, TracingSink};
use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

/// The tracing target and event source of this crate.
pub(crate) const TARGET: &str = "rampart::ratelimit";

/// The key charged when a [`MissingKey::Shared`] limit finds none.
const SHARED_KEY: &str = "-";

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// What a limiter does when its store fails (Redis down mid-request).
/// Every fault is reported as a `StoreFailure` event whatever the mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailMode {
    /// Refuse the request with 503 and `Retry-After` (the default): a limiter
    /// that cannot count protects nothing if it admits.
    #[default]
    Closed,
    /// Admit the request unlimited (`insecure_fail_open`).
    Open,
    /// Count in this process's memory until the store answers again: each
    /// instance then enforces the quota on its own share of the traffic.
    Memory,
}

/// Checks requests against one or more [`Limit`]s at once.
///
/// A request passes only if every limit admits it, and a refused request
/// consumes nothing from any limit. Counters live in memory by default
/// (sharded, bounded) or in Redis (feature `redis`), shared between instances.
/// Clones share their counters.
///
/// ```
/// use rampart_ratelimit::{Key, KeyContext, Limit, Quota, RateLimiter};
///
/// let limiter = RateLimiter::builder()
///     .limit(Limit::new("tenant", Quota::per_minute(1000)).key(Key::tenant()))
///     .limit(Limit::new("user", Quota::per_minute(2)).key(Key::subject()))
///     .build()?;
///
/// let bob = KeyContext::new().subject("bob").tenant("acme");
/// assert!(limiter.check_now(&bob).unwrap().is_allowed());
/// assert!(limiter.check_now(&bob).unwrap().is_allowed());
/// let third = limiter.check_now(&bob).unwrap();
/// assert!(!third.is_allowed());
/// assert_eq!(third.denied_by().unwrap().name, "user");
/// // The refused request did not count against the tenant.
/// assert_eq!(third.limits()[0].remaining, 998);
/// # Ok::<(), rampart_ratelimit::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) limits: Vec<Limit>,
    maps: Vec<KeyMap>,
    clock: SharedClock,
    time: TimeSource,
    pub(crate) sink: SharedSink,
    refusals: RefusalEvents,
    #[cfg(feature = "redis")]
    redis: Option<crate::store::redis::RedisStore>,
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    fail_mode: FailMode,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("limits", &self.inner.limits)
            .field("remote", &!self.is_local())
            .finish_non_exhaustive()
    }
}

/// Builds a [`RateLimiter`]; see [`RateLimiter::builder`].
#[must_use]
pub struct RateLimiterBuilder {
    limits: Vec<Limit>,
    clock: Option<SharedClock>,
    sink: Option<SharedSink>,
    memory: MemoryStore,
    #[cfg(feature = "redis")]
    redis: Option<crate::store::redis::RedisStore>,
    fail_mode: FailMode,
}

impl RateLimiterBuilder {
    /// Adds a limit. Limits are checked together, in this order.
    pub fn limit(mut self, limit: Limit) -> Self {
        self.limits.push(limit);
        self
    }

    /// Reads time from `clock` (default: the system clock). Redis-backed
    /// limiters take time from the Redis server instead.
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Where refusals and store failures are reported (default: [`TracingSink`]).
    pub fn event_sink(mut self, sink: SharedSink) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Sizes the in-memory store (also the fallback of [`FailMode::Memory`]).
    pub fn memory(mut self, store: MemoryStore) -> Self {
        self.memory = store;
        self
    }

    /// Keeps counters in Redis, shared by every instance.
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn redis(mut self, store: crate::store::redis::RedisStore) -> Self {
        self.redis = Some(store);
        self
    }

    /// When the store fails, admit requests unlimited (default: refuse with 503).
    pub fn insecure_fail_open(mut self) -> Self {
        self.fail_mode = FailMode::Open;
        self
    }

    /// When the store fails, count in local memory until it is back.
    pub fn fail_over_to_memory(mut self) -> Self {
        self.fail_mode = FailMode::Memory;
        self
    }

    /// Validates every limit and builds the limiter.
    ///
    /// # Errors
    /// No limit, a duplicate or malformed name, an invalid quota or key
    /// prefix, or an empty memory store.
    pub fn build(self) -> Result<RateLimiter, ConfigError> {
        if self.limits.is_empty() {
            return Err(ConfigError::NoLimits);
        }
        self.memory.validate()?;
        let mut names = HashSet::new();
        for limit in &self.limits {
            let name = limit.name;
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            {
                return Err(ConfigError::InvalidName(name.to_owned()));
            }
            if !names.insert(name) {
                return Err(ConfigError::DuplicateName(name.to_owned()));
            }
            limit.quota.validate(name)?;
            limit.key.validate()?;
        }
        let maps = self
            .limits
            .iter()
            .map(|_| KeyMap::new(&self.memory))
            .collect();
        let time = match &self.clock {
            Some(clock) => TimeSource::Clock(Arc::clone(clock)),
            None => TimeSource::fast(),
        };
        #[cfg(feature = "redis")]
        let redis = self.redis.map(|r| r.for_limits(self.limits.len()));
        Ok(RateLimiter {
            inner: Arc::new(Inner {
                limits: self.limits,
                maps,
                clock: self.clock.unwrap_or_else(SystemClock::shared),
                time,
                sink: self.sink.unwrap_or_else(TracingSink::shared),
                refusals: RefusalEvents::new(),
                #[cfg(feature = "redis")]
                redis,
                fail_mode: self.fail_mode,
            }),
        })
    }
}

/// Where the in-memory store reads "now".
enum TimeSource {
    /// The clock the application gave (tests move a `ManualClock`).
    Clock(SharedClock),
    /// Without one: the system time when the limiter was built, advanced by
    /// the CPU's time-stamp counter. Reading it costs a few nanoseconds where
    /// a system-time call costs tens, on every check; it is monotonic, so a
    /// wall-clock step (NTP) neither refills nor freezes buckets.
    Fast {
        anchor: u64,
        /// The counter's raw reading when `anchor` was taken: a raw reading
        /// scaled straight to nanoseconds skips the `Duration` round trip.
        start: u64,
        clock: quanta::Clock,
    },
}

impl TimeSource {
    fn fast() -> Self {
        let clock = quanta::Clock::new();
        TimeSource::Fast {
            anchor: unix_nanos(&SystemClock),
            start: clock.raw(),
            clock,
        }
    }

    fn now_nanos(&self) -> u64 {
        match self {
            TimeSource::Clock(clock) => unix_nanos(clock.as_ref()),
            TimeSource::Fast {
                anchor,
                start,
                clock,
            } => anchor.saturating_add(clock.delta_as_nanos(*start, clock.raw())),
        }
    }
}

fn unix_nanos(clock: &dyn rampart_core::Clock) -> u64 {
    clock
        .now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// One limit's key and quota for one check.
pub(crate) struct Resolved<'a> {
    pub(crate) index: usize,
    pub(crate) key: Cow<'a, str>,
    pub(crate) quota: Quota,
}

impl RateLimiter {
    /// A builder with no limit, in memory, failing closed.
    pub fn builder() -> RateLimiterBuilder {
        RateLimiterBuilder {
            limits: Vec::new(),
            clock: None,
            sink: None,
            memory: MemoryStore::new(),
            #[cfg(feature = "redis")]
            redis: None,
            fail_mode: FailMode::Closed,
        }
    }

    /// A limiter with the single limit `limit`, in memory.
    ///
    /// # Errors
    /// As [`RateLimiterBuilder::build`].
    pub fn new(limit: Limit) -> Result<Self, ConfigError> {
        Self::builder().limit(limit).build()
    }

    /// The limits, in order.
    pub fn limits(&self) -> &[Limit] {
        &self.inner.limits
    }

    /// Whether counters are in this process (so [`RateLimiter::check_now`] answers).
    pub fn is_local(&self) -> bool {
        #[cfg(feature = "redis")]
        if self.inner.redis.is_some() {
            return false;
        }
        true
    }

    /// Checks one request against every limit and counts it if all admit it.
    /// Refusals and store failures are reported to the event sink.
    pub async fn check(&self, ctx: &KeyContext<'_>) -> Decision {
        let resolved = self.resolve(ctx);
        #[cfg(feature = "redis")]
        if let Some(redis) = &self.inner.redis {
            let decision = match redis.check(&self.inner.limits, &resolved).await {
                Ok(evals) => self.decision(&resolved, &evals),
                Err(e) => self.store_failed(&resolved, ctx, &e),
            };
            self.report(&decision, ctx, &resolved);
            return decision;
        }
        let decision = self.check_memory(&resolved);
        self.report(&decision, ctx, &resolved);
        decision
    }

    /// [`RateLimiter::check`] without awaiting, for limiters whose counters are
    /// in memory; `None` when they are in a remote store.
    pub fn check_now(&self, ctx: &KeyContext<'_>) -> Option<Decision> {
        if !self.is_local() {
            return None;
        }
        if self.inner.limits.len() == 1 {
            return self.check_single(ctx);
        }
        let resolved = self.resolve(ctx);
        let decision = self.check_memory(&resolved);
        self.report(&decision, ctx, &resolved);
        Some(decision)
    }

    fn now_nanos(&self) -> u64 {
        self.inner.time.now_nanos()
    }

    pub(crate) fn resolve<'a>(&self, ctx: &KeyContext<'a>) -> Vec<Resolved<'a>> {
        (0..self.inner.limits.len())
            .filter_map(|index| self.resolve_one(index, ctx))
            .collect()
    }

    /// The key and quota of limit `index` for `ctx`; `None` when it is skipped.
    // Always inlined: on the single-limit path the key and quota then stay in
    // registers instead of being copied through a returned struct.
    #[inline(always)]
    fn resolve_one<'a>(&self, index: usize, ctx: &KeyContext<'a>) -> Option<Resolved<'a>> {
        let limit = &self.inner.limits[index];
        let key = match limit.key.derive(ctx) {
            Some(k) => k,
            None => match limit.on_missing() {
                MissingKey::Skip => return None,
                MissingKey::Shared => Cow::Borrowed(SHARED_KEY),
            },
        };
        let quota = match &limit.source {
            None => limit.quota,
            Some(source) => match source.quota(&key) {
                None => limit.quota,
                Some(q) if q.validate(limit.name).is_ok() => q,
                Some(_) => {
                    self.inner.sink.emit(
                        SecurityEvent::new(
                            EventKind::ConfigurationChanged,
                            TARGET,
                            "quota source gave an invalid quota; the limit's own quota applies",
                        )
                        .with_field("limit", limit.name),
                    );
                    limit.quota
                }
            },
        };
        Some(Resolved { index, key, quota })
    }

    /// The in-memory check of a single-limit limiter, without the per-check
    /// lists a multi-limit check needs. An admitted request's decision is
    /// built straight into the caller's return value.
    #[inline(always)]
    fn check_single(&self, ctx: &KeyContext<'_>) -> Option<Decision> {
        let Some(r) = self.resolve_one(0, ctx) else {
            return Some(Decision::from_limits(Vec::new()));
        };
        let probe = Probe {
            map: &self.inner.maps[0],
            key: &r.key,
            quota: &r.quota,
            algorithm: self.inner.limits[0].algorithm,
        };
        let eval = memory::check_one(&probe, self.now_nanos());
        if eval.allowed {
            return Some(Decision::from_one(self.status(&r, &eval, true)));
        }
        let decision = Decision::from_one(self.status(&r, &eval, false));
        self.report(&decision, ctx, std::slice::from_ref(&r));
        Some(decision)
    }

    pub(crate) fn check_memory(&self, resolved: &[Resolved<'_>]) -> Decision {
        if resolved.is_empty() {
            return Decision::from_limits(Vec::new());
        }
        let probes: Vec<Probe<'_>> = resolved
            .iter()
            .map(|r| Probe {
                map: &self.inner.maps[r.index],
                key: &r.key,
                quota: &r.quota,
                algorithm: self.inner.limits[r.index].algorithm,
            })
            .collect();
        let evals = memory::check(&probes, self.now_nanos());
        self.decision(resolved, &evals)
    }

    pub(crate) fn decision(&self, resolved: &[Resolved<'_>], evals: &[Eval]) -> Decision {
        // An admitting limit's `remaining` assumes the request is counted; when
        // another limit refused it, it was not.
        let counted = evals.iter().all(|e| e.allowed);
        if let ([r], [e]) = (resolved, evals) {
            return Decision::from_one(self.status(r, e, counted));
        }
        Decision::from_limits(
            resolved
                .iter()
                .zip(evals)
                .map(|(r, e)| self.status(r, e, counted))
                .collect(),
        )
    }

    #[inline]
    fn status(&self, r: &Resolved<'_>, e: &Eval, counted: bool) -> LimitStatus {
        LimitStatus {
            name: self.inner.limits[r.index].name,
            quota: r.quota,
            allowed: e.allowed,
            remaining: if e.allowed && !counted {
                e.remaining.saturating_add(1)
            } else {
                e.remaining
            },
            reset_after: Duration::from_nanos(e.reset_after),
            retry_after: Duration::from_nanos(e.retry_after),
            blocked: e.blocked,
        }
    }

    #[cfg(feature = "redis")]
    fn store_failed(
        &self,
        resolved: &[Resolved<'_>],
        ctx: &KeyContext<'_>,
        error: &crate::error::StoreError,
    ) -> Decision {
        let mode = self.inner.fail_mode;
        let (reason, decision) = match mode {
            FailMode::Closed => (
                "rate-limit store failed; request refused (fail closed)",
                Decision::unavailable(),
            ),
            FailMode::Open => (
                "rate-limit store failed; request admitted unlimited (fail open)",
                Decision::open(),
            ),
            FailMode::Memory => (
                "rate-limit store failed; counting in local memory",
                self.check_memory(resolved).degraded(),
            ),
        };
        tracing::warn!(target: TARGET, error = %error, "rate-limit store failed");
        let mut event = SecurityEvent::new(EventKind::StoreFailure, TARGET, reason)
            .at(self.inner.clock.now())
            .with_field("error", error.to_string());
        if let Some(ext) = ctx.extensions() {
            event = event.with_request_context(ext);
        }
        self.inner.sink.emit(event);
        decision
    }

    /// Reports a refusal as a `RateLimited` event: the first of each key,
    /// limit and second only (see [`RefusalEvents`]). `resolved` are the keys
    /// the decision was made for, in the decision's order.
    fn report(&self, decision: &Decision, ctx: &KeyContext<'_>, resolved: &[Resolved<'_>]) {
        let Some(at) = decision.limits().iter().position(|l| !l.allowed) else {
            return;
        };
        let denied = &decision.limits()[at];
        let key = resolved.get(at).map_or(SHARED_KEY, |r| &r.key);
        // The limiter's own time source: a refused flood reads no system clock
        // until an event is actually emitted.
        let secs = self.now_nanos() / NANOS_PER_SEC;
        if !self
            .inner
            .refusals
            .first_this_second(denied.name, key, secs)
        {
            return;
        }
        let now = self.inner.clock.now();
        let mut event = SecurityEvent::new(
            EventKind::RateLimited,
            TARGET,
            if denied.blocked {
                "key is serving a rate-limit penalty"
            } else {
                "rate limit exceeded"
            },
        )
        .at(now)
        .with_field("limit", denied.name)
        .with_field("quota", denied.quota.limit())
        .with_field("window_secs", denied.quota.period().as_secs())
        .with_field("retry_after_secs", ceil_secs(decision.retry_after()));
        if let Some(ext) = ctx.extensions() {
            event = event.with_request_context(ext);
        } else {
            if let Some(ip) = ctx.ip_addr() {
                event = event.with_field("client_ip", ip.to_string());
            }
            if let Some(s) = ctx.subject_str() {
                event = event.with_subject(s);
            }
            if let Some(t) = ctx.tenant_str() {
                event = event.with_tenant(t);
            }
        }
        self.inner.sink.emit(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counter_clock_follows_the_system_clock() {
        let before = unix_nanos(&SystemClock);
        let time = TimeSource::fast();
        let mut last = time.now_nanos();
        assert!(last >= before, "started before the system clock");
        for _ in 0..1_000 {
            let now = time.now_nanos();
            assert!(now >= last, "went backwards");
            last = now;
        }
        std::thread::sleep(Duration::from_millis(20));
        let elapsed = time.now_nanos() - last;
        assert!(elapsed >= 20_000_000, "{elapsed} ns for a 20 ms sleep");
        // Within a second of the system clock (it was anchored to it).
        assert!(time.now_nanos().abs_diff(unix_nanos(&SystemClock)) < 1_000_000_000);
    }
}
