//! Live one-time codes in this process's memory.

use super::{Checked, CodeHash, Issued, NewCode, OobStore};
use crate::revocation::StoreFuture;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use subtle::ConstantTimeEq;

struct Live {
    hash: CodeHash,
    expires_at: u64,
    attempts_left: u32,
}

#[derive(Default)]
struct Entry {
    code: Option<Live>,
    sends: u32,
    window_end: u64,
}

#[derive(Default)]
struct Codes {
    entries: HashMap<(String, String), Entry>,
    /// The map size at which the next sweep of dead entries runs.
    next_sweep: usize,
}

/// Live codes in memory: for one instance, tests and demos. Every operation
/// holds one lock for its whole check-and-write, so each is atomic.
///
/// Entries whose code and resend window are both over are swept when the
/// map has doubled since the last sweep, so memory follows the number of
/// codes in flight.
#[derive(Default)]
pub struct MemoryOobStore {
    codes: Mutex<Codes>,
}

impl std::fmt::Debug for MemoryOobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryOobStore").finish_non_exhaustive()
    }
}

/// Sweeps run no more often than at this many entries.
const MIN_SWEEP: usize = 1024;

impl MemoryOobStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn codes(&self) -> MutexGuard<'_, Codes> {
        // Every write below is a single assignment: a panic elsewhere while
        // holding the lock leaves each entry whole.
        self.codes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Entries held, live or not yet swept (for tests of the sweep).
    pub fn len(&self) -> usize {
        self.codes().entries.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn ready<'a, T: Send + 'a>(value: T) -> StoreFuture<'a, T> {
    Box::pin(std::future::ready(Ok(value)))
}

fn key(subject: &str, purpose: &str) -> (String, String) {
    (subject.to_owned(), purpose.to_owned())
}

impl OobStore for MemoryOobStore {
    fn issue<'a>(&'a self, code: NewCode<'a>) -> StoreFuture<'a, Issued> {
        let mut codes = self.codes();
        let now = code.now;
        if codes.entries.len() >= codes.next_sweep.max(MIN_SWEEP) {
            codes.entries.retain(|_, e| {
                e.window_end > now || e.code.as_ref().is_some_and(|c| c.expires_at > now)
            });
            codes.next_sweep = codes.entries.len() * 2;
        }
        let entry = codes
            .entries
            .entry(key(code.subject, code.purpose))
            .or_default();
        if entry.sends == 0 || now >= entry.window_end {
            entry.sends = 0;
            entry.window_end = now.saturating_add(code.resend_window_secs);
        }
        if entry.sends >= code.max_sends {
            return ready(Issued::Throttled {
                until: entry.window_end,
            });
        }
        entry.sends += 1;
        entry.code = Some(Live {
            hash: *code.hash,
            expires_at: code.expires_at,
            attempts_left: code.max_attempts,
        });
        ready(Issued::Stored)
    }

    fn check<'a>(
        &'a self,
        subject: &'a str,
        purpose: &'a str,
        hash: &'a CodeHash,
        now: u64,
    ) -> StoreFuture<'a, Checked> {
        let mut codes = self.codes();
        let Some(entry) = codes.entries.get_mut(&key(subject, purpose)) else {
            return ready(Checked::NoCode);
        };
        let Some(live) = &mut entry.code else {
            return ready(Checked::NoCode);
        };
        let outcome = if live.expires_at <= now {
            Checked::Expired
        } else if bool::from(live.hash.ct_eq(hash)) {
            Checked::Verified
        } else if live.attempts_left <= 1 {
            Checked::Exhausted
        } else {
            live.attempts_left -= 1;
            return ready(Checked::Wrong {
                attempts_left: live.attempts_left,
            });
        };
        entry.code = None;
        ready(outcome)
    }

    fn void<'a>(
        &'a self,
        subject: &'a str,
        purpose: &'a str,
        hash: &'a CodeHash,
    ) -> StoreFuture<'a, ()> {
        let mut codes = self.codes();
        if let Some(entry) = codes.entries.get_mut(&key(subject, purpose))
            && entry
                .code
                .as_ref()
                .is_some_and(|c| bool::from(c.hash.ct_eq(hash)))
        {
            entry.code = None;
        }
        ready(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_code<'a>(subject: &'a str, hash: &'a CodeHash, now: u64) -> NewCode<'a> {
        NewCode {
            subject,
            purpose: "login",
            hash,
            now,
            expires_at: now + 600,
            max_attempts: 100,
            max_sends: 100,
            resend_window_secs: 900,
        }
    }

    async fn check(store: &MemoryOobStore, hash: &CodeHash) -> Checked {
        store.check("alice", "login", hash, 1).await.unwrap()
    }

    /// Every byte of the hash takes part in the (constant-time) comparison:
    /// a hash differing in any one bit of any byte is refused.
    #[tokio::test]
    async fn the_whole_hash_is_compared() {
        let store = MemoryOobStore::new();
        let hash = [0x5a; 32];
        store.issue(new_code("alice", &hash, 0)).await.unwrap();
        for i in 0..32 {
            for bit in [0x01, 0x80] {
                let mut other = hash;
                other[i] ^= bit;
                assert!(
                    matches!(check(&store, &other).await, Checked::Wrong { .. }),
                    "byte {i}"
                );
            }
        }
        assert_eq!(check(&store, &hash).await, Checked::Verified);
    }

    /// Voiding only removes the code it names: a newer one sent meanwhile stays.
    #[tokio::test]
    async fn void_spares_a_newer_code() {
        let store = MemoryOobStore::new();
        store.issue(new_code("alice", &[1; 32], 0)).await.unwrap();
        store.issue(new_code("alice", &[2; 32], 0)).await.unwrap();
        store.void("alice", "login", &[1; 32]).await.unwrap();
        assert_eq!(check(&store, &[2; 32]).await, Checked::Verified);
        store.issue(new_code("alice", &[3; 32], 0)).await.unwrap();
        store.void("alice", "login", &[3; 32]).await.unwrap();
        assert_eq!(check(&store, &[3; 32]).await, Checked::NoCode);
    }

    /// Dead entries do not pile up: a flood of one-off subjects is swept
    /// once their codes and windows are over.
    #[tokio::test]
    async fn dead_entries_are_swept() {
        let store = MemoryOobStore::new();
        let hash = [7; 32];
        for i in 0..MIN_SWEEP {
            store
                .issue(new_code(&format!("user{i}"), &hash, 0))
                .await
                .unwrap();
        }
        assert_eq!(store.len(), MIN_SWEEP);
        // Still live at 600: nothing to sweep, the next sweep waits for twice as many.
        store.issue(new_code("late", &hash, 600)).await.unwrap();
        assert_eq!(store.len(), MIN_SWEEP + 1);
        // After the window (900 s): all but the newest go.
        for i in 0..MIN_SWEEP {
            store
                .issue(new_code(&format!("again{i}"), &hash, 2000))
                .await
                .unwrap();
        }
        assert!(store.len() <= MIN_SWEEP + 2, "{}", store.len());
    }

    /// Sweeps are amortised: after one, dead entries wait until the map has
    /// doubled, so a flood of sends costs one pass over the map per doubling.
    /// A sweep keeps an entry while its window or its code is live, and
    /// drops it the second both are over.
    #[tokio::test]
    async fn a_sweep_waits_for_the_map_to_double_and_keeps_what_is_live() {
        let store = MemoryOobStore::new();
        assert!(store.is_empty());
        let hash = [7; 32];
        for i in 0..MIN_SWEEP {
            store
                .issue(new_code(&format!("user{i}"), &hash, 0))
                .await
                .unwrap();
        }
        assert!(!store.is_empty());
        // This sweep finds every entry live: the next waits for twice as many.
        store.issue(new_code("first", &hash, 100)).await.unwrap();
        assert_eq!(store.len(), MIN_SWEEP + 1);
        // A window over at 160, one code live until just past 1000, one dead at 1000.
        let short = |subject, expires_at| NewCode {
            expires_at,
            resend_window_secs: 60,
            ..new_code(subject, &hash, 100)
        };
        store.issue(short("long", 1001)).await.unwrap();
        store.issue(short("edge", 1000)).await.unwrap();
        // By 1000 the first 1025 entries are dead, yet nothing is swept
        // until the map holds twice what the last sweep left.
        let late = 2 * MIN_SWEEP - store.len();
        for i in 0..late {
            store
                .issue(new_code(&format!("late{i}"), &hash, 1000))
                .await
                .unwrap();
        }
        assert_eq!(store.len(), 2 * MIN_SWEEP);
        store.issue(new_code("last", &hash, 1000)).await.unwrap();
        assert_eq!(store.len(), late + 2, "the late ones, `long` and `last`");
        let at = |subject| store.check(subject, "login", &hash, 1000);
        assert_eq!(at("long").await.unwrap(), Checked::Verified);
        assert_eq!(at("edge").await.unwrap(), Checked::NoCode);
        assert_eq!(at("first").await.unwrap(), Checked::NoCode);
        assert_eq!(format!("{store:?}"), "MemoryOobStore { .. }");
    }
}
