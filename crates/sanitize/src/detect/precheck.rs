//! Cheap, sound pre-checks: which detectors can possibly fire on a view.
//!
//! Most values a service receives (names, ids, e-mail addresses, prices)
//! hold none of the characters or words an attack needs. One pass records
//! which bytes a view contains ([`ByteSet`]); each detector then states a
//! *necessary* condition on that set (and, where a shape needs no special
//! character, on a few words), and skips a view that fails it without
//! running its tokenizer. The conditions are derived from the rules
//! themselves, never from what benign text usually looks like: a property
//! test checks that a view failing a detector's condition is one that
//! detector would not flag.

/// The set of byte values present in a text: 256 bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ByteSet([u64; 4]);

impl ByteSet {
    /// Every byte: with it, no pre-check skips anything (the reference the
    /// property tests compare against).
    #[cfg(test)]
    pub(crate) const ALL: ByteSet = ByteSet([u64::MAX; 4]);

    /// The bytes of `s`, in one pass.
    pub(crate) const fn of(s: &[u8]) -> Self {
        let mut m = [0u64; 4];
        let mut i = 0;
        while i < s.len() {
            let b = s[i];
            m[(b >> 6) as usize] |= 1u64 << (b & 63);
            i += 1;
        }
        Self(m)
    }

    /// Whether byte `b` occurs.
    pub(crate) fn has(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1u64 << (b & 63)) != 0
    }

    /// This set with `b` added.
    pub(crate) fn with(mut self, b: u8) -> Self {
        self.0[usize::from(b >> 6)] |= 1u64 << (b & 63);
        self
    }

    /// The bytes of either set.
    pub(crate) fn union(&self, other: &ByteSet) -> Self {
        let mut m = self.0;
        for (a, b) in m.iter_mut().zip(other.0) {
            *a |= b;
        }
        Self(m)
    }

    /// Whether every byte of `other` occurs here.
    /// Whether the two sets share a byte.
    pub(crate) fn intersects(&self, other: &ByteSet) -> bool {
        self.0.iter().zip(other.0).any(|(a, b)| a & b != 0)
    }

    /// Whether every byte of `needle` occurs: a substring search that
    /// fails this cannot succeed.
    pub(crate) fn may_contain(&self, needle: &str) -> bool {
        needle.bytes().all(|b| self.has(b))
    }

    /// Whether `needle` occurs in `text`, whose bytes this set holds: the
    /// set rules most needles out without starting a substring search,
    /// which costs more than the short values it mostly runs on.
    pub(crate) fn occurs(&self, text: &str, needle: &str) -> bool {
        self.may_contain(needle) && contains_short(text, needle)
    }

    /// Whether any of `bytes` occurs.
    pub(crate) fn any(&self, bytes: &[u8]) -> bool {
        bytes.iter().any(|&b| self.has(b))
    }

    /// Whether a C0 control character (below 0x20, NUL included) occurs.
    pub(crate) fn has_control(&self) -> bool {
        self.0[0] & 0xffff_ffff != 0
    }

    /// Whether a byte outside ASCII occurs.
    pub(crate) fn has_non_ascii(&self) -> bool {
        self.0[2] | self.0[3] != 0
    }
}

/// Whether `needle` occurs in `haystack`. Values are mostly short, and for
/// them comparing at each place the first byte matches is cheaper than
/// setting up the standard library's two-way search.
fn contains_short(haystack: &str, needle: &str) -> bool {
    const SHORT: usize = 256;
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    match n.first() {
        None => true,
        Some(&first) if h.len() <= SHORT => h.windows(n.len()).any(|w| w[0] == first && w == n),
        Some(_) => haystack.contains(needle),
    }
}

/// One form of an input, as a detector examines it: the text, whether it
/// is the decoded form, and the bytes it holds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    pub(crate) text: &'a str,
    pub(crate) decoded: bool,
    pub(crate) bytes: ByteSet,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{
        CommandInjectionDetector, HeaderInjectionDetector, NoSqlInjectionDetector, Normalized,
        PathTraversalDetector, SqlInjectionDetector, Strictness, XssDetector,
    };
    use proptest::prelude::*;

    /// Every view of `input`, scanned by every detector at both levels with
    /// its pre-check and without one (every byte present): the results must
    /// be the same finding, or none.
    fn prechecks_change_nothing(input: &[u8]) {
        let n = Normalized::from_bytes(input);
        for v in n.prepared() {
            for level in [Strictness::Default, Strictness::Strict] {
                let (checked, full) = (&v.bytes, &ByteSet::ALL);
                let text = v.text;
                let sqli = SqlInjectionDetector::new(level);
                let xss = XssDetector::new(level);
                let traversal = PathTraversalDetector::new(level);
                let cmdi = CommandInjectionDetector::new(level);
                let crlf = HeaderInjectionDetector::new(level);
                let nosql = NoSqlInjectionDetector::new(level);
                let pairs = [
                    (sqli.scan_text(text, checked), sqli.scan_text(text, full)),
                    (xss.scan_text(text, checked), xss.scan_text(text, full)),
                    (
                        traversal.scan_text(text, checked),
                        traversal.scan_text(text, full),
                    ),
                    (cmdi.scan_text(text, checked), cmdi.scan_text(text, full)),
                    (crlf.scan_text(text, checked), crlf.scan_text(text, full)),
                    (nosql.scan_text(text, checked), nosql.scan_text(text, full)),
                ];
                for (with, without) in pairs {
                    assert_eq!(with, without, "{level:?} {text:?}");
                }
            }
        }
    }

    /// Pieces dense in what the detectors and their pre-checks branch on.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(vec![
                "'",
                "\"",
                "`",
                "%",
                "%2e",
                "%0a",
                "&#",
                ";",
                "&",
                "|",
                "<",
                ">",
                "/",
                "\\",
                "\\n",
                ".",
                "..",
                "-",
                "--",
                "+",
                "*",
                "~",
                "^",
                "' - '",
                "div",
                "#",
                "/*",
                "(",
                ")",
                "{",
                "[",
                "$",
                "=",
                ":",
                "::",
                "@",
                "?",
                "0x",
                "0x2e",
                "1",
                " ",
                "\n",
                "\r",
                "\0",
                "\u{1}",
                "\u{560a}",
                "é",
                "\u{ff0e}",
                "\u{2215}",
                "or",
                "and",
                "union",
                "select",
                "in",
                "sleep",
                "on",
                "onclick",
                "globalthis",
                "alert",
                "url",
                "whoami",
                "id",
                "cat",
                "ls",
                "etc",
                "passwd",
                "inetpub",
                "web-inf",
                "id_rsa",
                "file",
                "php",
                "ne",
                "where",
            ])
            .prop_map(str::to_owned),
            "[a-z0-9 ]{1,6}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn prechecks_never_skip_a_detection(pieces in proptest::collection::vec(piece(), 0..12)) {
            prechecks_change_nothing(pieces.concat().as_bytes());
        }

        #[test]
        fn prechecks_hold_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            prechecks_change_nothing(&bytes);
        }
    }

    #[test]
    fn a_sql_word_right_after_a_hex_number_is_not_skipped() {
        // The lexer ends `0x2e` before `where`; the pre-check must look there too.
        prechecks_change_nothing(b"0x2ewhere  z16g");
        prechecks_change_nothing(b"0x2ewhere a");
        prechecks_change_nothing(b"0x2eor 1");
    }

    #[test]
    fn prechecks_change_nothing_on_the_corpora() {
        for p in crate::detect::corpus_lines::payloads() {
            prechecks_change_nothing(p.as_bytes());
        }
    }

    #[test]
    fn byte_sets_record_every_byte_and_nothing_else() {
        let s = ByteSet::of(b"a\0\x1f\x7f\x80\xff");
        for b in 0..=255u8 {
            assert_eq!(
                s.has(b),
                matches!(b, b'a' | 0 | 0x1f | 0x7f | 0x80 | 0xff),
                "{b}"
            );
        }
        assert!(s.has_control() && s.has_non_ascii());
        assert!(s.any(b"xa") && !s.any(b"xyz"));
        let both = ByteSet::of(b"a").union(&ByteSet::of(b"\xffz"));
        assert!(both.has(b'a') && both.has(0xff) && both.has(b'z') && !both.has(b'b'));
        assert!(ByteSet::of(b"").with(b'q').has(b'q'));
        let text = ByteSet::of(b"-moz-binding: x");
        assert!(text.intersects(&ByteSet::of(b"?-")) && !text.intersects(&ByteSet::of(b"?")));
        assert!(ByteSet::of(b"\xff").intersects(&ByteSet::of(b"a\xff")));
        assert!(!ByteSet::of(b"").intersects(&text));
        assert!(text.may_contain("binding:") && text.may_contain(""));
        assert!(!text.may_contain("bindings") && !text.may_contain("-moz-binding;"));
        let moz = "-moz-binding: x";
        assert!(text.occurs(moz, "binding:") && text.occurs(moz, "-moz-b"));
        assert!(!text.occurs(moz, "bindingz") && !text.occurs(moz, "nib"));
        assert!(text.occurs(moz, "") && text.occurs(moz, moz) && text.occurs(moz, "x"));
        let long = format!("{}-moz-binding", "a".repeat(300));
        let set = ByteSet::of(long.as_bytes());
        assert!(set.occurs(&long, "-moz-binding") && set.occurs(&long, "aa-m"));
        assert!(!set.occurs(&long, "-moz-bindinga") && !set.occurs(&long, "a-a"));
        let plain = ByteSet::of(b"Plain text, 42.");
        assert!(!plain.has_control() && !plain.has_non_ascii());
        assert!(ByteSet::of(b"\x1f").has_control() && !ByteSet::of(b" ").has_control());
        assert!(ByteSet::of("é".as_bytes()).has_non_ascii());
        assert!(ByteSet::of(b"\xc0").has_non_ascii() && !ByteSet::of(b"\x7f").has_non_ascii());
    }
}
