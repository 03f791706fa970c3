//! Tokens from an external provider (OIDC): per-verifier `typ` and
//! registered-claim settings, the strict defaults they leave alone, and
//! subject-wide revocation of tokens that carry no `jti`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use rampart_auth::{
    AuthError, Claims, ConfigError, JwtVerifier, JwtVerifierBuilder, RequiredClaim,
    RevocationStore, TokenUse,
};
use serde_json::{Value, json};
use std::time::Duration;

fn builder(fx: &Fx) -> JwtVerifierBuilder {
    JwtVerifier::builder(fx.keys.clone())
        .issuer(ISS)
        .audience([AUD])
        .clock(fx.clock.shared())
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

fn check(v: &JwtVerifier, token: &str) -> Result<Claims, AuthError> {
    v.verify_stateless(token, TokenUse::Access)
}

/// What Microsoft Entra ID writes in a v2 access token: `typ: JWT`, no
/// `jti` (it has `uti`), no `token_use`, `nbf` and `iat`.
fn entra_like(fx: &Fx) -> String {
    let header = json!({"typ": "JWT", "alg": "RS256", "kid": fx.kid});
    let claims = json!({
        "aud": AUD, "iss": ISS, "iat": NOW - 5, "nbf": NOW - 5, "exp": NOW + 3600,
        "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "oid": "00000000-0000-0000-66f3-3332eca7ea81",
        "tid": "9122040d-6c67-4c5b-b112-36a304b66dad", "uti": "fqiBqXLPj0eQa82S-IYFAA",
        "roles": ["Reader"], "ver": "2.0"
    });
    fx.sign(&header, &claims)
}

/// What Amazon Cognito writes in an access token: no `typ` header at all,
/// `token_use: access`, a `jti`.
fn cognito_like(fx: &Fx) -> String {
    let header = json!({"alg": "RS256", "kid": fx.kid});
    let claims = json!({
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "iss": ISS, "aud": AUD,
        "token_use": "access", "scope": "aws.cognito.signin.user.admin",
        "auth_time": NOW - 5, "exp": NOW + 3600, "iat": NOW - 5,
        "jti": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "username": "alice"
    });
    fx.sign(&header, &claims)
}

#[test]
fn the_default_verifier_refuses_provider_tokens() {
    let fx = fixture();
    let strict = builder(&fx).build().unwrap();
    assert_eq!(
        check(&strict, &entra_like(&fx)).unwrap_err(),
        AuthError::WrongType
    );
    assert_eq!(
        check(&strict, &cognito_like(&fx)).unwrap_err(),
        AuthError::WrongType
    );
}

#[test]
fn a_verifier_configured_for_the_provider_accepts_its_tokens() {
    let fx = fixture();
    let entra = builder(&fx)
        .access_token_types(["JWT"])
        .insecure_allow_missing_claims([RequiredClaim::Jti])
        .insecure_allow_missing_token_use()
        .build()
        .unwrap();
    let claims = check(&entra, &entra_like(&fx)).unwrap();
    assert_eq!(claims.token_id(), "");
    assert!(claims.to_principal().has_role("Reader"));
    assert_eq!(claims.to_principal().token_id(), None);
    // Each waiver is needed: without the jti waiver the token is refused.
    let no_jti_waiver = builder(&fx)
        .access_token_types(["JWT"])
        .insecure_allow_missing_token_use()
        .build()
        .unwrap();
    assert_eq!(
        check(&no_jti_waiver, &entra_like(&fx)).unwrap_err(),
        AuthError::MissingClaim("jti")
    );

    let cognito = builder(&fx).insecure_allow_missing_typ().build().unwrap();
    assert_eq!(
        check(&cognito, &cognito_like(&fx)).unwrap().subject(),
        "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    );
}

#[test]
fn a_missing_typ_waiver_still_checks_a_typ_that_is_present() {
    let fx = fixture();
    let v = builder(&fx).insecure_allow_missing_typ().build().unwrap();
    let none = fx.sign(&without(fx.header(), "typ"), &fx.claims());
    assert!(check(&v, &none).is_ok());
    let wrong = fx.sign(&with(fx.header(), "typ", json!("JWT")), &fx.claims());
    assert_eq!(check(&v, &wrong).unwrap_err(), AuthError::WrongType);
    // Refresh tokens always need `rt+jwt`.
    let refresh_claims = with(
        with(fx.claims(), "token_use", json!("refresh")),
        "sid",
        json!("f"),
    );
    let refresh = fx.sign(&without(fx.header(), "typ"), &refresh_claims);
    assert_eq!(
        v.verify_stateless(&refresh, TokenUse::Refresh).unwrap_err(),
        AuthError::WrongType
    );
}

#[test]
fn accepted_types_are_per_verifier_and_case_insensitive() {
    let fx = fixture();
    let v = builder(&fx)
        .access_token_types(["JWT", "at+jwt"])
        .build()
        .unwrap();
    for typ in ["jwt", "JWT", "AT+JWT"] {
        let token = fx.sign(&with(fx.header(), "typ", json!(typ)), &fx.claims());
        assert!(check(&v, &token).is_ok(), "{typ}");
    }
    let other = fx.sign(&with(fx.header(), "typ", json!("id+jwt")), &fx.claims());
    assert_eq!(check(&v, &other).unwrap_err(), AuthError::WrongType);
    // This verifier still refuses a missing typ.
    let none = fx.sign(&without(fx.header(), "typ"), &fx.claims());
    assert_eq!(check(&v, &none).unwrap_err(), AuthError::WrongType);
}

#[test]
fn each_waived_claim_may_be_omitted_and_only_that_one() {
    let fx = fixture();
    for (claim, waived) in [
        ("sub", RequiredClaim::Sub),
        ("iat", RequiredClaim::Iat),
        ("jti", RequiredClaim::Jti),
    ] {
        let v = builder(&fx)
            .insecure_allow_missing_claims([waived])
            .build()
            .unwrap();
        assert!(check(&v, &fx.sign(&fx.header(), &without(fx.claims(), claim))).is_ok());
        for other in ["sub", "iat", "jti"].into_iter().filter(|o| *o != claim) {
            let token = fx.sign(&fx.header(), &without(fx.claims(), other));
            assert_eq!(
                check(&v, &token).unwrap_err(),
                AuthError::MissingClaim(other)
            );
        }
        // `exp` can never be waived.
        let token = fx.sign(&fx.header(), &without(fx.claims(), "exp"));
        assert_eq!(
            check(&v, &token).unwrap_err(),
            AuthError::MissingClaim("exp")
        );
    }
    let all = builder(&fx)
        .insecure_allow_missing_claims([RequiredClaim::Sub, RequiredClaim::Iat, RequiredClaim::Jti])
        .build()
        .unwrap();
    let bare = json!({"iss": ISS, "aud": AUD, "exp": NOW + 60, "token_use": "access"});
    let claims = check(&all, &fx.sign(&fx.header(), &bare)).unwrap();
    assert_eq!(claims.subject(), "");
    assert_eq!(claims.to_principal().subject(), "");
}

#[test]
fn an_empty_sub_or_jti_is_refused_even_when_the_claim_may_be_omitted() {
    let fx = fixture();
    let v = builder(&fx)
        .insecure_allow_missing_claims([RequiredClaim::Sub, RequiredClaim::Jti])
        .build()
        .unwrap();
    for claim in ["sub", "jti"] {
        let token = fx.sign(&fx.header(), &with(fx.claims(), claim, json!("")));
        assert_eq!(
            check(&v, &token).unwrap_err(),
            AuthError::MissingClaim(claim)
        );
        // And with the default verifier too.
        assert_eq!(
            check(&builder(&fx).build().unwrap(), &token).unwrap_err(),
            AuthError::MissingClaim(claim)
        );
    }
}

#[test]
fn waivers_never_apply_to_refresh_tokens() {
    let fx = fixture();
    let v = builder(&fx)
        .insecure_allow_missing_claims([RequiredClaim::Sub, RequiredClaim::Iat, RequiredClaim::Jti])
        .build()
        .unwrap();
    let refresh = with(
        with(fx.claims(), "token_use", json!("refresh")),
        "sid",
        json!("f"),
    );
    let header = with(fx.header(), "typ", json!("rt+jwt"));
    assert!(
        v.verify_stateless(&fx.sign(&header, &refresh), TokenUse::Refresh)
            .is_ok()
    );
    for claim in ["sub", "iat", "jti"] {
        let token = fx.sign(&header, &without(refresh.clone(), claim));
        assert_eq!(
            v.verify_stateless(&token, TokenUse::Refresh).unwrap_err(),
            AuthError::MissingClaim(claim)
        );
    }
}

#[test]
fn nbf_can_be_required() {
    let fx = fixture();
    let v = builder(&fx)
        .require_claims([RequiredClaim::Nbf])
        .build()
        .unwrap();
    assert_eq!(
        check(&v, &fx.sign(&fx.header(), &fx.claims())).unwrap_err(),
        AuthError::MissingClaim("nbf")
    );
    let token = fx.sign(&fx.header(), &with(fx.claims(), "nbf", json!(NOW)));
    assert!(check(&v, &token).is_ok());
}

#[test]
fn waivers_are_checked_at_build_time() {
    let fx = fixture();
    for claim in [
        RequiredClaim::Nbf,
        RequiredClaim::TokenUse,
        RequiredClaim::Iss,
    ] {
        let err = builder(&fx)
            .insecure_allow_missing_claims([claim])
            .build()
            .unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::Invalid {
                    name: "insecure_allow_missing_claims",
                    ..
                }
            ),
            "{claim:?}"
        );
    }
    let both = builder(&fx)
        .require_claims([RequiredClaim::Jti])
        .insecure_allow_missing_claims([RequiredClaim::Jti])
        .build()
        .unwrap_err();
    assert!(matches!(
        both,
        ConfigError::Invalid {
            name: "insecure_allow_missing_claims",
            ..
        }
    ));
    assert!(both.to_string().contains("both required and waived"));
}

/// A provider token without `jti` cannot be revoked alone, but "log out
/// everywhere" (a subject-wide cut-off) reaches it, and one without `iat`
/// too (it counts as issued at the epoch).
#[tokio::test]
async fn log_out_everywhere_revokes_tokens_without_jti() {
    let fx = fixture();
    let v = builder(&fx)
        .insecure_allow_missing_claims([RequiredClaim::Jti, RequiredClaim::Iat])
        .revocation(fx.store.clone())
        .build()
        .unwrap();
    let no_jti = fx.sign(&fx.header(), &without(fx.claims(), "jti"));
    let no_jti_no_iat = fx.sign(&fx.header(), &without(without(fx.claims(), "jti"), "iat"));
    let bob = fx.sign(
        &fx.header(),
        &with(without(fx.claims(), "jti"), "sub", json!("bob")),
    );
    for token in [&no_jti, &no_jti_no_iat, &bob] {
        assert!(v.verify(token).await.is_ok());
    }
    fx.store
        .revoke_subject("alice", NOW, NOW + 3600)
        .await
        .unwrap();
    for token in [&no_jti, &no_jti_no_iat] {
        assert_eq!(v.verify(token).await.unwrap_err(), AuthError::Revoked);
    }
    assert!(v.verify(&bob).await.is_ok(), "another subject");
    // A sign-in after the cut-off works again (when the token says when it was issued).
    fx.clock.advance(Duration::from_secs(1));
    let later = fx.sign(
        &fx.header(),
        &with(without(fx.claims(), "jti"), "iat", json!(NOW + 1)),
    );
    assert!(v.verify(&later).await.is_ok());
    // A fractional iat within the cut-off's second is before the cut-off.
    let same_second = fx.sign(
        &fx.header(),
        &with(without(fx.claims(), "jti"), "iat", json!(NOW as f64 + 0.5)),
    );
    assert_eq!(
        v.verify(&same_second).await.unwrap_err(),
        AuthError::Revoked
    );
}

/// A session logout of one jti-less token must not become a revocation of
/// an empty id that every other jti-less token shares.
#[tokio::test]
async fn logging_out_a_token_without_jti_revokes_no_other_token() {
    let fx = fixture();
    let v = builder(&fx)
        .insecure_allow_missing_claims([RequiredClaim::Jti])
        .revocation(fx.store.clone())
        .build()
        .unwrap();
    let alice = fx.sign(&fx.header(), &without(fx.claims(), "jti"));
    let bob = fx.sign(
        &fx.header(),
        &with(without(fx.claims(), "jti"), "sub", json!("bob")),
    );
    let (_, principal) = v.authenticate(&alice).await.unwrap();
    assert_eq!(principal.token_id(), None);
    fx.manager().logout(&principal).await.unwrap();
    assert!(v.verify(&bob).await.is_ok());
    // Logging out everywhere still reaches alice's token.
    fx.manager().logout_everywhere("alice").await.unwrap();
    assert_eq!(v.verify(&alice).await.unwrap_err(), AuthError::Revoked);
    assert!(v.verify(&bob).await.is_ok());
}
