//! The serde config of an input guard.

use crate::error::ConfigError;
use crate::guard::{DEFAULT_MAX_BODY_BYTES, FieldPolicyConfig, InputGuard, Mode};
use crate::{Category, Strictness};
use rampart_core::SharedSink;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `[input_guard]` section of an application's config. Every key is
/// optional; unknown keys are refused so a typo is not silently ignored.
///
/// ```
/// use rampart_sanitize::InputGuardConfig;
///
/// let config: InputGuardConfig = toml::from_str(r#"
///     mode = "detect_only"          # or "block" (the default)
///     strictness = "default"        # or "strict"
///     max_body_bytes = 65536
///     headers = ["referer"]
///     [fields]
///     sort = "strict"
///     description_html = "exempt"
/// "#)?;
/// let guard = config.build()?;
/// # let _ = guard;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InputGuardConfig {
    /// `block` (default) or `detect_only`.
    pub mode: Mode,
    /// `default` (default) or `strict`, for fields without a policy.
    pub strictness: Strictness,
    /// The categories looked for (default: all).
    pub categories: Vec<Category>,
    /// Largest body buffered and inspected, in bytes (1 MiB).
    pub max_body_bytes: usize,
    /// Headers inspected besides cookies (none).
    pub headers: Vec<String>,
    /// Whether path segments are inspected (true).
    pub inspect_path: bool,
    /// Whether query parameters are inspected (true).
    pub inspect_query: bool,
    /// Whether cookies are inspected (true).
    pub inspect_cookies: bool,
    /// Whether JSON and form bodies are inspected (true).
    pub inspect_body: bool,
    /// Per-field policies by name: `default`, `strict` or `exempt`.
    pub fields: BTreeMap<String, FieldPolicyConfig>,
}

impl Default for InputGuardConfig {
    fn default() -> Self {
        Self {
            mode: Mode::Block,
            strictness: Strictness::Default,
            categories: Category::ALL.to_vec(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            headers: Vec::new(),
            inspect_path: true,
            inspect_query: true,
            inspect_cookies: true,
            inspect_body: true,
            fields: BTreeMap::new(),
        }
    }
}

impl InputGuardConfig {
    /// A guard reporting to the default sink.
    ///
    /// # Errors
    /// See [`crate::InputGuardBuilder::build`].
    pub fn build(&self) -> Result<InputGuard, ConfigError> {
        self.builder().build()
    }

    /// A guard reporting to `sink`.
    ///
    /// # Errors
    /// See [`crate::InputGuardBuilder::build`].
    pub fn build_with_sink(&self, sink: SharedSink) -> Result<InputGuard, ConfigError> {
        self.builder().event_sink(sink).build()
    }

    /// A builder holding this config, to add cleaners or a sink.
    pub fn builder(&self) -> crate::InputGuardBuilder {
        let mut b = InputGuard::builder()
            .mode(self.mode)
            .strictness(self.strictness)
            .categories(self.categories.iter().copied())
            .max_body_bytes(self.max_body_bytes)
            .inspect_path(self.inspect_path)
            .inspect_query(self.inspect_query)
            .inspect_cookies(self.inspect_cookies)
            .inspect_body(self.inspect_body);
        for h in &self.headers {
            b = b.header(h.clone());
        }
        for (name, policy) in &self.fields {
            b = b.field(name.clone(), (*policy).into());
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_build_and_bad_values_are_errors() {
        let empty: InputGuardConfig = toml::from_str("").unwrap();
        assert_eq!(empty, InputGuardConfig::default());
        assert!(empty.build().is_ok());
        assert!(toml::from_str::<InputGuardConfig>("mod = \"block\"").is_err());
        let zero: InputGuardConfig = toml::from_str("max_body_bytes = 0").unwrap();
        assert_eq!(zero.build().unwrap_err(), ConfigError::ZeroBodyLimit);
        let none: InputGuardConfig = toml::from_str("categories = []").unwrap();
        assert_eq!(none.build().unwrap_err(), ConfigError::NoCategories);
        let bad: InputGuardConfig = toml::from_str("headers = [\"bad header\"]").unwrap();
        assert!(bad.build().unwrap_err().to_string().contains("bad header"));
    }
}
