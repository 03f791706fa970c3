-- One script decides a whole multi-level check with any mix of algorithms
-- (gcra.lua is the fast path when every level is GCRA): it reads every
-- level's state, evaluates each with the time from the server's own clock (so
-- instances with skewed clocks agree), and writes only if all admit (else
-- only the penalties of the refusing levels). Times are microseconds. Numbers
-- are written with string.format, since Lua's default conversion keeps 14
-- digits and would round a timestamp.
--
-- ARGV[1] = number of levels, then per level: algorithm, limit, period_us,
-- burst, penalty_us. KEYS: per level its state key, then its log key.
-- Returns per level: allowed, remaining, reset_us, retry_us, blocked.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = tonumber(ARGV[1])
local eps = 1e-6
local function num(x) return string.format('%.17g', x) end
-- GCRA keeps one string, as in gcra.lua: "<tat>" or "<tat> <blocked_until>".
local function gcra_state(key)
  local v = redis.call('GET', key)
  if not v then return {false, false, false, false} end
  local sp = string.find(v, ' ', 1, true)
  if not sp then return {v, false, false, false} end
  return {string.sub(v, 1, sp - 1), false, false, string.sub(v, sp + 1)}
end
local out = {}
local plan = {}
local all = true
for i = 1, n do
  local o = 2 + (i - 1) * 5
  local alg = ARGV[o]
  local limit = tonumber(ARGV[o + 1])
  local period = tonumber(ARGV[o + 2])
  local burst = tonumber(ARGV[o + 3])
  local penalty = tonumber(ARGV[o + 4])
  local key = KEYS[2 * i - 1]
  local logkey = KEYS[2 * i]
  local h
  if alg == 'gcra' then
    h = gcra_state(key)
  else
    h = redis.call('HMGET', key, 'a', 'b', 'c', 'x', 'g')
    if h[5] ~= alg then h = {false, false, false, h[4], alg} end
  end
  local a, b, c = tonumber(h[1]), tonumber(h[2]), tonumber(h[3])
  local blocked_until = tonumber(h[4]) or 0
  local ok, remaining, reset, retry
  local na, nb, nc, idle
  local rate = limit / period
  if alg == 'gcra' then
    local T = period / limit
    local tau = burst * T
    local base = math.max(a or 0, now)
    local nxt = base + T
    if nxt - now <= tau + eps then
      ok = true; remaining = math.floor((tau - (nxt - now)) / T + eps); reset = nxt - now; retry = 0
      na = nxt; idle = nxt
    else
      ok = false; remaining = math.floor(math.max(0, tau - (base - now)) / T + eps); reset = base - now
      retry = nxt - now - tau; na = a; idle = base
    end
  elseif alg == 'token_bucket' then
    local tok, at = a or burst, b or now
    if now > at then tok = math.min(burst, tok + (now - at) * rate); at = now end
    if tok >= 1 - eps then
      ok = true; na = tok - 1; remaining = math.floor(na + eps); retry = 0
    else
      ok = false; na = tok; remaining = 0; retry = (1 - tok) / rate
    end
    nb = at; reset = (burst - na) / rate; idle = at + reset
  elseif alg == 'leaky_bucket' then
    local lvl, at = a or 0, b or now
    if now > at then lvl = math.max(0, lvl - (now - at) * rate); at = now end
    if lvl + 1 <= burst + eps then
      ok = true; na = lvl + 1; remaining = math.floor(burst - na + eps); retry = 0
    else
      ok = false; na = lvl; remaining = 0; retry = (lvl + 1 - burst) / rate
    end
    nb = at; reset = na / rate; idle = at + reset
  elseif alg == 'fixed_window' then
    local w = now - (now % period)
    local count = (a == w) and (b or 0) or 0
    ok = count < limit
    if ok then count = count + 1 end
    remaining = math.max(0, limit - count); reset = w + period - now
    retry = ok and 0 or reset
    na = w; nb = count; idle = w + period
  elseif alg == 'sliding_window' then
    local w = math.floor(now / period)
    local prev, cur = b or 0, c or 0
    if a == w - 1 then prev = cur; cur = 0 elseif a ~= w then prev = 0; cur = 0 end
    local r = now % period
    local est = prev * (period - r) / period + cur
    ok = est + 1 <= limit + eps
    if ok then cur = cur + 1; est = est + 1 end
    remaining = math.max(0, math.floor(limit - est + eps))
    if cur > 0 then reset = 2 * period - r elseif prev > 0 then reset = period - r else reset = 0 end
    if ok then retry = 0 else
      retry = nil
      if cur < limit and prev > 0 then
        local rn = period - math.min(period, (limit - 1 - cur) * period / prev)
        if rn < period then retry = math.max(1, rn - r) end
      end
      if not retry then
        if cur == 0 then retry = period - r
        else retry = period - r + period - math.min(period, (limit - 1) * period / cur) end
      end
    end
    na = w; nb = prev; nc = cur; idle = (w + 2) * period
  else
    redis.call('ZREMRANGEBYSCORE', logkey, '-inf', num(now - period))
    local len = redis.call('ZCARD', logkey)
    ok = len < limit
    remaining = math.max(0, limit - len - (ok and 1 or 0))
    if ok then reset = period; retry = 0 else
      local newest = redis.call('ZRANGE', logkey, -1, -1, 'WITHSCORES')
      reset = tonumber(newest[2]) + period - now
      local k = redis.call('ZRANGE', logkey, len - limit, len - limit, 'WITHSCORES')
      retry = tonumber(k[2]) + period - now
    end
    na = a; idle = now + period
  end
  local blocked = blocked_until > now
  if blocked then
    ok = false; remaining = 0; retry = blocked_until - now; reset = math.max(reset, retry)
  end
  if not ok then all = false end
  out[#out + 1] = ok and 1 or 0
  out[#out + 1] = remaining
  out[#out + 1] = math.ceil(reset)
  out[#out + 1] = math.ceil(retry)
  out[#out + 1] = blocked and 1 or 0
  plan[i] = {key = key, logkey = logkey, alg = alg, ok = ok, blocked = blocked, na = na, nb = nb, nc = nc,
    idle = idle, penalty = penalty, blocked_until = blocked_until, period = period, a = a}
end
for i = 1, n do
  local p = plan[i]
  local untl = p.blocked_until
  local write = all
  if not all and not p.ok and not p.blocked and p.penalty > 0 then
    untl = now + p.penalty; write = true
  end
  if write and p.alg == 'gcra' then
    local tat = (all and p.na) or p.a or 0
    local v = num(tat)
    if untl > now then v = v .. ' ' .. num(untl) end
    redis.call('SET', p.key, v, 'PX', math.ceil((math.max(tat, untl) - now) / 1000) + 1000)
  elseif write then
    if all then
      if p.alg == 'sliding_log' then
        local seq = redis.call('HINCRBY', p.key, 'n', 1)
        redis.call('ZADD', p.logkey, num(now), num(now) .. '-' .. seq)
        redis.call('PEXPIRE', p.logkey, math.ceil(p.period / 1000) + 1000)
      end
      local fields = {'g', p.alg, 'x', num(untl)}
      if p.na then fields[#fields + 1] = 'a'; fields[#fields + 1] = num(p.na) end
      if p.nb then fields[#fields + 1] = 'b'; fields[#fields + 1] = num(p.nb) end
      if p.nc then fields[#fields + 1] = 'c'; fields[#fields + 1] = num(p.nc) end
      redis.call('HSET', p.key, unpack(fields))
    else
      redis.call('HSET', p.key, 'x', num(untl))
    end
    local idle = math.max(p.idle or now, untl)
    redis.call('PEXPIRE', p.key, math.ceil((idle - now) / 1000) + 1000)
  end
end
return out
