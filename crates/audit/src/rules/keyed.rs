//! Per-key rule state with a hard cap on the number of keys.
//!
//! Written by hand rather than with moka: the state lives on one thread,
//! is mutated in place on every event, and eviction must prefer the keys
//! that carry the least evidence (see [`Keyed::slot`]), which a generic
//! cache's LRU or TinyLFU policy does not know about.

use std::collections::HashMap;

/// What the map needs to know about a key's state to evict well.
pub(crate) trait Evidence {
    /// Whether the state carries nothing any more at `now` (ms).
    fn idle(&self, now: u64) -> bool;
    /// How much the state matters: events in the window, or "muted" (an
    /// alert was raised and de-duplication depends on remembering it).
    fn weight(&self, now: u64) -> u64;
}

struct Slot<V> {
    value: V,
    last_seen: u64,
}

/// A map from key to state holding at most `cap` keys.
pub(crate) struct Keyed<V> {
    // std's RandomState (SipHash with a random key): keys come from requests,
    // so the hash must resist chosen collisions.
    map: HashMap<Box<str>, Slot<V>>,
    cap: usize,
    evicted: u64,
}

impl<V> std::fmt::Debug for Keyed<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyed")
            .field("keys", &self.map.len())
            .field("cap", &self.cap)
            .field("evicted", &self.evicted)
            .finish()
    }
}

impl<V: Evidence> Keyed<V> {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            map: HashMap::new(),
            cap: cap.max(1),
            evicted: 0,
        }
    }

    /// The state of `key`, made with `make` if absent.
    ///
    /// When the map is full, idle keys go first; if none is idle, the quarter
    /// of keys with the least evidence (fewest events in the window, then the
    /// longest unseen) is dropped. A flood of one-off keys therefore pushes
    /// out other one-off keys, not the key an attacker has failed on four
    /// times, and each sweep makes room for many inserts, so the cost per
    /// event stays constant on average.
    pub(crate) fn slot(&mut self, key: &str, now: u64, make: impl FnOnce() -> V) -> &mut V {
        if !self.map.contains_key(key) && self.map.len() >= self.cap {
            self.make_room(now);
        }
        let slot = self.map.entry(Box::from(key)).or_insert_with(|| Slot {
            value: make(),
            last_seen: now,
        });
        slot.last_seen = now;
        &mut slot.value
    }

    fn make_room(&mut self, now: u64) {
        let before = self.map.len();
        self.map.retain(|_, s| !s.value.idle(now));
        if self.map.len() >= self.cap {
            let mut ranked: Vec<(u64, u64, Box<str>)> = self
                .map
                .iter()
                .map(|(k, s)| (s.value.weight(now), s.last_seen, k.clone()))
                .collect();
            let drop = (self.cap / 4).max(1).min(ranked.len());
            ranked.select_nth_unstable(drop - 1);
            for (_, _, key) in ranked.into_iter().take(drop) {
                self.map.remove(&key);
            }
        }
        self.evicted += (before - self.map.len()) as u64;
    }

    #[cfg(test)]
    pub(crate) fn get(&self, key: &str) -> Option<&V> {
        self.map.get(key).map(|s| &s.value)
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.map.get_mut(key).map(|s| &mut s.value)
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Keys dropped to make room since the start.
    pub(crate) fn evicted(&self) -> u64 {
        self.evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Count(u64, u64);
    impl Evidence for Count {
        fn idle(&self, now: u64) -> bool {
            self.1 <= now
        }
        fn weight(&self, _now: u64) -> u64 {
            self.0
        }
    }

    #[test]
    fn a_flood_of_one_off_keys_stays_under_the_cap_and_spares_the_heavy_key() {
        let mut map = Keyed::new(1_000);
        *map.slot("heavy", 0, || Count(0, u64::MAX)) = Count(4, u64::MAX);
        for i in 0..100_000u64 {
            map.slot(&format!("k{i}"), i, || Count(1, u64::MAX));
            assert!(map.len() <= 1_000);
        }
        assert_eq!(map.get("heavy").map(|c| c.0), Some(4));
        assert!(map.evicted() >= 99_000);
    }

    #[test]
    fn idle_keys_go_before_busy_ones() {
        let mut map = Keyed::new(4);
        for (i, k) in ["a", "b", "c"].into_iter().enumerate() {
            map.slot(k, 0, || Count(1, 10 + i as u64));
        }
        map.slot("busy", 0, || Count(1, 1_000));
        map.slot("new", 100, || Count(1, 1_000));
        assert_eq!(map.len(), 2, "the three idle keys went");
        assert!(map.get("busy").is_some());
    }
}
