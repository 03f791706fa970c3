//! Header injection: CR or LF that would split a header or a log line.
//!
//! A header value, a redirect target or a cookie that reaches a response
//! must not carry a line break: `\r\nSet-Cookie: x` adds a header, and
//! `\r\n\r\n<html>` a body. At the default level a break counts when a
//! header line (`name:`) or a second break follows; the strict level, for
//! fields that are one line by nature, refuses any CR or LF.

use crate::detect::precheck::{ByteSet, View};
use crate::detect::{Category, Detector, Finding, Normalized, Strictness};

/// Detects CRLF (header and response-splitting) injection.
///
/// ```
/// use rampart_sanitize::{Detector, HeaderInjectionDetector};
///
/// let h = HeaderInjectionDetector::default();
/// assert!(h.scan("/home%0d%0aSet-Cookie:%20admin=1").is_some());
/// assert!(h.scan("x\r\n\r\n<html>").is_some());
/// assert!(h.scan("line one\nline two").is_none());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct HeaderInjectionDetector {
    strictness: Strictness,
}

impl HeaderInjectionDetector {
    /// A detector at `strictness`.
    pub fn new(strictness: Strictness) -> Self {
        Self { strictness }
    }

    /// Scans one view; a view without CR, LF or the lead byte of U+560A /
    /// U+560D holds no line break to find.
    pub(crate) fn scan_text(&self, text: &str, bytes: &ByteSet) -> Option<Finding> {
        if !bytes.any(b"\r\n\xe5") {
            return None;
        }
        // U+560A / U+560D: decoders that keep the low byte turn them into LF / CR.
        let b = text.as_bytes();
        let mut i = 0;
        while i < text.len() {
            let (is_break, len) = match b[i] {
                b'\r' | b'\n' => (true, 1),
                0xe5 if matches!(b.get(i + 1..i + 3), Some([0x98, 0x8a | 0x8d])) => (true, 3),
                _ => (false, 1),
            };
            if !is_break {
                i += 1;
                continue;
            }
            if self.strictness.strict() {
                return Some(Finding::new(
                    Category::HeaderInjection,
                    "line-break",
                    i..i + len,
                ));
            }
            let mut k = i + len;
            while k < b.len() && matches!(b[k], b'\r' | b'\n') {
                k += 1;
            }
            let line = &text[k..];
            // The header name must sit on this line, within 41 bytes.
            let head = &line.as_bytes()[..line.len().min(41)];
            let head = &head[..head
                .iter()
                .position(|c| matches!(c, b'\r' | b'\n'))
                .unwrap_or(head.len())];
            let head = String::from_utf8_lossy(head);
            // (`head` is at most 41 bytes, so a name before `:` is at most 40.)
            let header = head.split_once(':').is_some_and(|(name, _)| {
                !name.is_empty() && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
            });
            // An empty line: CR LF CR, or LF LF before markup.
            let breaks = &text[i..k];
            let double =
                breaks.contains("\r\n\r") || (breaks.contains("\n\n") && line.starts_with('<'));
            if header || (b[i] == b'\r' && double) || (double && line.starts_with('<')) {
                return Some(Finding::new(
                    Category::HeaderInjection,
                    if header {
                        "header-line"
                    } else {
                        "response-split"
                    },
                    i..k,
                ));
            }
            i = k.max(i + 1);
        }
        None
    }
}

impl Detector for HeaderInjectionDetector {
    fn category(&self) -> Category {
        Category::HeaderInjection
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

    #[test]
    fn header_lines_and_splits_are_found() {
        let h = HeaderInjectionDetector::default();
        for s in [
            "en%0d%0aSet-Cookie: a=b",
            "x\nLocation: http://evil",
            "%0d%0a%0d%0a<script>",
            "%250d%250aX-Injected:1",
            "a\u{560d}\u{560a}set-cookie:x",
        ] {
            assert!(h.scan(s).is_some(), "{s:?}");
        }
    }

    #[test]
    fn only_a_header_line_or_an_empty_line_counts() {
        let h = HeaderInjectionDetector::default();
        let hit = |s: &str| h.scan(s).map(|f| f.fingerprint().to_owned());
        assert_eq!(hit("x\r\n\r\nhello").as_deref(), Some("response-split"));
        assert_eq!(hit("x\n\n<html>").as_deref(), Some("response-split"));
        assert_eq!(hit("x\r\nX-A: b").as_deref(), Some("header-line"));
        for s in [
            "line one\r\nline two",
            "x\r\n\nhello",
            "x\n\nhello",
            "x\r\n: value",
            "x\nfoo bar: baz",
            // A CJK character with the lead byte of U+560A but not its tail.
            "\u{597d}Set-Cookie: x",
        ] {
            assert_eq!(hit(s), None, "{s:?}");
        }
    }

    #[test]
    fn strict_spans_cover_the_break() {
        let strict = HeaderInjectionDetector::new(Strictness::Strict);
        assert_eq!(strict.scan("ab\ncd").map(|f| f.span()), Some(2..3));
        assert_eq!(strict.scan("ab\u{560a}cd").map(|f| f.span()), Some(2..5));
        assert_eq!(strict.scan("abcd"), None);
    }

    #[test]
    fn ordinary_multiline_text_passes_unless_strict() {
        let text = "Dear team,\nthe report is attached.\nThanks: Ann";
        assert!(
            HeaderInjectionDetector::default()
                .scan("Dear team,\nthe report is attached.")
                .is_none()
        );
        assert!(
            HeaderInjectionDetector::new(Strictness::Strict)
                .scan(text)
                .is_some()
        );
    }
}
