//! Tokens already verified, so a token presented again is a lookup rather
//! than a signature check (about 64 µs for ES256, 3 µs for HS256).
//!
//! Safe because of what an entry is and when it is used:
//!
//! - It is keyed by the **whole token string**, compared in full: only the
//!   exact bytes that passed every check can hit. A forged or altered token
//!   (another signature, a malleated ECDSA `s`, one changed claim) misses and
//!   is verified from scratch. Keying by `jti` or a short hash would let a
//!   forgery borrow a genuine token's entry.
//! - Only successes are stored, so an attacker cannot fill the cache with
//!   garbage, and a miss costs what verifying costs without a cache. The hash
//!   seed is random per process, so lookups cannot be steered into one bucket.
//! - A hit is only valid while the key that signed the token is still the
//!   very key the [`KeySet`](super::key_set::KeySet) trusts under that `kid`
//!   (a retired or replaced key ends it), and while the verifier's clock is
//!   inside the window the checks accepted: from `max(iat, nbf)` minus leeway
//!   to `exp` plus leeway.
//! - What can change while a token lives is *not* cached: revocation and the
//!   account-status check run on every request, and so does an application's
//!   own principal mapper. The built-in mapping reads only the claims and the
//!   verifier's fixed settings, so the principal it builds is kept with the
//!   entry once mapped; a mapping that fails is not kept.
//!
//! Bounded: a full shard drops its expired entries, then an arbitrary one.

use super::claims::Claims;
use super::keys::VerificationKey;
use rampart_core::Principal;
use serde_json::{Map, Value};
use std::any::Any;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// Tokens remembered by default: about 10 MiB at a kilobyte per entry.
pub const DEFAULT_VERIFIED_CACHE: usize = 10_000;

const SHARDS: usize = 16;

type Hasher = foldhash::quality::RandomState;
type Shard = Mutex<HashMap<Box<str>, Arc<Verified>, Hasher>>;

/// What a verification established about one token string.
pub(crate) struct Verified {
    /// The key that checked the signature; the entry holds only while the
    /// key set still trusts this same key under `kid`.
    pub(crate) kid: Box<str>,
    pub(crate) key: Arc<VerificationKey>,
    /// Since the epoch: the clock must be in `[valid_from, valid_until)`.
    pub(crate) valid_from: Duration,
    pub(crate) valid_until: Duration,
    /// The decoded claims, of the type the caller asked for.
    pub(crate) value: Arc<dyn Any + Send + Sync>,
}

/// What a verifier accepted in one token: its claims, the claims the
/// principal mapping reads, and the principal once mapped.
pub(crate) struct Accepted<C> {
    /// Shared: the auth layer hands each request a reference to them, not a
    /// copy of every string they hold.
    pub(crate) claims: Arc<Claims<C>>,
    pub(crate) picked: Map<String, Value>,
    pub(crate) principal: OnceLock<Principal>,
}

pub(crate) struct VerifiedCache {
    shards: Box<[Shard]>,
    per_shard: usize,
    hasher: Hasher,
}

impl VerifiedCache {
    /// A cache of about `capacity` tokens; `None` for 0 (no cache).
    pub(crate) fn new(capacity: usize) -> Option<Self> {
        if capacity == 0 {
            return None;
        }
        let per_shard = capacity.div_ceil(SHARDS);
        let shards = (0..SHARDS)
            .map(|_| Mutex::new(HashMap::with_hasher(Hasher::default())))
            .collect();
        Some(Self {
            shards,
            per_shard,
            hasher: Hasher::default(),
        })
    }

    fn shard(&self, token: &str) -> &Shard {
        // The map rehashes with its own seed; this one only picks the shard.
        let index = self.hasher.hash_one(token) as usize % SHARDS;
        &self.shards[index]
    }

    /// The entry for exactly `token`, if any (validity is the caller's check).
    pub(crate) fn get(&self, token: &str) -> Option<Arc<Verified>> {
        let shard = self
            .shard(token)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        shard.get(token).cloned()
    }

    /// Forgets `token` (its entry no longer holds).
    pub(crate) fn remove(&self, token: &str) {
        let mut shard = self
            .shard(token)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        shard.remove(token);
    }

    /// Remembers a verified token; `now` decides which entries have expired
    /// when the shard is full.
    pub(crate) fn insert(&self, token: &str, verified: Verified, now: Duration) {
        let mut shard = self
            .shard(token)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if shard.len() >= self.per_shard && !shard.contains_key(token) {
            shard.retain(|_, entry| now < entry.valid_until);
            if shard.len() >= self.per_shard
                && let Some(victim) = shard.keys().next().cloned()
            {
                shard.remove(&victim);
            }
        }
        shard.insert(token.into(), Arc::new(verified));
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Algorithm, SigningKey};

    fn entry(until: u64) -> Verified {
        let key = SigningKey::hmac(Algorithm::HS256, &[1; 32], "k").expect("key");
        Verified {
            kid: "k".into(),
            key: Arc::new(key.verification_key().clone()),
            valid_from: Duration::ZERO,
            valid_until: Duration::from_secs(until),
            value: Arc::new(()),
        }
    }

    #[test]
    fn zero_capacity_means_no_cache() {
        assert!(VerifiedCache::new(0).is_none());
    }

    #[test]
    fn stays_within_its_capacity_and_drops_expired_entries_first() {
        let cache = VerifiedCache::new(32).expect("cache");
        let now = Duration::from_secs(100);
        for i in 0..1000 {
            cache.insert(&format!("token-{i}"), entry(200), now);
        }
        assert!(cache.len() <= 32, "{} entries", cache.len());
        assert!(cache.len() >= 16, "{} entries", cache.len());

        // A full shard drops its expired entries, not the live ones.
        let cache = VerifiedCache::new(SHARDS * 4).expect("cache");
        let same_shard: Vec<String> = (0..)
            .map(|i| format!("t{i}"))
            .filter(|t| std::ptr::eq(cache.shard(t), cache.shard("probe")))
            .take(4)
            .collect();
        for (i, token) in same_shard.iter().enumerate() {
            // Two end exactly now: expired, as `exp + leeway` is exclusive.
            let until = if i < 2 { 100 } else { 200 };
            cache.insert(token, entry(until), Duration::ZERO);
        }
        cache.insert("probe", entry(200), now);
        assert!(same_shard[..2].iter().all(|t| cache.get(t).is_none()));
        assert!(same_shard[2..].iter().all(|t| cache.get(t).is_some()));
        assert!(cache.get("probe").is_some());
    }

    #[test]
    fn a_shard_with_room_keeps_even_expired_entries() {
        // Eviction is lazy: only a full shard pays for a sweep.
        let cache = VerifiedCache::new(SHARDS * 4).expect("cache");
        let same_shard: Vec<String> = (0..)
            .map(|i| format!("t{i}"))
            .filter(|t| std::ptr::eq(cache.shard(t), cache.shard("probe")))
            .take(1)
            .collect();
        cache.insert(&same_shard[0], entry(50), Duration::ZERO);
        cache.insert("probe", entry(200), Duration::from_secs(100));
        assert!(cache.get(&same_shard[0]).is_some());
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn only_the_exact_token_hits() {
        let cache = VerifiedCache::new(10).expect("cache");
        cache.insert("a.b.c", entry(200), Duration::ZERO);
        assert!(cache.get("a.b.c").is_some());
        for other in ["a.b.C", "a.b.c ", "a.b", ""] {
            assert!(cache.get(other).is_none(), "{other:?} hit");
        }
        cache.remove("a.b.c");
        assert!(cache.get("a.b.c").is_none());
    }
}
