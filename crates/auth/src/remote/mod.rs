//! Trusting an external provider's keys through its JWKS document.

#[cfg(feature = "oidc")]
mod config;
mod fetcher;
#[cfg(feature = "oidc")]
mod http;

#[cfg(feature = "oidc")]
#[cfg_attr(docsrs, doc(cfg(feature = "oidc")))]
pub use config::ProviderConfig;
pub use fetcher::JwksFetcher;
#[cfg(feature = "oidc")]
#[cfg_attr(docsrs, doc(cfg(feature = "oidc")))]
pub use http::DiscoveryError;

use crate::error::StoreError;
use crate::jwt::algorithm::Algorithm;
use crate::jwt::key_set::KeySet;
use crate::jwt::keys::VerificationKey;
use crate::revocation::StoreFuture;
use rampart_core::{EventKind, SecurityEvent, SharedClock, SharedSink, SystemClock, TracingSink};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// A provider's keys, cached in a [`KeySet`] for a [`JwtVerifier`](crate::JwtVerifier).
///
/// # When keys are fetched
///
/// - **At start-up**: call [`refresh`](Self::refresh) to load the keys and
///   fail fast when the provider cannot be reached. Without it, the first
///   verification loads them (concurrent first requests wait for that one
///   fetch rather than each failing).
/// - **Periodically**: once [`refresh_interval`](Self::refresh_interval)
///   (default 5 minutes) has passed since the last fetch, the next
///   verification fetches again and the document *replaces* the cached keys,
///   so a key the provider removed (rotated out, or revoked after a leak)
///   stops verifying within one interval. The one request that finds the
///   keys due waits for that fetch (the built-in fetcher gives up after 10 s,
///   and a failure keeps the cached keys); other requests meanwhile go on with
///   the cached keys.
/// - **On an unknown `kid`** (the provider rotated in a new key): one fetch,
///   at most once per [`min_interval`](Self::min_interval) (default 60 s)
///   however many such tokens arrive, so a flood of made-up kids cannot turn
///   into a flood of requests to the provider. The start-up and periodic
///   fetches do not use up this budget: a key published just after start-up
///   is still picked up at once.
///
/// When the provider is down, or answers with no usable key, the keys
/// already loaded keep verifying (served stale), a `StoreFailure` event is
/// raised, and the next periodic attempt comes after `min_interval`. Stale
/// keys are served for as long as the provider stays down: refusing every
/// token would turn a provider outage into yours.
///
/// # Which keys are used
///
/// Keys whose type does not fit their algorithm, symmetric keys, keys
/// without `kid`, keys for another use (`use` other than `sig`, `key_ops`
/// without `verify`) and keys without `alg` are skipped; a key without `alg`
/// is used only when [`default_algorithm`](Self::default_algorithm) says
/// which algorithm to bind it to.
///
/// ```
/// use rampart::auth::{JwkSet, JwtVerifier, remote::RemoteJwks};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// // Your HTTP client fetching https://login.example.com/.well-known/jwks.json
/// // (with the `oidc` feature, `RemoteJwks::discover(issuer)` does all of it).
/// let remote = RemoteJwks::new(|| async { Ok::<_, std::io::Error>(JwkSet { keys: vec![] }) })
///     .issuer("https://login.example.com/");
/// let verifier = JwtVerifier::external(remote).audience(["my-api"]).build()?;
/// # let _ = verifier; Ok(()) }
/// ```
pub struct RemoteJwks {
    keys: KeySet,
    fetcher: Box<dyn JwksFetcher>,
    issuer: Option<String>,
    default_alg: Option<Algorithm>,
    min_interval: u64,
    refresh_interval: u64,
    /// Unix seconds from which the next periodic fetch is due (0: now).
    next_periodic: AtomicU64,
    /// Unix seconds of the last fetch an unknown `kid` asked for (0: none).
    last_unknown_kid: AtomicU64,
    /// Whether a fetch has ever succeeded.
    loaded: AtomicBool,
    /// One fetch at a time, so an older document never overwrites a newer one.
    fetching: tokio::sync::Mutex<()>,
    clock: SharedClock,
    sink: SharedSink,
}

impl std::fmt::Debug for RemoteJwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteJwks")
            .field("issuer", &self.issuer)
            .field("keys", &self.keys)
            .field("default_algorithm", &self.default_alg)
            .field("min_interval", &self.min_interval)
            .field("refresh_interval", &self.refresh_interval)
            .finish_non_exhaustive()
    }
}

impl RemoteJwks {
    /// Keys fetched by `fetcher` (a closure returning a future of
    /// `Result<JwkSet, E>`, or any [`JwksFetcher`]).
    pub fn new(fetcher: impl JwksFetcher) -> Self {
        Self {
            keys: KeySet::empty(),
            fetcher: Box::new(fetcher),
            issuer: None,
            default_alg: None,
            min_interval: 60,
            refresh_interval: 300,
            next_periodic: AtomicU64::new(0),
            last_unknown_kid: AtomicU64::new(0),
            loaded: AtomicBool::new(false),
            fetching: tokio::sync::Mutex::new(()),
            clock: SystemClock::shared(),
            sink: TracingSink::shared(),
        }
    }

    /// The provider's issuer (`iss`), which
    /// [`JwtVerifier::external`](crate::JwtVerifier::external) then requires.
    /// [`discover`](Self::discover) sets it from the provider's metadata.
    #[must_use]
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The algorithm of keys the provider publishes without `alg` (many
    /// OIDC providers omit it; their documentation names the algorithm, most
    /// often `RS256`). Such a key is bound to `alg` when its key type fits
    /// and skipped otherwise, so it verifies that one algorithm only: the
    /// token's header never chooses. A key that states its `alg` keeps it.
    /// Default: none, and keys without `alg` are skipped.
    #[must_use]
    pub fn default_algorithm(mut self, alg: Algorithm) -> Self {
        self.default_alg = Some(alg);
        self
    }

    /// Minimum time between two fetches triggered by unknown kids, and the
    /// wait before retrying after a failed fetch. Default 60 s.
    #[must_use]
    pub fn min_interval(mut self, interval: Duration) -> Self {
        self.min_interval = interval.as_secs();
        self
    }

    /// How old the cached keys may grow before the next verification fetches
    /// them again: the longest a key the provider removed keeps verifying.
    /// Default 300 s (5 minutes).
    #[must_use]
    pub fn refresh_interval(mut self, interval: Duration) -> Self {
        self.refresh_interval = interval.as_secs().max(1);
        self
    }

    /// The clock for the intervals. Default: system clock.
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Where fetch failures are reported. Default: `tracing`.
    #[must_use]
    pub fn event_sink(mut self, sink: SharedSink) -> Self {
        self.sink = sink;
        self
    }

    /// The cached keys; give them to the verifier.
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// The provider's issuer, when known.
    pub fn provider_issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// Fetches now, whatever the intervals, and answers how many keys were
    /// loaded; call it at start-up. When the fetch fails, or yields no usable
    /// key (an empty or garbled document must not wipe out the keys that
    /// work), the cached keys stay, a `StoreFailure` event is raised and an
    /// error returned. Does not use up the unknown-`kid` budget.
    pub async fn refresh(&self) -> Result<usize, StoreError> {
        let _one_at_a_time = self.fetching.lock().await;
        let result = self.fetch_keys().await;
        let now = self.clock.unix_secs();
        let wait = match &result {
            Ok(_) => self.refresh_interval,
            Err(_) => self.min_interval.min(self.refresh_interval),
        };
        self.next_periodic
            .store(now.saturating_add(wait), Ordering::Release);
        result
    }

    async fn fetch_keys(&self) -> Result<usize, StoreError> {
        let set = match self.fetcher.fetch().await {
            Ok(set) => set,
            Err(e) => {
                tracing::warn!(target: "rampart::auth", error = %e, "JWKS fetch failed; keeping cached keys");
                self.stale("remote JWKS fetch failed; serving cached keys", 0);
                return Err(e);
            }
        };
        let mut keys = Vec::with_capacity(set.keys.len());
        for jwk in &set.keys {
            match VerificationKey::from_jwk(jwk, self.default_alg) {
                Ok(key) => keys.push(key),
                Err(e) => {
                    tracing::debug!(target: "rampart::auth", reason = %e, "skipping a remote JWK");
                }
            }
        }
        if keys.is_empty() {
            // Every key of the document was skipped.
            let skipped = set.keys.len();
            tracing::warn!(target: "rampart::auth", skipped, "JWKS held no usable key; keeping cached keys");
            self.stale(
                "remote JWKS held no usable key; serving cached keys",
                skipped,
            );
            return Err(StoreError(format!(
                "the JWKS document held no usable key ({skipped} skipped)"
            )));
        }
        let count = keys.len();
        self.keys.replace_verification_keys(keys);
        self.loaded.store(true, Ordering::Release);
        Ok(count)
    }

    fn stale(&self, reason: &'static str, skipped: usize) {
        self.sink.emit(
            SecurityEvent::new(EventKind::StoreFailure, "rampart::auth", reason)
                .at(self.clock.now())
                .with_field("skipped_keys", skipped),
        );
    }

    /// Claims the unknown-`kid` fetch if `min_interval` has passed since the last one.
    fn unknown_kid_due(&self) -> bool {
        let now = self.clock.unix_secs();
        let last = self.last_unknown_kid.load(Ordering::Acquire);
        if last != 0 && now < last.saturating_add(self.min_interval) {
            return false;
        }
        self.last_unknown_kid
            .compare_exchange(last, now.max(1), Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

/// Reloads a verifier's keys when a token names a `kid` it does not know.
pub trait KeyRefresher: Send + Sync + 'static {
    /// Called on an unknown `kid`; answers whether new keys were loaded, so
    /// the verifier tries once more.
    fn refresh_on_unknown_kid(&self) -> StoreFuture<'_, bool>;

    /// Called before every verification: a fetch to wait for when the keys
    /// are due for their periodic refresh, or `None` (the common case, which
    /// must stay cheap). Default: never.
    fn refresh_if_due(&self) -> Option<StoreFuture<'_, ()>> {
        None
    }
}

impl KeyRefresher for RemoteJwks {
    fn refresh_on_unknown_kid(&self) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            if !self.unknown_kid_due() {
                return Ok(false);
            }
            self.refresh().await.map(|_| true)
        })
    }

    fn refresh_if_due(&self) -> Option<StoreFuture<'_, ()>> {
        let now = self.clock.unix_secs();
        let due = self.next_periodic.load(Ordering::Acquire);
        // One caller claims the fetch; the others go on with the cached keys,
        // unless there are none yet, in which case they wait for it.
        let claimed = now >= due
            && self
                .next_periodic
                .compare_exchange(
                    due,
                    now.saturating_add(self.refresh_interval),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok();
        if claimed {
            Some(Box::pin(async move { self.refresh().await.map(|_| ()) }))
        } else if !self.loaded.load(Ordering::Acquire) {
            Some(Box::pin(async move {
                drop(self.fetching.lock().await);
                Ok(())
            }))
        } else {
            None
        }
    }
}

/// A shared key refresher.
pub type SharedKeyRefresher = Arc<dyn KeyRefresher>;
