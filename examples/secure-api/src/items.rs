//! The demo resource: items kept in memory, each belonging to a tenant.
//!
//! Every read and write names an [`ItemScope`]: a caller sees and deletes only
//! its own tenant's items; another tenant's item is answered as if it did not
//! exist, so ids cannot be probed across tenants.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{PoisonError, RwLock};

/// A stored item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// Assigned by the store.
    pub id: u64,
    /// Short name, 1 to 100 characters.
    pub name: String,
    /// Free text, up to 2000 characters.
    pub description: String,
    /// The tenant of the caller who created it (`None`: created by a caller
    /// without a tenant). Not part of the JSON contract.
    #[serde(skip)]
    pub tenant: Option<String>,
}

/// Which items a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemScope {
    /// One tenant's items (a caller with a tenant, whatever its roles).
    Tenant(String),
    /// Items created without a tenant (a caller without a tenant).
    Untenanted,
    /// Every tenant's items (an administrator without a tenant).
    All,
}

impl ItemScope {
    fn contains(&self, item: &Item) -> bool {
        match self {
            Self::Tenant(tenant) => item.tenant.as_deref() == Some(tenant.as_str()),
            Self::Untenanted => item.tenant.is_none(),
            Self::All => true,
        }
    }
}

/// The body of `POST /api/items`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    /// Short name.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
}

impl NewItem {
    /// Checks the lengths and characters; the message says which field is wrong.
    ///
    /// # Errors
    /// What is wrong, for the client.
    pub fn validate(&self) -> Result<(), &'static str> {
        let name_len = self.name.chars().count();
        if name_len == 0 || name_len > 100 || self.name.trim().is_empty() {
            return Err("name must be 1 to 100 characters");
        }
        if self.name.chars().any(char::is_control) {
            return Err("name must not contain control characters");
        }
        if self.description.chars().count() > 2000 {
            return Err("description must be at most 2000 characters");
        }
        Ok(())
    }
}

/// Items by id.
#[derive(Debug, Default)]
pub struct ItemStore {
    inner: RwLock<(u64, BTreeMap<u64, Item>)>,
}

impl ItemStore {
    /// Stores a new item for `tenant` and returns it with its id.
    pub fn create(&self, new: NewItem, tenant: Option<String>) -> Item {
        let mut guard = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        guard.0 += 1;
        let item = Item {
            id: guard.0,
            name: new.name,
            description: new.description,
            tenant,
        };
        guard.1.insert(item.id, item.clone());
        item
    }

    /// The items in `scope`, by id.
    pub fn list(&self, scope: &ItemScope) -> Vec<Item> {
        let guard = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        guard
            .1
            .values()
            .filter(|item| scope.contains(item))
            .cloned()
            .collect()
    }

    /// How many items `scope` holds.
    pub fn count(&self, scope: &ItemScope) -> usize {
        let guard = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        guard.1.values().filter(|item| scope.contains(item)).count()
    }

    /// Removes an item in `scope`; `false` when there was none there (an item
    /// of another tenant included).
    pub fn delete(&self, id: u64, scope: &ItemScope) -> bool {
        let mut guard = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if guard.1.get(&id).is_some_and(|item| scope.contains(item)) {
            guard.1.remove(&id).is_some()
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_item(name: &str) -> NewItem {
        NewItem {
            name: name.into(),
            description: String::new(),
        }
    }

    #[test]
    fn create_list_delete() {
        let store = ItemStore::default();
        let acme = ItemScope::Tenant("acme".into());
        let a = store.create(new_item("a"), Some("acme".into()));
        assert_eq!(a.id, 1);
        assert_eq!(store.list(&acme), vec![a.clone()]);
        assert!(store.delete(1, &acme));
        assert!(!store.delete(1, &acme));
    }

    #[test]
    fn scopes_see_only_their_items() {
        let store = ItemStore::default();
        let acme = ItemScope::Tenant("acme".into());
        let globex = ItemScope::Tenant("globex".into());
        let a = store.create(new_item("a"), Some("acme".into()));
        let g = store.create(new_item("g"), Some("globex".into()));
        let n = store.create(new_item("n"), None);
        assert_eq!(store.list(&acme), vec![a.clone()]);
        assert_eq!(store.list(&globex), vec![g.clone()]);
        assert_eq!(store.list(&ItemScope::Untenanted), vec![n.clone()]);
        assert_eq!(store.list(&ItemScope::All), vec![a.clone(), g.clone(), n]);
        assert_eq!(store.count(&acme), 1);
        assert_eq!(store.count(&ItemScope::All), 3);
        // Another tenant's id is not there, and stays there.
        assert!(!store.delete(g.id, &acme));
        assert!(!store.delete(g.id, &ItemScope::Untenanted));
        assert_eq!(store.list(&globex), vec![g.clone()]);
        assert!(store.delete(g.id, &ItemScope::All));
        assert!(store.list(&globex).is_empty());
        // A prefix of a tenant name is another tenant.
        let _ = store.create(new_item("x"), Some("acme-eu".into()));
        assert_eq!(store.list(&acme), vec![a]);
    }

    #[test]
    fn validation_names_the_field() {
        let bad = NewItem {
            name: " ".into(),
            description: String::new(),
        };
        assert!(bad.validate().unwrap_err().contains("name"));
        let long = NewItem {
            name: "x".into(),
            description: "d".repeat(2001),
        };
        assert!(long.validate().unwrap_err().contains("description"));
    }
}
