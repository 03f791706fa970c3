//! Counters in Redis, shared by every instance of the service.

use crate::algorithm::{Algorithm, Eval};
use crate::error::StoreError;
use crate::limit::Limit;
use crate::limiter::Resolved;
use rampart_core::redis::{ConnectError, RedisConfig, RedisConnection, Script};
use redis::RedisError;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

// The scripts: `check.lua` decides any mix of algorithms, `gcra.lua` only
// GCRA levels with one read and at most one write per level (the default
// algorithm's fast path). Both keep GCRA state in the same string format.
static CHECK: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("check.lua")));
static GCRA: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("gcra.lua")));

/// The key kind of GCRA state (a string), apart from the other algorithms'
/// hashes so that a limit whose algorithm changes never reads the wrong type.
const GCRA_STATE: &str = "g";

/// Rate-limit counters in Redis, so every instance of the service counts
/// against one quota.
///
/// Each check, however many limits it spans, is **one** Lua script call: the
/// script is called by its SHA (`EVALSHA`, falling back to `EVAL` with the
/// script's body on `NOSCRIPT`, so a script cache emptied by a restart, a
/// failover or `SCRIPT FLUSH` costs one more round trip, not an error),
/// reads the time from the Redis server (`TIME`), evaluates every limit and
/// writes only when all admit. Instances whose clocks disagree therefore still agree on windows.
///
/// Keys are `{<prefix>}:g:<limit>:<key>` (GCRA, one string),
/// `{<prefix>}:s:<limit>:<key>` (the other algorithms, a hash) and
/// `{<prefix>}:l:<limit>:<key>` (sliding-log entries), and expire once the
/// key's quota is whole again. A check whose limits are all GCRA (the default)
/// runs a shorter script: one read and at most one write per limit.
///
/// **Redis Cluster.** A script needs all its keys in one hash slot. A
/// limiter with **one** limit tags each counter by its own limit and key,
/// `<prefix>:{<limit>:<key>}:g` (and `:s`, `:l`), so counters spread over the
/// whole cluster. A limiter with several limits checks them in one script, and
/// its levels key on different things (an IP, a user, a tenant), so they keep
/// the hash tag `{<prefix>}` and every counter of that limiter sits on one
/// node: prefer one limiter per limit (as the reference app does by IP and by
/// user) where the load is high. Which form is used follows from the
/// limiter's configuration, so every instance agrees; changing the number of
/// limits moves (and so restarts) the counters. The connection
/// ([`RedisConnection`]) reconnects by itself, so a Redis that comes back, a
/// restarted node or a promoted replica is used again without a restart.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use rampart_ratelimit::{Limit, Quota, RateLimiter, RedisStore};
/// // One URL, or the comma-separated nodes of a Redis Cluster.
/// let store = RedisStore::connect("redis://127.0.0.1:6379", "myapp:rl").await?;
/// let limiter = RateLimiter::builder()
///     .limit(Limit::new("ip", Quota::per_minute(600)))
///     .redis(store)
///     .fail_over_to_memory()
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    conn: RedisConnection,
    prefix: Arc<str>,
    /// Whether each counter has its own hash tag (a limiter of one limit).
    per_key: bool,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("mode", &self.conn.mode())
            .finish_non_exhaustive()
    }
}

pub(crate) fn store_err(e: RedisError) -> StoreError {
    StoreError(format!("redis: {e}"))
}

fn connect_err(e: ConnectError) -> StoreError {
    StoreError(e.to_string())
}

impl RedisStore {
    /// Connects to `url`, one URL or several comma-separated Redis Cluster
    /// node URLs; every key starts with `prefix`. Each round trip may take
    /// 500 ms before it counts as a failure.
    ///
    /// # Errors
    /// The URL is invalid or Redis cannot be reached now.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let conn = RedisConnection::connect(url).await.map_err(connect_err)?;
        Ok(Self::new(conn, prefix))
    }

    /// [`RedisStore::connect`] with a chosen round-trip and connect timeout.
    ///
    /// # Errors
    /// The URL is invalid or Redis cannot be reached now.
    pub async fn connect_with_timeout(
        url: &str,
        prefix: &str,
        timeout: Duration,
    ) -> Result<Self, StoreError> {
        let config = RedisConfig::parse(url).map_err(|e| StoreError(e.to_string()))?;
        let conn = config.timeout(timeout).connect().await.map_err(store_err)?;
        Ok(Self::new(conn, prefix))
    }

    /// Uses an existing connection (a single node or a cluster).
    pub fn new(conn: RedisConnection, prefix: &str) -> Self {
        Self {
            conn,
            prefix: Arc::from(prefix),
            per_key: false,
        }
    }

    /// The store as a limiter of `limits` limits uses it: one limit tags
    /// each counter on its own, several share the prefix's tag.
    pub(crate) fn for_limits(mut self, limits: usize) -> Self {
        self.per_key = limits == 1;
        self
    }

    pub(crate) fn conn(&self) -> RedisConnection {
        self.conn.clone()
    }

    /// The key of one counter: `kind` apart, a check's keys of one level
    /// share everything up to and including the hash tag, so their slot.
    ///
    /// Built by appending rather than `format!`: on a check's path, the
    /// formatting machinery cost more than the rest of building the call.
    pub(crate) fn key(&self, kind: &str, name: &str, key: &str) -> String {
        let prefix: &str = &self.prefix;
        let parts: &[&str] = if self.per_key {
            &[prefix, ":{", name, ":", key, "}:", kind]
        } else {
            &["{", prefix, "}:", kind, ":", name, ":", key]
        };
        let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
        for part in parts {
            out.push_str(part);
        }
        out
    }

    pub(crate) async fn check(
        &self,
        limits: &[Limit],
        resolved: &[Resolved<'_>],
    ) -> Result<Vec<Eval>, StoreError> {
        if resolved.is_empty() {
            return Ok(Vec::new());
        }
        let all_gcra = resolved
            .iter()
            .all(|r| limits[r.index].algorithm == Algorithm::Gcra);
        let mut invocation = if all_gcra {
            GCRA.prepare_invoke()
        } else {
            CHECK.prepare_invoke()
        };
        if !all_gcra {
            invocation.arg(resolved.len());
        }
        for r in resolved {
            let limit = &limits[r.index];
            let q = r.quota;
            let penalty = q.penalty().map_or(0, micros);
            if all_gcra {
                // Integers, as check.lua takes them: the script derives the
                // emission interval with the same double arithmetic, and
                // integers print far faster than floating-point numbers.
                invocation
                    .key(self.key(GCRA_STATE, limit.name, &r.key))
                    .arg(micros(q.period()))
                    .arg(q.limit())
                    .arg(q.burst())
                    .arg(penalty);
                continue;
            }
            let state = if limit.algorithm == Algorithm::Gcra {
                GCRA_STATE
            } else {
                "s"
            };
            invocation
                .key(self.key(state, limit.name, &r.key))
                .key(self.key("l", limit.name, &r.key));
            invocation
                .arg(limit.algorithm.as_str())
                .arg(q.limit())
                .arg(micros(q.period()))
                .arg(q.burst())
                .arg(penalty);
        }
        let mut conn = self.conn.clone();
        let flat: Vec<i64> = invocation
            .invoke_async(&mut conn)
            .await
            .map_err(store_err)?;
        if flat.len() != resolved.len() * 5 {
            return Err(StoreError(format!(
                "redis: the rate-limit script answered {} numbers for {} limits",
                flat.len(),
                resolved.len()
            )));
        }
        Ok(flat
            .chunks_exact(5)
            .map(|c| Eval {
                allowed: c[0] == 1,
                remaining: u32::try_from(c[1].max(0)).unwrap_or(u32::MAX),
                reset_after: nanos(c[2]),
                retry_after: nanos(c[3]),
                blocked: c[4] == 1,
            })
            .collect())
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn nanos(us: i64) -> u64 {
    u64::try_from(us.max(0)).unwrap_or(0).saturating_mul(1000)
}

// Algorithms named in the script; a new variant must be added there too.
const _: () = {
    let _ = |a: Algorithm| match a {
        Algorithm::Gcra
        | Algorithm::TokenBucket
        | Algorithm::LeakyBucket
        | Algorithm::FixedWindow
        | Algorithm::SlidingLog
        | Algorithm::SlidingWindow => (),
    };
};

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rampart_core::redis::slot;

    async fn store(prefix: &str) -> RedisStore {
        // A connection is needed to build a store, not to name its keys: a
        // lazily connecting manager to a port nothing listens on.
        let client = redis::Client::open("redis://127.0.0.1:1").unwrap();
        let config = redis::aio::ConnectionManagerConfig::new();
        let conn = redis::aio::ConnectionManager::new_lazy_with_config(client, config).unwrap();
        RedisStore::new(RedisConnection::from_manager(conn), prefix)
    }

    #[tokio::test]
    async fn a_single_limit_spreads_its_counters_and_each_level_keeps_one_slot() {
        for prefix in ["app:rl", "{app}", "a{b"] {
            let one = store(prefix).await.for_limits(1);
            for key in ["10.0.0.1", "user:{7}", "a}b{c", ""] {
                // check.lua: a level's state and log; gcra.lua: its state.
                let g = slot(&one.key(GCRA_STATE, "api", key));
                assert_eq!(slot(&one.key("s", "api", key)), g, "{key}");
                assert_eq!(slot(&one.key("l", "api", key)), g, "{key}");
            }
        }
        let one = store("app:rl").await.for_limits(1);
        let slots: std::collections::HashSet<u16> = (0..64)
            .map(|i| slot(&one.key(GCRA_STATE, "ip", &format!("10.0.0.{i}"))))
            .collect();
        assert!(slots.len() > 48, "keys bunch in {} slots", slots.len());
    }

    #[tokio::test]
    async fn several_limits_and_the_login_counters_share_the_prefix_slot() {
        for prefix in ["app:rl", "{app}", "a{b"] {
            let many = store(prefix).await.for_limits(3);
            let base = slot(&many.key(GCRA_STATE, "ip", "10.0.0.1"));
            for (kind, name, key) in [
                ("s", "user", "alice"),
                ("l", "tenant", "acme"),
                (GCRA_STATE, "route", "/a{b}"),
                // The login script: the user and the IP counter at once.
                ("lu", "login", "alice"),
                ("li", "login", "10.0.0.1"),
            ] {
                assert_eq!(
                    slot(&many.key(kind, name, key)),
                    base,
                    "{kind} {name} {key}"
                );
            }
            // The login throttle's store is never narrowed to one limit.
            let login = store(prefix).await;
            assert_eq!(slot(&login.key("lu", "login", "bob")), base);
        }
    }

    #[tokio::test]
    async fn debug_names_the_prefix_and_mode_but_not_the_connection() {
        let shown = format!("{:?}", store("app:rl").await);
        assert!(shown.starts_with("RedisStore"), "{shown}");
        assert!(shown.contains("\"app:rl\""), "{shown}");
        assert!(shown.contains("single node"), "{shown}");
        assert!(!shown.contains("127.0.0.1"), "{shown}");
    }
}
