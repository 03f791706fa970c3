//! A second factor: TOTP (RFC 6238) with backup codes.
//!
//! [`Mfa`] is the service an application calls: [`Mfa::enroll`] gives a new
//! secret, its `otpauth://` URI and QR code, and ten backup codes, shown
//! once; [`Mfa::confirm`] activates the enrolment with a first code;
//! [`Mfa::verify`] checks a TOTP or backup code at login; [`Mfa::disable`]
//! resets it. State sits in an [`MfaStore`]: [`MemoryMfaStore`], or
//! `RedisMfaStore` (feature `redis`) to share it between instances.
//!
//! # Security choices
//!
//! - **Secrets** have 160 bits or more from the system CSPRNG. They reach the
//!   store only sealed with AES-256-GCM under a key derived from the
//!   application's [`MfaKey`], with the user id as associated data (a sealed
//!   secret moved to another user's record does not open). Types holding
//!   secrets or codes wipe them on drop and print `[redacted]`.
//! - **Checking** accepts the current step and one either side (±30 s of
//!   drift), computes every candidate and compares in constant time.
//! - **Replay**: the step a code matched is stored as the user's last used
//!   step by an atomic check-and-set; a code for that step or an earlier one
//!   is refused, so an observed code cannot be used again, even by a
//!   concurrent request.
//! - **Backup codes** are stored as keyed hashes (HMAC-SHA-256; why not
//!   argon2 is explained in [`backup`]) and consumed atomically: of two
//!   concurrent uses of one code, exactly one succeeds.
//! - **Throttling**: wrong codes count per account (default 5 within 15
//!   minutes lock the second factor for 15 minutes), at confirmation and at
//!   login, with an `AuthenticationFailed` event per wrong code and an
//!   `AccountLocked` event when the lock starts.
//! - **Store outages fail closed**: without its store the service accepts
//!   nothing ([`MfaError::Unavailable`], answer `503`) and emits a
//!   `StoreFailure` event. There is no fail-open switch: skipping the second
//!   factor when the store is down would let a stolen password in.
//!
//! Sealed secrets carry their algorithm and digit count, so changing
//! [`MfaBuilder::algorithm`] or [`MfaBuilder::digits`] affects new
//! enrolments only. Rotating the [`MfaKey`] is not supported: keep it for the
//! life of the enrolments, or have users enrol again.
//!
//! **Encryption at rest with rampart-crypto** (feature `crypto`):
//! `MfaBuilder::field_cipher` seals secrets with a rampart-crypto
//! `FieldCipher` instead, bound to the user (and tenant) and the field, so
//! they follow the keyring's rotation: old keys keep opening what they
//! sealed, and a secret is sealed again under the primary key at the
//! user's next accepted code, or by `Mfa::reseal`. Secrets sealed under
//! the `MfaKey` before still open and migrate the same way.

pub mod backup;
mod error;
#[cfg(feature = "crypto")]
mod field_seal;
mod seal;
mod secret;
mod service;
mod store;
mod throttle;
mod totp;
mod uri;

pub use backup::{BACKUP_CODE_COUNT, BACKUP_CODE_LEN, BackupCode};
pub use error::MfaError;
#[cfg(feature = "oob")]
pub(crate) use seal::derive;
pub use seal::{MFA_KEY_BYTES, MfaKey};
pub use secret::{MAX_SECRET_BYTES, MIN_SECRET_BYTES, TotpSecret};
pub use service::{Enrollment, Mfa, MfaBuilder, Verified};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use store::RedisMfaStore;
pub use store::{BackupHash, MemoryMfaStore, MfaRecord, MfaStore, SharedMfaStore};
pub use throttle::{
    DEFAULT_FAILURE_WINDOW, DEFAULT_LOCKOUT, DEFAULT_MAX_FAILURES, FailureOutcome, ThrottlePolicy,
};
pub use totp::{PERIOD_SECS, Totp, TotpAlgorithm, WINDOW_STEPS};
pub use uri::{MAX_LABEL_BYTES, provisioning_uri, qr_svg};
