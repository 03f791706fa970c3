//! What a one-time code looks like: its alphabet and length, how one is
//! drawn without bias, and how what a user typed is read back.

use super::OobError;
use zeroize::Zeroizing;

/// The fewest codes a format may have: 10^6, as many as 6 digits. With the
/// default 5 attempts per code a guesser wins one time in 200 000.
const MIN_SPACE: f64 = 1_000_000.0;

/// The longest code a format may have.
pub const MAX_CODE_LEN: usize = 32;

/// The alphabet and length of one-time codes. Default: 6 decimal digits,
/// what SMS autofill and people expect.
///
/// ```
/// use rampart::auth::oob::CodeFormat;
///
/// assert_eq!(CodeFormat::default(), CodeFormat::digits(6).unwrap());
/// // 8 characters a user can read aloud without ambiguity.
/// let format = CodeFormat::new("23456789abcdefghjkmnpqrstuvwxyz", 8).unwrap();
/// assert_eq!(format.len(), 8);
/// // Too few possible codes to resist guessing.
/// assert!(CodeFormat::digits(4).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeFormat {
    alphabet: Vec<u8>,
    len: usize,
    /// Whether letters are read without regard to case (the alphabet has
    /// letters of one case only).
    fold_case: bool,
}

impl Default for CodeFormat {
    fn default() -> Self {
        Self {
            alphabet: b"0123456789".to_vec(),
            len: 6,
            fold_case: true,
        }
    }
}

impl CodeFormat {
    /// `len` decimal digits (6 to 32).
    ///
    /// # Errors
    /// [`OobError::InvalidFormat`] for fewer than 6 or more than 32.
    pub fn digits(len: usize) -> Result<Self, OobError> {
        Self::new("0123456789", len)
    }

    /// Codes of `len` characters drawn from `alphabet`: 2 to 64 distinct,
    /// printable ASCII characters other than space and `-` (both are ignored
    /// when a code is typed). An alphabet with letters of one case only is
    /// read case-insensitively.
    ///
    /// # Errors
    /// [`OobError::InvalidFormat`] for an alphabet that breaks those rules,
    /// a length over [`MAX_CODE_LEN`], or fewer than a million possible codes.
    pub fn new(alphabet: &str, len: usize) -> Result<Self, OobError> {
        let bytes = alphabet.as_bytes();
        if !(2..=64).contains(&bytes.len()) {
            return Err(OobError::InvalidFormat(
                "the alphabet needs 2 to 64 characters",
            ));
        }
        if !bytes.iter().all(|b| b.is_ascii_graphic() && *b != b'-') {
            return Err(OobError::InvalidFormat(
                "the alphabet takes printable ASCII only, without space or '-'",
            ));
        }
        let mut seen = [false; 128];
        for b in bytes {
            if std::mem::replace(&mut seen[usize::from(*b)], true) {
                return Err(OobError::InvalidFormat("the alphabet repeats a character"));
            }
        }
        if len > MAX_CODE_LEN {
            return Err(OobError::InvalidFormat("a code has at most 32 characters"));
        }
        let exponent = i32::try_from(len).unwrap_or(i32::MAX);
        if (bytes.len() as f64).powi(exponent) < MIN_SPACE {
            return Err(OobError::InvalidFormat(
                "fewer than a million possible codes: use a longer code or a larger alphabet",
            ));
        }
        let has_lower = bytes.iter().any(u8::is_ascii_lowercase);
        let has_upper = bytes.iter().any(u8::is_ascii_uppercase);
        Ok(Self {
            alphabet: bytes.to_vec(),
            len,
            fold_case: !(has_lower && has_upper),
        })
    }

    /// Characters per code.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// A fresh code from the system CSPRNG. Each character is one random
    /// byte, redrawn when it falls in the last, incomplete round of the
    /// alphabet, so every character is equally likely.
    pub(crate) fn generate(&self) -> Result<OobCode, OobError> {
        let n = self.alphabet.len();
        // The largest multiple of n that fits in a byte: bytes at or above it are redrawn.
        let limit = 256 - 256 % n;
        let mut code = Zeroizing::new(String::with_capacity(self.len));
        let mut random = Zeroizing::new([0u8; 64]);
        while code.len() < self.len {
            aws_lc_rs::rand::fill(random.as_mut())
                .map_err(|_| OobError::Crypto("the system random generator failed"))?;
            for byte in random.iter().map(|b| usize::from(*b)) {
                if byte < limit && code.len() < self.len {
                    code.push(char::from(self.alphabet[byte % n]));
                }
            }
        }
        Ok(OobCode(code))
    }

    /// The canonical form of what a user typed, or `None` when it cannot be
    /// a code of this format. Spaces and dashes are ignored; case too when
    /// the alphabet allows.
    pub(crate) fn normalise(&self, typed: &str) -> Option<Zeroizing<String>> {
        // Checked before any work, so a megabyte of input costs nothing.
        if typed.len() > 4 * self.len {
            return None;
        }
        let mut out = Zeroizing::new(String::with_capacity(self.len));
        for c in typed.chars() {
            if c == ' ' || c == '-' {
                continue;
            }
            if !c.is_ascii() {
                return None;
            }
            let b = c as u8;
            let b = if self.fold_case && !self.alphabet.contains(&b) {
                if b.is_ascii_lowercase() {
                    b.to_ascii_uppercase()
                } else {
                    b.to_ascii_lowercase()
                }
            } else {
                b
            };
            if !self.alphabet.contains(&b) {
                return None;
            }
            out.push(char::from(b));
        }
        (out.len() == self.len).then_some(out)
    }
}

/// One one-time code, as sent to the user. Wiped on drop, `[redacted]` in
/// `Debug`: only the [`OobSender`](super::OobSender) reads it.
#[derive(Clone, PartialEq, Eq)]
pub struct OobCode(Zeroizing<String>);

impl std::fmt::Debug for OobCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OobCode([redacted])")
    }
}

impl OobCode {
    /// The code, to put in the message.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_codes_are_six_digits_and_read_back() {
        let format = CodeFormat::default();
        for _ in 0..200 {
            let code = format.generate().unwrap();
            assert_eq!(code.as_str().len(), 6);
            assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
            assert_eq!(
                format.normalise(code.as_str()).unwrap().as_str(),
                code.as_str()
            );
        }
        assert_eq!(format.normalise("123 456").unwrap().as_str(), "123456");
        assert_eq!(format.normalise("123-456").unwrap().as_str(), "123456");
    }

    #[test]
    fn every_character_is_drawn() {
        // 7 symbols do not divide 256: the redraw must still reach each.
        let format = CodeFormat::new("abcdefg", 8).unwrap();
        let mut counts = [0usize; 7];
        for _ in 0..500 {
            for b in format.generate().unwrap().as_str().bytes() {
                counts[usize::from(b - b'a')] += 1;
            }
        }
        // 4000 draws, 571 expected per symbol: far from 0 and from all.
        assert!(counts.iter().all(|c| (350..800).contains(c)), "{counts:?}");
    }

    #[test]
    fn single_case_alphabets_read_either_case() {
        let format = CodeFormat::new("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 6).unwrap();
        assert_eq!(format.normalise("abc-def").unwrap().as_str(), "ABCDEF");
        let mixed = CodeFormat::new("abcdefABCDEF", 8).unwrap();
        assert_eq!(mixed.normalise("aAbBcCdD").unwrap().as_str(), "aAbBcCdD");
        assert!(mixed.normalise("aAbBcCdg").is_none());
    }

    #[test]
    fn what_cannot_be_a_code_is_refused() {
        let format = CodeFormat::default();
        for bad in ["", "12345", "1234567", "12345a", "１２３４５６", "12\n456"] {
            assert!(format.normalise(bad).is_none(), "{bad:?}");
        }
        assert!(format.normalise(&" ".repeat(1_000_000)).is_none());
    }

    #[test]
    fn weak_or_malformed_formats_are_refused() {
        assert!(CodeFormat::digits(5).is_err());
        assert!(CodeFormat::digits(6).is_ok());
        assert!(CodeFormat::digits(33).is_err());
        assert!(CodeFormat::new("a", 32).is_err());
        assert!(CodeFormat::new("aab", 20).is_err());
        assert!(CodeFormat::new("aAa", 20).is_err());
        assert!(CodeFormat::new("ab-", 20).is_err());
        assert!(CodeFormat::new("ab c", 20).is_err());
        assert!(CodeFormat::new("abé", 20).is_err());
        assert!(CodeFormat::new(&"x".repeat(65), 6).is_err());
        // 2^20 > 10^6: binary codes of 20 characters are enough.
        assert!(CodeFormat::new("01", 20).is_ok());
        assert!(CodeFormat::new("01", 19).is_err());
    }

    #[test]
    fn debug_hides_the_code() {
        let code = CodeFormat::digits(8).unwrap().generate().unwrap();
        assert!(!format!("{code:?}").contains(code.as_str()));
    }
}
