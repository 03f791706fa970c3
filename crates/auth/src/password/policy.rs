//! What a new password must be: NIST SP 800-63B by default, stricter rules
//! opt-in, and every failed rule reported at once.
//!
//! The defaults follow NIST SP 800-63B with the minimum length the seeds ask
//! for:
//!
//! | rule | default | why |
//! |---|---|---|
//! | minimum length | 12 | the seeds' minimum; [`nist_single_factor`](PasswordPolicy::nist_single_factor) (15) and [`nist_with_mfa`](PasswordPolicy::nist_with_mfa) (8) are the SP 800-63B-4 presets |
//! | maximum length | 128 | NIST: allow at least 64; the cap bounds hashing work, not users |
//! | composition (upper, lower, digit, special) | off | NIST: do not impose composition rules; they are opt-in for compliance regimes that demand them |
//! | strength floor | zxcvbn score 3 | refuses guessable passwords that pass every length rule, with the user's name and email as context |
//! | blocklist | 10,000 most common passwords | NIST: refuse commonly used and compromised values |
//! | user details | refused | NIST: context-specific words; a password containing the username or the email's local part |
//! | history | last 12 | the seeds; checked against stored hashes by [`check_with_history`](PasswordPolicy::check_with_history) |
//! | maximum age | off | NIST: no periodic change; 90 days ([`DEFAULT_MAX_AGE_OPT_IN`]) for regimes that demand it |
//!
//! Lengths are counted in Unicode scalar values after NFKC
//! ([`normalize`](super::normalize())): an emoji is one character, `é` is one
//! however it was typed. Input over [`MAX_INPUT_BYTES`] is refused as too long
//! before any other work.
//!
//! ```
//! use rampart::auth::password::{PasswordPolicy, UserContext};
//!
//! let policy = PasswordPolicy::default();
//! let user = UserContext::new("jsmith").email("john.smith@example.com");
//! let refused = policy.check("password", &user).unwrap_err();
//! let codes: Vec<&str> = refused.iter().map(|v| v.rule().code()).collect();
//! assert_eq!(codes, ["too_short", "too_weak", "common"]);
//! assert!(policy.check("ochre tapestry 4 unhurried walrus", &user).is_ok());
//! ```

use super::blocklist::Blocklist;
use super::normalize::fold;
use super::{PasswordError, PasswordVerifier};
use crate::ConfigError;
use std::time::{Duration, SystemTime};

/// Input longer than this, in bytes, is refused as too long before it is
/// normalised or scored: NFKC and zxcvbn must not run on megabytes.
pub const MAX_INPUT_BYTES: usize = 4096;

/// The maximum age the seeds ask for when expiry is turned on: 90 days.
pub const DEFAULT_MAX_AGE_OPT_IN: Duration = Duration::from_secs(90 * 24 * 60 * 60);

/// A rule a password failed. Its [`code`](Rule::code) is stable: clients
/// match on it, and translate the message themselves if they wish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// Fewer characters than the minimum.
    TooShort,
    /// More characters than the maximum.
    TooLong,
    /// No upper-case letter, when one is required.
    MissingUppercase,
    /// No lower-case letter, when one is required.
    MissingLowercase,
    /// No digit, when one is required.
    MissingDigit,
    /// No character other than letters and digits, when one is required.
    MissingSpecial,
    /// zxcvbn estimates it too easy to guess.
    TooWeak,
    /// On the blocklist of common passwords.
    Common,
    /// Contains the username, the user's name or the email's local part.
    ContainsUserInfo,
    /// One of the user's recent passwords.
    Reused,
}

impl Rule {
    /// The stable code of the rule (`too_short`, `missing_digit`, ...).
    pub fn code(self) -> &'static str {
        match self {
            Self::TooShort => "too_short",
            Self::TooLong => "too_long",
            Self::MissingUppercase => "missing_uppercase",
            Self::MissingLowercase => "missing_lowercase",
            Self::MissingDigit => "missing_digit",
            Self::MissingSpecial => "missing_special",
            Self::TooWeak => "too_weak",
            Self::Common => "common",
            Self::ContainsUserInfo => "contains_user_info",
            Self::Reused => "reused",
        }
    }
}

/// One failed rule with a message a user can act on. Never contains the
/// password.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PolicyViolation {
    #[serde(serialize_with = "rule_code")]
    code: Rule,
    message: String,
}

fn rule_code<S: serde::Serializer>(rule: &Rule, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(rule.code())
}

impl PolicyViolation {
    fn new(code: Rule, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The rule that failed.
    pub fn rule(&self) -> Rule {
        self.code
    }

    /// What the user should do, in English.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Every rule a password failed, in the order of the table in the module
/// docs. Serialises as a list of `{"code", "message"}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[serde(transparent)]
#[error("the password does not meet the policy: {}", self.codes().join(", "))]
pub struct PolicyViolations(Vec<PolicyViolation>);

impl PolicyViolations {
    /// The failed rules.
    pub fn iter(&self) -> std::slice::Iter<'_, PolicyViolation> {
        self.0.iter()
    }

    /// Their codes.
    pub fn codes(&self) -> Vec<&'static str> {
        self.0.iter().map(|v| v.code.code()).collect()
    }

    /// Whether `rule` is among them.
    pub fn contains(&self, rule: Rule) -> bool {
        self.0.iter().any(|v| v.code == rule)
    }
}

impl<'a> IntoIterator for &'a PolicyViolations {
    type Item = &'a PolicyViolation;
    type IntoIter = std::slice::Iter<'a, PolicyViolation>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Why [`PasswordPolicy::check_with_history`] did not accept a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyCheckError {
    /// The password failed these rules (answer `422` with them).
    #[error(transparent)]
    Violations(PolicyViolations),
    /// The history could not be checked (busy, or a stored hash unreadable);
    /// nothing was decided.
    #[error(transparent)]
    Verifier(PasswordError),
}

/// What the policy knows of the user, to refuse passwords built from it.
#[derive(Debug, Clone, Default)]
pub struct UserContext {
    inputs: Vec<String>,
}

impl UserContext {
    /// A user known by `username`.
    pub fn new(username: impl Into<String>) -> Self {
        Self::default().input(username)
    }

    /// The user's email: the whole address and its local part are context,
    /// and the local part's pieces split at `.`, `_`, `-` and `+`.
    #[must_use]
    pub fn email(mut self, email: &str) -> Self {
        let local = email.split('@').next().unwrap_or(email);
        self = self.input(email).input(local);
        for part in local.split(['.', '_', '-', '+']) {
            self = self.input(part);
        }
        self
    }

    /// The user's name: the whole name and each word of it.
    #[must_use]
    pub fn name(mut self, name: &str) -> Self {
        self = self.input(name);
        for word in name.split_whitespace() {
            self = self.input(word);
        }
        self
    }

    /// Any other word the password must not be built on (the service's name,
    /// the tenant's).
    #[must_use]
    pub fn input(mut self, word: impl Into<String>) -> Self {
        let word = word.into();
        if !word.trim().is_empty() && !self.inputs.contains(&word) {
            self.inputs.push(word);
        }
        self
    }
}

/// The rules a new password must meet. Build with [`PasswordPolicy::builder`],
/// a preset, or [`PasswordPolicyConfig`](super::PasswordPolicyConfig).
#[derive(Debug, Clone, PartialEq)]
pub struct PasswordPolicy {
    pub(super) min_length: usize,
    pub(super) max_length: usize,
    pub(super) require_uppercase: bool,
    pub(super) require_lowercase: bool,
    pub(super) require_digit: bool,
    pub(super) require_special: bool,
    pub(super) min_strength: u8,
    pub(super) blocklist: Blocklist,
    pub(super) history: usize,
    pub(super) max_age: Option<Duration>,
}

impl Default for PasswordPolicy {
    /// The defaults in the module docs: 12 to 128 characters, no composition
    /// rules, zxcvbn score 3, the common-password list, history 12, no expiry.
    fn default() -> Self {
        Self {
            min_length: 12,
            max_length: 128,
            require_uppercase: false,
            require_lowercase: false,
            require_digit: false,
            require_special: false,
            min_strength: 3,
            blocklist: Blocklist::common(),
            history: 12,
            max_age: None,
        }
    }
}

impl PasswordPolicy {
    /// Starts from the defaults.
    pub fn builder() -> PasswordPolicyBuilder {
        PasswordPolicyBuilder {
            policy: Self::default(),
        }
    }

    /// NIST SP 800-63B-4 when the password is the only factor: at least 15
    /// characters, otherwise the defaults.
    pub fn nist_single_factor() -> Self {
        Self {
            min_length: 15,
            ..Self::default()
        }
    }

    /// NIST SP 800-63B-4 when the password is one factor of several: at
    /// least 8 characters, otherwise the defaults.
    pub fn nist_with_mfa() -> Self {
        Self {
            min_length: 8,
            ..Self::default()
        }
    }

    /// The minimum length in characters.
    pub fn min_length(&self) -> usize {
        self.min_length
    }

    /// The maximum length in characters.
    pub fn max_length(&self) -> usize {
        self.max_length
    }

    /// How many previous passwords may not be reused.
    pub fn history(&self) -> usize {
        self.history
    }

    /// How long a password stays valid, if it expires at all.
    pub fn max_age(&self) -> Option<Duration> {
        self.max_age
    }

    /// Whether a password set at `set_at` has passed the maximum age at
    /// `now`. Never, without a maximum age. A `set_at` in the future (clock
    /// skew) is not expired.
    pub fn is_expired(&self, set_at: SystemTime, now: SystemTime) -> bool {
        self.max_age
            .is_some_and(|max| now.duration_since(set_at).is_ok_and(|age| age >= max))
    }

    /// Checks every rule but history; reports every one that fails.
    ///
    /// # Errors
    /// [`PolicyViolations`] listing each failed rule.
    pub fn check(&self, password: &str, user: &UserContext) -> Result<(), PolicyViolations> {
        let violations = self.violations(password, user);
        if violations.is_empty() {
            Ok(())
        } else {
            Err(PolicyViolations(violations))
        }
    }

    /// Checks every rule, history included: `previous` are the user's
    /// stored hashes, newest first (only the first [`history`](Self::history)
    /// are checked, each through `verifier` and its limiter). Pass the
    /// password in the form the application hashes.
    ///
    /// # Errors
    /// [`PolicyCheckError::Violations`] with every failed rule;
    /// [`PolicyCheckError::Verifier`] when a history check could not run.
    pub async fn check_with_history<S: AsRef<str>>(
        &self,
        password: &str,
        user: &UserContext,
        verifier: &PasswordVerifier,
        previous: &[S],
    ) -> Result<(), PolicyCheckError> {
        let mut violations = self.violations(password, user);
        // Too long: the hashing work is not spent on it.
        if !violations.iter().any(|v| v.code == Rule::TooLong) {
            for stored in previous.iter().take(self.history) {
                let matched = verifier
                    .verify(password.as_bytes(), Some(stored.as_ref()))
                    .await
                    .map_err(PolicyCheckError::Verifier)?;
                if matched {
                    violations.push(PolicyViolation::new(
                        Rule::Reused,
                        format!(
                            "choose a password you have not used before: \
                             your last {} passwords cannot be reused",
                            self.history
                        ),
                    ));
                    break;
                }
            }
        }
        if violations.is_empty() {
            Ok(())
        } else {
            Err(PolicyCheckError::Violations(PolicyViolations(violations)))
        }
    }

    fn violations(&self, password: &str, user: &UserContext) -> Vec<PolicyViolation> {
        let too_long = || {
            PolicyViolation::new(
                Rule::TooLong,
                format!("use at most {} characters", self.max_length),
            )
        };
        if password.len() > MAX_INPUT_BYTES {
            return vec![too_long()];
        }
        let normal = super::normalize(password);
        let length = normal.chars().count();
        let mut out = Vec::new();
        if length < self.min_length {
            out.push(PolicyViolation::new(
                Rule::TooShort,
                format!(
                    "use at least {} characters (this one has {length}); \
                     a few unrelated words make a long password easy to remember",
                    self.min_length
                ),
            ));
        }
        if length > self.max_length {
            out.push(too_long());
        }
        let classes = [
            (
                self.require_uppercase,
                Rule::MissingUppercase,
                "add an upper-case letter",
                char::is_uppercase as fn(char) -> bool,
            ),
            (
                self.require_lowercase,
                Rule::MissingLowercase,
                "add a lower-case letter",
                char::is_lowercase,
            ),
            (
                self.require_digit,
                Rule::MissingDigit,
                "add a digit",
                char::is_numeric,
            ),
            (
                self.require_special,
                Rule::MissingSpecial,
                "add a character that is not a letter or a digit, such as a space or punctuation",
                is_special,
            ),
        ];
        for (required, rule, message, class) in classes {
            if required && !normal.chars().any(class) {
                out.push(PolicyViolation::new(rule, message));
            }
        }
        let folded = fold(&normal);
        let contained: Vec<String> = user
            .inputs
            .iter()
            .map(|input| fold(input))
            .filter(|input| input.chars().count() >= 3 && folded.contains(input.as_str()))
            .collect();
        // zxcvbn's matchers are quadratic in the length: past the maximum the
        // password is refused anyway.
        if length <= self.max_length && self.min_strength > 0 {
            let inputs: Vec<&str> = user.inputs.iter().map(String::as_str).collect();
            let entropy = zxcvbn::zxcvbn(&normal, &inputs);
            if u8::from(entropy.score()) < self.min_strength {
                let hint = entropy
                    .feedback()
                    .and_then(|f| f.warning())
                    .map(|w| format!(" ({w})"))
                    .unwrap_or_default();
                out.push(PolicyViolation::new(
                    Rule::TooWeak,
                    format!(
                        "this password is too easy to guess{hint}; \
                         add another word or two, avoid common phrases, names and dates"
                    ),
                ));
            }
        }
        if self.blocklist.contains(&normal) {
            out.push(PolicyViolation::new(
                Rule::Common,
                "this is one of the most common passwords; choose one nobody else is likely to use",
            ));
        }
        if !contained.is_empty() {
            out.push(PolicyViolation::new(
                Rule::ContainsUserInfo,
                "do not build the password on your username, name or email address",
            ));
        }
        out
    }
}

/// Letters and digits are not special; everything else (punctuation,
/// symbols, spaces, emoji) is.
fn is_special(c: char) -> bool {
    !c.is_alphanumeric()
}

/// Builds a [`PasswordPolicy`]; [`build`](Self::build) validates.
#[derive(Debug, Clone)]
#[must_use]
pub struct PasswordPolicyBuilder {
    policy: PasswordPolicy,
}

impl PasswordPolicyBuilder {
    /// Minimum length in characters (NFKC scalar values). Default 12.
    pub fn min_length(mut self, n: usize) -> Self {
        self.policy.min_length = n;
        self
    }

    /// Maximum length in characters. Default 128; NIST asks for at least 64.
    pub fn max_length(mut self, n: usize) -> Self {
        self.policy.max_length = n;
        self
    }

    /// Require an upper-case letter. Default off (NIST).
    pub fn require_uppercase(mut self, on: bool) -> Self {
        self.policy.require_uppercase = on;
        self
    }

    /// Require a lower-case letter. Default off (NIST).
    pub fn require_lowercase(mut self, on: bool) -> Self {
        self.policy.require_lowercase = on;
        self
    }

    /// Require a digit (any Unicode digit after NFKC). Default off (NIST).
    pub fn require_digit(mut self, on: bool) -> Self {
        self.policy.require_digit = on;
        self
    }

    /// Require a character that is neither a letter nor a digit. Default off (NIST).
    pub fn require_special(mut self, on: bool) -> Self {
        self.policy.require_special = on;
        self
    }

    /// Turns on all four composition rules, as the seeds' apps have them.
    pub fn require_all_classes(self) -> Self {
        self.require_uppercase(true)
            .require_lowercase(true)
            .require_digit(true)
            .require_special(true)
    }

    /// The lowest zxcvbn score accepted, 0 to 4; 0 turns the floor off.
    /// Default 3 ("safely unguessable").
    pub fn min_strength(mut self, score: u8) -> Self {
        self.policy.min_strength = score;
        self
    }

    /// The refused passwords. Default [`Blocklist::common`].
    pub fn blocklist(mut self, list: Blocklist) -> Self {
        self.policy.blocklist = list;
        self
    }

    /// How many previous passwords may not be reused; 0 turns history off.
    /// Default 12.
    pub fn history(mut self, n: usize) -> Self {
        self.policy.history = n;
        self
    }

    /// Passwords expire this long after they were set. Default: never (NIST);
    /// [`DEFAULT_MAX_AGE_OPT_IN`] is the seeds' 90 days.
    pub fn max_age(mut self, age: Duration) -> Self {
        self.policy.max_age = Some(age);
        self
    }

    /// Validates the settings.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for a minimum below 1, a maximum below the
    /// minimum or below 64 (NIST), a strength above 4, or a zero maximum age.
    pub fn build(self) -> Result<PasswordPolicy, ConfigError> {
        let p = self.policy;
        let invalid = |name, reason: String| Err(ConfigError::Invalid { name, reason });
        if p.min_length == 0 {
            return invalid("min_length", "must be at least 1".into());
        }
        if p.max_length < p.min_length.max(64) {
            return invalid(
                "max_length",
                format!(
                    "must be at least 64 (NIST SP 800-63B) and at least min_length ({})",
                    p.min_length
                ),
            );
        }
        if p.max_length * 4 > MAX_INPUT_BYTES {
            return invalid(
                "max_length",
                format!("must be at most {} characters", MAX_INPUT_BYTES / 4),
            );
        }
        if p.min_strength > 4 {
            return invalid("min_strength", "is a zxcvbn score, 0 to 4".into());
        }
        if p.max_age == Some(Duration::ZERO) {
            return invalid(
                "max_age",
                "must be positive; leave it unset for no expiry".into(),
            );
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn expiry_is_off_by_default_and_exact_at_the_boundary() {
        let set = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert!(!PasswordPolicy::default().is_expired(set, set + Duration::from_secs(1 << 40)));
        let p = PasswordPolicy::builder()
            .max_age(DEFAULT_MAX_AGE_OPT_IN)
            .build()
            .unwrap();
        let limit = set + DEFAULT_MAX_AGE_OPT_IN;
        assert!(!p.is_expired(set, limit - Duration::from_secs(1)));
        assert!(p.is_expired(set, limit));
        assert!(!p.is_expired(set, set - Duration::from_secs(5)));
    }
}
