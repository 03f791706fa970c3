//! Every attack and malformation the verifier must refuse, one test each.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use rampart_auth::{
    AuthError, Claims, JwtVerifier, RequiredClaim, TokenRequest, TokenUse, VerificationKey,
};
use serde_json::{Value, json};

async fn verify(fx: &Fx, token: &str) -> Result<Claims, AuthError> {
    fx.verifier.verify(token).await
}

async fn assert_refused(fx: &Fx, token: &str, want: AuthError) {
    assert_eq!(verify(fx, token).await.unwrap_err(), want);
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

fn without(mut v: Value, key: &str) -> Value {
    v.as_object_mut().unwrap().remove(key);
    v
}

#[tokio::test]
async fn a_well_formed_token_is_accepted() {
    let fx = fixture();
    let token = fx.sign(&fx.header(), &fx.claims());
    let claims = verify(&fx, &token).await.unwrap();
    assert_eq!(claims.subject(), "alice");
    let p = claims.to_principal();
    assert_eq!(p.tenant(), Some("acme"));
    assert!(p.has_role("editor"));
}

macro_rules! alg_none {
    ($($name:ident: $alg:literal, $sig:literal;)*) => {$(
        #[tokio::test]
        async fn $name() {
            let fx = fixture();
            let header = json!({"alg": $alg, "typ": "at+jwt", "kid": fx.kid});
            let token = forge(&header, &fx.claims(), |_| $sig.to_owned());
            assert_refused(&fx, &token, AuthError::AlgorithmNone).await;
        }
    )*};
}

alg_none! {
    alg_none_unsigned: "none", "";
    alg_none_with_signature: "none", "c2lnbmF0dXJl";
    alg_none_capitalised_unsigned: "None", "";
    alg_none_capitalised_with_signature: "None", "c2lnbmF0dXJl";
    alg_none_upper_unsigned: "NONE", "";
    alg_none_upper_with_signature: "NONE", "c2lnbmF0dXJl";
    alg_none_mixed_case: "nOnE", "";
}

#[tokio::test]
async fn rfc7515_unsecured_example_is_refused() {
    let fx = fixture();
    let examples: Value = serde_json::from_str(&corpus("rfc7515_examples.json")).unwrap();
    let none = examples
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["alg"] == "none")
        .expect("the corpus holds RFC 7515 A.5");
    assert_refused(
        &fx,
        none["token"].as_str().unwrap(),
        AuthError::AlgorithmNone,
    )
    .await;
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_pem_is_refused() {
    let fx = fixture();
    let public_pem = &rsa_pems().1;
    let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": fx.kid});
    let token = forge(&header, &fx.claims(), |m| {
        hmac_sign(public_pem.as_bytes(), m)
    });
    assert_refused(&fx, &token, AuthError::AlgorithmMismatch).await;
    // Same attack without a kid: there is no key to fall back to.
    let token = forge(&without(header, "kid"), &fx.claims(), |m| {
        hmac_sign(public_pem.as_bytes(), m)
    });
    assert_refused(&fx, &token, AuthError::UnknownKey).await;
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_jwk_is_refused() {
    let fx = fixture();
    let jwks = fx.keys.jwks();
    let jwk = serde_json::to_string(&jwks.keys[0]).unwrap();
    let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": fx.kid});
    let token = forge(&header, &fx.claims(), |m| hmac_sign(jwk.as_bytes(), m));
    assert_refused(&fx, &token, AuthError::AlgorithmMismatch).await;
}

#[test]
fn a_public_key_can_never_become_an_hmac_key() {
    let public_pem = &rsa_pems().1;
    assert!(
        VerificationKey::from_public_pem(
            rampart_auth::Algorithm::HS256,
            public_pem.as_bytes(),
            "k"
        )
        .is_err()
    );
    let oct: rampart_auth::Jwk = serde_json::from_str(&corpus(
        "rfc7520_cookbook/jwk/3_5.symmetric_key_mac_computation.json",
    ))
    .unwrap();
    assert!(VerificationKey::from_jwk(&oct, Some(rampart_auth::Algorithm::HS256)).is_err());
}

#[tokio::test]
async fn unknown_kid_is_refused() {
    let fx = fixture();
    let token = fx.sign(
        &with(fx.header(), "kid", json!("some-other-key")),
        &fx.claims(),
    );
    assert_refused(&fx, &token, AuthError::UnknownKey).await;
}

#[tokio::test]
async fn missing_kid_is_refused() {
    let fx = fixture();
    let token = fx.sign(&without(fx.header(), "kid"), &fx.claims());
    assert_refused(&fx, &token, AuthError::UnknownKey).await;
}

#[tokio::test]
async fn kid_with_path_traversal_is_refused() {
    let fx = fixture();
    for kid in [
        "../../../../../../dev/null",
        "/etc/passwd",
        "..\\..\\windows\\win.ini",
    ] {
        // The classic attack: point kid at an empty file and sign with an empty secret.
        let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": kid});
        let token = forge(&header, &fx.claims(), |m| hmac_sign(b"", m));
        assert_refused(&fx, &token, AuthError::UnknownKey).await;
    }
}

#[tokio::test]
async fn kid_with_sql_is_refused() {
    let fx = fixture();
    for kid in [
        "' OR '1'='1",
        "x' UNION SELECT 'secret' --",
        "1; DROP TABLE keys",
    ] {
        let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": kid});
        let token = forge(&header, &fx.claims(), |m| hmac_sign(b"secret", m));
        assert_refused(&fx, &token, AuthError::UnknownKey).await;
    }
}

#[tokio::test]
async fn embedded_jwk_is_refused() {
    let fx = fixture();
    let attacker = serde_json::to_value(&fx.keys.jwks().keys[0]).unwrap();
    let token = fx.sign(&with(fx.header(), "jwk", attacker), &fx.claims());
    assert_refused(&fx, &token, AuthError::EmbeddedKey).await;
}

#[tokio::test]
async fn jku_is_refused() {
    let fx = fixture();
    let token = fx.sign(
        &with(
            fx.header(),
            "jku",
            json!("https://attacker.example/jwks.json"),
        ),
        &fx.claims(),
    );
    assert_refused(&fx, &token, AuthError::EmbeddedKey).await;
}

#[tokio::test]
async fn x5u_is_refused() {
    let fx = fixture();
    let token = fx.sign(
        &with(
            fx.header(),
            "x5u",
            json!("https://attacker.example/cert.pem"),
        ),
        &fx.claims(),
    );
    assert_refused(&fx, &token, AuthError::EmbeddedKey).await;
}

#[tokio::test]
async fn x5c_is_refused() {
    let fx = fixture();
    let token = fx.sign(&with(fx.header(), "x5c", json!(["MIIB"])), &fx.claims());
    assert_refused(&fx, &token, AuthError::EmbeddedKey).await;
}

#[tokio::test]
async fn unknown_crit_header_is_refused() {
    let fx = fixture();
    let header = with(with(fx.header(), "crit", json!(["exp"])), "exp", json!(1));
    let token = fx.sign(&header, &fx.claims());
    assert_refused(&fx, &token, AuthError::UnknownCritical).await;
}

#[tokio::test]
async fn expired_token_is_refused() {
    let fx = fixture();
    let token = fx.sign(&fx.header(), &with(fx.claims(), "exp", json!(NOW - 31)));
    assert_refused(&fx, &token, AuthError::Expired).await;
    // Within the 30 s leeway it still passes.
    let token = fx.sign(&fx.header(), &with(fx.claims(), "exp", json!(NOW - 29)));
    assert!(verify(&fx, &token).await.is_ok());
}

#[tokio::test]
async fn a_token_expires_when_the_clock_moves() {
    let fx = fixture();
    let token = fx
        .issuer
        .issue_access(&TokenRequest::new("alice"))
        .unwrap()
        .token;
    assert!(verify(&fx, &token).await.is_ok());
    fx.clock.advance(std::time::Duration::from_secs(600 + 30));
    assert_refused(&fx, &token, AuthError::Expired).await;
}

#[tokio::test]
async fn nbf_in_the_future_is_refused() {
    let fx = fixture();
    let token = fx.sign(&fx.header(), &with(fx.claims(), "nbf", json!(NOW + 31)));
    assert_refused(&fx, &token, AuthError::NotYetValid).await;
}

#[tokio::test]
async fn iat_in_the_future_is_refused() {
    let fx = fixture();
    let token = fx.sign(&fx.header(), &with(fx.claims(), "iat", json!(NOW + 3600)));
    assert_refused(&fx, &token, AuthError::IssuedInFuture).await;
}

#[tokio::test]
async fn wrong_issuer_is_refused() {
    let fx = fixture();
    let token = fx.sign(
        &fx.header(),
        &with(fx.claims(), "iss", json!("https://evil.example")),
    );
    assert_refused(&fx, &token, AuthError::WrongIssuer).await;
}

#[tokio::test]
async fn wrong_audience_is_refused() {
    let fx = fixture();
    let token = fx.sign(
        &fx.header(),
        &with(fx.claims(), "aud", json!(["billing", "admin"])),
    );
    assert_refused(&fx, &token, AuthError::WrongAudience).await;
    // One matching audience in a set is enough.
    let token = fx.sign(
        &fx.header(),
        &with(fx.claims(), "aud", json!(["billing", AUD])),
    );
    assert!(verify(&fx, &token).await.is_ok());
}

#[tokio::test]
async fn missing_required_claims_are_refused() {
    let fx = fixture();
    for (claim, name) in [
        ("exp", "exp"),
        ("iat", "iat"),
        ("sub", "sub"),
        ("jti", "jti"),
        ("iss", "iss"),
        ("aud", "aud"),
        ("token_use", "token_use"),
    ] {
        let token = fx.sign(&fx.header(), &without(fx.claims(), claim));
        assert_refused(&fx, &token, AuthError::MissingClaim(name)).await;
    }
}

#[tokio::test]
async fn configured_required_claim_is_enforced() {
    let fx = fixture();
    let verifier = JwtVerifier::builder(fx.keys.clone())
        .issuer(ISS)
        .audience([AUD])
        .require_claims([RequiredClaim::Sid])
        .clock(fx.clock.shared())
        .build()
        .unwrap();
    let token = fx.sign(&fx.header(), &fx.claims());
    let err = verifier.verify(&token).await.unwrap_err();
    assert_eq!(err, AuthError::MissingClaim("sid"));
}

#[tokio::test]
async fn stripped_signature_is_refused() {
    let fx = fixture();
    let token = fx.sign(&fx.header(), &fx.claims());
    let stripped = &token[..=token.rfind('.').unwrap()];
    assert_refused(&fx, stripped, AuthError::BadSignature).await;
    let two_parts = &token[..token.rfind('.').unwrap()];
    assert_refused(&fx, two_parts, AuthError::Malformed).await;
}

#[tokio::test]
async fn truncated_signature_is_refused() {
    let fx = fixture();
    let token = fx.sign(&fx.header(), &fx.claims());
    assert_refused(&fx, &token[..token.len() - 10], AuthError::BadSignature).await;
}

#[tokio::test]
async fn signature_from_another_key_is_refused() {
    let fx = fixture();
    // Same kid and algorithm, signed with a different RSA private key.
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let der = aws_lc_rs::encoding::AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair).unwrap();
    let other =
        jsonwebtoken::EncodingKey::from_rsa_pem(pem("PRIVATE KEY", der.as_ref()).as_bytes())
            .unwrap();
    let token = forge(&fx.header(), &fx.claims(), |m| {
        jsonwebtoken::crypto::sign(m, &other, jsonwebtoken::Algorithm::RS256).unwrap()
    });
    assert_refused(&fx, &token, AuthError::BadSignature).await;
    // And a token from another issuer's key under its own kid is simply unknown.
    let impostor =
        fixture_with(rampart_auth::SigningKey::generate(rampart_auth::Algorithm::ES256).unwrap());
    let token = impostor
        .issuer
        .issue_access(&TokenRequest::new("alice"))
        .unwrap()
        .token;
    assert_refused(&fx, &token, AuthError::UnknownKey).await;
}

#[tokio::test]
async fn altered_payload_is_refused() {
    let fx = fixture();
    let token = fx.sign(&fx.header(), &fx.claims());
    let parts: Vec<&str> = token.split('.').collect();
    let admin = b64(with(fx.claims(), "roles", json!(["admin"]))
        .to_string()
        .as_bytes());
    let altered = format!("{}.{}.{}", parts[0], admin, parts[2]);
    assert_refused(&fx, &altered, AuthError::BadSignature).await;
}

#[tokio::test]
async fn altered_header_is_refused() {
    let fx = fixture();
    let token = fx.sign(&fx.header(), &fx.claims());
    let parts: Vec<&str> = token.split('.').collect();
    let header = b64(with(fx.header(), "cty", json!("x")).to_string().as_bytes());
    assert_refused(
        &fx,
        &format!("{header}.{}.{}", parts[1], parts[2]),
        AuthError::BadSignature,
    )
    .await;
}

#[tokio::test]
async fn bad_base64_is_refused() {
    let fx = fixture();
    let token = fx.sign(&fx.header(), &fx.claims());
    let parts: Vec<&str> = token.split('.').collect();
    assert_refused(
        &fx,
        &format!("!!!.{}.{}", parts[1], parts[2]),
        AuthError::Malformed,
    )
    .await;
    // Padding and the standard alphabet are not base64url.
    assert_refused(
        &fx,
        &format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
        AuthError::Malformed,
    )
    .await;
    assert_refused(
        &fx,
        &format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            parts[2].replace(['-', '_'], "+")
        ),
        AuthError::BadSignature,
    )
    .await;
}

#[tokio::test]
async fn bad_json_is_refused() {
    let fx = fixture();
    let header = b64(b"{\"alg\":\"RS256\",");
    assert_refused(&fx, &format!("{header}.e30.c2ln"), AuthError::Malformed).await;
    // A validly signed payload that is not a JSON object.
    let token = forge(&fx.header(), &json!(["not", "claims"]), |m| {
        let key = jsonwebtoken::EncodingKey::from_rsa_pem(rsa_pems().0.as_bytes()).unwrap();
        jsonwebtoken::crypto::sign(m, &key, jsonwebtoken::Algorithm::RS256).unwrap()
    });
    assert_refused(&fx, &token, AuthError::Malformed).await;
    // Duplicate header members are ambiguous and refused.
    let dup = b64(format!(
        r#"{{"alg":"RS256","alg":"HS256","typ":"at+jwt","kid":"{}"}}"#,
        fx.kid
    )
    .as_bytes());
    assert_refused(&fx, &format!("{dup}.e30.c2ln"), AuthError::Malformed).await;
}

#[tokio::test]
async fn oversized_token_is_refused_unparsed() {
    let fx = fixture();
    let big = fx.sign(
        &fx.header(),
        &with(fx.claims(), "pad", json!("x".repeat(9000))),
    );
    assert_refused(&fx, &big, AuthError::TooLarge).await;
    // Garbage of the same size is refused for its size, not its content.
    assert_refused(&fx, &"!".repeat(8193), AuthError::TooLarge).await;
}

#[tokio::test]
async fn refresh_token_is_not_an_access_token() {
    let fx = fixture();
    let refresh = fx
        .issuer
        .issue(
            &TokenRequest::new("alice"),
            TokenUse::Refresh,
            Some("fam"),
            &serde_json::Map::new(),
        )
        .unwrap()
        .token;
    assert_refused(&fx, &refresh, AuthError::WrongType).await;
    // Even with an access `typ` forged onto it, the claim still says refresh.
    let token = fx.sign(
        &fx.header(),
        &with(fx.claims(), "token_use", json!("refresh")),
    );
    assert_refused(&fx, &token, AuthError::WrongTokenUse).await;
}

#[tokio::test]
async fn access_token_is_not_a_refresh_token() {
    let fx = fixture();
    let access = fx
        .issuer
        .issue_access(&TokenRequest::new("alice"))
        .unwrap()
        .token;
    let err = fx
        .verifier
        .verify_as(&access, TokenUse::Refresh)
        .await
        .unwrap_err();
    assert_eq!(err, AuthError::WrongType);
    let header = with(fx.header(), "typ", json!("rt+jwt"));
    let token = fx.sign(&header, &fx.claims());
    let err = fx
        .verifier
        .verify_as(&token, TokenUse::Refresh)
        .await
        .unwrap_err();
    assert_eq!(err, AuthError::WrongTokenUse);
}

#[tokio::test]
async fn wrong_or_missing_typ_is_refused() {
    let fx = fixture();
    assert_refused(
        &fx,
        &fx.sign(&without(fx.header(), "typ"), &fx.claims()),
        AuthError::WrongType,
    )
    .await;
    assert_refused(
        &fx,
        &fx.sign(&with(fx.header(), "typ", json!("JWT")), &fx.claims()),
        AuthError::WrongType,
    )
    .await;
    assert!(
        verify(
            &fx,
            &fx.sign(
                &with(fx.header(), "typ", json!("application/AT+JWT")),
                &fx.claims()
            )
        )
        .await
        .is_ok()
    );
}

#[tokio::test]
async fn jsonwebtoken_test_tokens_are_all_refused() {
    let fx = fixture();
    let corpus = corpus("keats_tokens.jsonl");
    let mut seen = 0;
    for line in corpus.lines().filter(|l| !l.trim().is_empty()) {
        let item: Value = serde_json::from_str(line).unwrap();
        let Some(token) = item["token"].as_str() else {
            continue;
        };
        assert!(verify(&fx, token).await.is_err(), "{}", item["test_fn"]);
        seen += 1;
    }
    assert!(seen >= 10, "only {seen} tokens in the corpus");
}

#[tokio::test]
async fn cookbook_rsa_key_loads_and_its_unlabelled_token_is_refused() {
    let jwk: rampart_auth::Jwk =
        serde_json::from_str(&corpus("rfc7520_cookbook/jwk/3_3.rsa_public_key.json")).unwrap();
    let key = VerificationKey::from_jwk(&jwk, Some(rampart_auth::Algorithm::RS256)).unwrap();
    let keys = rampart_auth::KeySet::verify_only([key]).unwrap();
    let verifier = JwtVerifier::builder(keys).build().unwrap();
    let example: Value =
        serde_json::from_str(&corpus("rfc7520_cookbook/jws/4_1.rsa_v15_signature.json")).unwrap();
    let token = example["output"]["compact"].as_str().unwrap();
    // Signed by the cookbook key, but it is not typed as an access token.
    let err = verifier
        .verify_stateless(token, TokenUse::Access)
        .unwrap_err();
    assert_eq!(err, AuthError::WrongType);
}
