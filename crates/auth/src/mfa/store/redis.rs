//! MFA state in Redis, shared by every instance.

use super::{BackupHash, MfaRecord, MfaStore};
use crate::StoreError;
use crate::mfa::{FailureOutcome, ThrottlePolicy};
use crate::revocation::StoreFuture;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rampart_core::redis::{RedisConfig, RedisConnection, Script};
use redis::RedisError;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

// Keys of one user: `<prefix>:{<base64url(user)>}:mfa` (hash: secret,
// pending, step), `:codes` and `:pcodes` (sets of backup code hashes, live
// and pending) and `:fail` (hash: n, start, locked). The hash tag puts them
// in one cluster slot, so each script below may touch all of them.

static LOAD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local v = redis.call('HMGET', KEYS[1], 'secret', 'pending', 'step')
local f = redis.call('HMGET', KEYS[3], 'n', 'locked')
local n = 0
if v[1] then n = redis.call('SCARD', KEYS[2]) end
local known = 0
if v[1] or v[2] or f[1] or f[2] then known = 1 end
return {known, v[1] or '', v[2] or '', v[3] or '', n, f[1] or '0', f[2] or '0'}
",
    )
});

static BEGIN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HEXISTS', KEYS[1], 'secret') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'pending', ARGV[1])
redis.call('DEL', KEYS[2])
if #ARGV > 1 then redis.call('SADD', KEYS[2], unpack(ARGV, 2)) end
return 1
",
    )
});

static CONFIRM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local p = redis.call('HGET', KEYS[1], 'pending')
if not p or p ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'secret', p, 'step', ARGV[2])
redis.call('HDEL', KEYS[1], 'pending')
redis.call('DEL', KEYS[3])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('RENAME', KEYS[2], KEYS[3]) end
return 1
",
    )
});

static ADVANCE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HEXISTS', KEYS[1], 'secret') == 0 then return 0 end
local s = redis.call('HGET', KEYS[1], 'step')
if s and tonumber(s) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'step', ARGV[1])
return 1
",
    )
});

static CONSUME: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HEXISTS', KEYS[1], 'secret') == 0 then return -1 end
if redis.call('SREM', KEYS[2], ARGV[1]) == 0 then return -1 end
return redis.call('SCARD', KEYS[2])
",
    )
});

static REPLACE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HEXISTS', KEYS[1], 'secret') == 0 then return 0 end
redis.call('DEL', KEYS[2])
if #ARGV > 0 then redis.call('SADD', KEYS[2], unpack(ARGV)) end
return 1
",
    )
});

static FAIL: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local lockout = tonumber(ARGV[4])
local v = redis.call('HMGET', KEYS[1], 'n', 'start', 'locked')
local locked = tonumber(v[3] or '0')
if locked > now then return {2, locked} end
local n = tonumber(v[1] or '0')
local start = tonumber(v[2] or '0')
if n == 0 or now >= start + window then
  n = 0
  start = now
end
n = n + 1
local ttl = string.format('%d', window + lockout + 1)
if n >= tonumber(ARGV[3]) then
  locked = now + lockout
  redis.call('HSET', KEYS[1], 'n', '0', 'start', ARGV[1], 'locked', string.format('%d', locked))
  redis.call('EXPIRE', KEYS[1], ttl)
  return {1, locked}
end
redis.call('HSET', KEYS[1], 'n', string.format('%d', n), 'start', string.format('%d', start))
redis.call('EXPIRE', KEYS[1], ttl)
return {0, n}
",
    )
});

static CLEAR: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'n', '0') end
return 1
",
    )
});

static REPLACE_SECRET: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("replace_secret.lua")));

/// The key of one record of `user`: the user id, base64url-encoded (so it
/// holds no brace), is the hash tag. An empty id is tagged `{=}` (no
/// encoding yields `=`): an empty tag `{}` does not count as one, and its
/// keys would scatter over a cluster's slots.
fn user_key(prefix: &str, user: &str, kind: &str) -> String {
    let tag = if user.is_empty() {
        "=".to_owned()
    } else {
        URL_SAFE_NO_PAD.encode(user.as_bytes())
    };
    format!("{prefix}:{{{tag}}}:{kind}")
}

/// MFA state in Redis, shared by every instance.
///
/// Each operation that decides something is one Lua script over one user's
/// keys (check-and-set of the last used step, consuming a backup code,
/// confirming, counting a failure), so it is atomic across instances. Keys
/// are `<prefix>:{<user>}:...` with the user id base64url-encoded as a hash
/// tag (cluster-safe). Enrolments do not expire; failure counters expire
/// after their window and lock.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use rampart::auth::mfa::{Mfa, MfaKey, RedisMfaStore};
/// use std::sync::Arc;
///
/// let store = RedisMfaStore::connect("redis://127.0.0.1:6379", "myapp:mfa").await?;
/// let key = MfaKey::from_bytes(&[0u8; 32])?; // from your secret manager
/// let mfa = Mfa::builder("ACME", key).store(Arc::new(store)).build()?;
/// # let _ = mfa; Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisMfaStore {
    conn: RedisConnection,
    prefix: Arc<str>,
}

impl std::fmt::Debug for RedisMfaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisMfaStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn store_err(e: RedisError) -> StoreError {
    StoreError(format!("redis: {e}"))
}

impl RedisMfaStore {
    /// Connects to `url`, one URL or several comma-separated Redis Cluster
    /// node URLs (a connection that reconnects by itself); every key starts
    /// with `prefix`. Round trips and reconnects time out after 500 ms, so a
    /// login waits no longer than that on an outage before failing closed.
    ///
    /// # Errors
    /// A [`StoreError`] when the URL is invalid or Redis cannot be reached.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let conn = RedisConnection::connect(url)
            .await
            .map_err(|e| StoreError(e.to_string()))?;
        Ok(Self::new(conn, prefix))
    }

    /// [`RedisMfaStore::connect`] with a chosen round-trip and connect timeout.
    ///
    /// # Errors
    /// A [`StoreError`] when the URL is invalid or Redis cannot be reached.
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
        }
    }

    fn key(&self, user: &str, kind: &str) -> String {
        user_key(&self.prefix, user, kind)
    }
}

type Loaded = (i64, Vec<u8>, Vec<u8>, String, i64, String, String);

impl MfaStore for RedisMfaStore {
    fn load<'a>(&'a self, user: &'a str, now: u64) -> StoreFuture<'a, Option<MfaRecord>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let (known, secret, pending, step, codes, failures, locked): Loaded = LOAD
                .key(self.key(user, "mfa"))
                .key(self.key(user, "codes"))
                .key(self.key(user, "fail"))
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            if known == 0 {
                return Ok(None);
            }
            let number = |text: &str, what: &str| {
                text.parse::<u64>()
                    .map_err(|_| StoreError(format!("redis: unreadable MFA {what}")))
            };
            let locked = number(&locked, "lock")?;
            Ok(Some(MfaRecord {
                secret: (!secret.is_empty()).then_some(secret),
                pending: (!pending.is_empty()).then_some(pending),
                last_step: if step.is_empty() {
                    None
                } else {
                    Some(number(&step, "step")?)
                },
                backup_codes: usize::try_from(codes).unwrap_or(0),
                failures: u32::try_from(number(&failures, "failure count")?).unwrap_or(u32::MAX),
                locked_until: (locked > now).then_some(locked),
            }))
        })
    }

    fn begin<'a>(
        &'a self,
        user: &'a str,
        sealed: &'a [u8],
        backup: &'a [BackupHash],
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let mut script = BEGIN.key(self.key(user, "mfa"));
            script.key(self.key(user, "pcodes")).arg(sealed);
            for hash in backup {
                script.arg(&hash[..]);
            }
            let done: i64 = script.invoke_async(&mut conn).await.map_err(store_err)?;
            Ok(done == 1)
        })
    }

    fn confirm<'a>(&'a self, user: &'a str, sealed: &'a [u8], step: u64) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let done: i64 = CONFIRM
                .key(self.key(user, "mfa"))
                .key(self.key(user, "pcodes"))
                .key(self.key(user, "codes"))
                .arg(sealed)
                .arg(step)
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            Ok(done == 1)
        })
    }

    fn advance_step<'a>(&'a self, user: &'a str, step: u64) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let done: i64 = ADVANCE
                .key(self.key(user, "mfa"))
                .arg(step)
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            Ok(done == 1)
        })
    }

    fn consume_backup_code<'a>(
        &'a self,
        user: &'a str,
        hash: &'a BackupHash,
    ) -> StoreFuture<'a, Option<usize>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let left: i64 = CONSUME
                .key(self.key(user, "mfa"))
                .key(self.key(user, "codes"))
                .arg(&hash[..])
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            Ok(usize::try_from(left).ok())
        })
    }

    fn replace_backup_codes<'a>(
        &'a self,
        user: &'a str,
        backup: &'a [BackupHash],
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let mut script = REPLACE.key(self.key(user, "mfa"));
            script.key(self.key(user, "codes"));
            for hash in backup {
                script.arg(&hash[..]);
            }
            let done: i64 = script.invoke_async(&mut conn).await.map_err(store_err)?;
            Ok(done == 1)
        })
    }

    fn remove<'a>(&'a self, user: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            redis::cmd("DEL")
                .arg(self.key(user, "mfa"))
                .arg(self.key(user, "codes"))
                .arg(self.key(user, "pcodes"))
                .query_async::<()>(&mut conn)
                .await
                .map_err(store_err)
        })
    }

    fn record_failure<'a>(
        &'a self,
        user: &'a str,
        now: u64,
        policy: ThrottlePolicy,
    ) -> StoreFuture<'a, FailureOutcome> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let (kind, value): (i64, u64) = FAIL
                .key(self.key(user, "fail"))
                .arg(now)
                .arg(policy.window_secs)
                .arg(policy.max_failures)
                .arg(policy.lockout_secs)
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            Ok(match kind {
                0 => FailureOutcome::Counted(u32::try_from(value).unwrap_or(u32::MAX)),
                1 => FailureOutcome::LockedNow(value),
                _ => FailureOutcome::AlreadyLocked(value),
            })
        })
    }

    fn clear_failures<'a>(&'a self, user: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            CLEAR
                .key(self.key(user, "fail"))
                .invoke_async::<i64>(&mut conn)
                .await
                .map(drop)
                .map_err(store_err)
        })
    }

    fn replace_secret<'a>(
        &'a self,
        user: &'a str,
        old: &'a [u8],
        new: &'a [u8],
    ) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let done: i64 = REPLACE_SECRET
                .key(self.key(user, "mfa"))
                .arg(old)
                .arg(new)
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            Ok(done == 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::user_key;
    use rampart_core::redis::slot;

    #[test]
    fn each_script_touches_one_slot_and_users_spread() {
        // LOAD: mfa, codes, fail; BEGIN: mfa, pcodes; CONFIRM: mfa, pcodes,
        // codes; CONSUME and REPLACE: mfa, codes; remove: all three sets.
        for prefix in ["app:mfa", "{app}", "a{b"] {
            for user in ["alice", "{bob}", "a}b{c", "ünï", ""] {
                let base = slot(&user_key(prefix, user, "mfa"));
                for kind in ["codes", "pcodes", "fail"] {
                    assert_eq!(slot(&user_key(prefix, user, kind)), base, "{user} {kind}");
                }
            }
        }
        let slots: std::collections::HashSet<u16> = (0..64)
            .map(|i| slot(&user_key("app:mfa", &format!("user-{i}"), "mfa")))
            .collect();
        assert!(slots.len() > 48, "users bunch in {} slots", slots.len());
    }
}
