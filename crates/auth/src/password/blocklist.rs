//! Passwords too common to accept, whatever their length or composition.
//!
//! NIST SP 800-63B (§3.1.1.2) asks verifiers to refuse passwords found in
//! breach corpora and lists of commonly used passwords. The list shipped here
//! is the 10,000 most frequent passwords of the Xato/Burnett ten-million
//! corpus, in zxcvbn's ordering (copied from `zxcvbn` 3.1.1,
//! `src/frequency_lists.rs`, MIT; provenance in `crates/auth/data/README.md`).
//! Matching is case-insensitive on the NFKC form, so `PASSWORD` and
//! `Ｐａｓｓｗｏｒｄ` are refused like `password`.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

/// The shipped list, one password per line.
const COMMON: &str = include_str!("../../data/common-passwords.txt");

/// A set of refused passwords, compared case-insensitively after NFKC.
/// Cheap to clone: the set is shared.
#[derive(Clone)]
pub struct Blocklist {
    entries: Arc<HashSet<String>>,
}

impl std::fmt::Debug for Blocklist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blocklist")
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl PartialEq for Blocklist {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.entries, &other.entries) || self.entries == other.entries
    }
}

impl Blocklist {
    /// The 10,000 most common passwords. Parsed once per process and shared.
    pub fn common() -> Self {
        static COMMON_SET: OnceLock<Arc<HashSet<String>>> = OnceLock::new();
        let entries = COMMON_SET
            .get_or_init(|| Arc::new(COMMON.lines().filter_map(Self::key).collect()))
            .clone();
        Self { entries }
    }

    /// An empty list: nothing is refused as common.
    pub fn empty() -> Self {
        Self {
            entries: Arc::new(HashSet::new()),
        }
    }

    /// This list plus `extra` (the service's name, its domain, words of the
    /// trade: NIST's "context-specific words").
    #[must_use]
    pub fn with<I, S>(&self, extra: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut entries = (*self.entries).clone();
        entries.extend(extra.into_iter().filter_map(|s| Self::key(s.as_ref())));
        Self {
            entries: Arc::new(entries),
        }
    }

    /// Whether `password` is on the list, ignoring case and Unicode
    /// compatibility forms.
    pub fn contains(&self, password: &str) -> bool {
        Self::key(password).is_some_and(|key| self.entries.contains(&key))
    }

    /// How many passwords the list holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn key(password: &str) -> Option<String> {
        let folded = super::normalize::fold(password);
        (!folded.is_empty()).then_some(folded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_has_ten_thousand_entries_matched_without_case() {
        let list = Blocklist::common();
        assert_eq!(list.len(), 10_000);
        assert!(list.contains("password"));
        assert!(list.contains("PassWord"));
        // Fullwidth forms fold to ASCII under NFKC.
        assert!(list.contains("\u{ff50}\u{ff41}\u{ff53}\u{ff53}\u{ff57}\u{ff4f}\u{ff52}\u{ff44}"));
        assert!(list.contains("qwertyuiop"));
        assert!(!list.contains("password but longer than any entry"));
        assert!(!list.contains(""));
    }

    #[test]
    fn extra_words_are_added_without_touching_the_shared_list() {
        let list = Blocklist::common().with(["Rampart-Demo", ""]);
        assert!(list.contains("rampart-demo"));
        assert_eq!(list.len(), 10_001);
        assert!(!Blocklist::common().contains("rampart-demo"));
        assert!(!Blocklist::empty().contains("password"));
    }
}
