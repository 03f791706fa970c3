//! Errors.

use thiserror::Error;

/// A key could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The system random source failed.
    #[error("could not generate a key: the system random source failed")]
    Generate,
    /// The signing key text is not base64 PKCS#8 of an Ed25519 key.
    #[error(
        "the signing key is not base64 PKCS#8 of an Ed25519 key (make one with `rampart-audit keygen`)"
    )]
    InvalidSigningKey,
    /// The public key text is not base64 of 32 bytes.
    #[error("the public key is not base64 of a 32-byte Ed25519 key")]
    InvalidVerifyingKey,
}

/// The audit log could not be built or started.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A setting is out of range.
    #[error("invalid audit configuration: {0}")]
    Invalid(String),
    /// A key could not be read.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The log file or key store could not be opened or resumed.
    #[error("audit storage: {0}")]
    Io(#[from] std::io::Error),
}
