//! Role bindings kept outside the policy and the token.

use crate::error::StoreError;
use crate::store::StoreFuture;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

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
}

/// Where role bindings live when they change more often than the policy and
/// should not wait for a new token (a membership table, an admin console).
///
/// Consulted by [`crate::Authorizer::check_with_stores`] only when the token's
/// roles and the policy's bindings do not already decide.
pub trait RoleStore: Send + Sync + 'static {
    /// The bindings of `subject`.
    fn bindings<'a>(&'a self, subject: &'a str) -> StoreFuture<'a, Vec<RoleBinding>>;
}

/// Role bindings in process memory.
///
/// ```
/// use rampart_rbac::{MemoryRoleStore, RoleBinding};
///
/// let store = MemoryRoleStore::new();
/// store.bind("alice", RoleBinding::in_tenant("admin", "A"));
/// store.bind("alice", RoleBinding::in_tenant("viewer", "B"));
/// assert_eq!(store.bindings_of("alice").len(), 2);
/// ```
#[derive(Debug, Default)]
pub struct MemoryRoleStore {
    bindings: RwLock<HashMap<String, Vec<RoleBinding>>>,
}

impl MemoryRoleStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Gives `subject` a binding (no duplicate is kept).
    pub fn bind(&self, subject: impl Into<String>, binding: RoleBinding) {
        let mut map = self
            .bindings
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let list = map.entry(subject.into()).or_default();
        if !list.contains(&binding) {
            list.push(binding);
        }
    }

    /// Removes a binding; whether it was there.
    pub fn unbind(&self, subject: &str, binding: &RoleBinding) -> bool {
        let mut map = self
            .bindings
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(list) = map.get_mut(subject) else {
            return false;
        };
        let before = list.len();
        list.retain(|b| b != binding);
        before != list.len()
    }

    /// The bindings of `subject`, synchronously.
    pub fn bindings_of(&self, subject: &str) -> Vec<RoleBinding> {
        self.bindings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(subject)
            .cloned()
            .unwrap_or_default()
    }
}

impl RoleStore for MemoryRoleStore {
    fn bindings<'a>(&'a self, subject: &'a str) -> StoreFuture<'a, Vec<RoleBinding>> {
        let result = if subject.is_empty() {
            Err(StoreError::Invalid("role store: subject is empty"))
        } else {
            Ok(self.bindings_of(subject))
        };
        Box::pin(std::future::ready(result))
    }
}
