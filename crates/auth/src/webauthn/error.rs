//! Why a WebAuthn ceremony failed. No variant carries a challenge, a key or
//! the client's response.

use crate::StoreError;

/// Why a registration or authentication ceremony, or a credential
/// operation, failed.
///
/// The variants a client caused (the response, the ceremony id, the key
/// name, an unknown or cloned credential) are answered with a 4xx; a store
/// outage ([`Unavailable`](Self::Unavailable)) with `503` and `Retry-After`;
/// [`Internal`](Self::Internal) with `500`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebAuthnError {
    /// No pending ceremony has this id: it never existed, was already
    /// finished (each works once, whatever its outcome) or was dropped to
    /// make room for a newer one of the same user.
    #[error("no pending WebAuthn ceremony has this id; start again")]
    CeremonyNotFound,
    /// The ceremony was started too long ago.
    #[error("the WebAuthn ceremony expired; start again")]
    CeremonyExpired,
    /// The ceremony belongs to another user, or is a registration presented
    /// as an authentication (or the reverse). It stays usable by its owner.
    #[error("the WebAuthn ceremony was not started by this user for this purpose")]
    CeremonyMismatch,
    /// Too many ceremonies are pending on this instance; try again shortly.
    #[error("too many WebAuthn ceremonies are pending; try again shortly")]
    Busy,
    /// The client's response is not the JSON of a WebAuthn credential
    /// (wrong shape, bad base64url, too large).
    #[error("the WebAuthn response is malformed: {0}")]
    MalformedResponse(String),
    /// The response was well-formed but does not verify: wrong challenge,
    /// origin or relying party, bad signature, user not present.
    #[error("the WebAuthn response was refused: {0}")]
    Rejected(String),
    /// The assertion was made with a credential the user does not have
    /// (another user's key, one removed meanwhile, another authenticator).
    #[error("the credential is not registered for this user")]
    UnknownCredential,
    /// The authenticator's signature counter did not move forward: a sign
    /// that the credential's private key was copied. Refused, and reported
    /// as an attack.
    #[error("the authenticator's signature counter went backwards: possible cloned key")]
    PossibleClone,
    /// The credential is already registered (to this or another user).
    #[error("this security key is already registered")]
    DuplicateCredential,
    /// The user has as many credentials as allowed; remove one first.
    #[error("at most {max} security keys per user; remove one first")]
    TooManyCredentials {
        /// The per-user limit.
        max: usize,
    },
    /// The user has no registered credential to authenticate with.
    #[error("the user has no registered security key")]
    NoCredentials,
    /// A credential name that is empty, too long or has control characters.
    #[error("invalid security key name: {0}")]
    InvalidName(&'static str),
    /// The credential store could not answer; nothing was decided (fail closed).
    #[error("WebAuthn state is unavailable, try again shortly: {0}")]
    Unavailable(StoreError),
    /// The WebAuthn library failed where the client had no part (making a
    /// challenge, no randomness).
    #[error("WebAuthn failure: {0}")]
    Internal(String),
}

impl WebAuthnError {
    /// A short, stable, machine-readable name of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::CeremonyNotFound => "ceremony_not_found",
            Self::CeremonyExpired => "ceremony_expired",
            Self::CeremonyMismatch => "ceremony_mismatch",
            Self::Busy => "busy",
            Self::MalformedResponse(_) => "malformed_response",
            Self::Rejected(_) => "response_rejected",
            Self::UnknownCredential => "unknown_credential",
            Self::PossibleClone => "possible_clone",
            Self::DuplicateCredential => "duplicate_credential",
            Self::TooManyCredentials { .. } => "too_many_credentials",
            Self::NoCredentials => "no_credentials",
            Self::InvalidName(_) => "invalid_name",
            Self::Unavailable(_) => "store_unavailable",
            Self::Internal(_) => "internal",
        }
    }

    /// Whether the client caused the failure (answer 4xx): everything but an
    /// outage, [`Busy`](Self::Busy) and [`Internal`](Self::Internal).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, Self::Unavailable(_) | Self::Busy | Self::Internal(_))
    }
}

impl From<StoreError> for WebAuthnError {
    fn from(e: StoreError) -> Self {
        Self::Unavailable(e)
    }
}
