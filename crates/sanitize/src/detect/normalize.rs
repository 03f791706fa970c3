//! Bounded normalisation: the forms of an input the detectors examine.
//!
//! Attackers hide payloads behind encodings the application (or the browser,
//! or the database) undoes later: `%27`, `%2527`, `&#x27;`, fullwidth
//! `＇`, `UnIoN`. Each input is therefore examined twice: as given (lower
//! cased), and fully decoded — percent-decoding and HTML entity decoding
//! repeated until nothing changes (at most [`MAX_DECODE_PASSES`] passes, so a
//! deeply nested value costs a bounded amount of work), then Unicode NFKC and
//! case folding. Every step is a single linear pass; nothing backtracks.
//!
//! A value that is not valid UTF-8 is examined as lossy text (invalid bytes
//! become U+FFFD) rather than skipped, so an undecodable value is never
//! treated as clean.

use crate::detect::precheck::{ByteSet, View};
use std::borrow::Cow;
use unicode_normalization::UnicodeNormalization;

/// How many rounds of percent and entity decoding are applied at most.
/// Three undoes `%252527` (a value encoded three times); a fourth layer is
/// left encoded, and its `%` signs are what the detectors then see.
pub const MAX_DECODE_PASSES: usize = 3;

/// An input prepared for the detectors: the lower-cased original and, when
/// it differs, the decoded form.
#[derive(Debug, Clone)]
pub struct Normalized<'a> {
    original: Cow<'a, str>,
    lowered: Cow<'a, str>,
    lowered_bytes: ByteSet,
    decoded: Option<(String, ByteSet)>,
}

impl<'a> Normalized<'a> {
    /// Prepares `input`.
    pub fn new(input: &'a str) -> Self {
        Self::from_cow(Cow::Borrowed(input))
    }

    /// Prepares raw bytes, reading invalid UTF-8 as U+FFFD (never as clean).
    pub fn from_bytes(input: &'a [u8]) -> Self {
        Self::from_cow(String::from_utf8_lossy(input))
    }

    fn from_cow(original: Cow<'a, str>) -> Self {
        // Most values are lower-case already (ids, e-mail addresses, dates,
        // enum values): those are examined as given, without a copy.
        let lowered = match &original {
            Cow::Borrowed(text) if is_lower_ascii(text) => Cow::Borrowed(*text),
            _ => Cow::Owned(lower(&original)),
        };
        let decoded = match decode(&original) {
            // Nothing to decode and nothing outside ASCII: the decoded form
            // is the lowered one.
            Cow::Borrowed(_) if !needs_nfkc(&original) => None,
            d if needs_nfkc(&d) => Some(lower(&d.nfkc().collect::<String>())),
            d => Some(lower(&d)),
        };
        let decoded = decoded.filter(|d| *d != *lowered).map(|d| {
            let bytes = ByteSet::of(d.as_bytes());
            (d, bytes)
        });
        Self {
            lowered_bytes: ByteSet::of(lowered.as_bytes()),
            original,
            lowered,
            decoded,
        }
    }

    /// The input as given (lossy text for invalid UTF-8).
    pub fn original(&self) -> &str {
        &self.original
    }

    /// The forms to examine: the lower-cased input, then the decoded form
    /// when it differs (`true` marks the decoded one).
    pub fn views(&self) -> impl Iterator<Item = (&str, bool)> {
        self.prepared().map(|v| (v.text, v.decoded))
    }

    /// The views with the bytes each holds, for the detectors' pre-checks.
    pub(crate) fn prepared(&self) -> impl Iterator<Item = View<'_>> {
        std::iter::once(View {
            text: &self.lowered,
            decoded: false,
            bytes: self.lowered_bytes,
        })
        .chain(self.decoded.as_ref().map(|(d, bytes)| View {
            text: d.as_str(),
            decoded: true,
            bytes: *bytes,
        }))
    }

    /// The lower-cased input as given.
    pub fn lowered(&self) -> &str {
        &self.lowered
    }
}

fn lower(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.to_lowercase()
    }
}

/// ASCII without upper-case letters: its lower-cased form is itself.
fn is_lower_ascii(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase())
}

fn needs_nfkc(s: &str) -> bool {
    !s.is_ascii()
}

/// Percent and entity decoding, repeated until stable or the pass limit.
pub(crate) fn decode(input: &str) -> Cow<'_, str> {
    let mut current = Cow::Borrowed(input);
    for _ in 0..MAX_DECODE_PASSES {
        let pct = percent_decode(&current);
        let ent = match &pct {
            Some(p) => entity_decode(p)
                .map(Cow::Owned)
                .or(Some(Cow::Borrowed(p.as_str()))),
            None => entity_decode(&current).map(Cow::Owned),
        };
        match ent {
            Some(next) if next != current => current = Cow::Owned(next.into_owned()),
            _ => break,
        }
    }
    current
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn hex_byte(s: &[u8], i: usize) -> Option<u8> {
    Some(hex(*s.get(i)?)? << 4 | hex(*s.get(i + 1)?)?)
}

/// One pass of `%XX` and `%uXXXX` decoding. Overlong UTF-8 forms of ASCII
/// (`%c0%af` for `/`, `%e0%80%ae` for `.`), which lenient decoders accept,
/// decode to the ASCII character they smuggle. `None` when there is nothing
/// to decode.
pub(crate) fn percent_decode(input: &str) -> Option<String> {
    let s = input.as_bytes();
    if !s.contains(&b'%') {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let mut i = 0;
    let mut changed = false;
    while i < s.len() {
        if s[i] == b'%' {
            if let Some(b) = hex_byte(s, i + 1) {
                out.push(b);
                i += 3;
                changed = true;
                continue;
            }
            if matches!(s.get(i + 1), Some(b'u' | b'U'))
                && let (Some(h), Some(l)) = (hex_byte(s, i + 2), hex_byte(s, i + 4))
            {
                let c = char::from_u32(u32::from(h) << 8 | u32::from(l)).unwrap_or('\u{fffd}');
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += 6;
                changed = true;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    if !changed {
        return None;
    }
    Some(utf8_with_overlongs(&out))
}

/// Bytes to text, reading overlong encodings of ASCII as that ASCII and any
/// other invalid sequence as U+FFFD.
fn utf8_with_overlongs(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                out.push_str(valid);
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                let (c, used) = overlong(bad)
                    .unwrap_or(('\u{fffd}', e.error_len().unwrap_or(bad.len()).max(1)));
                out.push(c);
                rest = &bad[used.min(bad.len())..];
            }
        }
    }
    out
}

/// An overlong 2- or 3-byte encoding of an ASCII character at the start of `b`.
fn overlong(b: &[u8]) -> Option<(char, usize)> {
    let cont = |x: u8| x & 0xc0 == 0x80;
    match b {
        [lead @ (0xc0 | 0xc1), c1, ..] if cont(*c1) => {
            let v = u32::from(lead & 0x1f) << 6 | u32::from(c1 & 0x3f);
            Some((char::from_u32(v)?, 2))
        }
        [0xe0, c1, c2, ..] if cont(*c1) && cont(*c2) && *c1 < 0xa0 => {
            let v = u32::from(c1 & 0x3f) << 6 | u32::from(c2 & 0x3f);
            (v < 0x80).then(|| Some((char::from_u32(v)?, 3)))?
        }
        _ => None,
    }
}

/// The named character references attack payloads use (and the common
/// ones), by name without `&` and `;`.
fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "tab" => '\t',
        "newline" => '\n',
        "colon" => ':',
        "lpar" => '(',
        "rpar" => ')',
        "sol" => '/',
        "bsol" => '\\',
        "semi" => ';',
        "comma" => ',',
        "period" => '.',
        "excl" => '!',
        "num" => '#',
        "equals" => '=',
        "plus" => '+',
        "grave" => '`',
        "lsqb" | "lbrack" => '[',
        "rsqb" | "rbrack" => ']',
        "lcub" | "lbrace" => '{',
        "rcub" | "rbrace" => '}',
        "quest" => '?',
        "percnt" => '%',
        "ast" | "midast" => '*',
        "dollar" => '$',
        "vert" | "verbar" => '|',
        "hyphen" | "dash" => '-',
        _ => return None,
    })
}

/// One pass of HTML character-reference decoding: `&#60;`, `&#x3c;` (with
/// or without `;`, with any number of leading zeros, as browsers accept) and
/// the named references of [`named_entity`] (case-insensitive).
pub(crate) fn entity_decode(input: &str) -> Option<String> {
    if !input.contains('&') {
        return None;
    }
    let s = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut last = 0;
    let mut i = 0;
    let mut changed = false;
    while i < s.len() {
        if s[i] != b'&' {
            i += 1;
            continue;
        }
        if let Some((c, len)) = entity_at(&s[i + 1..]) {
            out.push_str(&input[last..i]);
            out.push(c);
            i += 1 + len;
            last = i;
            changed = true;
        } else {
            i += 1;
        }
    }
    if !changed {
        return None;
    }
    out.push_str(&input[last..]);
    Some(out)
}

/// The character and the length (after `&`) of a reference at `s`.
fn entity_at(s: &[u8]) -> Option<(char, usize)> {
    if s.first() == Some(&b'#') {
        let (radix, start) = match s.get(1) {
            Some(b'x' | b'X') => (16, 2),
            _ => (10, 1),
        };
        let mut value: u32 = 0;
        let mut end = start;
        while end < s.len() && (s[end] as char).is_digit(radix) {
            // Saturate: an absurd number of digits is still one bad character.
            value = value
                .saturating_mul(radix)
                .saturating_add((s[end] as char).to_digit(radix).unwrap_or(0));
            end += 1;
        }
        if end == start {
            return None;
        }
        let c = char::from_u32(value)
            .filter(|c| *c != '\0')
            .unwrap_or('\u{fffd}');
        let len = if s.get(end) == Some(&b';') {
            end + 1
        } else {
            end
        };
        return Some((c, len));
    }
    let end = s.iter().take(10).position(|b| !b.is_ascii_alphabetic())?;
    if end == 0 || s.get(end) != Some(&b';') {
        return None;
    }
    let name = std::str::from_utf8(&s[..end]).ok()?.to_ascii_lowercase();
    named_entity(&name).map(|c| (c, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_percent_encoding_is_undone_up_to_the_limit() {
        assert_eq!(decode("%2527"), "'");
        assert_eq!(decode("%252527"), "'");
        assert_eq!(decode("%25252527"), "%27");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn overlong_and_unicode_escapes_decode_to_what_they_smuggle() {
        assert_eq!(decode("..%c0%af..%c0%afetc"), "../../etc");
        assert_eq!(decode("%e0%80%ae"), ".");
        assert_eq!(decode("%u002e%u002f"), "./");
        assert_eq!(decode("%ff"), "\u{fffd}");
    }

    #[test]
    fn entities_decode_numeric_and_named() {
        assert_eq!(decode("&lt;script&gt;"), "<script>");
        assert_eq!(decode("&#x6A;&#0000097;&#118&#97"), "java");
        assert_eq!(decode("java&Tab;script&colon;"), "java\tscript:");
        assert_eq!(decode("AT&T & co"), "AT&T & co");
        assert_eq!(decode("&#0;"), "\u{fffd}");
        assert_eq!(decode("&#99999999999999999999;"), "\u{fffd}");
    }

    #[test]
    fn views_hold_the_lowered_and_the_decoded_form() {
        let n = Normalized::new("%3CScript%3E");
        let views: Vec<_> = n.views().collect();
        assert_eq!(views, vec![("%3cscript%3e", false), ("<script>", true)]);
        let n = Normalized::new("Plain");
        assert_eq!(n.views().count(), 1);
        assert_eq!(n.lowered(), "plain");
        // Already lower-case: examined as given.
        for (input, lowered) in [
            ("plain-1", "plain-1"),
            ("", ""),
            ("a\0b", "a\0b"),
            ("ÉTÉ", "été"),
            ("xY", "xy"),
        ] {
            assert_eq!(Normalized::new(input).lowered(), lowered, "{input}");
            assert_eq!(
                Normalized::from_bytes(input.as_bytes()).lowered(),
                lowered,
                "{input}"
            );
        }
        assert!(is_lower_ascii("a-1_@.") && !is_lower_ascii("aB") && !is_lower_ascii("é"));
        let n = Normalized::new("\u{ff1c}script\u{ff1e}");
        assert_eq!(n.views().nth(1), Some(("<script>", true)));
    }

    #[test]
    fn invalid_utf8_is_examined_as_lossy_text() {
        let n = Normalized::from_bytes(b"<scr\xffipt>");
        assert_eq!(n.original(), "<scr\u{fffd}ipt>");
    }
}
