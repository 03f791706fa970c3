//! Strings and identifiers: length in characters, allowed character
//! classes, a whole-string pattern, and the invisible characters that
//! should never be in a name.

use regex::Regex;

/// Why a string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TextError {
    /// Fewer characters than required.
    #[error("must be at least {min} characters")]
    TooShort {
        /// The minimum.
        min: usize,
    },
    /// More characters than allowed.
    #[error("must be at most {max} characters")]
    TooLong {
        /// The maximum.
        max: usize,
    },
    /// A character outside the allowed classes, a control character, or an
    /// invisible formatting character (bidi overrides, zero-width).
    #[error("character U+{code:04X} at position {position} is not allowed")]
    ForbiddenCharacter {
        /// The character's code point.
        code: u32,
        /// Its position, in characters.
        position: usize,
    },
    /// The whole string does not match the pattern.
    #[error("does not match the required pattern")]
    PatternMismatch,
    /// An identifier's shape is wrong (leading or doubled separator...).
    #[error("not a valid identifier: {0}")]
    BadIdentifier(&'static str),
    /// A reserved identifier (`admin`, `root`...).
    #[error("`{0}` is reserved")]
    Reserved(String),
}

impl TextError {
    /// A stable snake_case code for problem details and audit events.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "too_short",
            Self::TooLong { .. } => "too_long",
            Self::ForbiddenCharacter { .. } => "forbidden_character",
            Self::PatternMismatch => "pattern_mismatch",
            Self::BadIdentifier(_) => "bad_identifier",
            Self::Reserved(_) => "reserved",
        }
    }
}

/// A pattern that does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid pattern: {0}")]
pub struct PatternError(String);

/// Character classes a [`TextPolicy`] may allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CharClass {
    /// Unicode letters (and combining marks that go with them).
    Letters,
    /// Numeric characters of any script (`٢`, `Ⅻ`); use
    /// [`CharClass::AsciiDigits`] for `0-9` alone.
    Digits,
    /// `0-9`.
    AsciiDigits,
    /// ASCII letters `a-zA-Z`.
    AsciiLetters,
    /// The space character.
    Space,
    /// Newlines and tabs (multi-line text).
    LineBreaks,
    /// ASCII punctuation and symbols.
    AsciiPunctuation,
    /// Any other printable character (emoji, non-ASCII punctuation).
    OtherPrintable,
}

impl CharClass {
    fn contains(self, c: char) -> bool {
        match self {
            Self::Letters => c.is_alphabetic() || is_mark(c),
            Self::Digits => c.is_numeric(),
            Self::AsciiDigits => c.is_ascii_digit(),
            Self::AsciiLetters => c.is_ascii_alphabetic(),
            Self::Space => c == ' ',
            Self::LineBreaks => matches!(c, '\n' | '\r' | '\t'),
            Self::AsciiPunctuation => c.is_ascii_punctuation(),
            Self::OtherPrintable => !c.is_control() && !is_invisible(c) && !c.is_ascii(),
        }
    }
}

/// Combining marks (U+0300–U+036F and the other common blocks), which
/// letters in decomposed form need.
fn is_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

/// Characters that change how text displays without showing: bidi
/// controls (Trojan Source), zero-width characters, the BOM.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// Rules for a free-text field.
///
/// Defaults: 0 to 10,000 characters, any printable character plus spaces,
/// no control characters, no invisible formatting characters, no pattern.
///
/// ```
/// use rampart_sanitize::validate::{CharClass, TextPolicy};
///
/// let name = TextPolicy::new()
///     .length(1, 50)
///     .allow_only([CharClass::Letters, CharClass::Space, CharClass::AsciiPunctuation]);
/// assert!(name.check("Zoë O'Brien").is_ok());
/// assert!(name.check("Eve\u{202E}gnp.exe").is_err());
///
/// let sku = TextPolicy::new().pattern("[A-Z]{3}-[0-9]{4}").unwrap();
/// assert!(sku.check("ABC-1234").is_ok());
/// assert!(sku.check("ABC-1234; DROP").is_err());
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct TextPolicy {
    min: usize,
    max: usize,
    classes: Option<Vec<CharClass>>,
    pattern: Option<Regex>,
}

impl Default for TextPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl TextPolicy {
    /// The defaults (see the type's docs).
    pub fn new() -> Self {
        Self {
            min: 0,
            max: 10_000,
            classes: None,
            pattern: None,
        }
    }

    /// The length range, in characters (Unicode scalar values) (default
    /// 0 to 10,000).
    pub fn length(mut self, min: usize, max: usize) -> Self {
        self.min = min;
        self.max = max;
        self
    }

    /// Only characters in these classes (default: any printable character
    /// and the space).
    pub fn allow_only<I: IntoIterator<Item = CharClass>>(mut self, classes: I) -> Self {
        self.classes = Some(classes.into_iter().collect());
        self
    }

    /// A regular expression the whole string must match (anchored for you).
    /// The `regex` engine runs in linear time, so a pattern cannot be made
    /// to backtrack catastrophically.
    ///
    /// # Errors
    /// When the pattern does not compile.
    pub fn pattern(mut self, pattern: &str) -> Result<Self, PatternError> {
        let anchored = format!("^(?:{pattern})$");
        self.pattern = Some(Regex::new(&anchored).map_err(|e| PatternError(e.to_string()))?);
        Ok(self)
    }

    /// Checks `text`.
    ///
    /// # Errors
    /// The first rule the string breaks.
    pub fn check(&self, text: &str) -> Result<(), TextError> {
        let mut count = 0;
        for (position, c) in text.chars().enumerate() {
            count += 1;
            if count > self.max {
                return Err(TextError::TooLong { max: self.max });
            }
            let allowed = match &self.classes {
                Some(classes) => classes.iter().any(|class| class.contains(c)) && !is_invisible(c),
                None => c == ' ' || (!c.is_control() && !is_invisible(c)),
            };
            if !allowed {
                return Err(TextError::ForbiddenCharacter {
                    code: u32::from(c),
                    position,
                });
            }
        }
        if count < self.min {
            return Err(TextError::TooShort { min: self.min });
        }
        if let Some(pattern) = &self.pattern
            && !pattern.is_match(text)
        {
            return Err(TextError::PatternMismatch);
        }
        Ok(())
    }
}

/// Slugs and user names: short ASCII identifiers safe in URLs, paths and
/// logs.
///
/// ```
/// use rampart_sanitize::validate::IdentifierPolicy;
///
/// assert!(IdentifierPolicy::slug().check("release-notes-2024").is_ok());
/// assert!(IdentifierPolicy::slug().check("Release Notes").is_err());
/// assert!(IdentifierPolicy::username().check("jane.doe_42").is_ok());
/// assert!(IdentifierPolicy::username().check("admin").is_err());
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct IdentifierPolicy {
    min: usize,
    max: usize,
    uppercase: bool,
    separators: &'static [char],
    reserved: Vec<String>,
}

/// Names a username preset refuses: they impersonate the system or staff.
const RESERVED_USERNAMES: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "system",
    "support",
    "security",
    "staff",
    "moderator",
    "owner",
    "postmaster",
    "hostmaster",
    "webmaster",
    "abuse",
    "noreply",
    "no-reply",
    "null",
    "undefined",
    "api",
    "www",
];

impl IdentifierPolicy {
    /// URL slugs: `a-z`, `0-9` and `-`, 1 to 64 characters, starting and
    /// ending with a letter or digit, no `--`.
    pub fn slug() -> Self {
        Self {
            min: 1,
            max: 64,
            uppercase: false,
            separators: &['-'],
            reserved: Vec::new(),
        }
    }

    /// User names: ASCII letters, digits and `. _ -`, 3 to 32 characters,
    /// starting with a letter, ending with a letter or digit, no two
    /// separators in a row, not a reserved name (`admin`, `root`... compared
    /// case-insensitively).
    pub fn username() -> Self {
        Self {
            min: 3,
            max: 32,
            uppercase: true,
            separators: &['.', '_', '-'],
            reserved: RESERVED_USERNAMES.iter().map(|r| (*r).to_owned()).collect(),
        }
    }

    /// The length range (defaults: slug 1–64, username 3–32).
    pub fn length(mut self, min: usize, max: usize) -> Self {
        self.min = min;
        self.max = max;
        self
    }

    /// Adds reserved identifiers (compared case-insensitively).
    pub fn reserve<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.reserved
            .extend(names.into_iter().map(|n| n.as_ref().to_ascii_lowercase()));
        self
    }

    /// Checks `id`.
    ///
    /// # Errors
    /// The first rule the identifier breaks.
    pub fn check(&self, id: &str) -> Result<(), TextError> {
        let len = id.chars().count();
        if len < self.min {
            return Err(TextError::TooShort { min: self.min });
        }
        if len > self.max {
            return Err(TextError::TooLong { max: self.max });
        }
        let mut previous_separator = false;
        for (position, c) in id.chars().enumerate() {
            let separator = self.separators.contains(&c);
            let ok = c.is_ascii_lowercase()
                || c.is_ascii_digit()
                || (self.uppercase && c.is_ascii_uppercase())
                || separator;
            if !ok {
                return Err(TextError::ForbiddenCharacter {
                    code: u32::from(c),
                    position,
                });
            }
            if separator && previous_separator {
                return Err(TextError::BadIdentifier("two separators in a row"));
            }
            previous_separator = separator;
        }
        let first = id.chars().next().unwrap_or('-');
        if self.separators.contains(&first) || (self.uppercase && first.is_ascii_digit()) {
            return Err(TextError::BadIdentifier("must start with a letter"));
        }
        if previous_separator {
            return Err(TextError::BadIdentifier("must end with a letter or digit"));
        }
        let lower = id.to_ascii_lowercase();
        if self.reserved.contains(&lower) {
            return Err(TextError::Reserved(lower));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_counts_characters_not_bytes() {
        let policy = TextPolicy::new().length(2, 3);
        assert!(policy.check("ééé").is_ok());
        assert_eq!(policy.check("éééé"), Err(TextError::TooLong { max: 3 }));
        assert_eq!(policy.check("é"), Err(TextError::TooShort { min: 2 }));
        assert!(TextPolicy::new().check(&"x".repeat(10_000)).is_ok());
        assert!(TextPolicy::new().check(&"x".repeat(10_001)).is_err());
    }

    #[test]
    fn control_and_invisible_characters_are_refused_by_default() {
        let policy = TextPolicy::new();
        assert!(policy.check("Hello, wörld! 👋").is_ok());
        for (text, code, position) in [
            ("a\0b", 0, 1),
            ("a\nb", 0x0A, 1),
            ("ab\u{202E}c", 0x202E, 2),
            ("\u{200B}x", 0x200B, 0),
            ("x\u{FEFF}", 0xFEFF, 1),
            ("\u{E0041}", 0xE0041, 0),
            ("a\u{7F}", 0x7F, 1),
        ] {
            assert_eq!(
                policy.check(text),
                Err(TextError::ForbiddenCharacter { code, position }),
                "{text:?}"
            );
        }
        let multiline = TextPolicy::new().allow_only([
            CharClass::Letters,
            CharClass::Space,
            CharClass::LineBreaks,
        ]);
        assert!(multiline.check("two\nlines").is_ok());
        assert!(multiline.check("no digits 1").is_err());
    }

    #[test]
    fn classes_and_patterns() {
        let digits = TextPolicy::new().allow_only([CharClass::AsciiDigits]);
        assert!(digits.check("0123").is_ok());
        assert!(digits.check("١٢").is_err());
        assert!(
            TextPolicy::new()
                .allow_only([CharClass::Digits])
                .check("١٢")
                .is_ok()
        );
        let ascii = TextPolicy::new().allow_only([CharClass::AsciiLetters]);
        assert!(ascii.check("abc").is_ok());
        assert!(ascii.check("abç").is_err());
        let decomposed = TextPolicy::new().allow_only([CharClass::Letters]);
        assert!(decomposed.check("e\u{0301}").is_ok());
        let emoji = TextPolicy::new().allow_only([CharClass::OtherPrintable]);
        assert!(emoji.check("👋").is_ok());
        assert!(emoji.check("a").is_err());

        let zip = TextPolicy::new().pattern("[0-9]{5}").unwrap();
        assert!(zip.check("12345").is_ok());
        assert_eq!(zip.check("123456"), Err(TextError::PatternMismatch));
        assert_eq!(zip.check("x12345"), Err(TextError::PatternMismatch));
        assert!(zip.check("12345\n").is_err());
        assert!(TextPolicy::new().pattern("(unclosed").is_err());
        // No catastrophic backtracking: this returns at once.
        let evil = TextPolicy::new().pattern("(a+)+b").unwrap();
        assert!(evil.check(&"a".repeat(5000)).is_err());
    }

    #[test]
    fn slugs() {
        let slug = IdentifierPolicy::slug();
        for ok in ["a", "a-b", "2024-q1", "x".repeat(64).as_str()] {
            assert!(slug.check(ok).is_ok(), "{ok}");
        }
        for (bad, code) in [
            ("", "too_short"),
            ("-a", "bad_identifier"),
            ("a-", "bad_identifier"),
            ("a--b", "bad_identifier"),
            ("A", "forbidden_character"),
            ("a_b", "forbidden_character"),
            ("a b", "forbidden_character"),
            ("é", "forbidden_character"),
            ("../x", "forbidden_character"),
        ] {
            assert_eq!(slug.check(bad).unwrap_err().code(), code, "{bad:?}");
        }
        assert_eq!(slug.check(&"x".repeat(65)).unwrap_err().code(), "too_long");
    }

    #[test]
    fn usernames() {
        let users = IdentifierPolicy::username().reserve(["Billing"]);
        for ok in ["jane", "Jane.Doe", "j_d-42", "abc"] {
            assert!(users.check(ok).is_ok(), "{ok}");
        }
        for (bad, code) in [
            ("ab", "too_short"),
            ("1jane", "bad_identifier"),
            ("_jane", "bad_identifier"),
            ("jane.", "bad_identifier"),
            ("ja..ne", "bad_identifier"),
            ("ja._ne", "bad_identifier"),
            ("jane doe", "forbidden_character"),
            ("jаne", "forbidden_character"),
            ("ADMIN", "reserved"),
            ("billing", "reserved"),
        ] {
            assert_eq!(users.check(bad).unwrap_err().code(), code, "{bad:?}");
        }
        assert!(
            IdentifierPolicy::username()
                .length(3, 4)
                .check("abcde")
                .is_err()
        );
    }
}
