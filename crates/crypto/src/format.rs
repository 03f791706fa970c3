//! The ciphertext format: a compact, versioned binary layout and its
//! base64url text form.
//!
//! ```text
//! offset  size  field
//!      0     1  version        0x01
//!      1     1  algorithm      0x01 AES-256-GCM, 0x02 AES-256-GCM-SIV
//!      2     4  key id         big-endian u32, the keyring id of the key
//!      6    12  nonce          random, 96 bits
//!     18     n  ciphertext     as long as the plaintext
//!   18+n    16  tag            AEAD tag
//! ```
//!
//! The first six bytes (version, algorithm, key id) are also authenticated:
//! they are the start of the associated data, followed by the encoded
//! [`Context`](crate::Context). The text form is the whole thing in
//! unpadded base64url (RFC 4648 §5), parsed strictly: padding, the standard
//! alphabet, whitespace and non-canonical final characters are refused.
//!
//! A field costs 34 bytes more than its plaintext (46 characters more in text).

use crate::error::CryptoError;
use crate::key::KeyId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The format version this library writes and reads.
pub const FORMAT_VERSION: u8 = 1;
/// Bytes of nonce in every ciphertext.
pub const NONCE_LEN: usize = 12;
/// Bytes of AEAD tag at the end of every ciphertext.
pub const TAG_LEN: usize = 16;
/// Bytes before the ciphertext body: version, algorithm, key id, nonce.
pub const HEADER_LEN: usize = 2 + 4 + NONCE_LEN;
/// The length of the authenticated prefix of the header (version, algorithm, key id).
pub(crate) const BOUND_HEADER_LEN: usize = 6;
/// The shortest valid ciphertext: an empty plaintext.
pub const MIN_LEN: usize = HEADER_LEN + TAG_LEN;

/// The AEAD a ciphertext was made with.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Algorithm {
    /// AES-256-GCM with a random 96-bit nonce: the default.
    #[default]
    #[serde(rename = "aes-256-gcm")]
    Aes256Gcm,
    /// AES-256-GCM-SIV (RFC 8452): a repeated nonce leaks only whether two
    /// plaintexts were equal, instead of breaking the key.
    #[serde(rename = "aes-256-gcm-siv")]
    Aes256GcmSiv,
}

impl Algorithm {
    /// The byte written in the ciphertext header.
    pub fn id(self) -> u8 {
        match self {
            Self::Aes256Gcm => 1,
            Self::Aes256GcmSiv => 2,
        }
    }

    /// The algorithm a header byte names.
    pub fn from_id(id: u8) -> Result<Self, CryptoError> {
        match id {
            1 => Ok(Self::Aes256Gcm),
            2 => Ok(Self::Aes256GcmSiv),
            other => Err(CryptoError::UnknownAlgorithm(other)),
        }
    }
}

/// A ciphertext split into its fields, borrowed from the bytes it was parsed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedCiphertext<'a> {
    /// The AEAD it was made with.
    pub algorithm: Algorithm,
    /// The id of the key it was made with.
    pub key_id: KeyId,
    /// The nonce.
    pub nonce: [u8; NONCE_LEN],
    /// The encrypted body (as long as the plaintext).
    pub body: &'a [u8],
    /// The tag.
    pub tag: &'a [u8],
    /// The authenticated header bytes (version, algorithm, key id).
    pub(crate) bound_header: [u8; BOUND_HEADER_LEN],
}

impl<'a> ParsedCiphertext<'a> {
    /// Splits `bytes` into its fields, refusing anything that is not a
    /// well-formed version-1 ciphertext. It does not authenticate: a parsed
    /// ciphertext may still be forged.
    ///
    /// ```
    /// use rampart_crypto::{CryptoError, ParsedCiphertext};
    ///
    /// assert_eq!(
    ///     ParsedCiphertext::parse(&[2, 1]).unwrap_err(),
    ///     CryptoError::UnsupportedVersion(2)
    /// );
    /// assert!(matches!(
    ///     ParsedCiphertext::parse(&[1, 1, 0, 0]).unwrap_err(),
    ///     CryptoError::Truncated { needed: 34, got: 4 }
    /// ));
    /// ```
    pub fn parse(bytes: &'a [u8]) -> Result<Self, CryptoError> {
        let truncated = || CryptoError::Truncated {
            needed: MIN_LEN,
            got: bytes.len(),
        };
        let (&version, rest) = bytes.split_first().ok_or_else(truncated)?;
        if version != FORMAT_VERSION {
            return Err(CryptoError::UnsupportedVersion(version));
        }
        let (&alg, rest) = rest.split_first().ok_or_else(truncated)?;
        let algorithm = Algorithm::from_id(alg)?;
        if bytes.len() < MIN_LEN {
            return Err(truncated());
        }
        let (key_id, rest) = rest.split_at(4);
        let (nonce, rest) = rest.split_at(NONCE_LEN);
        let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
        let key_id = u32::from_be_bytes([key_id[0], key_id[1], key_id[2], key_id[3]]);
        let mut nonce_array = [0u8; NONCE_LEN];
        nonce_array.copy_from_slice(nonce);
        Ok(Self {
            algorithm,
            key_id,
            nonce: nonce_array,
            body,
            tag,
            bound_header: bound_header(algorithm, key_id),
        })
    }
}

/// The authenticated header bytes for `algorithm` and `key_id`.
pub(crate) fn bound_header(algorithm: Algorithm, key_id: KeyId) -> [u8; BOUND_HEADER_LEN] {
    let id = key_id.to_be_bytes();
    [FORMAT_VERSION, algorithm.id(), id[0], id[1], id[2], id[3]]
}

/// The text form of a binary ciphertext: unpadded base64url.
pub fn encode_text(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The binary ciphertext in a text form, refusing anything but canonical
/// unpadded base64url.
pub fn decode_text(text: &str) -> Result<Vec<u8>, CryptoError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| CryptoError::Encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(body: usize) -> Vec<u8> {
        let mut v = vec![1, 2, 0, 0, 1, 2];
        v.extend_from_slice(&[7; NONCE_LEN]);
        v.extend(std::iter::repeat_n(9, body));
        v.extend_from_slice(&[5; TAG_LEN]);
        v
    }

    #[test]
    fn parses_each_field() {
        let bytes = sample(3);
        let p = ParsedCiphertext::parse(&bytes).unwrap();
        assert_eq!(p.algorithm, Algorithm::Aes256GcmSiv);
        assert_eq!(p.key_id, 258);
        assert_eq!(p.nonce, [7; NONCE_LEN]);
        assert_eq!(p.body, &[9, 9, 9]);
        assert_eq!(p.tag, &[5; TAG_LEN]);
        assert_eq!(p.bound_header, [1, 2, 0, 0, 1, 2]);
    }

    #[test]
    fn empty_body_is_the_minimum() {
        let bytes = sample(0);
        assert_eq!(bytes.len(), MIN_LEN);
        assert!(ParsedCiphertext::parse(&bytes).unwrap().body.is_empty());
        assert_eq!(
            ParsedCiphertext::parse(&bytes[..MIN_LEN - 1]).unwrap_err(),
            CryptoError::Truncated {
                needed: MIN_LEN,
                got: MIN_LEN - 1
            }
        );
    }

    #[test]
    fn refuses_unknown_versions_and_algorithms() {
        assert_eq!(
            ParsedCiphertext::parse(&[]).unwrap_err(),
            CryptoError::Truncated {
                needed: MIN_LEN,
                got: 0
            }
        );
        assert_eq!(
            ParsedCiphertext::parse(&[1]).unwrap_err(),
            CryptoError::Truncated {
                needed: MIN_LEN,
                got: 1
            }
        );
        let mut bytes = sample(1);
        bytes[0] = 0;
        assert_eq!(
            ParsedCiphertext::parse(&bytes).unwrap_err(),
            CryptoError::UnsupportedVersion(0)
        );
        bytes[0] = 1;
        for alg in [0u8, 3, 255] {
            bytes[1] = alg;
            assert_eq!(
                ParsedCiphertext::parse(&bytes).unwrap_err(),
                CryptoError::UnknownAlgorithm(alg)
            );
        }
    }

    #[test]
    fn text_form_is_strict() {
        let bytes = sample(2);
        let text = encode_text(&bytes);
        assert_eq!(decode_text(&text).unwrap(), bytes);
        assert_eq!(decode_text(&format!("{text}=")), Err(CryptoError::Encoding));
        assert_eq!(decode_text(&format!(" {text}")), Err(CryptoError::Encoding));
        assert_eq!(decode_text("ab+/"), Err(CryptoError::Encoding));
        // "AR" would decode with non-zero trailing bits: not canonical.
        assert_eq!(decode_text("AR"), Err(CryptoError::Encoding));
        assert_eq!(decode_text("AQ").unwrap(), vec![1]);
    }

    #[test]
    fn algorithm_ids_round_trip() {
        for alg in [Algorithm::Aes256Gcm, Algorithm::Aes256GcmSiv] {
            assert_eq!(Algorithm::from_id(alg.id()).unwrap(), alg);
        }
    }
}
