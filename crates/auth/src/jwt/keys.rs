//! Keys bound to one algorithm and one `kid`, and the rotating set that holds them.
//!
//! Binding each key to exactly one algorithm is what defeats algorithm
//! confusion: a token's `alg` must equal its key's, so an RSA public key can
//! never be fed to HMAC as a "secret", and an HMAC key never checks an
//! asymmetric signature.

use super::algorithm::{Algorithm, Family};
use super::key_id::{check_kid, jwk_thumbprint, secret_kid};
use crate::error::ConfigError;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
};
use base64::Engine;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse,
};
use jsonwebtoken::{DecodingKey, EncodingKey};
use std::fmt;
use zeroize::Zeroizing;

/// The RSA modulus sizes aws-lc generates. Under 2048 bits is refused: such
/// keys are within reach of factoring (NIST SP 800-131A disallows them).
pub(crate) fn rsa_key_size(bits: u32) -> Result<aws_lc_rs::rsa::KeySize, ConfigError> {
    use aws_lc_rs::rsa::KeySize;
    match bits {
        2048 => Ok(KeySize::Rsa2048),
        3072 => Ok(KeySize::Rsa3072),
        4096 => Ok(KeySize::Rsa4096),
        8192 => Ok(KeySize::Rsa8192),
        b if b < SigningKey::MIN_RSA_BITS => Err(ConfigError::Invalid {
            name: "rsa_bits",
            reason: format!(
                "{b}-bit RSA keys are too weak: use at least {} (default {})",
                SigningKey::MIN_RSA_BITS,
                SigningKey::DEFAULT_RSA_BITS
            ),
        }),
        b => Err(ConfigError::Invalid {
            name: "rsa_bits",
            reason: format!("{b} is not a generated RSA size: use 2048, 3072, 4096 or 8192"),
        }),
    }
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

    /// An HMAC key whose `kid`, when `None`, is derived from the secret (a keyed
    /// hash that does not reveal it), so every instance sharing the secret
    /// agrees on it across restarts.
    pub fn from_secret(
        alg: Algorithm,
        secret: &[u8],
        kid: Option<String>,
    ) -> Result<Self, ConfigError> {
        check_secret(alg, secret)?;
        let kid = kid.unwrap_or_else(|| secret_kid(alg, secret));
        Self::hmac(alg, secret, kid)
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
    /// The JWK must carry a `kid` and an `alg`, or, without `alg`, is bound to
    /// `default_alg` (the algorithm the caller expects from this issuer):
    /// either way the key verifies exactly one algorithm and a token's header
    /// never chooses it. Without `alg` and without `default_alg` the JWK is
    /// refused. Its key type (and curve) must fit the algorithm; `use`, if
    /// present, must be `sig`, and `key_ops`, if present, must include
    /// `verify`. Symmetric (`oct`) JWKs are refused: a published key is
    /// public, so treating it as an HMAC secret would let anyone sign.
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
        if matches!(jwk.common.key_operations, Some(ref ops) if !ops.contains(&KeyOperations::Verify))
        {
            return Err(invalid(
                alg,
                format!("JWK `{kid}` has `key_ops` without `verify`"),
            ));
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
    /// RSA modulus size of generated keys unless configured otherwise.
    pub const DEFAULT_RSA_BITS: u32 = 4096;
    /// Smallest RSA modulus generated or accepted in configuration.
    pub const MIN_RSA_BITS: u32 = 2048;

    /// A fresh random key for `alg`, generated with aws-lc-rs (RSA keys with
    /// [`DEFAULT_RSA_BITS`](Self::DEFAULT_RSA_BITS)). Asymmetric keys get
    /// their RFC 7638 thumbprint as `kid`; HMAC keys (64 random bytes) the id
    /// derived from the secret.
    ///
    /// A generated key lives only in memory: tokens it signed stop verifying
    /// when the process restarts. Load a PEM file to keep sessions across restarts.
    pub fn generate(alg: Algorithm) -> Result<Self, ConfigError> {
        Self::generate_with_rsa_bits(alg, Self::DEFAULT_RSA_BITS)
    }

    /// Like [`generate`](Self::generate), with an RSA modulus of `rsa_bits`
    /// (2048, 3072, 4096 or 8192; smaller is refused). Ignored for other
    /// algorithms, but still checked, so a bad setting never waits for the
    /// day the algorithm changes.
    pub fn generate_with_rsa_bits(alg: Algorithm, rsa_bits: u32) -> Result<Self, ConfigError> {
        let size = rsa_key_size(rsa_bits)?;
        match alg.family() {
            Family::Hmac => {
                let mut secret = Zeroizing::new([0u8; 64]);
                SystemRandom::new()
                    .fill(secret.as_mut())
                    .map_err(|_| invalid(alg, "the system random generator failed"))?;
                Self::from_secret(alg, secret.as_ref(), None)
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
                let pair = aws_lc_rs::rsa::KeyPair::generate(size)
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

    /// An HMAC signing key from a shared secret of at least the hash's length,
    /// with the `kid` derived from the secret when `None` (see
    /// [`VerificationKey::from_secret`]).
    pub fn from_secret(
        alg: Algorithm,
        secret: &[u8],
        kid: Option<String>,
    ) -> Result<Self, ConfigError> {
        check_secret(alg, secret)?;
        let kid = kid.unwrap_or_else(|| secret_kid(alg, secret));
        Self::hmac(alg, secret, kid)
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
            None => jwk_thumbprint(&jwk)?,
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
        KeyAlgorithm::PS384 => Algorithm::PS384,
        KeyAlgorithm::PS512 => Algorithm::PS512,
        KeyAlgorithm::ES256 => Algorithm::ES256,
        KeyAlgorithm::ES384 => Algorithm::ES384,
        KeyAlgorithm::EdDSA => Algorithm::EdDSA,
        _ => return None,
    })
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
        assert!(SigningKey::hmac(Algorithm::HS384, &[7; 47], "k").is_err());
        assert!(SigningKey::hmac(Algorithm::HS384, &[7; 48], "k").is_ok());
        assert!(SigningKey::hmac(Algorithm::HS512, &[7; 63], "k").is_err());
        assert!(SigningKey::hmac(Algorithm::HS512, &[7; 64], "k").is_ok());
    }

    #[test]
    fn every_algorithm_generates_a_working_key() {
        for alg in Algorithm::ALL {
            // 2048 bits: the size is not what is tested here, and 4096 is slow.
            let key = SigningKey::generate_with_rsa_bits(alg, 2048).unwrap();
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
        for text in [format!("{key:?}"), format!("{:?}", key.verification_key())] {
            assert!(text.contains("[redacted]") && text.contains("k1"), "{text}");
            assert!(!text.contains("0123456789"), "{text}");
        }
    }

    #[test]
    fn kids_of_1_to_128_printable_bytes_are_accepted() {
        for kid in ["k", &"x".repeat(128), "a~!#$%&'()*+,-./:;<=>?@[]^_`{|}"] {
            assert!(
                SigningKey::hmac(Algorithm::HS256, &[1; 32], kid).is_ok(),
                "{kid:?}"
            );
        }
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

    #[test]
    fn generated_rsa_keys_default_to_4096_bits() {
        assert_eq!(SigningKey::DEFAULT_RSA_BITS, 4096);
        fn modulus_bytes(key: &SigningKey) -> usize {
            let Some(AlgorithmParameters::RSA(rsa)) =
                key.verification_key().public_jwk().map(|j| &j.algorithm)
            else {
                panic!("not an RSA key");
            };
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(&rsa.n)
                .unwrap()
                .len()
        }
        // The one real 4096-bit generation of the suite (about a second in debug).
        assert_eq!(
            modulus_bytes(&SigningKey::generate(Algorithm::RS256).unwrap()),
            512
        );
        let small = SigningKey::generate_with_rsa_bits(Algorithm::PS256, 2048).unwrap();
        assert_eq!(modulus_bytes(&small), 256);
    }

    #[test]
    fn rsa_sizes_under_2048_or_unsupported_are_refused() {
        for (bits, says) in [
            (1024, "too weak"),
            (2047, "too weak"),
            (0, "too weak"),
            (5000, "not a generated"),
        ] {
            // Checked for every algorithm, so a bad setting fails before the day it is used.
            for alg in [Algorithm::RS256, Algorithm::ES256] {
                let err = SigningKey::generate_with_rsa_bits(alg, bits).unwrap_err();
                assert!(
                    matches!(&err, ConfigError::Invalid { name: "rsa_bits", reason } if reason.contains(says)),
                    "{bits}: {err}"
                );
            }
        }
        for bits in [2048, 3072, 4096, 8192] {
            assert!(rsa_key_size(bits).is_ok(), "{bits}");
        }
    }

    #[test]
    fn hmac_kids_are_derived_from_the_secret_unless_given() {
        let a = SigningKey::from_secret(Algorithm::HS256, &[9; 32], None).unwrap();
        let b = SigningKey::from_secret(Algorithm::HS256, &[9; 32], None).unwrap();
        let c = SigningKey::from_secret(Algorithm::HS256, &[8; 32], None).unwrap();
        assert_eq!(a.kid(), b.kid());
        assert_ne!(a.kid(), c.kid());
        assert_eq!(a.kid(), secret_kid(Algorithm::HS256, &[9; 32]));
        let v = VerificationKey::from_secret(Algorithm::HS256, &[9; 32], None).unwrap();
        assert_eq!(v.kid(), a.kid());
        let named = SigningKey::from_secret(Algorithm::HS256, &[9; 32], Some("k1".into())).unwrap();
        assert_eq!(named.kid(), "k1");
        // The secret is still checked before anything is derived from it.
        assert!(matches!(
            SigningKey::from_secret(Algorithm::HS256, &[9; 31], None),
            Err(ConfigError::SecretTooShort { .. })
        ));
        assert!(VerificationKey::from_secret(Algorithm::ES256, &[9; 32], None).is_err());
        // Generated secrets get a derived kid too (22 base64url characters).
        assert_eq!(
            SigningKey::generate(Algorithm::HS256).unwrap().kid().len(),
            22
        );
    }

    #[test]
    fn asymmetric_kids_are_rfc_7638_thumbprints() {
        let key = SigningKey::generate(Algorithm::EdDSA).unwrap();
        let jwk = key.verification_key().public_jwk().unwrap();
        assert_eq!(key.kid(), jwk_thumbprint(jwk).unwrap());
    }

    fn cookbook_rsa_jwk() -> Jwk {
        serde_json::from_str(&rampart_test_support::corpus(
            "jwt/rfc7520_cookbook/jwk/3_3.rsa_public_key.json",
        ))
        .unwrap()
    }

    #[test]
    fn a_jwk_without_alg_is_bound_to_the_given_algorithm_only() {
        // RFC 7520 §3.3: an RSA key published with `use` but without `alg`.
        let jwk = cookbook_rsa_jwk();
        assert!(jwk.common.key_algorithm.is_none());
        assert!(VerificationKey::from_jwk(&jwk, None).is_err());
        assert!(VerificationKey::from_jwk(&jwk, Some(Algorithm::ES256)).is_err());
        let key = VerificationKey::from_jwk(&jwk, Some(Algorithm::PS384)).unwrap();
        assert_eq!(key.algorithm(), Algorithm::PS384);
        assert_eq!(key.kid(), "bilbo.baggins@hobbiton.example");
        // A JWK that states its `alg` keeps it whatever the default.
        let mut stated = jwk.clone();
        stated.common.key_algorithm = Some(KeyAlgorithm::PS512);
        let key = VerificationKey::from_jwk(&stated, Some(Algorithm::RS256)).unwrap();
        assert_eq!(key.algorithm(), Algorithm::PS512);
    }

    #[test]
    fn rfc_7520_ps384_signature_verifies() {
        let case: serde_json::Value = serde_json::from_str(&rampart_test_support::corpus(
            "jwt/rfc7520_cookbook/jws/4_2.rsa-pss_signature.json",
        ))
        .unwrap();
        let compact = case["output"]["compact"].as_str().unwrap();
        let (message, signature) = compact.rsplit_once('.').unwrap();
        let key = VerificationKey::from_jwk(&cookbook_rsa_jwk(), Some(Algorithm::PS384)).unwrap();
        let verify = |alg: Algorithm, message: &str| {
            jsonwebtoken::crypto::verify(
                signature,
                message.as_bytes(),
                key.decoding(),
                alg.to_jsonwebtoken(),
            )
            .unwrap_or(false)
        };
        assert!(verify(Algorithm::PS384, message));
        assert!(!verify(Algorithm::PS512, message));
        assert!(!verify(Algorithm::PS384, &message.replace('S', "T")));
    }

    #[test]
    fn key_ops_must_include_verify() {
        let mut jwk = cookbook_rsa_jwk();
        jwk.common.public_key_use = None;
        jwk.common.key_operations = Some(vec![KeyOperations::Encrypt, KeyOperations::WrapKey]);
        let err = VerificationKey::from_jwk(&jwk, Some(Algorithm::RS256)).unwrap_err();
        assert!(err.to_string().contains("key_ops"), "{err}");
        jwk.common.key_operations = Some(vec![KeyOperations::Sign]);
        assert!(VerificationKey::from_jwk(&jwk, Some(Algorithm::RS256)).is_err());
        jwk.common.key_operations = Some(vec![KeyOperations::Verify]);
        assert!(VerificationKey::from_jwk(&jwk, Some(Algorithm::RS256)).is_ok());
        // As `use: enc` is.
        jwk.common.key_operations = None;
        jwk.common.public_key_use = Some(PublicKeyUse::Encryption);
        let err = VerificationKey::from_jwk(&jwk, Some(Algorithm::RS256)).unwrap_err();
        assert!(err.to_string().contains("not a signing key"), "{err}");
    }

    fn public_jwk(alg: Algorithm) -> Jwk {
        let mut jwk = SigningKey::generate(alg)
            .unwrap()
            .verification_key()
            .public_jwk()
            .unwrap()
            .clone();
        jwk.common.key_algorithm = None;
        jwk
    }

    #[test]
    fn a_jwk_must_be_on_its_algorithms_curve() {
        let (p256, p384, ed) = (
            public_jwk(Algorithm::ES256),
            public_jwk(Algorithm::ES384),
            public_jwk(Algorithm::EdDSA),
        );
        for (jwk, alg) in [
            (&p256, Algorithm::ES256),
            (&p384, Algorithm::ES384),
            (&ed, Algorithm::EdDSA),
        ] {
            assert_eq!(
                VerificationKey::from_jwk(jwk, Some(alg))
                    .unwrap()
                    .algorithm(),
                alg
            );
        }
        for (jwk, alg) in [(&p256, Algorithm::ES384), (&p384, Algorithm::ES256)] {
            let err = VerificationKey::from_jwk(jwk, Some(alg)).unwrap_err();
            assert!(err.to_string().contains("curve"), "{alg}: {err}");
        }
        // An OKP key on a curve that is not Ed25519.
        let mut odd = ed.clone();
        if let AlgorithmParameters::OctetKeyPair(p) = &mut odd.algorithm {
            p.curve = EllipticCurve::P256;
        }
        let err = VerificationKey::from_jwk(&odd, Some(Algorithm::EdDSA)).unwrap_err();
        assert!(err.to_string().contains("curve"), "{err}");
        // check_curve on its own: a key type that has no curve.
        assert!(check_curve(Algorithm::ES256, &cookbook_rsa_jwk()).is_err());
        assert!(check_curve(Algorithm::RS256, &cookbook_rsa_jwk()).is_ok());
    }

    #[test]
    fn pss_algorithms_in_a_jwk_are_recognised() {
        for (ka, alg) in [
            (KeyAlgorithm::RS256, Algorithm::RS256),
            (KeyAlgorithm::RS384, Algorithm::RS384),
            (KeyAlgorithm::RS512, Algorithm::RS512),
            (KeyAlgorithm::ES256, Algorithm::ES256),
            (KeyAlgorithm::ES384, Algorithm::ES384),
            (KeyAlgorithm::EdDSA, Algorithm::EdDSA),
            (KeyAlgorithm::PS256, Algorithm::PS256),
            (KeyAlgorithm::PS384, Algorithm::PS384),
            (KeyAlgorithm::PS512, Algorithm::PS512),
        ] {
            assert_eq!(from_key_algorithm(ka), Some(alg));
        }
        assert_eq!(from_key_algorithm(KeyAlgorithm::HS256), None);
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
