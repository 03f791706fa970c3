//! Backup codes: single-use recovery codes for a user without their
//! authenticator.
//!
//! Ten codes of ten characters from Crockford's base32 alphabet, shown as
//! `xxxxx-xxxxx`: 50 bits each, from the system CSPRNG. The alphabet has no
//! `i`, `l`, `o` or `u`, and when checking a code `o` is read as `0` and
//! `i`/`l` as `1`, so a code copied by hand from paper still works. Case,
//! spaces and dashes are ignored.
//!
//! **Why a fast keyed hash, not argon2.** A code is stored as
//! HMAC-SHA-256 under a key derived from the application's [`MfaKey`](super::MfaKey),
//! which is not in the store. Passwords need a slow hash because people
//! choose them from a small space; these codes are 50 random bits, and
//! without the key a stolen store gives nothing to test guesses against.
//! With the key as well, finding one of ten codes still takes ~2^46 HMACs
//! per user. A slow hash would instead make every login with a code pay for
//! up to ten argon2 runs (codes cannot be looked up by a salted hash), which
//! is a denial-of-service lever. The keyed hash also lets the store find a
//! code by its hash in one atomic step, which is what makes single use hold
//! under concurrency.

use super::MfaError;
use zeroize::Zeroizing;

/// How many backup codes an enrolment yields.
pub const BACKUP_CODE_COUNT: usize = 10;

/// Characters in a code, dash excluded.
pub const BACKUP_CODE_LEN: usize = 10;

/// Crockford's base32 alphabet, lower case: 32 symbols, so each random byte
/// masked to 5 bits picks one without bias.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// One backup code, as shown to the user (`xxxxx-xxxxx`). Wiped on drop,
/// `[redacted]` in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct BackupCode(Zeroizing<String>);

impl std::fmt::Debug for BackupCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BackupCode([redacted])")
    }
}

impl BackupCode {
    /// The code as the user should see it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn generate() -> Result<Self, MfaError> {
        let mut random = Zeroizing::new([0u8; BACKUP_CODE_LEN]);
        aws_lc_rs::rand::fill(random.as_mut())
            .map_err(|_| MfaError::Crypto("the system random generator failed"))?;
        let mut code = String::with_capacity(BACKUP_CODE_LEN + 1);
        for (i, byte) in random.iter().enumerate() {
            if i == BACKUP_CODE_LEN / 2 {
                code.push('-');
            }
            code.push(char::from(ALPHABET[usize::from(byte & 31)]));
        }
        Ok(Self(Zeroizing::new(code)))
    }

    /// A set of [`BACKUP_CODE_COUNT`] distinct codes.
    pub(crate) fn generate_set() -> Result<Vec<Self>, MfaError> {
        let mut codes: Vec<Self> = Vec::with_capacity(BACKUP_CODE_COUNT);
        while codes.len() < BACKUP_CODE_COUNT {
            let code = Self::generate()?;
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        Ok(codes)
    }
}

/// The canonical form of what a user typed as a backup code, or `None` when
/// it cannot be one.
pub(crate) fn normalise(typed: &str) -> Option<Zeroizing<String>> {
    // Anything much longer than a code with separators is not one; checked
    // before any work so a megabyte of input costs nothing.
    if typed.len() > 4 * BACKUP_CODE_LEN {
        return None;
    }
    let mut out = Zeroizing::new(String::with_capacity(BACKUP_CODE_LEN));
    for c in typed.chars() {
        let c = match c.to_ascii_lowercase() {
            ' ' | '-' => continue,
            'o' => '0',
            'i' | 'l' => '1',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        out.push(c);
    }
    (out.len() == BACKUP_CODE_LEN).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_the_shown_format_and_normalise_to_themselves() {
        let codes = BackupCode::generate_set().unwrap();
        assert_eq!(codes.len(), BACKUP_CODE_COUNT);
        for code in &codes {
            let text = code.as_str();
            assert_eq!(text.len(), BACKUP_CODE_LEN + 1);
            assert_eq!(text.as_bytes()[5], b'-');
            assert!(
                text.bytes()
                    .filter(|b| *b != b'-')
                    .all(|b| ALPHABET.contains(&b))
            );
            assert_eq!(normalise(text).unwrap().as_str(), text.replace('-', ""));
        }
    }

    #[test]
    fn how_people_copy_a_code_is_forgiven() {
        assert_eq!(normalise("ABCDE-FGH0O").unwrap().as_str(), "abcdefgh00");
        assert_eq!(normalise("abcde fghil").unwrap().as_str(), "abcdefgh11");
        assert_eq!(normalise("abcdefghjk").unwrap().as_str(), "abcdefghjk");
    }

    #[test]
    fn what_cannot_be_a_code_is_refused() {
        for bad in [
            "",
            "abcde",
            "abcde-fghjkm",
            "abcde-fghju",
            "abcde-fgh!k",
            "ábcde-fghjk",
            "123456",
        ] {
            assert!(normalise(bad).is_none(), "{bad:?}");
        }
        assert!(normalise(&"-".repeat(1_000_000)).is_none());
    }

    #[test]
    fn debug_hides_the_code() {
        let code = BackupCode::generate().unwrap();
        assert!(!format!("{code:?}").contains(code.as_str()));
    }
}
