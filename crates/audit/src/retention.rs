//! Retention by event category: how long each kind of record must be kept,
//! and what a closed log file holds, so that whole files can be pruned once
//! everything in them has outlived its period.

use crate::event::types;
use serde::{Deserialize, Serialize};

const DAY_MS: u64 = 86_400_000;

/// The retention class of an event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Category {
    /// Authentication, authorization, refusals, attacks, privilege and
    /// configuration changes, and the trail's own integrity events. Also any
    /// type this crate does not know: an unknown record is kept the longest.
    Security,
    /// Who read or changed which data (`data.*`, the layer's request records).
    Access,
    /// Operational events: store failures, the writer starting.
    System,
}

impl Category {
    /// The category of `event_type`, by its first segment.
    pub fn of(event_type: &str) -> Category {
        if event_type == types::AUDIT_STARTED || event_type.starts_with("system.") {
            Category::System
        } else if event_type.starts_with("data.") {
            Category::Access
        } else {
            Category::Security
        }
    }

    /// Every category, in a fixed order.
    pub const ALL: [Category; 3] = [Category::Security, Category::Access, Category::System];

    fn index(self) -> usize {
        match self {
            Category::Security => 0,
            Category::Access => 1,
            Category::System => 2,
        }
    }
}

/// How long records are kept, per [`Category`]: the `[audit.retention]`
/// section. Periods are whole days; 0 keeps that category forever.
///
/// The defaults are the seeds' (security 7 years, access 3 years, system 1
/// year), counted generously: a year is 365 days plus every leap day it can
/// hold, so a period never ends before the calendar anniversary.
///
/// ```
/// use rampart_audit::{Category, Retention};
///
/// let retention: Retention = toml::from_str("access_days = 400").unwrap();
/// assert_eq!(retention.days(Category::Access), 400);
/// assert_eq!(retention.days(Category::Security), 2557); // 7 years
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Retention {
    /// Days to keep security events. Default 2,557 (7 years).
    pub security_days: u64,
    /// Days to keep access events. Default 1,096 (3 years).
    pub access_days: u64,
    /// Days to keep system events. Default 366 (1 year).
    pub system_days: u64,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            security_days: 7 * 365 + 2,
            access_days: 3 * 365 + 1,
            system_days: 366,
        }
    }
}

impl Retention {
    /// Keeps every category forever: nothing is ever pruned.
    pub fn keep_forever() -> Self {
        Self {
            security_days: 0,
            access_days: 0,
            system_days: 0,
        }
    }

    /// Sets the days `category` is kept (0: forever).
    #[must_use]
    pub fn with_days(mut self, category: Category, days: u64) -> Self {
        match category {
            Category::Security => self.security_days = days,
            Category::Access => self.access_days = days,
            Category::System => self.system_days = days,
        }
        self
    }

    /// The days `category` is kept (0: forever).
    pub fn days(&self, category: Category) -> u64 {
        match category {
            Category::Security => self.security_days,
            Category::Access => self.access_days,
            Category::System => self.system_days,
        }
    }

    /// Whether a record of `category` made at `time_ms` may go at `now_ms`.
    pub fn expired(&self, category: Category, time_ms: u64, now_ms: u64) -> bool {
        match self.days(category) {
            0 => false,
            days => now_ms.saturating_sub(time_ms) > days.saturating_mul(DAY_MS),
        }
    }
}

/// What a log file holds, as far as retention cares: the newest record time
/// per category and the span of sequence numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Summary {
    /// Newest record time (ms since the epoch) per category, `Category::ALL` order.
    pub newest_ms: [Option<u64>; 3],
    /// The first and last record sequence numbers, if the file holds a record.
    pub seqs: Option<(u64, u64)>,
}

impl Summary {
    /// Takes one record into account.
    pub fn add(&mut self, category: Category, time_ms: u64, seq: u64) {
        let slot = &mut self.newest_ms[category.index()];
        *slot = Some(slot.map_or(time_ms, |t| t.max(time_ms)));
        self.seqs = Some(match self.seqs {
            None => (seq, seq),
            Some((first, last)) => (first.min(seq), last.max(seq)),
        });
    }

    /// Whether every record summarised is past its category's retention.
    pub fn expired(&self, retention: &Retention, now_ms: u64) -> bool {
        Category::ALL
            .iter()
            .all(|&c| self.newest_ms[c.index()].is_none_or(|t| retention.expired(c, t, now_ms)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YEAR: u64 = 365 * DAY_MS;

    #[test]
    fn types_map_to_categories_and_unknown_types_are_kept_longest() {
        assert_eq!(Category::of(types::AUTH_LOGIN_FAILURE), Category::Security);
        assert_eq!(Category::of(types::ADMIN_ROLE_GRANTED), Category::Security);
        assert_eq!(Category::of(types::AUDIT_GAP), Category::Security);
        assert_eq!(
            Category::of(types::AUDIT_RETENTION_PRUNED),
            Category::Security
        );
        assert_eq!(Category::of(types::DATA_READ), Category::Access);
        assert_eq!(Category::of(types::DATA_DELETE), Category::Access);
        assert_eq!(Category::of(types::SYSTEM_STORE_FAILURE), Category::System);
        assert_eq!(Category::of(types::AUDIT_STARTED), Category::System);
        assert_eq!(Category::of("billing.invoice.paid"), Category::Security);
        assert_eq!(Category::of(""), Category::Security);
    }

    #[test]
    fn a_period_ends_after_its_last_day_not_before() {
        let r = Retention::default();
        let t = 10 * YEAR;
        assert!(!r.expired(Category::Security, t, t + 7 * YEAR));
        assert!(!r.expired(Category::Security, t, t + 2557 * DAY_MS));
        assert!(r.expired(Category::Security, t, t + 2557 * DAY_MS + 1));
        assert!(r.expired(Category::System, t, t + 367 * DAY_MS));
        assert!(!r.expired(Category::Access, t, t + 3 * YEAR));
        // A clock behind the record never expires it.
        assert!(!r.expired(Category::System, t, 0));
        assert!(!Retention::keep_forever().expired(Category::System, 0, u64::MAX));
    }

    #[test]
    fn a_summary_expires_only_when_every_category_has() {
        let r = Retention::default();
        let mut s = Summary::default();
        assert!(s.expired(&r, 0), "an empty file holds nothing to keep");
        s.add(Category::System, 0, 5);
        s.add(Category::Security, YEAR, 6);
        s.add(Category::System, 2, 7);
        assert_eq!(s.seqs, Some((5, 7)));
        assert!(!s.expired(&r, 2 * YEAR));
        assert!(!s.expired(&r, 7 * YEAR));
        assert!(s.expired(&r, 9 * YEAR));
    }

    #[test]
    fn config_rejects_unknown_and_negative_values() {
        assert!(toml::from_str::<Retention>("security = 1").is_err());
        assert!(toml::from_str::<Retention>("security_days = -1").is_err());
        assert!(toml::from_str::<Retention>("security_days = \"7y\"").is_err());
        let r: Retention = toml::from_str("system_days = 0").unwrap();
        assert_eq!(r.days(Category::System), 0);
    }
}
