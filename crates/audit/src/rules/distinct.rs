//! Counts of distinct values per key: scanning, tenant hopping, exfiltration.

use super::alert::{Alert, KeyBy};
use super::keyed::{Evidence, Keyed};
use super::matcher::Types;
use super::{DEFAULT_MAX_KEYS, Rule};
use crate::event::{AuditEvent, types};
use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Duration;

/// The value whose distinct count is watched.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValueOf {
    /// The endpoint: HTTP method and route template (or path).
    Endpoint,
    /// The actor's tenant.
    Tenant,
    /// The target resource, kind and id.
    Record,
    /// A metadata entry, by name.
    Metadata(String),
}

impl ValueOf {
    fn hash_of(&self, event: &AuditEvent, hasher: &RandomState) -> Option<u64> {
        match self {
            ValueOf::Endpoint => {
                let http = event.http.as_ref()?;
                Some(hasher.hash_one((&http.method, &http.route)))
            }
            ValueOf::Tenant => Some(hasher.hash_one(KeyBy::Tenant.of(event)?)),
            ValueOf::Record => {
                let target = event.target.as_ref()?;
                let id = target.id.as_deref()?;
                Some(hasher.hash_one((target.kind.as_deref(), id)))
            }
            ValueOf::Metadata(name) => {
                let value = event.metadata.get(name)?;
                Some(hasher.hash_one(value.to_string()))
            }
        }
    }
}

/// Raises an alert when one key (a subject, by default) touches `limit`
/// distinct values within `window`: many endpoints (scanning), many tenants
/// (probing across tenants), many records (exfiltration).
///
/// Values are kept as 64-bit keyed hashes with the time each was last seen,
/// at most `limit` of them per key, so neither memory nor the trail holds
/// the values themselves. A value counts for `window` after it was last
/// seen. After an alert the key is muted for one window.
///
/// ```
/// use rampart_audit::rules::{DistinctValues, KeyBy};
///
/// // Scanners are often anonymous: count endpoints per address instead.
/// let rule = DistinctValues::endpoints_per_subject().per(KeyBy::ClientIp).limit(40);
/// # drop(rule);
/// ```
pub struct DistinctValues {
    name: String,
    types: Types,
    key_by: KeyBy,
    value: ValueOf,
    limit: u32,
    window: Duration,
    alert_type: String,
    max_keys: usize,
    hasher: RandomState,
    state: Keyed<Seen>,
}

impl std::fmt::Debug for DistinctValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DistinctValues")
            .field("name", &self.name)
            .field("types", &self.types)
            .field("key_by", &self.key_by)
            .field("value", &self.value)
            .field("limit", &self.limit)
            .field("window", &self.window)
            .field("alert_type", &self.alert_type)
            .finish_non_exhaustive()
    }
}

struct Seen {
    values: HashMap<u64, u64>,
    muted_until: u64,
    suppressed: u64,
    window: u64,
}

impl Seen {
    fn prune(&mut self, now: u64) {
        let window = self.window;
        self.values.retain(|_, t| *t + window > now);
    }
}

impl Evidence for Seen {
    fn idle(&self, now: u64) -> bool {
        self.muted_until <= now && self.values.values().all(|t| t + self.window <= now)
    }

    fn weight(&self, now: u64) -> u64 {
        if self.muted_until > now {
            u64::MAX
        } else {
            self.values
                .values()
                .filter(|t| *t + self.window > now)
                .count() as u64
        }
    }
}

impl DistinctValues {
    /// A rule named `name` over events matching `types`: `limit` distinct
    /// `value`s for one `key_by` within `window` raise `alert_type`.
    pub fn new<I, S>(
        name: impl Into<String>,
        types: I,
        value: ValueOf,
        limit: u32,
        window: Duration,
        alert_type: impl Into<String>,
    ) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            name: name.into(),
            types: Types::new(types),
            key_by: KeyBy::Subject,
            value,
            limit,
            window,
            alert_type: alert_type.into(),
            max_keys: DEFAULT_MAX_KEYS,
            hasher: RandomState::new(),
            state: Keyed::new(DEFAULT_MAX_KEYS),
        }
    }

    /// 30 distinct endpoints (method and route) for one subject within 5
    /// minutes: `security.alert.scanning`. Named `endpoints_per_subject`.
    pub fn endpoints_per_subject() -> Self {
        Self::new(
            "endpoints_per_subject",
            ["*"],
            ValueOf::Endpoint,
            30,
            Duration::from_secs(300),
            types::SECURITY_ALERT_SCANNING,
        )
    }

    /// 3 distinct tenants for one subject within 15 minutes:
    /// `security.alert.cross_tenant`. Named `tenants_per_subject`.
    pub fn tenants_per_subject() -> Self {
        Self::new(
            "tenants_per_subject",
            ["*"],
            ValueOf::Tenant,
            3,
            Duration::from_secs(900),
            types::SECURITY_ALERT_CROSS_TENANT,
        )
    }

    /// 500 distinct records read (`data.read`) by one subject within 15
    /// minutes: `security.alert.exfiltration`. Named `records_per_subject`.
    pub fn records_per_subject() -> Self {
        Self::new(
            "records_per_subject",
            [types::DATA_READ],
            ValueOf::Record,
            500,
            Duration::from_secs(900),
            types::SECURITY_ALERT_EXFILTRATION,
        )
    }

    /// Counts per `key_by` instead of per subject.
    #[must_use]
    pub fn per(mut self, key_by: KeyBy) -> Self {
        self.key_by = key_by;
        self
    }

    /// The number of distinct values that alerts.
    #[must_use]
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// The window a value counts for after it was last seen.
    #[must_use]
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Keys tracked at most (default 100,000).
    #[must_use]
    pub fn max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys;
        self.state = Keyed::new(max_keys);
        self
    }
}

impl Rule for DistinctValues {
    fn name(&self) -> &str {
        &self.name
    }

    fn check(&self) -> Result<(), String> {
        self.types.check()?;
        if self.limit == 0 || self.window.is_zero() || self.max_keys == 0 {
            return Err("limit, window and max_keys must be above zero".into());
        }
        Ok(())
    }

    fn observe(&mut self, event: &AuditEvent, now: u64, alerts: &mut Vec<Alert>) {
        if !self.types.matches(&event.event_type) {
            return;
        }
        let (Some(key), Some(value)) = (
            self.key_by.of(event),
            self.value.hash_of(event, &self.hasher),
        ) else {
            return;
        };
        let window = u64::try_from(self.window.as_millis()).unwrap_or(u64::MAX);
        let limit = self.limit as usize;
        let seen = self.state.slot(key, now, || Seen {
            values: HashMap::new(),
            muted_until: 0,
            suppressed: 0,
            window,
        });
        if let Some(t) = seen.values.get_mut(&value) {
            *t = now;
            return;
        }
        if seen.values.len() + 1 >= limit {
            seen.prune(now);
        }
        if seen.values.len() >= limit {
            // Only while muted: keep the newest `limit - 1` values.
            if let Some(oldest) = seen.values.iter().min_by_key(|(_, t)| **t).map(|(v, _)| *v) {
                seen.values.remove(&oldest);
            }
        }
        seen.values.insert(value, now);
        if seen.muted_until > now {
            seen.suppressed += 1;
            return;
        }
        if seen.values.len() < limit {
            return;
        }
        let suppressed = std::mem::take(&mut seen.suppressed);
        seen.muted_until = now.saturating_add(window);
        seen.values.clear();
        alerts.push(
            Alert::new(self.alert_type.clone(), self.name.clone(), now)
                .about(event, Some(self.key_by), Some(key))
                .reason(format!(
                    "{limit} distinct {} values for one {} within {}s",
                    match &self.value {
                        ValueOf::Endpoint => "endpoint",
                        ValueOf::Tenant => "tenant",
                        ValueOf::Record => "record",
                        ValueOf::Metadata(name) => name.as_str(),
                    },
                    self.key_by.name(),
                    self.window.as_secs()
                ))
                .counted(limit as u64, limit as u64, Some(self.window))
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
