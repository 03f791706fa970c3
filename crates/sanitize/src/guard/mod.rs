//! `InputGuard`: the detectors applied to the parts of an HTTP request.
//!
//! The plain type, [`InputGuard`], checks named values and whole requests
//! without any tower machinery; [`InputGuardLayer`] is the thin adapter
//! that buffers the body and answers refusals.

mod inspect;
mod json;
mod layer;
mod parse;
mod policy;
mod rejection;

pub use layer::{InputGuardLayer, InputGuardService, ResponseFuture};
pub use policy::{Cleaner, FieldPolicy, FieldPolicyConfig, Mode};
pub use rejection::GuardRejection;

use crate::error::ConfigError;
use crate::{Category, Detectors, Finding, Strictness};
use http::HeaderName;
use rampart_core::{SharedSink, TracingSink};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// Bodies up to this size are buffered and inspected by default (1 MiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Where in a request a value was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Location {
    /// A path segment.
    Path,
    /// A query parameter (name or value).
    Query,
    /// A chosen header.
    Header,
    /// A cookie.
    Cookie,
    /// A JSON or form body field.
    Body,
}

impl Location {
    /// `path`, `query`, `header`, `cookie` or `body`.
    pub fn as_str(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Header => "header",
            Location::Cookie => "cookie",
            Location::Body => "body",
        }
    }
}

/// One detection in a request: where, which parameter, and the finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where the value was.
    pub location: Location,
    /// Its name, safe to show (see [`GuardRejection::Attack`]).
    pub parameter: String,
    /// What the detector found.
    pub finding: Finding,
}

impl Violation {
    pub(crate) fn rejection(&self) -> GuardRejection {
        GuardRejection::Attack {
            location: self.location,
            parameter: Arc::from(self.parameter.as_str()),
            category: self.finding.category(),
            fingerprint: Arc::from(self.finding.fingerprint()),
        }
    }
}

/// A parameter name as it may be shown to the client and operators: plain
/// identifiers as they are, anything else (a name that is itself a
/// payload) as `(unnamed)`.
pub(crate) fn display_name(name: &str) -> String {
    let plain = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']'));
    if plain {
        name.to_owned()
    } else {
        "(unnamed)".to_owned()
    }
}

/// The detectors applied to requests, with per-field policies.
///
/// ```
/// use rampart_sanitize::{Category, FieldPolicy, InputGuard, Location, Mode, Strictness};
///
/// let guard = InputGuard::builder()
///     .field("sort", FieldPolicy::Strict)
///     .field("body_html", FieldPolicy::Exempt)
///     .build()?;
/// let v = guard.check(Location::Query, "q", "1' OR '1'='1").expect("refused");
/// assert_eq!(v.finding.category(), Category::SqlInjection);
/// assert!(guard.check(Location::Query, "q", "O'Brien").is_none());
/// assert!(guard.check(Location::Body, "body_html", "<script>x</script>").is_none());
/// assert_eq!(guard.mode(), Mode::Block);
/// # Ok::<(), rampart_sanitize::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct InputGuard {
    inner: Arc<Inner>,
}

struct Inner {
    mode: Mode,
    strictness: Strictness,
    default_set: Detectors,
    strict_set: Detectors,
    categories: Vec<Category>,
    /// Whether keys are checked for NoSQL operators, decided once: every
    /// key of every body asks.
    checks_nosql: bool,
    fields: HashMap<String, FieldPolicy>,
    headers: Vec<HeaderName>,
    inspect_path: bool,
    inspect_query: bool,
    inspect_cookies: bool,
    inspect_body: bool,
    max_body_bytes: usize,
    sink: SharedSink,
}

impl std::fmt::Debug for InputGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputGuard")
            .field("mode", &self.inner.mode)
            .field("strictness", &self.inner.strictness)
            .field("categories", &self.inner.categories)
            .field("fields", &self.inner.fields)
            .field("headers", &self.inner.headers)
            .field("max_body_bytes", &self.inner.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl Default for InputGuard {
    fn default() -> Self {
        Self::builder().build_infallible()
    }
}

impl InputGuard {
    /// A builder with the secure defaults.
    pub fn builder() -> InputGuardBuilder {
        InputGuardBuilder::default()
    }

    /// Block mode or detect-only.
    pub fn mode(&self) -> Mode {
        self.inner.mode
    }

    /// The body size buffered and inspected; larger bodies get `413`.
    pub fn max_body_bytes(&self) -> usize {
        self.inner.max_body_bytes
    }

    /// The policy of field `name`.
    pub fn policy(&self, name: &str) -> &FieldPolicy {
        static INHERIT: FieldPolicy = FieldPolicy::Inherit;
        self.inner.fields.get(name).unwrap_or(&INHERIT)
    }

    /// Checks one named value found at `location`, with the field's policy
    /// (a [`FieldPolicy::Clean`] field is checked like any other here; the
    /// layer is what replaces its value).
    pub fn check(&self, location: Location, name: &str, value: &str) -> Option<Violation> {
        let strictness = self.policy(name).strictness(self.inner.strictness)?;
        self.detectors(strictness)
            .scan(value)
            .map(|finding| Violation {
                location,
                parameter: display_name(name),
                finding,
            })
    }

    fn detectors(&self, strictness: Strictness) -> &Detectors {
        match strictness {
            Strictness::Strict => &self.inner.strict_set,
            Strictness::Default => &self.inner.default_set,
        }
    }

    fn checks_nosql(&self) -> bool {
        self.inner.checks_nosql
    }
}

/// Builds an [`InputGuard`]. Every setter's docs say its default.
#[derive(Clone)]
#[must_use]
pub struct InputGuardBuilder {
    mode: Mode,
    strictness: Strictness,
    categories: Vec<Category>,
    fields: HashMap<String, FieldPolicy>,
    headers: Vec<String>,
    inspect_path: bool,
    inspect_query: bool,
    inspect_cookies: bool,
    inspect_body: bool,
    max_body_bytes: usize,
    sink: Option<SharedSink>,
}

impl std::fmt::Debug for InputGuardBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputGuardBuilder")
            .field("mode", &self.mode)
            .field("strictness", &self.strictness)
            .field("categories", &self.categories)
            .field("fields", &self.fields)
            .field("headers", &self.headers)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl Default for InputGuardBuilder {
    fn default() -> Self {
        Self {
            mode: Mode::Block,
            strictness: Strictness::Default,
            categories: Category::ALL.to_vec(),
            fields: HashMap::new(),
            headers: Vec::new(),
            inspect_path: true,
            inspect_query: true,
            inspect_cookies: true,
            inspect_body: true,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            sink: None,
        }
    }
}

impl InputGuardBuilder {
    /// Block or detect-only (default: [`Mode::Block`]).
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// The level for fields without a policy (default: [`Strictness::Default`]).
    pub fn strictness(mut self, strictness: Strictness) -> Self {
        self.strictness = strictness;
        self
    }

    /// The categories looked for (default: all).
    pub fn categories(mut self, categories: impl IntoIterator<Item = Category>) -> Self {
        self.categories = categories.into_iter().collect();
        self
    }

    /// The policy of the field called `name` wherever it appears (query,
    /// form or JSON key, cookie or header name; default: inherit).
    pub fn field(mut self, name: impl Into<String>, policy: FieldPolicy) -> Self {
        self.fields.insert(name.into(), policy);
        self
    }

    /// Also inspects the header `name` (default: no headers; cookies are
    /// inspected through [`InputGuardBuilder::inspect_cookies`]).
    pub fn header(mut self, name: impl Into<String>) -> Self {
        self.headers.push(name.into());
        self
    }

    /// Whether path segments are inspected (default: yes).
    pub fn inspect_path(mut self, on: bool) -> Self {
        self.inspect_path = on;
        self
    }

    /// Whether query parameters are inspected (default: yes).
    pub fn inspect_query(mut self, on: bool) -> Self {
        self.inspect_query = on;
        self
    }

    /// Whether cookies are inspected (default: yes).
    pub fn inspect_cookies(mut self, on: bool) -> Self {
        self.inspect_cookies = on;
        self
    }

    /// Whether JSON and form bodies are buffered and inspected (default: yes).
    pub fn inspect_body(mut self, on: bool) -> Self {
        self.inspect_body = on;
        self
    }

    /// The largest body buffered; a larger one is refused with `413`
    /// (default: [`DEFAULT_MAX_BODY_BYTES`], 1 MiB).
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Where detections are reported (default: [`TracingSink`]).
    pub fn event_sink(mut self, sink: SharedSink) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Builds the guard.
    ///
    /// # Errors
    /// A zero body limit, an invalid header name, no category, or a field
    /// policy for an empty name.
    pub fn build(self) -> Result<InputGuard, ConfigError> {
        if self.max_body_bytes == 0 {
            return Err(ConfigError::ZeroBodyLimit);
        }
        if self.categories.is_empty() {
            return Err(ConfigError::NoCategories);
        }
        if self.fields.contains_key("") {
            return Err(ConfigError::EmptyField);
        }
        let headers = self
            .headers
            .iter()
            .map(|h| {
                HeaderName::from_bytes(h.to_ascii_lowercase().as_bytes())
                    .map_err(|_| ConfigError::InvalidHeader(h.clone()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.finish(headers))
    }

    fn build_infallible(self) -> InputGuard {
        self.finish(Vec::new())
    }

    fn finish(self, headers: Vec<HeaderName>) -> InputGuard {
        InputGuard {
            inner: Arc::new(Inner {
                mode: self.mode,
                strictness: self.strictness,
                default_set: Detectors::only(Strictness::Default, &self.categories),
                strict_set: Detectors::only(Strictness::Strict, &self.categories),
                checks_nosql: self.categories.contains(&Category::NoSqlInjection),
                categories: self.categories,
                fields: self.fields,
                headers,
                inspect_path: self.inspect_path,
                inspect_query: self.inspect_query,
                inspect_cookies: self.inspect_cookies,
                inspect_body: self.inspect_body,
                max_body_bytes: self.max_body_bytes,
                sink: self.sink.unwrap_or_else(TracingSink::shared),
            }),
        }
    }
}
