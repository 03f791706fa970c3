//! Grants in process memory.

use super::{Grant, GrantStore};
use crate::error::StoreError;
use crate::store::StoreFuture;
use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};
use std::time::SystemTime;

/// (subject, resource type) -> (tenant, resource id) -> grant.
type Key = (String, String);
type Slot = (Option<String>, String);

/// Grants held in a map in this process: the default, and what tests use.
/// Instances do not share it; use the Redis store for several instances.
#[derive(Debug, Default)]
pub struct MemoryGrantStore {
    grants: RwLock<HashMap<Key, HashMap<Slot, Grant>>>,
}

impl MemoryGrantStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Drops every grant that has lapsed at `now`; how many were dropped.
    /// Lapsed grants never allow anything, this only frees memory. Silent:
    /// [`crate::Authorizer::purge_expired_grants`] reports each lapse.
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

    fn find(&self, tenant: Option<&str>, subject: &str, kind: &str, id: &str) -> Option<Grant> {
        let map = self.grants.read().unwrap_or_else(PoisonError::into_inner);
        map.get(&(subject.to_owned(), kind.to_owned()))
            .and_then(|m| m.get(&(tenant.map(str::to_owned), id.to_owned())))
            .cloned()
    }
}

fn ready<T: Send + 'static>(v: Result<T, StoreError>) -> StoreFuture<'static, T> {
    Box::pin(std::future::ready(v))
}

impl GrantStore for MemoryGrantStore {
    fn grant(&self, grant: Grant) -> StoreFuture<'_, ()> {
        if let Err(e) = grant.validate() {
            return ready(Err(e));
        }
        let mut map = self.grants.write().unwrap_or_else(PoisonError::into_inner);
        map.entry((grant.subject.clone(), grant.resource_type.clone()))
            .or_default()
            .insert((grant.tenant.clone(), grant.resource_id.clone()), grant);
        ready(Ok(()))
    }

    fn revoke<'a>(
        &'a self,
        tenant: Option<&'a str>,
        subject: &'a str,
        kind: &'a str,
        id: &'a str,
    ) -> StoreFuture<'a, bool> {
        let mut map = self.grants.write().unwrap_or_else(PoisonError::into_inner);
        let key = (subject.to_owned(), kind.to_owned());
        let slot = (tenant.map(str::to_owned), id.to_owned());
        let removed = map.get_mut(&key).and_then(|m| m.remove(&slot)).is_some();
        if map.get(&key).is_some_and(HashMap::is_empty) {
            map.remove(&key);
        }
        ready(Ok(removed))
    }

    fn get<'a>(
        &'a self,
        tenant: Option<&'a str>,
        subject: &'a str,
        kind: &'a str,
        id: &'a str,
    ) -> StoreFuture<'a, Option<Grant>> {
        ready(Ok(self.find(tenant, subject, kind, id)))
    }

    fn lookup<'a>(
        &'a self,
        tenant: Option<&'a str>,
        subject: &'a str,
        kind: &'a str,
        id: &'a str,
    ) -> StoreFuture<'a, Vec<Grant>> {
        let in_tenant = tenant.and_then(|t| self.find(Some(t), subject, kind, id));
        let global = self.find(None, subject, kind, id);
        ready(Ok(in_tenant.into_iter().chain(global).collect()))
    }

    fn remove_exact<'a>(&'a self, grant: &'a Grant) -> StoreFuture<'a, bool> {
        let mut map = self.grants.write().unwrap_or_else(PoisonError::into_inner);
        let key = (grant.subject.clone(), grant.resource_type.clone());
        let slot = (grant.tenant.clone(), grant.resource_id.clone());
        let Some(per_resource) = map.get_mut(&key) else {
            return ready(Ok(false));
        };
        if per_resource.get(&slot) != Some(grant) {
            return ready(Ok(false));
        }
        per_resource.remove(&slot);
        if per_resource.is_empty() {
            map.remove(&key);
        }
        ready(Ok(true))
    }

    fn list<'a>(&'a self, subject: &'a str, kind: &'a str) -> StoreFuture<'a, Vec<Grant>> {
        let map = self.grants.read().unwrap_or_else(PoisonError::into_inner);
        let mut found: Vec<Grant> = map
            .get(&(subject.to_owned(), kind.to_owned()))
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default();
        found.sort_by(|a, b| (&a.tenant, &a.resource_id).cmp(&(&b.tenant, &b.resource_id)));
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
        block(store.grant(Grant::in_tenant("A", "bob", "doc", "2", ["read"]))).unwrap();
        block(store.grant(Grant::in_tenant("A", "bob", "doc", "1", ["*"]))).unwrap();
        block(store.grant(Grant::in_tenant("A", "eve", "doc", "1", ["read"]))).unwrap();
        assert_eq!(
            block(store.get(Some("A"), "bob", "doc", "1"))
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
        assert!(block(store.revoke(Some("A"), "bob", "doc", "1")).unwrap());
        assert!(!block(store.revoke(Some("A"), "bob", "doc", "1")).unwrap());
        assert!(
            block(store.get(Some("A"), "bob", "doc", "1"))
                .unwrap()
                .is_none()
        );
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn the_same_id_in_two_tenants_and_globally_are_three_grants() {
        let store = MemoryGrantStore::new();
        block(store.grant(Grant::in_tenant("A", "bob", "doc", "7", ["read"]))).unwrap();
        block(store.grant(Grant::in_tenant("B", "bob", "doc", "7", ["write"]))).unwrap();
        block(store.grant(Grant::global("bob", "doc", "7", ["comment"]))).unwrap();
        assert_eq!(store.len(), 3);
        let actions = |t: Option<&str>| {
            block(store.lookup(t, "bob", "doc", "7"))
                .unwrap()
                .into_iter()
                .map(|g| g.actions[0].clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(actions(Some("A")), ["read", "comment"]);
        assert_eq!(actions(Some("B")), ["write", "comment"]);
        assert_eq!(actions(Some("C")), ["comment"]);
        assert_eq!(actions(None), ["comment"]);
        assert!(
            block(store.get(Some("C"), "bob", "doc", "7"))
                .unwrap()
                .is_none()
        );
        assert!(block(store.revoke(None, "bob", "doc", "7")).unwrap());
        assert_eq!(actions(Some("A")), ["read"]);
        let tenants: Vec<_> = block(store.list("bob", "doc"))
            .unwrap()
            .into_iter()
            .map(|g| g.tenant)
            .collect();
        assert_eq!(tenants, [Some("A".to_owned()), Some("B".to_owned())]);
    }

    #[test]
    fn purge_drops_only_lapsed_grants() {
        let store = MemoryGrantStore::new();
        let t = UNIX_EPOCH + Duration::from_secs(100);
        block(store.grant(Grant::in_tenant("A", "bob", "doc", "1", ["read"]).expires_at(t)))
            .unwrap();
        block(store.grant(Grant::in_tenant("A", "bob", "doc", "2", ["read"]))).unwrap();
        assert_eq!(store.purge_expired(t - Duration::from_secs(1)), 0);
        assert_eq!(store.purge_expired(t), 1);
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn empty_ids_and_tenants_are_refused() {
        let store = MemoryGrantStore::new();
        assert!(block(store.grant(Grant::global("", "doc", "1", ["read"]))).is_err());
        assert!(block(store.grant(Grant::in_tenant("", "bob", "doc", "1", ["read"]))).is_err());
        assert!(store.is_empty());
    }
}
