//! Envelope encryption: data keys wrapped by a key-encryption key that lives
//! elsewhere (a file, an environment variable, a KMS, Vault).
//!
//! The field keys of a [`Keyring`] are *data keys*. They are stored only in
//! wrapped form, next to the data, and unwrapped once when the service
//! starts; the key that wraps them never leaves its [`KeyProvider`]. Changing
//! the master key then means re-wrapping a few data keys, not re-encrypting
//! every field.

use crate::error::{ConfigError, CryptoError};
use crate::key::{FieldKey, KEY_LEN, KeyId, decode_secret};
use crate::keyring::{KeyStatus, Keyring};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::path::Path;
use zeroize::Zeroizing;

/// Wraps and unwraps data keys with a key-encryption key it keeps to itself.
///
/// Called when a keyring is loaded or a key is rotated, never per field, so a
/// blocking network call is acceptable (from async code, load keyrings in
/// `spawn_blocking` or at start-up).
///
/// # Implementing it for a KMS or Vault
///
/// - **AWS KMS / GCP KMS / Azure Key Vault**: `wrap` calls `Encrypt` with the
///   32 key bytes as plaintext and an encryption context holding the data
///   key id (`{"rampart_key_id": "<id>"}`), and returns the service's
///   ciphertext blob; `unwrap` calls `Decrypt` with the same context, so a
///   blob relabelled with another key id is refused by the KMS. Alternatively
///   `GenerateDataKey` can mint the data key itself.
/// - **HashiCorp Vault transit**: `transit/encrypt/<name>` with `context`
///   set to the base64 key id (derived keys) and the key bytes as
///   `plaintext`; store the returned `vault:v1:...` string as the blob.
///
/// Start the blob with a version byte of your own, as [`LocalMasterKey`]
/// does, so the format can change later. Never log the unwrapped key; return
/// [`CryptoError::Provider`] with a message that names no secret.
pub trait KeyProvider: Send + Sync + 'static {
    /// Wraps the data key `key` whose keyring id is `key_id`.
    fn wrap(&self, key_id: KeyId, key: &FieldKey) -> Result<WrappedKey, CryptoError>;
    /// Unwraps a data key wrapped for `key_id`; fails if it was wrapped for
    /// another id or by another master key.
    fn unwrap(&self, key_id: KeyId, wrapped: &WrappedKey) -> Result<FieldKey, CryptoError>;
}

/// A data key as stored: opaque bytes only its provider can open.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct WrappedKey {
    bytes: Vec<u8>,
}

impl WrappedKey {
    /// Wraps provider-defined bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self { bytes }
    }

    /// The provider-defined bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Unpadded base64url, for config files and database columns.
    pub fn to_text(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.bytes)
    }

    /// Parses [`WrappedKey::to_text`]'s output.
    pub fn from_text(text: &str) -> Result<Self, CryptoError> {
        URL_SAFE_NO_PAD
            .decode(text.trim())
            .map(Self::from_bytes)
            .map_err(|_| CryptoError::Provider("wrapped key is not base64url text".into()))
    }
}

impl From<WrappedKey> for String {
    fn from(k: WrappedKey) -> Self {
        k.to_text()
    }
}

impl TryFrom<String> for WrappedKey {
    type Error = CryptoError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::from_text(&s)
    }
}

/// The version byte of [`LocalMasterKey`]'s wrapped-key format.
const LOCAL_WRAP_VERSION: u8 = 1;
const WRAP_NONCE: usize = 12;
const WRAP_TAG: usize = 16;
/// version, master id, nonce, key, tag.
const LOCAL_WRAPPED_LEN: usize = 1 + 4 + WRAP_NONCE + KEY_LEN + WRAP_TAG;
const WRAP_DOMAIN: &[u8] = b"rampart-crypto wrapped data key v1";

/// A master key held by the process: AES-256-GCM key wrapping for services
/// without a KMS.
///
/// Wrapped-key format, version 1 (61 bytes):
///
/// ```text
/// version 0x01 | master key id (u32 BE) | nonce (12) | wrapped key (32) | tag (16)
/// ```
///
/// The associated data is a domain string, the master key id and the data
/// key id, so a wrapped key moved to another key id does not unwrap.
///
/// ```
/// use rampart_crypto::{FieldKey, KeyProvider, LocalMasterKey};
///
/// let master = LocalMasterKey::generate()?;
/// let data_key = FieldKey::generate()?;
/// let wrapped = master.wrap(7, &data_key)?;
/// assert!(master.unwrap(7, &wrapped)?.ct_eq(&data_key));
/// assert!(master.unwrap(8, &wrapped).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct LocalMasterKey {
    id: u32,
    key: LessSafeKey,
}

impl std::fmt::Debug for LocalMasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalMasterKey")
            .field("id", &self.id)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl LocalMasterKey {
    /// A master key from 32 key bytes, with master id 1.
    pub fn new(key: &FieldKey) -> Result<Self, ConfigError> {
        let unbound =
            UnboundKey::new(&AES_256_GCM, key.expose()).map_err(|_| ConfigError::KeyLength {
                what: "master key",
                expected: KEY_LEN,
                got: key.expose().len(),
            })?;
        Ok(Self {
            id: 1,
            key: LessSafeKey::new(unbound),
        })
    }

    /// A fresh random master key (for tests and first start-up: persist it
    /// with [`FieldKey::to_base64`] before wrapping anything).
    pub fn generate() -> Result<Self, ConfigError> {
        Self::new(&FieldKey::generate()?)
    }

    /// The master key in `path`: either exactly 32 raw bytes or base64 text.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| ConfigError::KeySource {
            what: path.display().to_string(),
            reason: e.to_string(),
        })?);
        if bytes.len() == KEY_LEN {
            return Self::new(&FieldKey::from_slice("master key", &bytes)?);
        }
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| ConfigError::KeyEncoding { what: "master key" })?;
        Self::from_base64(text)
    }

    /// The master key in environment variable `var`, as base64 text.
    pub fn from_env(var: &str) -> Result<Self, ConfigError> {
        let text = Zeroizing::new(std::env::var(var).map_err(|e| ConfigError::KeySource {
            what: var.to_owned(),
            reason: e.to_string(),
        })?);
        Self::from_base64(&text)
    }

    /// The master key from base64 text.
    pub fn from_base64(text: &str) -> Result<Self, ConfigError> {
        let bytes = decode_secret("master key", text)?;
        Self::new(&FieldKey::from_slice("master key", &bytes)?)
    }

    /// The same key under another master id (written into what it wraps, so
    /// that after a master key change the right master is chosen).
    #[must_use]
    pub fn with_id(mut self, id: u32) -> Self {
        self.id = id;
        self
    }

    /// The master id.
    pub fn id(&self) -> u32 {
        self.id
    }

    fn aad(&self, key_id: KeyId) -> Vec<u8> {
        let mut aad = WRAP_DOMAIN.to_vec();
        aad.extend(self.id.to_be_bytes());
        aad.extend(key_id.to_be_bytes());
        aad
    }
}

impl KeyProvider for LocalMasterKey {
    fn wrap(&self, key_id: KeyId, key: &FieldKey) -> Result<WrappedKey, CryptoError> {
        let mut nonce = [0u8; WRAP_NONCE];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| CryptoError::Random)?;
        let mut out = Vec::with_capacity(LOCAL_WRAPPED_LEN);
        out.push(LOCAL_WRAP_VERSION);
        out.extend(self.id.to_be_bytes());
        out.extend(nonce);
        let mut body = [0u8; KEY_LEN];
        let mut tag = [0u8; WRAP_TAG];
        self.key
            .seal_out_of_place_scatter(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(self.aad(key_id)),
                key.expose(),
                &mut body,
                &[],
                &mut tag,
            )
            .map_err(|_| CryptoError::Provider("key wrapping failed".into()))?;
        out.extend(body);
        out.extend(tag);
        Ok(WrappedKey::from_bytes(out))
    }

    fn unwrap(&self, key_id: KeyId, wrapped: &WrappedKey) -> Result<FieldKey, CryptoError> {
        let b = wrapped.as_bytes();
        if b.len() != LOCAL_WRAPPED_LEN {
            return Err(CryptoError::Provider(format!(
                "wrapped key is {} bytes, a version-1 local wrapped key is {LOCAL_WRAPPED_LEN}",
                b.len()
            )));
        }
        if b[0] != LOCAL_WRAP_VERSION {
            return Err(CryptoError::Provider(format!(
                "unsupported wrapped key version {}",
                b[0]
            )));
        }
        let master = u32::from_be_bytes([b[1], b[2], b[3], b[4]]);
        if master != self.id {
            return Err(CryptoError::Provider(format!(
                "wrapped by master key {master}, this is master key {}",
                self.id
            )));
        }
        let mut nonce = [0u8; WRAP_NONCE];
        nonce.copy_from_slice(&b[5..5 + WRAP_NONCE]);
        let body = &b[5 + WRAP_NONCE..5 + WRAP_NONCE + KEY_LEN];
        let tag = &b[5 + WRAP_NONCE + KEY_LEN..];
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        self.key
            .open_separate_gather(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(self.aad(key_id)),
                body,
                tag,
                &mut *out,
            )
            .map_err(|_| {
                CryptoError::Provider(
                    "wrapped key failed authentication: another master key, key id, or altered"
                        .into(),
                )
            })?;
        FieldKey::from_slice("data key", &*out)
            .map_err(|_| CryptoError::Provider("unwrapped key has the wrong length".into()))
    }
}

/// A keyring entry as persisted: the wrapped data key and its metadata.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct StoredKey {
    /// The key id.
    pub id: KeyId,
    /// Creation time, seconds since the Unix epoch.
    pub created_at_unix: u64,
    /// Whether it is the primary key.
    pub primary: bool,
    /// The data key, wrapped by the provider.
    pub wrapped: WrappedKey,
}

impl StoredKey {
    /// An entry to persist.
    pub fn new(id: KeyId, created_at_unix: u64, primary: bool, wrapped: WrappedKey) -> Self {
        Self {
            id,
            created_at_unix,
            primary,
            wrapped,
        }
    }
}

impl Keyring {
    /// Unwraps stored keys through `provider` into a keyring. Exactly one
    /// entry must be primary.
    pub fn from_stored(
        provider: &dyn KeyProvider,
        stored: &[StoredKey],
    ) -> Result<Self, CryptoError> {
        let mut primaries = stored.iter().filter(|s| s.primary);
        let (Some(primary), None) = (primaries.next(), primaries.next()) else {
            return Err(CryptoError::Provider(
                "stored keyring must have exactly one primary key".into(),
            ));
        };
        let config = |e: ConfigError| CryptoError::Provider(e.to_string());
        let ring = Keyring::new_at(
            primary.id,
            provider.unwrap(primary.id, &primary.wrapped)?,
            primary.created_at_unix,
        )
        .map_err(config)?;
        for s in stored.iter().filter(|s| !s.primary) {
            ring.add_at(s.id, provider.unwrap(s.id, &s.wrapped)?, s.created_at_unix)
                .map_err(config)?;
        }
        Ok(ring)
    }

    /// Every key wrapped through `provider`, ready to persist.
    pub fn to_stored(&self, provider: &dyn KeyProvider) -> Result<Vec<StoredKey>, CryptoError> {
        self.list()
            .into_iter()
            .filter_map(|info| self.key(info.id).map(|k| (info, k)))
            .map(|(info, key)| {
                Ok(StoredKey::new(
                    info.id,
                    info.created_at_unix,
                    info.status == KeyStatus::Primary,
                    provider.wrap(info.id, &key)?,
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_keys_are_bound_to_master_and_key_id() {
        let master = LocalMasterKey::generate().unwrap();
        let key = FieldKey::generate().unwrap();
        let wrapped = master.wrap(3, &key).unwrap();
        assert_eq!(wrapped.as_bytes().len(), LOCAL_WRAPPED_LEN);
        assert!(master.unwrap(3, &wrapped).unwrap().ct_eq(&key));
        assert!(master.unwrap(4, &wrapped).is_err());
        let other = LocalMasterKey::generate().unwrap();
        assert!(other.unwrap(3, &wrapped).is_err());
        let renamed = LocalMasterKey::generate().unwrap().with_id(2);
        assert!(
            matches!(renamed.unwrap(3, &wrapped), Err(CryptoError::Provider(m)) if m.contains("master key 1"))
        );
        for i in 0..wrapped.as_bytes().len() * 8 {
            let mut b = wrapped.as_bytes().to_vec();
            b[i / 8] ^= 1 << (i % 8);
            assert!(
                master.unwrap(3, &WrappedKey::from_bytes(b)).is_err(),
                "bit {i}"
            );
        }
        assert!(
            master
                .unwrap(3, &WrappedKey::from_bytes(vec![1; 10]))
                .is_err()
        );
    }

    #[test]
    fn text_form_and_serde_round_trip() {
        let master = LocalMasterKey::generate().unwrap();
        let wrapped = master.wrap(1, &FieldKey::generate().unwrap()).unwrap();
        assert_eq!(WrappedKey::from_text(&wrapped.to_text()).unwrap(), wrapped);
        let json = serde_json::to_string(&wrapped).unwrap();
        assert_eq!(serde_json::from_str::<WrappedKey>(&json).unwrap(), wrapped);
        assert!(WrappedKey::from_text("!!").is_err());
    }

    #[test]
    fn sources_file_env_and_debug() {
        let key = FieldKey::generate().unwrap();
        let dir = std::env::temp_dir().join(format!("rampart-crypto-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let raw = dir.join("raw.key");
        std::fs::write(&raw, key.expose()).unwrap();
        let text = dir.join("text.key");
        std::fs::write(&text, format!("{}\n", &*key.to_base64())).unwrap();
        let from_raw = LocalMasterKey::from_file(&raw).unwrap();
        let from_text = LocalMasterKey::from_file(&text).unwrap();
        let wrapped = from_raw.wrap(1, &key).unwrap();
        assert!(from_text.unwrap(1, &wrapped).unwrap().ct_eq(&key));
        assert!(matches!(
            LocalMasterKey::from_file(dir.join("missing")),
            Err(ConfigError::KeySource { .. })
        ));
        assert!(matches!(
            LocalMasterKey::from_env("RAMPART_CRYPTO_TEST_UNSET_VARIABLE"),
            Err(ConfigError::KeySource { .. })
        ));
        assert_eq!(
            format!("{from_raw:?}"),
            "LocalMasterKey { id: 1, key: \"[redacted]\" }"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn keyrings_persist_wrapped() {
        let master = LocalMasterKey::generate().unwrap();
        let ring = Keyring::new_at(1, FieldKey::generate().unwrap(), 10).unwrap();
        ring.rotate_at(2, FieldKey::generate().unwrap(), 20)
            .unwrap();
        let stored = ring.to_stored(&master).unwrap();
        let loaded = Keyring::from_stored(&master, &stored).unwrap();
        assert_eq!(loaded.primary_id(), 2);
        assert_eq!(loaded.list(), ring.list());
        assert!(loaded.key(1).unwrap().ct_eq(&ring.key(1).unwrap()));
        let no_primary: Vec<_> = stored.iter().filter(|s| !s.primary).cloned().collect();
        assert!(Keyring::from_stored(&master, &no_primary).is_err());
    }
}
