//! RFC 6238 time-based one-time passwords: the code for a time step, and the
//! windowed, constant-time check of a code a user typed.

use super::{MfaError, TotpSecret};
use aws_lc_rs::hmac;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The time step, in seconds. RFC 6238's default, and the only one common
/// authenticator apps honour (several ignore the URI's `period`).
pub const PERIOD_SECS: u64 = 30;

/// How many steps either side of the current one a code may come from: one
/// step absorbs clock drift and the seconds a user takes to type, and RFC
/// 6238 §5.2 recommends no more.
pub const WINDOW_STEPS: u64 = 1;

/// The HMAC a TOTP is computed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[non_exhaustive]
pub enum TotpAlgorithm {
    /// HMAC-SHA-1: the default, and the only one every authenticator app
    /// supports. HMAC-SHA-1 is not weakened by SHA-1's collisions.
    #[default]
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl TotpAlgorithm {
    /// The name used in `otpauth://` URIs (`SHA1`, `SHA256`, `SHA512`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        }
    }

    fn hmac(self) -> hmac::Algorithm {
        match self {
            Self::Sha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            Self::Sha256 => hmac::HMAC_SHA256,
            Self::Sha512 => hmac::HMAC_SHA512,
        }
    }

    pub(crate) fn to_byte(self) -> u8 {
        match self {
            Self::Sha1 => 1,
            Self::Sha256 => 2,
            Self::Sha512 => 3,
        }
    }

    pub(crate) fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Self::Sha1),
            2 => Some(Self::Sha256),
            3 => Some(Self::Sha512),
            _ => None,
        }
    }
}

/// A TOTP generator and checker: an algorithm and a code length, on
/// [`PERIOD_SECS`] steps counted from the Unix epoch.
///
/// ```
/// # #[cfg(feature = "mfa")] {
/// use rampart::auth::mfa::{Totp, TotpAlgorithm, TotpSecret};
///
/// let totp = Totp::new(TotpAlgorithm::Sha1, 8)?;
/// let secret = TotpSecret::from_bytes(b"12345678901234567890")?;
/// // RFC 6238 Appendix B, T = 59 s.
/// assert_eq!(totp.code_at(&secret, 59).as_str(), "94287082");
/// // Typed 30 s late, it is still accepted: one step of drift.
/// assert_eq!(totp.matching_step(&secret, "94287082", 89, None), Some(1));
/// assert_eq!(totp.matching_step(&secret, "94287082", 119, None), None);
/// # }
/// # Ok::<(), rampart::auth::mfa::MfaError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totp {
    algorithm: TotpAlgorithm,
    digits: u8,
}

impl Default for Totp {
    /// SHA-1, 6 digits: what every authenticator app accepts.
    fn default() -> Self {
        Self {
            algorithm: TotpAlgorithm::Sha1,
            digits: 6,
        }
    }
}

impl Totp {
    /// A TOTP with `digits` digits (6 to 8).
    ///
    /// # Errors
    /// [`MfaError::InvalidCodeLength`] outside 6..=8: fewer digits fall to
    /// guessing, and RFC 4226's dynamic truncation yields 31 bits, so more
    /// than 9 add nothing (and apps show at most 8).
    pub fn new(algorithm: TotpAlgorithm, digits: u8) -> Result<Self, MfaError> {
        if !(6..=8).contains(&digits) {
            return Err(MfaError::InvalidCodeLength(digits));
        }
        Ok(Self { algorithm, digits })
    }

    /// The HMAC algorithm.
    pub fn algorithm(&self) -> TotpAlgorithm {
        self.algorithm
    }

    /// The number of digits in a code.
    pub fn digits(&self) -> u8 {
        self.digits
    }

    /// The time step `unix_secs` falls in.
    pub fn step_at(unix_secs: u64) -> u64 {
        unix_secs / PERIOD_SECS
    }

    /// The code for time step `step` (RFC 4226 HOTP with the step as counter).
    pub fn code_at_step(&self, secret: &TotpSecret, step: u64) -> Zeroizing<String> {
        let key = hmac::Key::new(self.algorithm.hmac(), secret.as_bytes());
        let tag = hmac::sign(&key, &step.to_be_bytes());
        let mac = tag.as_ref();
        // Dynamic truncation (RFC 4226 §5.3): the low nibble of the last byte
        // picks four bytes; every HMAC here is at least 20 bytes long, so
        // offset + 3 <= 15 + 3 is always in range.
        let offset = usize::from(mac[mac.len() - 1] & 0x0f);
        let binary = u32::from_be_bytes([
            mac[offset] & 0x7f,
            mac[offset + 1],
            mac[offset + 2],
            mac[offset + 3],
        ]);
        let modulus = 10u32.pow(u32::from(self.digits));
        Zeroizing::new(format!(
            "{:0width$}",
            binary % modulus,
            width = usize::from(self.digits)
        ))
    }

    /// The code at `unix_secs`.
    pub fn code_at(&self, secret: &TotpSecret, unix_secs: u64) -> Zeroizing<String> {
        self.code_at_step(secret, Self::step_at(unix_secs))
    }

    /// The step `code` belongs to, if it is the code of a step within
    /// [`WINDOW_STEPS`] of `unix_secs` and after `after` (the last step this
    /// user had accepted, so a code is good once).
    ///
    /// Every step of the window is computed and compared in constant time
    /// whatever matches, so the time taken says nothing about how close a
    /// guess was. A code of the wrong length or with non-digits matches nothing.
    pub fn matching_step(
        &self,
        secret: &TotpSecret,
        code: &str,
        unix_secs: u64,
        after: Option<u64>,
    ) -> Option<u64> {
        let code = code.as_bytes();
        let well_formed =
            code.len() == usize::from(self.digits) && code.iter().all(u8::is_ascii_digit);
        let now = Self::step_at(unix_secs);
        let mut found: Option<u64> = None;
        for step in now.saturating_sub(WINDOW_STEPS)..=now.saturating_add(WINDOW_STEPS) {
            let expected = self.code_at_step(secret, step);
            let equal: bool = expected.as_bytes().ct_eq(code).into();
            let fresh = after.is_none_or(|last| step > last);
            // The earliest fresh match: it leaves later steps usable.
            if equal && fresh && well_formed && found.is_none() {
                found = Some(step);
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_lengths_outside_six_to_eight_are_refused() {
        for digits in [0, 5, 9, 10, 255] {
            assert_eq!(
                Totp::new(TotpAlgorithm::Sha1, digits),
                Err(MfaError::InvalidCodeLength(digits))
            );
        }
        for digits in 6..=8 {
            assert!(Totp::new(TotpAlgorithm::Sha512, digits).is_ok());
        }
    }

    #[test]
    fn rfc4226_hotp_values_come_out_of_step_counters() {
        // RFC 4226 Appendix D: HOTP(counter) for the 20-byte ASCII seed.
        let totp = Totp::default();
        let secret = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        let expected = ["755224", "287082", "359152", "969429", "338314"];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(totp.code_at_step(&secret, counter as u64).as_str(), *code);
        }
    }

    #[test]
    fn malformed_codes_match_nothing() {
        let totp = Totp::default();
        let secret = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        let good = totp.code_at(&secret, 1_000_000);
        assert!(
            totp.matching_step(&secret, &good, 1_000_000, None)
                .is_some()
        );
        for bad in [
            "",
            "12345",
            "1234567",
            "abcdef",
            "٣٣٣٣٣٣",
            " 12345",
            "123 45",
        ] {
            assert_eq!(
                totp.matching_step(&secret, bad, 1_000_000, None),
                None,
                "{bad:?}"
            );
        }
        let spaced = format!("{} ", good.as_str());
        assert_eq!(totp.matching_step(&secret, &spaced, 1_000_000, None), None);
    }

    #[test]
    fn the_epoch_has_no_step_before_it() {
        let totp = Totp::default();
        let secret = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        let code = totp.code_at_step(&secret, 0);
        assert_eq!(totp.matching_step(&secret, &code, 0, None), Some(0));
        assert_eq!(totp.matching_step(&secret, &code, 0, Some(0)), None);
    }
}
