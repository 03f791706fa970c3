//! Building the whole JWT setup from one serde config.

use crate::error::ConfigError;
use crate::jwks::JwksService;
use crate::jwt::algorithm::Algorithm;
use crate::jwt::issue::JwtIssuer;
use crate::jwt::key_set::KeySet;
use crate::jwt::keys::{SigningKey, rsa_key_size};
use crate::jwt::rotation::KeyRotation;
use crate::jwt::verify::{DEFAULT_MAX_TOKEN_BYTES, JwtVerifier};
use crate::layer::JwtAuthLayer;
use crate::refresh::TokenManager;
use crate::revalidate::{Revalidate, RevalidationPolicy};
use crate::revocation::{FailMode, MemoryStore, SharedFamilyStore, SharedRevocationStore};
use jsonwebtoken::jwk::JwkSet;
use rampart_core::{SharedClock, SharedSink, SystemClock, TracingSink};
use serde::{Deserialize, Deserializer};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use zeroize::Zeroizing;

/// An HMAC secret read from configuration: zeroized on drop, never printed.
///
/// Held as bytes: a secret from `openssl rand 32` is not UTF-8 text. In a
/// config file, write it as text (`secret`) or as base64 (`secret_base64`).
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Wraps a secret string (its UTF-8 bytes are the HMAC key).
    pub fn new(secret: impl Into<String>) -> Self {
        Self(Zeroizing::new(secret.into().into_bytes()))
    }

    /// Wraps raw secret bytes.
    pub fn from_bytes(secret: impl Into<Vec<u8>>) -> Self {
        Self(Zeroizing::new(secret.into()))
    }

    /// Decodes a base64 secret (standard or URL-safe alphabet, padding
    /// optional, surrounding whitespace ignored). The error never quotes the input.
    pub fn from_base64(encoded: impl AsRef<[u8]>) -> Result<Self, ConfigError> {
        use base64::Engine;
        use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
        let mut trimmed = encoded.as_ref().trim_ascii();
        while let Some(rest) = trimmed.strip_suffix(b"=") {
            trimmed = rest;
        }
        STANDARD_NO_PAD
            .decode(trimmed)
            .or_else(|_| URL_SAFE_NO_PAD.decode(trimmed))
            .map(Self::from_bytes)
            .map_err(|_| ConfigError::Invalid {
                name: "secret_base64",
                reason: "not valid base64 (standard or URL-safe alphabet)".into(),
            })
    }

    fn bytes(&self) -> &[u8] {
        self.0.as_slice()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        Ok(Self::new(text.as_str()))
    }
}

/// JWT settings, as read from TOML or any serde format. Every field has a
/// safe default; unknown fields are an error (a typo must not silently drop
/// a setting).
///
/// ```
/// let config: rampart::auth::JwtConfig = toml::from_str(r#"
///     algorithm = "HS256"
///     secret = "an-hmac-secret-of-at-least-32-bytes!!"
///     issuer = "https://api.example.com"
///     audience = ["api"]
///     access_ttl_secs = 600
/// "#)?;
/// let auth = config.build()?;
/// assert!(auth.signing_kid().is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JwtConfig {
    /// Signing algorithm. Default `ES256`.
    pub algorithm: Algorithm,
    /// HMAC secret (HS256/384/512 only) as text, whose UTF-8 bytes are the
    /// key: at least as many bytes as the hash (32/48/64); shorter is a config
    /// error.
    pub secret: Option<Secret>,
    /// The HMAC secret as base64 instead (`openssl rand -base64 48`), for
    /// secrets that are random bytes rather than text. Setting both this and
    /// `secret` is a config error.
    pub secret_base64: Option<Secret>,
    /// PEM private key file for asymmetric algorithms. Without one, a key is
    /// generated at start (tokens then do not survive a restart).
    pub private_key_file: Option<PathBuf>,
    /// Key id. Default: derived from the key, so every instance and every
    /// restart agrees on it: the RFC 7638 thumbprint of a public key, or a
    /// keyed hash of an HMAC secret (which does not reveal it).
    pub key_id: Option<String>,
    /// Modulus size of generated RSA keys (no `private_key_file`). Default
    /// 4096; 2048, 3072 and 8192 are accepted, smaller is a config error.
    pub rsa_bits: u32,
    /// Rotate the signing key when it is this many seconds old (e.g.
    /// 2 592 000, 30 days): a new key is generated and published in the JWKS,
    /// activated `rotation_publish_delay_secs` later, and the old key retired
    /// once the last token it signed has expired. Only for generated keys
    /// (not with `secret` or `private_key_file`, which name one fixed key).
    /// Default: none.
    pub rotate_after_secs: Option<u64>,
    /// Seconds a rotated-in key is published before it signs, so relying
    /// parties' JWKS caches learn it first. Default 600 (twice the JWKS
    /// document's `max-age`).
    pub rotation_publish_delay_secs: u64,
    /// `iss` written and required. Default: none.
    pub issuer: Option<String>,
    /// `aud` written and required (one of them); a string or a list. Default: none.
    #[serde(deserialize_with = "one_or_many")]
    pub audience: Vec<String>,
    /// Access-token lifetime in seconds. Default 900 (15 min).
    pub access_ttl_secs: u64,
    /// Refresh-token lifetime in seconds. Default 1 209 600 (14 days).
    pub refresh_ttl_secs: u64,
    /// Clock-skew leeway in seconds. Default 30, at most 300.
    pub leeway_secs: u64,
    /// Largest accepted token. Default 8192.
    pub max_token_bytes: usize,
    /// Seconds a just-rotated refresh token is still accepted. Default 0.
    pub refresh_grace_secs: u64,
    /// Absolute lifetime of a sign-in in seconds: refreshing never extends
    /// a refresh family past it. Default 2 592 000 (30 days), at least 60.
    pub refresh_family_lifetime_secs: u64,
    /// What happens when the revocation store fails. Default `closed`.
    pub fail_mode: FailMode,
    /// Verified access tokens remembered so that a token presented again is
    /// a lookup, not a signature check; 0 turns it off. Default 10,000
    /// (see [`JwtVerifierBuilder::verified_cache`](crate::JwtVerifierBuilder::verified_cache)).
    pub verified_cache: usize,
}

pub(crate) fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match crate::Audience::deserialize(d)? {
        crate::Audience::One(a) => vec![a],
        crate::Audience::Many(all) => all,
    })
}

impl Default for JwtConfig {
    fn default() -> Self {
        Self {
            algorithm: Algorithm::ES256,
            secret: None,
            secret_base64: None,
            private_key_file: None,
            key_id: None,
            rsa_bits: SigningKey::DEFAULT_RSA_BITS,
            rotate_after_secs: None,
            rotation_publish_delay_secs: 600,
            issuer: None,
            audience: Vec::new(),
            access_ttl_secs: 900,
            refresh_ttl_secs: 14 * 24 * 3600,
            leeway_secs: 30,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            refresh_grace_secs: 0,
            refresh_family_lifetime_secs: crate::refresh::DEFAULT_FAMILY_LIFETIME.as_secs(),
            fail_mode: FailMode::Closed,
            verified_cache: crate::DEFAULT_VERIFIED_CACHE,
        }
    }
}

/// What [`JwtConfig::build_with`] plugs in: clock, event sink, stores and
/// the refresh re-validation hook.
/// Default: system clock, `tracing` sink, one shared [`MemoryStore`], and no
/// re-validation choice, with which every refresh is refused
/// ([`RefreshError::RevalidationUnset`](crate::RefreshError::RevalidationUnset)):
/// set [`revalidate`](Self::revalidate) to use refresh tokens.
#[derive(Clone)]
pub struct JwtRuntime {
    clock: SharedClock,
    sink: SharedSink,
    stores: Option<(SharedRevocationStore, SharedFamilyStore)>,
    revalidation: RevalidationPolicy,
}

impl Default for JwtRuntime {
    fn default() -> Self {
        Self {
            clock: SystemClock::shared(),
            sink: TracingSink::shared(),
            stores: None,
            revalidation: RevalidationPolicy::Unset,
        }
    }
}

impl JwtRuntime {
    /// Uses `clock` for every expiry.
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Reports events to `sink`.
    #[must_use]
    pub fn event_sink(mut self, sink: SharedSink) -> Self {
        self.sink = sink;
        self
    }

    /// Keeps revocations and refresh families in `store` (a `RedisStore` when
    /// several instances share sessions).
    #[must_use]
    pub fn store<T>(mut self, store: Arc<T>) -> Self
    where
        T: crate::RevocationStore + crate::FamilyStore,
    {
        self.stores = Some((store.clone(), store));
        self
    }

    /// Re-checks the user on every refresh with `hook` (see
    /// [`TokenManagerBuilder::revalidate`](crate::TokenManagerBuilder::revalidate)).
    #[must_use]
    pub fn revalidate(mut self, hook: impl Revalidate) -> Self {
        self.revalidation = RevalidationPolicy::Hook(Arc::new(hook));
        self
    }

    /// Refreshes copy tenant and roles from the old token, never asking the
    /// application (see
    /// [`TokenManagerBuilder::insecure_skip_revalidation`](crate::TokenManagerBuilder::insecure_skip_revalidation)).
    #[must_use]
    pub fn insecure_skip_revalidation(mut self) -> Self {
        self.revalidation = RevalidationPolicy::Skip;
        self
    }
}

impl JwtConfig {
    /// Builds everything with an in-memory store and the system clock.
    pub fn build(&self) -> Result<JwtAuthority, ConfigError> {
        self.build_with(JwtRuntime::default())
    }

    /// Builds everything with the given clock, sink and store.
    pub fn build_with(&self, runtime: JwtRuntime) -> Result<JwtAuthority, ConfigError> {
        rsa_key_size(self.rsa_bits)?;
        self.check_rotation_source()?;
        let key = self.signing_key()?;
        let keys = KeySet::new(key);
        let rotation = self.rotation(&keys, &runtime)?;
        let (revocations, families) = match runtime.stores {
            Some(stores) => stores,
            None => {
                let store = Arc::new(MemoryStore::new(runtime.clock.clone()));
                (
                    store.clone() as SharedRevocationStore,
                    store as SharedFamilyStore,
                )
            }
        };
        let mut issuer = JwtIssuer::builder(keys.clone())
            .audience(self.audience.iter().cloned())
            .access_ttl(Duration::from_secs(self.access_ttl_secs))
            .refresh_ttl(Duration::from_secs(self.refresh_ttl_secs))
            .clock(runtime.clock.clone());
        if let Some(rotation) = &rotation {
            issuer = issuer.rotation(rotation.clone());
        }
        let mut verifier = JwtVerifier::builder(keys.clone())
            .audience(self.audience.iter().cloned())
            .leeway(Duration::from_secs(self.leeway_secs))
            .max_token_bytes(self.max_token_bytes)
            .revocation(revocations)
            .fail_mode(self.fail_mode)
            .verified_cache(self.verified_cache)
            .clock(runtime.clock)
            .event_sink(runtime.sink);
        if let Some(iss) = &self.issuer {
            issuer = issuer.issuer(iss.clone());
            verifier = verifier.issuer(iss.clone());
        }
        let issuer = issuer.build()?;
        let verifier = verifier.build()?;
        let tokens = TokenManager::builder(issuer, verifier, families)
            .refresh_grace(Duration::from_secs(self.refresh_grace_secs))
            .family_lifetime(Duration::from_secs(self.refresh_family_lifetime_secs))
            .revalidation_policy(runtime.revalidation)
            .build_unchecked()?;
        Ok(JwtAuthority {
            keys,
            tokens,
            rotation,
        })
    }

    /// The age-based rotation, when `rotate_after_secs` is set: replaced keys
    /// stay until the longest-lived token they signed (a refresh token, plus
    /// leeway) has expired.
    fn rotation(
        &self,
        keys: &KeySet,
        runtime: &JwtRuntime,
    ) -> Result<Option<KeyRotation>, ConfigError> {
        let Some(age) = self.rotate_after_secs else {
            return Ok(None);
        };
        let retire_after = self
            .refresh_ttl_secs
            .max(self.access_ttl_secs)
            .saturating_add(self.leeway_secs);
        KeyRotation::builder(keys.clone())
            .rotate_after(Duration::from_secs(age))
            .publish_delay(Duration::from_secs(self.rotation_publish_delay_secs))
            .retire_after(Duration::from_secs(retire_after))
            .rsa_bits(self.rsa_bits)
            .clock(runtime.clock.clone())
            .event_sink(runtime.sink.clone())
            .build()
            .map(Some)
    }

    /// Rotation generates keys, so it cannot apply to a key the config names.
    fn check_rotation_source(&self) -> Result<(), ConfigError> {
        if self.rotate_after_secs.is_none() {
            return Ok(());
        }
        let fixed = if self.secret.is_some() || self.secret_base64.is_some() {
            Some("a configured `secret`")
        } else if self.private_key_file.is_some() {
            Some("a `private_key_file`")
        } else {
            None
        };
        if let Some(fixed) = fixed {
            return Err(ConfigError::Invalid {
                name: "rotate_after_secs",
                reason: format!(
                    "{fixed} names one fixed key, and a key generated in its place would be lost on restart; rotate it by deploying a new one, or leave the key to be generated"
                ),
            });
        }
        Ok(())
    }

    fn signing_key(&self) -> Result<SigningKey, ConfigError> {
        let alg = self.algorithm;
        if alg.is_symmetric() {
            if self.private_key_file.is_some() {
                return Err(ConfigError::Invalid {
                    name: "private_key_file",
                    reason: format!("{alg} uses `secret`, not a key file"),
                });
            }
            let decoded;
            let secret = match (&self.secret, &self.secret_base64) {
                (Some(text), None) => text,
                (None, Some(encoded)) => {
                    decoded = Secret::from_base64(encoded.bytes())?;
                    &decoded
                }
                (Some(_), Some(_)) => {
                    return Err(ConfigError::Invalid {
                        name: "secret_base64",
                        reason: "set `secret` or `secret_base64`, not both".into(),
                    });
                }
                (None, None) => {
                    return Err(ConfigError::Invalid {
                        name: "secret",
                        reason: format!(
                            "{alg} needs a `secret` (or `secret_base64`) of at least {} bytes",
                            alg.min_secret_len()
                        ),
                    });
                }
            };
            return SigningKey::from_secret(alg, secret.bytes(), self.key_id.clone());
        }
        if self.secret.is_some() || self.secret_base64.is_some() {
            return Err(ConfigError::Invalid {
                name: "secret",
                reason: format!("{alg} signs with a private key; `secret` is for HS256/384/512"),
            });
        }
        match &self.private_key_file {
            Some(path) => {
                let pem =
                    Zeroizing::new(std::fs::read(path).map_err(|e| ConfigError::KeyFile {
                        path: path.display().to_string(),
                        reason: e.to_string(),
                    })?);
                SigningKey::from_pem(alg, &pem, self.key_id.clone())
            }
            None => SigningKey::generate_with_rsa_bits(alg, self.rsa_bits),
        }
    }
}

/// Everything the JWT side of an application needs, built from a
/// [`JwtConfig`]: keys, token manager (issuer + verifier + stores), JWKS and layer.
#[derive(Debug, Clone)]
pub struct JwtAuthority {
    keys: KeySet,
    tokens: TokenManager,
    rotation: Option<KeyRotation>,
}

impl JwtAuthority {
    /// Issue pairs, refresh, log out.
    pub fn tokens(&self) -> &TokenManager {
        &self.tokens
    }

    /// The verifier (revocation-checking).
    pub fn verifier(&self) -> &JwtVerifier {
        self.tokens.verifier()
    }

    /// The issuer.
    pub fn issuer(&self) -> &JwtIssuer {
        self.tokens.issuer()
    }

    /// The key set, for rotation.
    pub fn keys(&self) -> &KeySet {
        &self.keys
    }

    /// The active signing key's id (worth printing at start-up).
    pub fn signing_kid(&self) -> Option<String> {
        self.keys.signing_kid()
    }

    /// The public keys as a JWKS document.
    pub fn jwks(&self) -> JwkSet {
        self.keys.jwks()
    }

    /// The age-based key rotation, when configured (`rotate_after_secs`).
    /// Issuing and serving the JWKS already drive it; call
    /// [`tick`](KeyRotation::tick) from a timer to keep key generation off
    /// the request path.
    pub fn rotation(&self) -> Option<&KeyRotation> {
        self.rotation.as_ref()
    }

    /// A tower service serving the JWKS document (driving the rotation, if any).
    pub fn jwks_service(&self) -> JwksService {
        let service = JwksService::new(self.keys.clone());
        match &self.rotation {
            Some(rotation) => service.rotation(rotation.clone()),
            None => service,
        }
    }

    /// A layer authenticating requests with this verifier.
    pub fn layer(&self) -> JwtAuthLayer {
        JwtAuthLayer::new(self.verifier().clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> JwtConfig {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn default_is_es256_with_a_generated_key() {
        let auth = JwtConfig::default().build().unwrap();
        assert_eq!(auth.jwks().keys.len(), 1);
    }

    #[test]
    fn short_secret_is_a_config_error() {
        let cfg = parse("algorithm = \"HS256\"\nsecret = \"too-short\"");
        assert!(matches!(
            cfg.build().unwrap_err(),
            ConfigError::SecretTooShort { .. }
        ));
        let cfg = parse("algorithm = \"HS256\"");
        assert!(matches!(
            cfg.build().unwrap_err(),
            ConfigError::Invalid { name: "secret", .. }
        ));
    }

    #[test]
    fn audience_is_one_or_many() {
        assert_eq!(parse("audience = \"api\"").audience, ["api"]);
        assert_eq!(parse("audience = [\"a\", \"b\"]").audience, ["a", "b"]);
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let cfg =
            parse("algorithm = \"HS256\"\nsecret = \"a-very-secret-secret-of-32-bytes-or-more\"");
        assert!(!format!("{cfg:?}").contains("very-secret"));
        assert!(format!("{cfg:?}").contains("[redacted]"));
    }

    #[test]
    fn unknown_fields_and_missing_files_are_refused() {
        assert!(toml::from_str::<JwtConfig>("algoritm = \"HS256\"").is_err());
        let cfg = parse("private_key_file = \"/nonexistent/key.pem\"");
        assert!(matches!(
            cfg.build().unwrap_err(),
            ConfigError::KeyFile { .. }
        ));
    }

    #[test]
    fn pem_file_keys_load_with_a_stable_kid() {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
        use base64::Engine;
        let der = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .unwrap()
            .to_pkcs8v1()
            .unwrap();
        let body = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        let pem = format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n");
        let dir = std::env::temp_dir().join(format!("rampart-auth-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("key.pem");
        std::fs::write(&path, pem).unwrap();
        let cfg = JwtConfig {
            private_key_file: Some(path.clone()),
            ..JwtConfig::default()
        };
        let a = cfg.build().unwrap().signing_kid();
        let b = cfg.build().unwrap().signing_kid();
        assert_eq!(a, b);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
