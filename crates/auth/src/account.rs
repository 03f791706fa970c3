//! "Is this account still allowed in?", asked per request and cached briefly.
//!
//! A disabled account must lose access at once, not when its access token or
//! session times out. [`AccountStatusCheck`] asks the application's
//! [`AccountStatus`] on every request, in [`JwtAuthLayer`](crate::JwtAuthLayer)
//! and (feature `session`) in the session layer.

use crate::error::StoreError;
use crate::revocation::{FailMode, StoreFuture};
use rampart_core::{SharedClock, SystemClock};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// The application's answer to "may `subject` still use the service?":
/// `false` for a disabled, locked or deleted account.
///
/// Implemented for closures `Fn(&str) -> impl Future<Output = Result<bool, StoreError>>`.
pub trait AccountStatus: Send + Sync + 'static {
    /// Whether `subject`'s account is active.
    fn is_active<'a>(&'a self, subject: &'a str) -> StoreFuture<'a, bool>;
}

impl<F, Fut> AccountStatus for F
where
    F: Fn(&str) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<bool, StoreError>> + Send + 'static,
{
    fn is_active<'a>(&'a self, subject: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(self(subject))
    }
}

/// What a status check decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccountDecision {
    /// Let the request through.
    Active,
    /// The account is disabled: refuse, and end its session.
    Inactive,
    /// The status could not be asked and the check fails closed: answer `503`.
    Unavailable,
}

/// Largest number of subjects remembered before the cache starts over.
const MAX_CACHED: usize = 10_000;

struct Inner {
    status: Arc<dyn AccountStatus>,
    ttl: u64,
    clock: SharedClock,
    fail: FailMode,
    cache: Mutex<HashMap<String, (bool, u64)>>,
}

/// An [`AccountStatus`] asked per request by the JWT and session layers
/// ([`JwtAuthLayer::account_status`](crate::JwtAuthLayer::account_status)), its
/// answers remembered for a few seconds (default 5 s, by the
/// [`Clock`](rampart_core::Clock)) so a busy user costs one lookup per TTL.
/// A disabled account is therefore refused within the TTL everywhere, and
/// at once on the instance that calls [`forget`](Self::forget).
///
/// A failing lookup fails closed (`503`) unless
/// [`insecure_fail_open`](Self::insecure_fail_open). Cheap to clone.
///
/// ```
/// use rampart::auth::{AccountDecision, AccountStatusCheck};
/// use rampart::auth::StoreError;
///
/// # async fn run() {
/// let check = AccountStatusCheck::new(|subject: &str| {
///     let active = subject != "mallory";
///     async move { Ok::<_, StoreError>(active) }
/// });
/// assert_eq!(check.check("alice").await, AccountDecision::Active);
/// assert_eq!(check.check("mallory").await, AccountDecision::Inactive);
/// # }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(run());
/// ```
#[derive(Clone)]
pub struct AccountStatusCheck {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AccountStatusCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountStatusCheck")
            .field("ttl_secs", &self.inner.ttl)
            .field("fail", &self.inner.fail)
            .finish_non_exhaustive()
    }
}

impl AccountStatusCheck {
    /// Asks `status`, caching for 5 s, failing closed.
    pub fn new(status: impl AccountStatus) -> Self {
        Self {
            inner: Arc::new(Inner {
                status: Arc::new(status),
                ttl: 5,
                clock: SystemClock::shared(),
                fail: FailMode::Closed,
                cache: Mutex::new(HashMap::new()),
            }),
        }
    }

    fn map(self, change: impl FnOnce(&mut Inner)) -> Self {
        let old = &*self.inner;
        let mut inner = Inner {
            status: old.status.clone(),
            ttl: old.ttl,
            clock: old.clock.clone(),
            fail: old.fail,
            cache: Mutex::new(HashMap::new()),
        };
        change(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// How long an answer is remembered; zero asks every time. Default: 5 s.
    #[must_use]
    pub fn cache_ttl(self, ttl: Duration) -> Self {
        self.map(|i| i.ttl = ttl.as_secs())
    }

    /// Where time comes from. Default: the system clock.
    #[must_use]
    pub fn clock(self, clock: SharedClock) -> Self {
        self.map(|i| i.clock = clock)
    }

    /// Lets requests through when the status cannot be asked. Default: off
    /// (a disabled account is never let in because a database is down).
    #[must_use]
    pub fn insecure_fail_open(self) -> Self {
        self.map(|i| i.fail = FailMode::Open)
    }

    /// Drops the cached answer for `subject`, so the next request asks again.
    /// Call it when disabling an account.
    pub fn forget(&self, subject: &str) {
        self.lock().remove(subject);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (bool, u64)>> {
        self.inner
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `subject` may go on.
    pub async fn check(&self, subject: &str) -> AccountDecision {
        let now = self.inner.clock.unix_secs();
        if let Some(&(active, at)) = self.lock().get(subject)
            && now < at.saturating_add(self.inner.ttl)
        {
            return decision(active);
        }
        match self.inner.status.is_active(subject).await {
            Ok(active) => {
                if self.inner.ttl > 0 {
                    let mut cache = self.lock();
                    if cache.len() >= MAX_CACHED {
                        cache.clear();
                    }
                    cache.insert(subject.to_owned(), (active, now));
                }
                decision(active)
            }
            Err(e) => {
                tracing::warn!(target: "rampart::auth", error = %e, "account status unavailable");
                match self.inner.fail {
                    FailMode::Open => AccountDecision::Active,
                    _ => AccountDecision::Unavailable,
                }
            }
        }
    }
}

fn decision(active: bool) -> AccountDecision {
    if active {
        AccountDecision::Active
    } else {
        AccountDecision::Inactive
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::ManualClock;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    #[tokio::test]
    async fn cached_for_the_ttl_then_asked_again() {
        let active = Arc::new(AtomicBool::new(true));
        let calls = Arc::new(AtomicUsize::new(0));
        let (a, c) = (active.clone(), calls.clone());
        let clock = ManualClock::at_unix(1_000);
        let check = AccountStatusCheck::new(move |_: &str| {
            c.fetch_add(1, Ordering::SeqCst);
            let v = a.load(Ordering::SeqCst);
            async move { Ok::<_, StoreError>(v) }
        })
        .clock(clock.shared());
        assert_eq!(check.check("bob").await, AccountDecision::Active);
        active.store(false, Ordering::SeqCst);
        assert_eq!(check.check("bob").await, AccountDecision::Active);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        clock.advance(Duration::from_secs(5));
        assert_eq!(check.check("bob").await, AccountDecision::Inactive);
        active.store(true, Ordering::SeqCst);
        check.forget("bob");
        assert_eq!(check.check("bob").await, AccountDecision::Active);
    }

    #[tokio::test]
    async fn failures_close_unless_told_otherwise() {
        let down = |_: &str| async { Err::<bool, _>(StoreError("db down".into())) };
        assert_eq!(
            AccountStatusCheck::new(down).check("x").await,
            AccountDecision::Unavailable
        );
        assert_eq!(
            AccountStatusCheck::new(down)
                .insecure_fail_open()
                .check("x")
                .await,
            AccountDecision::Active
        );
    }
}
