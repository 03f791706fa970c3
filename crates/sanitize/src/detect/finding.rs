//! What a detector reports: the category, a fingerprint and where.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;

/// The class of attack a detector looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Category {
    /// SQL injection: input that breaks out of a literal or extends a query.
    SqlInjection,
    /// Cross-site scripting: markup, attributes or URLs that run script.
    Xss,
    /// Path traversal: `../` in any encoding, or a NUL cutting a path short.
    PathTraversal,
    /// OS command injection: a shell separator followed by a command.
    CommandInjection,
    /// CR or LF that would split a header or forge a log line.
    HeaderInjection,
    /// MongoDB-style operators (`$where`, `$ne`) smuggled in as JSON keys.
    NoSqlInjection,
}

impl Category {
    /// Every category, in a stable order.
    pub const ALL: [Category; 6] = [
        Category::SqlInjection,
        Category::Xss,
        Category::PathTraversal,
        Category::CommandInjection,
        Category::HeaderInjection,
        Category::NoSqlInjection,
    ];

    /// A stable snake_case name (`sql_injection`, `xss`...), used in problem
    /// responses, events and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::SqlInjection => "sql_injection",
            Category::Xss => "xss",
            Category::PathTraversal => "path_traversal",
            Category::CommandInjection => "command_injection",
            Category::HeaderInjection => "header_injection",
            Category::NoSqlInjection => "nosql_injection",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much a detector flags.
///
/// Like the paranoia levels of the OWASP Core Rule Set: [`Strictness::Default`]
/// keeps false positives on ordinary prose, names and addresses negligible;
/// [`Strictness::Strict`] also flags shapes that are rare but possible in
/// prose, for fields that should never hold free text (ids, sort keys,
/// filters, file names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strictness {
    /// Flags what is almost never innocent (the default).
    #[default]
    Default,
    /// Also flags what is suspicious in a field that holds no prose.
    Strict,
}

impl Strictness {
    pub(crate) fn strict(self) -> bool {
        self == Strictness::Strict
    }
}

/// One detection.
///
/// The fingerprint names the shape that matched (for SQL injection, the
/// folded token classes, such as `s&1o1`; for the others, a short rule name
/// such as `event-handler`), so operators can tell detections apart and
/// tune policies without the payload itself being logged.
///
/// `span` is the byte range of the matching part within the text the
/// detector examined: the input itself, or its decoded form when the match
/// only appeared after decoding ([`Finding::decoded`]). The span is for
/// highlighting in tools; never echo the input back to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    category: Category,
    fingerprint: String,
    span: Range<usize>,
    decoded: bool,
}

impl Finding {
    pub(crate) fn new(
        category: Category,
        fingerprint: impl Into<String>,
        span: Range<usize>,
    ) -> Self {
        Self {
            category,
            fingerprint: fingerprint.into(),
            span,
            decoded: false,
        }
    }

    pub(crate) fn in_decoded(mut self, decoded: bool) -> Self {
        self.decoded = decoded;
        self
    }

    /// The class of attack.
    pub fn category(&self) -> Category {
        self.category
    }

    /// The shape that matched (never the payload).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Where it matched, in bytes of the examined text (see the type's docs).
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// Whether the match was found in the decoded form of the input (after
    /// URL or entity decoding, NFKC or case folding) rather than the input
    /// as given.
    pub fn decoded(&self) -> bool {
        self.decoded
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.category, self.fingerprint)
    }
}
