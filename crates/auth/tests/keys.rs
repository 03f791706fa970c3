//! Key ids that survive restarts and span instances, secrets as bytes, and
//! the RSASSA-PSS family.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::*;
use rampart_auth::{
    Algorithm, AuthError, ConfigError, JwtConfig, JwtIssuer, JwtVerifier, KeySet, Secret,
    SigningKey, TokenRequest, TokenUse, VerificationKey, jwk_thumbprint,
};

fn hs256(secret: Secret) -> JwtConfig {
    JwtConfig {
        algorithm: Algorithm::HS256,
        secret: Some(secret),
        issuer: Some(ISS.into()),
        ..JwtConfig::default()
    }
}

fn header_kid(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

const SECRET: &str = "a-shared-secret-of-at-least-32-bytes!!";

#[test]
fn instances_sharing_a_secret_accept_each_others_tokens() {
    // Two processes (or one before and after a restart) built from the same config.
    let a = hs256(Secret::new(SECRET)).build().unwrap();
    let b = hs256(Secret::new(SECRET)).build().unwrap();
    assert_eq!(a.signing_kid(), b.signing_kid());
    let token = a
        .issuer()
        .issue_access(&TokenRequest::new("alice"))
        .unwrap()
        .token;
    assert_eq!(Some(header_kid(&token)), a.signing_kid());
    let claims = b
        .verifier()
        .verify_stateless(&token, TokenUse::Access)
        .unwrap();
    assert_eq!(claims.subject(), "alice");
    let back = b
        .issuer()
        .issue_access(&TokenRequest::new("bob"))
        .unwrap()
        .token;
    assert!(
        a.verifier()
            .verify_stateless(&back, TokenUse::Access)
            .is_ok()
    );
}

#[test]
fn another_secret_gets_another_kid_and_is_refused() {
    let a = hs256(Secret::new(SECRET)).build().unwrap();
    let other = hs256(Secret::new("another-secret-of-at-least-32-bytes!!!"))
        .build()
        .unwrap();
    assert_ne!(a.signing_kid(), other.signing_kid());
    let token = other
        .issuer()
        .issue_access(&TokenRequest::new("mallory"))
        .unwrap()
        .token;
    assert_eq!(
        a.verifier()
            .verify_stateless(&token, TokenUse::Access)
            .unwrap_err(),
        AuthError::UnknownKey
    );
}

#[test]
fn the_kid_does_not_reveal_the_secret() {
    let auth = hs256(Secret::new(SECRET)).build().unwrap();
    let kid = auth.signing_kid().unwrap();
    assert!(!kid.contains("shared-secret"));
    // Not an unkeyed hash of the secret either.
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, SECRET.as_bytes());
    let plain = URL_SAFE_NO_PAD.encode(digest.as_ref());
    assert!(!plain.starts_with(&kid[..10]), "{kid} {plain}");
    assert!(auth.jwks().keys.is_empty(), "a secret is never published");
}

#[test]
fn a_configured_key_id_wins() {
    let config = JwtConfig {
        key_id: Some("hs-2026".into()),
        ..hs256(Secret::new(SECRET))
    };
    assert_eq!(
        config.build().unwrap().signing_kid().as_deref(),
        Some("hs-2026")
    );
    let toml_config: JwtConfig = toml::from_str(&format!(
        "algorithm = \"HS256\"\nsecret = \"{SECRET}\"\nkey_id = \"hs-2026\""
    ))
    .unwrap();
    assert_eq!(
        toml_config.build().unwrap().signing_kid().as_deref(),
        Some("hs-2026")
    );
}

#[test]
fn secrets_can_be_bytes_given_as_base64() {
    // Random bytes, not UTF-8: impossible to write as `secret`.
    let raw: Vec<u8> = (0u8..48).map(|i| i.wrapping_mul(37) ^ 0xA5).collect();
    assert!(std::str::from_utf8(&raw).is_err());
    let expected = SigningKey::from_secret(Algorithm::HS256, &raw, None).unwrap();
    for encoded in [
        STANDARD.encode(&raw),
        URL_SAFE_NO_PAD.encode(&raw),
        format!("  {}\n", STANDARD.encode(&raw)),
    ] {
        let config: JwtConfig = toml::from_str(&format!(
            "algorithm = \"HS256\"\nsecret_base64 = \"\"\"{encoded}\"\"\""
        ))
        .unwrap();
        let auth = config.build().unwrap();
        assert_eq!(auth.signing_kid().as_deref(), Some(expected.kid()));
    }
    // The same bytes given in code.
    let auth = hs256(Secret::from_bytes(raw.clone())).build().unwrap();
    assert_eq!(auth.signing_kid().as_deref(), Some(expected.kid()));
    // 32 bytes encode with `=` padding, accepted with or without it.
    let raw = [0xFEu8; 32];
    let expected = SigningKey::from_secret(Algorithm::HS256, &raw, None).unwrap();
    let padded = STANDARD.encode(raw);
    assert!(padded.ends_with('='));
    for encoded in [padded.clone(), padded.trim_end_matches('=').to_owned()] {
        let secret = Secret::from_base64(&encoded).unwrap();
        let auth = hs256(secret).build().unwrap();
        assert_eq!(
            auth.signing_kid().as_deref(),
            Some(expected.kid()),
            "{encoded}"
        );
    }
}

#[test]
fn bad_or_doubled_base64_secrets_are_config_errors_that_quote_nothing() {
    let config: JwtConfig =
        toml::from_str("algorithm = \"HS256\"\nsecret_base64 = \"not*base64*secret-material\"")
            .unwrap();
    let err = config.build().unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Invalid {
                name: "secret_base64",
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.to_string().contains("secret-material"), "{err}");
    let both = JwtConfig {
        secret_base64: Some(Secret::new(STANDARD.encode([1u8; 32]))),
        ..hs256(Secret::new(SECRET))
    };
    assert!(matches!(
        both.build().unwrap_err(),
        ConfigError::Invalid {
            name: "secret_base64",
            ..
        }
    ));
    // Too short once decoded: 31 bytes.
    let short = JwtConfig {
        secret: None,
        secret_base64: Some(Secret::new(STANDARD.encode([1u8; 31]))),
        ..hs256(Secret::new(SECRET))
    };
    assert!(matches!(
        short.build().unwrap_err(),
        ConfigError::SecretTooShort { actual: 31, .. }
    ));
    // Not for asymmetric algorithms.
    let es = JwtConfig {
        secret_base64: Some(Secret::new(STANDARD.encode([1u8; 32]))),
        ..JwtConfig::default()
    };
    assert!(matches!(
        es.build().unwrap_err(),
        ConfigError::Invalid { name: "secret", .. }
    ));
}

#[test]
fn rsa_bits_are_configurable_but_never_below_2048() {
    for bits in [1024, 2047] {
        let config = JwtConfig {
            algorithm: Algorithm::RS256,
            rsa_bits: bits,
            ..JwtConfig::default()
        };
        assert!(
            matches!(
                config.build().unwrap_err(),
                ConfigError::Invalid {
                    name: "rsa_bits",
                    ..
                }
            ),
            "{bits}"
        );
    }
    // Checked whatever the algorithm, so the mistake shows before the switch to RSA.
    let es = JwtConfig {
        rsa_bits: 1024,
        ..JwtConfig::default()
    };
    assert!(matches!(
        es.build().unwrap_err(),
        ConfigError::Invalid {
            name: "rsa_bits",
            ..
        }
    ));
    assert_eq!(JwtConfig::default().rsa_bits, 4096);
    let config: JwtConfig = toml::from_str("algorithm = \"PS256\"\nrsa_bits = 2048").unwrap();
    let auth = config.build().unwrap();
    let jwk = auth.jwks().keys.remove(0);
    assert_eq!(jwk_thumbprint(&jwk).unwrap(), auth.signing_kid().unwrap());
}

fn round_trip(key: SigningKey) -> (String, JwtVerifier) {
    let keys = KeySet::new(key);
    let issuer = JwtIssuer::builder(keys.clone())
        .issuer(ISS)
        .build()
        .unwrap();
    let verifier = JwtVerifier::builder(keys).issuer(ISS).build().unwrap();
    let token = issuer
        .issue_access(&TokenRequest::new("alice"))
        .unwrap()
        .token;
    (token, verifier)
}

#[test]
fn pss_tokens_round_trip_with_their_own_algorithm_only() {
    let pem = &rsa_pems().0;
    for alg in [Algorithm::PS256, Algorithm::PS384, Algorithm::PS512] {
        let key = SigningKey::from_pem(alg, pem.as_bytes(), Some("pss".into())).unwrap();
        let (token, verifier) = round_trip(key);
        let header = token.split('.').next().unwrap();
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
        assert_eq!(header["alg"], alg.as_str());
        let claims = verifier.verify_stateless(&token, TokenUse::Access).unwrap();
        assert_eq!(claims.subject(), "alice");

        // The same RSA key bound to another PSS hash refuses the token.
        for other in [
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
            Algorithm::RS256,
        ] {
            if other == alg {
                continue;
            }
            let mut jwk = VerificationKey::from_public_pem(other, rsa_pems().1.as_bytes(), "pss")
                .unwrap()
                .public_jwk()
                .unwrap()
                .clone();
            jwk.common.key_id = Some("pss".into());
            let keys =
                KeySet::verify_only([VerificationKey::from_jwk(&jwk, None).unwrap()]).unwrap();
            let strict = JwtVerifier::builder(keys).issuer(ISS).build().unwrap();
            assert_eq!(
                strict
                    .verify_stateless(&token, TokenUse::Access)
                    .unwrap_err(),
                AuthError::AlgorithmMismatch,
                "{alg} token, {other} key"
            );
        }
    }
}

#[test]
fn pss_keys_are_generated_and_published_with_their_algorithm() {
    for alg in [Algorithm::PS384, Algorithm::PS512] {
        let key = SigningKey::generate_with_rsa_bits(alg, 2048).unwrap();
        let jwk = key.verification_key().public_jwk().unwrap().clone();
        assert_eq!(
            serde_json::to_value(&jwk).unwrap()["alg"],
            alg.as_str(),
            "the JWKS names the algorithm"
        );
        assert_eq!(
            VerificationKey::from_jwk(&jwk, None).unwrap().algorithm(),
            alg
        );
        let (token, verifier) = round_trip(key);
        assert!(verifier.verify_stateless(&token, TokenUse::Access).is_ok());
    }
}
