//! The keyring: every key a cipher may decrypt with, and the one it
//! encrypts with.
//!
//! Each ciphertext carries the id of its key, so keys rotate without a
//! flag day: a new primary encrypts from then on, older keys stay to decrypt
//! what they made until it has been re-encrypted, and only then are they
//! retired.

use crate::error::ConfigError;
use crate::format::Algorithm;
use crate::key::{FieldKey, KeyId};
use arc_swap::ArcSwap;
use aws_lc_rs::aead::{AES_256_GCM, AES_256_GCM_SIV, LessSafeKey, UnboundKey};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

/// What a key in the keyring is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum KeyStatus {
    /// Encrypts new fields (exactly one key is primary) and decrypts.
    Primary,
    /// Only decrypts fields made before a rotation.
    DecryptOnly,
}

/// A key as listed by [`Keyring::list`]: never the key material.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct KeyInfo {
    /// The key id written in its ciphertexts.
    pub id: KeyId,
    /// Primary or decrypt-only.
    pub status: KeyStatus,
    /// When the key was created, in seconds since the Unix epoch.
    pub created_at_unix: u64,
    /// How many fields this process has encrypted with it.
    pub messages: u64,
}

/// One key with its expanded AES key schedules and its message counter.
pub(crate) struct KeyEntry {
    pub(crate) id: KeyId,
    pub(crate) material: FieldKey,
    gcm: LessSafeKey,
    siv: LessSafeKey,
    pub(crate) created_at_unix: u64,
    pub(crate) counter: AtomicU64,
    pub(crate) warned: AtomicBool,
    pub(crate) exhausted_reported: AtomicBool,
}

impl KeyEntry {
    fn new(id: KeyId, material: FieldKey, created_at_unix: u64) -> Result<Self, ConfigError> {
        let schedule = |alg| {
            UnboundKey::new(alg, material.expose())
                .map(LessSafeKey::new)
                .map_err(|_| ConfigError::KeyLength {
                    what: "field key",
                    expected: crate::key::KEY_LEN,
                    got: material.expose().len(),
                })
        };
        Ok(Self {
            gcm: schedule(&AES_256_GCM)?,
            siv: schedule(&AES_256_GCM_SIV)?,
            id,
            material,
            created_at_unix,
            counter: AtomicU64::new(0),
            warned: AtomicBool::new(false),
            exhausted_reported: AtomicBool::new(false),
        })
    }

    pub(crate) fn aead(&self, algorithm: Algorithm) -> &LessSafeKey {
        match algorithm {
            Algorithm::Aes256Gcm => &self.gcm,
            Algorithm::Aes256GcmSiv => &self.siv,
        }
    }
}

/// An immutable view of the keyring; replaced whole on every change.
pub(crate) struct Snapshot {
    pub(crate) primary: Arc<KeyEntry>,
    pub(crate) keys: Vec<Arc<KeyEntry>>,
    pub(crate) retired: Vec<KeyId>,
}

impl Snapshot {
    pub(crate) fn get(&self, id: KeyId) -> Option<&Arc<KeyEntry>> {
        self.keys.iter().find(|k| k.id == id)
    }
}

/// The keys of a [`FieldCipher`](crate::FieldCipher): one primary that
/// encrypts, older ones that only decrypt.
///
/// Clones share the same keys, so a rotation through one handle is seen by
/// every cipher built on another. Readers never wait: a change publishes a
/// new snapshot atomically.
///
/// ```
/// use rampart_crypto::{FieldKey, Keyring, KeyStatus};
///
/// let keyring = Keyring::new(1, FieldKey::generate()?)?;
/// keyring.rotate(2, FieldKey::generate()?)?;
/// let listed = keyring.list();
/// assert_eq!(listed[0].status, KeyStatus::DecryptOnly);
/// assert_eq!(listed[1].status, KeyStatus::Primary);
/// keyring.retire(1)?;
/// assert_eq!(keyring.list().len(), 1);
/// # Ok::<(), rampart_crypto::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Keyring {
    snapshot: Arc<ArcSwap<Snapshot>>,
    /// Serialises writers, so two rotations cannot lose each other's key.
    write: Arc<Mutex<()>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("primary", &self.primary_id())
            .field(
                "keys",
                &self.list().iter().map(|k| k.id).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

pub(crate) fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Keyring {
    /// A keyring holding one key, primary, created now.
    pub fn new(id: KeyId, key: FieldKey) -> Result<Self, ConfigError> {
        Self::new_at(id, key, now_unix())
    }

    /// A keyring holding one key, primary, created at `created_at_unix`
    /// (seconds since the Unix epoch: the time stored with the key, so a
    /// rotation policy knows its age after a restart).
    pub fn new_at(id: KeyId, key: FieldKey, created_at_unix: u64) -> Result<Self, ConfigError> {
        let entry = Arc::new(KeyEntry::new(id, key, created_at_unix)?);
        Ok(Self {
            snapshot: Arc::new(ArcSwap::from_pointee(Snapshot {
                primary: entry.clone(),
                keys: vec![entry],
                retired: Vec::new(),
            })),
            write: Arc::new(Mutex::new(())),
        })
    }

    pub(crate) fn load(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.snapshot.load()
    }

    /// The id of the key that encrypts.
    pub fn primary_id(&self) -> KeyId {
        self.snapshot.load().primary.id
    }

    /// The key with `id`, for deriving from it or wrapping it for storage.
    pub fn key(&self, id: KeyId) -> Option<FieldKey> {
        self.snapshot.load().get(id).map(|k| k.material.clone())
    }

    /// Whether a key with `id` is held (primary or decrypt-only).
    pub fn contains(&self, id: KeyId) -> bool {
        self.snapshot.load().get(id).is_some()
    }

    /// One past the highest id ever held (retired ids included): a safe id
    /// for the next key.
    pub fn next_id(&self) -> KeyId {
        let s = self.snapshot.load();
        s.keys
            .iter()
            .map(|k| k.id)
            .chain(s.retired.iter().copied())
            .max()
            .unwrap_or(0)
            .saturating_add(1)
    }

    /// Every key, oldest id first, with its status and usage; never the
    /// key material.
    pub fn list(&self) -> Vec<KeyInfo> {
        let s = self.snapshot.load();
        let mut out: Vec<KeyInfo> = s
            .keys
            .iter()
            .map(|k| KeyInfo {
                id: k.id,
                status: if k.id == s.primary.id {
                    KeyStatus::Primary
                } else {
                    KeyStatus::DecryptOnly
                },
                created_at_unix: k.created_at_unix,
                messages: k.counter.load(Ordering::Relaxed),
            })
            .collect();
        out.sort_by_key(|k| k.id);
        out
    }

    /// Adds a decrypt-only key created now (one loaded from storage that
    /// older fields were made with).
    pub fn add(&self, id: KeyId, key: FieldKey) -> Result<(), ConfigError> {
        self.add_at(id, key, now_unix())
    }

    /// Adds a decrypt-only key created at `created_at_unix`.
    pub fn add_at(
        &self,
        id: KeyId,
        key: FieldKey,
        created_at_unix: u64,
    ) -> Result<(), ConfigError> {
        self.insert(id, key, created_at_unix, false)
    }

    /// Adds `key` as the new primary, created now; the previous primary
    /// becomes decrypt-only.
    pub fn rotate(&self, id: KeyId, key: FieldKey) -> Result<(), ConfigError> {
        self.rotate_at(id, key, now_unix())
    }

    /// Adds `key` as the new primary, created at `created_at_unix`.
    pub fn rotate_at(
        &self,
        id: KeyId,
        key: FieldKey,
        created_at_unix: u64,
    ) -> Result<(), ConfigError> {
        self.insert(id, key, created_at_unix, true)
    }

    /// Makes the held key `id` the primary (to roll a rotation back, or
    /// to load a keyring whose newest key was added last).
    pub fn promote(&self, id: KeyId) -> Result<(), ConfigError> {
        let _w = self.write.lock().unwrap_or_else(PoisonError::into_inner);
        let s = self.snapshot.load();
        let entry = s.get(id).ok_or(ConfigError::UnknownKeyId(id))?.clone();
        self.snapshot.store(Arc::new(Snapshot {
            primary: entry,
            keys: s.keys.clone(),
            retired: s.retired.clone(),
        }));
        Ok(())
    }

    /// Removes the decrypt-only key `id`. Fields still encrypted with it
    /// then fail with [`CryptoError::RetiredKey`](crate::CryptoError::RetiredKey):
    /// re-encrypt them first.
    pub fn retire(&self, id: KeyId) -> Result<(), ConfigError> {
        let _w = self.write.lock().unwrap_or_else(PoisonError::into_inner);
        let s = self.snapshot.load();
        if s.primary.id == id {
            return Err(ConfigError::RetirePrimary(id));
        }
        if s.get(id).is_none() {
            return Err(ConfigError::UnknownKeyId(id));
        }
        let mut retired = s.retired.clone();
        retired.push(id);
        self.snapshot.store(Arc::new(Snapshot {
            primary: s.primary.clone(),
            keys: s.keys.iter().filter(|k| k.id != id).cloned().collect(),
            retired,
        }));
        Ok(())
    }

    fn insert(
        &self,
        id: KeyId,
        key: FieldKey,
        created_at_unix: u64,
        primary: bool,
    ) -> Result<(), ConfigError> {
        let _w = self.write.lock().unwrap_or_else(PoisonError::into_inner);
        let s = self.snapshot.load();
        if s.get(id).is_some() || s.retired.contains(&id) {
            return Err(ConfigError::DuplicateKeyId(id));
        }
        let entry = Arc::new(KeyEntry::new(id, key, created_at_unix)?);
        let mut keys = s.keys.clone();
        keys.push(entry.clone());
        self.snapshot.store(Arc::new(Snapshot {
            primary: if primary { entry } else { s.primary.clone() },
            keys,
            retired: s.retired.clone(),
        }));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> FieldKey {
        FieldKey::from_bytes(&[b; 32]).unwrap()
    }

    #[test]
    fn rotate_retire_and_list() {
        let ring = Keyring::new_at(1, key(1), 100).unwrap();
        assert_eq!(ring.primary_id(), 1);
        ring.rotate_at(2, key(2), 200).unwrap();
        assert_eq!(ring.primary_id(), 2);
        assert_eq!(
            ring.list(),
            vec![
                KeyInfo {
                    id: 1,
                    status: KeyStatus::DecryptOnly,
                    created_at_unix: 100,
                    messages: 0
                },
                KeyInfo {
                    id: 2,
                    status: KeyStatus::Primary,
                    created_at_unix: 200,
                    messages: 0
                },
            ]
        );
        assert_eq!(ring.retire(2), Err(ConfigError::RetirePrimary(2)));
        ring.retire(1).unwrap();
        assert_eq!(ring.retire(1), Err(ConfigError::UnknownKeyId(1)));
        assert!(!ring.contains(1));
        // A retired id is never reused.
        assert_eq!(ring.add(1, key(9)), Err(ConfigError::DuplicateKeyId(1)));
        assert_eq!(ring.next_id(), 3);
    }

    #[test]
    fn duplicates_and_unknown_ids_are_refused() {
        let ring = Keyring::new(5, key(1)).unwrap();
        assert_eq!(ring.add(5, key(2)), Err(ConfigError::DuplicateKeyId(5)));
        assert_eq!(ring.promote(6), Err(ConfigError::UnknownKeyId(6)));
        ring.add(4, key(2)).unwrap();
        assert_eq!(ring.primary_id(), 5);
        ring.promote(4).unwrap();
        assert_eq!(ring.primary_id(), 4);
    }

    #[test]
    fn clones_share_changes_and_debug_hides_keys() {
        let ring = Keyring::new(1, key(0xAB)).unwrap();
        let other = ring.clone();
        other.rotate(2, key(0xCD)).unwrap();
        assert_eq!(ring.primary_id(), 2);
        let printed = format!("{ring:?}");
        assert!(
            !printed.contains("171") && !printed.contains("205"),
            "{printed}"
        );
        assert!(ring.key(1).unwrap().ct_eq(&key(0xAB)));
    }
}
