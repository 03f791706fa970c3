//! Why a [`SecurityStack`](super::SecurityStack) could not be built.

/// A configuration the stack cannot use, named by its table in `rampart.toml`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StackError {
    /// The document is not valid TOML, or names a key no layer knows.
    #[error("rampart.toml: {0}")]
    Toml(String),
    /// `[proxies]`.
    #[error("[proxies]: {0}")]
    Proxies(String),
    /// `[headers]`.
    #[error("[headers]: {0}")]
    Headers(String),
    /// `[https]`.
    #[error("[https]: {0}")]
    Https(String),
    /// `[cors]`.
    #[error("[cors]: {0}")]
    Cors(String),
    /// `[csrf]`.
    #[error("[csrf]: {0}")]
    Csrf(String),
    /// `[audit]`, or the trail's files could not be opened.
    #[error("[audit]: {0}")]
    Audit(String),
    /// `[ratelimit]`.
    #[error("[ratelimit]: {0}")]
    RateLimit(String),
    /// `[jwt]`.
    #[error("[jwt]: {0}")]
    Jwt(String),
    /// `[input_guard]`.
    #[error("[input_guard]: {0}")]
    InputGuard(String),
    /// `[rbac]`, or a permission given to `require`.
    #[error("[rbac]: {0}")]
    Rbac(String),
}
