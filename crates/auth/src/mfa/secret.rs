//! The shared TOTP secret: random, at least 160 bits, base32 for people.

use super::MfaError;
use data_encoding::BASE32_NOPAD;
use zeroize::Zeroizing;

/// The shortest secret accepted, in bytes: RFC 4226 §4 asks for 128 bits and
/// recommends 160, which is also what SHA-1's HMAC block makes full use of.
pub const MIN_SECRET_BYTES: usize = 20;

/// The longest secret accepted, in bytes (SHA-512's block size): longer keys
/// are hashed down by HMAC anyway, and a bound keeps hostile input small.
pub const MAX_SECRET_BYTES: usize = 128;

/// A TOTP shared secret.
///
/// Wiped from memory when dropped; its `Debug` form is `[redacted]`, so a
/// stray `{:?}` in a log line cannot leak it. It leaves this type only through
/// [`TotpSecret::to_base32`] (shown to the user once, at enrolment) and
/// sealed by the [`Mfa`](super::Mfa) service for the store.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

impl TotpSecret {
    /// A fresh secret of `bytes` random bytes from the operating system's
    /// CSPRNG.
    ///
    /// # Errors
    /// [`MfaError::InvalidSecret`] when `bytes` is below
    /// [`MIN_SECRET_BYTES`] or above [`MAX_SECRET_BYTES`]; [`MfaError::Crypto`]
    /// when the system has no randomness to give.
    pub fn generate(bytes: usize) -> Result<Self, MfaError> {
        check_len(bytes)?;
        let mut secret = Zeroizing::new(vec![0u8; bytes]);
        aws_lc_rs::rand::fill(&mut secret)
            .map_err(|_| MfaError::Crypto("the system random generator failed"))?;
        Ok(Self(secret))
    }

    /// A secret from raw bytes (a migration from another system, a test vector).
    ///
    /// # Errors
    /// [`MfaError::InvalidSecret`] when it is shorter than
    /// [`MIN_SECRET_BYTES`] or longer than [`MAX_SECRET_BYTES`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MfaError> {
        check_len(bytes.len())?;
        Ok(Self(Zeroizing::new(bytes.to_vec())))
    }

    /// Decodes a base32 secret (RFC 4648 alphabet) as authenticator apps
    /// show it: case, spaces, dashes and trailing `=` padding are ignored.
    ///
    /// # Errors
    /// [`MfaError::InvalidSecret`] for a character outside the alphabet, a
    /// length no byte string encodes to, or a secret out of bounds.
    pub fn from_base32(text: &str) -> Result<Self, MfaError> {
        if text.len() > MAX_SECRET_BYTES * 2 {
            return Err(MfaError::InvalidSecret("the base32 secret is too long"));
        }
        let cleaned: Zeroizing<String> = Zeroizing::new(
            text.chars()
                .filter(|c| !matches!(c, ' ' | '-'))
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        );
        let unpadded = cleaned.trim_end_matches('=');
        let bytes = BASE32_NOPAD
            .decode(unpadded.as_bytes())
            .map(Zeroizing::new)
            .map_err(|_| MfaError::InvalidSecret("the secret is not valid base32"))?;
        Self::from_bytes(&bytes)
    }

    /// The secret in base32 without padding, as `otpauth://` URIs and
    /// authenticator apps expect it. Show it once, at enrolment.
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE32_NOPAD.encode(&self.0))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

fn check_len(bytes: usize) -> Result<(), MfaError> {
    if bytes < MIN_SECRET_BYTES {
        return Err(MfaError::InvalidSecret(
            "a TOTP secret needs at least 160 bits (20 bytes)",
        ));
    }
    if bytes > MAX_SECRET_BYTES {
        return Err(MfaError::InvalidSecret(
            "a TOTP secret may have at most 128 bytes",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_long_enough_and_differ() {
        let a = TotpSecret::generate(20).unwrap();
        let b = TotpSecret::generate(20).unwrap();
        assert_eq!(a.as_bytes().len(), 20);
        assert_ne!(a.as_bytes(), b.as_bytes());
        assert!(matches!(
            TotpSecret::generate(16),
            Err(MfaError::InvalidSecret(_))
        ));
        assert!(TotpSecret::generate(129).is_err());
    }

    #[test]
    fn base32_round_trips_without_padding_and_tolerates_how_people_type_it() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        let text = secret.to_base32();
        assert_eq!(text.as_str(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let typed = "gezd gnbv-gy3t qojq gezd gnbv gy3t qojq";
        assert_eq!(
            TotpSecret::from_base32(typed).unwrap().as_bytes(),
            secret.as_bytes()
        );
        // 32 bytes encode with padding in RFC 4648; the padded form is accepted.
        let padded = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA====";
        assert_eq!(
            TotpSecret::from_base32(padded).unwrap().as_bytes(),
            b"12345678901234567890123456789012"
        );
        assert!(!TotpSecret::generate(32).unwrap().to_base32().contains('='));
    }

    #[test]
    fn bad_base32_is_an_error_not_a_panic() {
        for bad in [
            "",
            "GEZDGNBV",
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1",
            "ÄÖÜ",
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ!",
            "A",
        ] {
            assert!(TotpSecret::from_base32(bad).is_err(), "{bad:?}");
        }
        assert!(TotpSecret::from_base32(&"A".repeat(100_000)).is_err());
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        let shown = format!("{secret:?}");
        assert!(
            !shown.contains("GEZD") && !shown.contains("1234"),
            "{shown}"
        );
        assert!(shown.contains("redacted"));
    }
}
