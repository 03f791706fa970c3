//! What can go wrong building an input guard.

/// An input guard that cannot be built as configured. The message names the
/// offending setting and what would be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The body limit is zero, so no body could ever pass.
    #[error("max_body_bytes must be at least 1; use `inspect_body(false)` to skip bodies instead")]
    ZeroBodyLimit,
    /// A header to inspect is not a valid header name.
    #[error("`{0}` is not a valid header name: use ASCII letters, digits and `-`")]
    InvalidHeader(String),
    /// No category is enabled, so the guard would never find anything.
    #[error("the guard needs at least one category: remove `categories = []` or name some")]
    NoCategories,
    /// A field policy names an empty field.
    #[error("a field policy needs a field name")]
    EmptyField,
}
