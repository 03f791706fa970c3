//! Strict validators for input an application is about to act on.
//!
//! Where the detectors look for attacks in arbitrary input, these check that
//! a value has exactly the shape the application needs, and refuse with a
//! typed reason otherwise:
//!
//! - [`UrlPolicy`]: URLs for outbound requests, with SSRF protection over
//!   every IP literal form ([`parse_ip_literal`], [`blocked_range`]), a
//!   resolving check ([`UrlPolicy::check_resolved`]) and, with the `reqwest`
//!   feature, `SafeClient`, which connects only to checked addresses and
//!   re-checks every redirect.
//! - [`SqlGuard`]: one read-only statement from generated SQL, on allowed
//!   tables, carrying the tenant predicate.
//! - [`UploadPolicy`]: file names, sizes and sniffed content of uploads.
//! - [`JsonLimits`]: size, depth, key, element and string limits on JSON,
//!   checked in one linear pass before parsing.
//! - [`check_xml`]: XML bodies without DOCTYPE or ENTITY declarations (XXE).
//! - [`EmailPolicy`], [`TextPolicy`], [`IdentifierPolicy`]: e-mail addresses
//!   (RFC 5321 lengths, IDN domains), free text and slugs or user names.

#[cfg(feature = "reqwest")]
mod client;
mod config;
mod email;
mod ip_literal;
mod ip_range;
mod json;
mod resolve;
mod sql;
mod text;
mod upload;
mod url;
mod url_error;
mod xml;

#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub use client::{MAX_REDIRECTS, SafeClient, SafeClientError};
pub use config::{
    JsonLimitsConfig, SqlDialectName, SqlGuardConfig, TenantConfig, UploadPolicyConfig,
    UrlPolicyConfig, ValidateConfigError,
};
pub use email::{Email, EmailError, EmailPolicy};
pub use ip_literal::parse_ip_literal;
pub use ip_range::{BlockedRange, blocked_range};
pub use json::{JsonLimitError, JsonLimits};
pub use resolve::{ResolvedUrl, Resolver, Resolving, StaticResolver, SystemResolver};
pub use sql::{
    DEFAULT_DENIED_FUNCTIONS, SqlDialect, SqlGuard, SqlRefusal, TenantPredicate, TenantValue,
};
pub use text::{CharClass, IdentifierPolicy, PatternError, TextError, TextPolicy};
pub use upload::{CheckedUpload, UploadError, UploadPolicy};
pub use url::{CheckedUrl, UrlPolicy};
pub use url_error::UrlError;
pub use xml::{XmlError, check_xml};
