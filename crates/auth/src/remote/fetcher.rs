//! Where a provider's JWKS document comes from.

use crate::error::StoreError;
use crate::revocation::StoreFuture;
use jsonwebtoken::jwk::JwkSet;
use std::future::Future;

/// Fetches a provider's JWKS document.
///
/// With the `oidc` feature, [`RemoteJwks::from_url`](super::RemoteJwks::from_url)
/// and [`RemoteJwks::discover`](super::RemoteJwks::discover) bring their own
/// HTTPS fetcher. Otherwise any closure returning a future of
/// `Result<JwkSet, E>` (with `E: Display`) is a fetcher, so the application's
/// own HTTP client needs no glue type:
///
/// ```
/// use rampart::auth::{JwkSet, remote::RemoteJwks};
///
/// let remote = RemoteJwks::new(|| async {
///     // GET the URL *you* configured (never one a token names) with your client.
///     Ok::<_, std::io::Error>(JwkSet { keys: vec![] })
/// });
/// # let _ = remote;
/// ```
pub trait JwksFetcher: Send + Sync + 'static {
    /// The current JWKS document.
    fn fetch(&self) -> StoreFuture<'_, JwkSet>;
}

impl<F, Fut, E> JwksFetcher for F
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<JwkSet, E>> + Send + 'static,
    E: std::fmt::Display,
{
    fn fetch(&self) -> StoreFuture<'_, JwkSet> {
        let fetching = self();
        Box::pin(async move { fetching.await.map_err(|e| StoreError(e.to_string())) })
    }
}
