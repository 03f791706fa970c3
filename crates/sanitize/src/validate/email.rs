//! E-mail addresses: RFC 5321 lengths, the syntax as `email_address` reads
//! it, and internationalised domains in their ASCII (punycode) form.

use std::fmt;

use email_address::{EmailAddress, Options};

/// Why an e-mail address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmailError {
    /// More than 254 characters in all (RFC 5321's path limit less the
    /// angle brackets).
    #[error("e-mail address is longer than 254 characters")]
    TooLong,
    /// A local part longer than 64 octets.
    #[error("e-mail local part is longer than 64 characters")]
    LocalPartTooLong,
    /// A domain longer than 255 octets, or a label longer than 63, in its
    /// ASCII form.
    #[error("e-mail domain is too long")]
    DomainTooLong,
    /// The domain is not a valid (internationalised) domain name.
    #[error("e-mail domain is not a valid domain name")]
    InvalidDomain,
    /// Non-ASCII in the local part (SMTPUTF8), refused unless allowed.
    #[error("e-mail local part holds non-ASCII characters")]
    NonAsciiLocalPart,
    /// A control character (C0, DEL, C1) or a bidirectional formatting
    /// character in the local part: they rewrite terminals and logs (`U+009B`
    /// starts an escape sequence) or reorder what a reader sees.
    #[error("e-mail local part holds control or bidirectional formatting characters")]
    ControlCharacter,
    /// Not an address: what was wrong, in `email_address`'s words.
    #[error("not a valid e-mail address: {0}")]
    Syntax(String),
}

impl EmailError {
    /// A stable snake_case code for problem details and audit events.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLong => "email_too_long",
            Self::LocalPartTooLong => "email_local_too_long",
            Self::DomainTooLong => "email_domain_too_long",
            Self::InvalidDomain => "email_invalid_domain",
            Self::NonAsciiLocalPart => "email_non_ascii_local",
            Self::ControlCharacter => "email_control_character",
            Self::Syntax(_) => "email_syntax",
        }
    }
}

/// A checked address: the local part as written, the domain lower case and
/// in ASCII (punycode) form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email {
    address: String,
    at: usize,
}

impl Email {
    /// `local@domain`.
    pub fn as_str(&self) -> &str {
        &self.address
    }

    /// The part before the `@`.
    pub fn local_part(&self) -> &str {
        &self.address[..self.at]
    }

    /// The domain, ASCII, lower case.
    pub fn domain(&self) -> &str {
        &self.address[self.at + 1..]
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.address)
    }
}

/// How strict e-mail validation is.
///
/// Defaults: a domain of at least two labels, no domain literals
/// (`user@[10.0.0.1]`), no display names, ASCII local parts only.
///
/// ```
/// use rampart_sanitize::validate::EmailPolicy;
///
/// let email = EmailPolicy::new().check("Jane.Doe@Bücher.Example").unwrap();
/// assert_eq!(email.as_str(), "Jane.Doe@xn--bcher-kva.example");
/// assert!(EmailPolicy::new().check("jane@localhost").is_err());
/// assert!(EmailPolicy::new().check("Jane <jane@example.com>").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct EmailPolicy {
    unicode_local: bool,
    single_label_domain: bool,
}

impl Default for EmailPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl EmailPolicy {
    /// The defaults (see the type's docs).
    pub fn new() -> Self {
        Self {
            unicode_local: false,
            single_label_domain: false,
        }
    }

    /// Accepts non-ASCII local parts (RFC 6531; default: refused, as many
    /// mail systems cannot deliver to them and they invite homoglyphs).
    pub fn allow_unicode_local_part(mut self) -> Self {
        self.unicode_local = true;
        self
    }

    /// Accepts single-label domains such as `localhost` (default: refused).
    pub fn allow_single_label_domain(mut self) -> Self {
        self.single_label_domain = true;
        self
    }

    /// Checks `input` and returns the address with its domain in ASCII.
    ///
    /// # Errors
    /// The first rule the address breaks.
    pub fn check(&self, input: &str) -> Result<Email, EmailError> {
        if input.chars().count() > 254 {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = input
            .rsplit_once('@')
            .ok_or_else(|| EmailError::Syntax("missing the @ separator".into()))?;
        if local.len() > 64 {
            return Err(EmailError::LocalPartTooLong);
        }
        if !self.unicode_local && !local.is_ascii() {
            return Err(EmailError::NonAsciiLocalPart);
        }
        if domain.starts_with('[') {
            return Err(EmailError::InvalidDomain);
        }
        let too_long = |ascii: &str| ascii.len() > 255 || ascii.split('.').any(|l| l.len() > 63);
        // The strict form also checks DNS lengths; when it refuses, the
        // lenient form tells a length problem from a malformed name.
        let ascii_domain = idna::domain_to_ascii_strict(domain).map_err(|_| {
            match idna::domain_to_ascii(domain) {
                Ok(lenient) if too_long(&lenient) => EmailError::DomainTooLong,
                _ => EmailError::InvalidDomain,
            }
        })?;
        if too_long(&ascii_domain) {
            return Err(EmailError::DomainTooLong);
        }
        let address = format!("{local}@{ascii_domain}");
        if address.len() > 254 {
            return Err(EmailError::TooLong);
        }
        let options = Options {
            minimum_sub_domains: if self.single_label_domain { 1 } else { 2 },
            allow_domain_literal: false,
            allow_display_text: false,
            ..Options::default()
        };
        EmailAddress::parse_with_options(&address, options)
            .map_err(|e| EmailError::Syntax(e.to_string()))?;
        // After the syntax, which refuses most ASCII controls already: what
        // is left is what a quoted or a Unicode local part lets through.
        if local.chars().any(|c| c.is_control() || is_bidi_format(c)) {
            return Err(EmailError::ControlCharacter);
        }
        Ok(Email {
            at: local.len(),
            address,
        })
    }
}

/// The Unicode bidirectional formatting characters (marks, embeddings,
/// overrides, isolates), which make text display in another order than it is
/// stored.
fn is_bidi_format(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_refused_in_the_local_part() {
        // Found by the `validators` fuzz target: U+009F passed with Unicode
        // local parts allowed.
        let unicode = EmailPolicy::new().allow_unicode_local_part();
        for bad in [
            "he\u{9f}llo@example.com",
            "a\u{9b}31mb@example.com",
            "admin\u{202E}moc@example.com",
            "x\u{2066}y@example.com",
        ] {
            assert_eq!(
                unicode.check(bad),
                Err(EmailError::ControlCharacter),
                "{bad:?}"
            );
        }
        // ASCII controls, even quoted, never pass, whichever rule says so first.
        for bad in ["\"a\u{7}b\"@example.com", "\"tab\tin\"@example.com"] {
            assert!(unicode.check(bad).is_err(), "{bad:?}");
            assert!(EmailPolicy::new().check(bad).is_err(), "{bad:?}");
        }
        assert!(unicode.check("jürgen@example.de").is_ok());
    }

    #[test]
    fn ordinary_and_idn_addresses_pass() {
        let policy = EmailPolicy::new();
        for ok in [
            "a@example.com",
            "first.last+tag@sub.example.co.uk",
            "o'brien@example.ie",
            "\"quoted local\"@example.com",
            "x@xn--bcher-kva.example",
        ] {
            assert!(policy.check(ok).is_ok(), "{ok}");
        }
        let email = policy.check("user@MÜNCHEN.de").unwrap();
        assert_eq!(email.domain(), "xn--mnchen-3ya.de");
        assert_eq!(email.local_part(), "user");
        assert_eq!(email.to_string(), "user@xn--mnchen-3ya.de");
    }

    #[test]
    fn rfc_5321_lengths_are_enforced() {
        let policy = EmailPolicy::new();
        let local64 = "a".repeat(64);
        assert!(policy.check(&format!("{local64}@example.com")).is_ok());
        assert_eq!(
            policy.check(&format!("{}@example.com", "a".repeat(65))),
            Err(EmailError::LocalPartTooLong)
        );
        let label63 = "b".repeat(63);
        assert!(policy.check(&format!("a@{label63}.com")).is_ok());
        assert_eq!(
            policy
                .check(&format!("a@{}.com", "b".repeat(64)))
                .unwrap_err()
                .code(),
            "email_domain_too_long"
        );
        // 64 + 1 + 189 = 254 fits; one more does not.
        let domain = format!(
            "{}.{}.{}.com",
            "c".repeat(63),
            "d".repeat(63),
            "e".repeat(57)
        );
        assert_eq!(domain.len(), 189);
        assert!(policy.check(&format!("{local64}@{domain}")).is_ok());
        assert_eq!(
            policy.check(&format!("{local64}@e{domain}")),
            Err(EmailError::TooLong)
        );
        // Punycode can make a short Unicode domain too long.
        let long_idn = format!("a@{}.com", "ü".repeat(60));
        assert!(policy.check(&long_idn).is_err());
    }

    #[test]
    fn malformed_and_risky_addresses_are_refused() {
        let policy = EmailPolicy::new();
        for (bad, code) in [
            ("", "email_syntax"),
            ("plain", "email_syntax"),
            ("@example.com", "email_syntax"),
            ("a@", "email_invalid_domain"),
            ("a@@example.com", "email_syntax"),
            ("a b@example.com", "email_syntax"),
            ("a@exa mple.com", "email_invalid_domain"),
            ("a@localhost", "email_syntax"),
            ("a@[127.0.0.1]", "email_invalid_domain"),
            ("Jane <jane@example.com>", "email_invalid_domain"),
            ("a..b@example.com", "email_syntax"),
            ("a@example..com", "email_invalid_domain"),
            ("jösé@example.com", "email_non_ascii_local"),
            ("a\n@example.com", "email_syntax"),
            ("a@example.com\r\nBcc: x@evil.example", "email_syntax"),
        ] {
            assert_eq!(policy.check(bad).unwrap_err().code(), code, "{bad:?}");
        }
        assert!(
            policy
                .allow_single_label_domain()
                .check("a@localhost")
                .is_ok()
        );
        assert!(
            policy
                .allow_unicode_local_part()
                .check("jösé@example.com")
                .is_ok()
        );
    }
}
