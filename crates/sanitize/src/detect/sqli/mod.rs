//! SQL injection: a tokenizer, folding and generative fingerprint rules.
//!
//! Each form of the input (see [`crate::Normalized`]) is lexed as SQL in
//! every quoting context it could break out of — outside quotes always,
//! inside `'...'` when it holds a `'`, inside `"..."` when it holds a `"` —
//! folded to a short fingerprint of token classes, and judged by the rules
//! in [`rules`]. The fingerprint of a match (such as `s&sos` for
//! `' or 'a'='a`) is the finding's fingerprint.

mod fold;
mod lexer;
mod precheck;
mod rules;
mod words;

use crate::detect::precheck::{ByteSet, View};
use crate::detect::{Category, Detector, Finding, Normalized, Strictness};
use lexer::Quote;

/// Detects SQL injection.
///
/// ```
/// use rampart_sanitize::{Category, Detector, SqlInjectionDetector};
///
/// let sqli = SqlInjectionDetector::default();
/// let finding = sqli.scan("x' OR 'a'='a").expect("an injection");
/// assert_eq!(finding.category(), Category::SqlInjection);
/// assert_eq!(finding.fingerprint(), "s&sos");
/// assert!(sqli.scan("1 UNION/**/ALL SELECT password FROM users--").is_some());
/// assert!(sqli.scan("O'Brien").is_none());
/// assert!(sqli.scan("Select your plan -- now").is_none());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SqlInjectionDetector {
    strictness: Strictness,
}

impl SqlInjectionDetector {
    /// A detector at `strictness`.
    pub fn new(strictness: Strictness) -> Self {
        Self { strictness }
    }

    /// The folded fingerprint of `text` (already lower-cased) lexed in
    /// `quote`, and the judged match.
    fn judge(&self, text: &str, quote: Quote) -> Option<Finding> {
        let tokens = lexer::lex(text, quote);
        let folded = fold::fold(text.as_bytes(), &tokens, quote != Quote::None);
        let hit = rules::judge(
            text.as_bytes(),
            &tokens,
            &folded,
            quote,
            self.strictness.strict(),
        )?;
        let fingerprint: String = folded
            .iter()
            .take(rules::FINGERPRINT_LEN)
            .map(|t| t.class as char)
            .collect();
        let first = folded.get(hit.start)?;
        let last = folded.get(
            (hit.start + hit.len)
                .saturating_sub(1)
                .min(folded.len() - 1),
        )?;
        Some(Finding::new(
            Category::SqlInjection,
            fingerprint,
            first.start..last.end.max(first.start),
        ))
    }
}

impl SqlInjectionDetector {
    /// Whether a word of `text` (lower-cased) is one the rules read: the
    /// part of the pre-check ([`precheck::may_hold`]) that needs no
    /// operator byte.
    pub(crate) fn has_sql_word(text: &[u8]) -> bool {
        precheck::has_sql_word(text)
    }

    /// Scans one view in each quoting context it could break out of, when
    /// [`precheck::may_hold`] says a rule could match at all.
    pub(crate) fn scan_text(&self, text: &str, bytes: &ByteSet) -> Option<Finding> {
        if !precheck::may_hold(text, bytes) {
            return None;
        }
        let contexts = [
            Some(Quote::None),
            bytes.has(b'\'').then_some(Quote::Single),
            bytes.has(b'"').then_some(Quote::Double),
        ];
        contexts
            .into_iter()
            .flatten()
            .find_map(|quote| self.judge(text, quote))
    }
}

impl Detector for SqlInjectionDetector {
    fn category(&self) -> Category {
        Category::SqlInjection
    }

    fn scan_normalized(&self, input: &Normalized<'_>) -> Option<Finding> {
        input.prepared().find_map(|v: View<'_>| {
            self.scan_text(v.text, &v.bytes)
                .map(|f| f.in_decoded(v.decoded))
        })
    }
}

#[cfg(test)]
mod tests;
