//! The demo resource: items kept in memory.

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
    /// Stores a new item and returns it with its id.
    pub fn create(&self, new: NewItem) -> Item {
        let mut guard = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        guard.0 += 1;
        let item = Item {
            id: guard.0,
            name: new.name,
            description: new.description,
        };
        guard.1.insert(item.id, item.clone());
        item
    }

    /// Every item, by id.
    pub fn list(&self) -> Vec<Item> {
        let guard = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        guard.1.values().cloned().collect()
    }

    /// Removes an item; `false` when there was none.
    pub fn delete(&self, id: u64) -> bool {
        let mut guard = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        guard.1.remove(&id).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_list_delete() {
        let store = ItemStore::default();
        let a = store.create(NewItem {
            name: "a".into(),
            description: String::new(),
        });
        assert_eq!(a.id, 1);
        assert_eq!(store.list(), vec![a.clone()]);
        assert!(store.delete(1));
        assert!(!store.delete(1));
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
