//! Sessions in Redis, shared by every instance.

use super::{Created, SessionStore, StoredSession, Touched, UserLimit};
use crate::error::StoreError;
use crate::revocation::StoreFuture;
use crate::session::id::SessionKey;
use crate::session::policy::LimitAction;
use rampart_core::redis::{RedisConnection, Script};
use redis::{RedisError, Value};
use std::sync::{Arc, LazyLock};

// Keys of one user (or one anonymous session), all under the hash tag
// `{s:<tag>}` so they share a cluster slot:
//   <prefix>:{s:<tag>}:sess:<hash>  hash: sub created seen idle deadline data
//   <prefix>:{s:<tag>}:idx          hash: <hash> -> "created:seen:idle:deadline"
// The index is the truth: a session missing from it is ended (evicted, or
// signed out everywhere) even while its own key waits for its TTL. Every
// script below declares the keys it touches.

const LIVE: &str = r"
local function parse(v)
  local c, s, i, d = string.match(v, '^(%d+):(%d+):(%d+):(%d+)$')
  return tonumber(c), tonumber(s), tonumber(i), tonumber(d)
end
local function expired(s, i, d, now)
  return (not s) or now >= s + i or now >= d
end
local function keep_index(idx, ttl)
  local cur = redis.call('TTL', idx)
  if cur < ttl then redis.call('EXPIRE', idx, ttl) end
end
";

static CREATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{LIVE}
local now = tonumber(ARGV[8])
local max = tonumber(ARGV[9])
local evicted = {{}}
if max > 0 then
  local all = redis.call('HGETALL', KEYS[2])
  local live = {{}}
  for n = 1, #all, 2 do
    local c, s, i, d = parse(all[n + 1])
    if expired(s, i, d, now) then
      redis.call('HDEL', KEYS[2], all[n])
    elseif all[n] ~= ARGV[1] then
      table.insert(live, {{c, all[n]}})
    end
  end
  if #live >= max then
    if ARGV[10] == 'refuse' then return {{0}} end
    table.sort(live, function(a, b) return a[1] < b[1] end)
    for n = 1, #live - max + 1 do
      redis.call('HDEL', KEYS[2], live[n][2])
      table.insert(evicted, live[n][2])
    end
  end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'sub', ARGV[2], 'created', ARGV[3], 'seen', ARGV[4],
  'idle', ARGV[5], 'deadline', ARGV[6], 'data', ARGV[7])
redis.call('EXPIRE', KEYS[1], ARGV[11])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3] .. ':' .. ARGV[4] .. ':' .. ARGV[5] .. ':' .. ARGV[6])
keep_index(KEYS[2], tonumber(ARGV[12]))
return {{1, unpack(evicted)}}
"
    ))
});

static TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{LIVE}
local now = tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'sub', 'created', 'seen', 'idle', 'deadline', 'data')
if not v[2] then
  redis.call('HDEL', KEYS[2], ARGV[1])
  return {{'missing'}}
end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then
  redis.call('DEL', KEYS[1])
  return {{'missing'}}
end
local s, i, d = tonumber(v[3]), tonumber(v[4]), tonumber(v[5])
if expired(s, i, d, now) then
  redis.call('DEL', KEYS[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  return {{'expired', v[1], v[2], v[3], v[4], v[5], v[6]}}
end
if now > s then s = now end
local seen = string.format('%d', s)
redis.call('HSET', KEYS[1], 'seen', seen)
redis.call('HSET', KEYS[2], ARGV[1], v[2] .. ':' .. seen .. ':' .. v[4] .. ':' .. v[5])
local ttl = math.min(s + i, d) - tonumber(ARGV[3]) + 1
if ttl < 1 then ttl = 1 end
redis.call('EXPIRE', KEYS[1], ttl)
keep_index(KEYS[2], ttl)
return {{'live', v[1], v[2], seen, v[4], v[5], v[6]}}
"
    ))
});

static SAVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[2])
return 1
",
    )
});

static REPLACE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{LIVE}
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], 'sub', ARGV[3], 'created', ARGV[4], 'seen', ARGV[5],
  'idle', ARGV[6], 'deadline', ARGV[7], 'data', ARGV[8])
redis.call('EXPIRE', KEYS[3], ARGV[9])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4] .. ':' .. ARGV[5] .. ':' .. ARGV[6] .. ':' .. ARGV[7])
keep_index(KEYS[2], tonumber(ARGV[9]))
return 1
"
    ))
});

static DELETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local a = redis.call('HDEL', KEYS[2], ARGV[1])
local b = redis.call('DEL', KEYS[1])
if a + b > 0 and a > 0 then return 1 end
return 0
",
    )
});

static PRUNE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{LIVE}
local now = tonumber(ARGV[1])
local all = redis.call('HGETALL', KEYS[1])
local live = {{}}
for n = 1, #all, 2 do
  local c, s, i, d = parse(all[n + 1])
  if expired(s, i, d, now) then
    redis.call('HDEL', KEYS[1], all[n])
  else
    table.insert(live, all[n])
  end
end
return live
"
    ))
});

static TAKE_ALL: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local all = redis.call('HKEYS', KEYS[1])
redis.call('DEL', KEYS[1])
return all
",
    )
});

fn session_key(prefix: &str, tag: &str, hash: &str) -> String {
    format!("{prefix}:{{s:{tag}}}:sess:{hash}")
}

fn index_key(prefix: &str, tag: &str) -> String {
    format!("{prefix}:{{s:{tag}}}:idx")
}

/// Sessions in Redis, shared by every instance.
///
/// Creation with the per-user limit, lookup with its timeout check and
/// touch, rotation and data saves are each one Lua script over one user's
/// keys, so two instances cannot both let a user past the limit. Keys are
/// `<prefix>:{s:<tag>}:...` where the tag is a hash of the subject (random
/// before sign-in): a user's sessions and index share one cluster slot.
/// Each session key expires on its own at its idle or absolute timeout,
/// whichever comes first, moved on every use, so Redis forgets idle
/// sessions by itself; the timeouts are still decided by the manager's
/// clock, never by when Redis gets round to expiring.
///
/// ```no_run
/// # async fn demo() -> Result<(), rampart::auth::StoreError> {
/// use rampart::auth::session::{RedisSessionStore, SessionManager};
/// use std::sync::Arc;
/// // One URL, or the comma-separated nodes of a Redis Cluster.
/// let store = RedisSessionStore::connect("redis://127.0.0.1:6379", "myapp:sessions").await?;
/// let sessions = SessionManager::builder(Arc::new(store)).build();
/// # let _ = sessions; Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisSessionStore {
    conn: RedisConnection,
    prefix: Arc<str>,
}

impl std::fmt::Debug for RedisSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSessionStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn store_err(e: RedisError) -> StoreError {
    StoreError(format!("redis: {e}"))
}

fn bad_reply() -> StoreError {
    StoreError("redis: unexpected reply from a session script".into())
}

impl RedisSessionStore {
    /// Connects to `url`, one URL or several comma-separated Redis Cluster
    /// node URLs (a connection that reconnects by itself); every key starts
    /// with `prefix`. Round trips time out after 500 ms.
    ///
    /// # Errors
    /// A [`StoreError`] when the URL is invalid or Redis cannot be reached.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let conn = RedisConnection::connect(url)
            .await
            .map_err(|e| StoreError(e.to_string()))?;
        Ok(Self::new(conn, prefix))
    }

    /// Uses an existing connection (a single node or a cluster).
    pub fn new(conn: RedisConnection, prefix: &str) -> Self {
        Self {
            conn,
            prefix: Arc::from(prefix),
        }
    }

    fn session_key(&self, key: &SessionKey) -> String {
        session_key(&self.prefix, &key.tag, &key.hash)
    }

    fn index_key(&self, tag: &str) -> String {
        index_key(&self.prefix, tag)
    }
}

fn ttl(s: &StoredSession, now: u64) -> u64 {
    s.remaining(now).max(1).saturating_add(1)
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => String::from_utf8(b.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        Value::Int(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(v: &Value) -> Result<u64, StoreError> {
    text(v).and_then(|t| t.parse().ok()).ok_or_else(bad_reply)
}

/// `[sub, created, seen, idle, deadline, data]` as a session.
fn parse_session(key: &SessionKey, v: &[Value]) -> Result<StoredSession, StoreError> {
    let [sub, created, seen, idle, deadline, data] = v else {
        return Err(bad_reply());
    };
    let sub = text(sub).unwrap_or_default();
    Ok(StoredSession {
        key: key.clone(),
        subject: (!sub.is_empty()).then_some(sub),
        created: number(created)?,
        last_seen: number(seen)?,
        idle_secs: number(idle)?,
        deadline: number(deadline)?,
        data: text(data).unwrap_or_default(),
    })
}

impl SessionStore for RedisSessionStore {
    fn create<'a>(
        &'a self,
        s: &'a StoredSession,
        limit: Option<UserLimit>,
        now: u64,
    ) -> StoreFuture<'a, Created> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let (max, action) = match limit {
                Some(l) => (
                    l.max,
                    if l.action == LimitAction::RefuseNew {
                        "refuse"
                    } else {
                        "evict"
                    },
                ),
                None => (0, "evict"),
            };
            let reply: Vec<Value> = CREATE
                .key(self.session_key(&s.key))
                .key(self.index_key(&s.key.tag))
                .arg(&s.key.hash)
                .arg(s.subject.as_deref().unwrap_or_default())
                .arg(s.created)
                .arg(s.last_seen)
                .arg(s.idle_secs)
                .arg(s.deadline)
                .arg(&s.data)
                .arg(now)
                .arg(max)
                .arg(action)
                .arg(ttl(s, now))
                .arg(s.deadline.saturating_sub(now).saturating_add(1))
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            let (status, evicted) = reply.split_first().ok_or_else(bad_reply)?;
            if number(status)? == 0 {
                return Ok(Created::Refused);
            }
            Ok(Created::Stored {
                evicted: evicted
                    .iter()
                    .filter_map(text)
                    .map(|hash| SessionKey {
                        tag: s.key.tag.clone(),
                        hash,
                    })
                    .collect(),
            })
        })
    }

    fn touch<'a>(&'a self, key: &'a SessionKey, now: u64) -> StoreFuture<'a, Touched> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let reply: Vec<Value> = TOUCH
                .key(self.session_key(key))
                .key(self.index_key(&key.tag))
                .arg(&key.hash)
                .arg(now)
                .arg(now)
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            let (status, rest) = reply.split_first().ok_or_else(bad_reply)?;
            match text(status).as_deref() {
                Some("live") => Ok(Touched::Live(parse_session(key, rest)?)),
                Some("expired") => Ok(Touched::Expired(parse_session(key, rest)?)),
                _ => Ok(Touched::Missing),
            }
        })
    }

    fn save<'a>(&'a self, key: &'a SessionKey, data: &'a str) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let n: i64 = SAVE
                .key(self.session_key(key))
                .key(self.index_key(&key.tag))
                .arg(&key.hash)
                .arg(data)
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            Ok(n == 1)
        })
    }

    fn replace<'a>(&'a self, old: &'a SessionKey, new: &'a StoredSession) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            if old.tag != new.key.tag {
                return Err(StoreError(
                    "a rotated session must keep its routing tag".into(),
                ));
            }
            let mut conn = self.conn.clone();
            let now = new.last_seen;
            let n: i64 = REPLACE
                .key(self.session_key(old))
                .key(self.index_key(&old.tag))
                .key(self.session_key(&new.key))
                .arg(&old.hash)
                .arg(&new.key.hash)
                .arg(new.subject.as_deref().unwrap_or_default())
                .arg(new.created)
                .arg(new.last_seen)
                .arg(new.idle_secs)
                .arg(new.deadline)
                .arg(&new.data)
                .arg(ttl(new, now))
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            Ok(n == 1)
        })
    }

    fn delete<'a>(&'a self, key: &'a SessionKey) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let n: i64 = DELETE
                .key(self.session_key(key))
                .key(self.index_key(&key.tag))
                .arg(&key.hash)
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            Ok(n == 1)
        })
    }

    fn list<'a>(&'a self, tag: &'a str, now: u64) -> StoreFuture<'a, Vec<StoredSession>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let hashes: Vec<String> = PRUNE
                .key(self.index_key(tag))
                .arg(now)
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            if hashes.is_empty() {
                return Ok(Vec::new());
            }
            let keys: Vec<SessionKey> = hashes
                .into_iter()
                .map(|hash| SessionKey {
                    tag: tag.to_owned(),
                    hash,
                })
                .collect();
            let mut pipe = redis::pipe();
            for key in &keys {
                pipe.cmd("HMGET")
                    .arg(self.session_key(key))
                    .arg(&["sub", "created", "seen", "idle", "deadline", "data"]);
            }
            let rows: Vec<Vec<Value>> = pipe.query_async(&mut conn).await.map_err(store_err)?;
            let mut out: Vec<StoredSession> = keys
                .iter()
                .zip(rows)
                .filter_map(|(key, row)| parse_session(key, &row).ok())
                .filter(|s| !s.is_expired(now))
                .collect();
            out.sort_by_key(|s| s.created);
            Ok(out)
        })
    }

    fn delete_all<'a>(&'a self, tag: &'a str) -> StoreFuture<'a, usize> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            // Dropping the index ends every session at once; their own keys
            // are then deleted (or expire) at leisure.
            let hashes: Vec<String> = TAKE_ALL
                .key(self.index_key(tag))
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            if !hashes.is_empty() {
                let mut pipe = redis::pipe();
                for hash in &hashes {
                    pipe.cmd("DEL")
                        .arg(self.session_key(&SessionKey {
                            tag: tag.to_owned(),
                            hash: hash.clone(),
                        }))
                        .ignore();
                }
                pipe.query_async::<()>(&mut conn).await.map_err(store_err)?;
            }
            Ok(hashes.len())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{index_key, session_key};
    use rampart_core::redis::slot;

    #[test]
    fn each_script_touches_one_slot_and_users_spread() {
        // Every script and pipeline takes one user's index and sessions
        // (rotation keeps the tag: `replace` refuses a tag change).
        for prefix in ["app:sessions", "{app}", "a{b"] {
            for tag in ["3f9a0c", "0", "ffffffffffffffff"] {
                let idx = slot(&index_key(prefix, tag));
                for hash in ["a1", "b2", "c3"] {
                    assert_eq!(slot(&session_key(prefix, tag, hash)), idx, "{tag} {hash}");
                }
            }
        }
        let slots: std::collections::HashSet<u16> = (0..64)
            .map(|i| slot(&index_key("app:sessions", &format!("{i:016x}"))))
            .collect();
        assert!(slots.len() > 48, "users bunch in {} slots", slots.len());
    }
}
