//! Login failure counters in process memory: sharded and bounded.

use super::counter::{Counter, Rule};
use foldhash::fast::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Mutex, PoisonError};

const SHARDS: usize = 32;

/// Counters for one kind of key (usernames or addresses).
pub(crate) struct Counters {
    shards: Vec<Mutex<HashMap<Box<str>, Counter, RandomState>>>,
    hasher: RandomState,
    cap: usize,
}

impl Counters {
    pub(crate) fn new(max_keys: usize) -> Self {
        Self {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(HashMap::with_hasher(RandomState::default())))
                .collect(),
            hasher: RandomState::default(),
            cap: max_keys.div_ceil(SHARDS).max(1),
        }
    }

    fn shard(
        &self,
        key: &str,
    ) -> std::sync::MutexGuard<'_, HashMap<Box<str>, Counter, RandomState>> {
        let i = (self.hasher.hash_one(key) as usize) % SHARDS;
        self.shards[i]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn get(&self, key: &str) -> Counter {
        self.shard(key).get(key).copied().unwrap_or_default()
    }

    /// Applies `f` to the key's counter (created if absent); when the shard
    /// is full, counters that carry nothing any more go first, then the one
    /// closest to carrying nothing.
    pub(crate) fn update<T>(
        &self,
        key: &str,
        rule: &Rule,
        now: u64,
        f: impl FnOnce(&mut Counter) -> T,
    ) -> T {
        let mut shard = self.shard(key);
        if !shard.contains_key(key) && shard.len() >= self.cap {
            shard.retain(|_, c| c.idle_at(rule) > now);
            if shard.len() >= self.cap
                && let Some(k) = shard
                    .iter()
                    .min_by_key(|(_, c)| c.idle_at(rule))
                    .map(|(k, _)| k.clone())
            {
                shard.remove(&k);
            }
        }
        f(shard.entry(Box::from(key)).or_default())
    }

    pub(crate) fn reset(&self, key: &str) {
        self.shard(key).remove(key);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}
