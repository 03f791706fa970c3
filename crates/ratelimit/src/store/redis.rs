//! Counters in Redis, shared by every instance of the service.

use crate::algorithm::{Algorithm, Eval};
use crate::error::StoreError;
use crate::limit::Limit;
use crate::limiter::Resolved;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, Script};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// How long a Redis round trip may take before the fail mode applies.
const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);

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
/// script is loaded once and then called by its SHA (`EVALSHA`, falling back
/// to `EVAL` on `NOSCRIPT` after a restart or failover), reads the time from
/// the Redis server (`TIME`), evaluates every limit and writes only when all
/// admit. Instances whose clocks disagree therefore still agree on windows.
///
/// Keys are `{<prefix>}:g:<limit>:<key>` (GCRA, one string),
/// `{<prefix>}:s:<limit>:<key>` (the other algorithms, a hash) and
/// `{<prefix>}:l:<limit>:<key>` (sliding-log entries), and expire once the
/// key's quota is whole again. A check whose limits are all GCRA (the default)
/// runs a shorter script: one read and at most one write per limit.
///
/// **Redis Cluster.** Every key carries the hash tag `{<prefix>}`, so all limits
/// of a check live in one slot and the script stays atomic on a cluster. The
/// price is that all rate-limit keys of one prefix sit on one node: give
/// independent limiters different prefixes to spread them. This store connects
/// to a single node (or a cluster proxy); the connection manager reconnects by
/// itself, so a Redis that comes back is used again without a restart.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use rampart_ratelimit::{Limit, Quota, RateLimiter, RedisStore};
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
    conn: ConnectionManager,
    tag: Arc<str>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.tag)
            .finish_non_exhaustive()
    }
}

pub(crate) fn store_err(e: RedisError) -> StoreError {
    StoreError(format!("redis: {e}"))
}

impl RedisStore {
    /// Connects to `url`; every key starts with `{prefix}`. Each round trip
    /// may take 500 ms before it counts as a failure.
    ///
    /// # Errors
    /// The URL is invalid or Redis cannot be reached now.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        Self::connect_with_timeout(url, prefix, DEFAULT_TIMEOUT).await
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
        let client = redis::Client::open(url).map_err(store_err)?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(timeout))
            .set_connection_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        let conn = client
            .get_connection_manager_with_config(config)
            .await
            .map_err(store_err)?;
        Ok(Self::new(conn, prefix))
    }

    /// Uses an existing connection manager.
    pub fn new(conn: ConnectionManager, prefix: &str) -> Self {
        Self {
            conn,
            tag: Arc::from(format!("{{{prefix}}}")),
        }
    }

    pub(crate) fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    pub(crate) fn key(&self, kind: &str, name: &str, key: &str) -> String {
        format!("{}:{kind}:{name}:{key}", self.tag)
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
                // The same arithmetic as check.lua's (IEEE doubles), done here.
                let emission = micros(q.period()) as f64 / f64::from(q.limit());
                invocation
                    .key(self.key(GCRA_STATE, limit.name, &r.key))
                    .arg(emission)
                    .arg(f64::from(q.burst()) * emission)
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
