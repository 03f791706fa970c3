//! Keys bound to one algorithm and one `kid`, and the rotating set that holds them.
//!
//! Binding each key to exactly one algorithm is what defeats algorithm
//! confusion: a token's `alg` must equal its key's, so an RSA public key can
//! never be fed to HMAC as a "secret", and an HMAC key never checks an
//! asymmetric signature.

use super::algorithm::{Algorithm, Family};
use crate::error::ConfigError;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
};
use base64::Engine;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse, ThumbprintHash,
};
use jsonwebtoken::{DecodingKey, EncodingKey};
use std::fmt;
use zeroize::Zeroizing;

const MAX_KID_LEN: usize = 128;

fn check_kid(kid: &str) -> Result<(), ConfigError> {
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

/// `openssl ecparam -genkey` writes SEC1 (`BEGIN EC PRIVATE KEY`), which
/// jsonwebtoken does not read; aws-lc-rs parses it and re-exports PKCS#8.
/// `None` when the PEM is not SEC1.
fn sec1_to_pkcs8(alg: Algorithm, pem: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, ConfigError> {
    const BEGIN: &str = "-----BEGIN EC PRIVATE KEY-----";
    const END: &str = "-----END EC PRIVATE KEY-----";
    let Ok(text) = std::str::from_utf8(pem) else {
        return Ok(None);
    };
    let Some(body) = text
        .split_once(BEGIN)
        .and_then(|(_, rest)| rest.split_once(END))
        .map(|(body, _)| body)
    else {
        return Ok(None);
    };
    let compact: Zeroizing<String> =
        Zeroizing::new(body.chars().filter(|c| !c.is_whitespace()).collect());
    let der = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|_| invalid(alg, "the EC PRIVATE KEY block is not base64"))?,
    );
    let signing = if alg == Algorithm::ES256 {
        &ECDSA_P256_SHA256_FIXED_SIGNING
    } else {
        &ECDSA_P384_SHA384_FIXED_SIGNING
    };
    let pair = EcdsaKeyPair::from_private_key_der(signing, &der)
        .map_err(|_| invalid(alg, format!("the EC PRIVATE KEY is not a {alg} key")))?;
    let pkcs8 = pair
        .to_pkcs8v1()
        .map_err(|_| invalid(alg, "the EC PRIVATE KEY cannot be exported"))?;
    Ok(Some(Zeroizing::new(pkcs8.as_ref().to_vec())))
}

fn invalid(alg: Algorithm, reason: impl fmt::Display) -> ConfigError {
    ConfigError::InvalidKey {
        alg: alg.as_str(),
        reason: reason.to_string(),
    }
}

/// A key that verifies tokens of exactly one algorithm.
///
/// Asymmetric keys hold only public material and can be published in a JWKS;
/// HMAC keys hold the shared secret (zeroized on drop, never published).
#[derive(Clone)]
pub struct VerificationKey {
    pub(crate) kid: String,
    alg: Algorithm,
    decoding: DecodingKey,
    public_jwk: Option<Jwk>,
}

impl fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerificationKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl VerificationKey {
    /// An HMAC key. The secret must be at least as long as the hash output
    /// (32, 48 or 64 bytes for HS256, HS384, HS512: RFC 7518 §3.2).
    pub fn hmac(
        alg: Algorithm,
        secret: &[u8],
        kid: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        let kid = kid.into();
        check_kid(&kid)?;
        check_secret(alg, secret)?;
        Ok(Self {
            kid,
            alg,
            decoding: DecodingKey::from_secret(secret),
            public_jwk: None,
        })
    }

    /// A public key in PEM form (`-----BEGIN PUBLIC KEY-----`) for an asymmetric algorithm.
    pub fn from_public_pem(
        alg: Algorithm,
        pem: &[u8],
        kid: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        let kid = kid.into();
        check_kid(&kid)?;
        let decoding = match alg.family() {
            Family::Hmac => {
                return Err(invalid(
                    alg,
                    "a public key is never an HMAC secret: use VerificationKey::hmac",
                ));
            }
            Family::Rsa => DecodingKey::from_rsa_pem(pem),
            Family::Ec => DecodingKey::from_ec_pem(pem),
            Family::Ed => DecodingKey::from_ed_pem(pem),
        }
        .map_err(|e| invalid(alg, e))?;
        let mut jwk = Jwk::from_decoding_key(&decoding, Some(alg.to_jsonwebtoken()))
            .map_err(|e| invalid(alg, e))?;
        check_curve(alg, &jwk)?;
        publishable(&mut jwk, &kid);
        Ok(Self {
            kid,
            alg,
            decoding,
            public_jwk: Some(jwk),
        })
    }

    /// A public key from a JWK, as found in a provider's JWKS.
    ///
    /// The JWK must carry a `kid` and an `alg` (or `default_alg` is used), its
    /// key type must fit that algorithm, and `use`, if present, must be `sig`.
    /// Symmetric (`oct`) JWKs are refused: a published key is public, so
    /// treating it as an HMAC secret would let anyone sign.
    pub fn from_jwk(jwk: &Jwk, default_alg: Option<Algorithm>) -> Result<Self, ConfigError> {
        let kid = jwk
            .common
            .key_id
            .clone()
            .ok_or_else(|| ConfigError::InvalidKid("the JWK has no `kid`".into()))?;
        check_kid(&kid)?;
        let alg = match jwk.common.key_algorithm {
            Some(ka) => from_key_algorithm(ka).ok_or_else(|| ConfigError::InvalidKey {
                alg: "unknown",
                reason: format!("JWK `{kid}` has an unsupported `alg`"),
            })?,
            None => default_alg.ok_or_else(|| ConfigError::InvalidKey {
                alg: "unknown",
                reason: format!("JWK `{kid}` has no `alg` and no default was given"),
            })?,
        };
        if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
            return Err(invalid(alg, format!("JWK `{kid}` is not a signing key")));
        }
        let fits = matches!(
            (alg.family(), &jwk.algorithm),
            (Family::Rsa, AlgorithmParameters::RSA(_))
                | (Family::Ec, AlgorithmParameters::EllipticCurve(_))
                | (Family::Ed, AlgorithmParameters::OctetKeyPair(_))
        );
        if !fits {
            return Err(invalid(
                alg,
                format!("JWK `{kid}` has a key type that does not fit its algorithm"),
            ));
        }
        check_curve(alg, jwk)?;
        let decoding = DecodingKey::from_jwk(jwk).map_err(|e| invalid(alg, e))?;
        let mut public = Jwk {
            common: Default::default(),
            algorithm: jwk.algorithm.clone(),
        };
        public.common.key_algorithm = Some(alg.to_jsonwebtoken().into());
        publishable(&mut public, &kid);
        Ok(Self {
            kid,
            alg,
            decoding,
            public_jwk: Some(public),
        })
    }

    /// The key id tokens name in their `kid` header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The one algorithm this key verifies.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The public JWK, or `None` for an HMAC key (a secret is never published).
    pub fn public_jwk(&self) -> Option<&Jwk> {
        self.public_jwk.as_ref()
    }

    pub(crate) fn decoding(&self) -> &DecodingKey {
        &self.decoding
    }
}

/// A private key (or HMAC secret) that signs tokens, with its verification half.
pub struct SigningKey {
    pub(crate) kid: String,
    alg: Algorithm,
    encoding: EncodingKey,
    pub(crate) verification: VerificationKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl SigningKey {
    /// A fresh random key for `alg`, generated with aws-lc-rs. Asymmetric keys
    /// get their RFC 7638 thumbprint as `kid`; HMAC keys (64 random bytes) a random id.
    ///
    /// A generated key lives only in memory: tokens it signed stop verifying
    /// when the process restarts. Load a PEM file to keep sessions across restarts.
    pub fn generate(alg: Algorithm) -> Result<Self, ConfigError> {
        match alg.family() {
            Family::Hmac => {
                let mut secret = Zeroizing::new([0u8; 64]);
                SystemRandom::new()
                    .fill(secret.as_mut())
                    .map_err(|_| invalid(alg, "the system random generator failed"))?;
                Self::hmac(alg, secret.as_ref(), random_kid())
            }
            Family::Ec => {
                let signing = if alg == Algorithm::ES256 {
                    &ECDSA_P256_SHA256_FIXED_SIGNING
                } else {
                    &ECDSA_P384_SHA384_FIXED_SIGNING
                };
                let pair = EcdsaKeyPair::generate(signing)
                    .map_err(|_| invalid(alg, "generation failed"))?;
                let der = pair
                    .to_pkcs8v1()
                    .map_err(|_| invalid(alg, "export failed"))?;
                Self::from_encoding(alg, EncodingKey::from_ec_der(der.as_ref()), None)
            }
            Family::Ed => {
                let pair =
                    Ed25519KeyPair::generate().map_err(|_| invalid(alg, "generation failed"))?;
                let der = pair
                    .to_pkcs8v1()
                    .map_err(|_| invalid(alg, "export failed"))?;
                Self::from_encoding(alg, EncodingKey::from_ed_der(der.as_ref()), None)
            }
            Family::Rsa => {
                let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                    .map_err(|_| invalid(alg, "generation failed"))?;
                let der = pair.as_der().map_err(|_| invalid(alg, "export failed"))?;
                let body = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
                let pem = Zeroizing::new(format!(
                    "-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n"
                ));
                Self::from_pem(alg, pem.as_bytes(), None)
            }
        }
    }

    /// An HMAC signing key from a shared secret of at least the hash's length.
    pub fn hmac(
        alg: Algorithm,
        secret: &[u8],
        kid: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        let verification = VerificationKey::hmac(alg, secret, kid)?;
        Ok(Self {
            kid: verification.kid.clone(),
            alg,
            encoding: EncodingKey::from_secret(secret),
            verification,
        })
    }

    /// A private key in PEM form (PKCS#8 for EC and Ed25519; PKCS#1 or PKCS#8 for RSA).
    /// Without `kid`, the key's RFC 7638 thumbprint is used, so every instance
    /// loading the same file agrees on it.
    pub fn from_pem(alg: Algorithm, pem: &[u8], kid: Option<String>) -> Result<Self, ConfigError> {
        let encoding = match alg.family() {
            Family::Hmac => {
                return Err(invalid(
                    alg,
                    "HMAC keys are secrets, not PEM files: use SigningKey::hmac",
                ));
            }
            Family::Rsa => EncodingKey::from_rsa_pem(pem),
            Family::Ec => match sec1_to_pkcs8(alg, pem)? {
                Some(pkcs8) => Ok(EncodingKey::from_ec_der(pkcs8.as_ref())),
                None => EncodingKey::from_ec_pem(pem),
            },
            Family::Ed => EncodingKey::from_ed_pem(pem),
        }
        .map_err(|e| {
            invalid(
                alg,
                format!("{e}; expected a PKCS#8 PEM (BEGIN PRIVATE KEY) for {alg}"),
            )
        })?;
        Self::from_encoding(alg, encoding, kid)
    }

    fn from_encoding(
        alg: Algorithm,
        encoding: EncodingKey,
        kid: Option<String>,
    ) -> Result<Self, ConfigError> {
        // Sign once now so a key that does not fit its algorithm (wrong curve,
        // RSA under 2048 bits) fails at start-up rather than on the first login.
        jsonwebtoken::crypto::sign(b"rampart key check", &encoding, alg.to_jsonwebtoken())
            .map_err(|e| invalid(alg, e))?;
        let mut jwk = Jwk::from_encoding_key(&encoding, alg.to_jsonwebtoken())
            .map_err(|e| invalid(alg, e))?;
        let kid = match kid {
            Some(kid) => kid,
            None => jwk
                .thumbprint(ThumbprintHash::SHA256)
                .map_err(|e| invalid(alg, e))?,
        };
        check_kid(&kid)?;
        publishable(&mut jwk, &kid);
        let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| invalid(alg, e))?;
        Ok(Self {
            verification: VerificationKey {
                kid: kid.clone(),
                alg,
                decoding,
                public_jwk: Some(jwk),
            },
            kid,
            alg,
            encoding,
        })
    }

    /// The key id written into the `kid` header of every token this key signs.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The one algorithm this key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The verification half (public key, or the same secret for HMAC).
    pub fn verification_key(&self) -> &VerificationKey {
        &self.verification
    }

    pub(crate) fn encoding(&self) -> &EncodingKey {
        &self.encoding
    }
}

fn check_secret(alg: Algorithm, secret: &[u8]) -> Result<(), ConfigError> {
    if !alg.is_symmetric() {
        return Err(invalid(alg, "not an HMAC algorithm"));
    }
    if secret.len() < alg.min_secret_len() {
        return Err(ConfigError::SecretTooShort {
            alg: alg.as_str(),
            actual: secret.len(),
            min: alg.min_secret_len(),
        });
    }
    Ok(())
}

fn check_curve(alg: Algorithm, jwk: &Jwk) -> Result<(), ConfigError> {
    let want = match alg {
        Algorithm::ES256 => EllipticCurve::P256,
        Algorithm::ES384 => EllipticCurve::P384,
        Algorithm::EdDSA => EllipticCurve::Ed25519,
        _ => return Ok(()),
    };
    let curve = match &jwk.algorithm {
        AlgorithmParameters::EllipticCurve(p) => &p.curve,
        AlgorithmParameters::OctetKeyPair(p) => &p.curve,
        _ => return Err(invalid(alg, "key type does not fit the algorithm")),
    };
    if *curve != want {
        return Err(invalid(alg, "the key's curve does not fit the algorithm"));
    }
    Ok(())
}

fn publishable(jwk: &mut Jwk, kid: &str) {
    jwk.common.key_id = Some(kid.to_owned());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
}

fn from_key_algorithm(ka: KeyAlgorithm) -> Option<Algorithm> {
    Some(match ka {
        KeyAlgorithm::RS256 => Algorithm::RS256,
        KeyAlgorithm::RS384 => Algorithm::RS384,
        KeyAlgorithm::RS512 => Algorithm::RS512,
        KeyAlgorithm::PS256 => Algorithm::PS256,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
}

fn random_kid() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_hmac_secrets_are_refused() {
        let err = SigningKey::hmac(Algorithm::HS256, &[7; 31], "k").unwrap_err();
        assert!(matches!(err, ConfigError::SecretTooShort { min: 32, .. }));
        assert!(SigningKey::hmac(Algorithm::HS256, &[7; 32], "k").is_ok());
        assert!(SigningKey::hmac(Algorithm::HS512, &[7; 32], "k").is_err());
    }

    #[test]
    fn every_algorithm_generates_a_working_key() {
        for alg in Algorithm::ALL {
            let key = SigningKey::generate(alg).unwrap();
            assert_eq!(key.algorithm(), alg);
            assert_eq!(
                key.verification_key().public_jwk().is_some(),
                !alg.is_symmetric()
            );
        }
    }

    #[test]
    fn debug_never_prints_key_material() {
        let key =
            SigningKey::hmac(Algorithm::HS256, b"0123456789abcdef0123456789abcdef", "k1").unwrap();
        let text = format!("{key:?} {:?}", key.verification_key());
        assert!(text.contains("[redacted]"));
        assert!(!text.contains("0123456789"));
    }

    #[test]
    fn bad_kids_are_refused() {
        for kid in ["", "has space", "line\nbreak", &"x".repeat(129)] {
            assert!(
                SigningKey::hmac(Algorithm::HS256, &[1; 32], kid).is_err(),
                "{kid:?}"
            );
        }
    }

    fn sec1_pem(signing: &'static aws_lc_rs::signature::EcdsaSigningAlgorithm) -> String {
        let pair = EcdsaKeyPair::generate(signing).unwrap();
        let der = pair.private_key().as_der().unwrap();
        format!(
            "-----BEGIN EC PRIVATE KEY-----\n{}\n-----END EC PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(der.as_ref())
        )
    }

    #[test]
    fn sec1_ec_keys_load_and_must_match_the_curve() {
        let p256 = sec1_pem(&ECDSA_P256_SHA256_FIXED_SIGNING);
        let key = SigningKey::from_pem(Algorithm::ES256, p256.as_bytes(), None).unwrap();
        assert_eq!(key.algorithm(), Algorithm::ES256);
        let err = SigningKey::from_pem(Algorithm::ES384, p256.as_bytes(), None).unwrap_err();
        assert!(err.to_string().contains("not a ES384 key"), "{err}");
        let garbage = "-----BEGIN EC PRIVATE KEY-----\n!!!\n-----END EC PRIVATE KEY-----\n";
        assert!(SigningKey::from_pem(Algorithm::ES256, garbage.as_bytes(), None).is_err());
    }
}
