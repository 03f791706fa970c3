//! Plain text: values no detector can flag, told in one short pass.
//!
//! Most values a service receives are names, ids, e-mail addresses,
//! product names and addresses: letters, digits, spaces and a few marks
//! (`. , - _ @ ' " !`). Every rule of every detector needs something else — a
//! byte from outside that set (markup, an operator, a separator, a slash,
//! an escape, a control or non-ASCII character) or one of a few words.
//! Running six detectors to find that out costs thousands of instructions
//! per value; this check costs a few per byte.
//!
//! Without those bytes, what each detector can still match is:
//! - SQL injection: what its pre-check keeps, which among plain bytes is a
//!   SQL word ([`SqlInjectionDetector::has_sql_word`]), `--`, or a quote
//!   after `-` (the one arithmetic byte that is plain);
//!   `!` is SQL's negation, which no rule reads alone;
//! - XSS: a bare event-handler name, a script property spelt with letters
//!   and dots (`document.cookie`), `-moz-binding`, `@import '...'`;
//! - path traversal: `..`, `0x` escapes, the sensitive file names;
//! - command injection: a value opening with a command name, the names
//!   found anywhere (`whoami`, `cmd.exe`) and `subprocess.`;
//! - header and NoSQL injection: nothing (they need line breaks and `$`).
//!
//! Percent and entity decoding need `%` and `&`, NFKC needs non-ASCII,
//! the XSS compaction needs a backslash or a control character: none is
//! plain, so the value is its only form and its lower-cased bytes are what
//! the detectors would read. The needles of the keyword lists are taken
//! from the detectors' own lists, keeping those made of plain bytes only
//! (a needle with another byte cannot occur in plain text).
//!
//! The tests check that a plain value is one the full scan finds nothing
//! in, at both strictness levels, on every corpus line and on generated
//! values built from the needles and their parts.

use crate::detect::keywords::commonness;
use crate::detect::{
    CommandInjectionDetector, PathTraversalDetector, SqlInjectionDetector, XssDetector,
};
use aho_corasick::{AhoCorasick, AhoCorasickKind};
use std::sync::LazyLock;

/// Longer values take the full scan: the lower-cased copy lives on the stack.
const MAX_LEN: usize = 128;

/// Each byte's code when it is plain (ASCII letters and digits, space and
/// `. , - _ @ ' " !`): 1 to 45, the same for both cases of a letter; 0 when it
/// is not plain.
const ENTRY: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut code = 1u8;
    let mut b = 0u8;
    while b < 128 {
        if b.is_ascii_digit()
            || b.is_ascii_lowercase()
            || matches!(
                b,
                b' ' | b'.' | b',' | b'-' | b'_' | b'@' | b'\'' | b'"' | b'!'
            )
        {
            t[b as usize] = code;
            code += 1;
        }
        b += 1;
    }
    // Upper-case letters share the code of their lower-case form.
    let mut b = b'A';
    while b <= b'Z' {
        t[b as usize] = t[b.to_ascii_lowercase() as usize];
        b += 1;
    }
    t
};

/// Each byte's code (low byte) and lower-cased form (high byte): what the
/// pass needs of a byte, in one load.
const PASS: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut b = 0usize;
    while b < 256 {
        t[b] = (ENTRY[b] as u16) | ((b as u8).to_ascii_lowercase() as u16) << 8;
        b += 1;
    }
    t
};

fn is_plain_byte(b: u8) -> bool {
    ENTRY[usize::from(b)] != 0
}

/// The plain needles of the detectors' keyword lists.
fn plain_needles() -> Vec<&'static str> {
    XssDetector::plain_text_needles()
        .chain(PathTraversalDetector::plain_text_needles())
        .chain(CommandInjectionDetector::plain_text_needles())
        .filter(|n| {
            n.bytes()
                .all(|b| is_plain_byte(b) && !b.is_ascii_uppercase())
        })
        .collect()
}

/// The needles in one automaton, behind a filter: each needle is
/// represented by its run of three bytes (two for a two-byte needle) with
/// the least common bytes, and a value that holds none of those runs holds
/// no needle. Most values hold none, and the filter reads a value in the
/// same pass that checks its bytes.
struct Needles {
    runs: Box<[u64; FILTER_WORDS]>,
    automaton: AhoCorasick,
}

/// Codes are below this.
const CODES: usize = 46;

/// Bits of the filter: one per run of three codes.
const FILTER_BITS: usize = CODES * CODES * CODES;
/// Rounded up to a power of two, so that a masked index needs no bounds
/// check in the pass.
const FILTER_WORDS: usize = FILTER_BITS.div_ceil(64).next_power_of_two();

/// The filter bit after `h` (the bit of the run ending at the byte before)
/// and the code `c`: the run of the last three codes.
fn roll(h: usize, c: usize) -> usize {
    (h % (CODES * CODES)) * CODES + c
}

fn code(b: u8) -> usize {
    usize::from(ENTRY[usize::from(b)])
}

impl Needles {
    fn new() -> Option<Self> {
        let needles = plain_needles();
        let mut runs = Box::new([0u64; FILTER_WORDS]);
        for n in &needles {
            let mut set = |bit: usize| runs[bit / 64] |= 1 << (bit % 64);
            match n.as_bytes() {
                // Whatever byte (or the start of the value) comes before.
                [b, c] => {
                    for before in 0..CODES {
                        set(roll(roll(before, code(*b)), code(*c)));
                    }
                }
                b => {
                    let w = b
                        .windows(3)
                        .max_by_key(|w| w.iter().map(|&c| commonness(c)).sum::<usize>())?;
                    set(roll(roll(code(w[0]), code(w[1])), code(w[2])));
                }
            }
        }
        // A DFA without a prefilter: it runs only on the few values the
        // filter lets through, and those are short.
        let automaton = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::DFA))
            .prefilter(false)
            .build(needles)
            .ok()?;
        Some(Self { runs, automaton })
    }

    #[cfg(test)]
    fn has(&self, bit: usize) -> bool {
        self.runs[bit / 64] & (1 << (bit % 64)) != 0
    }

    /// Whether the filter lets `text` through to the automaton (what the
    /// pass in [`is_plain`] computes along the way).
    #[cfg(test)]
    fn lets_through(&self, text: &str) -> bool {
        let mut filter = 0;
        text.bytes().any(|b| {
            filter = roll(filter, code(b));
            self.has(filter)
        })
    }
}

static NEEDLES: LazyLock<Option<Needles>> = LazyLock::new(Needles::new);

/// SQL arithmetic among plain bytes is `-` alone: it counts when a quote
/// follows it or when it makes a comment (`--`).
fn has_arithmetic(text: &[u8]) -> bool {
    text.iter().position(|&b| b == b'-').is_some_and(|dash| {
        let from = &text[dash..];
        from.iter().any(|&b| matches!(b, b'\'' | b'"')) || from.windows(2).any(|w| w == b"--")
    })
}

/// Whether `input` is plain text that no detector, at any strictness, can
/// flag. `false` says only that the full scan must decide.
pub(crate) fn is_plain(input: &str) -> bool {
    if input.is_empty() || input.len() > MAX_LEN {
        return false;
    }
    // Should the automaton ever be refused, nothing is plain.
    let Some(needles) = NEEDLES.as_ref() else {
        return false;
    };
    let mut buf = [0u8; MAX_LEN];
    // The filter's run of three codes, kept as the previous code and the
    // run of two ending at it (no division in the loop).
    let (mut pair, mut prev, mut candidate) = (0usize, 0usize, 0u64);
    for (slot, &b) in buf.iter_mut().zip(input.as_bytes()) {
        let entry = PASS[usize::from(b)];
        let code = usize::from(entry as u8);
        if code == 0 {
            return false;
        }
        *slot = (entry >> 8) as u8;
        let run = pair * CODES + code;
        candidate |= needles.runs[(run / 64) & (FILTER_WORDS - 1)] >> (run % 64);
        pair = prev * CODES + code;
        prev = code;
    }
    let text = &buf[..input.len()];
    let readable = has_arithmetic(text)
        || SqlInjectionDetector::has_sql_word(text)
        || (candidate & 1 != 0 && needles.automaton.is_match(text))
        || XssDetector::may_be_bare_handler(text)
        || CommandInjectionDetector::may_lead_with_command(text);
    !readable
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{Detectors, Normalized, Strictness};
    use proptest::prelude::*;

    /// The full scan, without the shortcut, at both levels.
    fn flagged(s: &str) -> bool {
        [Strictness::Default, Strictness::Strict]
            .into_iter()
            .any(|level| {
                Detectors::new(level)
                    .scan_normalized(&Normalized::new(s))
                    .is_some()
            })
    }

    fn plain_is_clean(s: &str) {
        if is_plain(s) {
            assert!(!flagged(s), "plain but flagged: {s:?}");
        }
    }

    #[test]
    fn ordinary_values_are_plain() {
        for s in [
            "SKU-0007",
            "O'Brien's hand-made mug, 350 ml",
            "Miles O'Brien",
            "miles.obrien@example.com",
            "1 Main St., Apt. 4 - Springfield",
            "2024-01-05",
            "Hello world!",
            "He said \"hi\", then left",
        ] {
            assert!(is_plain(s), "{s}");
            assert!(!flagged(s), "{s}");
        }
    }

    #[test]
    fn what_a_rule_reads_is_not_plain() {
        // What the rules read: the needles, the SQL words, the arithmetic
        // and the leading command must each keep a value off the shortcut.
        for s in [
            "1 union select password from users",
            "admin' or 'a'='a",
            "x' --",
            "1' - '",
            "onmouseover",
            "fscommand",
            "document.cookie",
            "x.innerhtml",
            "globalthis",
            "-moz-binding",
            "@import 'x.css'",
            "..",
            "a..",
            "....etcpasswd",
            "0x2e0x2e",
            "web.config",
            ".htaccess",
            "wp-config.php",
            "web-inf",
            "id_rsa",
            "inetpub",
            "whoami",
            "uname -a",
            "cmd.exe",
            "subprocess.call",
            "ls -la",
            "id",
            "sleep 5",
            "ping 10",
            "net user",
            "which nc",
            "'ls -la'",
            "\"ls\"",
            "x\" - \"",
            "..\"",
            "@import \"x.css\"",
        ] {
            assert!(!is_plain(s), "{s}");
        }
        // And the scan does flag most of them: the list is not made of
        // innocent text that the shortcut merely fails to prove clean.
        let hits = [
            "1 union select password from users",
            "onmouseover",
            "document.cookie",
            "web.config",
            "whoami",
            "ls -la",
            "..",
        ];
        for s in hits {
            assert!(flagged(s), "{s}");
        }
    }

    #[test]
    fn the_filter_lets_every_needle_through_and_few_ordinary_values() {
        let needles = NEEDLES.as_ref().expect("the automaton builds");
        for n in plain_needles() {
            for s in [
                n.to_owned(),
                format!("a {n}"),
                format!("{n}x"),
                format!(".{n} b"),
            ] {
                assert!(needles.lets_through(&s), "{s}");
            }
        }
        // What the filter is for: ordinary values do not reach the automaton.
        for s in [
            "sku-0007",
            "o'brien's hand-made mug, 350 ml",
            "miles.obrien@example.com",
            "1 main st., apt. 4 - springfield",
            "hello world",
            "please call me back tomorrow",
            "john.smith@example.org",
            "the quick brown fox jumps over the lazy dog",
            "2024-01-05",
        ] {
            assert!(!needles.lets_through(s), "{s}");
        }
        // Nor do most plain lines of the corpora.
        let payloads = crate::detect::corpus_lines::payloads();
        let plain: Vec<_> = payloads.iter().filter(|p| is_plain(p)).collect();
        let through = plain
            .iter()
            .filter(|p| needles.lets_through(&p.to_ascii_lowercase()))
            .count();
        assert!(through * 10 < plain.len(), "{through} of {}", plain.len());
        // A value the filter lets through but that holds no needle is plain:
        // the filter only decides whether the automaton runs.
        assert!(
            through > 0,
            "no plain line passes the filter: the check above proves little"
        );
    }

    #[test]
    fn needles_are_the_plain_entries_of_the_lists() {
        let needles = plain_needles();
        for n in [
            "document.cookie",
            "globalthis",
            "web.config",
            "..",
            "0x",
            "uname -",
            "cmd.exe",
        ] {
            assert!(needles.contains(&n), "{n}");
        }
        for n in ["etc/passwd", "php://filter", "top[", "system(", "/bin/sh"] {
            assert!(!needles.contains(&n), "{n}");
        }
    }

    #[test]
    fn a_needle_is_filtered_by_its_rarest_run() {
        // Marks are common, letters by their frequency in English.
        assert!(commonness(b' ') < commonness(b'e'));
        assert!(commonness(b'.') < commonness(b'e'));
        assert!(commonness(b'e') < commonness(b'z'));
        assert!(commonness(b'z') < commonness(b'0'));
    }

    #[test]
    fn other_bytes_long_values_and_non_ascii_take_the_full_scan() {
        for s in [
            "a;b", "a/b", "a\\b", "a%2e", "a&amp;", "a<b", "a=b", "a:b", "a(b", "a$b", "a|b",
            "a`b", "a\nb", "a\0b", "café", "a+b", "a?b", "a#b", "a\tb", "",
        ] {
            assert!(!is_plain(s), "{s:?}");
        }
        assert!(is_plain(&"a".repeat(MAX_LEN)));
        assert!(!is_plain(&"a".repeat(MAX_LEN + 1)));
        assert!(!is_plain("abc\u{ff}"));
    }

    #[test]
    fn plain_values_of_the_corpora_are_clean() {
        let payloads = crate::detect::corpus_lines::payloads();
        let mut plain = 0;
        for p in &payloads {
            if is_plain(p) {
                plain += 1;
                plain_is_clean(p);
            }
        }
        // The check did run on a good share of the lines.
        assert!(
            plain * 20 > payloads.len(),
            "{plain} plain lines of {}",
            payloads.len()
        );
    }

    fn piece() -> impl Strategy<Value = String> {
        let mut words: Vec<&'static str> = XssDetector::plain_text_needles()
            .chain(PathTraversalDetector::plain_text_needles())
            .chain(CommandInjectionDetector::plain_text_needles())
            .collect();
        words.extend([
            " ",
            "'",
            ".",
            ",",
            "-",
            "--",
            "_",
            "@",
            "1",
            "0",
            "0x",
            "on",
            "or",
            "and",
            "union",
            "select",
            "from",
            "where",
            "like",
            "sleep",
            "benchmark",
            "waitfor",
            "delay",
            "ls",
            "id",
            "cat",
            "echo",
            "net",
            "user",
            "ping",
            "which",
            "nc",
            "type",
            "load",
            "error",
            "mouseover",
            "document",
            "window",
            "location",
            "import",
            "binding",
            "moz",
            "ini",
            "boot",
            "win",
            "config",
            "web",
            "inf",
            "htaccess",
            "null",
            "true",
            "not",
            "is",
            "in",
            "as",
            "by",
            "order",
            "group",
            "having",
            "limit",
            "exec",
            "char",
            "concat",
            "A",
            "O'Brien",
            "SELECT",
            "Union",
            "LS",
            "Whoami",
        ]);
        prop_oneof![
            proptest::sample::select(words).prop_map(str::to_owned),
            "[a-zA-Z0-9 .,_@'\"!-]{1,6}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn plain_values_are_never_flagged(pieces in proptest::collection::vec(piece(), 0..10)) {
            plain_is_clean(&pieces.concat());
        }

        #[test]
        fn plain_values_of_any_plain_bytes_are_never_flagged(s in "[a-zA-Z0-9 .,_@'\"!-]{0,40}") {
            plain_is_clean(&s);
        }
    }
}
