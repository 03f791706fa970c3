//! What can go wrong building a keyring or cipher, and what can go wrong
//! encrypting, decrypting or parsing a field.
//!
//! No message holds key bytes or plaintext: a decryption failure says which
//! check refused the input, never what the input decrypted to.

/// A keyring, cipher, provider or index that cannot be built as configured.
/// The message names the offending setting and what would be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Key material of the wrong length.
    #[error("{what} must be {expected} bytes, got {got}")]
    KeyLength {
        /// Which key (`field key`, `master key`, `fernet key`...).
        what: &'static str,
        /// The length required.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// Key material that is not valid base64.
    #[error("{what} is not valid base64 (standard or URL-safe alphabet expected)")]
    KeyEncoding {
        /// Which key.
        what: &'static str,
    },
    /// A key file or environment variable could not be read.
    #[error("cannot read {what}: {reason}")]
    KeySource {
        /// The file path or variable name.
        what: String,
        /// Why (the I/O error, or "not set").
        reason: String,
    },
    /// Two keys of one keyring share an id.
    #[error("key id {0} is already in the keyring: give each key its own id")]
    DuplicateKeyId(u32),
    /// An operation named a key the keyring does not hold.
    #[error("key id {0} is not in the keyring")]
    UnknownKeyId(u32),
    /// The primary key cannot be retired: rotate to a new primary first.
    #[error("key id {0} is the primary key: rotate to a new key before retiring it")]
    RetirePrimary(u32),
    /// A numeric setting is outside the accepted range.
    #[error("{what}: {reason}")]
    Range {
        /// The setting.
        what: &'static str,
        /// What is accepted.
        reason: &'static str,
    },
    /// The system random generator failed (no entropy source).
    #[error("the system random number generator failed")]
    Random,
}

/// Why a field could not be encrypted or decrypted.
///
/// Parsing is strict: each malformed shape has its own variant, so a caller
/// can tell "this is not one of our ciphertexts" from "this was tampered with".
/// Authentication failures deliberately do not say *which* part (context,
/// key, bytes) was wrong: the AEAD cannot tell, and guessing would help an
/// attacker.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The text form is not unpadded base64url.
    #[error("ciphertext is not unpadded base64url text")]
    Encoding,
    /// Shorter than the fixed header plus tag.
    #[error("ciphertext is truncated: {got} bytes, at least {needed} needed")]
    Truncated {
        /// The minimum length of a ciphertext.
        needed: usize,
        /// The length given.
        got: usize,
    },
    /// A format version this library does not read.
    #[error("unsupported ciphertext format version {0} (this library reads version 1)")]
    UnsupportedVersion(u8),
    /// An algorithm byte this library does not know.
    #[error("unknown algorithm id {0} in ciphertext (1 = AES-256-GCM, 2 = AES-256-GCM-SIV)")]
    UnknownAlgorithm(u8),
    /// The ciphertext names a key the keyring has never held.
    #[error("ciphertext was made with key id {0}, which is not in the keyring")]
    UnknownKey(u32),
    /// The ciphertext names a key that was retired: re-encrypt before retiring.
    #[error("ciphertext was made with key id {0}, which has been retired")]
    RetiredKey(u32),
    /// The tag did not verify: the bytes were altered, or they are being
    /// decrypted under another context (record, field, tenant) or key.
    #[error(
        "ciphertext failed authentication: it was altered, or belongs to another record, field or tenant"
    )]
    Authentication,
    /// The key has encrypted as many messages as its nonce budget allows.
    #[error(
        "key id {key_id} has used its budget of {budget} messages: rotate to a new key to keep encrypting"
    )]
    NonceBudgetExhausted {
        /// The exhausted key.
        key_id: u32,
        /// Its budget.
        budget: u64,
    },
    /// The plaintext is larger than the cipher accepts.
    #[error("plaintext of {got} bytes is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
        /// The length given.
        got: usize,
    },
    /// A decrypted JSON field or serde value did not parse, or a value could
    /// not be serialised.
    #[error("field {field:?}: {reason}")]
    Json {
        /// The field name.
        field: String,
        /// What was wrong (never the value itself).
        reason: String,
    },
    /// A Fernet token was refused.
    #[error("fernet token refused: {0}")]
    Fernet(&'static str),
    /// A wrapped data key was refused or a key provider failed.
    #[error("key provider: {0}")]
    Provider(String),
    /// The system random generator failed.
    #[error("the system random number generator failed")]
    Random,
}
