//! One limit of a policy: a name, a quota, an algorithm and a key.

use crate::algorithm::Algorithm;
use crate::key::Key;
use crate::quota::Quota;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// Gives the quota of one key (a tenant's plan, an API key's tier), so a
/// limit is not one number for everyone.
///
/// It is called on every check, so it reads from memory: an application whose
/// plans live in a database keeps them in a cache it refreshes. `None` means
/// the limit's own quota applies.
///
/// ```
/// use rampart_ratelimit::{Key, Limit, Quota, QuotaSource};
/// use std::collections::HashMap;
///
/// let plans: HashMap<String, Quota> =
///     [("acme".to_owned(), Quota::per_minute(5_000))].into_iter().collect();
/// let tenant = Limit::new("tenant", Quota::per_minute(1_000))
///     .key(Key::tenant())
///     .quotas_from(plans);
/// let by_closure = |tenant: &str| tenant.starts_with("free-").then(|| Quota::per_minute(60));
/// let free = Limit::new("free", Quota::per_minute(1_000)).key(Key::tenant()).quotas_from(by_closure);
/// ```
pub trait QuotaSource: Send + Sync + 'static {
    /// The quota of `key`, or `None` for the limit's default.
    fn quota(&self, key: &str) -> Option<Quota>;
}

impl<F> QuotaSource for F
where
    F: Fn(&str) -> Option<Quota> + Send + Sync + 'static,
{
    fn quota(&self, key: &str) -> Option<Quota> {
        self(key)
    }
}

impl QuotaSource for HashMap<String, Quota> {
    fn quota(&self, key: &str) -> Option<Quota> {
        self.get(key).copied()
    }
}

/// What a limit does with a request whose key cannot be derived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MissingKey {
    /// The limit does not apply (an anonymous request under a per-user limit).
    Skip,
    /// Every such request shares one key.
    Shared,
}

/// One limit: `name` (in headers, events and store keys), a [`Quota`], an
/// [`Algorithm`] (GCRA by default) and a [`Key`] (the client IP by default).
///
/// ```
/// use rampart_ratelimit::{Algorithm, Key, Limit, Quota};
/// use std::time::Duration;
///
/// let login = Limit::new("login", Quota::new(5, Duration::from_secs(300)))
///     .key(Key::subject().and(Key::fixed("login")))
///     .algorithm(Algorithm::SlidingLog);
/// ```
#[derive(Clone)]
#[must_use]
pub struct Limit {
    pub(crate) name: &'static str,
    pub(crate) quota: Quota,
    pub(crate) algorithm: Algorithm,
    pub(crate) key: Key,
    pub(crate) source: Option<Arc<dyn QuotaSource>>,
    pub(crate) missing: Option<MissingKey>,
}

impl fmt::Debug for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limit")
            .field("name", &self.name)
            .field("quota", &self.quota)
            .field("algorithm", &self.algorithm)
            .field("key", &self.key)
            .field("per_key_quotas", &self.source.is_some())
            .finish()
    }
}

impl Limit {
    /// A limit named `name` admitting `quota` per client IP with GCRA.
    ///
    /// Names are interned: each distinct name is kept once for the life of
    /// the process, so build names from configuration, not from requests.
    pub fn new(name: impl AsRef<str>, quota: Quota) -> Self {
        Self {
            name: crate::name::intern(name.as_ref()),
            quota,
            algorithm: Algorithm::Gcra,
            key: Key::client_ip(),
            source: None,
            missing: None,
        }
    }

    /// What the limit counts by (default: [`Key::client_ip`]).
    pub fn key(mut self, key: Key) -> Self {
        self.key = key;
        self
    }

    /// The algorithm (default: [`Algorithm::Gcra`]).
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Takes each key's quota from `source`, falling back to this limit's own.
    pub fn quotas_from(mut self, source: impl QuotaSource) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// What to do when the key is missing (default: [`MissingKey::Shared`] for
    /// [`Key::client_ip`], [`MissingKey::Skip`] otherwise).
    pub fn when_key_missing(mut self, missing: MissingKey) -> Self {
        self.missing = Some(missing);
        self
    }

    /// The name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The default quota.
    pub fn quota(&self) -> Quota {
        self.quota
    }

    pub(crate) fn on_missing(&self) -> MissingKey {
        self.missing.unwrap_or(if self.key.is_client_ip() {
            MissingKey::Shared
        } else {
            MissingKey::Skip
        })
    }
}
