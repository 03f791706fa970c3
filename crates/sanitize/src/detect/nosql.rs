//! NoSQL operator injection: query operators where data was expected.
//!
//! MongoDB-style stores read a key starting with `$` as an operator:
//! `{"password": {"$ne": ""}}` matches every password, `$where` runs
//! JavaScript. Clients have no reason to send such keys, so the layer checks
//! every JSON object key with [`is_nosql_operator`], and this detector finds
//! the same operators written into a string (`user[$ne]=x` query keys, a
//! JSON text inside a field).

use crate::detect::precheck::{ByteSet, View};
use crate::detect::{Category, Detector, Finding, Normalized, Strictness};

/// Query and aggregation operators of MongoDB and compatible stores.
const OPERATORS: &[&str] = &[
    "where",
    "ne",
    "eq",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "nin",
    "regex",
    "exists",
    "or",
    "and",
    "nor",
    "not",
    "expr",
    "function",
    "accumulator",
    "elemmatch",
    "all",
    "size",
    "type",
    "mod",
    "text",
    "jsonschema",
    "lookup",
    "group",
    "match",
    "merge",
    "out",
    "set",
    "unset",
    "rename",
    "inc",
    "push",
    "pull",
    "addtoset",
    "options",
    "comment",
    "search",
    "near",
    "geowithin",
];

/// Whether a key (a JSON object key, a bracketed query key) is a NoSQL
/// operator: `$` followed by one of the known operators (any case).
///
/// ```
/// use rampart_sanitize::is_nosql_operator;
///
/// assert!(is_nosql_operator("$where"));
/// assert!(is_nosql_operator("$NE"));
/// assert!(!is_nosql_operator("price$"));
/// assert!(!is_nosql_operator("$5 off"));
/// ```
pub fn is_nosql_operator(key: &str) -> bool {
    key.strip_prefix('$')
        .is_some_and(|op| OPERATORS.iter().any(|o| op.eq_ignore_ascii_case(o)))
}

/// Detects NoSQL operators written into a string value or a query key.
///
/// ```
/// use rampart_sanitize::{Detector, NoSqlInjectionDetector};
///
/// let d = NoSqlInjectionDetector::default();
/// assert!(d.scan("password[$ne]=").is_some());
/// assert!(d.scan(r#"{"$where": "sleep(100)"}"#).is_some());
/// assert!(d.scan("costs $5, or $ne... no").is_none());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSqlInjectionDetector {
    strictness: Strictness,
}

impl NoSqlInjectionDetector {
    /// A detector at `strictness`.
    pub fn new(strictness: Strictness) -> Self {
        Self { strictness }
    }

    /// Scans one view; without a `$` there is no operator.
    pub(crate) fn scan_text(&self, text: &str, bytes: &ByteSet) -> Option<Finding> {
        if !bytes.has(b'$') {
            return None;
        }
        let b = text.as_bytes();
        let mut from = 0;
        while let Some(p) = text[from..].find('$') {
            let at = from + p;
            from = at + 1;
            let end = at
                + 1
                + b[at + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .count();
            if !is_nosql_operator(&text[at..end]) {
                continue;
            }
            let before = b[..at].iter().rev().find(|c| !c.is_ascii_whitespace());
            let after = b[end..].iter().find(|c| !c.is_ascii_whitespace());
            let keyed = matches!(before, Some(b'[' | b'{' | b'"' | b'\'' | b','))
                && matches!(after, Some(b']' | b'"' | b'\'' | b':'));
            if keyed || (self.strictness.strict() && at == 0) {
                return Some(Finding::new(
                    Category::NoSqlInjection,
                    "operator-key",
                    at..end,
                ));
            }
        }
        None
    }
}

impl Detector for NoSqlInjectionDetector {
    fn category(&self) -> Category {
        Category::NoSqlInjection
    }

    fn scan_normalized(&self, input: &Normalized<'_>) -> Option<Finding> {
        input.prepared().find_map(|v: View<'_>| {
            self.scan_text(v.text, &v.bytes)
                .map(|f| f.in_decoded(v.decoded))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(s: &str) -> Option<std::ops::Range<usize>> {
        NoSqlInjectionDetector::default().scan(s).map(|f| f.span())
    }

    #[test]
    fn operators_between_key_delimiters_are_found() {
        assert_eq!(hit("password[$ne]=x"), Some(9..12));
        assert_eq!(hit(r#"{"$where": "1"}"#), Some(2..8));
        assert_eq!(hit("{ $gt : 1 }"), Some(2..5));
        assert_eq!(hit("['$in']"), Some(2..5));
        assert_eq!(hit(r#"{"a": 1, "$OR": []}"#), Some(10..13));
        assert_eq!(hit("x[$regex]"), Some(2..8));
    }

    #[test]
    fn operators_in_prose_or_unknown_names_pass() {
        for s in [
            "costs $ne",
            "$ne",
            "[$ne",
            "$ne]",
            "a $ne: b",
            "[$5]",
            "[$nee]",
            "[$]",
            "price$",
            "US$ 5",
        ] {
            assert_eq!(hit(s), None, "{s}");
        }
    }

    #[test]
    fn strict_flags_a_value_that_is_an_operator() {
        let strict = NoSqlInjectionDetector::new(Strictness::Strict);
        assert_eq!(strict.scan("$ne").map(|f| f.span()), Some(0..3));
        assert!(strict.scan("x $ne").is_none());
        assert!(strict.scan("$5").is_none());
    }

    #[test]
    fn operator_names_are_matched_whole_and_in_any_case() {
        assert!(is_nosql_operator("$where") && is_nosql_operator("$ElemMatch"));
        assert!(!is_nosql_operator("where") && !is_nosql_operator("$wher"));
        assert!(!is_nosql_operator("$wheres") && !is_nosql_operator("$"));
    }
}
