//! Remote JWKS: cached, refreshed on unknown kid at most once per interval,
//! served stale when the provider is down.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "remote-jwks")]

mod common;

use common::*;
use rampart_auth::remote::RemoteJwks;
use rampart_auth::revocation::StoreFuture;
use rampart_auth::{
    Algorithm, AuthError, JwkSet, JwtIssuer, JwtVerifier, KeySet, NoCustomClaims, SigningKey,
    StoreError, TokenRequest,
};
use rampart_core::{EventKind, ManualClock, MemorySink};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A fake provider: serves whatever JWKS it currently holds, or fails.
#[derive(Clone, Default)]
struct Provider {
    jwks: Arc<Mutex<JwkSet>>,
    down: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
}

impl Provider {
    fn fetcher(&self) -> impl Fn() -> StoreFuture<'static, JwkSet> + Send + Sync + 'static {
        let p = self.clone();
        move || {
            p.calls.fetch_add(1, Ordering::SeqCst);
            let result = if p.down.load(Ordering::SeqCst) {
                Err(StoreError("provider unreachable".into()))
            } else {
                Ok(p.jwks.lock().unwrap().clone())
            };
            Box::pin(async move { result })
        }
    }
}

struct Setup {
    provider: Provider,
    provider_keys: KeySet,
    provider_issuer: JwtIssuer,
    verifier: JwtVerifier,
    remote: Arc<RemoteJwks>,
    clock: ManualClock,
    sink: MemorySink,
}

async fn setup() -> Setup {
    let clock = ManualClock::at_unix(NOW);
    let provider_keys = KeySet::new(SigningKey::generate(Algorithm::ES256).unwrap());
    let provider_issuer = JwtIssuer::builder(provider_keys.clone())
        .issuer(ISS)
        .clock(clock.shared())
        .build()
        .unwrap();
    let provider = Provider::default();
    *provider.jwks.lock().unwrap() = provider_keys.jwks();
    let sink = MemorySink::new();
    let remote = Arc::new(
        RemoteJwks::new(provider.fetcher())
            .min_interval(Duration::from_secs(60))
            .clock(clock.shared())
            .events(Arc::new(sink.clone())),
    );
    assert_eq!(remote.refresh().await.unwrap(), 1);
    let verifier = JwtVerifier::builder(remote.keys().clone())
        .issuer(ISS)
        .key_refresher(remote.clone())
        .clock(clock.shared())
        .build()
        .unwrap();
    Setup {
        provider,
        provider_keys,
        provider_issuer,
        verifier,
        remote,
        clock,
        sink,
    }
}

#[tokio::test]
async fn tokens_from_the_provider_verify() {
    let s = setup().await;
    let token = s
        .provider_issuer
        .issue_access(&TokenRequest::new("alice"))
        .unwrap()
        .token;
    assert!(s.verifier.verify::<NoCustomClaims>(&token).await.is_ok());
    assert_eq!(s.provider.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_rotated_provider_key_is_fetched_on_its_first_token() {
    let s = setup().await;
    let next = SigningKey::generate(Algorithm::ES256).unwrap();
    let kid = next.kid().to_owned();
    s.provider_keys.publish(next).unwrap();
    s.provider_keys.activate(&kid).unwrap();
    *s.provider.jwks.lock().unwrap() = s.provider_keys.jwks();
    let token = s
        .provider_issuer
        .issue_access(&TokenRequest::new("alice"))
        .unwrap()
        .token;
    // Within the interval of the start-up fetch: not fetched yet.
    assert_eq!(
        s.verifier
            .verify::<NoCustomClaims>(&token)
            .await
            .unwrap_err(),
        AuthError::UnknownKey
    );
    s.clock.advance(Duration::from_secs(61));
    assert!(s.verifier.verify::<NoCustomClaims>(&token).await.is_ok());
    assert_eq!(s.provider.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn unknown_kids_refresh_at_most_once_per_interval() {
    let s = setup().await;
    s.clock.advance(Duration::from_secs(61));
    let stranger = fixture_with(SigningKey::generate(Algorithm::ES256).unwrap());
    for _ in 0..20 {
        let token = stranger
            .issuer
            .issue_access(&TokenRequest::new("x"))
            .unwrap()
            .token;
        assert_eq!(
            s.verifier
                .verify::<NoCustomClaims>(&token)
                .await
                .unwrap_err(),
            AuthError::UnknownKey
        );
    }
    assert_eq!(
        s.provider.calls.load(Ordering::SeqCst),
        2,
        "one start-up fetch, one refresh"
    );
}

#[tokio::test]
async fn cached_keys_are_served_when_the_provider_is_down() {
    let s = setup().await;
    s.provider.down.store(true, Ordering::SeqCst);
    s.clock.advance(Duration::from_secs(61));
    assert!(s.remote.refresh().await.is_err());
    assert_eq!(s.sink.count(EventKind::StoreFailure), 1);
    let token = s
        .provider_issuer
        .issue_access(&TokenRequest::new("alice"))
        .unwrap()
        .token;
    assert!(s.verifier.verify::<NoCustomClaims>(&token).await.is_ok());
}

#[tokio::test]
async fn symmetric_keys_in_a_remote_jwks_are_ignored() {
    let s = setup().await;
    let oct: rampart_auth::Jwk = serde_json::from_str(
        r#"{"kty":"oct","kid":"hs","alg":"HS256","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#,
    )
    .unwrap();
    s.provider.jwks.lock().unwrap().keys.push(oct);
    s.clock.advance(Duration::from_secs(61));
    assert_eq!(s.remote.refresh().await.unwrap(), 1);
}
