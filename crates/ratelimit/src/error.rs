//! What can go wrong building a limiter or reaching its store.

/// A limiter, quota or login throttle that cannot be built as configured.
/// The message names the offending setting and what would be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A quota admits nothing or has no period.
    #[error("quota {what}: {reason}")]
    Quota {
        /// Which quota (the level's name, or `quota`).
        what: String,
        /// What is wrong and what would do.
        reason: &'static str,
    },
    /// A limiter was built without any limit.
    #[error("a rate limiter needs at least one limit: add one with `.limit(..)`")]
    NoLimits,
    /// Two limits of one limiter share a name, so their counters and headers
    /// could not be told apart.
    #[error("limit name {0:?} is used twice: give each limit of a limiter its own name")]
    DuplicateName(String),
    /// A limit name is empty or holds characters other than ASCII letters,
    /// digits, `_`, `-` and `.` (it appears in headers and store keys).
    #[error("limit name {0:?} must be non-empty ASCII letters, digits, `_`, `-` or `.`")]
    InvalidName(String),
    /// An IP grouping prefix is longer than the address.
    #[error("{family} prefix /{prefix} is longer than the address ({max} bits)")]
    Prefix {
        /// `IPv4` or `IPv6`.
        family: &'static str,
        /// The prefix given.
        prefix: u8,
        /// The address length.
        max: u8,
    },
    /// A CIDR entry of an allow- or block-list is not a network.
    #[error("`{0}` is not a network: write a CIDR block such as `203.0.113.0/24` or an address")]
    InvalidCidr(String),
    /// A login throttle setting is out of range.
    #[error("login throttle {what}: {reason}")]
    Login {
        /// The setting.
        what: &'static str,
        /// What is wrong and what would do.
        reason: &'static str,
    },
    /// The memory store cannot hold any key.
    #[error("memory store capacity must be at least 1 key")]
    Capacity,
}

/// A store could not answer. What the limiter then does is its
/// [`crate::FailMode`]; the error never holds a key's secret parts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rate-limit store failed: {0}")]
pub struct StoreError(pub String);
