//! Path traversal: `../` in every encoding, NUL truncation, and the file
//! and stream references local-file-inclusion payloads aim at.
//!
//! Percent (single, double, triple), `%u` and overlong UTF-8 (`%c0%af`)
//! encodings are undone by normalisation; here backslashes and the Unicode
//! look-alikes of `/` and `\` count as separators, and `..;/` (a path
//! parameter that servlet containers drop) as `../`.

use crate::detect::keywords::Keywords;
use crate::detect::precheck::{ByteSet, View};
use crate::detect::{Category, Detector, Finding, Normalized, Strictness};
use std::borrow::Cow;
use std::sync::LazyLock;

static SENSITIVE_NAMES: LazyLock<Keywords> = LazyLock::new(|| Keywords::new(SENSITIVE));
static UNIQUE_NAMES: LazyLock<Keywords> = LazyLock::new(|| Keywords::new(UNIQUE_FILES));
static WRAPPER_NAMES: LazyLock<Keywords> = LazyLock::new(|| Keywords::new(WRAPPERS));

/// Files and directories that only a traversal or inclusion payload names.
pub(super) const SENSITIVE: &[&str] = &[
    "etc/passwd",
    "etc/shadow",
    "etc/group",
    "etc/hosts",
    "etc/issue",
    "etc/motd",
    "proc/self/",
    "proc/version",
    "boot.ini",
    "win.ini",
    "system.ini",
    "windows/system32",
    "winnt/system32",
    "system32/config",
    "system32/drivers",
    "inetpub/",
    "web.config",
    "wp-config.php",
    ".htpasswd",
    ".htaccess",
    "/.ssh/",
    "id_rsa",
    ".bash_history",
    "/var/log/",
    "/etc/apache",
    "/etc/httpd",
    "/etc/nginx",
    "/etc/mysql",
    "php.ini",
    "/etc/",
    "/windows/",
    "/root/",
    "/.git/",
    "/.env",
];

/// File names that nothing but a file-disclosure attempt mentions.
pub(super) const UNIQUE_FILES: &[&str] = &[
    "global.asa",
    "inetpub",
    "win.ini",
    "boot.ini",
    "system.ini",
    "etc/passwd",
    "etc/shadow",
    "web-inf",
    "wp-config.php",
    ".htpasswd",
    "id_rsa",
    "/proc/self/environ",
    "system32/config/sam",
];

/// Wrappers that read files or run code in PHP and friends.
pub(super) const WRAPPERS: &[&str] = &[
    "php://filter",
    "php://input",
    "php://fd",
    "php://memory",
    "php://temp",
    "expect://",
    "zip://",
    "phar://",
    "compress.zlib://",
    "glob://",
    "data://",
    "file://",
    "input://",
    "ogg://",
    "rar://",
    "ssh2://",
    "jar:file:",
];

/// Detects path traversal and local file inclusion.
///
/// ```
/// use rampart_sanitize::{Detector, PathTraversalDetector};
///
/// let t = PathTraversalDetector::default();
/// assert!(t.scan("../../etc/passwd").is_some());
/// assert!(t.scan("..%252f..%252fetc").is_some());
/// assert!(t.scan("%c0%ae%c0%ae%c0%afwindows").is_some());
/// assert!(t.scan("..\\..\\boot.ini").is_some());
/// assert!(t.scan("report.pdf%00.png").is_some());
/// assert!(t.scan("docs/guide.html").is_none());
/// assert!(t.scan("Wait... what?").is_none());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct PathTraversalDetector {
    strictness: Strictness,
}

impl PathTraversalDetector {
    /// A detector at `strictness`.
    pub fn new(strictness: Strictness) -> Self {
        Self { strictness }
    }

    /// Whether a view can hold anything this detector flags: every rule
    /// needs a dot, a separator, an escape, a colon, a `?`, a control or
    /// non-ASCII character, a `0x` escape, or one of the three file names
    /// in [`UNIQUE_FILES`] spelt without dot or slash.
    fn may_hold(text: &str, bytes: &ByteSet) -> bool {
        bytes.any(b"./\\%?:")
            || bytes.has_control()
            || bytes.has_non_ascii()
            || bytes.occurs(text, "0x")
            || bytes.occurs(text, "inetpub")
            || bytes.occurs(text, "web-inf")
            || bytes.occurs(text, "id_rsa")
    }

    /// What the rules can still find in plain text (see
    /// [`crate::detect::plain`]): without a separator, `%`, `?`, `:`, a
    /// control or non-ASCII character, only `..` runs, `0x` escapes and the
    /// file names of the lists remain; their needles are these.
    pub(crate) fn plain_text_needles() -> impl Iterator<Item = &'static str> {
        SENSITIVE
            .iter()
            .chain(UNIQUE_FILES)
            .chain(WRAPPERS)
            .copied()
            .chain(["..", "0x"])
    }

    /// Scans one view (after [`Self::may_hold`]).
    pub(crate) fn scan_text(&self, text: &str, bytes: &ByteSet) -> Option<Finding> {
        if !Self::may_hold(text, bytes) {
            return None;
        }
        let s = separators(text, bytes);
        // Mapping look-alikes adds `/` and `.`: the bytes `s` holds.
        let bytes = match &s {
            Cow::Borrowed(_) => *bytes,
            Cow::Owned(mapped) => ByteSet::of(mapped.as_bytes()),
        };
        let b = s.as_bytes();
        let found = |rule: &str, start: usize, end: usize| {
            Some(Finding::new(Category::PathTraversal, rule, start..end))
        };
        // `../`, `..\` (now `../`), `..;/`, and `..` closing the value after
        // a separator. Windows drops the trailing dots of a segment, so a
        // segment of more dots (`/.../`, `/....`) is `..` there.
        let mut i = 0;
        while let Some(p) = s[i..].find("..") {
            let start = i + p;
            let before = if start == 0 { b'/' } else { b[start - 1] };
            let mut k = start + 2;
            while b.get(k) == Some(&b'.') {
                k += 1;
            }
            i = start + 1;
            let dots = k - start;
            if b.get(k) == Some(&b';') {
                k += 1;
            }
            let after = b.get(k).copied();
            if after == Some(b'/') {
                return found("dot-dot-slash", start, k + 1);
            }
            // (Three dots closing a value are an ellipsis: "and/...".)
            if after.is_none() && before == b'/' && dots == 2 {
                return found("dot-dot-end", start, k);
            }
            // `/..` ending a segment some other way: `/..{file}`, `/..?x`.
            if before == b'/' && after.is_some_and(ends_segment) {
                return found("dot-dot-segment", start, k);
            }
        }
        // `/./.`: current-directory segments repeated, a path-normalisation
        // probe that no file name needs.
        if bytes.has(b'/')
            && let Some(p) = s.find("/./.")
            && b.get(p + 4).is_none_or(|&c| c == b'/' || ends_segment(c))
        {
            return found("dot-segments", p, p + 4);
        }
        if let Some((rule, start, end)) = path_probe(&s) {
            return found(rule, start, end);
        }
        if let Some((start, end)) = encoded_steps(&s) {
            return found("encoded-dot-dot-slash", start, end);
        }
        // Every wrapper names a scheme: `php://`, `jar:file:`.
        if bytes.has(b':')
            && let Some((_, p)) = WRAPPER_NAMES.first(&s)
        {
            return found("stream-wrapper", p, p + 4);
        }
        if let Some(p) = s.find('\0') {
            // A NUL that truncates a path: something file-like around it.
            let around = &b[p.saturating_sub(64)..(p + 16).min(b.len())];
            if around.iter().any(|c| matches!(c, b'/' | b'.')) || self.strictness.strict() {
                return found("nul-byte", p, p + 1);
            }
        }
        if let Some((name, p)) = UNIQUE_NAMES.first(&s) {
            return found("sensitive-file", p, p + name.len());
        }
        if s.starts_with("file:") {
            return found("stream-wrapper", 0, 5);
        }
        for (name, p) in SENSITIVE_NAMES.all(&s) {
            {
                let rooted = p == 0
                    || s[..p].ends_with(['/', '.', ':', '='])
                    || name.starts_with('/')
                    || s[..p].trim_end_matches(['.']).is_empty();
                let absolute = s.starts_with('/')
                    || s.starts_with("file:")
                    || b.get(1) == Some(&b':')
                    || s[..p].ends_with("..");
                if rooted && (absolute || name.len() > 6 && !name.starts_with('/')) {
                    return found("sensitive-file", p, p + name.len());
                }
            }
        }
        if self.strictness.strict() && (s.starts_with('/') || b.get(1..3) == Some(b":/")) {
            return found("absolute-path", 0, 1);
        }
        None
    }
}

/// Probes of how a server normalises a path, in a value that is a path
/// (it starts with a separator), or of how a filter strips one:
/// - a run of three or more separators (`///`): no path needs one, and a
///   scheme's `//` (`file:///`) does not start a value;
/// - a segment longer than any file system allows a name (`NAME_MAX`, 255
///   bytes): padding that pushes a suffix the application appends (`.php`)
///   past the length where a path is cut off;
/// - a value opening with four or more dots run into a name
///   (`....etcpasswd`): what `....//` leaves once a filter has removed the
///   separators (three dots opening a value are an ellipsis).
fn path_probe(s: &str) -> Option<(&'static str, usize, usize)> {
    const NAME_MAX: usize = 255;
    let b = s.as_bytes();
    if b.first() == Some(&b'/') {
        if let Some(p) = s.find("///") {
            let end = p + b[p..].iter().take_while(|&&c| c == b'/').count();
            return Some(("separator-run", p, end));
        }
        let mut start = 0;
        for segment in s.split('/') {
            if segment.len() > NAME_MAX {
                return Some(("overlong-segment", start, start + segment.len()));
            }
            start += segment.len() + 1;
        }
    }
    let dots = b.iter().take_while(|&&c| c == b'.').count();
    if dots >= 4 && b.get(dots).is_some_and(u8::is_ascii_alphanumeric) {
        return Some(("dot-run", 0, dots));
    }
    None
}

/// Whether `c`, after a run of dots, ends the path segment: not a letter,
/// digit, dot, space, `_` or `-` (which continue a file name).
fn ends_segment(c: u8) -> bool {
    !c.is_ascii_alphanumeric() && !matches!(c, b'.' | b' ' | b'_' | b'-')
}

/// One unit of a possibly obfuscated path.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// `.`
    Dot,
    /// `/` (after [`separators`]).
    Slash,
    /// `?`: what a lossy decoder leaves of a character it could not map.
    Unknown,
    /// An escape nothing decoded (`%c0%qf`, `%uefc8`, `0x2f`), a control
    /// character, U+FFFD or a symbol outside ASCII.
    Encoded,
    /// Anything else.
    Other,
}

/// Traversal hidden behind encodings that normalisation could not undo
/// (broken or exotic escapes tried by traversal fuzzers): at least two
/// consecutive steps, each two dot-like units then a slash-like one, with
/// at least one real dot or slash among them. Returns the byte range.
fn encoded_steps(s: &str) -> Option<(usize, usize)> {
    let b = s.as_bytes();
    // Without `..`, `?`, an escape or a byte outside printable ASCII there
    // are no two dot-like units in a row: skip the unit list.
    let possible = s.contains("..")
        || s.contains("0x")
        || b.iter()
            .any(|&c| c == b'%' || c == b'?' || !(0x20..0x80).contains(&c));
    if !possible {
        return None;
    }
    let mut units: Vec<(Unit, usize)> = Vec::new();
    let mut i = 0;
    let mut hex_end = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        let unit = match c {
            b'.' => Unit::Dot,
            b'/' => Unit::Slash,
            b'?' => Unit::Unknown,
            b'%' => {
                i += 1;
                if b.get(i) == Some(&b'u') {
                    i += 1;
                }
                let mut n = 0;
                while n < 4 && i < b.len() && b[i].is_ascii_alphanumeric() {
                    i += 1;
                    n += 1;
                }
                units.push((Unit::Encoded, start));
                continue;
            }
            // `0x2e`, and `x2e` right after such an escape (a `\x2e` whose
            // backslash was lost).
            b'0' | b'x'
                if ((c == b'x' && i == hex_end && i > 0) || b.get(i + 1) == Some(&b'x'))
                    && b.get(i + 2 - usize::from(c == b'x')..i + 4 - usize::from(c == b'x'))
                        .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) =>
            {
                i += 4 - usize::from(c == b'x');
                hex_end = i;
                let unit = match &b[i - 2..i] {
                    b"2e" => Unit::Dot,
                    b"2f" | b"5c" => Unit::Slash,
                    _ => Unit::Encoded,
                };
                units.push((unit, start));
                continue;
            }
            _ if c < 0x20 => Unit::Encoded,
            _ if c >= 0x80 => {
                let ch = s[i..].chars().next().unwrap_or('\u{fffd}');
                i += ch.len_utf8();
                units.push((
                    if ch.is_alphanumeric() {
                        Unit::Other
                    } else {
                        Unit::Encoded
                    },
                    start,
                ));
                continue;
            }
            _ => Unit::Other,
        };
        units.push((unit, start));
        i += 1;
    }
    // `..` followed by an escape nothing could decode: `..%c0%qf`, `..0x5c`.
    for w in units.windows(3) {
        if w[0].0 == Unit::Dot
            && w[1].0 == Unit::Dot
            && matches!(w[2].0, Unit::Encoded | Unit::Slash)
        {
            let end = units.iter().find(|u| u.1 > w[2].1).map_or(b.len(), |u| u.1);
            return Some((w[0].1, end));
        }
    }
    // A separator, then a segment of two or more (escaped) dots only.
    for (j, w) in units.windows(3).enumerate() {
        if w[0].0 == Unit::Slash && w[1].0 == Unit::Dot && w[2].0 == Unit::Dot {
            let run = units[j + 1..]
                .iter()
                .take_while(|u| u.0 == Unit::Dot)
                .count();
            match units.get(j + 1 + run) {
                // Three or more dots closing the value are an ellipsis.
                None if run == 2 => return Some((w[0].1, b.len())),
                None => {}
                Some(&(Unit::Other, at)) if !ends_segment(b[at]) => {}
                Some(&(_, at)) => return Some((w[0].1, at)),
            }
        }
    }
    let dotlike = |u: Unit| matches!(u, Unit::Dot | Unit::Unknown | Unit::Encoded);
    let slashlike = |u: Unit| matches!(u, Unit::Slash | Unit::Encoded);
    let mut j = 0;
    while j + 6 <= units.len() {
        let mut k = j;
        let mut steps = 0;
        let mut real = false;
        let mut dots = 0;
        while k + 3 <= units.len()
            && dotlike(units[k].0)
            && dotlike(units[k + 1].0)
            && slashlike(units[k + 2].0)
        {
            real |= units[k..k + 3]
                .iter()
                .any(|u| matches!(u.0, Unit::Dot | Unit::Slash));
            dots += units[k..k + 2]
                .iter()
                .filter(|u| matches!(u.0, Unit::Dot | Unit::Unknown))
                .count();
            steps += 1;
            k += 3;
        }
        if (steps >= 2 && real && dots >= 2) || steps >= 4 {
            let end = units.get(k).map_or(b.len(), |u| u.1);
            return Some((units[j].1, end));
        }
        j += 1;
    }
    None
}

/// The text with `\` and the Unicode look-alikes of `/` and `\` as `/`
/// (borrowed when there is neither).
fn separators<'t>(text: &'t str, bytes: &ByteSet) -> Cow<'t, str> {
    if !bytes.has(b'\\') && !bytes.has_non_ascii() {
        return Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| match c {
            '\\' | '\u{2215}' | '\u{2044}' | '\u{29f5}' | '\u{29f8}' | '\u{29f9}' | '\u{ff3c}'
            | '\u{fe68}' => '/',
            '\u{2024}' => '.',
            _ => c,
        })
        .collect()
}

impl Detector for PathTraversalDetector {
    fn category(&self) -> Category {
        Category::PathTraversal
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

    fn hit(s: &str) -> bool {
        PathTraversalDetector::default().scan(s).is_some()
    }

    #[test]
    fn every_encoding_of_dot_dot_slash() {
        for s in [
            "../etc/passwd",
            "..\\..\\windows\\win.ini",
            "%2e%2e%2f%2e%2e%2f",
            "%2e%2e/",
            "..%2f",
            "%252e%252e%252f",
            "..%255c..%255c",
            "%c0%ae%c0%ae%c0%af",
            "..%c0%af",
            "..%c1%9c",
            "..;/admin",
            "%uff0e%uff0e%u2215",
            "..%u2215",
            "....//....//etc",
            "/var/www/../../etc",
            "foo/..",
            "/.../.../boot.ini",
            "/....?",
            "/......{file}",
            "\\...\\...\\windows",
            "/0x2e0x2e{file}",
            "/0x2e0x2ex2e0x2ex2e0x2e{file}",
            "0x2e0x2e0x2f",
            "/./././etc",
            "/.//././/./{file}",
            "/./.",
            "///etc",
            "/a/////b",
            "....etcpasswd",
            "........windowswin.ini",
        ] {
            assert!(hit(s), "{s}");
        }
    }

    #[test]
    fn nul_wrappers_and_sensitive_files() {
        assert!(hit("image.php%00.jpg"));
        assert!(hit("php://filter/convert.base64-encode/resource=index"));
        assert!(hit("file:///etc/passwd"));
        assert!(hit("/etc/shadow"));
        assert!(hit("c:\\windows\\win.ini"));
    }

    #[test]
    fn innocent_paths_and_dots_pass() {
        for s in [
            "docs/guide.html",
            "v1.2..v1.3",
            "Wait... what?",
            "and so on...",
            "https://example.com/a/b?c=d",
            "/api/items/42",
            "C'est la vie",
            "etc. passwd reset",
            "1..10",
            "/...and so on",
            "and/or...",
            "[x]=-]l;/...",
            "see /docs/... for more",
            "a/./b",
            "./configure",
            "x2e0x2e",
            "0x2e0x2eab",
            "https://example.com//a",
            "//cdn.example.com/app.js",
            "a///b",
            "...and then",
            "....",
            "..... 5 dots",
        ] {
            assert!(!hit(s), "{s}");
        }
    }

    #[test]
    fn a_path_segment_longer_than_any_file_name_is_padding() {
        let name = |n: usize| "a".repeat(n);
        assert!(hit(&format!("/{}..x", name(256))));
        assert!(hit(&format!("/docs/{}/x", name(300))));
        assert!(!hit(&format!("/docs/{}/x", name(255))));
        // Only in a path: a long word elsewhere is not a file name.
        assert!(!hit(&format!("docs/{}", name(300))));
        let f = PathTraversalDetector::default()
            .scan(&format!("/docs/{}/x", name(300)))
            .expect("a finding");
        assert_eq!((f.fingerprint(), f.span()), ("overlong-segment", 6..306));
    }

    /// The rule and byte range `scan_text` reports for `s` as given (no
    /// decoding, no lower-casing), at `strictness`.
    fn rule_at(strictness: Strictness, s: &str) -> Option<(String, std::ops::Range<usize>)> {
        PathTraversalDetector::new(strictness)
            .scan_text(s, &ByteSet::of(s.as_bytes()))
            .map(|f| (f.fingerprint().to_owned(), f.span()))
    }

    fn rule(s: &str) -> Option<(String, std::ops::Range<usize>)> {
        rule_at(Strictness::default(), s)
    }

    fn is(rule: &str, span: std::ops::Range<usize>) -> Option<(String, std::ops::Range<usize>)> {
        Some((rule.to_owned(), span))
    }

    #[test]
    fn each_dot_dot_form_names_its_rule_and_span() {
        assert_eq!(rule("../x"), is("dot-dot-slash", 0..3));
        assert_eq!(rule("..\\x"), is("dot-dot-slash", 0..3));
        assert_eq!(rule("a/..;/b"), is("dot-dot-slash", 2..6));
        assert_eq!(rule("..;/admin"), is("dot-dot-slash", 0..4));
        assert_eq!(rule("x/.../y"), is("dot-dot-slash", 2..6));
        // A `..` inside a name is skipped; the next one is the traversal.
        assert_eq!(rule("a..b/../c"), is("dot-dot-slash", 5..8));
        assert_eq!(rule("foo/.."), is("dot-dot-end", 4..6));
        assert_eq!(rule(".."), is("dot-dot-end", 0..2));
        assert_eq!(rule("/..{file}"), is("dot-dot-segment", 1..3));
        assert_eq!(rule("a/..?x"), is("dot-dot-segment", 2..4));
        // `..` glued to a name after a separator continues the name.
        assert_eq!(rule("a/..b"), None);
        assert_eq!(rule("x..?"), None);
    }

    #[test]
    fn dot_segments_and_path_probes_name_their_span() {
        assert_eq!(rule("app/./.;x"), is("dot-segments", 3..7));
        assert_eq!(rule("a/./."), is("dot-segments", 1..5));
        // A hidden file after one `./` is a name, not a probe.
        assert_eq!(rule("a/./.profile"), None);
        assert_eq!(rule("/a/////b"), is("separator-run", 2..7));
        assert_eq!(rule("....etc"), is("dot-run", 0..4));
    }

    #[test]
    fn look_alike_separators_are_slashes() {
        assert_eq!(
            rule("..\u{2215}x").map(|f| f.0),
            Some("dot-dot-slash".into())
        );
        assert_eq!(
            rule("a/\u{2024}\u{2024}/x").map(|f| f.0),
            Some("dot-dot-slash".into())
        );
    }

    #[test]
    fn wrappers_nul_and_file_names_name_their_span() {
        assert_eq!(rule("x=php://filter"), is("stream-wrapper", 2..6));
        assert_eq!(rule("file:notes"), is("stream-wrapper", 0..5));
        assert_eq!(rule("a.php\0.jpg"), is("nul-byte", 5..6));
        assert_eq!(rule("\0/x"), is("nul-byte", 0..1));
        // A NUL with nothing file-like around it only counts when strict.
        assert_eq!(rule("a\0b"), None);
        assert_eq!(rule_at(Strictness::Strict, "a\0b"), is("nul-byte", 1..2));
        assert_eq!(rule("see win.ini"), is("sensitive-file", 4..11));
        // Names that carry neither dot nor slash are still looked for.
        assert_eq!(rule("inetpub"), is("sensitive-file", 0..7));
        assert_eq!(rule("web-inf"), is("sensitive-file", 0..7));
        assert_eq!(rule("id_rsa"), is("sensitive-file", 0..6));
    }

    #[test]
    fn sensitive_names_count_where_a_path_starts() {
        // A long name opening the value or a segment of it.
        assert_eq!(rule("etc/hosts"), is("sensitive-file", 0..9));
        assert_eq!(rule("a/etc/hosts"), is("sensitive-file", 2..11));
        assert_eq!(rule("page=etc/hosts"), is("sensitive-file", 5..14));
        assert_eq!(rule("php.ini"), is("sensitive-file", 0..7));
        // The same names in prose.
        assert_eq!(rule("my etc/hosts"), None);
        assert_eq!(rule("my php.ini"), None);
        // A rooted directory name needs an absolute path around it.
        assert_eq!(rule("/etc/foo"), is("sensitive-file", 0..5));
        assert_eq!(rule("/opt/app/.env"), is("sensitive-file", 8..13));
        assert_eq!(rule("c:/windows/x"), is("sensitive-file", 2..11));
        assert_eq!(rule("x/windows/y"), None);
        assert_eq!(rule("see /etc/foo"), None);
    }

    #[test]
    fn strict_flags_only_absolute_paths() {
        let strict = |s| rule_at(Strictness::Strict, s);
        assert_eq!(strict("/usr/local"), is("absolute-path", 0..1));
        assert_eq!(strict("c:/data"), is("absolute-path", 0..1));
        assert_eq!(strict("data/x"), None);
        assert_eq!(rule("c:/data"), None);
    }

    #[test]
    fn encoded_steps_needs_some_dot_like_trace_to_start() {
        // Only `..`, `0x`, `%`, `?` or a byte outside printable ASCII can
        // make two dot-like units; each alone is enough to look.
        assert_eq!(encoded_steps("ab/..{"), Some((2, 5)));
        assert_eq!(encoded_steps("0x2e0x2e0x2f"), Some((0, 12)));
        assert_eq!(encoded_steps("??/??/"), Some((0, 6)));
        assert_eq!(encoded_steps("%2e./%2e./"), Some((0, 10)));
        assert_eq!(encoded_steps(&"\u{fffd}".repeat(12)), Some((0, 36)));
    }

    #[test]
    fn encoded_steps_reads_escapes_as_one_unit() {
        // `%` and up to four letters or digits (after a `u`) are one unit.
        assert_eq!(encoded_steps("..%c0%af"), Some((0, 5)));
        assert_eq!(encoded_steps("..%u2215x"), Some((0, 8)));
        // `0x2f` and `0x5c` are separators, `x2e` right after an escape a dot.
        assert_eq!(encoded_steps("0x2f.."), Some((0, 6)));
        assert_eq!(encoded_steps("0x2ex2e0x2f"), Some((0, 11)));
        // A bare `x2e`, or `0` without `x`, is no escape.
        assert_eq!(encoded_steps("x2ex2e/0x41"), None);
        assert_eq!(encoded_steps("..00ab/"), None);
        // Both hex digits must be there: `0x2z`, `xyz` are no escapes.
        assert_eq!(encoded_steps("..0x2z"), None);
        assert_eq!(encoded_steps("0x2e0x2exyz/"), None);
        // Controls and symbols outside ASCII are escapes nothing decoded;
        // a space is not.
        assert_eq!(encoded_steps("..\u{7}x"), Some((0, 3)));
        assert_eq!(encoded_steps("..\u{2215}x"), Some((0, 5)));
        assert_eq!(encoded_steps("wait.. what"), None);
    }

    #[test]
    fn encoded_steps_finds_a_dot_segment_after_a_separator() {
        assert_eq!(encoded_steps("foo/.."), Some((3, 6)));
        assert_eq!(encoded_steps("and/..."), None);
        assert_eq!(encoded_steps("a/..b"), None);
        assert_eq!(encoded_steps("wait..?"), None);
    }

    #[test]
    fn encoded_steps_counts_whole_steps() {
        assert_eq!(encoded_steps("/static/??/??/"), Some((8, 14)));
        // One step, or steps without a dot-like character, are not enough.
        assert_eq!(encoded_steps("??/abc"), None);
        assert_eq!(encoded_steps("a?/??/"), None);
        assert_eq!(encoded_steps("?a/?a/"), None);
        assert_eq!(encoded_steps("??x??x"), None);
        assert_eq!(encoded_steps("%c0%c0/%c0%c0/"), None);
        // Four steps of undecodable escapes are, with no dot among them.
        assert_eq!(encoded_steps(&"\u{fffd}".repeat(9)), None);
        assert_eq!(encoded_steps(&"\u{fffd}".repeat(6)), None);
    }

    #[test]
    fn strict_flags_absolute_paths() {
        let strict = PathTraversalDetector::new(Strictness::Strict);
        assert!(strict.scan("/usr/local/data").is_some());
        assert!(
            PathTraversalDetector::default()
                .scan("/usr/local/data")
                .is_none()
        );
    }
}
