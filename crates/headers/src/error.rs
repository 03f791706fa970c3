//! Errors raised while building header policies.

/// A header policy that cannot be built as written.
///
/// Every value is checked when the layer is built so that a typo is a start-up
/// error rather than a header the browser silently ignores.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// HSTS preload was asked for without the conditions the preload list sets.
    #[error(
        "HSTS preload requires max-age of at least 31536000 seconds (one year) and includeSubDomains; got max-age={max_age_secs}, includeSubDomains={include_subdomains}"
    )]
    HstsPreloadRequirements {
        /// The configured max-age.
        max_age_secs: u64,
        /// Whether includeSubDomains was set.
        include_subdomains: bool,
    },
    /// A CSP source expression is not valid for its directive.
    #[error("CSP directive `{directive}`: invalid source `{source_expr}`: {reason}")]
    InvalidCspSource {
        /// The directive, e.g. `script-src`.
        directive: String,
        /// The source as written.
        source_expr: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A CSP directive name is unknown.
    #[error("unknown CSP directive `{0}`")]
    UnknownCspDirective(String),
    /// A CSP reporting endpoint is not usable.
    #[error("CSP reporting endpoint `{value}` is invalid: {reason}")]
    InvalidReportEndpoint {
        /// The value as written.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A Permissions-Policy entry is malformed.
    #[error("Permissions-Policy entry `{value}` is invalid: {reason}")]
    InvalidPermissionsPolicy {
        /// The entry as written.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A header value contains characters that cannot appear in a header.
    #[error("value for header `{header}` contains characters not allowed in an HTTP header")]
    InvalidHeaderValue {
        /// The header.
        header: &'static str,
    },
    /// An origin in an allow-list is not of the form `scheme://host[:port]`.
    #[error("origin `{value}` is invalid: {reason}")]
    InvalidOrigin {
        /// The origin as written.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// CORS was asked to allow any origin and credentials at once.
    #[error("CORS cannot allow credentials for any origin (`*`): list the trusted origins instead")]
    WildcardWithCredentials,
    /// A CORS setting is not usable.
    #[error("CORS {what} `{value}` is invalid")]
    InvalidCors {
        /// Which setting.
        what: &'static str,
        /// The value as written.
        value: String,
    },
    /// A host for HTTPS redirects is not a bare host name or address.
    #[error("HTTPS redirect host `{value}` is invalid: {reason}")]
    InvalidRedirectHost {
        /// The host as written.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A status that is not a permanent or temporary redirect.
    #[error("HTTPS redirect status {0} is not a redirect (301, 302, 307 or 308)")]
    InvalidRedirectStatus(u16),
}
