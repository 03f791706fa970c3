//! Parsing edge cases of signed tokens: header shape, `null` members, and
//! ECDSA signature malleability (high-S), each pinned to one behaviour.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use rampart_auth::{Algorithm, AuthError, Claims, SigningKey, TokenRequest, TokenUse};
use serde_json::{Value, json};

async fn verify(fx: &Fx, token: &str) -> Result<Claims, AuthError> {
    fx.verifier.verify(token).await
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

#[tokio::test]
async fn a_header_that_is_an_array_is_refused_even_when_signed() {
    let fx = fixture();
    // Positionally alg, kid, typ: serde would read these as the struct's fields.
    let header = json!(["RS256", fx.kid, "at+jwt"]);
    let token = fx.sign(&header, &fx.claims());
    assert_eq!(verify(&fx, &token).await.unwrap_err(), AuthError::Malformed);
    // The same members as an object verify, so it is the shape that is refused.
    let object = json!({"alg": "RS256", "kid": fx.kid, "typ": "at+jwt"});
    assert!(verify(&fx, &fx.sign(&object, &fx.claims())).await.is_ok());
}

#[tokio::test]
async fn null_crit_and_null_key_members_are_not_absent() {
    let fx = fixture();
    let token = fx.sign(&with(fx.header(), "crit", Value::Null), &fx.claims());
    assert_eq!(
        verify(&fx, &token).await.unwrap_err(),
        AuthError::UnknownCritical
    );
    for member in ["jwk", "jku", "x5u", "x5c"] {
        let token = fx.sign(&with(fx.header(), member, Value::Null), &fx.claims());
        assert_eq!(
            verify(&fx, &token).await.unwrap_err(),
            AuthError::EmbeddedKey,
            "{member}"
        );
    }
    for member in ["kid", "typ"] {
        let token = fx.sign(&with(fx.header(), member, Value::Null), &fx.claims());
        assert_eq!(
            verify(&fx, &token).await.unwrap_err(),
            AuthError::Malformed,
            "{member}"
        );
    }
}

/// The order of the curve's group, big-endian.
fn order(alg: Algorithm) -> Vec<u8> {
    let hex = match alg {
        Algorithm::ES256 => "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551",
        Algorithm::ES384 => concat!(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
            "C7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973"
        ),
        _ => unreachable!(),
    };
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// `a - b` for big-endian numbers of equal length, `a >= b`.
fn sub(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0; a.len()];
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let mut d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        if d < 0 {
            d += 256;
        }
        out[i] = u8::try_from(d).unwrap();
    }
    assert_eq!(borrow, 0);
    out
}

/// The same token with its ECDSA signature `(r, s)` replaced by `(r, n - s)`.
fn flip_s(token: &str, alg: Algorithm) -> String {
    let (message, sig) = token.rsplit_once('.').unwrap();
    let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
    let half = sig.len() / 2;
    let (r, s) = sig.split_at(half);
    let flipped = [r, &sub(&order(alg), s)].concat();
    assert_ne!(flipped, sig);
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(flipped))
}

/// Decided: high-S ECDSA signatures are accepted. RFC 7518 §3.4 does not ask
/// for low-S, and signers that do not normalise S (OpenSSL, Go, Java) would
/// otherwise see about half their valid tokens refused. So the same claims
/// have two valid token strings; the verifier docs say replay and revocation
/// must key on `jti`, never on the signature, and this test pins that the
/// revocation of the `jti` covers the twin.
#[tokio::test]
async fn high_s_ecdsa_signatures_are_accepted_and_revocation_covers_both_forms() {
    for alg in [Algorithm::ES256, Algorithm::ES384] {
        let fx = fixture_with(SigningKey::generate(alg).unwrap());
        let issued = fx.issuer.issue_access(&TokenRequest::new("alice")).unwrap();
        let twin = flip_s(&issued.token, alg);
        assert_ne!(twin, issued.token);
        let a = verify(&fx, &issued.token).await.unwrap();
        let b = verify(&fx, &twin).await.unwrap();
        assert_eq!(a, b, "{alg:?}: both forms carry the same claims");
        // Tampering with s otherwise still fails.
        let (message, _) = twin.rsplit_once('.').unwrap();
        let (_, sig) = issued.token.rsplit_once('.').unwrap();
        let mut bad = URL_SAFE_NO_PAD.decode(sig).unwrap();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let bad = format!("{message}.{}", URL_SAFE_NO_PAD.encode(bad));
        assert_eq!(
            verify(&fx, &bad).await.unwrap_err(),
            AuthError::BadSignature
        );

        fx.manager().logout(&a.to_principal()).await.unwrap();
        for token in [&issued.token, &twin] {
            assert_eq!(
                verify(&fx, token).await.unwrap_err(),
                AuthError::Revoked,
                "{alg:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_refresh_token_without_typ_is_refused() {
    let fx = fixture();
    let header = json!({"alg": "RS256", "kid": fx.kid});
    let claims = with(
        with(fx.claims(), "token_use", json!("refresh")),
        "sid",
        json!("f"),
    );
    let token = fx.sign(&header, &claims);
    assert_eq!(
        fx.verifier
            .verify_as(&token, TokenUse::Refresh)
            .await
            .unwrap_err(),
        AuthError::WrongType
    );
}
