//! Several detectors over one normalisation.

use crate::detect::plain;
use crate::detect::{
    Category, CommandInjectionDetector, Detector, Finding, HeaderInjectionDetector,
    NoSqlInjectionDetector, Normalized, PathTraversalDetector, SqlInjectionDetector, Strictness,
    XssDetector,
};

/// A set of detectors run over one value, decoding it once.
///
/// ```
/// use rampart_sanitize::{Category, Detectors, Strictness};
///
/// let all = Detectors::new(Strictness::Default);
/// assert_eq!(all.scan("<script>alert(1)</script>").map(|f| f.category()), Some(Category::Xss));
/// assert!(all.scan("O'Brien & Sons, 1 Main St.").is_none());
///
/// let ids = Detectors::only(Strictness::Strict, &[Category::SqlInjection]);
/// assert!(ids.scan("1 or 1=1").is_some());
/// ```
#[derive(Debug, Clone)]
pub struct Detectors {
    sqli: Option<SqlInjectionDetector>,
    xss: Option<XssDetector>,
    traversal: Option<PathTraversalDetector>,
    cmdi: Option<CommandInjectionDetector>,
    crlf: Option<HeaderInjectionDetector>,
    nosql: Option<NoSqlInjectionDetector>,
}

impl Detectors {
    /// Every detector at `strictness`.
    pub fn new(strictness: Strictness) -> Self {
        Self::only(strictness, &Category::ALL)
    }

    /// The detectors of `categories` at `strictness`.
    pub fn only(strictness: Strictness, categories: &[Category]) -> Self {
        let on = |c: Category| categories.contains(&c);
        Self {
            sqli: on(Category::SqlInjection).then(|| SqlInjectionDetector::new(strictness)),
            xss: on(Category::Xss).then(|| XssDetector::new(strictness)),
            traversal: on(Category::PathTraversal).then(|| PathTraversalDetector::new(strictness)),
            cmdi: on(Category::CommandInjection).then(|| CommandInjectionDetector::new(strictness)),
            crlf: on(Category::HeaderInjection).then(|| HeaderInjectionDetector::new(strictness)),
            nosql: on(Category::NoSqlInjection).then(|| NoSqlInjectionDetector::new(strictness)),
        }
    }

    /// The categories this set looks for.
    pub fn categories(&self) -> Vec<Category> {
        self.detectors().map(|d| d.category()).collect()
    }

    fn detectors(&self) -> impl Iterator<Item = &dyn Detector> {
        [
            self.sqli.as_ref().map(|d| d as &dyn Detector),
            self.xss.as_ref().map(|d| d as &dyn Detector),
            self.traversal.as_ref().map(|d| d as &dyn Detector),
            self.cmdi.as_ref().map(|d| d as &dyn Detector),
            self.crlf.as_ref().map(|d| d as &dyn Detector),
            self.nosql.as_ref().map(|d| d as &dyn Detector),
        ]
        .into_iter()
        .flatten()
    }

    /// The first finding of any detector in the set. Plain values (see
    /// the module `plain`: letters, digits, spaces, `. , - _ @ '` and no
    /// word or needle a rule reads) are answered without running the
    /// detectors.
    pub fn scan(&self, input: &str) -> Option<Finding> {
        if is_number(input.as_bytes()) || plain::is_plain(input) {
            return None;
        }
        self.scan_normalized(&Normalized::new(input))
    }

    /// The first finding in raw bytes (invalid UTF-8 read as U+FFFD).
    pub fn scan_bytes(&self, input: &[u8]) -> Option<Finding> {
        if is_number(input) || std::str::from_utf8(input).is_ok_and(plain::is_plain) {
            return None;
        }
        self.scan_normalized(&Normalized::from_bytes(input))
    }

    /// The first finding in an already normalised input.
    pub fn scan_normalized(&self, input: &Normalized<'_>) -> Option<Finding> {
        self.detectors().find_map(|d| d.scan_normalized(input))
    }
}

/// Digits only, as ids, page numbers and amounts are: no detector has a
/// rule such a value can meet (encodings such as `0x2e` need letters, every
/// attack a quote, operator, separator, markup or word), so it skips
/// normalisation and the detectors. `tests/corpus.rs` checks that the full
/// scan finds nothing in such values either, and that words of letters do
/// need it (command names, event handlers).
fn is_number(input: &[u8]) -> bool {
    !input.is_empty() && input.len() <= 64 && input.iter().all(u8::is_ascii_digit)
}
