//! Login failure counters in Redis, shared by every instance.

use super::Waits;
use super::counter::{Rule, Wait};
use crate::error::StoreError;
use crate::store::redis::{RedisStore, store_err};
use rampart_core::redis::Script;
use std::sync::LazyLock;

// Mirrors `Counter::wait` and `Counter::fail` (microseconds, server time).
// ARGV: op, use_ip, then the user rule and the IP rule (max, window, lockout,
// backoff base, backoff max). KEYS: user counter, IP counter (same hash tag).
// Returns: user lock wait, user backoff wait, IP lock wait, IP backoff wait,
// user newly locked, IP newly locked.
static LOGIN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local function num(x) return string.format('%.17g', x) end
local function rule(o)
  return tonumber(ARGV[o]), tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4])
end
local function backoff(base, bmax, c)
  if base == 0 or c == 0 then return 0 end
  return math.min(base * 2 ^ math.min(c - 1, 40), bmax)
end
local function load(k)
  local h = redis.call('HMGET', k, 'c', 's', 'l', 'u')
  return tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3]) or 0, tonumber(h[4]) or 0
end
local function wait(k, o)
  local max, window, lockout, base, bmax = rule(o)
  local c, s, l, u = load(k)
  if u > now then return u - now, 0 end
  if s + window <= now then return 0, 0 end
  local untl = l + backoff(base, bmax, c)
  if untl > now then return 0, untl - now end
  return 0, 0
end
local function fail(k, o)
  local max, window, lockout, base, bmax = rule(o)
  local c, s, l, u = load(k)
  if u > now then return 0 end
  if c == 0 or s + window <= now then c = 0; s = now end
  c = c + 1; l = now
  local locked = 0
  if c >= max then u = now + lockout; c = 0; locked = 1 end
  redis.call('HSET', k, 'c', c, 's', num(s), 'l', num(l), 'u', num(u))
  local idle = math.max(u, s + window, l + backoff(base, bmax, c))
  redis.call('PEXPIRE', k, math.ceil((idle - now) / 1000) + 1000)
  return locked
end
local op = ARGV[1]
local use_ip = ARGV[2] == '1'
if op == 'success' then
  redis.call('DEL', KEYS[1])
  return {0, 0, 0, 0, 0, 0}
end
local a, b = 0, 0
if op == 'fail' then
  a = fail(KEYS[1], 3)
  if use_ip then b = fail(KEYS[2], 8) end
end
local ul, ub = wait(KEYS[1], 3)
local il, ib = 0, 0
if use_ip then il, ib = wait(KEYS[2], 8) end
return {math.ceil(ul), math.ceil(ub), math.ceil(il), math.ceil(ib), a, b}
",
    )
});

pub(crate) async fn login(
    store: &RedisStore,
    op: &str,
    user_key: &str,
    ip_key: Option<&str>,
    user: &Rule,
    ip: &Rule,
) -> Result<Waits, StoreError> {
    let mut invocation = LOGIN.prepare_invoke();
    invocation
        .key(store.key("lu", "login", user_key))
        .key(store.key("li", "login", ip_key.unwrap_or("-")))
        .arg(op)
        .arg(if ip_key.is_some() { "1" } else { "0" });
    for r in [user, ip] {
        invocation
            .arg(r.max_failures)
            .arg(r.window / 1000)
            .arg(r.lockout / 1000)
            .arg(r.backoff_base / 1000)
            .arg(r.backoff_max / 1000);
    }
    let mut conn = store.conn();
    let v: Vec<i64> = invocation
        .invoke_async(&mut conn)
        .await
        .map_err(store_err)?;
    let [ul, ub, il, ib, a, b] = v[..] else {
        return Err(StoreError(format!(
            "redis: the login script answered {} numbers, not 6",
            v.len()
        )));
    };
    let wait = |locked: i64, backoff: i64| {
        let ns = |us: i64| u64::try_from(us.max(0)).unwrap_or(0).saturating_mul(1000);
        if locked > 0 {
            Some(Wait::Locked(ns(locked)))
        } else if backoff > 0 {
            Some(Wait::Backoff(ns(backoff)))
        } else {
            None
        }
    };
    Ok(Waits {
        user: wait(ul, ub),
        ip: wait(il, ib),
        user_locked_now: a == 1,
        ip_locked_now: b == 1,
    })
}
