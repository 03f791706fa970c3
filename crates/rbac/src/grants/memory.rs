//! Grants in process memory.

use super::{Grant, GrantStore};
use crate::error::StoreError;
use crate::store::StoreFuture;
use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};
use std::time::SystemTime;

type Key = (String, String);

/// Grants held in a map in this process: the default, and what tests use.
/// Instances do not share it; use the Redis store for several instances.
#[derive(Debug, Default)]
pub struct MemoryGrantStore {
    grants: RwLock<HashMap<Key, HashMap<String, Grant>>>,
}

impl MemoryGrantStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Drops every grant that has lapsed at `now`; how many were dropped.
    /// Lapsed grants never allow anything, this only frees memory.
    pub fn purge_expired(&self, now: SystemTime) -> usize {
        let mut map = self.grants.write().unwrap_or_else(PoisonError::into_inner);
        let mut dropped = 0;
        for per_resource in map.values_mut() {
            let before = per_resource.len();
            per_resource.retain(|_, g| !g.is_expired(now));
            dropped += before - per_resource.len();
        }
        map.retain(|_, v| !v.is_empty());
        dropped
    }

    /// How many grants are stored, lapsed or not.
    pub fn len(&self) -> usize {
        self.grants
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(HashMap::len)
            .sum()
    }

    /// Whether no grant is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn ready<T: Send + 'static>(v: Result<T, StoreError>) -> StoreFuture<'static, T> {
    Box::pin(std::future::ready(v))
}

fn valid(grant: &Grant) -> Result<(), StoreError> {
    if grant.subject.is_empty() || grant.resource_type.is_empty() || grant.resource_id.is_empty() {
        return Err(StoreError::Invalid(
            "grant: subject, resource type and resource id must be non-empty",
        ));
    }
    Ok(())
}

impl GrantStore for MemoryGrantStore {
    fn grant(&self, grant: Grant) -> StoreFuture<'_, ()> {
        if let Err(e) = valid(&grant) {
            return ready(Err(e));
        }
        let mut map = self.grants.write().unwrap_or_else(PoisonError::into_inner);
        map.entry((grant.subject.clone(), grant.resource_type.clone()))
            .or_default()
            .insert(grant.resource_id.clone(), grant);
        ready(Ok(()))
    }

    fn revoke<'a>(&'a self, subject: &'a str, kind: &'a str, id: &'a str) -> StoreFuture<'a, bool> {
        let mut map = self.grants.write().unwrap_or_else(PoisonError::into_inner);
        let key = (subject.to_owned(), kind.to_owned());
        let removed = map.get_mut(&key).and_then(|m| m.remove(id)).is_some();
        if map.get(&key).is_some_and(HashMap::is_empty) {
            map.remove(&key);
        }
        ready(Ok(removed))
    }

    fn get<'a>(
        &'a self,
        subject: &'a str,
        kind: &'a str,
        id: &'a str,
    ) -> StoreFuture<'a, Option<Grant>> {
        let map = self.grants.read().unwrap_or_else(PoisonError::into_inner);
        let found = map
            .get(&(subject.to_owned(), kind.to_owned()))
            .and_then(|m| m.get(id))
            .cloned();
        ready(Ok(found))
    }

    fn list<'a>(&'a self, subject: &'a str, kind: &'a str) -> StoreFuture<'a, Vec<Grant>> {
        let map = self.grants.read().unwrap_or_else(PoisonError::into_inner);
        let mut found: Vec<Grant> = map
            .get(&(subject.to_owned(), kind.to_owned()))
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        found.sort_by(|a, b| a.resource_id.cmp(&b.resource_id));
        ready(Ok(found))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn block<T>(f: StoreFuture<'_, T>) -> Result<T, StoreError> {
        // The memory store's futures are ready at once.
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut f = f;
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("memory store future was pending"),
        }
    }

    #[test]
    fn grant_get_list_revoke() {
        let store = MemoryGrantStore::new();
        block(store.grant(Grant::new("bob", "doc", "2", ["read"]))).unwrap();
        block(store.grant(Grant::new("bob", "doc", "1", ["*"]))).unwrap();
        block(store.grant(Grant::new("eve", "doc", "1", ["read"]))).unwrap();
        assert_eq!(
            block(store.get("bob", "doc", "1"))
                .unwrap()
                .unwrap()
                .actions,
            ["*"]
        );
        let ids: Vec<_> = block(store.list("bob", "doc"))
            .unwrap()
            .into_iter()
            .map(|g| g.resource_id)
            .collect();
        assert_eq!(ids, ["1", "2"]);
        assert!(block(store.revoke("bob", "doc", "1")).unwrap());
        assert!(!block(store.revoke("bob", "doc", "1")).unwrap());
        assert!(block(store.get("bob", "doc", "1")).unwrap().is_none());
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn purge_drops_only_lapsed_grants() {
        let store = MemoryGrantStore::new();
        let t = UNIX_EPOCH + Duration::from_secs(100);
        block(store.grant(Grant::new("bob", "doc", "1", ["read"]).expires_at(t))).unwrap();
        block(store.grant(Grant::new("bob", "doc", "2", ["read"]))).unwrap();
        assert_eq!(store.purge_expired(t - Duration::from_secs(1)), 0);
        assert_eq!(store.purge_expired(t), 1);
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn empty_ids_are_refused() {
        let store = MemoryGrantStore::new();
        assert!(block(store.grant(Grant::new("", "doc", "1", ["read"]))).is_err());
        assert!(store.is_empty());
    }
}
