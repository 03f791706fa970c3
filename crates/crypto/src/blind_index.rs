//! Blind indexes: a keyed hash of a field's value, stored beside its
//! ciphertext, so equality lookups work without decrypting.
//!
//! A random-nonce ciphertext differs every time, so `WHERE ssn = ?` cannot
//! match it. The blind index is deterministic instead: HMAC-SHA256 under an
//! index key, over the tenant, the field name and the value, each
//! length-prefixed. The same value in another field or tenant indexes
//! differently (no cross-column correlation), and without the key nobody
//! can test a guess.
//!
//! Truncation trades precision for privacy: a short index (say 8 bytes)
//! makes several values share an index, so the table's index column alone
//! cannot pin a value down; the query then decrypts the few candidates and
//! compares. Use a key of its own (not a field encryption key).

use crate::context::put_prefixed;
use crate::error::ConfigError;
use crate::key::FieldKey;
use crate::primitives::hmac_sha256_truncated;
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const DOMAIN: &[u8] = b"rampart-crypto blind index v1";

/// The shortest index accepted: below 4 bytes collisions swamp lookups.
pub const MIN_INDEX_LEN: usize = 4;
/// The longest index: the whole HMAC-SHA256 output.
pub const MAX_INDEX_LEN: usize = 32;

/// Computes blind indexes under one key.
///
/// ```
/// use rampart_crypto::{BlindIndex, FieldKey};
///
/// let index = BlindIndex::new(&FieldKey::generate()?, 16)?;
/// let a = index.compute(Some("acme"), "email", b"ann@example.com");
/// assert_eq!(a, index.compute(Some("acme"), "email", b"ann@example.com"));
/// assert_ne!(a, index.compute(Some("globex"), "email", b"ann@example.com"));
/// assert_eq!(a.len(), 16);
/// # Ok::<(), rampart_crypto::ConfigError>(())
/// ```
pub struct BlindIndex {
    key: hmac::Key,
    len: usize,
}

impl std::fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlindIndex")
            .field("key", &"[redacted]")
            .field("len", &self.len)
            .finish()
    }
}

impl BlindIndex {
    /// An index of `len` bytes (4 to 32) under `key`.
    pub fn new(key: &FieldKey, len: usize) -> Result<Self, ConfigError> {
        if !(MIN_INDEX_LEN..=MAX_INDEX_LEN).contains(&len) {
            return Err(ConfigError::Range {
                what: "blind index length",
                reason: "must be between 4 and 32 bytes",
            });
        }
        Ok(Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, key.expose()),
            len,
        })
    }

    /// The index length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: an index has at least [`MIN_INDEX_LEN`] bytes.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The index of `value` in `field` of `tenant`. Normalise the value
    /// first (trim, lower-case an email) if lookups should ignore that.
    pub fn compute(&self, tenant: Option<&str>, field: &str, value: &[u8]) -> Vec<u8> {
        let mut prefix = Vec::with_capacity(DOMAIN.len() + 1 + 16 + field.len() + 8);
        put_prefixed(&mut prefix, DOMAIN);
        match tenant {
            None => prefix.push(0),
            Some(t) => {
                prefix.push(1);
                put_prefixed(&mut prefix, t.as_bytes());
            }
        }
        put_prefixed(&mut prefix, field.as_bytes());
        prefix.extend((value.len() as u64).to_be_bytes());
        let mut out = vec![0u8; self.len];
        hmac_sha256_truncated(&self.key, &[&prefix, value], &mut out);
        out
    }

    /// [`compute`](Self::compute) as unpadded base64url text.
    pub fn compute_text(&self, tenant: Option<&str>, field: &str, value: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(self.compute(tenant, field, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(len: usize) -> BlindIndex {
        BlindIndex::new(&FieldKey::from_bytes(&[9; 32]).unwrap(), len).unwrap()
    }

    #[test]
    fn domains_are_separated() {
        let i = index(32);
        let v = b"123-45-6789";
        let base = i.compute(Some("acme"), "ssn", v);
        assert_ne!(base, i.compute(None, "ssn", v));
        assert_ne!(base, i.compute(Some("acme"), "tax_id", v));
        assert_ne!(base, i.compute(Some(""), "ssn", v));
        // Moving bytes between tenant and field does not collide.
        assert_ne!(
            i.compute(Some("ab"), "c", b"x"),
            i.compute(Some("a"), "bc", b"x")
        );
        let other = BlindIndex::new(&FieldKey::from_bytes(&[8; 32]).unwrap(), 32).unwrap();
        assert_ne!(base, other.compute(Some("acme"), "ssn", v));
    }

    #[test]
    fn truncation_is_a_prefix_and_bounded() {
        let full = index(32).compute(None, "f", b"v");
        let short = index(8).compute(None, "f", b"v");
        assert_eq!(&full[..8], short.as_slice());
        assert_eq!(index(8).compute_text(None, "f", b"v").len(), 11);
        let key = FieldKey::from_bytes(&[9; 32]).unwrap();
        assert!(BlindIndex::new(&key, 3).is_err());
        assert!(BlindIndex::new(&key, 33).is_err());
        assert!(!format!("{:?}", index(8)).contains('9'));
    }
}
