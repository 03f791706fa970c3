//! Per-field policy and what the guard does on a detection.

use crate::Strictness;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// What the guard does when it finds an attack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Refuse the request with `400` problem JSON naming the parameter and
    /// the category (never the payload), and report the event (the default).
    #[default]
    Block,
    /// Let the request through unchanged and report an
    /// [`rampart_core::EventKind::AttackDetected`] event: for rolling a guard
    /// out, and for measuring false positives before blocking.
    DetectOnly,
}

/// A cleaner: turns a value into a safe one (e.g. an HTML sanitizer).
pub type Cleaner = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// How one field (a query or form parameter, a JSON key, a cookie, a
/// header) is inspected.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum FieldPolicy {
    /// The guard's strictness (the default).
    #[default]
    Inherit,
    /// [`Strictness::Strict`]: for ids, sort keys, file names, anything
    /// that never holds prose.
    Strict,
    /// Not inspected: a field that legitimately holds markup or code (a
    /// rich-text body that an HTML cleaner handles, a code sample).
    Exempt,
    /// A value with a finding is replaced by the cleaner's output instead
    /// of refusing the request (e.g. HTML cleaning for a comment field);
    /// the handler sees the cleaned value.
    Clean(Cleaner),
}

impl FieldPolicy {
    /// A [`FieldPolicy::Clean`] policy from a function.
    pub fn clean(cleaner: impl Fn(&str) -> String + Send + Sync + 'static) -> Self {
        FieldPolicy::Clean(Arc::new(cleaner))
    }

    pub(crate) fn strictness(&self, default: Strictness) -> Option<Strictness> {
        match self {
            FieldPolicy::Inherit | FieldPolicy::Clean(_) => Some(default),
            FieldPolicy::Strict => Some(Strictness::Strict),
            FieldPolicy::Exempt => None,
        }
    }
}

impl fmt::Debug for FieldPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FieldPolicy::Inherit => "Inherit",
            FieldPolicy::Strict => "Strict",
            FieldPolicy::Exempt => "Exempt",
            FieldPolicy::Clean(_) => "Clean(..)",
        })
    }
}

/// The serde form of a [`FieldPolicy`] (a cleaner is code, so it is set
/// with the builder).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldPolicyConfig {
    /// [`FieldPolicy::Inherit`].
    Default,
    /// [`FieldPolicy::Strict`].
    Strict,
    /// [`FieldPolicy::Exempt`].
    Exempt,
}

impl From<FieldPolicyConfig> for FieldPolicy {
    fn from(c: FieldPolicyConfig) -> Self {
        match c {
            FieldPolicyConfig::Default => FieldPolicy::Inherit,
            FieldPolicyConfig::Strict => FieldPolicy::Strict,
            FieldPolicyConfig::Exempt => FieldPolicy::Exempt,
        }
    }
}
