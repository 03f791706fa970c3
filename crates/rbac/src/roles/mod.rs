//! Role bindings kept outside the policy and the token.

mod memory;
#[cfg(feature = "redis")]
mod redis;

pub use memory::MemoryRoleStore;
#[cfg(feature = "redis")]
pub use redis::RedisRoleStore;

use crate::StoreError;
use crate::store::StoreFuture;
use serde::{Deserialize, Serialize};

/// A role held by a subject, everywhere or in one tenant or organisation
/// (alice is `admin` in tenant A and `viewer` in B).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RoleBinding {
    /// The role's name in the policy.
    pub role: String,
    /// Only in this tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Only in this organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
}

impl RoleBinding {
    /// `role` everywhere.
    pub fn global(role: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            tenant: None,
            org: None,
        }
    }

    /// `role` in `tenant` only.
    pub fn in_tenant(role: impl Into<String>, tenant: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            tenant: Some(tenant.into()),
            org: None,
        }
    }

    /// `role` in `org` only.
    pub fn in_org(role: impl Into<String>, org: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            tenant: None,
            org: Some(org.into()),
        }
    }

    /// Refuses what the policy could never have written: an invalid role name, or
    /// an empty tenant or org (which would read as "no limit" in some stores).
    pub(crate) fn validate(&self) -> Result<(), crate::StoreError> {
        if !crate::policy::valid_role_name(&self.role)
            || self.tenant.as_deref() == Some("")
            || self.org.as_deref() == Some("")
        {
            return Err(crate::StoreError::Invalid(
                "role binding: role must be a valid role name, tenant and org non-empty when set",
            ));
        }
        Ok(())
    }
}

/// Where role bindings live when they change more often than the policy and
/// should not wait for a new token (a membership table, an admin console).
///
/// Consulted by [`crate::Authorizer::check_with_stores`] only when the token's
/// roles and the policy's bindings do not already decide.
///
/// Change bindings through [`crate::Authorizer::bind_role_by`] and
/// [`crate::Authorizer::unbind_role_by`], which call
/// [`RoleStore::add_binding`] and [`RoleStore::remove_binding`] and report
/// each change as a `PrivilegeChanged` event; the store's own methods change
/// the binding silently.
pub trait RoleStore: Send + Sync + 'static {
    /// The bindings of `subject`.
    fn bindings<'a>(&'a self, subject: &'a str) -> StoreFuture<'a, Vec<RoleBinding>>;

    /// Gives `subject` `binding`; whether it was new. The default refuses with
    /// [`StoreError::Unsupported`], for stores the application fills elsewhere
    /// (a directory, a membership table it owns).
    fn add_binding<'a>(
        &'a self,
        subject: &'a str,
        binding: &'a RoleBinding,
    ) -> StoreFuture<'a, bool> {
        let _ = (subject, binding);
        Box::pin(std::future::ready(Err(StoreError::Unsupported(
            "this role store is read-only",
        ))))
    }

    /// Takes `binding` from `subject`; whether it was there. The default
    /// refuses as [`RoleStore::add_binding`] does.
    fn remove_binding<'a>(
        &'a self,
        subject: &'a str,
        binding: &'a RoleBinding,
    ) -> StoreFuture<'a, bool> {
        let _ = (subject, binding);
        Box::pin(std::future::ready(Err(StoreError::Unsupported(
            "this role store is read-only",
        ))))
    }
}

/// The checks every store makes before writing a binding.
pub(crate) fn check_binding(subject: &str, binding: &RoleBinding) -> Result<(), StoreError> {
    if subject.is_empty() {
        return Err(StoreError::Invalid("role store: subject is empty"));
    }
    binding.validate()
}
