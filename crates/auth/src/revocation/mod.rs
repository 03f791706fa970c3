//! Revocations and refresh-token families, behind store traits.
//!
//! A JWT is valid until it expires unless something remembers otherwise. These
//! stores remember, for no longer than the tokens they concern can live:
//! revoked token ids, revoked families (sessions), "log out everywhere"
//! cut-offs per subject, and the rotation state of each refresh family.
//!
//! Every entry carries its own expiry and is checked against the configured
//! [`Clock`](rampart_core::Clock), so correctness never depends on the
//! backend's eviction timing.

mod listing;
mod memory;
#[cfg(feature = "redis")]
mod redis;
mod responder;

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisStore;
pub use listing::{FamilyClient, FamilyInfo};
pub use memory::MemoryStore;
pub use responder::RevocationResponder;

use crate::error::StoreError;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The future a store returns: boxed so the traits stay object-safe and a
/// verifier can hold any store behind an `Arc<dyn ...>`.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// What a revocation check needs to know about a token.
#[derive(Debug, Clone, Copy)]
pub struct TokenRef<'a> {
    /// `sub`.
    pub subject: &'a str,
    /// `jti`, if the token has one (tokens from external OIDC providers may
    /// not). `None` never matches a revoked-token entry, so one jti-less
    /// token's logout cannot revoke every other jti-less token; family and
    /// subject-wide revocations still cover it.
    pub jti: Option<&'a str>,
    /// `sid`, the refresh family, if any.
    pub family: Option<&'a str>,
    /// `iat`, seconds since the epoch.
    pub issued_at: u64,
}

/// Why a token is revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Revoked {
    /// Its own `jti` was revoked.
    Token,
    /// Its family (session) was revoked: logout, or refresh-token reuse.
    Family,
    /// Its subject logged out everywhere after it was issued.
    Subject,
}

/// Remembers revoked tokens until they would have expired anyway.
///
/// `until` arguments are seconds since the epoch after which the entry is
/// useless (the latest expiry of any token it concerns) and may be forgotten.
pub trait RevocationStore: Send + Sync + 'static {
    /// Revokes one token by its `jti`.
    ///
    /// An empty `jti` is refused with a [`StoreError`]: it would not name one
    /// token but every token that lacks a `jti`. To cut off tokens without
    /// one, revoke their family or their subject.
    fn revoke_token<'a>(
        &'a self,
        subject: &'a str,
        jti: &'a str,
        until: u64,
    ) -> StoreFuture<'a, ()>;

    /// Revokes every token of a family (a sign-in session).
    fn revoke_family<'a>(
        &'a self,
        subject: &'a str,
        family: &'a str,
        until: u64,
    ) -> StoreFuture<'a, ()>;

    /// Revokes every token of `subject` issued at or before `before` ("log out
    /// everywhere"). A later call with an earlier `before` does not undo it.
    fn revoke_subject<'a>(
        &'a self,
        subject: &'a str,
        before: u64,
        until: u64,
    ) -> StoreFuture<'a, ()>;

    /// Whether `token` is revoked, and why, as of `now`.
    fn check<'a>(&'a self, token: TokenRef<'a>, now: u64) -> StoreFuture<'a, Option<Revoked>>;
}

/// The state of one refresh-token family as the store sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewFamily {
    /// The family (session) id, the `sid` of all its tokens.
    pub family: String,
    /// Its subject.
    pub subject: String,
    /// The `jti` of the one refresh token that may be used next.
    pub current: String,
    /// The device the family is bound to, if any.
    pub device: Option<String>,
    /// When the family may be forgotten (its refresh token's expiry).
    pub until: u64,
    /// The family's absolute end, seconds since the epoch: no rotation moves
    /// `until` past it, so a sign-in cannot be stretched forever by refreshing.
    pub deadline: u64,
}

/// One rotation request.
#[derive(Debug, Clone, Copy)]
pub struct Rotation<'a> {
    /// The family id (`sid` of the presented refresh token).
    pub family: &'a str,
    /// The subject (`sub` of the presented refresh token).
    pub subject: &'a str,
    /// The `jti` of the presented refresh token.
    pub presented: &'a str,
    /// The `jti` of the refresh token about to be issued.
    pub next: &'a str,
    /// The device presenting it, if the client sends one.
    pub device: Option<&'a str>,
    /// Now, seconds since the epoch.
    pub now: u64,
    /// How long after a rotation the token it replaced is still accepted
    /// (concurrent refreshes from one client); 0 for strict single use.
    pub grace_secs: u64,
    /// The new expiry of the family (the next refresh token's). The store
    /// caps it at the family's [`deadline`](NewFamily::deadline).
    pub until: u64,
}

/// What a rotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RotationOutcome {
    /// The presented token was current: the next one replaces it.
    Rotated,
    /// The presented token was replaced moments ago, within the grace
    /// window: the next one is accepted as well.
    Grace,
    /// The presented token was used before, outside any grace window: the
    /// family is now revoked.
    Reused,
    /// The family is revoked, expired (its refresh token's expiry or its
    /// absolute deadline has passed) or unknown.
    Revoked,
    /// The family is bound to another device; nothing changed.
    DeviceMismatch,
}

/// Remembers which refresh token of each family may be used next.
pub trait FamilyStore: Send + Sync + 'static {
    /// Records a new family at sign-in.
    fn create_family<'a>(&'a self, family: &'a NewFamily) -> StoreFuture<'a, ()>;

    /// Atomically checks the presented token against the family and rotates it.
    fn rotate<'a>(&'a self, rotation: Rotation<'a>) -> StoreFuture<'a, RotationOutcome>;

    /// Marks a family revoked so none of its refresh tokens rotates again.
    /// A family that is not `subject`'s is left alone.
    fn end_family<'a>(
        &'a self,
        subject: &'a str,
        family: &'a str,
        until: u64,
    ) -> StoreFuture<'a, ()>;

    /// Records a new family at sign-in with the client it came from, and
    /// indexes it under its subject for
    /// [`list_families`](Self::list_families). The default forgets the
    /// client and records the family with
    /// [`create_family`](Self::create_family): a store that cannot list.
    fn create_family_with_client<'a>(
        &'a self,
        family: &'a NewFamily,
        client: &'a FamilyClient,
    ) -> StoreFuture<'a, ()> {
        let _ = client;
        self.create_family(family)
    }

    /// The live families of `subject` at `now` (not ended, not expired),
    /// oldest sign-in first. Only `subject`'s: a store keys its index by
    /// subject, so no argument lists another's. The default answers a
    /// [`StoreError`]: this store cannot list.
    fn list_families<'a>(&'a self, subject: &'a str, now: u64) -> StoreFuture<'a, Vec<FamilyInfo>> {
        let _ = (subject, now);
        Box::pin(std::future::ready(Err(StoreError(
            "this refresh family store cannot list a subject's families".into(),
        ))))
    }
}

/// Refuses an empty `jti` before a store records it; see
/// [`RevocationStore::revoke_token`].
fn require_jti(jti: &str) -> Result<(), StoreError> {
    if jti.is_empty() {
        return Err(StoreError(
            "refusing to revoke an empty jti: it would revoke every token without one; revoke the family or subject instead".into(),
        ));
    }
    Ok(())
}

/// A revocation store shared by a verifier, a token manager and the layer.
pub type SharedRevocationStore = Arc<dyn RevocationStore>;

/// A family store shared by token managers.
pub type SharedFamilyStore = Arc<dyn FamilyStore>;

/// What to do when a store cannot be asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FailMode {
    /// Refuse the token: a revoked token never slips through (the default).
    #[default]
    Closed,
    /// Accept the token as if nothing were revoked. Only for services where
    /// availability outweighs honouring a logout; set with `insecure_fail_open`.
    Open,
}
