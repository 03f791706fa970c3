//! Building the whole JWT setup from one serde config.

use crate::error::ConfigError;
use crate::jwks::JwksService;
use crate::jwt::algorithm::Algorithm;
use crate::jwt::issue::JwtIssuer;
use crate::jwt::key_set::KeySet;
use crate::jwt::keys::SigningKey;
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
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret string (its UTF-8 bytes are the HMAC key).
    pub fn new(secret: impl Into<String>) -> Self {
        Self(Zeroizing::new(secret.into()))
    }

    fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::new)
    }
}

/// JWT settings, as read from TOML or any serde format. Every field has a
/// safe default; unknown fields are an error (a typo must not silently drop
/// a setting).
///
/// ```
/// let config: rampart_auth::JwtConfig = toml::from_str(r#"
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
    /// HMAC secret (HS256/384/512 only), at least as many bytes as the hash
    /// (32/48/64); shorter is a config error.
    pub secret: Option<Secret>,
    /// PEM private key file for asymmetric algorithms. Without one, a key is
    /// generated at start (tokens then do not survive a restart).
    pub private_key_file: Option<PathBuf>,
    /// Key id. Default: the key's RFC 7638 thumbprint (random for HMAC).
    pub key_id: Option<String>,
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
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
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
            private_key_file: None,
            key_id: None,
            issuer: None,
            audience: Vec::new(),
            access_ttl_secs: 900,
            refresh_ttl_secs: 14 * 24 * 3600,
            leeway_secs: 30,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            refresh_grace_secs: 0,
            refresh_family_lifetime_secs: crate::refresh::DEFAULT_FAMILY_LIFETIME.as_secs(),
            fail_mode: FailMode::Closed,
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
    pub fn events(mut self, sink: SharedSink) -> Self {
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
        let key = self.signing_key()?;
        let keys = KeySet::new(key);
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
        let mut verifier = JwtVerifier::builder(keys.clone())
            .audience(self.audience.iter().cloned())
            .leeway(Duration::from_secs(self.leeway_secs))
            .max_token_bytes(self.max_token_bytes)
            .revocation(revocations)
            .fail_mode(self.fail_mode)
            .clock(runtime.clock)
            .events(runtime.sink);
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
        Ok(JwtAuthority { keys, tokens })
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
            let secret = self.secret.as_ref().ok_or(ConfigError::Invalid {
                name: "secret",
                reason: format!(
                    "{alg} needs a `secret` of at least {} bytes",
                    alg.min_secret_len()
                ),
            })?;
            let kid = self
                .key_id
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
            return SigningKey::hmac(alg, secret.bytes(), kid);
        }
        if self.secret.is_some() {
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
            None => SigningKey::generate(alg),
        }
    }
}

/// Everything the JWT side of an application needs, built from a
/// [`JwtConfig`]: keys, token manager (issuer + verifier + stores), JWKS and layer.
#[derive(Debug, Clone)]
pub struct JwtAuthority {
    keys: KeySet,
    tokens: TokenManager,
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

    /// A tower service serving the JWKS document.
    pub fn jwks_service(&self) -> JwksService {
        JwksService::new(self.keys.clone())
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
