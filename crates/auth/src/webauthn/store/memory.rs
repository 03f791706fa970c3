//! Registered credentials in this process's memory.

use super::{AddOutcome, CredentialUse, UseOutcome, WebAuthnCredentialStore};
use crate::revocation::StoreFuture;
use crate::webauthn::StoredCredential;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use uuid::Uuid;

#[derive(Default)]
struct Inner {
    handles: HashMap<String, Uuid>,
    credentials: HashMap<String, Vec<StoredCredential>>,
    /// Credential id → user, so an id is registered once across all users.
    owners: HashMap<String, String>,
}

/// Credentials in memory: for one instance, tests and demos. Every
/// operation holds one lock for its whole check-and-write, so each is atomic.
/// Nothing is evicted: a registered key must outlive any cache.
#[derive(Default)]
pub struct MemoryWebAuthnStore {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for MemoryWebAuthnStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryWebAuthnStore")
            .finish_non_exhaustive()
    }
}

impl MemoryWebAuthnStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        // Each write below completes before the guard drops; a panic
        // elsewhere cannot leave an entry half-written.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn ready<'a, T: Send + 'a>(value: T) -> StoreFuture<'a, T> {
    Box::pin(std::future::ready(Ok(value)))
}

impl WebAuthnCredentialStore for MemoryWebAuthnStore {
    fn user_handle<'a>(&'a self, user: &'a str, candidate: Uuid) -> StoreFuture<'a, Uuid> {
        let handle = *self
            .inner()
            .handles
            .entry(user.to_owned())
            .or_insert(candidate);
        ready(handle)
    }

    fn list<'a>(&'a self, user: &'a str) -> StoreFuture<'a, Vec<StoredCredential>> {
        ready(
            self.inner()
                .credentials
                .get(user)
                .cloned()
                .unwrap_or_default(),
        )
    }

    fn add<'a>(
        &'a self,
        user: &'a str,
        credential: &'a StoredCredential,
        max: usize,
    ) -> StoreFuture<'a, AddOutcome> {
        let mut inner = self.inner();
        if inner.owners.contains_key(&credential.id) {
            return ready(AddOutcome::Duplicate);
        }
        let list = inner.credentials.entry(user.to_owned()).or_default();
        if list.len() >= max {
            return ready(AddOutcome::LimitReached);
        }
        list.push(credential.clone());
        inner.owners.insert(credential.id.clone(), user.to_owned());
        ready(AddOutcome::Added)
    }

    fn record_use<'a>(
        &'a self,
        user: &'a str,
        id: &'a str,
        used: &'a CredentialUse,
    ) -> StoreFuture<'a, UseOutcome> {
        let mut inner = self.inner();
        let Some(stored) = inner
            .credentials
            .get_mut(user)
            .and_then(|list| list.iter_mut().find(|c| c.id == id))
        else {
            return ready(UseOutcome::NotFound);
        };
        if !used.advances(stored.counter) {
            return ready(UseOutcome::CounterNotAdvanced {
                stored: stored.counter,
            });
        }
        stored.counter = used.counter;
        stored.key = used.key.clone();
        stored.last_used = Some(used.at);
        ready(UseOutcome::Recorded)
    }

    fn remove<'a>(&'a self, user: &'a str, id: &'a str) -> StoreFuture<'a, bool> {
        let mut inner = self.inner();
        let removed = match inner.credentials.get_mut(user) {
            Some(list) => {
                let before = list.len();
                list.retain(|c| c.id != id);
                list.len() != before
            }
            None => false,
        };
        if removed {
            inner.owners.remove(id);
        }
        ready(removed)
    }
}
