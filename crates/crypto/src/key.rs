//! Secret key material: 256-bit keys that zeroize on drop and never print.

use crate::error::ConfigError;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD_PAD_INDIFFERENT, URL_SAFE_PAD_INDIFFERENT};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The length of every AES-256 key this crate holds.
pub const KEY_LEN: usize = 32;

/// The id of a key in a [`Keyring`](crate::Keyring), written into every
/// ciphertext so the right key is found on decryption after a rotation.
pub type KeyId = u32;

/// A 256-bit secret key: a field key, a tenant master or a key-encryption key.
///
/// The bytes are wiped when the value is dropped, and `Debug` prints
/// `FieldKey([redacted])`, so a key that ends up in a log line or a panic
/// message shows nothing.
///
/// ```
/// use rampart_crypto::FieldKey;
///
/// let key = FieldKey::generate()?;
/// assert_eq!(format!("{key:?}"), "FieldKey([redacted])");
/// let same = FieldKey::from_base64(&key.to_base64())?;
/// assert!(same.ct_eq(&key));
/// # Ok::<(), rampart_crypto::ConfigError>(())
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct FieldKey {
    bytes: [u8; KEY_LEN],
}

impl FieldKey {
    /// A fresh key from the operating system's random generator.
    pub fn generate() -> Result<Self, ConfigError> {
        let mut bytes = [0u8; KEY_LEN];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| ConfigError::Random)?;
        Ok(Self { bytes })
    }

    /// A key from exactly 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ConfigError> {
        Self::from_slice("field key", bytes)
    }

    /// A key from base64 text (standard or URL-safe alphabet, padding
    /// optional), the form keys take in environment variables and config.
    pub fn from_base64(text: &str) -> Result<Self, ConfigError> {
        let bytes = decode_secret("field key", text)?;
        Self::from_slice("field key", &bytes)
    }

    /// The key as standard padded base64, for writing it to a secret store.
    /// The text is wiped when dropped; never log it.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(self.bytes))
    }

    /// Whether two keys are equal, in constant time.
    pub fn ct_eq(&self, other: &Self) -> bool {
        aws_lc_rs::constant_time::verify_slices_are_equal(&self.bytes, &other.bytes).is_ok()
    }

    pub(crate) fn from_slice(what: &'static str, bytes: &[u8]) -> Result<Self, ConfigError> {
        let array: [u8; KEY_LEN] = bytes.try_into().map_err(|_| ConfigError::KeyLength {
            what,
            expected: KEY_LEN,
            got: bytes.len(),
        })?;
        Ok(Self { bytes: array })
    }

    pub(crate) fn from_array(bytes: [u8; KEY_LEN]) -> Self {
        Self { bytes }
    }

    pub(crate) fn expose(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }
}

impl std::fmt::Debug for FieldKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FieldKey([redacted])")
    }
}

/// Decodes base64 key text in either alphabet; the decoded bytes are wiped on drop.
pub(crate) fn decode_secret(
    what: &'static str,
    text: &str,
) -> Result<Zeroizing<Vec<u8>>, ConfigError> {
    let text = text.trim();
    STANDARD_PAD_INDIFFERENT
        .decode(text)
        .or_else(|_| URL_SAFE_PAD_INDIFFERENT.decode(text))
        .map(Zeroizing::new)
        .map_err(|_| ConfigError::KeyEncoding { what })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_no_key_bytes() {
        let key = FieldKey::from_bytes(&[0xAB; 32]).unwrap();
        let printed = format!("{key:?} {key:#?}");
        assert!(!printed.contains("171") && !printed.to_lowercase().contains("ab"));
        assert!(printed.contains("[redacted]"));
    }

    #[test]
    fn base64_round_trips_in_both_alphabets() {
        let key = FieldKey::generate().unwrap();
        let std = key.to_base64();
        assert!(FieldKey::from_base64(&std).unwrap().ct_eq(&key));
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.expose());
        assert!(FieldKey::from_base64(&url).unwrap().ct_eq(&key));
    }

    #[test]
    fn wrong_lengths_and_encodings_are_config_errors() {
        assert_eq!(
            FieldKey::from_bytes(&[1; 16]).unwrap_err(),
            ConfigError::KeyLength {
                what: "field key",
                expected: 32,
                got: 16
            }
        );
        assert!(matches!(
            FieldKey::from_base64("not base64 at all!").unwrap_err(),
            ConfigError::KeyEncoding { .. }
        ));
        assert!(matches!(
            FieldKey::from_base64("AAAA").unwrap_err(),
            ConfigError::KeyLength { got: 3, .. }
        ));
    }

    #[test]
    fn generated_keys_differ() {
        assert!(
            !FieldKey::generate()
                .unwrap()
                .ct_eq(&FieldKey::generate().unwrap())
        );
    }
}
