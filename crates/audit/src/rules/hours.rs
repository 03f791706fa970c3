//! Activity outside configured hours, globally or per tenant.

use super::alert::{Alert, KeyBy};
use super::keyed::{Evidence, Keyed};
use super::{DEFAULT_MAX_KEYS, Rule};
use crate::event::{AuditEvent, types};
use std::collections::HashMap;
use std::time::Duration;

/// Working hours in a fixed UTC offset: `[start, end)` in local time,
/// wrapping past midnight when `start > end` (a night shift, 22 to 6).
///
/// ```
/// use rampart_audit::rules::Hours;
///
/// let berlin_winter = Hours::new(8, 18).utc_offset_minutes(60).weekdays_only();
/// let night_shift = Hours::new(22, 6);
/// # drop((berlin_winter, night_shift));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hours {
    start: u8,
    end: u8,
    offset_minutes: i32,
    weekdays_only: bool,
}

impl Hours {
    /// From hour `start` (inclusive) to hour `end` (exclusive), 0 to 24, in UTC.
    pub fn new(start: u8, end: u8) -> Self {
        Self {
            start,
            end,
            offset_minutes: 0,
            weekdays_only: false,
        }
    }

    /// The local time's offset from UTC in minutes, −14 h to +14 h (default 0).
    #[must_use]
    pub fn utc_offset_minutes(mut self, minutes: i32) -> Self {
        self.offset_minutes = minutes;
        self
    }

    /// Saturday and Sunday (local time) are outside hours.
    #[must_use]
    pub fn weekdays_only(mut self) -> Self {
        self.weekdays_only = true;
        self
    }

    fn check(&self) -> Result<(), String> {
        if self.start > 24 || self.end > 24 || self.start == self.end {
            return Err(format!(
                "hours {}..{} must be two different hours from 0 to 24",
                self.start, self.end
            ));
        }
        if self.offset_minutes.abs() > 14 * 60 {
            return Err(format!(
                "UTC offset of {} minutes is beyond ±14 h",
                self.offset_minutes
            ));
        }
        Ok(())
    }

    /// Whether `at_ms` (since the epoch) falls within these hours.
    pub fn contains(&self, at_ms: u64) -> bool {
        let local_min =
            i64::try_from(at_ms / 60_000).unwrap_or(i64::MAX) + i64::from(self.offset_minutes);
        let day = local_min.div_euclid(24 * 60);
        let minute = local_min.rem_euclid(24 * 60);
        // 1970-01-01 was a Thursday: day 0 is weekday 4 (Sunday 0).
        let weekday = (day + 4).rem_euclid(7);
        if self.weekdays_only && (weekday == 0 || weekday == 6) {
            return false;
        }
        let (start, end) = (i64::from(self.start) * 60, i64::from(self.end) * 60);
        if start < end {
            (start..end).contains(&minute)
        } else {
            minute >= start || minute < end
        }
    }
}

/// Raises `security.alert.off_hours` when a subject acts outside the hours
/// of their tenant (or the global hours, for tenants without their own).
///
/// Every event with a subject counts as activity by default; narrow it with
/// [`only`](Self::only). One alert per subject per hour (see
/// [`dedup`](Self::dedup)). Events of tenants without hours are ignored
/// when there are no global hours.
///
/// ```
/// use rampart_audit::rules::{Hours, OffHours};
///
/// let rule = OffHours::new(Some(Hours::new(7, 19)))
///     .tenant("acme-tokyo", Hours::new(8, 18).utc_offset_minutes(9 * 60))
///     .only(["auth.login.success", "data.*", "admin.*"]);
/// # drop(rule);
/// ```
pub struct OffHours {
    global: Option<Hours>,
    tenants: HashMap<String, Hours>,
    types: Option<super::matcher::Types>,
    dedup: Duration,
    max_keys: usize,
    state: Keyed<Muted>,
}

impl std::fmt::Debug for OffHours {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OffHours")
            .field("global", &self.global)
            .field("tenants", &self.tenants)
            .field("dedup", &self.dedup)
            .finish_non_exhaustive()
    }
}

struct Muted {
    until: u64,
    suppressed: u64,
}

impl Evidence for Muted {
    fn idle(&self, now: u64) -> bool {
        self.until <= now
    }

    fn weight(&self, _now: u64) -> u64 {
        self.until
    }
}

impl OffHours {
    /// Hours for every tenant, or `None` for tenants listed with
    /// [`tenant`](Self::tenant) only. Named `off_hours`.
    pub fn new(global: Option<Hours>) -> Self {
        Self {
            global,
            tenants: HashMap::new(),
            types: None,
            dedup: Duration::from_secs(3600),
            max_keys: DEFAULT_MAX_KEYS,
            state: Keyed::new(DEFAULT_MAX_KEYS),
        }
    }

    /// Hours for one tenant, in place of the global ones.
    #[must_use]
    pub fn tenant(mut self, tenant: impl Into<String>, hours: Hours) -> Self {
        self.tenants.insert(tenant.into(), hours);
        self
    }

    /// Only events of these types (exact, `prefix.*` or `*`) count as activity.
    #[must_use]
    pub fn only<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.types = Some(super::matcher::Types::new(types));
        self
    }

    /// At most one alert per subject per `every` (default 1 hour).
    #[must_use]
    pub fn dedup(mut self, every: Duration) -> Self {
        self.dedup = every;
        self
    }

    /// Subjects tracked for de-duplication at most (default 100,000).
    #[must_use]
    pub fn max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys;
        self.state = Keyed::new(max_keys);
        self
    }
}

impl Rule for OffHours {
    fn name(&self) -> &str {
        "off_hours"
    }

    fn check(&self) -> Result<(), String> {
        if self.global.is_none() && self.tenants.is_empty() {
            return Err("no hours configured, globally or for a tenant".into());
        }
        if let Some(types) = &self.types {
            types.check()?;
        }
        for hours in self.global.iter().chain(self.tenants.values()) {
            hours.check()?;
        }
        if self.dedup.is_zero() || self.max_keys == 0 {
            return Err("dedup and max_keys must be above zero".into());
        }
        Ok(())
    }

    fn observe(&mut self, event: &AuditEvent, now: u64, alerts: &mut Vec<Alert>) {
        if self
            .types
            .as_ref()
            .is_some_and(|t| !t.matches(&event.event_type))
        {
            return;
        }
        let Some(subject) = KeyBy::Subject.of(event) else {
            return;
        };
        let tenant = KeyBy::Tenant.of(event);
        let Some(hours) = tenant
            .and_then(|t| self.tenants.get(t))
            .or(self.global.as_ref())
        else {
            return;
        };
        if hours.contains(now) {
            return;
        }
        let dedup = u64::try_from(self.dedup.as_millis()).unwrap_or(u64::MAX);
        let muted = self.state.slot(subject, now, || Muted {
            until: 0,
            suppressed: 0,
        });
        if muted.until > now {
            muted.suppressed += 1;
            return;
        }
        muted.until = now.saturating_add(dedup);
        let suppressed = std::mem::take(&mut muted.suppressed);
        alerts.push(
            Alert::new(types::SECURITY_ALERT_OFF_HOURS, "off_hours", now)
                .about(event, Some(KeyBy::Subject), Some(subject))
                .reason(format!(
                    "`{}` outside working hours ({:02}:00–{:02}:00, UTC{:+}min{})",
                    event.event_type,
                    hours.start,
                    hours.end,
                    hours.offset_minutes,
                    if hours.weekdays_only {
                        ", weekdays"
                    } else {
                        ""
                    }
                ))
                .counted(1, 1, Some(self.dedup))
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

#[cfg(test)]
mod tests {
    use super::*;

    const MON_2024_01_01: u64 = 1_704_067_200_000;
    const H: u64 = 3_600_000;

    #[test]
    fn hours_wrap_midnight_honour_offsets_and_weekends() {
        let day = Hours::new(8, 18);
        assert!(!day.contains(MON_2024_01_01 + 7 * H + 59 * 60_000));
        assert!(day.contains(MON_2024_01_01 + 8 * H));
        assert!(day.contains(MON_2024_01_01 + 17 * H + 59 * 60_000));
        assert!(!day.contains(MON_2024_01_01 + 18 * H));
        let night = Hours::new(22, 6);
        assert!(night.contains(MON_2024_01_01 + 23 * H));
        assert!(night.contains(MON_2024_01_01 + 5 * H));
        assert!(!night.contains(MON_2024_01_01 + 6 * H));
        // 03:30 UTC is 09:00 in India (+5:30).
        let india = Hours::new(9, 18).utc_offset_minutes(330);
        assert!(india.contains(MON_2024_01_01 + 3 * H + 30 * 60_000));
        assert!(!india.contains(MON_2024_01_01 + 3 * H + 29 * 60_000));
        // Monday 02:00 UTC is Sunday 21:00 in New York (−5).
        let ny = Hours::new(0, 24).utc_offset_minutes(-300).weekdays_only();
        assert!(!ny.contains(MON_2024_01_01 + 2 * H));
        assert!(ny.contains(MON_2024_01_01 + 6 * H));
        assert!(Hours::new(9, 9).check().is_err());
        assert!(Hours::new(9, 25).check().is_err());
        assert!(
            Hours::new(9, 17)
                .utc_offset_minutes(15 * 60)
                .check()
                .is_err()
        );
    }
}
