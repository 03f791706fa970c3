//! The verifier's limits, tested on both sides of each edge: token size,
//! leeway on `exp`/`nbf`/`iat` (whole and fractional seconds), the leeway cap
//! and the other build-time checks, and the missing-`token_use` switch.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use rampart_auth::{
    AuthError, ConfigError, DEFAULT_MAX_TOKEN_BYTES, JwtVerifier, JwtVerifierBuilder, TokenUse,
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

fn check(v: &JwtVerifier, token: &str) -> Result<(), AuthError> {
    v.verify_stateless(token, TokenUse::Access).map(drop)
}

fn invalid_setting(result: Result<JwtVerifier, ConfigError>) -> &'static str {
    match result.unwrap_err() {
        ConfigError::Invalid { name, .. } => name,
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn a_token_exactly_at_the_size_limit_passes_and_one_byte_over_does_not() {
    let fx = fixture();
    // Find a token exactly the default limit long. Header and signature
    // lengths are fixed, and base64 never yields a length of 1 mod 4, so
    // vary the header too (an ignored `cty`).
    let sign = |cty: usize, pad: usize| {
        let header = with(fx.header(), "cty", json!("c".repeat(cty)));
        fx.sign(&header, &with(fx.claims(), "pad", json!("x".repeat(pad))))
    };
    // Each padding byte adds 4/3 of a character.
    let guess = (DEFAULT_MAX_TOKEN_BYTES - sign(0, 0).len()) * 3 / 4;
    let token = (0..4)
        .flat_map(|cty| (guess - 8..guess + 8).map(move |pad| (cty, pad)))
        .map(|(cty, pad)| sign(cty, pad))
        .find(|t| t.len() == DEFAULT_MAX_TOKEN_BYTES)
        .expect("some padding reaches the limit exactly");
    let v = builder(&fx).build().unwrap();
    assert_eq!(check(&v, &token), Ok(()));
    let over = builder(&fx)
        .max_token_bytes(DEFAULT_MAX_TOKEN_BYTES - 1)
        .build()
        .unwrap();
    assert_eq!(check(&over, &token), Err(AuthError::TooLarge));
    // A smaller configured limit: the same edge.
    let small = fx.sign(&fx.header(), &fx.claims());
    let exact = builder(&fx).max_token_bytes(small.len()).build().unwrap();
    assert_eq!(check(&exact, &small), Ok(()));
    let under = builder(&fx)
        .max_token_bytes(small.len() - 1)
        .build()
        .unwrap();
    assert_eq!(check(&under, &small), Err(AuthError::TooLarge));
}

#[test]
fn exp_plus_leeway_reached_is_expired_one_second_before_is_not() {
    let fx = fixture();
    let v = builder(&fx)
        .leeway(Duration::from_secs(30))
        .build()
        .unwrap();
    let at = |exp: u64| fx.sign(&fx.header(), &with(fx.claims(), "exp", json!(exp)));
    assert_eq!(check(&v, &at(NOW - 30)), Err(AuthError::Expired));
    assert_eq!(check(&v, &at(NOW - 29)), Ok(()));
    let strict = builder(&fx).leeway(Duration::ZERO).build().unwrap();
    assert_eq!(check(&strict, &at(NOW)), Err(AuthError::Expired));
    assert_eq!(check(&strict, &at(NOW + 1)), Ok(()));
}

#[test]
fn nbf_and_iat_at_now_plus_leeway_pass_one_second_later_do_not() {
    let fx = fixture();
    let v = builder(&fx)
        .leeway(Duration::from_secs(30))
        .build()
        .unwrap();
    let nbf = |t: u64| fx.sign(&fx.header(), &with(fx.claims(), "nbf", json!(t)));
    assert_eq!(check(&v, &nbf(NOW + 30)), Ok(()));
    assert_eq!(check(&v, &nbf(NOW + 31)), Err(AuthError::NotYetValid));
    let iat = |t: u64| fx.sign(&fx.header(), &with(fx.claims(), "iat", json!(t)));
    assert_eq!(check(&v, &iat(NOW + 30)), Ok(()));
    assert_eq!(check(&v, &iat(NOW + 31)), Err(AuthError::IssuedInFuture));
    // Without leeway the edge is now itself.
    let strict = builder(&fx).leeway(Duration::ZERO).build().unwrap();
    assert_eq!(check(&strict, &nbf(NOW)), Ok(()));
    assert_eq!(check(&strict, &nbf(NOW + 1)), Err(AuthError::NotYetValid));
    assert_eq!(check(&strict, &iat(NOW)), Ok(()));
    assert_eq!(
        check(&strict, &iat(NOW + 1)),
        Err(AuthError::IssuedInFuture)
    );
}

#[test]
fn fractional_times_are_accepted_and_compared_to_the_nanosecond() {
    let fx = fixture();
    let v = builder(&fx).leeway(Duration::ZERO).build().unwrap();
    let claims = with(
        with(
            with(fx.claims(), "exp", json!(1_700_000_000.5)),
            "iat",
            json!(1_699_999_999.25),
        ),
        "nbf",
        json!(1_699_999_999.75),
    );
    let token = fx.sign(&fx.header(), &claims);
    let verified = v.verify_stateless(&token, TokenUse::Access).unwrap();
    assert_eq!(verified.expires_at(), NOW);
    assert_eq!(verified.exp.unwrap().subsec_nanos(), 500_000_000);
    // Still valid 0.4 s later, expired at 0.5 s: neither rounded up nor down.
    fx.clock.advance(Duration::from_millis(400));
    assert_eq!(check(&v, &token), Ok(()));
    fx.clock.advance(Duration::from_millis(100));
    assert_eq!(check(&v, &token), Err(AuthError::Expired));

    // nbf / iat: refused until the fraction is reached.
    fx.clock.set_unix(NOW - 1);
    let before = with(fx.claims(), "iat", json!(NOW - 10));
    let early = with(before, "nbf", json!(1_699_999_999.5));
    let early = fx.sign(&fx.header(), &early);
    assert_eq!(check(&v, &early), Err(AuthError::NotYetValid));
    fx.clock.advance(Duration::from_millis(500));
    assert_eq!(check(&v, &early), Ok(()));
    fx.clock.set_unix(NOW - 1);
    let iat = fx.sign(
        &fx.header(),
        &with(fx.claims(), "iat", json!(1_699_999_999.5)),
    );
    assert_eq!(check(&v, &iat), Err(AuthError::IssuedInFuture));
    fx.clock.advance(Duration::from_millis(500));
    assert_eq!(check(&v, &iat), Ok(()));
}

#[test]
fn negative_or_non_numeric_times_are_malformed() {
    let fx = fixture();
    let v = builder(&fx).build().unwrap();
    for (claim, value) in [
        ("exp", json!(-1)),
        ("iat", json!(-0.5)),
        ("nbf", json!("1700000000")),
        ("exp", json!(1e30)),
    ] {
        let token = fx.sign(&fx.header(), &with(fx.claims(), claim, value.clone()));
        assert_eq!(
            check(&v, &token),
            Err(AuthError::Malformed),
            "{claim}: {value}"
        );
    }
}

#[test]
fn leeway_is_capped_at_five_minutes() {
    let fx = fixture();
    let v = builder(&fx)
        .leeway(Duration::from_secs(300))
        .build()
        .unwrap();
    assert_eq!(v.leeway(), Duration::from_secs(300));
    let expired = fx.sign(&fx.header(), &with(fx.claims(), "exp", json!(NOW - 299)));
    assert_eq!(check(&v, &expired), Ok(()));
    let too_much = builder(&fx).leeway(Duration::from_secs(301)).build();
    assert_eq!(invalid_setting(too_much), "leeway");
}

#[test]
fn other_settings_are_checked_at_build_time() {
    let fx = fixture();
    assert!(builder(&fx).max_token_bytes(256).build().is_ok());
    assert_eq!(
        invalid_setting(builder(&fx).max_token_bytes(255).build()),
        "max_token_bytes"
    );
    assert_eq!(
        invalid_setting(
            builder(&fx)
                .access_token_types(Vec::<String>::new())
                .build()
        ),
        "access_token_types"
    );
}

#[test]
fn missing_token_use_is_refused_by_default() {
    let fx = fixture();
    let v = builder(&fx).build().unwrap();
    let token = fx.sign(&fx.header(), &without(fx.claims(), "token_use"));
    assert_eq!(check(&v, &token), Err(AuthError::MissingClaim("token_use")));
}

#[test]
fn insecure_allow_missing_token_use_accepts_access_tokens_only() {
    let fx = fixture();
    let v = builder(&fx)
        .insecure_allow_missing_token_use()
        .build()
        .unwrap();
    let access = fx.sign(&fx.header(), &without(fx.claims(), "token_use"));
    assert_eq!(check(&v, &access), Ok(()));
    // A refresh token still needs its `token_use`.
    let refresh = fx.sign(
        &with(fx.header(), "typ", json!("rt+jwt")),
        &without(with(fx.claims(), "sid", json!("fam")), "token_use"),
    );
    assert_eq!(
        v.verify_stateless(&refresh, TokenUse::Refresh).unwrap_err(),
        AuthError::MissingClaim("token_use")
    );
    // A token that does say something must say `access`.
    for other in ["refresh", "id"] {
        let token = fx.sign(&fx.header(), &with(fx.claims(), "token_use", json!(other)));
        assert_eq!(check(&v, &token), Err(AuthError::WrongTokenUse), "{other}");
    }
}

#[test]
fn a_refresh_token_with_its_own_use_and_type_verifies_as_refresh() {
    let fx = fixture();
    let v = builder(&fx).build().unwrap();
    let refresh = fx.sign(
        &with(fx.header(), "typ", json!("RT+JWT")),
        &with(fx.claims(), "token_use", json!("refresh")),
    );
    assert!(v.verify_stateless(&refresh, TokenUse::Refresh).is_ok());
    assert_eq!(check(&v, &refresh), Err(AuthError::WrongType));
}
