//! Role bindings in process memory.

use super::{RoleBinding, RoleStore};
use crate::error::StoreError;
use crate::store::StoreFuture;
use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

/// Role bindings in process memory.
///
/// ```
/// use rampart::rbac::{MemoryRoleStore, RoleBinding};
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

    /// Gives `subject` a binding (no duplicate is kept). Silent: to have the
    /// change reported, make it through [`crate::Authorizer::bind_role_by`].
    pub fn bind(&self, subject: impl Into<String>, binding: RoleBinding) {
        self.insert(subject.into(), binding);
    }

    fn insert(&self, subject: String, binding: RoleBinding) -> bool {
        let mut map = self
            .bindings
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let list = map.entry(subject).or_default();
        if list.contains(&binding) {
            return false;
        }
        list.push(binding);
        true
    }

    /// Removes a binding; whether it was there. Silent: to have the change
    /// reported, make it through [`crate::Authorizer::unbind_role_by`].
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

    fn add_binding<'a>(
        &'a self,
        subject: &'a str,
        binding: &'a RoleBinding,
    ) -> StoreFuture<'a, bool> {
        let result = super::check_binding(subject, binding)
            .map(|()| self.insert(subject.to_owned(), binding.clone()));
        Box::pin(std::future::ready(result))
    }

    fn remove_binding<'a>(
        &'a self,
        subject: &'a str,
        binding: &'a RoleBinding,
    ) -> StoreFuture<'a, bool> {
        let result = super::check_binding(subject, binding).map(|()| self.unbind(subject, binding));
        Box::pin(std::future::ready(result))
    }
}
