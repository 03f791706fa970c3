//! Many keywords found in one linear pass (Aho-Corasick), instead of one
//! substring search per keyword: the name lists of the detectors run on
//! every value, so their cost must not grow with the list.

use crate::detect::precheck::ByteSet;
use aho_corasick::{AhoCorasick, AhoCorasickKind};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A compiled keyword list.
#[derive(Debug)]
pub(crate) struct Keywords {
    patterns: &'static [&'static str],
    /// The least common byte of each pattern: a haystack without any of
    /// them holds no pattern, which a few word operations tell before the
    /// automaton starts (one test for the whole list, whatever its length).
    rare: ByteSet,
    /// For haystacks longer than [`SHORT`]: the automaton's prefilter skips
    /// ahead to the bytes that start a pattern.
    automaton: Option<AhoCorasick>,
    /// For the others (most values): a DFA without a prefilter, which on a
    /// short text costs less than restarting at every candidate byte.
    short: Option<AhoCorasick>,
}

/// The longest haystack searched with the DFA without a prefilter.
const SHORT: usize = 256;

impl Keywords {
    /// Compiles `patterns` (falling back to plain searches should the
    /// automaton be refused, which a short constant list never is).
    pub(crate) fn new(patterns: &'static [&'static str]) -> Self {
        Self {
            patterns,
            rare: patterns
                .iter()
                .filter_map(|p| p.bytes().max_by_key(|&b| commonness(b)))
                .fold(ByteSet::default(), ByteSet::with),
            automaton: AhoCorasick::new(patterns).ok(),
            short: AhoCorasick::builder()
                .kind(Some(AhoCorasickKind::DFA))
                .prefilter(false)
                .build(patterns)
                .ok(),
        }
    }

    /// The automaton for `haystack` (either, should the other be refused).
    fn automaton(&self, haystack: &str) -> Option<&AhoCorasick> {
        let (first, second) = if haystack.len() <= SHORT {
            (&self.short, &self.automaton)
        } else {
            (&self.automaton, &self.short)
        };
        first.as_ref().or(second.as_ref())
    }

    /// Whether `haystack` holds the rarest byte of some pattern.
    fn may_occur(&self, haystack: &str) -> bool {
        ByteSet::of(haystack.as_bytes()).intersects(&self.rare)
    }

    /// Every occurrence, overlapping ones included, as `(pattern, start)`,
    /// leftmost first.
    pub(crate) fn all<'h>(
        &'h self,
        haystack: &'h str,
    ) -> Box<dyn Iterator<Item = (&'static str, usize)> + 'h> {
        if !self.may_occur(haystack) {
            return Box::new(std::iter::empty());
        }
        match self.automaton(haystack) {
            // The plain search is the faster one (and on a long haystack
            // skips ahead with the prefilter, which the overlapping search
            // cannot): it finds nothing exactly when there is nothing to find.
            Some(ac) if !ac.is_match(haystack) => Box::new(std::iter::empty()),
            Some(ac) => Box::new(
                ac.find_overlapping_iter(haystack)
                    .map(|m| (self.patterns[m.pattern().as_usize()], m.start())),
            ),
            None => Box::new(
                self.patterns
                    .iter()
                    .filter_map(move |p| haystack.find(p).map(|i| (*p, i))),
            ),
        }
    }

    /// The first occurrence of any keyword: the first that [`Self::all`]
    /// yields, found by the automaton's faster non-overlapping search (with
    /// standard match semantics it reports the same match: the one that
    /// ends first).
    pub(crate) fn first(&self, haystack: &str) -> Option<(&'static str, usize)> {
        if !self.may_occur(haystack) {
            return None;
        }
        match self.automaton(haystack) {
            Some(ac) => ac
                .find(haystack)
                .map(|m| (self.patterns[m.pattern().as_usize()], m.start())),
            None => self.all(haystack).next(),
        }
    }
}

/// How common a byte is in ordinary text (lower is more common): white
/// space and punctuation of prose first, then letters by their frequency
/// in English; every other byte (digits, operators, markup) is rarer.
pub(crate) fn commonness(b: u8) -> usize {
    const BY_FREQUENCY: &[u8] = b" .,-'\"!@_etaoinshrdlcumwfgypbvkjxqz";
    BY_FREQUENCY
        .iter()
        .position(|&c| c == b.to_ascii_lowercase())
        .unwrap_or(BY_FREQUENCY.len())
}

/// A fixed table of short words (command names, SQL keywords), each with a
/// value: one hash lookup instead of a comparison with each, after a filter
/// on the first byte and the length that most words of a value fail.
#[derive(Debug)]
pub(crate) struct WordMap<V> {
    words: HashMap<&'static [u8], V, BuildHasherDefault<Fnv>>,
    lengths: [u32; 256],
    /// A bit per (first byte, last byte, length) of the words, hashed:
    /// English words that share a table word's first byte and length
    /// rarely share its last byte too.
    shapes: [u64; SHAPE_WORDS],
}

const SHAPE_BITS: usize = 1 << 12;
const SHAPE_WORDS: usize = SHAPE_BITS / 64;

/// The filter bit of a word's shape (the word is not empty).
fn shape(word: &[u8]) -> usize {
    let (first, last) = (word[0], word[word.len() - 1]);
    ((usize::from(first) << 7 ^ usize::from(last)).wrapping_mul(31) ^ word.len()) % SHAPE_BITS
}

/// A [`WordMap`] without values.
pub(crate) type WordSet = WordMap<()>;

impl<V: Copy> WordMap<V> {
    /// The longest word a table holds is shorter than this.
    pub(crate) const MAX_LEN: usize = 32;

    /// The table of `entries`, each word non-empty and shorter than
    /// [`Self::MAX_LEN`].
    pub(crate) fn new(entries: impl IntoIterator<Item = (&'static str, V)>) -> Self {
        let words: HashMap<_, _, _> = entries
            .into_iter()
            .map(|(w, v): (&'static str, V)| (w.as_bytes(), v))
            .collect();
        let mut lengths = [0u32; 256];
        let mut shapes = [0u64; SHAPE_WORDS];
        for word in words.keys() {
            assert!(!word.is_empty() && word.len() < Self::MAX_LEN, "{word:?}");
            lengths[usize::from(word[0])] |= 1 << word.len();
            let bit = shape(word);
            shapes[bit / 64] |= 1 << (bit % 64);
        }
        Self {
            words,
            lengths,
            shapes,
        }
    }

    /// Whether the filter lets `word` through to the hash lookup.
    pub(crate) fn may_hold(&self, word: &[u8]) -> bool {
        word.first().is_some_and(|&first| {
            word.len() < Self::MAX_LEN
                && self.lengths[usize::from(first)] & (1 << word.len()) != 0
                && {
                    let bit = shape(word);
                    self.shapes[bit / 64] & (1 << (bit % 64)) != 0
                }
        })
    }

    /// The value of `word`, if the table has it.
    pub(crate) fn get(&self, word: &[u8]) -> Option<V> {
        if self.may_hold(word) {
            self.words.get(word).copied()
        } else {
            None
        }
    }
}

impl WordSet {
    /// The set of `words`.
    pub(crate) fn of(words: &[&'static str]) -> Self {
        Self::new(words.iter().map(|&w| (w, ())))
    }

    /// Whether `word` is in the set.
    pub(crate) fn contains(&self, word: &str) -> bool {
        self.contains_bytes(word.as_bytes())
    }

    /// Whether `word` (bytes) is in the set.
    pub(crate) fn contains_bytes(&self, word: &[u8]) -> bool {
        self.get(word).is_some()
    }
}

/// FNV-1a: the sets are looked up for every word of every value, and words
/// are short. The sets are fixed, so no input can add to a bucket: keyed
/// hashing, which defends maps that inputs fill, buys nothing here.
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_sets_hold_their_words_and_nothing_else() {
        let set = WordSet::of(&["id", "cat", "whoami", "x"]);
        for w in ["id", "cat", "whoami", "x"] {
            assert!(set.contains(w), "{w}");
        }
        for w in [
            "",
            "i",
            "ids",
            "ca",
            "cut",
            "whoamI",
            "y",
            "xx",
            &"c".repeat(40),
        ] {
            assert!(!set.contains(w), "{w}");
        }
        // Same first byte and length as a word, yet not it: the hash decides.
        assert!(set.may_hold(b"cut") && !set.contains("cut"));
        assert!(!set.may_hold(b"dog") && !set.may_hold(b""));
    }

    #[test]
    fn keywords_find_every_occurrence() {
        let k = Keywords::new(&["etc/passwd", "win.ini", "passwd"]);
        let hay = "../../etc/passwd and win.ini";
        let all: Vec<_> = k.all(hay).collect();
        assert_eq!(all, [("etc/passwd", 6), ("passwd", 10), ("win.ini", 21)]);
        assert_eq!(k.first(hay), Some(("etc/passwd", 6)));
        assert_eq!(k.first("a passwd"), Some(("passwd", 2)));
        assert!(k.all("nothing here").next().is_none());
        assert_eq!(k.first("nothing here"), None);
        // Every byte of a pattern present, the pattern absent.
        assert_eq!(k.first("dwssap win ini .."), None);
    }

    #[test]
    fn short_and_long_haystacks_find_the_same_keywords() {
        let k = Keywords::new(&["etc/passwd", "win.ini", "passwd", "::"]);
        for (hay, found) in [
            ("see /etc/passwd", Some(("etc/passwd", 5))),
            ("boot: c:\\win.ini", Some(("win.ini", 9))),
            ("a::b", Some(("::", 1))),
            ("nothing to see", None),
        ] {
            // The same text at the end of a value too long for the DFA
            // without a prefilter, which the other automaton searches.
            let pad = "x".repeat(SHORT + 1 - hay.len());
            let long = format!("{pad}{hay}");
            assert!(hay.len() <= SHORT && long.len() > SHORT);
            assert_eq!(k.first(hay), found, "{hay}");
            assert_eq!(
                k.first(&long),
                found.map(|(p, at)| (p, at + pad.len())),
                "{hay}"
            );
            let short_all: Vec<_> = k.all(hay).collect();
            let long_all: Vec<_> = k.all(&long).map(|(p, at)| (p, at - pad.len())).collect();
            assert_eq!(short_all, long_all, "{hay}");
            assert_eq!(short_all.first().copied(), found, "{hay}");
        }
    }

    #[test]
    fn short_haystacks_take_the_automaton_without_a_prefilter() {
        let k = Keywords::new(&["passwd"]);
        let short = k.short.as_ref().unwrap();
        let long = k.automaton.as_ref().unwrap();
        let at = |n: usize| k.automaton(&"x".repeat(n)).unwrap();
        assert!(std::ptr::eq(at(0), short) && std::ptr::eq(at(SHORT), short));
        assert!(std::ptr::eq(at(SHORT + 1), long));
    }

    #[test]
    fn the_rare_byte_filter_lets_every_pattern_through() {
        for list in [
            crate::detect::cmdi::COMMAND_NAME_LIST,
            crate::detect::cmdi::EXEC_FUNCTIONS,
            crate::detect::traversal::SENSITIVE,
            crate::detect::traversal::UNIQUE_FILES,
            crate::detect::traversal::WRAPPERS,
            crate::detect::xss::script::SINK_PROPERTIES,
        ] {
            let k = Keywords::new(list);
            for p in list {
                assert!(k.may_occur(p), "{p}");
                assert_eq!(k.first(p).map(|(_, at)| at), Some(0), "{p}");
            }
            // A text made of the common bytes only is passed over.
            assert!(!k.may_occur("   "), "{:?}", &list[..3]);
        }
        assert_eq!(commonness(b'E'), commonness(b'e'));
        assert!(commonness(b' ') < commonness(b'e') && commonness(b'z') < commonness(b'/'));
    }
}
