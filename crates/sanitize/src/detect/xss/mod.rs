//! Cross-site scripting: markup, attribute and URL contexts.
//!
//! The value is examined as a browser would meet it in each place it could
//! land: as HTML text (tags that execute, any tag carrying an event-handler
//! attribute or a script URL), as the inside of an attribute it breaks out
//! of (`" onmouseover=...`), as a URL (`javascript:` with the tabs, newlines
//! and control bytes a browser strips), as CSS (`expression(`,
//! `-moz-binding`, `behavior:`, `url(javascript:)`) and as script (calls of
//! the functions every proof of concept uses, `document.cookie`). Entities
//! and percent-encoding are undone first (see [`crate::Normalized`]), and
//! CSS escapes (`\6a`) inside the value. Everything is a forward scan.

mod css;
mod html;
pub(super) mod script;

use crate::detect::precheck::{ByteSet, View};
use crate::detect::{Category, Detector, Finding, Normalized, Strictness};
use std::borrow::Cow;

/// Detects cross-site scripting.
///
/// ```
/// use rampart_sanitize::{Detector, XssDetector};
///
/// let xss = XssDetector::default();
/// assert!(xss.scan("<img src=x onerror=alert(1)>").is_some());
/// assert!(xss.scan("<a href=\"jav&#x09;ascript:alert(1)\">x</a>").is_some());
/// assert!(xss.scan("%3Cscript%3Ealert(1)%3C/script%3E").is_some());
/// assert!(xss.scan("I <3 cats & dogs; 2 < 3 > 1").is_none());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct XssDetector {
    strictness: Strictness,
}

impl XssDetector {
    /// A detector at `strictness`.
    pub fn new(strictness: Strictness) -> Self {
        Self { strictness }
    }

    /// Scans one view. Each context is examined only when the compacted
    /// text holds a character its rules need (see [`MARKUP`], [`SCRIPT`],
    /// [`CSS`]); without one, a bare event-handler name and `globalthis`
    /// (the one script property spelt with letters only) remain to be
    /// looked for.
    pub(crate) fn scan_text(&self, text: &str, bytes: &ByteSet) -> Option<Finding> {
        let compact = compact(text, bytes);
        // Undoing escapes can add any character: add what the result holds.
        let bytes = match &compact {
            Cow::Owned(c) => bytes.union(&ByteSet::of(c.as_bytes())),
            Cow::Borrowed(_) => *bytes,
        };
        let strict = self.strictness.strict();
        let hit = if bytes.any(MARKUP) {
            html::scan(&compact, strict)
        } else {
            html::bare_handler(&compact)
        }
        .or_else(|| {
            if bytes.any(SCRIPT) {
                script::scan(&compact, strict, &bytes)
            } else {
                script::global_this(&compact, &bytes)
            }
        })
        .or_else(|| {
            bytes
                .any(CSS)
                .then(|| css::scan(&compact, &bytes))
                .flatten()
        })?;
        Some(Finding::new(Category::Xss, hit.rule, hit.span))
    }
}

impl XssDetector {
    /// What the rules can still find in plain text (see
    /// [`crate::detect::plain`]): with none of [`MARKUP`], no backslash and
    /// no control character, only a bare event-handler name, a script
    /// property spelt with letters and dots, `-moz-binding` and
    /// `@import '...'` remain; their needles are these.
    pub(crate) fn plain_text_needles() -> impl Iterator<Item = &'static str> {
        script::SINK_PROPERTIES
            .iter()
            .copied()
            .chain(["-moz-binding", "@import"])
    }

    /// Whether `text` (lower-cased) may be a bare event-handler name: after
    /// leading and trailing white space, it opens with `on` or is
    /// `fscommand` (what the rule looks up further).
    pub(crate) fn may_be_bare_handler(text: &[u8]) -> bool {
        let v = text.trim_ascii();
        v.starts_with(b"on") || v == b"fscommand"
    }
}

/// Tags need `<`, attribute breakouts `=`, script URLs `:`.
const MARKUP: &[u8] = b"<=:";

/// Script properties need `.` or `[` (but `globalthis`), calls `(`, `)`
/// or a backtick, navigations `=`, JavaScript entities `&`.
const SCRIPT: &[u8] = b".[()`=&";

/// `-moz-binding`, `behavior:`, `expression(`, `url(`, `@import`.
const CSS: &[u8] = b"-:(@";

/// A match: the rule that fired and where, in the compacted text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) rule: &'static str,
    pub(crate) span: std::ops::Range<usize>,
}

impl Hit {
    pub(crate) fn new(rule: &'static str, start: usize, end: usize) -> Option<Self> {
        Some(Self {
            rule,
            span: start..end.max(start),
        })
    }
}

/// The text with NUL and the C0 controls other than tab, LF, CR and FF
/// removed (browsers ignore them inside tag names and URLs), and CSS / JS
/// backslash escapes (`\6a`, `\x6a`, `\u006a`) of ASCII characters undone.
fn compact<'t>(text: &'t str, bytes: &ByteSet) -> Cow<'t, str> {
    if !bytes.has_control() && !bytes.has(b'\\') {
        return Cow::Borrowed(text);
    }
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r' | 0x0c) {
            out.push_str(&text[last..i]);
            i += 1;
            last = i;
            continue;
        }
        if c == b'\\'
            && let Some((ch, len)) = backslash_escape(&b[i + 1..])
        {
            out.push_str(&text[last..i]);
            out.push(ch);
            i += 1 + len;
            last = i;
            continue;
        }
        i += 1;
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// An escape after `\`: `x41`, `u0041`, `u{41}` or CSS `41 ` (1–6 hex
/// digits, one optional space), decoding to printable ASCII only.
fn backslash_escape(s: &[u8]) -> Option<(char, usize)> {
    let (start, max) = match s.first()? {
        b'x' => (1, 2),
        b'u' if s.get(1) == Some(&b'{') => (2, 6),
        b'u' => (1, 4),
        _ => (0, 6),
    };
    let digits = s[start..]
        .iter()
        .take(max)
        .take_while(|b| b.is_ascii_hexdigit())
        .count();
    if digits == 0 || (start == 1 && s[0] == b'x' && digits != 2) {
        return None;
    }
    let mut value: u32 = 0;
    for &d in &s[start..start + digits] {
        value = value * 16 + (d as char).to_digit(16)?;
    }
    let c = char::from_u32(value).filter(|c| c.is_ascii_graphic())?;
    let mut len = start + digits;
    // The closing brace of `\u{..}`, or the one space that ends a CSS escape.
    let terminator = if start == 2 { b'}' } else { b' ' };
    if (start == 2 || start == 0) && s.get(len) == Some(&terminator) {
        len += 1;
    }
    Some((c.to_ascii_lowercase(), len))
}

impl Detector for XssDetector {
    fn category(&self) -> Category {
        Category::Xss
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
