//! Counters in process memory: sharded, bounded, no global lock.

use super::stored_key::StoredKey;
use crate::algorithm::{Algorithm, Cell, Eval};
use crate::error::ConfigError;
use crate::quota::Quota;
use foldhash::fast::RandomState;
use hashbrown::HashTable;
use parking_lot::{Mutex, MutexGuard};
use std::hash::BuildHasher;

/// Settings of the in-memory store, the default of every limiter.
///
/// Each limit keeps its keys in `shards` maps, each behind its own lock, so
/// concurrent requests for different keys rarely meet. A limit holds at most
/// `max_keys` keys: when a shard is full, keys whose quota is whole again (and
/// which therefore carry no information) are dropped first, then the key
/// closest to being whole. A flood of distinct keys thus costs bounded memory,
/// at worst forgetting the oldest partial counts.
///
/// ```
/// use rampart_ratelimit::MemoryStore;
/// let store = MemoryStore::new().max_keys(50_000).shards(32);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct MemoryStore {
    pub(crate) max_keys: usize,
    pub(crate) shards: usize,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// 100,000 keys per limit in 64 shards.
    pub fn new() -> Self {
        Self {
            max_keys: 100_000,
            shards: 64,
        }
    }

    /// Keys kept per limit (default 100,000; about 100 bytes each for GCRA).
    pub fn max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys;
        self
    }

    /// Locks per limit (default 64; rounded up to a power of two).
    pub fn shards(mut self, shards: usize) -> Self {
        self.shards = shards;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.max_keys == 0 || self.shards == 0 {
            return Err(ConfigError::Capacity);
        }
        Ok(())
    }
}

struct Entry {
    key: StoredKey,
    cell: Cell,
    idle_at: u64,
}

type Shard = HashTable<Entry>;

/// One limit's keys.
pub(crate) struct KeyMap {
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
    mask: usize,
    cap: usize,
}

/// One limit's part of a check.
pub(crate) struct Probe<'k> {
    pub map: &'k KeyMap,
    pub key: &'k str,
    pub quota: &'k Quota,
    pub algorithm: Algorithm,
}

impl KeyMap {
    pub(crate) fn new(config: &MemoryStore) -> Self {
        let n = config.shards.next_power_of_two().min(1 << 16);
        let cap = config.max_keys.div_ceil(n).max(1);
        let shards = (0..n).map(|_| Mutex::new(HashTable::new())).collect();
        Self {
            shards,
            hasher: RandomState::default(),
            mask: n - 1,
            cap,
        }
    }

    /// The key's hash, computed once per check: it picks the shard and finds
    /// the key inside it.
    fn hash(&self, key: &str) -> u64 {
        self.hash_bytes(key.as_bytes())
    }

    fn hash_bytes(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    fn lock(&self, hash: u64) -> MutexGuard<'_, Shard> {
        // Bits 40.. pick the shard: the table itself uses the low bits for the
        // bucket and the top seven as tags, so all three stay independent.
        let i = ((hash >> 40) as usize) & self.mask;
        // A panic while holding a shard cannot leave a cell half-written in a
        // way that matters more than losing it, so the lock does not poison.
        self.shards[i].lock()
    }

    /// Keys currently held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len()).sum()
    }
}

fn entry<'s>(shard: &'s mut Shard, p: &Probe<'_>, hash: u64, now: u64) -> &'s mut Entry {
    let map = p.map;
    let rehash = |e: &Entry| map.hash_bytes(e.key.as_bytes());
    // Looked up twice on a miss: a borrow returned from the first lookup
    // would stay alive across the insert.
    if shard.find(hash, |e| e.key.is(p.key)).is_none() {
        if shard.len() >= map.cap {
            make_room(shard, map, now);
        }
        let fresh = Entry {
            key: StoredKey::new(p.key),
            cell: Cell::new(p.algorithm, p.quota),
            idle_at: 0,
        };
        return shard.insert_unique(hash, fresh, rehash).into_mut();
    }
    match shard.find_mut(hash, |e| e.key.is(p.key)) {
        Some(e) => e,
        None => unreachable!("found above"),
    }
}

fn make_room(shard: &mut Shard, map: &KeyMap, now: u64) {
    shard.retain(|e| e.idle_at > now);
    if shard.len() >= map.cap {
        // Nothing (or too little) was idle: drop the key closest to whole.
        let oldest = shard
            .iter()
            .min_by_key(|e| e.idle_at)
            .map(|e| (map.hash_bytes(e.key.as_bytes()), e.key.as_bytes().to_vec()));
        if let Some((hash, key)) = oldest
            && let Ok(found) = shard.find_entry(hash, |e| e.key.as_bytes() == key)
        {
            found.remove();
        }
    }
}

/// Decides one limit's check: the hot path of single-limit limiters.
#[inline]
pub(crate) fn check_one(p: &Probe<'_>, now: u64) -> Eval {
    let decide = |e: &mut Entry| {
        let (eval, idle_at) = e.cell.decide(p.algorithm, p.quota, now);
        e.idle_at = idle_at;
        eval
    };
    let hash = p.map.hash(p.key);
    let mut shard = p.map.lock(hash);
    // One lookup for a known key; the insert path (a new key) is the rare one.
    if let Some(e) = shard.find_mut(hash, |e| e.key.is(p.key)) {
        return decide(e);
    }
    decide(entry(&mut shard, p, hash, now))
}

/// Decides one check over one or more limits atomically: every shard involved
/// is locked (in limit order, so checks never deadlock), every limit
/// evaluated, and the request counted only if all admit it.
pub(crate) fn check(probes: &[Probe<'_>], now: u64) -> Vec<Eval> {
    if let [p] = probes {
        return vec![check_one(p, now)];
    }
    let hashes: Vec<u64> = probes.iter().map(|p| p.map.hash(p.key)).collect();
    let mut guards: Vec<MutexGuard<'_, Shard>> = Vec::with_capacity(probes.len());
    for (p, &hash) in probes.iter().zip(&hashes) {
        guards.push(p.map.lock(hash));
    }
    let mut evals = Vec::with_capacity(probes.len());
    for ((p, shard), &hash) in probes.iter().zip(guards.iter_mut()).zip(&hashes) {
        let e = entry(shard, p, hash, now);
        evals.push(e.cell.evaluate(p.algorithm, p.quota, now));
    }
    let all = evals.iter().all(|e| e.allowed);
    for (((p, shard), eval), &hash) in probes
        .iter()
        .zip(guards.iter_mut())
        .zip(&evals)
        .zip(&hashes)
    {
        let e = entry(shard, p, hash, now);
        if all {
            e.cell.commit(p.quota, now);
        } else if !eval.allowed {
            e.cell.punish(p.quota, now);
        }
        e.idle_at = e.cell.idle_at(p.quota);
    }
    evals
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn probe<'k>(map: &'k KeyMap, key: &'k str, q: &'k Quota) -> Probe<'k> {
        Probe {
            map,
            key,
            quota: q,
            algorithm: Algorithm::Gcra,
        }
    }

    #[test]
    fn memory_is_bounded_under_a_flood_of_keys() {
        let map = KeyMap::new(&MemoryStore::new().max_keys(256).shards(4));
        let q = Quota::per_minute(5);
        for i in 0..10_000 {
            let key = format!("k{i}");
            check(&[probe(&map, &key, &q)], 1000 * S);
        }
        assert!(map.len() <= 256, "{} keys held", map.len());
    }

    #[test]
    fn idle_keys_go_first_so_busy_keys_keep_their_count() {
        let map = KeyMap::new(&MemoryStore::new().max_keys(4).shards(1));
        let q = Quota::per_minute(2);
        // "busy" used its quota at t=100 s; it is not whole again until 160 s.
        check(&[probe(&map, "busy", &q)], 100 * S);
        check(&[probe(&map, "busy", &q)], 100 * S);
        // Other keys came and went long ago (whole again by 100 s).
        for k in ["a", "b", "c"] {
            check(&[probe(&map, k, &q)], S);
        }
        for k in ["d", "e", "f"] {
            check(&[probe(&map, k, &q)], 101 * S);
        }
        let again = check(&[probe(&map, "busy", &q)], 102 * S);
        assert!(!again[0].allowed, "busy key was evicted before idle ones");
    }

    #[test]
    fn only_the_refusing_limit_serves_its_penalty() {
        let store = MemoryStore::new();
        let (a, b) = (KeyMap::new(&store), KeyMap::new(&store));
        let lenient = Quota::per_minute(10).with_penalty(std::time::Duration::from_secs(600));
        let strict = Quota::per_minute(1);
        let both = |now| check(&[probe(&a, "x", &lenient), probe(&b, "x", &strict)], now);
        assert!(both(0).iter().all(|e| e.allowed));
        let e = both(S);
        assert!(e[0].allowed && !e[1].allowed);
        // `a` admitted both times: it must not be blocked by `b`'s refusal.
        let alone = check(&[probe(&a, "x", &lenient)], 2 * S);
        assert!(alone[0].allowed && !alone[0].blocked);
    }

    #[test]
    fn a_refusal_on_one_limit_consumes_nothing_from_the_others() {
        let store = MemoryStore::new();
        let (a, b) = (KeyMap::new(&store), KeyMap::new(&store));
        let wide = Quota::per_minute(10);
        let narrow = Quota::per_minute(1);
        let both = |now| check(&[probe(&a, "x", &wide), probe(&b, "x", &narrow)], now);
        assert!(both(0).iter().all(|e| e.allowed));
        for _ in 0..20 {
            let e = both(0);
            assert!(e[0].allowed && !e[1].allowed);
        }
        // `a` counted only the one admitted request: 9 left.
        let alone = check(&[probe(&a, "x", &wide)], 0);
        assert_eq!(alone[0].remaining, 8);
    }
}
