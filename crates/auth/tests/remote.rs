//! Remote JWKS: cached, refreshed on unknown kid at most once per interval,
//! served stale when the provider is down.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "remote-jwks")]

mod common;

use common::*;
use rampart_auth::remote::RemoteJwks;
use rampart_auth::revocation::StoreFuture;
use rampart_auth::{
    Algorithm, AuthError, JwkSet, JwtIssuer, JwtVerifier, KeySet, SigningKey, StoreError,
    TokenRequest,
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
            .event_sink(Arc::new(sink.clone())),
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

impl Setup {
    /// An access token the provider issued to alice.
    fn alice_token(&self) -> String {
        self.provider_issuer
            .issue_access(&TokenRequest::new("alice"))
            .unwrap()
            .token
    }
}

#[tokio::test]
async fn tokens_from_the_provider_verify() {
    let s = setup().await;
    let token = s.alice_token();
    assert!(s.verifier.verify(&token).await.is_ok());
    assert_eq!(s.provider.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_key_published_right_after_start_up_is_fetched_on_its_first_token() {
    let s = setup().await;
    let next = SigningKey::generate(Algorithm::ES256).unwrap();
    let kid = next.kid().to_owned();
    s.provider_keys.publish(next).unwrap();
    s.provider_keys.activate(&kid).unwrap();
    *s.provider.jwks.lock().unwrap() = s.provider_keys.jwks();
    let token = s.alice_token();
    // The start-up fetch did not use up the unknown-kid budget.
    s.clock.advance(Duration::from_secs(1));
    assert!(s.verifier.verify(&token).await.is_ok());
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
            s.verifier.verify(&token).await.unwrap_err(),
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
    let token = s.alice_token();
    assert!(s.verifier.verify(&token).await.is_ok());
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

/// A provider signing RS256 with the fixture RSA key, publishing its JWK
/// without `alg` (as many OIDC providers do).
fn alg_less_provider() -> (Provider, JwtIssuer, ManualClock) {
    let clock = ManualClock::at_unix(NOW);
    let key = SigningKey::from_pem(
        Algorithm::RS256,
        rsa_pems().0.as_bytes(),
        Some("op-1".into()),
    )
    .unwrap();
    let keys = KeySet::new(key);
    let issuer = JwtIssuer::builder(keys.clone())
        .issuer(ISS)
        .clock(clock.shared())
        .build()
        .unwrap();
    let mut jwks = keys.jwks();
    for jwk in &mut jwks.keys {
        jwk.common.key_algorithm = None;
    }
    let provider = Provider::default();
    *provider.jwks.lock().unwrap() = jwks;
    (provider, issuer, clock)
}

fn verifier_for(remote: &Arc<RemoteJwks>, clock: &ManualClock) -> JwtVerifier {
    JwtVerifier::builder(remote.keys().clone())
        .issuer(ISS)
        .key_refresher(remote.clone())
        .clock(clock.shared())
        .build()
        .unwrap()
}

#[tokio::test]
async fn keys_without_alg_are_used_only_when_the_algorithm_is_configured() {
    let (provider, issuer, clock) = alg_less_provider();
    let token = issuer
        .issue_access(&TokenRequest::new("alice"))
        .unwrap()
        .token;

    // Not told: the key is skipped, and a document with no usable key is an error.
    let sink = MemorySink::new();
    let untold = Arc::new(
        RemoteJwks::new(provider.fetcher())
            .clock(clock.shared())
            .event_sink(Arc::new(sink.clone())),
    );
    assert!(untold.refresh().await.is_err());
    assert_eq!(sink.count(EventKind::StoreFailure), 1);
    assert_eq!(
        verifier_for(&untold, &clock)
            .verify(&token)
            .await
            .unwrap_err(),
        AuthError::UnknownKey
    );

    // Told RS256: the key is bound to it and the token verifies.
    let told = Arc::new(
        RemoteJwks::new(provider.fetcher())
            .default_algorithm(Algorithm::RS256)
            .clock(clock.shared()),
    );
    assert_eq!(told.refresh().await.unwrap(), 1);
    assert!(verifier_for(&told, &clock).verify(&token).await.is_ok());

    // Told an algorithm the key type does not fit: skipped.
    let wrong = Arc::new(
        RemoteJwks::new(provider.fetcher())
            .default_algorithm(Algorithm::ES256)
            .clock(clock.shared()),
    );
    assert!(wrong.refresh().await.is_err());
}

#[tokio::test]
async fn an_alg_less_key_never_lets_the_token_header_choose_the_algorithm() {
    let (provider, issuer, clock) = alg_less_provider();
    let remote = Arc::new(
        RemoteJwks::new(provider.fetcher())
            .default_algorithm(Algorithm::RS256)
            .clock(clock.shared()),
    );
    remote.refresh().await.unwrap();
    let verifier = verifier_for(&remote, &clock);
    // Same private key, same kid, but signed as PS256 / PS512 / RS512: all refused.
    for alg in [Algorithm::PS256, Algorithm::PS512, Algorithm::RS512] {
        let other =
            SigningKey::from_pem(alg, rsa_pems().0.as_bytes(), Some("op-1".into())).unwrap();
        let token = JwtIssuer::builder(KeySet::new(other))
            .issuer(ISS)
            .clock(clock.shared())
            .build()
            .unwrap()
            .issue_access(&TokenRequest::new("mallory"))
            .unwrap()
            .token;
        assert_eq!(
            verifier.verify(&token).await.unwrap_err(),
            AuthError::AlgorithmMismatch,
            "{alg}"
        );
    }
    let token = issuer
        .issue_access(&TokenRequest::new("alice"))
        .unwrap()
        .token;
    assert!(verifier.verify(&token).await.is_ok());
}

#[tokio::test]
async fn a_fetch_with_no_usable_key_keeps_the_cached_keys() {
    let s = setup().await;
    let token = s.alice_token();
    let unusable: Vec<JwkSet> = vec![
        JwkSet { keys: vec![] },
        serde_json::from_str(
            r#"{"keys":[{"kty":"oct","kid":"hs","alg":"HS256","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}]}"#,
        )
        .unwrap(),
    ];
    for (i, set) in unusable.into_iter().enumerate() {
        *s.provider.jwks.lock().unwrap() = set;
        s.clock.advance(Duration::from_secs(61));
        let err = s.remote.refresh().await.unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("no usable key ({i} skipped)")),
            "{err}"
        );
        assert_eq!(s.sink.count(EventKind::StoreFailure), i + 1);
        assert_eq!(s.sink.events()[i].fields["skipped_keys"], i);
        assert!(
            s.verifier.verify(&token).await.is_ok(),
            "cached keys still verify"
        );
        assert_eq!(s.remote.keys().jwks().keys.len(), 1);
    }
}

#[tokio::test]
async fn remote_keys_for_other_operations_are_skipped() {
    let s = setup().await;
    let mut set = s.provider_keys.jwks();
    let mut encrypting = set.keys[0].clone();
    encrypting.common.key_id = Some("enc-only".into());
    encrypting.common.public_key_use = None;
    encrypting.common.key_operations = Some(vec![jsonwebtoken::jwk::KeyOperations::Encrypt]);
    set.keys.push(encrypting);
    *s.provider.jwks.lock().unwrap() = set;
    s.clock.advance(Duration::from_secs(61));
    assert_eq!(s.remote.refresh().await.unwrap(), 1);
    let debug = format!("{:?}", s.remote);
    assert!(
        debug.contains("RemoteJwks") && debug.contains("min_interval: 60"),
        "{debug}"
    );
}

#[tokio::test]
async fn an_unknown_kid_refreshes_again_exactly_one_interval_after_the_last_such_fetch() {
    let s = setup().await;
    let stranger = fixture_with(SigningKey::generate(Algorithm::ES256).unwrap());
    let token = stranger
        .issuer
        .issue_access(&TokenRequest::new("x"))
        .unwrap()
        .token;
    let calls = || s.provider.calls.load(Ordering::SeqCst);
    let _ = s.verifier.verify(&token).await;
    assert_eq!(calls(), 2, "the first unknown kid fetches");
    s.clock.advance(Duration::from_secs(59));
    let _ = s.verifier.verify(&token).await;
    assert_eq!(calls(), 2, "within the interval");
    s.clock.advance(Duration::from_secs(1));
    let _ = s.verifier.verify(&token).await;
    assert_eq!(calls(), 3, "at the interval");
}

#[tokio::test]
async fn a_key_the_provider_removed_stops_verifying_within_the_refresh_interval() {
    let s = setup().await;
    let token = s.alice_token();
    // The provider replaces its key (say, after a leak).
    *s.provider.jwks.lock().unwrap() =
        KeySet::new(SigningKey::generate(Algorithm::ES256).unwrap()).jwks();
    // Use up the unknown-kid budget, so only the periodic refresh can help.
    s.clock.advance(Duration::from_secs(299));
    assert!(
        s.verifier.verify(&token).await.is_ok(),
        "cached until the interval"
    );
    assert_eq!(s.provider.calls.load(Ordering::SeqCst), 1);
    s.clock.advance(Duration::from_secs(1));
    assert_eq!(
        s.verifier.verify(&token).await.unwrap_err(),
        AuthError::UnknownKey
    );
    assert!(s.provider.calls.load(Ordering::SeqCst) >= 2);
}

#[tokio::test]
async fn periodic_refresh_retries_after_the_min_interval_when_the_provider_is_down() {
    let s = setup().await;
    let token = s.alice_token();
    let calls = || s.provider.calls.load(Ordering::SeqCst);
    s.provider.down.store(true, Ordering::SeqCst);
    s.clock.advance(Duration::from_secs(300));
    assert!(s.verifier.verify(&token).await.is_ok(), "served stale");
    assert_eq!(calls(), 2);
    assert_eq!(s.sink.count(EventKind::StoreFailure), 1);
    s.clock.advance(Duration::from_secs(59));
    assert!(s.verifier.verify(&token).await.is_ok());
    assert_eq!(calls(), 2, "no retry before the min interval");
    s.provider.down.store(false, Ordering::SeqCst);
    s.clock.advance(Duration::from_secs(1));
    assert!(s.verifier.verify(&token).await.is_ok());
    assert_eq!(calls(), 3, "retried, and recovered");
    s.clock.advance(Duration::from_secs(299));
    assert!(s.verifier.verify(&token).await.is_ok());
    assert_eq!(calls(), 3, "back to the full interval");
}

#[tokio::test]
async fn without_a_start_up_fetch_concurrent_first_requests_wait_for_one_load() {
    let provider_keys = KeySet::new(SigningKey::generate(Algorithm::ES256).unwrap());
    let clock = ManualClock::at_unix(NOW);
    let issuer = JwtIssuer::builder(provider_keys.clone())
        .issuer(ISS)
        .audience([AUD])
        .clock(clock.shared())
        .build()
        .unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let jwks = provider_keys.jwks();
    let counted = calls.clone();
    // A slow provider: every request arrives while the first fetch is in flight.
    let remote = RemoteJwks::new(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        let jwks = jwks.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok::<_, StoreError>(jwks)
        }
    })
    .issuer(ISS)
    .clock(clock.shared());
    let verifier = JwtVerifier::external(remote)
        .audience([AUD])
        .clock(clock.shared())
        .build()
        .unwrap();
    let token = issuer
        .issue_access(&TokenRequest::new("alice"))
        .unwrap()
        .token;
    let checks = (0..16).map(|_| {
        let (verifier, token) = (verifier.clone(), token.clone());
        tokio::spawn(async move { verifier.verify(&token).await })
    });
    for check in checks.collect::<Vec<_>>() {
        let outcome = check.await.unwrap();
        assert!(outcome.is_ok(), "{outcome:?}");
    }
    assert!(calls.load(Ordering::SeqCst) <= 2, "{calls:?}");
}
