//! A rate well above its rolling baseline (EWMA per event type).

use super::alert::Alert;
use super::keyed::{Evidence, Keyed};
use super::matcher::Types;
use super::{DEFAULT_MAX_KEYS, Rule};
use crate::event::{AuditEvent, types};
use std::time::Duration;

/// Raises `security.alert.rate_anomaly` when an event type arrives far above
/// its usual rate.
///
/// Time is cut into buckets (default one minute). When a bucket closes, its
/// count updates the type's exponentially weighted moving average
/// (`baseline = α·count + (1−α)·baseline`, α default 0.1; empty buckets
/// decay it). Within the current bucket, the alert fires on the event that
/// brings the count to `max(⌈factor × baseline⌉, minimum)` (defaults 5× and
/// 50), at most once per bucket, and only once `warmup` buckets (default 10)
/// have built a baseline, so a fresh process does not alert on its first
/// busy minute. Counting per type keeps one small state per type seen.
///
/// ```
/// use rampart_audit::rules::RateBaseline;
/// use std::time::Duration;
///
/// let rule = RateBaseline::new("login_failure_surge", ["auth.login.failure"])
///     .factor(4.0)
///     .minimum(30)
///     .bucket(Duration::from_secs(60));
/// # drop(rule);
/// ```
pub struct RateBaseline {
    name: String,
    types: Types,
    bucket: Duration,
    alpha: f64,
    factor: f64,
    minimum: u64,
    warmup: u32,
    alert_type: String,
    max_keys: usize,
    state: Keyed<Ewma>,
}

impl std::fmt::Debug for RateBaseline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateBaseline")
            .field("name", &self.name)
            .field("types", &self.types)
            .field("bucket", &self.bucket)
            .field("alpha", &self.alpha)
            .field("factor", &self.factor)
            .field("minimum", &self.minimum)
            .field("warmup", &self.warmup)
            .finish_non_exhaustive()
    }
}

struct Ewma {
    start: u64,
    count: u64,
    baseline: f64,
    closed: u32,
    alerted: bool,
}

impl Evidence for Ewma {
    // A type's baseline is the evidence; it is never idle, and the cap
    // (default 100,000 types) only matters if types come from user input.
    fn idle(&self, _now: u64) -> bool {
        false
    }

    fn weight(&self, _now: u64) -> u64 {
        u64::from(self.closed)
    }
}

impl RateBaseline {
    /// A rule named `name` over the event types matching `types` (exact,
    /// `prefix.*` or `*`), each type with its own baseline.
    pub fn new<I, S>(name: impl Into<String>, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            name: name.into(),
            types: Types::new(types),
            bucket: Duration::from_secs(60),
            alpha: 0.1,
            factor: 5.0,
            minimum: 50,
            warmup: 10,
            alert_type: types::SECURITY_ALERT_RATE_ANOMALY.into(),
            max_keys: DEFAULT_MAX_KEYS,
            state: Keyed::new(DEFAULT_MAX_KEYS),
        }
    }

    /// The bucket length (default 1 minute).
    #[must_use]
    pub fn bucket(mut self, bucket: Duration) -> Self {
        self.bucket = bucket;
        self
    }

    /// The EWMA weight of the newest bucket, in (0, 1] (default 0.1).
    #[must_use]
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// How many times the baseline a bucket must reach (default 5.0, at least 1).
    #[must_use]
    pub fn factor(mut self, factor: f64) -> Self {
        self.factor = factor;
        self
    }

    /// The least count that alerts, however low the baseline (default 50).
    #[must_use]
    pub fn minimum(mut self, minimum: u64) -> Self {
        self.minimum = minimum;
        self
    }

    /// Closed buckets needed before alerting (default 10).
    #[must_use]
    pub fn warmup(mut self, buckets: u32) -> Self {
        self.warmup = buckets;
        self
    }

    /// The alert type raised (default `security.alert.rate_anomaly`).
    #[must_use]
    pub fn raises(mut self, alert_type: impl Into<String>) -> Self {
        self.alert_type = alert_type.into();
        self
    }

    /// Event types tracked at most (default 100,000).
    #[must_use]
    pub fn max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys;
        self.state = Keyed::new(max_keys);
        self
    }

    fn threshold(&self, baseline: f64) -> u64 {
        // A hair below the product so float noise in a steady baseline
        // (9.999… for 10) does not move the threshold by one.
        let scaled = (self.factor * baseline - 1e-9).ceil().max(0.0);
        (scaled as u64).max(self.minimum)
    }
}

impl Rule for RateBaseline {
    fn name(&self) -> &str {
        &self.name
    }

    fn check(&self) -> Result<(), String> {
        self.types.check()?;
        if !(self.alpha > 0.0 && self.alpha <= 1.0) {
            return Err("alpha must be in (0, 1]".into());
        }
        if !(self.factor.is_finite() && self.factor >= 1.0) {
            return Err("factor must be a finite number of at least 1".into());
        }
        if self.bucket.as_millis() == 0 || self.minimum == 0 || self.max_keys == 0 {
            return Err("bucket, minimum and max_keys must be above zero".into());
        }
        Ok(())
    }

    fn observe(&mut self, event: &AuditEvent, now: u64, alerts: &mut Vec<Alert>) {
        if !self.types.matches(&event.event_type) {
            return;
        }
        let bucket = u64::try_from(self.bucket.as_millis()).unwrap_or(u64::MAX);
        let alpha = self.alpha;
        let state = self.state.slot(&event.event_type, now, || Ewma {
            start: now - now % bucket,
            count: 0,
            baseline: 0.0,
            closed: 0,
            alerted: false,
        });
        if now >= state.start.saturating_add(bucket) {
            let passed = (now - state.start) / bucket;
            let count = state.count as f64;
            state.baseline = if state.closed == 0 {
                count
            } else {
                alpha * count + (1.0 - alpha) * state.baseline
            };
            // The buckets after it were empty: each decays the baseline.
            let empty = i32::try_from(passed - 1).unwrap_or(i32::MAX);
            state.baseline *= (1.0 - alpha).powi(empty);
            state.closed = state
                .closed
                .saturating_add(u32::try_from(passed).unwrap_or(u32::MAX));
            state.start += passed * bucket;
            state.count = 0;
            state.alerted = false;
        }
        state.count += 1;
        if state.alerted || state.closed < self.warmup {
            return;
        }
        let (count, baseline) = (state.count, state.baseline);
        let threshold = self.threshold(baseline);
        if count < threshold {
            return;
        }
        if let Some(state) = self.state.get_mut(&event.event_type) {
            state.alerted = true;
        }
        let mut alert = Alert::new(self.alert_type.clone(), self.name.clone(), now)
            .reason(format!(
                "{count} `{}` events in {}s against a baseline of {baseline:.1}",
                event.event_type,
                self.bucket.as_secs()
            ))
            .counted(count, threshold, Some(self.bucket));
        alert.request_id.clone_from(&event.request_id);
        alerts.push(alert);
    }

    fn tracked_keys(&self) -> usize {
        self.state.len()
    }

    fn evicted_keys(&self) -> u64 {
        self.state.evicted()
    }
}
