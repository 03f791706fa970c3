//! In-process revocations and refresh families (moka caches).

use super::{
    FamilyClient, FamilyInfo, FamilyStore, NewFamily, RevocationStore, Revoked, Rotation,
    RotationOutcome, StoreFuture, TokenRef, require_jti,
};
use moka::Expiry;
use moka::sync::Cache;
use rampart_core::{SharedClock, SystemClock};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// A value with the time-to-live moka should give it.
#[derive(Clone)]
struct Timed<T> {
    value: T,
    until: u64,
    ttl: Duration,
}

struct ByTtl;

impl<K, T> Expiry<K, Timed<T>> for ByTtl {
    fn expire_after_create(&self, _: &K, value: &Timed<T>, _: Instant) -> Option<Duration> {
        Some(value.ttl)
    }

    fn expire_after_update(
        &self,
        _: &K,
        value: &Timed<T>,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

fn cache<T: Clone + Send + Sync + 'static>() -> Cache<String, Timed<T>> {
    // Unbounded on purpose: evicting a revocation under memory pressure would
    // silently make a revoked token valid again. Entries leave when their
    // tokens would have expired.
    Cache::builder().expire_after(ByTtl).build()
}

/// Upper bound on refresh tokens valid at once in one family (grace window
/// siblings); beyond it a rotation is treated as reuse.
const MAX_SIBLINGS: usize = 8;

struct FamilyState {
    subject: String,
    current: Vec<String>,
    previous: Option<String>,
    rotated_at: u64,
    device: Option<String>,
    until: u64,
    deadline: u64,
    ended: bool,
    created: u64,
    client: FamilyClient,
}

/// Revocations and refresh families kept in this process.
///
/// Right for a single instance and for tests; with several instances a
/// logout on one would not reach the others, so use `RedisStore` there.
/// Entries expire (in moka) when the tokens they concern would have; whether
/// an entry still applies is decided against the store's [`Clock`](rampart_core::Clock).
///
/// Clones share the same state.
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

struct Inner {
    clock: SharedClock,
    tokens: Cache<String, Timed<()>>,
    families_revoked: Cache<String, Timed<()>>,
    subjects: Cache<String, Timed<u64>>,
    families: Cache<String, Timed<Arc<Mutex<FamilyState>>>>,
    /// Each subject's family ids, kept until the last of their deadlines.
    by_subject: Cache<String, Timed<Arc<Mutex<Vec<String>>>>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new(SystemClock::shared())
    }
}

impl MemoryStore {
    /// An empty store whose entries expire by `clock`.
    pub fn new(clock: SharedClock) -> Self {
        Self {
            inner: Arc::new(Inner {
                clock,
                tokens: cache(),
                families_revoked: cache(),
                subjects: cache(),
                families: cache(),
                by_subject: cache(),
            }),
        }
    }

    fn timed<T>(&self, value: T, until: u64) -> Timed<T> {
        let now = self.inner.clock.unix_secs();
        // One second of slack so moka never drops an entry the clock still needs.
        let ttl = Duration::from_secs(until.saturating_sub(now).saturating_add(1));
        Timed { value, until, ttl }
    }

    fn rotate_now(&self, r: &Rotation<'_>) -> RotationOutcome {
        // No issued jti is empty or holds whitespace: refused as Redis refuses
        // it, without ending the family, so both stores answer alike.
        if r.presented.is_empty() || r.presented.contains(char::is_whitespace) {
            return RotationOutcome::Revoked;
        }
        let Some(entry) = self.inner.families.get(r.family) else {
            return RotationOutcome::Revoked;
        };
        let mut until = r.until;
        let outcome = {
            let mut state = entry.value.lock().unwrap_or_else(PoisonError::into_inner);
            // `until` never passes the deadline (capped on every write), so
            // this also ends the family at its absolute lifetime.
            if state.ended || state.until <= r.now || state.subject != r.subject {
                return RotationOutcome::Revoked;
            }
            // The device id works as a weak second factor for the family: compare it
            // without leaking a matching prefix through timing.
            if let Some(bound) = &state.device
                && !r
                    .device
                    .is_some_and(|d| bool::from(d.as_bytes().ct_eq(bound.as_bytes())))
            {
                return RotationOutcome::DeviceMismatch;
            }
            if state.current.iter().any(|c| c == r.presented) {
                state.previous = Some(r.presented.to_owned());
                state.current = vec![r.next.to_owned()];
                state.rotated_at = r.now;
                state.until = r.until.min(state.deadline);
                until = state.until;
                RotationOutcome::Rotated
            } else if r.grace_secs > 0
                && state.previous.as_deref() == Some(r.presented)
                && r.now <= state.rotated_at.saturating_add(r.grace_secs)
                && state.current.len() < MAX_SIBLINGS
            {
                state.current.push(r.next.to_owned());
                state.until = state.until.max(r.until).min(state.deadline);
                until = state.until;
                RotationOutcome::Grace
            } else {
                state.ended = true;
                RotationOutcome::Reused
            }
        };
        if matches!(outcome, RotationOutcome::Rotated | RotationOutcome::Grace) {
            // Re-insert so moka's expiry follows the family's new lifetime,
            // which never passes its deadline.
            self.inner
                .families
                .insert(r.family.to_owned(), self.timed(entry.value.clone(), until));
        }
        outcome
    }
}

/// A revoked token's key: its subject and `jti` together, as in the Redis
/// store, because a `jti` is unique only per issuer and several issuers
/// (external providers) may reuse one. The subject's length comes first so no
/// pair of strings can collide with another.
fn token_key(subject: &str, jti: &str) -> String {
    format!("{}:{subject}{jti}", subject.len())
}

/// Calls `f` with [`token_key`], written on the stack when it fits: every
/// authenticated request looks its token up, and the lookup need not allocate.
fn with_token_key<T>(subject: &str, jti: &str, f: impl FnOnce(&str) -> T) -> T {
    use std::io::Write;
    let mut buf = [0u8; 192];
    let mut rest = &mut buf[..];
    if write!(rest, "{}:{subject}{jti}", subject.len()).is_ok() {
        let written = 192 - rest.len();
        if let Ok(key) = std::str::from_utf8(&buf[..written]) {
            return f(key);
        }
    }
    f(&token_key(subject, jti))
}

impl RevocationStore for MemoryStore {
    fn revoke_token<'a>(
        &'a self,
        subject: &'a str,
        jti: &'a str,
        until: u64,
    ) -> StoreFuture<'a, ()> {
        let result = require_jti(jti).map(|()| {
            self.inner
                .tokens
                .insert(token_key(subject, jti), self.timed((), until));
        });
        Box::pin(std::future::ready(result))
    }

    fn revoke_family<'a>(
        &'a self,
        _subject: &'a str,
        family: &'a str,
        until: u64,
    ) -> StoreFuture<'a, ()> {
        self.inner
            .families_revoked
            .insert(family.to_owned(), self.timed((), until));
        Box::pin(std::future::ready(Ok(())))
    }

    fn revoke_subject<'a>(
        &'a self,
        subject: &'a str,
        before: u64,
        until: u64,
    ) -> StoreFuture<'a, ()> {
        self.inner
            .subjects
            .entry(subject.to_owned())
            .and_upsert_with(|old| {
                let (before, until) = match old {
                    Some(e) => (e.value().value.max(before), e.value().until.max(until)),
                    None => (before, until),
                };
                self.timed(before, until)
            });
        Box::pin(std::future::ready(Ok(())))
    }

    fn check<'a>(&'a self, token: TokenRef<'a>, now: u64) -> StoreFuture<'a, Option<Revoked>> {
        let inner = &self.inner;
        let live = |until: u64| until > now;
        let result = if token
            .jti
            .and_then(|j| with_token_key(token.subject, j, |key| inner.tokens.get(key)))
            .is_some_and(|e| live(e.until))
        {
            Some(Revoked::Token)
        } else if token
            .family
            .and_then(|f| inner.families_revoked.get(f))
            .is_some_and(|e| live(e.until))
        {
            Some(Revoked::Family)
        } else if inner
            .subjects
            .get(token.subject)
            .is_some_and(|e| live(e.until) && token.issued_at <= e.value)
        {
            Some(Revoked::Subject)
        } else {
            None
        };
        Box::pin(std::future::ready(Ok(result)))
    }
}

impl FamilyStore for MemoryStore {
    fn create_family<'a>(&'a self, f: &'a NewFamily) -> StoreFuture<'a, ()> {
        self.create_family_with_client(f, &super::listing::NO_CLIENT)
    }

    fn create_family_with_client<'a>(
        &'a self,
        f: &'a NewFamily,
        client: &'a FamilyClient,
    ) -> StoreFuture<'a, ()> {
        let state = FamilyState {
            subject: f.subject.clone(),
            current: vec![f.current.clone()],
            previous: None,
            rotated_at: 0,
            device: f.device.clone(),
            until: f.until.min(f.deadline),
            deadline: f.deadline,
            ended: false,
            created: self.inner.clock.unix_secs(),
            client: client.clone(),
        };
        self.inner.families.insert(
            f.family.clone(),
            self.timed(Arc::new(Mutex::new(state)), f.until.min(f.deadline)),
        );
        self.inner
            .by_subject
            .entry(f.subject.clone())
            .and_upsert_with(|old| {
                let (ids, until) = match old {
                    Some(e) => (e.value().value.clone(), e.value().until.max(f.deadline)),
                    None => (Arc::default(), f.deadline),
                };
                ids.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(f.family.clone());
                self.timed(ids, until)
            });
        Box::pin(std::future::ready(Ok(())))
    }

    fn rotate<'a>(&'a self, rotation: Rotation<'a>) -> StoreFuture<'a, RotationOutcome> {
        Box::pin(std::future::ready(Ok(self.rotate_now(&rotation))))
    }

    fn end_family<'a>(
        &'a self,
        subject: &'a str,
        family: &'a str,
        _until: u64,
    ) -> StoreFuture<'a, ()> {
        if let Some(entry) = self.inner.families.get(family) {
            let mut state = entry.value.lock().unwrap_or_else(PoisonError::into_inner);
            if state.subject == subject {
                state.ended = true;
            }
        }
        Box::pin(std::future::ready(Ok(())))
    }

    fn list_families<'a>(&'a self, subject: &'a str, now: u64) -> StoreFuture<'a, Vec<FamilyInfo>> {
        let mut live = Vec::new();
        if let Some(index) = self.inner.by_subject.get(subject) {
            let mut ids = index.value.lock().unwrap_or_else(PoisonError::into_inner);
            // Ended or expired families leave the index as they are seen.
            ids.retain(|id| {
                let Some(entry) = self.inner.families.get(id) else {
                    return false;
                };
                let state = entry.value.lock().unwrap_or_else(PoisonError::into_inner);
                if state.subject != subject || state.ended || state.until <= now {
                    return false;
                }
                live.push(FamilyInfo {
                    family: id.clone(),
                    created: state.created,
                    last_rotated: (state.rotated_at > 0).then_some(state.rotated_at),
                    expires: state.until,
                    client: state.client.clone(),
                });
                true
            });
        }
        live.sort_by(|a, b| a.created.cmp(&b.created).then(a.family.cmp(&b.family)));
        Box::pin(std::future::ready(Ok(live)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stack_key_is_the_stored_key_short_or_long() {
        for (subject, jti) in [
            ("alice", "j-1"),
            ("", "j"),
            ("ünïcode", "jti-ü"),
            (&*"s".repeat(150), &*"j".repeat(100)),
        ] {
            let seen = with_token_key(subject, jti, str::to_owned);
            assert_eq!(seen, token_key(subject, jti));
        }
        // The length prefix keeps pairs apart.
        assert_ne!(
            with_token_key("ab", "c", str::to_owned),
            with_token_key("a", "bc", str::to_owned)
        );
    }
}
