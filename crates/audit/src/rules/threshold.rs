//! Thresholds: N events of a type per key within a sliding window.

use super::alert::{Alert, KeyBy};
use super::keyed::{Evidence, Keyed};
use super::matcher::Types;
use super::{DEFAULT_MAX_KEYS, Rule};
use crate::event::{AuditEvent, types};
use std::collections::VecDeque;
use std::time::Duration;

const MIN: Duration = Duration::from_secs(60);

/// Raises an alert when one key (a subject, an address) reaches `count`
/// matching events within `window`.
///
/// The window slides: an event counts for exactly `window` after it was
/// seen. Only the last `count` times are kept per key, so memory per key is
/// fixed. After an alert the key is muted for one window (one alert per key
/// per window, not one per event); events seen meanwhile still count, and
/// the next alert reports how many were folded in.
///
/// ```
/// use rampart_audit::rules::{KeyBy, Threshold};
/// use std::time::Duration;
///
/// let rule = Threshold::new("exports", ["data.export"], KeyBy::Subject, 3, Duration::from_secs(60))
///     .raises("security.alert.mass_export");
/// # drop(rule);
/// ```
pub struct Threshold {
    name: String,
    types: Types,
    key_by: KeyBy,
    count: u32,
    window: Duration,
    alert_type: String,
    unkeyed: Option<String>,
    max_keys: usize,
    state: Keyed<Track>,
}

impl std::fmt::Debug for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Threshold")
            .field("name", &self.name)
            .field("types", &self.types)
            .field("key_by", &self.key_by)
            .field("count", &self.count)
            .field("window", &self.window)
            .field("alert_type", &self.alert_type)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Track {
    times: VecDeque<u64>,
    muted_until: u64,
    suppressed: u64,
    window: u64,
}

impl Evidence for Track {
    fn idle(&self, now: u64) -> bool {
        self.muted_until <= now && self.times.back().is_none_or(|t| t + self.window <= now)
    }

    fn weight(&self, now: u64) -> u64 {
        if self.muted_until > now {
            u64::MAX
        } else {
            self.times.iter().filter(|t| *t + self.window > now).count() as u64
        }
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Threshold {
    /// A rule named `name` over events whose type matches one of `types`
    /// (exact, `prefix.*` or `*`), counted per `key_by`: `count` of them
    /// within `window` raise a `security.alert.threshold` (see
    /// [`raises`](Self::raises)). Events without the key are not counted
    /// (see [`count_unkeyed`](Self::count_unkeyed)).
    pub fn new<I, S>(
        name: impl Into<String>,
        types: I,
        key_by: KeyBy,
        count: u32,
        window: Duration,
    ) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            name: name.into(),
            types: Types::new(types),
            key_by,
            count,
            window,
            alert_type: "security.alert.threshold".into(),
            unkeyed: None,
            max_keys: DEFAULT_MAX_KEYS,
            state: Keyed::new(DEFAULT_MAX_KEYS),
        }
    }

    /// The alert type raised. Default `security.alert.threshold`.
    #[must_use]
    pub fn raises(mut self, alert_type: impl Into<String>) -> Self {
        self.alert_type = alert_type.into();
        self
    }

    /// Counts events that lack the key together, under `key` (default: they
    /// are not counted). For rules where any event matters, such as attacks
    /// from an address the layer could not resolve.
    #[must_use]
    pub fn count_unkeyed(mut self, key: impl Into<String>) -> Self {
        self.unkeyed = Some(key.into());
        self
    }

    /// Keys tracked at most (default 100,000); beyond, the keys with the
    /// least evidence are dropped.
    #[must_use]
    pub fn max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys;
        self.state = Keyed::new(max_keys);
        self
    }

    /// 5 failed sign-ins (`auth.login.failure`) of one subject within 15
    /// minutes: `security.alert.brute_force`. Named `failed_logins_per_subject`.
    pub fn failed_logins_per_subject() -> Self {
        Self::new(
            "failed_logins_per_subject",
            [types::AUTH_LOGIN_FAILURE],
            KeyBy::Subject,
            5,
            15 * MIN,
        )
        .raises(types::SECURITY_ALERT_BRUTE_FORCE)
    }

    /// 20 failed sign-ins from one client address within 15 minutes:
    /// `security.alert.brute_force`. Named `failed_logins_per_ip`.
    pub fn failed_logins_per_ip() -> Self {
        Self::new(
            "failed_logins_per_ip",
            [types::AUTH_LOGIN_FAILURE],
            KeyBy::ClientIp,
            20,
            15 * MIN,
        )
        .raises(types::SECURITY_ALERT_BRUTE_FORCE)
    }

    /// Any `input.attack_detected`: `security.alert.attack`, one per client
    /// address per 15 minutes (events without an address are counted
    /// together). Named `attack_detected`.
    pub fn attack_detected() -> Self {
        Self::new(
            "attack_detected",
            [types::INPUT_ATTACK_DETECTED],
            KeyBy::ClientIp,
            1,
            15 * MIN,
        )
        .raises(types::SECURITY_ALERT_ATTACK)
        .count_unkeyed("unknown")
    }

    /// 10 `ratelimit.limited` for one client address within 5 minutes:
    /// `security.alert.rate_limit_abuse`. Named `rate_limited_per_client`.
    /// rampart-ratelimit reports at most one refusal per key, limit and
    /// second, so this is ten seconds of refusals, not ten requests.
    pub fn rate_limited_per_client() -> Self {
        Self::new(
            "rate_limited_per_client",
            [types::RATELIMIT_LIMITED],
            KeyBy::ClientIp,
            10,
            5 * MIN,
        )
        .raises(types::SECURITY_ALERT_RATE_LIMIT_ABUSE)
    }

    /// 10 `authz.denied` for one subject within 15 minutes:
    /// `security.alert.repeated_denials`. Named `denials_per_subject`.
    pub fn denials_per_subject() -> Self {
        Self::new(
            "denials_per_subject",
            [types::AUTHZ_DENIED],
            KeyBy::Subject,
            10,
            15 * MIN,
        )
        .raises(types::SECURITY_ALERT_REPEATED_DENIALS)
    }
}

impl Rule for Threshold {
    fn name(&self) -> &str {
        &self.name
    }

    fn check(&self) -> Result<(), String> {
        self.types.check()?;
        if self.count == 0 || self.window.is_zero() || self.max_keys == 0 {
            return Err("count, window and max_keys must be above zero".into());
        }
        Ok(())
    }

    fn observe(&mut self, event: &AuditEvent, now: u64, alerts: &mut Vec<Alert>) {
        if !self.types.matches(&event.event_type) {
            return;
        }
        let keyed = self.key_by.of(event);
        let Some(key) = keyed.or(self.unkeyed.as_deref()) else {
            return;
        };
        let window = ms(self.window);
        let count = self.count as usize;
        let track = self.state.slot(key, now, || Track {
            window,
            ..Track::default()
        });
        while track.times.front().is_some_and(|t| t + window <= now) {
            track.times.pop_front();
        }
        track.times.push_back(now);
        if track.times.len() > count {
            track.times.pop_front();
        }
        if track.muted_until > now {
            track.suppressed += 1;
            return;
        }
        if track.times.len() < count {
            return;
        }
        let suppressed = std::mem::take(&mut track.suppressed);
        track.muted_until = now.saturating_add(window);
        track.times.clear();
        alerts.push(
            Alert::new(self.alert_type.clone(), self.name.clone(), now)
                .about(event, Some(self.key_by), keyed)
                .reason(format!(
                    "{count} `{}` events for one {} within {}s",
                    event.event_type,
                    self.key_by.name(),
                    self.window.as_secs()
                ))
                .counted(count as u64, count as u64, Some(self.window))
                .suppressed(suppressed),
        );
    }

    fn tracked_keys(&self) -> usize {
        self.state.len()
    }

    fn evicted_keys(&self) -> u64 {
        self.state.evicted()
    }
}
