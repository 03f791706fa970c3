//! What can go wrong while building, verifying, refreshing and storing.
//!
//! No error here ever carries a token, a secret or a key: a log line or an
//! HTTP problem built from one is safe to show.

/// A configuration that cannot be used. Raised at build time, never per request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An HMAC secret shorter than the hash it feeds.
    #[error(
        "the HMAC secret has {actual} bytes but {alg} needs at least {min}: generate one with `openssl rand -base64 48`"
    )]
    SecretTooShort {
        /// The algorithm the secret is for.
        alg: &'static str,
        /// Bytes supplied.
        actual: usize,
        /// Bytes required.
        min: usize,
    },
    /// A key that cannot be parsed or does not fit its algorithm.
    #[error("invalid {alg} key: {reason}")]
    InvalidKey {
        /// The algorithm the key was meant for.
        alg: &'static str,
        /// What was wrong (never the key itself).
        reason: String,
    },
    /// A key file that cannot be read.
    #[error("cannot read key file `{path}`: {reason}")]
    KeyFile {
        /// The path as configured.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// A key id that is empty, too long or used twice.
    #[error("invalid key id: {0}")]
    InvalidKid(String),
    /// A rotation step asked for a key that is not in the set.
    #[error("no key `{0}` in the key set: publish it before activating or retiring it")]
    UnknownKid(String),
    /// Retiring the key that currently signs.
    #[error("key `{0}` is the active signing key: activate another key before retiring it")]
    RetiringActiveKey(String),
    /// A setting outside its allowed range or missing.
    #[error("invalid setting `{name}`: {reason}")]
    Invalid {
        /// The setting.
        name: &'static str,
        /// Why it was refused and what to do.
        reason: String,
    },
}

/// Why a token was refused. Every variant names a kind of failure, never the
/// token's content, so it is safe to log and to show in a problem body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No bearer token was presented.
    #[error("no bearer token")]
    Missing,
    /// The token is longer than the configured limit; it was not parsed.
    #[error("token too large")]
    TooLarge,
    /// Not three base64url parts with JSON header and payload.
    #[error("malformed token")]
    Malformed,
    /// `alg: none` in any spelling.
    #[error("unsigned tokens are not accepted")]
    AlgorithmNone,
    /// An algorithm rampart does not verify.
    #[error("unsupported algorithm")]
    UnsupportedAlgorithm,
    /// The token's `alg` differs from the one its key is bound to.
    #[error("algorithm does not match the key")]
    AlgorithmMismatch,
    /// The token has no `kid`, or one no key in the set carries.
    #[error("unknown key")]
    UnknownKey,
    /// The header brings its own key (`jwk`, `jku`, `x5u`, `x5c`).
    #[error("tokens may not carry or point to their own key")]
    EmbeddedKey,
    /// A `crit` header rampart does not understand.
    #[error("unsupported critical header")]
    UnknownCritical,
    /// The header `typ` is not the one expected for this kind of token.
    #[error("wrong token type")]
    WrongType,
    /// The signature does not verify.
    #[error("invalid signature")]
    BadSignature,
    /// `exp` has passed.
    #[error("token expired")]
    Expired,
    /// `nbf` is still in the future.
    #[error("token not yet valid")]
    NotYetValid,
    /// `iat` is in the future.
    #[error("token issued in the future")]
    IssuedInFuture,
    /// `iss` is not the configured issuer.
    #[error("wrong issuer")]
    WrongIssuer,
    /// No `aud` matches the configured audience.
    #[error("wrong audience")]
    WrongAudience,
    /// A required claim is absent.
    #[error("missing required claim `{0}`")]
    MissingClaim(&'static str),
    /// A refresh token presented as access token, or the reverse.
    #[error("wrong token use")]
    WrongTokenUse,
    /// The token, its family or its subject was revoked.
    #[error("token revoked")]
    Revoked,
    /// The revocation store could not be asked and the fail mode is closed.
    #[error("revocation store unavailable")]
    StoreUnavailable,
}

impl AuthError {
    /// A short, stable, machine-readable name of the failure (`expired`,
    /// `bad_signature`...), used in problem bodies and events.
    pub fn code(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::TooLarge => "too_large",
            Self::Malformed => "malformed",
            Self::AlgorithmNone => "alg_none",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::AlgorithmMismatch => "algorithm_mismatch",
            Self::UnknownKey => "unknown_key",
            Self::EmbeddedKey => "embedded_key",
            Self::UnknownCritical => "unknown_critical_header",
            Self::WrongType => "wrong_type",
            Self::BadSignature => "bad_signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::MissingClaim(_) => "missing_claim",
            Self::WrongTokenUse => "wrong_token_use",
            Self::Revoked => "revoked",
            Self::StoreUnavailable => "store_unavailable",
        }
    }
}

/// A revocation or family store could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("store failure: {0}")]
pub struct StoreError(pub String);

/// Why a token could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The key set has no active signing key.
    #[error("no active signing key")]
    NoSigningKey,
    /// Signing or serialising the claims failed.
    #[error("signing failed: {0}")]
    Signing(String),
    /// The family could not be recorded.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a refresh was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshError {
    /// The refresh token itself is invalid (expired, bad signature, access token...).
    #[error("invalid refresh token: {0}")]
    Invalid(#[from] AuthError),
    /// The token was already used: its whole family is now revoked.
    #[error("refresh token reused: the session was revoked, sign in again")]
    Reused,
    /// The family was revoked earlier (logout or reuse), or is unknown.
    #[error("the session was revoked or has ended, sign in again")]
    FamilyRevoked,
    /// The family is bound to another device.
    #[error("refresh token presented from another device")]
    DeviceMismatch,
    /// A new pair could not be issued.
    #[error(transparent)]
    Issue(#[from] IssueError),
    /// The store could not be asked.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RefreshError {
    /// A short, stable, machine-readable name of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(e) => e.code(),
            Self::Reused => "refresh_reused",
            Self::FamilyRevoked => "session_revoked",
            Self::DeviceMismatch => "device_mismatch",
            Self::Issue(_) => "issue_failed",
            Self::Store(_) => "store_unavailable",
        }
    }
}
