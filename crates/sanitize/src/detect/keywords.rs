//! Many keywords found in one linear pass (Aho-Corasick), instead of one
//! substring search per keyword: the name lists of the detectors run on
//! every value, so their cost must not grow with the list.

use crate::detect::precheck::ByteSet;
use aho_corasick::AhoCorasick;

/// A compiled keyword list.
#[derive(Debug)]
pub(crate) struct Keywords {
    patterns: &'static [&'static str],
    /// The bytes of each pattern: a haystack that lacks a byte of every
    /// pattern holds none of them, which a few word operations tell
    /// before the automaton starts (most values are short and hold none).
    needs: Vec<ByteSet>,
    automaton: Option<AhoCorasick>,
}

impl Keywords {
    /// Compiles `patterns` (falling back to plain searches should the
    /// automaton be refused, which a short constant list never is).
    pub(crate) fn new(patterns: &'static [&'static str]) -> Self {
        Self {
            patterns,
            needs: patterns.iter().map(|p| ByteSet::of(p.as_bytes())).collect(),
            automaton: AhoCorasick::new(patterns).ok(),
        }
    }

    /// Whether some pattern has all its bytes in `haystack`.
    fn may_occur(&self, haystack: &str) -> bool {
        let present = ByteSet::of(haystack.as_bytes());
        self.needs.iter().any(|need| present.holds(need))
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
        match &self.automaton {
            // The overlapping search cannot skip ahead with the automaton's
            // prefilter; the plain search can, and finds nothing exactly
            // when there is nothing to find.
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
        match &self.automaton {
            Some(ac) => ac
                .find(haystack)
                .map(|m| (self.patterns[m.pattern().as_usize()], m.start())),
            None => self.all(haystack).next(),
        }
    }
}
