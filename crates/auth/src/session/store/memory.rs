//! Sessions in process memory: bounded, timed-out entries swept.

use super::{Created, SessionStore, StoredSession, Touched, UserLimit};
use crate::revocation::StoreFuture;
use crate::session::id::SessionKey;
use crate::session::policy::LimitAction;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Default capacity of a [`MemorySessionStore`].
pub const DEFAULT_MEMORY_CAPACITY: usize = 100_000;

#[derive(Default)]
struct State {
    sessions: HashMap<String, StoredSession>,
    by_tag: HashMap<String, Vec<String>>,
}

impl State {
    fn remove(&mut self, hash: &str) -> Option<StoredSession> {
        let s = self.sessions.remove(hash)?;
        if let Some(list) = self.by_tag.get_mut(&s.key.tag) {
            list.retain(|h| h != hash);
            if list.is_empty() {
                self.by_tag.remove(&s.key.tag);
            }
        }
        Some(s)
    }

    fn insert(&mut self, s: StoredSession) {
        self.by_tag
            .entry(s.key.tag.clone())
            .or_default()
            .push(s.key.hash.clone());
        self.sessions.insert(s.key.hash.clone(), s);
    }

    /// Live sessions of `tag`, oldest first; timed-out ones are dropped.
    fn live(&mut self, tag: &str, now: u64) -> Vec<StoredSession> {
        let hashes = self.by_tag.get(tag).cloned().unwrap_or_default();
        let mut live = Vec::new();
        for h in hashes {
            match self.sessions.get(&h) {
                Some(s) if !s.is_expired(now) => live.push(s.clone()),
                _ => {
                    self.remove(&h);
                }
            }
        }
        live.sort_by_key(|s| s.created);
        live
    }

    fn sweep(&mut self, now: u64) {
        let dead: Vec<String> = self
            .sessions
            .values()
            .filter(|s| s.is_expired(now))
            .map(|s| s.key.hash.clone())
            .collect();
        for h in dead {
            self.remove(&h);
        }
    }
}

/// Sessions in this process only: for one instance, tests and development.
///
/// Bounded: at capacity, timed-out sessions are swept first, and if it is
/// still full the least recently used session makes room (so a flood of new
/// anonymous sessions costs memory up to the bound, never more). A session
/// past its timeout is never answered, swept or not.
///
/// ```
/// use rampart::auth::session::{MemorySessionStore, SessionManager};
/// use std::sync::Arc;
///
/// let manager = SessionManager::builder(Arc::new(MemorySessionStore::new())).build();
/// # let _ = manager;
/// ```
pub struct MemorySessionStore {
    state: Mutex<State>,
    capacity: usize,
}

impl std::fmt::Debug for MemorySessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemorySessionStore")
            .field("capacity", &self.capacity)
            .field("len", &self.lock().sessions.len())
            .finish()
    }
}

impl Default for MemorySessionStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemorySessionStore {
    /// A store holding at most [`DEFAULT_MEMORY_CAPACITY`] sessions.
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_MEMORY_CAPACITY)
    }

    /// A store holding at most `capacity` sessions (at least 1).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State::default()),
            capacity: capacity.max(1),
        }
    }

    /// Sessions held, timed-out ones not yet swept included.
    pub fn len(&self) -> usize {
        self.lock().sessions.len()
    }

    /// Whether it holds no session.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave a half-written map: every change is
        // a single insert or remove.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn make_room(&self, state: &mut State, now: u64) {
        if state.sessions.len() < self.capacity {
            return;
        }
        state.sweep(now);
        while state.sessions.len() >= self.capacity {
            let Some(lru) = state
                .sessions
                .values()
                .min_by_key(|s| s.last_seen)
                .map(|s| s.key.hash.clone())
            else {
                break;
            };
            state.remove(&lru);
        }
    }

    fn create_now(&self, session: &StoredSession, limit: Option<UserLimit>, now: u64) -> Created {
        let mut state = self.lock();
        let mut evicted = Vec::new();
        if let Some(limit) = limit {
            let live = state.live(&session.key.tag, now);
            let max = limit.max as usize;
            if live.len() >= max {
                if limit.action == LimitAction::RefuseNew {
                    return Created::Refused;
                }
                for old in &live[..=live.len() - max.max(1)] {
                    state.remove(&old.key.hash);
                    evicted.push(old.key.clone());
                }
            }
        }
        state.remove(&session.key.hash);
        self.make_room(&mut state, now);
        state.insert(session.clone());
        Created::Stored { evicted }
    }
}

impl SessionStore for MemorySessionStore {
    fn create<'a>(
        &'a self,
        session: &'a StoredSession,
        limit: Option<UserLimit>,
        now: u64,
    ) -> StoreFuture<'a, Created> {
        let created = self.create_now(session, limit, now);
        Box::pin(async move { Ok(created) })
    }

    fn touch<'a>(&'a self, key: &'a SessionKey, now: u64) -> StoreFuture<'a, Touched> {
        let mut state = self.lock();
        let touched = match state.sessions.get_mut(&key.hash) {
            Some(s) if s.key.tag != key.tag => Touched::Missing,
            Some(s) if s.is_expired(now) => {
                let s = s.clone();
                state.remove(&key.hash);
                Touched::Expired(s)
            }
            Some(s) => {
                s.last_seen = s.last_seen.max(now);
                Touched::Live(s.clone())
            }
            None => Touched::Missing,
        };
        drop(state);
        Box::pin(async move { Ok(touched) })
    }

    fn save<'a>(&'a self, key: &'a SessionKey, data: &'a str) -> StoreFuture<'a, bool> {
        let saved = match self.lock().sessions.get_mut(&key.hash) {
            Some(s) if s.key.tag == key.tag => {
                s.data = data.to_owned();
                true
            }
            _ => false,
        };
        Box::pin(async move { Ok(saved) })
    }

    fn replace<'a>(&'a self, old: &'a SessionKey, new: &'a StoredSession) -> StoreFuture<'a, bool> {
        let mut state = self.lock();
        let replaced = match state.sessions.get(&old.hash) {
            Some(s) if s.key.tag == old.tag => {
                state.remove(&old.hash);
                state.insert(new.clone());
                true
            }
            _ => false,
        };
        drop(state);
        Box::pin(async move { Ok(replaced) })
    }

    fn delete<'a>(&'a self, key: &'a SessionKey) -> StoreFuture<'a, bool> {
        let mut state = self.lock();
        let deleted = match state.sessions.get(&key.hash) {
            Some(s) if s.key.tag == key.tag => state.remove(&key.hash).is_some(),
            _ => false,
        };
        drop(state);
        Box::pin(async move { Ok(deleted) })
    }

    fn list<'a>(&'a self, tag: &'a str, now: u64) -> StoreFuture<'a, Vec<StoredSession>> {
        let live = self.lock().live(tag, now);
        Box::pin(async move { Ok(live) })
    }

    fn delete_all<'a>(&'a self, tag: &'a str) -> StoreFuture<'a, usize> {
        let mut state = self.lock();
        let hashes = state.by_tag.remove(tag).unwrap_or_default();
        let n = hashes
            .iter()
            .filter(|h| state.sessions.remove(h.as_str()).is_some())
            .count();
        drop(state);
        Box::pin(async move { Ok(n) })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn session(tag: &str, hash: &str, created: u64) -> StoredSession {
        StoredSession {
            key: SessionKey {
                tag: tag.into(),
                hash: hash.into(),
            },
            subject: Some(tag.into()),
            created,
            last_seen: created,
            idle_secs: 100,
            deadline: created + 1000,
            data: "{}".into(),
        }
    }

    #[tokio::test]
    async fn capacity_is_a_bound() {
        let store = MemorySessionStore::with_capacity(2);
        for (i, h) in ["a", "b", "c"].iter().enumerate() {
            store
                .create(&session("t", h, i as u64), None, i as u64)
                .await
                .unwrap();
        }
        assert_eq!(store.len(), 2);
        let a = SessionKey {
            tag: "t".into(),
            hash: "a".into(),
        };
        assert_eq!(store.touch(&a, 3).await.unwrap(), Touched::Missing);
    }

    #[tokio::test]
    async fn expired_entries_are_swept_first() {
        let store = MemorySessionStore::with_capacity(2);
        store
            .create(&session("t", "old", 0), None, 0)
            .await
            .unwrap();
        store
            .create(&session("t", "live", 150), None, 150)
            .await
            .unwrap();
        store
            .create(&session("t", "new", 160), None, 160)
            .await
            .unwrap();
        let live = SessionKey {
            tag: "t".into(),
            hash: "live".into(),
        };
        assert!(matches!(
            store.touch(&live, 161).await.unwrap(),
            Touched::Live(_)
        ));
    }
}
