//! Key ids derived from the key itself.
//!
//! The verifier refuses a `kid` it does not know, so a key id picked at random
//! per process kills every token on restart, and two instances sharing one
//! key refuse each other's tokens. A kid computed from the key is the same
//! wherever and whenever the key is loaded.

use super::algorithm::Algorithm;
use crate::error::ConfigError;
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, ThumbprintHash};

const MAX_KID_LEN: usize = 128;

/// Bytes of the HMAC output kept in a secret's key id: 128 bits make an
/// accidental collision between two secrets out of reach.
const SECRET_KID_BYTES: usize = 16;

pub(crate) fn check_kid(kid: &str) -> Result<(), ConfigError> {
    if kid.is_empty() || kid.len() > MAX_KID_LEN {
        return Err(ConfigError::InvalidKid(format!(
            "a key id must have 1 to {MAX_KID_LEN} bytes"
        )));
    }
    if !kid.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ConfigError::InvalidKid(
            "a key id must be printable ASCII without spaces".into(),
        ));
    }
    Ok(())
}

/// The RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key: the key
/// id rampart gives an asymmetric key when none is configured, so every
/// instance loading the same key file agrees on it, and a relying party can
/// recompute it from the published JWK.
///
/// Symmetric (`oct`) JWKs are refused: their thumbprint would be an unkeyed
/// hash of the secret.
///
/// ```
/// use rampart::auth::{Algorithm, SigningKey, jwk_thumbprint};
///
/// let key = SigningKey::generate(Algorithm::ES256)?;
/// let jwk = key.verification_key().public_jwk().expect("an EC key is public");
/// assert_eq!(jwk_thumbprint(jwk)?, key.kid());
/// # Ok::<(), rampart::auth::ConfigError>(())
/// ```
pub fn jwk_thumbprint(jwk: &Jwk) -> Result<String, ConfigError> {
    if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
        return Err(ConfigError::InvalidKey {
            alg: "unknown",
            reason: "a symmetric key has no public thumbprint".into(),
        });
    }
    jwk.thumbprint(ThumbprintHash::SHA256)
        .map_err(|e| ConfigError::InvalidKey {
            alg: "unknown",
            reason: format!("cannot compute the JWK thumbprint: {e}"),
        })
}

/// The key id of an HMAC secret: HMAC-SHA256 under the secret of a fixed
/// label naming the algorithm, truncated to 128 bits, base64url.
///
/// Keyed rather than a plain hash so the published-in-every-token kid gives
/// an attacker nothing to test guesses of the secret against that a token's
/// own signature does not already give. The algorithm is in the label so one
/// secret used for HS256 and HS512 yields two ids.
pub(crate) fn secret_kid(alg: Algorithm, secret: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let label = format!("rampart-auth key id v1 {alg}");
    let tag = hmac::sign(&key, label.as_bytes());
    let truncated = tag.as_ref().get(..SECRET_KID_BYTES).unwrap_or(tag.as_ref());
    URL_SAFE_NO_PAD.encode(truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7638 §3.1: the RSA key of RFC 7517 appendix A.1 and its published thumbprint.
    const RFC7638_JWK: &str = r#"{
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29"
    }"#;
    const RFC7638_THUMBPRINT: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

    #[test]
    fn thumbprint_matches_rfc_7638() {
        let jwk: Jwk = serde_json::from_str(RFC7638_JWK).unwrap();
        assert_eq!(jwk_thumbprint(&jwk).unwrap(), RFC7638_THUMBPRINT);
    }

    #[test]
    fn symmetric_jwks_have_no_thumbprint() {
        let jwk: Jwk = serde_json::from_str(r#"{"kty":"oct","k":"c2VjcmV0"}"#).unwrap();
        assert!(matches!(
            jwk_thumbprint(&jwk),
            Err(ConfigError::InvalidKey { .. })
        ));
    }

    #[test]
    fn secret_kids_are_stable_distinct_and_opaque() {
        let a = secret_kid(Algorithm::HS256, &[1; 32]);
        assert_eq!(a, secret_kid(Algorithm::HS256, &[1; 32]));
        assert_ne!(a, secret_kid(Algorithm::HS256, &[2; 32]));
        assert_ne!(a, secret_kid(Algorithm::HS512, &[1; 32]));
        // 16 bytes in unpadded base64url.
        assert_eq!(a.len(), 22);
        assert!(check_kid(&a).is_ok());
        // Pinned (computed independently with Python's hmac module): a change
        // of derivation would orphan every deployed token.
        assert_eq!(
            secret_kid(Algorithm::HS256, b"0123456789abcdef0123456789abcdef"),
            "nmITRNUxNTkuQ8H7z3HaKw"
        );
    }
}
