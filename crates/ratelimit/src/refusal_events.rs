//! At most one refusal event per key, limit and second.
//!
//! A client hammering a limit is refused on every request, and a limiter that
//! reported each refusal would turn one client's flood into a flood of events
//! (an audit record, a log line, an alert rule's input) costing far more than
//! the refusal itself. The first refusal of a key under a limit in each
//! second is reported; the rest of that second are refused silently. Alert
//! rules counting `ratelimit.limited` therefore count seconds of refusals.

use foldhash::fast::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

/// Slots of the table: a power of two.
const SLOTS: usize = 4096;

/// Remembers, per slot, which key was last reported and in which second.
///
/// Lock-free: one atomic swap per refusal. Each slot holds the top 32 bits
/// of the key's hash beside the second, so two keys sharing a slot (the hash
/// is seeded at random, so a client cannot pick a colliding key) each get
/// reported rather than one hiding the other: a collision errs toward more
/// events, never fewer.
pub(crate) struct RefusalEvents {
    slots: Box<[AtomicU64]>,
    hasher: RandomState,
}

impl RefusalEvents {
    pub(crate) fn new() -> Self {
        Self {
            slots: (0..SLOTS).map(|_| AtomicU64::new(0)).collect(),
            hasher: RandomState::default(),
        }
    }

    /// Whether the refusal of `key` under `limit` at `unix_secs` is the first
    /// of that second, and so should be reported.
    pub(crate) fn first_this_second(&self, limit: &str, key: &str, unix_secs: u64) -> bool {
        let hash = self.hasher.hash_one((limit, key));
        let slot = &self.slots[(hash as usize) & (SLOTS - 1)];
        let mark = (hash & 0xffff_ffff_0000_0000) | (unix_secs & 0xffff_ffff);
        // A plain load first: under a flood the slot already holds the mark,
        // and a read leaves the cache line shared where a swap would take it.
        slot.load(Ordering::Relaxed) != mark && slot.swap(mark, Ordering::Relaxed) != mark
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_report_per_key_limit_and_second() {
        let events = RefusalEvents::new();
        assert!(events.first_this_second("ip", "203.0.113.7", 100));
        assert!(!events.first_this_second("ip", "203.0.113.7", 100));
        assert!(!events.first_this_second("ip", "203.0.113.7", 100));
        // The next second, another key, another limit: each reported.
        assert!(events.first_this_second("ip", "203.0.113.7", 101));
        assert!(events.first_this_second("ip", "203.0.113.8", 101));
        assert!(events.first_this_second("user", "203.0.113.7", 101));
        assert!(!events.first_this_second("ip", "203.0.113.8", 101));
    }

    #[test]
    fn a_flood_of_keys_is_each_reported_once() {
        let events = RefusalEvents::new();
        let reported = (0..10_000)
            .filter(|i| events.first_this_second("ip", &format!("key-{i}"), 7))
            .count();
        assert_eq!(reported, 10_000);
        let again = (0..10_000)
            .filter(|i| events.first_this_second("ip", &format!("key-{i}"), 7))
            .count();
        // Keys sharing a slot with a later key are reported again; the rest are not.
        assert!(again < 10_000, "{again}");
    }
}
