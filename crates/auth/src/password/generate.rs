//! Random passwords for resets, service accounts and first logins.
//!
//! Characters come from the operating system's CSPRNG (aws-lc-rs
//! `SystemRandom`). Each is drawn by rejection sampling, never `byte % n`,
//! so no character is likelier than another; and a password missing one of
//! the chosen classes is thrown away whole and drawn again, rather than
//! patched, so every password that has each class is equally likely.

use super::PasswordError;
use crate::ConfigError;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

/// A class of characters a generated password draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CharClass {
    /// `a`–`z`.
    Lowercase,
    /// `A`–`Z`.
    Uppercase,
    /// `0`–`9`.
    Digit,
    /// ASCII punctuation without quotes, backslash, backtick and space, which
    /// break shells and config files: `!#$%&()*+,-./:;<=>?@[]^_{|}~`.
    Special,
}

impl CharClass {
    /// The characters of the class.
    pub fn alphabet(self) -> &'static str {
        match self {
            Self::Lowercase => "abcdefghijklmnopqrstuvwxyz",
            Self::Uppercase => "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            Self::Digit => "0123456789",
            Self::Special => "!#$%&()*+,-./:;<=>?@[]^_{|}~",
        }
    }

    fn contains(self, c: char) -> bool {
        self.alphabet().contains(c)
    }
}

/// The longest password the generator makes.
const MAX_LENGTH: usize = 1024;

/// Makes random passwords of one length and set of classes, each class
/// present at least once.
///
/// ```
/// use rampart::auth::password::{CharClass, PasswordGenerator};
///
/// let generator = PasswordGenerator::default(); // 16 characters, all four classes
/// let password = generator.generate()?;
/// assert_eq!(password.chars().count(), 16);
///
/// let pin = PasswordGenerator::builder().length(6).classes([CharClass::Digit]).build()?;
/// assert!(pin.generate()?.chars().all(|c| c.is_ascii_digit()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct PasswordGenerator {
    length: usize,
    classes: Vec<CharClass>,
    alphabet: Vec<char>,
}

impl Default for PasswordGenerator {
    /// 16 characters from all four classes (about 103 bits).
    fn default() -> Self {
        Self::with(
            16,
            vec![
                CharClass::Lowercase,
                CharClass::Uppercase,
                CharClass::Digit,
                CharClass::Special,
            ],
        )
    }
}

impl PasswordGenerator {
    /// Starts from the default (16 characters, all classes).
    pub fn builder() -> PasswordGeneratorBuilder {
        PasswordGeneratorBuilder {
            length: 16,
            classes: None,
        }
    }

    fn with(length: usize, classes: Vec<CharClass>) -> Self {
        let alphabet = classes.iter().flat_map(|c| c.alphabet().chars()).collect();
        Self {
            length,
            classes,
            alphabet,
        }
    }

    /// The password length.
    pub fn length(&self) -> usize {
        self.length
    }

    /// The classes every password contains.
    pub fn classes(&self) -> &[CharClass] {
        &self.classes
    }

    /// A new password, wiped from memory when dropped.
    ///
    /// # Errors
    /// [`PasswordError::Failed`] when the system's random source fails.
    pub fn generate(&self) -> Result<Zeroizing<String>, PasswordError> {
        let rng = SystemRandom::new();
        loop {
            let mut password = Zeroizing::new(String::with_capacity(self.length));
            for _ in 0..self.length {
                password.push(self.alphabet[uniform(&rng, self.alphabet.len())?]);
            }
            if self
                .classes
                .iter()
                .all(|class| password.chars().any(|c| class.contains(c)))
            {
                return Ok(password);
            }
        }
    }
}

/// A uniform index below `n` (`0 < n <= 2^32`): 32 random bits, redrawn when
/// they fall in the incomplete last block of `n` values.
fn uniform(rng: &SystemRandom, n: usize) -> Result<usize, PasswordError> {
    let n = n as u64;
    let span = 1u64 << 32;
    let limit = span - span % n;
    loop {
        let mut bytes = [0u8; 4];
        rng.fill(&mut bytes).map_err(|_| PasswordError::Failed)?;
        let x = u64::from(u32::from_le_bytes(bytes));
        if x < limit {
            // x % n < n <= alphabet length: fits in usize.
            return Ok(usize::try_from(x % n).unwrap_or(0));
        }
    }
}

/// Builds a [`PasswordGenerator`].
#[derive(Debug, Clone)]
#[must_use]
pub struct PasswordGeneratorBuilder {
    length: usize,
    classes: Option<Vec<CharClass>>,
}

impl PasswordGeneratorBuilder {
    /// Characters per password. Default 16.
    pub fn length(mut self, n: usize) -> Self {
        self.length = n;
        self
    }

    /// The classes to draw from, each present in every password. Default:
    /// all four.
    pub fn classes(mut self, classes: impl IntoIterator<Item = CharClass>) -> Self {
        let mut chosen: Vec<CharClass> = Vec::new();
        for class in classes {
            if !chosen.contains(&class) {
                chosen.push(class);
            }
        }
        self.classes = Some(chosen);
        self
    }

    /// Validates the settings.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for no classes, a length shorter than the
    /// number of classes, or longer than 1024.
    pub fn build(self) -> Result<PasswordGenerator, ConfigError> {
        let classes = self
            .classes
            .unwrap_or_else(|| PasswordGenerator::default().classes);
        if classes.is_empty() {
            return Err(ConfigError::Invalid {
                name: "classes",
                reason: "choose at least one character class".into(),
            });
        }
        if self.length < classes.len() || self.length > MAX_LENGTH {
            return Err(ConfigError::Invalid {
                name: "length",
                reason: format!(
                    "must be between the number of classes ({}) and {MAX_LENGTH}",
                    classes.len()
                ),
            });
        }
        Ok(PasswordGenerator::with(self.length, classes))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn uniform_stays_below_n_and_reaches_every_value() {
        let rng = SystemRandom::new();
        let mut seen = [false; 3];
        for _ in 0..300 {
            seen[uniform(&rng, 3).unwrap()] = true;
        }
        assert_eq!(seen, [true; 3]);
        assert_eq!(uniform(&rng, 1).unwrap(), 0);
    }
}
