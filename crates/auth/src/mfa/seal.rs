//! The application key, and what is derived from it: the AES-256-GCM key
//! that seals TOTP secrets for the store, and the HMAC key backup codes are
//! hashed with.

use super::{MfaError, Totp, TotpAlgorithm, TotpSecret};
use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use aws_lc_rs::{hkdf, hmac};
use zeroize::Zeroizing;

/// The length of an [`MfaKey`], in bytes.
pub const MFA_KEY_BYTES: usize = 32;

/// The first byte of a sealed secret: lets a later format be told apart.
pub(crate) const SEALED_V1: u8 = 1;

/// The application's MFA key: 32 random bytes kept outside the store (an
/// environment variable, a secret manager).
///
/// A copy of the store alone then yields neither a TOTP secret (sealed with
/// AES-256-GCM under a key derived from this one) nor a way to test guesses
/// at backup codes (hashed with HMAC-SHA-256 under another). Every instance
/// sharing a store must use the same key; losing it means every user enrols
/// again. Wiped on drop, `[redacted]` in `Debug`.
#[derive(Clone)]
pub struct MfaKey(Zeroizing<[u8; MFA_KEY_BYTES]>);

impl std::fmt::Debug for MfaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MfaKey([redacted])")
    }
}

impl MfaKey {
    /// A key from exactly 32 bytes.
    ///
    /// # Errors
    /// [`MfaError::InvalidKey`] for any other length.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MfaError> {
        let array: [u8; MFA_KEY_BYTES] = bytes
            .try_into()
            .map_err(|_| MfaError::InvalidKey("the MFA key must be exactly 32 bytes"))?;
        Ok(Self(Zeroizing::new(array)))
    }

    /// A fresh random key (for tests and single-instance demos: sealed
    /// secrets die with it).
    ///
    /// # Errors
    /// [`MfaError::Crypto`] when the system has no randomness to give.
    pub fn generate() -> Result<Self, MfaError> {
        let mut key = Zeroizing::new([0u8; MFA_KEY_BYTES]);
        aws_lc_rs::rand::fill(key.as_mut())
            .map_err(|_| MfaError::Crypto("the system random generator failed"))?;
        Ok(Self(key))
    }
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// The two working keys, each derived with HKDF-SHA-256 under its own label,
/// so that no key is ever used for two purposes.
pub(crate) struct DerivedKeys {
    seal: RandomizedNonceKey,
    backup: hmac::Key,
}

impl std::fmt::Debug for DerivedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DerivedKeys([redacted])")
    }
}

pub(crate) fn derive(key: &MfaKey, label: &[u8]) -> Result<Zeroizing<[u8; 32]>, MfaError> {
    let failed = |_| MfaError::Crypto("key derivation failed");
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, b"rampart-auth mfa").extract(key.0.as_ref());
    let info = [label];
    let okm = prk.expand(&info, Len(32)).map_err(failed)?;
    let mut out = Zeroizing::new([0u8; 32]);
    okm.fill(out.as_mut()).map_err(failed)?;
    Ok(out)
}

/// What is sealed: the algorithm and digit count, then the secret, so a
/// change of defaults affects new enrolments only. Wiped on drop.
pub(crate) fn payload(totp: &Totp, secret: &TotpSecret) -> Zeroizing<Vec<u8>> {
    let mut plain = Vec::with_capacity(2 + secret.as_bytes().len() + 16);
    plain.push(totp.algorithm().to_byte());
    plain.push(totp.digits());
    plain.extend_from_slice(secret.as_bytes());
    Zeroizing::new(plain)
}

/// Reads what [`payload`] wrote.
pub(crate) fn parse_payload(plain: &[u8]) -> Result<(Totp, TotpSecret), MfaError> {
    let [algorithm, digits, secret @ ..] = plain else {
        return Err(MfaError::Sealed);
    };
    let algorithm = TotpAlgorithm::from_byte(*algorithm).ok_or(MfaError::Sealed)?;
    let totp = Totp::new(algorithm, *digits).map_err(|_| MfaError::Sealed)?;
    let secret = TotpSecret::from_bytes(secret).map_err(|_| MfaError::Sealed)?;
    Ok((totp, secret))
}

impl DerivedKeys {
    pub(crate) fn new(key: &MfaKey) -> Result<Self, MfaError> {
        let seal_key = derive(key, b"totp secret sealing v1")?;
        let backup_key = derive(key, b"backup code hashing v1")?;
        let seal = RandomizedNonceKey::new(&AES_256_GCM, seal_key.as_ref())
            .map_err(|_| MfaError::Crypto("cannot build the sealing key"))?;
        Ok(Self {
            seal,
            backup: hmac::Key::new(hmac::HMAC_SHA256, backup_key.as_ref()),
        })
    }

    /// `secret` and its parameters, encrypted for `user`: the user id is the
    /// associated data, so a sealed secret copied onto another user's record
    /// does not open.
    pub(crate) fn seal(
        &self,
        user: &str,
        totp: &Totp,
        secret: &TotpSecret,
    ) -> Result<Vec<u8>, MfaError> {
        let mut in_out = payload(totp, secret);
        let nonce = self
            .seal
            .seal_in_place_append_tag(Aad::from(user.as_bytes()), &mut *in_out)
            .map_err(|_| MfaError::Crypto("sealing the TOTP secret failed"))?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + in_out.len());
        sealed.push(SEALED_V1);
        sealed.extend_from_slice(nonce.as_ref());
        sealed.extend_from_slice(&in_out);
        Ok(sealed)
    }

    /// Opens what [`seal`](Self::seal) made for `user`.
    pub(crate) fn open(&self, user: &str, sealed: &[u8]) -> Result<(Totp, TotpSecret), MfaError> {
        let unreadable = MfaError::Sealed;
        let (version, rest) = sealed.split_first().ok_or(unreadable.clone())?;
        if *version != SEALED_V1 || rest.len() < NONCE_LEN {
            return Err(unreadable);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| unreadable.clone())?;
        let mut in_out = Zeroizing::new(ciphertext.to_vec());
        let plain = self
            .seal
            .open_in_place(nonce, Aad::from(user.as_bytes()), &mut in_out)
            .map_err(|_| unreadable.clone())?;
        parse_payload(plain)
    }

    /// The stored form of a backup code: HMAC-SHA-256 of the user id and the
    /// normalised code, so equal codes of two users differ in the store.
    pub(crate) fn backup_hash(&self, user: &str, normalised_code: &str) -> [u8; 32] {
        let mut ctx = hmac::Context::with_key(&self.backup);
        ctx.update(&(user.len() as u64).to_be_bytes());
        ctx.update(user.as_bytes());
        ctx.update(normalised_code.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(ctx.sign().as_ref());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> DerivedKeys {
        DerivedKeys::new(&MfaKey::from_bytes(&[7u8; 32]).unwrap()).unwrap()
    }

    #[test]
    fn keys_must_be_32_bytes() {
        assert!(MfaKey::from_bytes(&[0u8; 31]).is_err());
        assert!(MfaKey::from_bytes(&[0u8; 33]).is_err());
        assert!(!format!("{:?}", MfaKey::from_bytes(&[9u8; 32]).unwrap()).contains('9'));
    }

    #[test]
    fn sealed_secret_opens_only_for_its_user_and_key() {
        let keys = keys();
        let totp = Totp::new(TotpAlgorithm::Sha512, 7).unwrap();
        let secret = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        let sealed = keys.seal("alice", &totp, &secret).unwrap();
        assert!(!sealed.windows(20).any(|w| w == b"12345678901234567890"));
        let (opened_totp, opened) = keys.open("alice", &sealed).unwrap();
        assert_eq!(opened_totp, totp);
        assert_eq!(opened.as_bytes(), secret.as_bytes());
        assert_eq!(keys.open("bob", &sealed).unwrap_err(), MfaError::Sealed);
        let other = DerivedKeys::new(&MfaKey::from_bytes(&[8u8; 32]).unwrap()).unwrap();
        assert_eq!(other.open("alice", &sealed).unwrap_err(), MfaError::Sealed);
        // Same secret sealed twice: fresh nonce, different bytes.
        assert_ne!(keys.seal("alice", &totp, &secret).unwrap(), sealed);
    }

    #[test]
    fn tampered_or_truncated_sealed_bytes_are_an_error_not_a_panic() {
        let keys = keys();
        let secret = TotpSecret::from_bytes(&[1u8; 20]).unwrap();
        let sealed = keys.seal("alice", &Totp::default(), &secret).unwrap();
        for cut in 0..sealed.len() {
            assert!(keys.open("alice", &sealed[..cut]).is_err(), "cut {cut}");
        }
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(keys.open("alice", &bad).is_err(), "flip {i}");
        }
    }

    #[test]
    fn backup_hashes_depend_on_user_code_and_key() {
        let keys = keys();
        let a = keys.backup_hash("alice", "abcde12345");
        assert_eq!(a, keys.backup_hash("alice", "abcde12345"));
        assert_ne!(a, keys.backup_hash("bob", "abcde12345"));
        assert_ne!(a, keys.backup_hash("alice", "abcde12346"));
        // The length prefix keeps ("ab", "c...") and ("a", "bc...") apart.
        assert_ne!(keys.backup_hash("ab", "cde"), keys.backup_hash("a", "bcde"));
        let other = DerivedKeys::new(&MfaKey::from_bytes(&[8u8; 32]).unwrap()).unwrap();
        assert_ne!(a, other.backup_hash("alice", "abcde12345"));
    }
}
