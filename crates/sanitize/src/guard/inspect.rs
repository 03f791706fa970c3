//! Inspection of a whole request: path, query, headers, cookies, body.

use super::json;
use super::parse::{cookies, form_encode, form_pairs, path_segments};
use super::{FieldPolicy, GuardRejection, InputGuard, Location, Mode, Violation, display_name};
use crate::Finding;
use bytes::Bytes;
use http::HeaderMap;
use http::header::{CONTENT_TYPE, COOKIE};
use http::request::Parts;

/// How a body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// `application/json` or `application/*+json`.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// Anything else: passed through unread.
    Other,
}

pub(crate) fn body_kind(headers: &HeaderMap) -> BodyKind {
    let Some(ct) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return BodyKind::Other;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
    {
        BodyKind::Json
    } else if essence == "application/x-www-form-urlencoded" {
        BodyKind::Form
    } else {
        BodyKind::Other
    }
}

/// What inspection found and changed.
#[derive(Debug, Default)]
pub(crate) struct Inspection {
    /// Detections in fields that are not cleaned.
    pub(crate) violations: Vec<Violation>,
    /// Detections in fields that were cleaned instead.
    pub(crate) cleaned: Vec<Violation>,
    /// The rewritten query, when a query field was cleaned.
    pub(crate) query: Option<String>,
    /// The rewritten body, when a body field was cleaned.
    pub(crate) body: Option<Bytes>,
}

/// Collects detections; in block mode it stops at the first.
pub(crate) struct Scan<'g> {
    guard: &'g InputGuard,
    pub(crate) found: Inspection,
}

impl<'g> Scan<'g> {
    pub(crate) fn new(guard: &'g InputGuard) -> Self {
        Self {
            guard,
            found: Inspection::default(),
        }
    }

    /// Whether scanning can stop (block mode, one violation found).
    pub(crate) fn done(&self) -> bool {
        self.guard.mode() == Mode::Block && !self.found.violations.is_empty()
    }

    /// How much has been found so far, to go back to with [`Self::reset_to`].
    pub(crate) fn marks(&self) -> (usize, usize) {
        (self.found.violations.len(), self.found.cleaned.len())
    }

    /// Forgets what was found after `marks`, before a part is read again.
    pub(crate) fn reset_to(&mut self, (violations, cleaned): (usize, usize)) {
        self.found.violations.truncate(violations);
        self.found.cleaned.truncate(cleaned);
    }

    /// Checks one value; returns its replacement when the field is cleaned.
    pub(crate) fn value(&mut self, location: Location, name: &str, value: &str) -> Option<String> {
        if self.done() {
            return None;
        }
        let violation = self.guard.check(location, name, value)?;
        match (self.guard.policy(name), location) {
            (FieldPolicy::Clean(cleaner), Location::Query | Location::Body) => {
                let cleaned = cleaner(value);
                self.found.cleaned.push(violation);
                Some(cleaned)
            }
            _ => {
                self.found.violations.push(violation);
                None
            }
        }
    }

    /// A NoSQL operator used as a key.
    pub(crate) fn operator_key(&mut self, location: Location, key: &str) {
        if !self.done() && self.guard.checks_nosql() && crate::is_nosql_operator(key) {
            self.found.violations.push(Violation {
                location,
                parameter: display_name(key),
                finding: Finding::new(
                    crate::Category::NoSqlInjection,
                    "operator-key",
                    0..key.len(),
                ),
            });
        }
    }
}

impl InputGuard {
    /// Whether the layer must buffer this request's body.
    pub(crate) fn wants_body(&self, headers: &HeaderMap) -> bool {
        self.inner.inspect_body && body_kind(headers) != BodyKind::Other
    }

    /// Inspects the head of a request and, when given, its buffered body.
    pub(crate) fn inspect(
        &self,
        parts: &Parts,
        body: Option<&[u8]>,
    ) -> Result<Inspection, GuardRejection> {
        let mut scan = Scan::new(self);
        if self.inner.inspect_path {
            for (i, segment) in path_segments(parts.uri.path()).enumerate() {
                scan.value(Location::Path, &segment_name(i), &segment);
            }
        }
        if self.inner.inspect_query
            && let Some(q) = parts.uri.query()
        {
            let mut pairs = form_pairs(q.as_bytes());
            let mut changed = false;
            for (k, v) in &mut pairs {
                scan.value(Location::Query, k, k);
                scan.operator_key(Location::Query, bracketed(k));
                if let Some(new) = scan.value(Location::Query, k, v) {
                    *v = new;
                    changed = true;
                }
            }
            if changed {
                scan.found.query = Some(form_encode(&pairs));
            }
        }
        for name in &self.inner.headers {
            for value in parts.headers.get_all(name) {
                scan.value(
                    Location::Header,
                    name.as_str(),
                    &String::from_utf8_lossy(value.as_bytes()),
                );
            }
        }
        if self.inner.inspect_cookies {
            for value in parts.headers.get_all(COOKIE) {
                for (k, v) in cookies(value.as_bytes()) {
                    scan.value(Location::Cookie, &k, &v);
                }
            }
        }
        if let Some(body) = body {
            match body_kind(&parts.headers) {
                BodyKind::Json => {
                    if let Some(new) = json::inspect(&mut scan, body)? {
                        scan.found.body = Some(Bytes::from(new));
                    }
                }
                BodyKind::Form => {
                    let mut pairs = form_pairs(body);
                    let mut changed = false;
                    for (k, v) in &mut pairs {
                        scan.value(Location::Body, k, k);
                        scan.operator_key(Location::Body, bracketed(k));
                        if let Some(new) = scan.value(Location::Body, k, v) {
                            *v = new;
                            changed = true;
                        }
                    }
                    if changed {
                        scan.found.body = Some(Bytes::from(form_encode(&pairs)));
                    }
                }
                BodyKind::Other => {}
            }
        }
        Ok(scan.found)
    }
}

/// The name a path segment goes by in policies and problems: `path[0]`,
/// `path[1]`... (written out for the first few, which is every segment of
/// most paths, as this runs on every request).
fn segment_name(i: usize) -> std::borrow::Cow<'static, str> {
    const NAMES: [&str; 8] = [
        "path[0]", "path[1]", "path[2]", "path[3]", "path[4]", "path[5]", "path[6]", "path[7]",
    ];
    NAMES
        .get(i)
        .map_or_else(|| format!("path[{i}]").into(), |&n| n.into())
}

/// The operator in a bracketed key (`password[$ne]` → `$ne`), or the key.
fn bracketed(key: &str) -> &str {
    key.rfind('[')
        .and_then(|i| key[i + 1..].strip_suffix(']'))
        .unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::segment_name;

    #[test]
    fn segments_are_named_by_position() {
        for i in [0usize, 1, 7, 8, 42] {
            assert_eq!(segment_name(i), format!("path[{i}]"));
        }
    }
}
