//! MFA state in this process's memory.

use super::{BackupHash, MfaRecord, MfaStore};
use crate::mfa::{FailureOutcome, ThrottlePolicy};
use crate::revocation::StoreFuture;
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

#[derive(Default)]
struct Entry {
    secret: Option<Vec<u8>>,
    pending: Option<Vec<u8>>,
    pending_codes: HashSet<BackupHash>,
    codes: HashSet<BackupHash>,
    last_step: Option<u64>,
    failures: u32,
    window_start: u64,
    locked_until: u64,
}

/// MFA state in memory: for one instance, tests and demos. Every operation
/// holds one lock for its whole check-and-write, so each is atomic.
///
/// Entries are kept until [`MfaStore::remove`]: an enrolment must outlive any
/// cache eviction, so this is a plain map, sized by the number of users who
/// enrolled or failed a second factor.
#[derive(Default)]
pub struct MemoryMfaStore {
    users: Mutex<HashMap<String, Entry>>,
}

impl std::fmt::Debug for MemoryMfaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryMfaStore").finish_non_exhaustive()
    }
}

impl MemoryMfaStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn users(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        // A panic elsewhere while holding the lock leaves each entry whole:
        // every write below is a single assignment or set operation.
        self.users.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn ready<'a, T: Send + 'a>(value: T) -> StoreFuture<'a, T> {
    Box::pin(std::future::ready(Ok(value)))
}

impl MfaStore for MemoryMfaStore {
    fn load<'a>(&'a self, user: &'a str, now: u64) -> StoreFuture<'a, Option<MfaRecord>> {
        let record = self.users().get(user).map(|e| MfaRecord {
            secret: e.secret.clone(),
            pending: e.pending.clone(),
            last_step: e.last_step,
            backup_codes: if e.secret.is_some() { e.codes.len() } else { 0 },
            failures: e.failures,
            locked_until: (e.locked_until > now).then_some(e.locked_until),
        });
        ready(record)
    }

    fn begin<'a>(
        &'a self,
        user: &'a str,
        sealed: &'a [u8],
        backup: &'a [BackupHash],
    ) -> StoreFuture<'a, bool> {
        let mut users = self.users();
        let entry = users.entry(user.to_owned()).or_default();
        if entry.secret.is_some() {
            return ready(false);
        }
        entry.pending = Some(sealed.to_vec());
        entry.pending_codes = backup.iter().copied().collect();
        ready(true)
    }

    fn confirm<'a>(&'a self, user: &'a str, sealed: &'a [u8], step: u64) -> StoreFuture<'a, bool> {
        let mut users = self.users();
        let Some(entry) = users.get_mut(user) else {
            return ready(false);
        };
        if entry.pending.as_deref() != Some(sealed) {
            return ready(false);
        }
        entry.secret = entry.pending.take();
        entry.codes = std::mem::take(&mut entry.pending_codes);
        entry.last_step = Some(step);
        ready(true)
    }

    fn advance_step<'a>(&'a self, user: &'a str, step: u64) -> StoreFuture<'a, bool> {
        let mut users = self.users();
        let advanced = match users.get_mut(user) {
            Some(entry) if entry.secret.is_some() && entry.last_step.is_none_or(|l| step > l) => {
                entry.last_step = Some(step);
                true
            }
            _ => false,
        };
        ready(advanced)
    }

    fn consume_backup_code<'a>(
        &'a self,
        user: &'a str,
        hash: &'a BackupHash,
    ) -> StoreFuture<'a, Option<usize>> {
        let mut users = self.users();
        let mut left = None;
        if let Some(entry) = users.get_mut(user)
            && entry.secret.is_some()
            && entry.codes.remove(hash)
        {
            left = Some(entry.codes.len());
        }
        ready(left)
    }

    fn replace_backup_codes<'a>(
        &'a self,
        user: &'a str,
        backup: &'a [BackupHash],
    ) -> StoreFuture<'a, bool> {
        let mut users = self.users();
        let replaced = match users.get_mut(user) {
            Some(entry) if entry.secret.is_some() => {
                entry.codes = backup.iter().copied().collect();
                true
            }
            _ => false,
        };
        ready(replaced)
    }

    fn remove<'a>(&'a self, user: &'a str) -> StoreFuture<'a, ()> {
        let mut users = self.users();
        if let Some(entry) = users.get_mut(user) {
            entry.secret = None;
            entry.pending = None;
            entry.codes.clear();
            entry.pending_codes.clear();
            entry.last_step = None;
        }
        ready(())
    }

    fn record_failure<'a>(
        &'a self,
        user: &'a str,
        now: u64,
        policy: ThrottlePolicy,
    ) -> StoreFuture<'a, FailureOutcome> {
        let mut users = self.users();
        let entry = users.entry(user.to_owned()).or_default();
        if entry.locked_until > now {
            return ready(FailureOutcome::AlreadyLocked(entry.locked_until));
        }
        if entry.failures == 0 || now >= entry.window_start.saturating_add(policy.window_secs) {
            entry.failures = 0;
            entry.window_start = now;
        }
        entry.failures += 1;
        if entry.failures >= policy.max_failures {
            entry.failures = 0;
            entry.locked_until = now.saturating_add(policy.lockout_secs);
            return ready(FailureOutcome::LockedNow(entry.locked_until));
        }
        ready(FailureOutcome::Counted(entry.failures))
    }

    fn clear_failures<'a>(&'a self, user: &'a str) -> StoreFuture<'a, ()> {
        if let Some(entry) = self.users().get_mut(user) {
            entry.failures = 0;
        }
        ready(())
    }

    fn replace_secret<'a>(
        &'a self,
        user: &'a str,
        old: &'a [u8],
        new: &'a [u8],
    ) -> StoreFuture<'a, bool> {
        let mut users = self.users();
        let replaced = match users.get_mut(user) {
            Some(entry) if entry.secret.as_deref() == Some(old) => {
                entry.secret = Some(new.to_vec());
                true
            }
            _ => false,
        };
        ready(replaced)
    }
}
