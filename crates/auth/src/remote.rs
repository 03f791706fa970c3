//! Trusting an external provider's keys through its JWKS document.

use crate::error::StoreError;
use crate::jwt::algorithm::Algorithm;
use crate::jwt::key_set::KeySet;
use crate::jwt::keys::VerificationKey;
use crate::revocation::StoreFuture;
use jsonwebtoken::jwk::JwkSet;
use rampart_core::{EventKind, SecurityEvent, SharedClock, SharedSink, SystemClock, TracingSink};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Fetches a provider's JWKS document. Implement it with the HTTP client the
/// application already uses; the URL is the one *you* configured, never one a
/// token names.
pub trait JwksFetcher: Send + Sync + 'static {
    /// The current JWKS document.
    fn fetch(&self) -> StoreFuture<'_, JwkSet>;
}

impl<F> JwksFetcher for F
where
    F: Fn() -> StoreFuture<'static, JwkSet> + Send + Sync + 'static,
{
    fn fetch(&self) -> StoreFuture<'_, JwkSet> {
        self()
    }
}

struct State {
    /// Unix seconds of the last fetch attempt, successful or not.
    last_attempt: Option<u64>,
}

/// A provider's keys, cached in a [`KeySet`] for a [`JwtVerifier`](crate::JwtVerifier).
///
/// - The first [`refresh`](Self::refresh) (call it at start-up) loads the keys.
/// - A token naming an unknown `kid` triggers a refresh, at most once per
///   `min_interval` however many such tokens arrive (a flood of made-up kids
///   cannot turn into a flood of requests to the provider).
/// - When the provider is down, or answers with no usable key, the keys
///   already loaded keep verifying (served stale) and a `StoreFailure` event
///   is raised.
///
/// Keys whose type does not fit their algorithm, symmetric keys, keys
/// without `kid`, keys for another use (`use` other than `sig`, `key_ops`
/// without `verify`) and keys without `alg` are skipped; a key without `alg`
/// is used only when [`default_algorithm`](Self::default_algorithm) says
/// which algorithm to bind it to.
///
/// ```
/// use rampart_auth::{JwtVerifier, remote::RemoteJwks};
/// use rampart_auth::revocation::StoreFuture;
/// use std::sync::Arc;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// // With your HTTP client: GET https://login.example.com/.well-known/jwks.json
/// let fetch = || -> StoreFuture<'static, rampart_auth::JwkSet> {
///     Box::pin(async { Ok(rampart_auth::JwkSet { keys: vec![] }) })
/// };
/// let remote = Arc::new(RemoteJwks::new(fetch));
/// remote.refresh().await?;
/// let verifier = JwtVerifier::builder(remote.keys().clone())
///     .issuer("https://login.example.com/")
///     .audience(["my-api"])
///     .insecure_allow_missing_token_use()
///     .key_refresher(remote.clone())
///     .build()?;
/// # let _ = verifier; Ok(()) }
/// ```
pub struct RemoteJwks {
    keys: KeySet,
    fetcher: Box<dyn JwksFetcher>,
    default_alg: Option<Algorithm>,
    min_interval: u64,
    state: Mutex<State>,
    clock: SharedClock,
    sink: SharedSink,
}

impl std::fmt::Debug for RemoteJwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteJwks")
            .field("keys", &self.keys)
            .field("default_algorithm", &self.default_alg)
            .field("min_interval", &self.min_interval)
            .finish_non_exhaustive()
    }
}

impl RemoteJwks {
    /// Keys fetched by `fetcher`, refreshed at most every 60 seconds.
    pub fn new(fetcher: impl JwksFetcher) -> Self {
        Self {
            keys: KeySet::empty(),
            fetcher: Box::new(fetcher),
            default_alg: None,
            min_interval: 60,
            state: Mutex::new(State { last_attempt: None }),
            clock: SystemClock::shared(),
            sink: TracingSink::shared(),
        }
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

    /// Minimum time between two fetches triggered by unknown kids. Default 60 s.
    #[must_use]
    pub fn min_interval(mut self, interval: Duration) -> Self {
        self.min_interval = interval.as_secs();
        self
    }

    /// The clock for the interval. Default: system clock.
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

    /// Fetches now, whatever the interval, and answers how many keys were
    /// loaded. When the fetch fails, or yields no usable key (an empty or
    /// garbled document must not wipe out the keys that work), the cached
    /// keys stay, a `StoreFailure` event is raised and an error returned.
    pub async fn refresh(&self) -> Result<usize, StoreError> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .last_attempt = Some(self.clock.unix_secs());
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
        Ok(count)
    }

    fn stale(&self, reason: &'static str, skipped: usize) {
        self.sink.emit(
            SecurityEvent::new(EventKind::StoreFailure, "rampart::auth", reason)
                .at(self.clock.now())
                .with_field("skipped_keys", skipped),
        );
    }

    /// Claims the right to fetch if the interval has passed since the last attempt.
    fn due(&self) -> bool {
        let now = self.clock.unix_secs();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match state.last_attempt {
            Some(last) if now < last.saturating_add(self.min_interval) => false,
            _ => {
                state.last_attempt = Some(now);
                true
            }
        }
    }
}

/// Reloads a verifier's keys when a token names a `kid` it does not know.
pub trait KeyRefresher: Send + Sync + 'static {
    /// Called on an unknown `kid`; answers whether new keys were loaded, so
    /// the verifier tries once more.
    fn refresh_on_unknown_kid(&self) -> StoreFuture<'_, bool>;
}

impl KeyRefresher for RemoteJwks {
    fn refresh_on_unknown_kid(&self) -> StoreFuture<'_, bool> {
        Box::pin(async move {
            if !self.due() {
                return Ok(false);
            }
            self.refresh().await.map(|_| true)
        })
    }
}

/// A shared key refresher.
pub type SharedKeyRefresher = Arc<dyn KeyRefresher>;
