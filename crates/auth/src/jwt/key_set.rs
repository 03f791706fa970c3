//! The rotating set of keys an issuer signs with and a verifier trusts.

use super::keys::{SigningKey, VerificationKey};
use crate::error::ConfigError;
use arc_swap::ArcSwap;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

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
/// [`KeyRotation`](crate::KeyRotation) takes these steps by itself when the
/// signing key reaches an age.
///
/// ```
/// use rampart::auth::{Algorithm, KeySet, SigningKey};
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
/// # Ok::<(), rampart::auth::ConfigError>(())
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
            .filter_map(|k| k.public_jwk().cloned())
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

    /// Whether both handles share one set (clones of each other).
    pub(crate) fn same_set(&self, other: &KeySet) -> bool {
        Arc::ptr_eq(&self.snapshot, &other.snapshot)
    }

    pub(crate) fn load(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.snapshot.load()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Algorithm;

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
}
