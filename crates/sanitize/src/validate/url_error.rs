//! Why a URL was refused as an outbound destination.

use std::net::IpAddr;

use super::BlockedRange;

/// A URL an outbound request must not follow.
///
/// Messages name the part that was wrong and never repeat credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Longer than the policy's limit.
    #[error("URL is {len} bytes long, more than the allowed {max}")]
    TooLong {
        /// The length of the input.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not a URL, or one holding characters parsers disagree on.
    #[error("URL is malformed: {reason}")]
    Malformed {
        /// What is wrong with it.
        reason: String,
    },
    /// The scheme is not in the allow-list.
    #[error("URL scheme `{scheme}` is not allowed; allowed schemes: {allowed}")]
    SchemeNotAllowed {
        /// The scheme of the input.
        scheme: String,
        /// The allow-list, comma-separated.
        allowed: String,
    },
    /// A user name or password in the URL.
    #[error("URL carries credentials (user:password@); send them in a header instead")]
    Credentials,
    /// No host to connect to.
    #[error("URL has no host")]
    MissingHost,
    /// The port is not in the allow-list.
    #[error("port {port} is not allowed")]
    PortNotAllowed {
        /// The effective port (explicit or the scheme's default).
        port: u16,
    },
    /// The host is an address in a range no outbound request may reach.
    #[error("address {ip} is {range}, not a public destination")]
    BlockedAddress {
        /// The address, normalised.
        ip: IpAddr,
        /// The range it falls in.
        range: BlockedRange,
    },
    /// The host is a name that only makes sense inside a network
    /// (`localhost`, `*.internal`, a single label like `metadata`), or one the
    /// policy denies.
    #[error("host `{host}` is an internal or denied name")]
    InternalName {
        /// The host, lowercased.
        host: String,
    },
    /// The host did not resolve.
    #[error("host `{host}` could not be resolved: {message}")]
    Resolution {
        /// The host.
        host: String,
        /// The resolver's error.
        message: String,
    },
    /// The host resolved to no address at all.
    #[error("host `{host}` resolved to no address")]
    NoAddresses {
        /// The host.
        host: String,
    },
    /// The host resolved to an address in a blocked range (every address a
    /// name resolves to is checked, so one bad answer refuses the name).
    #[error("host `{host}` resolves to {ip}, which is {range}, not a public destination")]
    ResolvesToBlocked {
        /// The host.
        host: String,
        /// The offending address.
        ip: IpAddr,
        /// The range it falls in.
        range: BlockedRange,
    },
}

impl UrlError {
    /// A stable snake_case code for problem details and audit events.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLong { .. } => "url_too_long",
            Self::Malformed { .. } => "url_malformed",
            Self::SchemeNotAllowed { .. } => "scheme_not_allowed",
            Self::Credentials => "url_credentials",
            Self::MissingHost => "url_missing_host",
            Self::PortNotAllowed { .. } => "port_not_allowed",
            Self::BlockedAddress { .. } => "blocked_address",
            Self::InternalName { .. } => "internal_name",
            Self::Resolution { .. } => "resolution_failed",
            Self::NoAddresses { .. } => "no_addresses",
            Self::ResolvesToBlocked { .. } => "resolves_to_blocked",
        }
    }

    /// Whether the refusal is about where the URL points (an internal
    /// address or name) rather than its form.
    pub fn is_internal_target(&self) -> bool {
        matches!(
            self,
            Self::BlockedAddress { .. }
                | Self::InternalName { .. }
                | Self::ResolvesToBlocked { .. }
        )
    }
}
