//! Grants: one subject may perform some actions on one resource instance,
//! optionally until a deadline, independently of its roles.
//!
//! Roles answer "what may editors do"; grants answer "bob may read document 42
//! until Friday". A grant never overrides a policy `deny` rule.

mod memory;
#[cfg(feature = "redis")]
mod redis;

pub use memory::MemoryGrantStore;
#[cfg(feature = "redis")]
pub use redis::RedisGrantStore;

use crate::Resource;
use crate::store::StoreFuture;
use rampart_core::Principal;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Actions on one resource instance granted to one subject, inside one tenant
/// (or, when an operator says so, in every tenant).
///
/// Resource ids are often unique only inside a tenant (`docs/7` exists in
/// `acme` and in `globex`), so a grant names the tenant it was given in and
/// reaches only that tenant's instance, for a principal of that tenant. A grant
/// that crosses tenants must be made with [`Grant::global`] on purpose.
///
/// ```
/// use rampart::core::{AuthMethod, Principal};
/// use rampart::rbac::{Grant, Resource};
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let until = UNIX_EPOCH + Duration::from_secs(2_000);
/// let g = Grant::in_tenant("acme", "bob", "documents", "42", ["read", "comment"]).expires_at(until);
/// assert!(g.allows("read", UNIX_EPOCH + Duration::from_secs(1_999)));
/// assert!(!g.allows("read", until));
/// assert!(!g.allows("delete", UNIX_EPOCH));
///
/// let bob = Principal::new("bob", AuthMethod::Jwt).with_tenant("acme");
/// assert!(g.covers(&bob, &Resource::new("documents").with_id("42")));
/// assert!(!g.covers(&bob, &Resource::new("documents").with_id("42").with_tenant("globex")));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Grant {
    /// The tenant the grant was given in, or `None` for a global grant. Always
    /// written out and required when read back, so a record that predates
    /// tenants is refused rather than read as global.
    #[serde(deserialize_with = "Option::deserialize")]
    pub tenant: Option<String>,
    /// Who may act.
    pub subject: String,
    /// The kind of resource (`documents`).
    pub resource_type: String,
    /// The instance (`42`).
    pub resource_id: String,
    /// The actions (`read`), or `*` for all.
    pub actions: Vec<String>,
    /// When the grant lapses (exclusive), if ever.
    #[serde(default, with = "unix_ms", skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<SystemTime>,
}

impl Grant {
    /// A grant without expiry on `tenant`'s instance `resource_id`, for `subject`
    /// as a member of `tenant`.
    pub fn in_tenant<I, S>(
        tenant: impl Into<String>,
        subject: impl Into<String>,
        resource_type: impl Into<String>,
        resource_id: impl Into<String>,
        actions: I,
    ) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            tenant: Some(tenant.into()),
            ..Self::global(subject, resource_type, resource_id, actions)
        }
    }

    /// A grant without expiry on instance `resource_id` of every tenant, whatever
    /// tenant `subject` acts in: for operators, and for applications whose ids
    /// are unique across tenants. Prefer [`Grant::in_tenant`].
    pub fn global<I, S>(
        subject: impl Into<String>,
        resource_type: impl Into<String>,
        resource_id: impl Into<String>,
        actions: I,
    ) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            tenant: None,
            subject: subject.into(),
            resource_type: resource_type.into(),
            resource_id: resource_id.into(),
            actions: actions.into_iter().map(Into::into).collect(),
            expires_at: None,
        }
    }

    /// Lapses at `at`.
    #[must_use]
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Whether the grant has lapsed at `now`.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }

    /// Whether the grant allows `action` at `now`.
    pub fn allows(&self, action: &str, now: SystemTime) -> bool {
        !self.is_expired(now) && self.actions.iter().any(|a| a == "*" || a == action)
    }

    /// Whether the grant is about `resource` for `principal`: same subject, kind
    /// and id, and, for a tenant grant, the principal acts in that tenant and the
    /// resource is not known to be in another one (a resource whose tenant is
    /// unknown is taken to be in the principal's, as everywhere in this crate).
    pub fn covers(&self, principal: &Principal, resource: &Resource<'_>) -> bool {
        let same_instance = self.subject == principal.subject()
            && self.resource_type == resource.kind()
            && resource.id() == Some(self.resource_id.as_str());
        same_instance && self.applies_in(principal.tenant(), resource.tenant())
    }

    /// The tenant half of [`Grant::covers`].
    pub(crate) fn applies_in(
        &self,
        principal_tenant: Option<&str>,
        resource_tenant: Option<&str>,
    ) -> bool {
        match &self.tenant {
            None => true,
            Some(t) => {
                principal_tenant == Some(t.as_str()) && resource_tenant.is_none_or(|r| r == t)
            }
        }
    }

    pub(crate) fn validate(&self) -> Result<(), crate::StoreError> {
        if self.subject.is_empty()
            || self.resource_type.is_empty()
            || self.resource_id.is_empty()
            || self.tenant.as_deref() == Some("")
        {
            return Err(crate::StoreError::Invalid(
                "grant: subject, resource type, resource id and tenant (when set) must be non-empty",
            ));
        }
        Ok(())
    }
}

mod unix_ms {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        t: &Option<SystemTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let ms = t
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        ms.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        let ms: Option<u64> = Option::deserialize(d)?;
        Ok(ms.map(|ms| UNIX_EPOCH + Duration::from_millis(ms)))
    }
}

/// Where grants live. A grant is identified by (tenant, subject, resource type,
/// resource id), the tenant being `None` for a global grant.
///
/// Implementations return grants whether or not they have expired; the
/// [`crate::Authorizer`] compares expiry with its own clock, so tests and every
/// store agree on what "now" is. It also checks again that what a store returns
/// covers the request ([`Grant::covers`]), so a store that returns too much
/// cannot widen access.
///
/// Give and take grants through [`crate::Authorizer::grant_by`] and
/// [`crate::Authorizer::revoke_grant_by`], which report each change as a
/// `PrivilegeChanged` event; calling the store directly changes the grant
/// silently.
pub trait GrantStore: Send + Sync + 'static {
    /// Stores `grant`, replacing any grant of the same subject on the same
    /// resource in the same tenant (or the same global grant).
    fn grant(&self, grant: Grant) -> StoreFuture<'_, ()>;

    /// Removes the subject's grant on the resource in `tenant` (`None`: its global
    /// grant); whether there was one.
    fn revoke<'a>(
        &'a self,
        tenant: Option<&'a str>,
        subject: &'a str,
        resource_type: &'a str,
        resource_id: &'a str,
    ) -> StoreFuture<'a, bool>;

    /// The subject's grant on the resource in `tenant` (`None`: its global grant).
    fn get<'a>(
        &'a self,
        tenant: Option<&'a str>,
        subject: &'a str,
        resource_type: &'a str,
        resource_id: &'a str,
    ) -> StoreFuture<'a, Option<Grant>>;

    /// The grants that may apply to a check in `tenant`: the subject's grant on
    /// the resource in `tenant` (when given), then its global one. The default
    /// asks [`GrantStore::get`] for each; a store over a network should answer in
    /// one round trip.
    fn lookup<'a>(
        &'a self,
        tenant: Option<&'a str>,
        subject: &'a str,
        resource_type: &'a str,
        resource_id: &'a str,
    ) -> StoreFuture<'a, Vec<Grant>> {
        Box::pin(async move {
            let mut found = Vec::new();
            if tenant.is_some() {
                found.extend(
                    self.get(tenant, subject, resource_type, resource_id)
                        .await?,
                );
            }
            found.extend(self.get(None, subject, resource_type, resource_id).await?);
            Ok(found)
        })
    }

    /// Every grant of the subject on resources of `resource_type`, in every tenant
    /// and global (for data filters, which keep those that apply).
    fn list<'a>(&'a self, subject: &'a str, resource_type: &'a str) -> StoreFuture<'a, Vec<Grant>>;

    /// Removes the grant stored where `grant` belongs only if it is still
    /// exactly `grant`; whether it was removed. The authorizer removes lapsed
    /// grants this way, so that a grant renewed meanwhile (same resource, a new
    /// expiry) survives, and only one of several instances reports the lapse.
    ///
    /// The default reads with [`GrantStore::get`], then revokes: a renewal
    /// landing between the two is lost. Stores that can compare and delete in
    /// one step should (the memory and Redis stores do).
    fn remove_exact<'a>(&'a self, grant: &'a Grant) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let (tenant, subject) = (grant.tenant.as_deref(), grant.subject.as_str());
            let (kind, id) = (grant.resource_type.as_str(), grant.resource_id.as_str());
            if self.get(tenant, subject, kind, id).await?.as_ref() != Some(grant) {
                return Ok(false);
            }
            self.revoke(tenant, subject, kind, id).await
        })
    }
}
