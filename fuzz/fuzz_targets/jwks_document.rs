//! JWKS documents as a provider publishes them, over arbitrary bytes: never
//! panics; every key accepted keeps the document's `kid`, is asymmetric and
//! publishes no secret member; and keys from a document the fuzzer wrote
//! never verify a token signed by a key it does not hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_auth::{
    Algorithm, JwkSet, JwtIssuer, JwtVerifier, KeySet, SigningKey, TokenRequest, TokenUse,
    VerificationKey,
};
use std::sync::LazyLock;

/// A token signed by a key generated in this process, known to nobody else.
static TOKEN: LazyLock<Option<String>> = LazyLock::new(|| {
    let keys = KeySet::new(SigningKey::generate(Algorithm::ES256).ok()?);
    let issuer = JwtIssuer::builder(keys).issuer("fuzz").build().ok()?;
    Some(issuer.issue_access(&TokenRequest::new("fuzz")).ok()?.token)
});

fuzz_target!(|data: &[u8]| {
    let Ok(set) = serde_json::from_slice::<JwkSet>(data) else {
        return;
    };
    let mut accepted = Vec::new();
    for jwk in &set.keys {
        for default in [
            None,
            Some(Algorithm::ES256),
            Some(Algorithm::RS256),
            Some(Algorithm::EdDSA),
        ] {
            let Ok(key) = VerificationKey::from_jwk(jwk, default) else {
                continue;
            };
            assert_eq!(Some(key.kid()), jwk.common.key_id.as_deref());
            assert!(
                !matches!(
                    key.algorithm(),
                    Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
                ),
                "a published key became an HMAC secret"
            );
            if let Some(public) = key.public_jwk() {
                let json = serde_json::to_value(public).unwrap_or_default();
                for secret in ["d", "p", "q", "dp", "dq", "qi", "k"] {
                    assert!(json.get(secret).is_none(), "published member {secret}");
                }
            }
            accepted.push(key);
        }
    }
    let Some(token) = TOKEN.as_ref() else {
        return;
    };
    // Several keys may share a kid; keep those the set takes.
    let keys = KeySet::verify_only(std::iter::empty()).ok();
    let Some(keys) = keys else {
        return;
    };
    for key in accepted {
        let _ = keys.add_verification_key(key);
    }
    if let Ok(verifier) = JwtVerifier::builder(keys).issuer("fuzz").build() {
        assert!(verifier.verify_stateless(token, TokenUse::Access).is_err());
    }
});
