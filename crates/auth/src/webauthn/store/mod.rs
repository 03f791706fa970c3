//! Where registered credentials live: the [`WebAuthnCredentialStore`] trait,
//! in memory or in Redis.
//!
//! A store holds only public keys and counters (see
//! [`StoredCredential`](super::StoredCredential)). The operations that decide
//! something are atomic in the store: adding a credential checks that no
//! user has its id and that the user is under the limit; recording a use
//! moves the signature counter forward only if the new value is higher
//! (check-and-set), so two assertions racing with the same counter cannot
//! both pass.

mod memory;
#[cfg(feature = "redis")]
mod redis;

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisWebAuthnStore;
pub use memory::MemoryWebAuthnStore;

use super::StoredCredential;
use crate::revocation::StoreFuture;
use std::sync::Arc;
use uuid::Uuid;
use webauthn_rs::prelude::SecurityKey;

/// What [`WebAuthnCredentialStore::add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddOutcome {
    /// The credential is the user's now.
    Added,
    /// A credential with this id is registered already, to this user or
    /// another: nothing written.
    Duplicate,
    /// The user has the maximum number of credentials: nothing written.
    LimitReached,
}

/// A verified sign-in with a credential, to record.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CredentialUse {
    /// The signature counter the authenticator presented.
    pub counter: u32,
    /// The credential with webauthn-rs's update applied (counter, backup state).
    pub key: SecurityKey,
    /// When, Unix seconds.
    pub at: u64,
}

impl CredentialUse {
    /// A use to record.
    pub fn new(counter: u32, key: SecurityKey, at: u64) -> Self {
        Self { counter, key, at }
    }

    /// Whether `self.counter` may follow a stored counter of `stored`: it
    /// must be higher, unless the authenticator keeps no counter at all (both 0).
    pub fn advances(&self, stored: u32) -> bool {
        self.counter > stored || (self.counter == 0 && stored == 0)
    }
}

/// What [`WebAuthnCredentialStore::record_use`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UseOutcome {
    /// The counter, key and last use were written.
    Recorded,
    /// The stored counter is already at or above the presented one: nothing
    /// written. Either the key was cloned or a concurrent sign-in with the
    /// same counter won.
    CounterNotAdvanced {
        /// The counter the store holds.
        stored: u32,
    },
    /// The user has no credential with this id (removed meanwhile).
    NotFound,
}

/// Registered credentials shared between instances. Object-safe: use as
/// `Arc<dyn WebAuthnCredentialStore>`.
///
/// Implement it over the application's database to keep credentials with
/// its users: each [`StoredCredential`] serialises to JSON, and only `add`
/// and `record_use` need a transaction (or a conditional update).
pub trait WebAuthnCredentialStore: Send + Sync + 'static {
    /// The user's WebAuthn user handle (an opaque random id the
    /// authenticator keeps with the credential, never the user name), storing
    /// `candidate` as theirs when they have none yet.
    fn user_handle<'a>(&'a self, user: &'a str, candidate: Uuid) -> StoreFuture<'a, Uuid>;

    /// The user's credentials, oldest first.
    fn list<'a>(&'a self, user: &'a str) -> StoreFuture<'a, Vec<StoredCredential>>;

    /// Adds a credential for the user, unless any user has one with its id
    /// or the user already has `max`, in one atomic step.
    fn add<'a>(
        &'a self,
        user: &'a str,
        credential: &'a StoredCredential,
        max: usize,
    ) -> StoreFuture<'a, AddOutcome>;

    /// Records a sign-in with the user's credential `id` if
    /// [`CredentialUse::advances`] the stored counter (check-and-set).
    fn record_use<'a>(
        &'a self,
        user: &'a str,
        id: &'a str,
        used: &'a CredentialUse,
    ) -> StoreFuture<'a, UseOutcome>;

    /// Removes the user's credential `id`; `false` when they had none such.
    /// Another user's credential is never touched.
    fn remove<'a>(&'a self, user: &'a str, id: &'a str) -> StoreFuture<'a, bool>;
}

/// A credential store shared by services.
pub type SharedWebAuthnStore = Arc<dyn WebAuthnCredentialStore>;
