//! Errors raised while building the shared components.

/// A configuration value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A trusted-proxy entry is neither a CIDR block nor an IP address.
    #[error(
        "trusted proxy `{value}` is not a network: write a CIDR block such as `10.0.0.0/8` or a single address"
    )]
    InvalidCidr {
        /// The entry as written.
        value: String,
    },
}
