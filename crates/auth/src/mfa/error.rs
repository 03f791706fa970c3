//! Why an MFA operation failed. No variant carries a code, a secret or a key.

use crate::StoreError;
use std::time::Duration;

/// Why an enrolment, confirmation or second-factor check failed.
///
/// The variants a client caused ([`InvalidCode`](Self::InvalidCode),
/// [`Replayed`](Self::Replayed), [`Locked`](Self::Locked),
/// [`NotEnrolled`](Self::NotEnrolled), [`NotPending`](Self::NotPending),
/// [`AlreadyEnrolled`](Self::AlreadyEnrolled)) are answered with a 4xx; a
/// store outage ([`Unavailable`](Self::Unavailable)) with `503` and
/// `Retry-After`; the rest are the server's mistake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MfaError {
    /// The code matches no step of the window, nor any unused backup code.
    /// Counted toward the lockout.
    #[error("the code is not valid")]
    InvalidCode,
    /// The code was right but its step was already used (or an earlier
    /// one's was later): a code works once. Counted toward the lockout.
    #[error("the code was already used; wait for the next one")]
    Replayed,
    /// Too many wrong codes: the second factor is locked for this account.
    #[error("too many wrong codes; try again in {} s", retry_after.as_secs())]
    Locked {
        /// How long until the lock lifts.
        retry_after: Duration,
    },
    /// The user has no confirmed enrolment.
    #[error("the user is not enrolled in MFA")]
    NotEnrolled,
    /// There is no pending enrolment to confirm (never started, or replaced
    /// by a newer one while this confirmation ran).
    #[error("there is no pending MFA enrolment to confirm; enrol first")]
    NotPending,
    /// The user already has a confirmed enrolment; disable it first.
    #[error("the user is already enrolled in MFA; disable it before enrolling again")]
    AlreadyEnrolled,
    /// The MFA store could not answer; nothing was decided (fail closed).
    #[error("MFA state is unavailable, try again shortly: {0}")]
    Unavailable(StoreError),
    /// A stored secret does not open: it was sealed under another
    /// [`MfaKey`](super::MfaKey) or for another user, or was altered.
    #[error("the stored TOTP secret cannot be opened: was the MFA key changed?")]
    Sealed,
    /// A secret of the wrong size or encoding.
    #[error("invalid TOTP secret: {0}")]
    InvalidSecret(&'static str),
    /// A code length outside 6 to 8 digits.
    #[error("a TOTP code has 6 to 8 digits, not {0}")]
    InvalidCodeLength(u8),
    /// An MFA key of the wrong size.
    #[error("invalid MFA key: {0}")]
    InvalidKey(&'static str),
    /// An issuer or account name that cannot go in a provisioning URI.
    #[error("invalid issuer or account name: {0}")]
    InvalidLabel(&'static str),
    /// The provisioning URI is too long for a QR code.
    #[error("the provisioning URI does not fit in a QR code")]
    QrCode,
    /// The cryptographic library failed (no randomness, a key it refused).
    #[error("cryptographic failure: {0}")]
    Crypto(&'static str),
}

impl MfaError {
    /// A short, stable, machine-readable name of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidCode => "invalid_code",
            Self::Replayed => "code_replayed",
            Self::Locked { .. } => "mfa_locked",
            Self::NotEnrolled => "not_enrolled",
            Self::NotPending => "not_pending",
            Self::AlreadyEnrolled => "already_enrolled",
            Self::Unavailable(_) => "store_unavailable",
            Self::Sealed => "sealed_secret_unreadable",
            Self::InvalidSecret(_) => "invalid_secret",
            Self::InvalidCodeLength(_) => "invalid_code_length",
            Self::InvalidKey(_) => "invalid_key",
            Self::InvalidLabel(_) => "invalid_label",
            Self::QrCode => "qr_code",
            Self::Crypto(_) => "crypto",
        }
    }
}

impl From<StoreError> for MfaError {
    fn from(e: StoreError) -> Self {
        Self::Unavailable(e)
    }
}
