//! The verified-token cache of `authenticate`: a token seen before skips the
//! signature check, and nothing else. Each test presents a token once (it
//! is cached) and then shows that what must still be refused is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use rampart_auth::revocation::RevocationStore;
use rampart_auth::{Algorithm, AuthError, JwtVerifier, SigningKey};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// An access token for alice from the fixture's own issuer.
fn issue(fx: &Fx) -> String {
    fx.issuer
        .issue(
            &rampart_auth::TokenRequest::new("alice"),
            rampart_auth::TokenUse::Access,
            None,
            &rampart_auth::NoCustomClaims {},
        )
        .unwrap()
        .token
}

#[tokio::test]
async fn a_cached_token_is_still_refused_once_revoked() {
    let fx = fixture();
    let token = fx.sign(&fx.header(), &fx.claims());
    fx.verifier.authenticate(&token).await.unwrap();
    fx.verifier.authenticate(&token).await.unwrap();
    fx.store
        .revoke_token("alice", "jti-1", NOW + 600)
        .await
        .unwrap();
    assert_eq!(
        fx.verifier.authenticate(&token).await.unwrap_err(),
        AuthError::Revoked
    );
    // "Log out everywhere" reaches cached tokens too.
    let mut claims = fx.claims();
    claims["jti"] = json!("jti-2");
    let other = fx.sign(&fx.header(), &claims);
    fx.verifier.authenticate(&other).await.unwrap();
    fx.clock.advance(Duration::from_secs(1));
    fx.store
        .revoke_subject("alice", NOW + 1, NOW + 600)
        .await
        .unwrap();
    assert_eq!(
        fx.verifier.authenticate(&other).await.unwrap_err(),
        AuthError::Revoked
    );
}

#[tokio::test]
async fn a_cached_token_expires_when_its_exp_and_leeway_pass() {
    let fx = fixture();
    let token = fx.sign(&fx.header(), &fx.claims());
    fx.verifier.authenticate(&token).await.unwrap();
    fx.clock.advance(Duration::from_secs(600 + 29));
    fx.verifier.authenticate(&token).await.unwrap();
    fx.clock.advance(Duration::from_secs(1));
    assert_eq!(
        fx.verifier.authenticate(&token).await.unwrap_err(),
        AuthError::Expired
    );
}

#[tokio::test]
async fn a_clock_set_back_before_the_token_was_valid_refuses_it() {
    let fx = fixture();
    let token = fx.sign(&fx.header(), &fx.claims());
    fx.verifier.authenticate(&token).await.unwrap();
    fx.clock.set_unix(NOW - 31);
    assert_eq!(
        fx.verifier.authenticate(&token).await.unwrap_err(),
        AuthError::IssuedInFuture
    );
    fx.clock.set_unix(NOW);
    fx.verifier.authenticate(&token).await.unwrap();
}

#[tokio::test]
async fn retiring_the_signing_key_ends_its_cached_tokens() {
    let fx = fixture_with(SigningKey::hmac(Algorithm::HS256, &[3; 32], "old").unwrap());
    let token = issue(&fx);
    fx.verifier.authenticate(&token).await.unwrap();
    let next = SigningKey::hmac(Algorithm::HS256, &[4; 32], "new").unwrap();
    fx.keys.publish(next).unwrap();
    fx.keys.activate("new").unwrap();
    fx.verifier.authenticate(&token).await.unwrap();
    fx.keys.retire("old").unwrap();
    assert_eq!(
        fx.verifier.authenticate(&token).await.unwrap_err(),
        AuthError::UnknownKey
    );
}

#[tokio::test]
async fn a_key_replaced_under_the_same_kid_ends_its_cached_tokens() {
    let fx = fixture_with(SigningKey::hmac(Algorithm::HS256, &[3; 32], "k").unwrap());
    let token = issue(&fx);
    fx.verifier.authenticate(&token).await.unwrap();
    // Another secret under the same `kid`: the cached entry names the old key.
    fx.keys
        .publish(SigningKey::hmac(Algorithm::HS256, &[9; 32], "k2").unwrap())
        .unwrap();
    fx.keys.activate("k2").unwrap();
    fx.keys.retire("k").unwrap();
    fx.keys
        .publish(SigningKey::hmac(Algorithm::HS256, &[5; 32], "k").unwrap())
        .unwrap();
    assert_eq!(
        fx.verifier.authenticate(&token).await.unwrap_err(),
        AuthError::BadSignature
    );
}

#[tokio::test]
async fn an_altered_copy_of_a_cached_token_is_checked_in_full() {
    let fx = fixture();
    let token = fx.sign(&fx.header(), &fx.claims());
    fx.verifier.authenticate(&token).await.unwrap();
    let (message, signature) = token.rsplit_once('.').unwrap();
    let mut forged_signature = signature.to_owned();
    let last = forged_signature.pop().unwrap();
    forged_signature.push(if last == 'A' { 'B' } else { 'A' });
    let forged = format!("{message}.{forged_signature}");
    assert_eq!(
        fx.verifier.authenticate(&forged).await.unwrap_err(),
        AuthError::BadSignature
    );
    // Same signature, one claim changed.
    let mut claims = fx.claims();
    claims["roles"] = json!(["admin"]);
    let other = forge(&fx.header(), &claims, |_| signature.to_owned());
    assert_eq!(
        fx.verifier.authenticate(&other).await.unwrap_err(),
        AuthError::BadSignature
    );
    // The genuine token still works.
    fx.verifier.authenticate(&token).await.unwrap();
}

#[tokio::test]
async fn the_principal_mapping_runs_on_every_request() {
    let fx = fixture();
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let verifier = JwtVerifier::builder(fx.keys.clone())
        .issuer(ISS)
        .audience([AUD])
        .clock(fx.clock.shared())
        .map_principal(move |principal, _| {
            counted.fetch_add(1, Ordering::SeqCst);
            Ok(principal)
        })
        .build()
        .unwrap();
    let token = fx.sign(&fx.header(), &fx.claims());
    for _ in 0..3 {
        let (claims, principal) = verifier.authenticate(&token).await.unwrap();
        assert_eq!((claims.subject(), principal.subject()), ("alice", "alice"));
        assert_eq!(principal.roles(), ["editor"]);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn the_built_in_mapping_is_kept_with_the_token_and_a_failed_one_is_not() {
    let fx = fixture();
    let verifier = JwtVerifier::builder(fx.keys.clone())
        .issuer(ISS)
        .audience([AUD])
        .clock(fx.clock.shared())
        .revocation(fx.store.clone())
        .tenant_claim("tid")
        .build()
        .unwrap();
    let mut claims = fx.claims();
    claims["tid"] = json!("acme");
    let token = fx.sign(&fx.header(), &claims);
    for _ in 0..3 {
        let (_, principal) = verifier.authenticate(&token).await.unwrap();
        assert_eq!(
            (principal.subject(), principal.tenant()),
            ("alice", Some("acme"))
        );
        assert_eq!(principal.roles(), ["editor"]);
    }
    // Another token of the same subject maps on its own claims.
    claims["tid"] = json!("globex");
    claims["jti"] = json!("jti-2");
    let other = fx.sign(&fx.header(), &claims);
    let (_, principal) = verifier.authenticate(&other).await.unwrap();
    assert_eq!(principal.tenant(), Some("globex"));
    // A token whose tenant claim cannot be mapped is refused every time,
    // cached or not.
    claims["tid"] = json!({"nested": true});
    claims["jti"] = json!("jti-3");
    let unmappable = fx.sign(&fx.header(), &claims);
    let first = verifier.authenticate(&unmappable).await.unwrap_err();
    for _ in 0..2 {
        assert_eq!(verifier.authenticate(&unmappable).await.unwrap_err(), first);
    }
    // A revoked token is refused even though its principal is kept.
    fx.store
        .revoke_token("alice", "jti-1", NOW + 600)
        .await
        .unwrap();
    assert_eq!(
        verifier.authenticate(&token).await.unwrap_err(),
        AuthError::Revoked
    );
}

#[tokio::test]
async fn custom_claims_of_another_type_are_decoded_for_that_type() {
    #[derive(Clone, serde::Deserialize)]
    struct Plan {
        plan: String,
    }
    #[derive(Clone, serde::Deserialize)]
    struct Seats {
        seats: u32,
    }
    let fx = fixture();
    let mut claims = fx.claims();
    claims["plan"] = json!("pro");
    claims["seats"] = json!(5);
    let token = fx.sign(&fx.header(), &claims);
    for _ in 0..2 {
        let (plan, _) = fx.verifier.authenticate_with::<Plan>(&token).await.unwrap();
        assert_eq!(plan.custom.plan, "pro");
        let (seats, _) = fx
            .verifier
            .authenticate_with::<Seats>(&token)
            .await
            .unwrap();
        assert_eq!(seats.custom.seats, 5);
    }
}
