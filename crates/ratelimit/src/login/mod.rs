//! `LoginThrottle`: brute-force protection for a login endpoint.

mod counter;
mod lists;
mod memory;
#[cfg(feature = "redis")]
mod redis;
mod responder;

use crate::error::ConfigError;
use crate::key::{digest, group_ip};
use crate::limiter::{FailMode, TARGET};
use counter::{Rule, Wait};
use lists::{NetList, parse_net};
use memory::Counters;
use rampart_core::{
    EventKind, Problem, Rejection, STORE_RETRY_AFTER_SECS, SecurityEvent, SharedClock, SharedSink,
    SystemClock, TracingSink,
};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use unicode_normalization::UnicodeNormalization;

/// Why a login attempt must wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThrottleReason {
    /// The account is locked after too many failures.
    UserLocked,
    /// The account must wait out its exponential backoff.
    UserBackoff,
    /// The address is blocked after too many failures.
    IpBlocked,
    /// The address is on the block-list.
    BlockListed,
}

/// The answer of [`LoginThrottle::check`] and [`LoginThrottle::record_failure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginDecision {
    /// The attempt may proceed to the credential check.
    Allowed,
    /// The attempt must not be checked now.
    Throttled {
        /// Why.
        reason: ThrottleReason,
        /// How long until an attempt may pass.
        retry_after: Duration,
    },
    /// The store failed and the throttle fails closed.
    Unavailable,
}

impl LoginDecision {
    /// Whether the attempt may proceed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, LoginDecision::Allowed)
    }
}

impl Rejection for LoginDecision {
    /// `429` with `Retry-After` when throttled, `503` when the store is down.
    /// Both say the same for a locked account and a blocked address, so the
    /// answer does not tell an attacker which usernames exist or are locked.
    fn to_problem(&self) -> Problem {
        match self {
            LoginDecision::Throttled { retry_after, .. } => {
                Problem::too_many_requests(crate::decision::ceil_secs(*retry_after))
                    .with_detail("too many failed sign-in attempts; retry later")
            }
            LoginDecision::Unavailable => Problem::unavailable_retry_after(STORE_RETRY_AFTER_SECS)
                .with_detail("sign-in is temporarily unavailable"),
            LoginDecision::Allowed => Problem::internal(),
        }
    }
}

/// The failures of both kinds after an operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Waits {
    user: Option<Wait>,
    ip: Option<Wait>,
    user_locked_now: bool,
    ip_locked_now: bool,
}

/// Counts failed sign-ins per username and per client address and locks
/// either out after too many.
///
/// Defaults: 5 failures of one username within 15 minutes lock it for 30
/// minutes; 20 failures from one address (IPv6: one `/64`) within 15 minutes
/// block it for 60 minutes. A success resets the username's count.
///
/// Usernames are compared after Unicode NFKC normalisation and lower-casing,
/// so `Alice`, `ALICE` and `ａｌｉｃｅ` are one account; only a digest of the
/// normalised name is kept. Memory is bounded (oldest idle counters go first
/// under a flood of distinct names) and a flood from one address is stopped by
/// the per-address rule.
///
/// **Victim lockout.** Anyone who knows a username can lock its account by
/// failing on purpose; that is the price of stopping a distributed guess of one
/// password. Limit it with a shorter lockout or [`LoginThrottleBuilder::exponential_backoff`]
/// instead of a hard lock (raise `user_failures`), and allow-list networks you
/// trust (an office NAT) so they are never blocked by address.
///
/// ```
/// # async fn demo() -> Result<(), rampart_ratelimit::ConfigError> {
/// use rampart_ratelimit::LoginThrottle;
/// let throttle = LoginThrottle::builder().build()?;
/// let ip = "203.0.113.5".parse().unwrap();
/// for _ in 0..5 {
///     assert!(throttle.check("alice", ip).await.is_allowed());
///     // ... the password was wrong:
///     throttle.record_failure("alice", ip).await;
/// }
/// assert!(!throttle.check("Alice", ip).await.is_allowed());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct LoginThrottle {
    inner: Arc<Inner>,
}

struct Inner {
    user: Rule,
    ip: Rule,
    users: Counters,
    ips: Counters,
    allow: NetList,
    block: NetList,
    clock: SharedClock,
    sink: SharedSink,
    #[cfg(feature = "redis")]
    redis: Option<crate::store::redis::RedisStore>,
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    fail_mode: FailMode,
}

impl std::fmt::Debug for LoginThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginThrottle")
            .field("user", &self.inner.user)
            .field("ip", &self.inner.ip)
            .finish_non_exhaustive()
    }
}

/// Builds a [`LoginThrottle`].
#[must_use]
pub struct LoginThrottleBuilder {
    user: Rule,
    ip: Rule,
    max_keys: usize,
    clock: Option<SharedClock>,
    sink: Option<SharedSink>,
    #[cfg(feature = "redis")]
    redis: Option<crate::store::redis::RedisStore>,
    fail_mode: FailMode,
}

const MIN: u64 = 60_000_000_000;

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl LoginThrottleBuilder {
    /// `max` failures of one username within `window` lock it (default 5 in 15 min).
    pub fn user_failures(mut self, max: u32, window: Duration) -> Self {
        self.user.max_failures = max;
        self.user.window = nanos(window);
        self
    }

    /// How long a username stays locked (default 30 min).
    pub fn user_lockout(mut self, lockout: Duration) -> Self {
        self.user.lockout = nanos(lockout);
        self
    }

    /// `max` failures from one address within `window` block it (default 20 in 15 min).
    pub fn ip_failures(mut self, max: u32, window: Duration) -> Self {
        self.ip.max_failures = max;
        self.ip.window = nanos(window);
        self
    }

    /// How long an address stays blocked (default 60 min).
    pub fn ip_block(mut self, block: Duration) -> Self {
        self.ip.lockout = nanos(block);
        self
    }

    /// After the n-th failure of a username, its next attempt waits
    /// `base × 2^(n−1)`, at most `max` (default: no backoff).
    pub fn exponential_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.user.backoff_base = nanos(base);
        self.user.backoff_max = nanos(max);
        self
    }

    /// Counters kept in memory per kind (default 100,000).
    pub fn max_keys(mut self, max_keys: usize) -> Self {
        self.max_keys = max_keys;
        self
    }

    /// Reads time from `clock` (default: the system clock; Redis uses its own).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Where lockouts, throttled attempts and store failures are reported
    /// (default: [`TracingSink`]).
    pub fn event_sink(mut self, sink: SharedSink) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Keeps the counters in Redis, shared by every instance.
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn redis(mut self, store: crate::store::redis::RedisStore) -> Self {
        self.redis = Some(store);
        self
    }

    /// When the store fails, let attempts through (default: refuse with 503).
    pub fn insecure_fail_open(mut self) -> Self {
        self.fail_mode = FailMode::Open;
        self
    }

    /// When the store fails, count in local memory until it is back.
    pub fn fail_over_to_memory(mut self) -> Self {
        self.fail_mode = FailMode::Memory;
        self
    }

    /// Validates the settings and builds the throttle.
    ///
    /// # Errors
    /// [`ConfigError::Login`] for a zero count, window or lockout, or a backoff
    /// whose maximum is below its base; [`ConfigError::Capacity`] for no room.
    pub fn build(self) -> Result<LoginThrottle, ConfigError> {
        for (what, r) in [("user", &self.user), ("ip", &self.ip)] {
            let fail = |reason| Err(ConfigError::Login { what, reason });
            if r.max_failures == 0 {
                return fail("the failure count must be at least 1");
            }
            if r.window == 0 || r.lockout == 0 {
                return fail("the window and the lockout must be longer than zero");
            }
            if r.backoff_base > 0 && r.backoff_max < r.backoff_base {
                return fail("the backoff maximum must be at least its base");
            }
        }
        if self.max_keys == 0 {
            return Err(ConfigError::Capacity);
        }
        Ok(LoginThrottle {
            inner: Arc::new(Inner {
                user: self.user,
                ip: self.ip,
                users: Counters::new(self.max_keys),
                ips: Counters::new(self.max_keys),
                allow: NetList::default(),
                block: NetList::default(),
                clock: self.clock.unwrap_or_else(SystemClock::shared),
                sink: self.sink.unwrap_or_else(TracingSink::shared),
                #[cfg(feature = "redis")]
                redis: self.redis,
                fail_mode: self.fail_mode,
            }),
        })
    }
}

/// The form usernames are compared in: NFKC, lower case, trimmed.
pub fn normalize_username(username: &str) -> String {
    let folded: String = username.trim().nfkc().collect::<String>().to_lowercase();
    folded.nfkc().collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Check,
    Fail,
    Success,
}

impl LoginThrottle {
    /// A builder with the defaults (5 per user / 15 min → 30 min; 20 per IP /
    /// 15 min → 60 min; in memory; failing closed).
    pub fn builder() -> LoginThrottleBuilder {
        LoginThrottleBuilder {
            user: Rule {
                max_failures: 5,
                window: 15 * MIN,
                lockout: 30 * MIN,
                backoff_base: 0,
                backoff_max: 0,
            },
            ip: Rule {
                max_failures: 20,
                window: 15 * MIN,
                lockout: 60 * MIN,
                backoff_base: 0,
                backoff_max: 0,
            },
            max_keys: 100_000,
            clock: None,
            sink: None,
            #[cfg(feature = "redis")]
            redis: None,
            fail_mode: FailMode::Closed,
        }
    }

    fn now(&self) -> u64 {
        self.inner
            .clock
            .now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, nanos)
    }

    fn until(&self, until: Option<SystemTime>) -> Option<u64> {
        until.map(|t| t.duration_since(UNIX_EPOCH).map_or(0, nanos))
    }

    /// Never blocks addresses in `cidr` (until `until`, or for good); their
    /// usernames are still counted.
    ///
    /// # Errors
    /// [`ConfigError::InvalidCidr`] when `cidr` is not a network.
    pub fn allow_network(&self, cidr: &str, until: Option<SystemTime>) -> Result<(), ConfigError> {
        let net = parse_net(cidr)?;
        self.inner.allow.add(net, self.until(until), self.now());
        Ok(())
    }

    /// Refuses every attempt from `cidr` (until `until`, or for good).
    ///
    /// # Errors
    /// [`ConfigError::InvalidCidr`] when `cidr` is not a network.
    pub fn block_network(&self, cidr: &str, until: Option<SystemTime>) -> Result<(), ConfigError> {
        let net = parse_net(cidr)?;
        self.inner.block.add(net, self.until(until), self.now());
        Ok(())
    }

    /// Takes `cidr` off the allow-list; whether it was there.
    ///
    /// # Errors
    /// [`ConfigError::InvalidCidr`] when `cidr` is not a network.
    pub fn remove_allowed(&self, cidr: &str) -> Result<bool, ConfigError> {
        Ok(self.inner.allow.remove(parse_net(cidr)?))
    }

    /// Takes `cidr` off the block-list; whether it was there.
    ///
    /// # Errors
    /// [`ConfigError::InvalidCidr`] when `cidr` is not a network.
    pub fn remove_blocked(&self, cidr: &str) -> Result<bool, ConfigError> {
        Ok(self.inner.block.remove(parse_net(cidr)?))
    }

    /// Whether an attempt for `username` from `ip` may proceed to the
    /// credential check. Call it before verifying the password.
    pub async fn check(&self, username: &str, ip: IpAddr) -> LoginDecision {
        self.run(Op::Check, username, ip).await
    }

    /// Counts a failed attempt; the answer says whether the username or the
    /// address is now locked out.
    pub async fn record_failure(&self, username: &str, ip: IpAddr) -> LoginDecision {
        self.run(Op::Fail, username, ip).await
    }

    /// Clears the username's failures after a successful sign-in (the
    /// address's count stays: one good password does not vouch for the
    /// other names tried from there).
    pub async fn record_success(&self, username: &str, ip: IpAddr) {
        self.run(Op::Success, username, ip).await;
    }

    async fn run(&self, op: Op, username: &str, ip: IpAddr) -> LoginDecision {
        let now = self.now();
        let normalized = normalize_username(username);
        if op != Op::Success
            && self.inner.block.contains(ip, now)
            && !self.inner.allow.contains(ip, now)
        {
            let decision = LoginDecision::Throttled {
                reason: ThrottleReason::BlockListed,
                retry_after: Duration::from_secs(3600),
            };
            self.report_throttled(&decision, &normalized, ip);
            return decision;
        }
        let user_key = digest(normalized.as_bytes());
        let ip_key = (!self.inner.allow.contains(ip, now)).then(|| group_ip(ip, 32, 64));
        let waits = match self.waits(op, &user_key, ip_key.as_deref(), now).await {
            Ok(w) => w,
            Err(e) => match self.store_failed(op, &e, &normalized, ip) {
                Some(d) => return d,
                None => self.memory(op, &user_key, ip_key.as_deref(), now),
            },
        };
        if waits.user_locked_now {
            self.inner.sink.emit(
                SecurityEvent::new(
                    EventKind::AccountLocked,
                    TARGET,
                    "too many failed sign-ins for this username",
                )
                .at(self.inner.clock.now())
                .with_subject(normalized.clone())
                .with_field("scope", "user")
                .with_field("client_ip", ip.to_string())
                .with_field("lockout_secs", self.inner.user.lockout / 1_000_000_000),
            );
        }
        if waits.ip_locked_now {
            self.inner.sink.emit(
                SecurityEvent::new(
                    EventKind::AccountLocked,
                    TARGET,
                    "too many failed sign-ins from this address",
                )
                .at(self.inner.clock.now())
                .with_field("scope", "ip")
                .with_field("client_ip", ip.to_string())
                .with_field("lockout_secs", self.inner.ip.lockout / 1_000_000_000),
            );
        }
        let decision = decide(&waits);
        if op == Op::Check {
            self.report_throttled(&decision, &normalized, ip);
        }
        decision
    }

    async fn waits(
        &self,
        op: Op,
        user_key: &str,
        ip_key: Option<&str>,
        now: u64,
    ) -> Result<Waits, crate::StoreError> {
        #[cfg(feature = "redis")]
        if let Some(store) = &self.inner.redis {
            let name = match op {
                Op::Check => "check",
                Op::Fail => "fail",
                Op::Success => "success",
            };
            return redis::login(
                store,
                name,
                user_key,
                ip_key,
                &self.inner.user,
                &self.inner.ip,
            )
            .await;
        }
        Ok(self.memory(op, user_key, ip_key, now))
    }

    fn memory(&self, op: Op, user_key: &str, ip_key: Option<&str>, now: u64) -> Waits {
        let (ur, ir) = (&self.inner.user, &self.inner.ip);
        let mut waits = Waits::default();
        match op {
            Op::Success => {
                self.inner.users.reset(user_key);
                return waits;
            }
            Op::Fail => {
                waits.user_locked_now = self
                    .inner
                    .users
                    .update(user_key, ur, now, |c| c.fail(ur, now));
                if let Some(k) = ip_key {
                    waits.ip_locked_now = self.inner.ips.update(k, ir, now, |c| c.fail(ir, now));
                }
            }
            Op::Check => {}
        }
        waits.user = self.inner.users.get(user_key).wait(ur, now);
        waits.ip = ip_key.and_then(|k| self.inner.ips.get(k).wait(ir, now));
        waits
    }

    /// Reports a store failure; the decision when the fail mode settles it,
    /// `None` when memory takes over.
    fn store_failed(
        &self,
        op: Op,
        error: &crate::StoreError,
        username: &str,
        ip: IpAddr,
    ) -> Option<LoginDecision> {
        let mode = self.inner.fail_mode;
        let reason = match mode {
            FailMode::Closed => "login throttle store failed; attempt refused (fail closed)",
            FailMode::Open => "login throttle store failed; attempt admitted (fail open)",
            FailMode::Memory => "login throttle store failed; counting in local memory",
        };
        tracing::warn!(target: TARGET, error = %error, "login throttle store failed");
        self.inner.sink.emit(
            SecurityEvent::new(EventKind::StoreFailure, TARGET, reason)
                .at(self.inner.clock.now())
                .with_subject(username.to_owned())
                .with_field("client_ip", ip.to_string())
                .with_field("error", error.to_string()),
        );
        match (mode, op) {
            (FailMode::Memory, _) => None,
            (FailMode::Open, _) | (_, Op::Success) => Some(LoginDecision::Allowed),
            _ => Some(LoginDecision::Unavailable),
        }
    }

    fn report_throttled(&self, decision: &LoginDecision, username: &str, ip: IpAddr) {
        if let LoginDecision::Throttled {
            reason,
            retry_after,
        } = decision
        {
            self.inner.sink.emit(
                SecurityEvent::new(EventKind::RateLimited, TARGET, "sign-in attempt throttled")
                    .at(self.inner.clock.now())
                    .with_subject(username.to_owned())
                    .with_field("client_ip", ip.to_string())
                    .with_field("reason", format!("{reason:?}"))
                    .with_field("retry_after_secs", crate::decision::ceil_secs(*retry_after)),
            );
        }
    }
}

fn decide(waits: &Waits) -> LoginDecision {
    let as_decision = |w: Wait, locked, backoff| match w {
        Wait::Locked(ns) => (locked, ns),
        Wait::Backoff(ns) => (backoff, ns),
    };
    let candidates = [
        waits
            .user
            .map(|w| as_decision(w, ThrottleReason::UserLocked, ThrottleReason::UserBackoff)),
        waits
            .ip
            .map(|w| as_decision(w, ThrottleReason::IpBlocked, ThrottleReason::IpBlocked)),
    ];
    match candidates.into_iter().flatten().max_by_key(|(_, ns)| *ns) {
        Some((reason, ns)) => LoginDecision::Throttled {
            reason,
            retry_after: Duration::from_nanos(ns),
        },
        None => LoginDecision::Allowed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_fold_case_width_and_compatibility_forms() {
        let n = normalize_username("alice");
        for variant in ["Alice", "ALICE", " alice ", "ａｌｉｃｅ", "ＡＬＩＣＥ"] {
            assert_eq!(normalize_username(variant), n, "{variant:?}");
        }
        assert_ne!(normalize_username("alice2"), n);
        // Composed and decomposed accents are one name.
        assert_eq!(
            normalize_username("jos\u{e9}"),
            normalize_username("jose\u{301}")
        );
    }

    #[tokio::test]
    async fn a_flood_of_usernames_does_not_evict_a_locked_account() {
        let t = LoginThrottle::builder().max_keys(64).build().unwrap();
        let ip: IpAddr = "203.0.113.1".parse().unwrap();
        t.allow_network("203.0.113.0/24", None).unwrap();
        for _ in 0..5 {
            t.record_failure("victim", ip).await;
        }
        for i in 0..2_000 {
            t.record_failure(&format!("flood{i}"), ip).await;
        }
        assert!(!t.check("victim", ip).await.is_allowed());
    }

    #[test]
    fn the_memory_store_stays_bounded_under_a_flood_of_usernames() {
        let t = LoginThrottle::builder().max_keys(64).build().unwrap();
        let ip: IpAddr = "203.0.113.1".parse().unwrap();
        let now = t.now();
        for i in 0..5_000 {
            let key = digest(format!("user{i}").as_bytes());
            t.memory(Op::Fail, &key, Some(&group_ip(ip, 32, 64)), now);
        }
        assert!(t.inner.users.len() <= 64, "{}", t.inner.users.len());
    }
}
