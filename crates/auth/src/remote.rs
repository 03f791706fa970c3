//! Trusting an external provider's keys through its JWKS document.

use crate::error::StoreError;
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
/// - When the provider is down, the keys already loaded keep verifying (served
///   stale) and a `StoreFailure` event is raised.
///
/// Keys whose type does not fit their algorithm, symmetric keys and keys
/// without `kid` are skipped.
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
    min_interval: u64,
    state: Mutex<State>,
    clock: SharedClock,
    sink: SharedSink,
}

impl std::fmt::Debug for RemoteJwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteJwks")
            .field("keys", &self.keys)
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
            min_interval: 60,
            state: Mutex::new(State { last_attempt: None }),
            clock: SystemClock::shared(),
            sink: TracingSink::shared(),
        }
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
    pub fn events(mut self, sink: SharedSink) -> Self {
        self.sink = sink;
        self
    }

    /// The cached keys; give them to the verifier.
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// Fetches now, whatever the interval. On failure the old keys stay.
    pub async fn refresh(&self) -> Result<usize, StoreError> {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .last_attempt = Some(self.clock.unix_secs());
        match self.fetcher.fetch().await {
            Ok(set) => {
                let keys: Vec<VerificationKey> = set
                    .keys
                    .iter()
                    .filter_map(|jwk| VerificationKey::from_jwk(jwk, None).ok())
                    .collect();
                let count = keys.len();
                self.keys.replace_verification_keys(keys);
                Ok(count)
            }
            Err(e) => {
                tracing::warn!(target: "rampart::auth", error = %e, "JWKS fetch failed; keeping cached keys");
                self.sink.emit(
                    SecurityEvent::new(
                        EventKind::StoreFailure,
                        "rampart::auth",
                        "remote JWKS fetch failed; serving cached keys",
                    )
                    .at(self.clock.now()),
                );
                Err(e)
            }
        }
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
