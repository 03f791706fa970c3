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
    /// A claim the verifier maps into the principal (tenant, org, roles) has
    /// a type it cannot use, or the application's principal mapper refused.
    #[error("invalid claim")]
    InvalidClaim,
    /// A refresh token presented as access token, or the reverse.
    #[error("wrong token use")]
    WrongTokenUse,
    /// The token, its family or its subject was revoked.
    #[error("token revoked")]
    Revoked,
    /// The revocation store could not be asked and the fail mode is closed.
    #[error("revocation store unavailable")]
    StoreUnavailable,
    /// The token is valid but its account is disabled
    /// ([`AccountStatusCheck`](crate::AccountStatusCheck)).
    #[error("account disabled")]
    AccountDisabled,
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
            Self::InvalidClaim => "invalid_claim",
            Self::WrongTokenUse => "wrong_token_use",
            Self::Revoked => "revoked",
            Self::StoreUnavailable => "store_unavailable",
            Self::AccountDisabled => "account_disabled",
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
///
/// The variants split into three groups a refresh endpoint answers
/// differently: the client must sign in again ([`Invalid`](Self::Invalid),
/// [`Reused`](Self::Reused), [`FamilyRevoked`](Self::FamilyRevoked),
/// [`DeviceMismatch`](Self::DeviceMismatch), [`UserRefused`](Self::UserRefused):
/// OAuth's `invalid_grant`); the server could not decide right now and the
/// same refresh token will work once it can ([`Unavailable`](Self::Unavailable):
/// answer 503 with `Retry-After`, never `invalid_grant`, which makes OAuth
/// clients drop the session); or the server is misconfigured
/// ([`Issue`](Self::Issue), [`RevalidationUnset`](Self::RevalidationUnset)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshError {
    /// The refresh token itself is invalid (expired, bad signature, access token...).
    #[error("invalid refresh token: {0}")]
    Invalid(AuthError),
    /// The token was already used: its whole family is now revoked.
    #[error("refresh token reused: the session was revoked, sign in again")]
    Reused,
    /// The family was revoked earlier (logout or reuse), has reached its
    /// absolute lifetime, or is unknown.
    #[error("the session was revoked or has ended, sign in again")]
    FamilyRevoked,
    /// The family is bound to another device.
    #[error("refresh token presented from another device")]
    DeviceMismatch,
    /// The application's re-validation refused the user (removed, disabled...):
    /// the whole family is now revoked.
    #[error("the user may no longer sign in: the session was revoked")]
    UserRefused,
    /// A store (revocations, refresh families) or the application's user
    /// lookup could not answer. Nothing was consumed: the same refresh token
    /// works again once it is back.
    #[error("cannot refresh now, try again shortly: {0}")]
    Unavailable(StoreError),
    /// A new pair could not be issued.
    #[error(transparent)]
    Issue(#[from] IssueError),
    /// The manager was built from a [`JwtConfig`](crate::JwtConfig) whose
    /// runtime chose no re-validation, so refreshes are refused rather than
    /// copying possibly stale roles; set `JwtRuntime::revalidate`.
    #[error(
        "refresh is disabled: give the runtime a re-validation hook (`JwtRuntime::revalidate`) or opt out with `insecure_skip_revalidation`"
    )]
    RevalidationUnset,
}

impl From<AuthError> for RefreshError {
    /// A revocation store that could not be asked is an outage, not an invalid token.
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::StoreUnavailable => {
                Self::Unavailable(StoreError("revocation store unavailable".into()))
            }
            AuthError::Revoked => Self::FamilyRevoked,
            other => Self::Invalid(other),
        }
    }
}

impl From<StoreError> for RefreshError {
    fn from(e: StoreError) -> Self {
        Self::Unavailable(e)
    }
}

impl RefreshError {
    /// A short, stable, machine-readable name of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(e) => e.code(),
            Self::Reused => "refresh_reused",
            Self::FamilyRevoked => "session_revoked",
            Self::DeviceMismatch => "device_mismatch",
            Self::UserRefused => "user_refused",
            Self::Unavailable(_) => "store_unavailable",
            Self::Issue(_) => "issue_failed",
            Self::RevalidationUnset => "revalidation_unset",
        }
    }

    /// Whether the client should sign in again (OAuth `invalid_grant`):
    /// false for outages and server-side failures, where the same refresh
    /// token is worth presenting again.
    pub fn is_invalid_grant(&self) -> bool {
        matches!(
            self,
            Self::Invalid(_)
                | Self::Reused
                | Self::FamilyRevoked
                | Self::DeviceMismatch
                | Self::UserRefused
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_revocation_store_is_an_outage_not_an_invalid_token() {
        let e = RefreshError::from(AuthError::StoreUnavailable);
        assert!(matches!(e, RefreshError::Unavailable(_)));
        assert!(!e.is_invalid_grant());
        assert_eq!(e.code(), "store_unavailable");
        assert_eq!(
            RefreshError::from(AuthError::Revoked),
            RefreshError::FamilyRevoked
        );
        let bad = RefreshError::from(AuthError::BadSignature);
        assert_eq!(bad, RefreshError::Invalid(AuthError::BadSignature));
        assert!(bad.is_invalid_grant());
        assert!(
            RefreshError::from(StoreError("down".into()))
                .to_string()
                .contains("try again")
        );
    }

    #[test]
    fn only_client_side_failures_are_invalid_grants() {
        for e in [
            RefreshError::Reused,
            RefreshError::FamilyRevoked,
            RefreshError::DeviceMismatch,
            RefreshError::UserRefused,
        ] {
            assert!(e.is_invalid_grant(), "{e:?}");
        }
        for e in [
            RefreshError::Unavailable(StoreError("down".into())),
            RefreshError::Issue(IssueError::NoSigningKey),
            RefreshError::RevalidationUnset,
        ] {
            assert!(!e.is_invalid_grant(), "{e:?}");
        }
    }
}
