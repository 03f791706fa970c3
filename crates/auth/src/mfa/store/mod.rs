//! Where MFA state lives: the [`MfaStore`] trait, in memory or in Redis.
//!
//! The store never sees a TOTP secret in clear (it gets bytes sealed with
//! AES-256-GCM) nor a backup code (it gets keyed hashes). Each operation
//! that decides something is atomic in the store: moving the last used
//! step forward, consuming a backup code, confirming the pending enrolment
//! that was checked and no other, counting a failure and locking.

mod memory;
#[cfg(feature = "redis")]
mod redis;

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisMfaStore;
pub use memory::MemoryMfaStore;

use super::{FailureOutcome, ThrottlePolicy};
use crate::revocation::StoreFuture;
use std::sync::Arc;

/// The stored form of a backup code: a keyed hash (see [`super::backup`]).
pub type BackupHash = [u8; 32];

/// One user's MFA state as the store holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MfaRecord {
    /// The confirmed TOTP secret, sealed; `None` when not enrolled.
    pub secret: Option<Vec<u8>>,
    /// An enrolment awaiting confirmation, sealed.
    pub pending: Option<Vec<u8>>,
    /// The last time step a TOTP was accepted for; codes for it or earlier
    /// steps are refused.
    pub last_step: Option<u64>,
    /// Unused backup codes of the confirmed enrolment.
    pub backup_codes: usize,
    /// Wrong codes counted in the current window.
    pub failures: u32,
    /// The Unix second the second factor is locked until, if it is locked
    /// (at the `now` the record was loaded for).
    pub locked_until: Option<u64>,
}

/// MFA state shared between instances. Object-safe: use as `Arc<dyn MfaStore>`.
///
/// Every method is keyed by the user id the application gives; an
/// implementation keeps one user's keys together (one Redis cluster slot).
pub trait MfaStore: Send + Sync + 'static {
    /// The user's state at `now` (Unix seconds), or `None` when the store
    /// knows nothing of them.
    fn load<'a>(&'a self, user: &'a str, now: u64) -> StoreFuture<'a, Option<MfaRecord>>;

    /// Records a pending enrolment with its backup code hashes, replacing
    /// any earlier pending one. Refused (`false`, nothing written) when the
    /// user has a confirmed enrolment.
    fn begin<'a>(
        &'a self,
        user: &'a str,
        sealed: &'a [u8],
        backup: &'a [BackupHash],
    ) -> StoreFuture<'a, bool>;

    /// Makes the pending enrolment the confirmed one, with `step` as its last
    /// used step and its backup codes as the live ones, if the pending
    /// enrolment is still `sealed` (the one whose code was checked). `false`
    /// when it was replaced or removed meanwhile.
    fn confirm<'a>(&'a self, user: &'a str, sealed: &'a [u8], step: u64) -> StoreFuture<'a, bool>;

    /// Sets the last used step to `step` if it is later than the stored one
    /// (check-and-set). `false` when it is not: the code was replayed, or a
    /// concurrent check of the same code won. `false` too when not enrolled.
    fn advance_step<'a>(&'a self, user: &'a str, step: u64) -> StoreFuture<'a, bool>;

    /// Removes the backup code with this hash, if the user is enrolled and
    /// has it; the number left when it was removed, `None` when it was not
    /// there (never issued, or already used: of two concurrent uses, one wins).
    fn consume_backup_code<'a>(
        &'a self,
        user: &'a str,
        hash: &'a BackupHash,
    ) -> StoreFuture<'a, Option<usize>>;

    /// Replaces every backup code of the confirmed enrolment. `false` (nothing
    /// written) when the user is not enrolled.
    fn replace_backup_codes<'a>(
        &'a self,
        user: &'a str,
        backup: &'a [BackupHash],
    ) -> StoreFuture<'a, bool>;

    /// Forgets the enrolment (confirmed and pending), backup codes and
    /// used-step record. Failure counters stay: disabling MFA does not reset
    /// a lock.
    fn remove<'a>(&'a self, user: &'a str) -> StoreFuture<'a, ()>;

    /// Counts one wrong code at `now` and locks when it reaches the policy's
    /// limit, in one atomic step.
    fn record_failure<'a>(
        &'a self,
        user: &'a str,
        now: u64,
        policy: ThrottlePolicy,
    ) -> StoreFuture<'a, FailureOutcome>;

    /// Resets the failure count (after a right code). A running lock stays.
    fn clear_failures<'a>(&'a self, user: &'a str) -> StoreFuture<'a, ()>;

    /// Replaces the confirmed secret `old` with `new` (the same secret
    /// sealed again, under a newer key), if it is still `old`
    /// (check-and-set: an enrolment reset meanwhile is not resurrected).
    /// The default answers a [`StoreError`](crate::StoreError): this store
    /// cannot re-seal, and secrets stay as they were sealed.
    fn replace_secret<'a>(
        &'a self,
        user: &'a str,
        old: &'a [u8],
        new: &'a [u8],
    ) -> StoreFuture<'a, bool> {
        let _ = (user, old, new);
        Box::pin(std::future::ready(Err(crate::StoreError(
            "this MFA store cannot replace a sealed secret".into(),
        ))))
    }
}

/// An MFA store shared by services.
pub type SharedMfaStore = Arc<dyn MfaStore>;
