//! Reading Fernet tokens (the format of Python's `cryptography.fernet`), so
//! fields encrypted by a Python service can be migrated.
//!
//! Decryption only: rampart never writes Fernet. Feed tokens to
//! [`FieldCipher::migrate_batch`](crate::FieldCipher::migrate_batch) to move
//! them to context-bound AES-256-GCM.
//!
//! Token layout (all big-endian): `0x80 | timestamp (u64 seconds) | IV (16)
//! | AES-128-CBC ciphertext, PKCS#7 padded | HMAC-SHA256 (32)` over all
//! that precedes it, in base64url. The key is 32 bytes: the HMAC key, then
//! the AES key.

use crate::error::{ConfigError, CryptoError};
use crate::key::decode_secret;
use crate::reencrypt::LegacyDecryptor;
use aws_lc_rs::cipher::{AES_128, DecryptionContext, PaddedBlockDecryptingKey, UnboundCipherKey};
use aws_lc_rs::hmac;
use aws_lc_rs::iv::FixedLength;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_PAD_INDIFFERENT;
use rampart_core::{SharedClock, SystemClock};
use std::time::Duration;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

const VERSION: u8 = 0x80;
const TS_LEN: usize = 8;
const IV_LEN: usize = 16;
const MAC_LEN: usize = 32;
const BLOCK: usize = 16;
/// How far in the future a token's timestamp may be (as pyca/cryptography).
const MAX_CLOCK_SKEW_SECS: u64 = 60;

/// A Fernet key: 16 bytes of HMAC key and 16 bytes of AES-128 key.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct FernetKey {
    signing: [u8; 16],
    encryption: [u8; 16],
}

impl std::fmt::Debug for FernetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FernetKey([redacted])")
    }
}

impl FernetKey {
    /// A key from its usual form: 32 bytes in URL-safe base64.
    pub fn from_base64(text: &str) -> Result<Self, ConfigError> {
        let bytes = decode_secret("fernet key", text)?;
        if bytes.len() != 32 {
            return Err(ConfigError::KeyLength {
                what: "fernet key",
                expected: 32,
                got: bytes.len(),
            });
        }
        let mut key = Self {
            signing: [0; 16],
            encryption: [0; 16],
        };
        key.signing.copy_from_slice(&bytes[..16]);
        key.encryption.copy_from_slice(&bytes[16..]);
        Ok(key)
    }
}

/// Decrypts Fernet tokens with one or more keys (newest first, as
/// `MultiFernet`), optionally refusing tokens older than a TTL.
///
/// ```
/// use rampart_crypto::{Fernet, FernetKey};
/// use rampart_core::ManualClock;
///
/// let key = FernetKey::from_base64("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")?;
/// let token = "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==";
/// let fernet = Fernet::new(vec![key]).clock(ManualClock::at_unix(499_162_801).shared());
/// assert_eq!(&*fernet.decrypt(token)?, b"hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Fernet {
    keys: Vec<FernetKey>,
    ttl: Option<Duration>,
    clock: SharedClock,
}

impl std::fmt::Debug for Fernet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fernet")
            .field("keys", &self.keys.len())
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Fernet {
    /// A decryptor trying `keys` in order. No TTL by default (legacy data is
    /// usually old); the system clock.
    pub fn new(keys: Vec<FernetKey>) -> Self {
        Self {
            keys,
            ttl: None,
            clock: SystemClock::shared(),
        }
    }

    /// Refuse tokens whose timestamp is older than `ttl`. Default: no limit.
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// The clock TTL and skew are judged by. Default: the system clock.
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The plaintext of `token`, or why it was refused.
    pub fn decrypt(&self, token: &str) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let data = URL_SAFE_PAD_INDIFFERENT
            .decode(token.trim_end())
            .map_err(|_| CryptoError::Fernet("token is not base64url"))?;
        if data.len() < 1 + TS_LEN + IV_LEN + MAC_LEN {
            return Err(CryptoError::Fernet("token is too short"));
        }
        if data[0] != VERSION {
            return Err(CryptoError::Fernet("unknown token version"));
        }
        let (signed, mac) = data.split_at(data.len() - MAC_LEN);
        let key = self
            .keys
            .iter()
            .find(|k| {
                hmac::verify(&hmac::Key::new(hmac::HMAC_SHA256, &k.signing), signed, mac).is_ok()
            })
            .ok_or(CryptoError::Fernet("HMAC does not verify under any key"))?;
        let mut ts = [0u8; TS_LEN];
        ts.copy_from_slice(&signed[1..1 + TS_LEN]);
        let issued = u64::from_be_bytes(ts);
        let now = self.clock.unix_secs();
        if issued > now.saturating_add(MAX_CLOCK_SKEW_SECS) {
            return Err(CryptoError::Fernet("token timestamp is in the future"));
        }
        if let Some(ttl) = self.ttl
            && issued.saturating_add(ttl.as_secs()) < now
        {
            return Err(CryptoError::Fernet("token has expired"));
        }
        let mut iv = [0u8; IV_LEN];
        iv.copy_from_slice(&signed[1 + TS_LEN..1 + TS_LEN + IV_LEN]);
        let body = &signed[1 + TS_LEN + IV_LEN..];
        if !body.len().is_multiple_of(BLOCK) {
            return Err(CryptoError::Fernet(
                "ciphertext is not a whole number of blocks",
            ));
        }
        let cbc = UnboundCipherKey::new(&AES_128, &key.encryption)
            .and_then(PaddedBlockDecryptingKey::cbc_pkcs7)
            .map_err(|_| CryptoError::Fernet("AES key setup failed"))?;
        let mut buf = Zeroizing::new(body.to_vec());
        let plain_len = cbc
            .decrypt(&mut buf, DecryptionContext::Iv128(FixedLength::from(iv)))
            .map_err(|_| CryptoError::Fernet("padding is invalid"))?
            .len();
        buf.truncate(plain_len);
        Ok(buf)
    }
}

impl LegacyDecryptor for Fernet {
    fn decrypt_legacy(&self, token: &str) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.decrypt(token)
    }
}

/// Makes a token with a chosen IV and time, to check the layout against the
/// reference vectors (rampart itself never writes Fernet).
#[cfg(test)]
pub(crate) fn encrypt_for_test(key: &FernetKey, iv: [u8; 16], ts: u64, plain: &[u8]) -> String {
    use aws_lc_rs::cipher::{EncryptionContext, PaddedBlockEncryptingKey};
    let cbc = PaddedBlockEncryptingKey::cbc_pkcs7(
        UnboundCipherKey::new(&AES_128, &key.encryption).unwrap(),
    )
    .unwrap();
    let mut body = plain.to_vec();
    cbc.less_safe_encrypt(&mut body, EncryptionContext::Iv128(FixedLength::from(iv)))
        .unwrap();
    let mut out = vec![VERSION];
    out.extend(ts.to_be_bytes());
    out.extend(iv);
    out.extend(body);
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &key.signing), &out);
    out.extend(tag.as_ref());
    base64::engine::general_purpose::URL_SAFE.encode(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_core::ManualClock;

    const KEY: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";

    #[test]
    fn several_keys_are_tried_and_debug_is_redacted() {
        let old = FernetKey::from_base64(KEY).unwrap();
        let new = FernetKey::from_base64(&"A".repeat(43)).unwrap();
        let token = encrypt_for_test(&old, [3; 16], 1000, b"secret");
        let f = Fernet::new(vec![new.clone(), old]).clock(ManualClock::at_unix(1000).shared());
        assert_eq!(&*f.decrypt(&token).unwrap(), b"secret");
        let only_new = Fernet::new(vec![new]).clock(ManualClock::at_unix(1000).shared());
        assert!(only_new.decrypt(&token).is_err());
        assert_eq!(
            format!("{:?}", FernetKey::from_base64(KEY).unwrap()),
            "FernetKey([redacted])"
        );
        assert!(FernetKey::from_base64("AAAA").is_err());
    }

    #[test]
    fn ttl_and_skew_use_the_clock() {
        let key = FernetKey::from_base64(KEY).unwrap();
        let token = encrypt_for_test(&key, [0; 16], 1000, b"");
        let clock = ManualClock::at_unix(1000);
        let f = Fernet::new(vec![key])
            .ttl(Duration::from_secs(60))
            .clock(clock.shared());
        assert!(f.decrypt(&token).unwrap().is_empty());
        clock.set_unix(1060);
        assert!(f.decrypt(&token).is_ok());
        clock.set_unix(1061);
        assert_eq!(
            f.decrypt(&token).unwrap_err(),
            CryptoError::Fernet("token has expired")
        );
        clock.set_unix(939);
        assert!(f.decrypt(&token).is_err());
        clock.set_unix(940);
        assert!(f.decrypt(&token).is_ok());
    }
}
