//! Revocations and refresh families shared through Redis.

use super::{
    FamilyClient, FamilyInfo, FamilyStore, NewFamily, RevocationStore, Revoked, Rotation,
    RotationOutcome, StoreFuture, TokenRef, require_jti,
};
use crate::error::StoreError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rampart_core::redis::{RedisConnection, Script};
use rampart_core::{SharedClock, SystemClock};
use redis::RedisError;
use std::sync::{Arc, LazyLock};

// Every key of one subject shares the hash tag `{base64url(subject)}`, so the
// scripts below touch a single cluster slot.

static CHECK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local now = tonumber(ARGV[1])
if ARGV[4] == '1' then
  local t = redis.call('GET', KEYS[1])
  if t and tonumber(t) > now then return 1 end
end
if ARGV[3] == '1' then
  local f = redis.call('GET', KEYS[2])
  if f and tonumber(f) > now then return 2 end
end
local s = redis.call('GET', KEYS[3])
if s then
  local before, untl = string.match(s, '^(%d+):(%d+)$')
  if before and tonumber(untl) > now and tonumber(ARGV[2]) <= tonumber(before) then return 3 end
end
return 0
",
    )
});

static REVOKE_SUBJECT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local before = tonumber(ARGV[1])
local untl = tonumber(ARGV[2])
local s = redis.call('GET', KEYS[1])
if s then
  local b, u = string.match(s, '^(%d+):(%d+)$')
  if b then
    if tonumber(b) > before then before = tonumber(b) end
    if tonumber(u) > untl then untl = tonumber(u) end
  end
end
redis.call('SET', KEYS[1], string.format('%d:%d', before, untl), 'EX', ARGV[3])
return 1
",
    )
});

static ROTATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local v = redis.call('HMGET', KEYS[1], 'cur', 'prev', 'at', 'dev', 'until', 'ended', 'max')
if not v[1] then return 'revoked' end
local now = tonumber(ARGV[4])
-- The absolute deadline; a family written before deadlines existed ends
-- when its current refresh token expires. 'until' never passes it (capped
-- on every write), so the expiry check below also ends the family there.
local max = tonumber(v[7] or v[5])
if v[6] == '1' or tonumber(v[5]) <= now then return 'revoked' end
if v[4] and v[4] ~= '' and (ARGV[8] ~= '1' or v[4] ~= ARGV[3]) then return 'device' end
local n = 0
local found = false
for j in string.gmatch(v[1], '%S+') do
  n = n + 1
  if j == ARGV[1] then found = true end
end
local function keep_until(untl)
  if untl > max then untl = max end
  redis.call('HSET', KEYS[1], 'until', string.format('%d', untl))
  local ttl = untl - tonumber(ARGV[7]) + 1
  if ttl < 1 then ttl = 1 end
  redis.call('EXPIRE', KEYS[1], string.format('%d', ttl))
end
if found then
  redis.call('HSET', KEYS[1], 'cur', ARGV[2], 'prev', ARGV[1], 'at', ARGV[4])
  keep_until(tonumber(ARGV[6]))
  return 'rotated'
end
local grace = tonumber(ARGV[5])
if grace > 0 and v[2] == ARGV[1] and now <= tonumber(v[3]) + grace and n < 8 then
  local untl = tonumber(ARGV[6])
  if tonumber(v[5]) > untl then untl = tonumber(v[5]) end
  redis.call('HSET', KEYS[1], 'cur', v[1] .. ' ' .. ARGV[2])
  keep_until(untl)
  return 'grace'
end
redis.call('HSET', KEYS[1], 'ended', '1')
return 'reused'
",
    )
});

static CREATE_FAMILY: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("create_family.lua")));

static END_FAMILY: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'ended', '1') end
return 1
",
    )
});

/// The key of one record of `subject`: the subject, base64url-encoded (so it
/// holds no brace), is the hash tag. An empty subject is tagged `{=}` (no
/// encoding yields `=`): an empty tag `{}` does not count as one, and its
/// keys would scatter over a cluster's slots.
fn subject_key(prefix: &str, subject: &str, kind: &str, id: &str) -> String {
    let tag = if subject.is_empty() {
        "=".to_owned()
    } else {
        URL_SAFE_NO_PAD.encode(subject.as_bytes())
    };
    format!("{prefix}:{{{tag}}}:{kind}:{id}")
}

/// Revocations and refresh families in Redis, shared by every instance.
///
/// Each operation is one command or one Lua script, so rotation is atomic
/// even when two instances receive the same refresh token at once. Keys are
/// `<prefix>:{<subject>}:...` with the subject base64url-encoded as a hash
/// tag, and expire with the tokens they concern. On Redis Cluster every
/// script therefore touches one slot, and subjects spread over all nodes.
///
/// ```no_run
/// # async fn demo() -> Result<(), rampart::auth::StoreError> {
/// use rampart::auth::revocation::RedisStore;
/// // One URL, or the comma-separated nodes of a Redis Cluster.
/// let store = RedisStore::connect("redis://127.0.0.1:6379", "myapp:auth").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    conn: RedisConnection,
    prefix: Arc<str>,
    clock: SharedClock,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn store_err(e: RedisError) -> StoreError {
    StoreError(format!("redis: {e}"))
}

impl RedisStore {
    /// Connects to `url`, one URL or several comma-separated Redis Cluster
    /// node URLs (a connection that reconnects by itself; round trips time
    /// out after 500 ms); every key starts with `prefix`.
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
            clock: SystemClock::shared(),
        }
    }

    /// Decides expiry by `clock` (Redis' own TTLs only reclaim memory). Default: system clock.
    #[must_use]
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    fn key(&self, subject: &str, kind: &str, id: &str) -> String {
        subject_key(&self.prefix, subject, kind, id)
    }

    fn ttl(&self, until: u64) -> u64 {
        until
            .saturating_sub(self.clock.unix_secs())
            .saturating_add(1)
    }

    async fn set_until(&self, key: String, until: u64) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        redis::cmd("SET")
            .arg(key)
            .arg(until)
            .arg("EX")
            .arg(self.ttl(until))
            .query_async::<()>(&mut conn)
            .await
            .map_err(store_err)
    }
}

impl RevocationStore for RedisStore {
    fn revoke_token<'a>(
        &'a self,
        subject: &'a str,
        jti: &'a str,
        until: u64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            require_jti(jti)?;
            self.set_until(self.key(subject, "t", jti), until).await
        })
    }

    fn revoke_family<'a>(
        &'a self,
        subject: &'a str,
        family: &'a str,
        until: u64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(self.set_until(self.key(subject, "f", family), until))
    }

    fn revoke_subject<'a>(
        &'a self,
        subject: &'a str,
        before: u64,
        until: u64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            REVOKE_SUBJECT
                .key(self.key(subject, "s", ""))
                .arg(before)
                .arg(until)
                .arg(self.ttl(until))
                .invoke_async::<i64>(&mut conn)
                .await
                .map(drop)
                .map_err(store_err)
        })
    }

    fn check<'a>(&'a self, token: TokenRef<'a>, now: u64) -> StoreFuture<'a, Option<Revoked>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            // An empty jti is never looked up: an entry under it, written
            // before empty ids were refused, would name every jti-less token.
            let jti = token.jti.filter(|j| !j.is_empty());
            let code: i64 = CHECK
                .key(self.key(token.subject, "t", jti.unwrap_or_default()))
                .key(self.key(token.subject, "f", token.family.unwrap_or_default()))
                .key(self.key(token.subject, "s", ""))
                .arg(now)
                .arg(token.issued_at)
                .arg(if token.family.is_some() { "1" } else { "0" })
                .arg(if jti.is_some() { "1" } else { "0" })
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            Ok(match code {
                1 => Some(Revoked::Token),
                2 => Some(Revoked::Family),
                3 => Some(Revoked::Subject),
                _ => None,
            })
        })
    }
}

impl FamilyStore for RedisStore {
    fn create_family<'a>(&'a self, f: &'a NewFamily) -> StoreFuture<'a, ()> {
        self.create_family_with_client(f, &super::listing::NO_CLIENT)
    }

    fn rotate<'a>(&'a self, r: Rotation<'a>) -> StoreFuture<'a, RotationOutcome> {
        Box::pin(async move {
            // Current jtis are stored space-separated; rampart's are hex.
            if r.presented.is_empty() || r.presented.contains(char::is_whitespace) {
                return Ok(RotationOutcome::Revoked);
            }
            let mut conn = self.conn.clone();
            let outcome: String = ROTATE
                .key(self.key(r.subject, "fam", r.family))
                .arg(r.presented)
                .arg(r.next)
                .arg(r.device.unwrap_or_default())
                .arg(r.now)
                .arg(r.grace_secs)
                .arg(r.until)
                .arg(self.clock.unix_secs())
                .arg(if r.device.is_some() { "1" } else { "0" })
                .invoke_async(&mut conn)
                .await
                .map_err(store_err)?;
            Ok(match outcome.as_str() {
                "rotated" => RotationOutcome::Rotated,
                "grace" => RotationOutcome::Grace,
                "reused" => RotationOutcome::Reused,
                "device" => RotationOutcome::DeviceMismatch,
                _ => RotationOutcome::Revoked,
            })
        })
    }

    fn end_family<'a>(
        &'a self,
        subject: &'a str,
        family: &'a str,
        _until: u64,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            END_FAMILY
                .key(self.key(subject, "fam", family))
                .invoke_async::<i64>(&mut conn)
                .await
                .map(drop)
                .map_err(store_err)
        })
    }

    fn create_family_with_client<'a>(
        &'a self,
        f: &'a NewFamily,
        client: &'a FamilyClient,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let until = f.until.min(f.deadline);
            CREATE_FAMILY
                .key(self.key(&f.subject, "fam", &f.family))
                .key(self.key(&f.subject, "fams", ""))
                .arg(&f.family)
                .arg(&f.current)
                .arg(f.device.as_deref().unwrap_or_default())
                .arg(until)
                .arg(f.deadline)
                .arg(self.ttl(until))
                .arg(self.clock.unix_secs())
                .arg(client.user_agent.as_deref().unwrap_or_default())
                .arg(client.ip.map(|ip| ip.to_string()).unwrap_or_default())
                .arg(self.ttl(f.deadline))
                .invoke_async::<i64>(&mut conn)
                .await
                .map(drop)
                .map_err(store_err)
        })
    }

    fn list_families<'a>(&'a self, subject: &'a str, now: u64) -> StoreFuture<'a, Vec<FamilyInfo>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let index = self.key(subject, "fams", "");
            // Families past their deadline leave the index first; the rest
            // are read one by one (a listing needs no atomicity: each family
            // is checked against `now` as read).
            let (ids,): (Vec<String>,) = redis::pipe()
                .atomic()
                .cmd("ZREMRANGEBYSCORE")
                .arg(&index)
                .arg("-inf")
                .arg(now)
                .ignore()
                .cmd("ZRANGE")
                .arg(&index)
                .arg(0)
                .arg(-1)
                .query_async(&mut conn)
                .await
                .map_err(store_err)?;
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let mut read = redis::pipe();
            for id in &ids {
                read.cmd("HMGET")
                    .arg(self.key(subject, "fam", id))
                    .arg(&["cur", "created", "at", "until", "ended", "ua", "ip"]);
            }
            type Fields = (
                Option<String>,
                Option<u64>,
                Option<u64>,
                Option<u64>,
                Option<String>,
                Option<String>,
                Option<String>,
            );
            let rows: Vec<Fields> = read.query_async(&mut conn).await.map_err(store_err)?;
            let mut live = Vec::with_capacity(ids.len());
            let mut gone = Vec::new();
            for (id, (cur, created, at, until, ended, ua, ip)) in ids.into_iter().zip(rows) {
                let until = until.unwrap_or(0);
                if cur.is_none() || ended.as_deref() == Some("1") || until <= now {
                    gone.push(id);
                    continue;
                }
                live.push(FamilyInfo {
                    family: id,
                    created: created.unwrap_or(0),
                    last_rotated: at.filter(|at| *at > 0),
                    expires: until,
                    client: FamilyClient {
                        user_agent: ua.filter(|ua| !ua.is_empty()),
                        ip: ip.and_then(|ip| ip.parse().ok()),
                    },
                });
            }
            if !gone.is_empty() {
                redis::cmd("ZREM")
                    .arg(&index)
                    .arg(&gone)
                    .query_async::<()>(&mut conn)
                    .await
                    .map_err(store_err)?;
            }
            live.sort_by(|a, b| a.created.cmp(&b.created).then(a.family.cmp(&b.family)));
            Ok(live)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::subject_key;
    use rampart_core::redis::slot;

    #[test]
    fn each_script_touches_one_slot_and_subjects_spread() {
        let subjects = ["alice", "{bob}", "a}b{c", "tenant:acme/user:7", "ünï", ""];
        for prefix in ["app:auth", "{app}", "a{b"] {
            for subject in subjects {
                // CHECK reads the token, family and subject records at once;
                // the other scripts and the family pipeline touch one key.
                let keys = [
                    subject_key(prefix, subject, "t", "jti-1"),
                    subject_key(prefix, subject, "f", "fam-1"),
                    subject_key(prefix, subject, "s", ""),
                    subject_key(prefix, subject, "fam", "fam-1"),
                ];
                let first = slot(&keys[0]);
                for k in &keys {
                    assert_eq!(slot(k), first, "{k} apart from {}", keys[0]);
                }
            }
        }
        let slots: std::collections::HashSet<u16> = (0..64)
            .map(|i| slot(&subject_key("app:auth", &format!("user-{i}"), "t", "j")))
            .collect();
        assert!(slots.len() > 48, "subjects bunch in {} slots", slots.len());
    }
}
