//! Keys bound to one algorithm and one `kid`, and the rotating set that holds them.
//!
//! Binding each key to exactly one algorithm is what defeats algorithm
//! confusion: a token's `alg` must equal its key's, so an RSA public key can
//! never be fed to HMAC as a "secret", and an HMAC key never checks an
//! asymmetric signature.

use super::algorithm::{Algorithm, Family};
use crate::error::ConfigError;
use arc_swap::ArcSwap;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
};
use base64::Engine;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse, ThumbprintHash,
};
use jsonwebtoken::{DecodingKey, EncodingKey};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
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
    kid: String,
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
    kid: String,
    alg: Algorithm,
    encoding: EncodingKey,
    verification: VerificationKey,
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
            Family::Ec => EncodingKey::from_ec_pem(pem),
            Family::Ed => EncodingKey::from_ed_pem(pem),
        }
        .map_err(|e| invalid(alg, e))?;
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

pub(crate) struct Snapshot {
    pub(crate) signing: Option<Arc<SigningKey>>,
    pub(crate) verifying: HashMap<String, Arc<VerificationKey>>,
    staged: HashMap<String, Arc<SigningKey>>,
}

/// The keys of one issuer: one active signing key, any number of
/// verification keys, shared by the issuer, the verifier and the JWKS handler.
///
/// Rotation without failed requests, in three steps spaced by the JWKS cache
/// lifetime and the longest token lifetime:
///
/// 1. [`publish`](Self::publish) the new key: it verifies and appears in the
///    JWKS, but does not sign yet, so relying parties' caches learn it first;
/// 2. [`activate`](Self::activate) it: new tokens carry its `kid`; the old key
///    keeps verifying the tokens it signed;
/// 3. [`retire`](Self::retire) the old key once its last token has expired.
///
/// ```
/// use rampart_auth::{Algorithm, KeySet, SigningKey};
///
/// let keys = KeySet::new(SigningKey::generate(Algorithm::ES256)?);
/// let old = keys.signing_kid().unwrap();
/// let next = SigningKey::generate(Algorithm::ES256)?;
/// let next_kid = next.kid().to_owned();
/// keys.publish(next)?;
/// assert_eq!(keys.jwks().keys.len(), 2);
/// keys.activate(&next_kid)?;
/// keys.retire(&old)?;
/// assert_eq!(keys.signing_kid().as_deref(), Some(next_kid.as_str()));
/// # Ok::<(), rampart_auth::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct KeySet {
    snapshot: Arc<ArcSwap<Snapshot>>,
    writer: Arc<Mutex<()>>,
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let snap = self.snapshot.load();
        f.debug_struct("KeySet")
            .field("signing", &snap.signing.as_ref().map(|k| k.kid()))
            .field("verifying", &snap.verifying.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl KeySet {
    /// A set whose one key signs and verifies.
    pub fn new(signing: SigningKey) -> Self {
        let signing = Arc::new(signing);
        let mut verifying = HashMap::new();
        verifying.insert(signing.kid.clone(), Arc::new(signing.verification.clone()));
        let mut staged = HashMap::new();
        staged.insert(signing.kid.clone(), signing.clone());
        Self::from_snapshot(Snapshot {
            signing: Some(signing),
            verifying,
            staged,
        })
    }

    /// A set that only verifies (a resource server trusting another issuer).
    pub fn verify_only(
        keys: impl IntoIterator<Item = VerificationKey>,
    ) -> Result<Self, ConfigError> {
        let set = Self::from_snapshot(Snapshot {
            signing: None,
            verifying: HashMap::new(),
            staged: HashMap::new(),
        });
        for key in keys {
            set.add_verification_key(key)?;
        }
        Ok(set)
    }

    /// A set with no keys, filled later (a remote JWKS).
    #[cfg_attr(not(feature = "remote-jwks"), allow(dead_code))]
    pub(crate) fn empty() -> Self {
        Self::from_snapshot(Snapshot {
            signing: None,
            verifying: HashMap::new(),
            staged: HashMap::new(),
        })
    }

    fn from_snapshot(snapshot: Snapshot) -> Self {
        Self {
            snapshot: Arc::new(ArcSwap::from_pointee(snapshot)),
            writer: Arc::new(Mutex::new(())),
        }
    }

    fn update(
        &self,
        change: impl FnOnce(&Snapshot) -> Result<Snapshot, ConfigError>,
    ) -> Result<(), ConfigError> {
        let _guard = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let next = change(&self.snapshot.load())?;
        self.snapshot.store(Arc::new(next));
        Ok(())
    }

    /// Adds a signing key that verifies and is published, but does not sign yet.
    pub fn publish(&self, key: SigningKey) -> Result<(), ConfigError> {
        let key = Arc::new(key);
        self.update(|snap| {
            if snap.verifying.contains_key(&key.kid) {
                return Err(ConfigError::InvalidKid(format!(
                    "`{}` is already in the set",
                    key.kid
                )));
            }
            let mut verifying = snap.verifying.clone();
            verifying.insert(key.kid.clone(), Arc::new(key.verification.clone()));
            let mut staged = snap.staged.clone();
            staged.insert(key.kid.clone(), key.clone());
            Ok(Snapshot {
                signing: snap.signing.clone(),
                verifying,
                staged,
            })
        })
    }

    /// Adds a key that only verifies (another issuer's public key, or an old
    /// key whose private half is gone).
    pub fn add_verification_key(&self, key: VerificationKey) -> Result<(), ConfigError> {
        self.update(|snap| {
            if snap.verifying.contains_key(&key.kid) {
                return Err(ConfigError::InvalidKid(format!(
                    "`{}` is already in the set",
                    key.kid
                )));
            }
            let mut verifying = snap.verifying.clone();
            verifying.insert(key.kid.clone(), Arc::new(key));
            Ok(Snapshot {
                signing: snap.signing.clone(),
                verifying,
                staged: snap.staged.clone(),
            })
        })
    }

    /// Makes a published key the one that signs new tokens.
    pub fn activate(&self, kid: &str) -> Result<(), ConfigError> {
        self.update(|snap| {
            let key = snap
                .staged
                .get(kid)
                .ok_or_else(|| ConfigError::UnknownKid(kid.to_owned()))?;
            Ok(Snapshot {
                signing: Some(key.clone()),
                verifying: snap.verifying.clone(),
                staged: snap.staged.clone(),
            })
        })
    }

    /// Removes a key: tokens naming it no longer verify and it leaves the JWKS.
    pub fn retire(&self, kid: &str) -> Result<(), ConfigError> {
        self.update(|snap| {
            if snap.signing.as_ref().is_some_and(|k| k.kid == kid) {
                return Err(ConfigError::RetiringActiveKey(kid.to_owned()));
            }
            if !snap.verifying.contains_key(kid) {
                return Err(ConfigError::UnknownKid(kid.to_owned()));
            }
            let mut verifying = snap.verifying.clone();
            verifying.remove(kid);
            let mut staged = snap.staged.clone();
            staged.remove(kid);
            Ok(Snapshot {
                signing: snap.signing.clone(),
                verifying,
                staged,
            })
        })
    }

    /// The `kid` of the key that signs new tokens (print it at start-up).
    pub fn signing_kid(&self) -> Option<String> {
        self.snapshot.load().signing.as_ref().map(|k| k.kid.clone())
    }

    /// The public keys as a JWKS document (RFC 7517), sorted by `kid`. HMAC keys are never included.
    pub fn jwks(&self) -> JwkSet {
        let snap = self.snapshot.load();
        let mut keys: Vec<Jwk> = snap
            .verifying
            .values()
            .filter_map(|k| k.public_jwk.clone())
            .collect();
        keys.sort_by(|a, b| a.common.key_id.cmp(&b.common.key_id));
        JwkSet { keys }
    }

    /// Replaces every verification-only key at once (a fetched JWKS), keeping
    /// this set's own signing keys.
    #[cfg_attr(not(feature = "remote-jwks"), allow(dead_code))]
    pub(crate) fn replace_verification_keys(&self, keys: Vec<VerificationKey>) {
        let _ = self.update(|snap| {
            let mut verifying: HashMap<String, Arc<VerificationKey>> = snap
                .staged
                .iter()
                .map(|(kid, k)| (kid.clone(), Arc::new(k.verification.clone())))
                .collect();
            for key in keys {
                verifying
                    .entry(key.kid.clone())
                    .or_insert_with(|| Arc::new(key));
            }
            Ok(Snapshot {
                signing: snap.signing.clone(),
                verifying,
                staged: snap.staged.clone(),
            })
        });
    }

    pub(crate) fn load(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.snapshot.load()
    }
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
    fn rotation_rules() {
        let keys = KeySet::new(SigningKey::generate(Algorithm::EdDSA).unwrap());
        let first = keys.signing_kid().unwrap();
        assert!(matches!(
            keys.retire(&first),
            Err(ConfigError::RetiringActiveKey(_))
        ));
        assert!(matches!(
            keys.activate("nope"),
            Err(ConfigError::UnknownKid(_))
        ));
        let hmac = SigningKey::hmac(Algorithm::HS256, &[1; 32], "shared").unwrap();
        keys.publish(hmac).unwrap();
        // The HMAC secret verifies but is never published.
        assert_eq!(keys.jwks().keys.len(), 1);
        assert!(keys.load().verifying.contains_key("shared"));
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
}
