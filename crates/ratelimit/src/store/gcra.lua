-- GCRA for every level of a check: the default algorithm's fast path.
-- A level's state is one string, "<tat>" or "<tat> <blocked_until>" (µs,
-- written with %.17g because Lua's default conversion keeps 14 digits and
-- would round a timestamp), under a key that expires once the quota is whole.
--
-- KEYS[i]: level i's state. ARGV per level: period (µs), limit, burst and
-- penalty (µs, 0 for none); the emission interval T = period / limit and the
-- tolerance tau = burst × T are computed here, as check.lua does.
-- Returns per level: allowed, remaining, reset_us, retry_us, blocked.
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local eps = 1e-6
local n = #KEYS
local out, tats, untils, all = {}, {}, {}, true
for i = 1, n do
  local T = tonumber(ARGV[4 * i - 3]) / tonumber(ARGV[4 * i - 2])
  local tau = tonumber(ARGV[4 * i - 1]) * T
  local tat, untl = 0, 0
  local v = redis.call('GET', KEYS[i])
  if v then
    local sp = string.find(v, ' ', 1, true)
    if sp then
      tat, untl = tonumber(string.sub(v, 1, sp - 1)) or 0, tonumber(string.sub(v, sp + 1)) or 0
    else
      tat = tonumber(v) or 0
    end
  end
  local base = math.max(tat, now)
  local nxt = base + T
  local ok, rem, reset, retry
  if nxt - now <= tau + eps then
    ok = true; rem = math.floor((tau - (nxt - now)) / T + eps); reset = nxt - now; retry = 0
  else
    ok = false; rem = math.floor(math.max(0, tau - (base - now)) / T + eps); reset = base - now
    retry = nxt - now - tau
  end
  local blocked = untl > now
  if blocked then ok = false; rem = 0; retry = untl - now; reset = math.max(reset, retry) end
  if not ok then all = false end
  local o = 5 * i
  out[o - 4] = ok and 1 or 0; out[o - 3] = rem; out[o - 2] = math.ceil(reset)
  out[o - 1] = math.ceil(retry); out[o] = blocked and 1 or 0
  -- What to write if everything admits: the new arrival time.
  tats[i] = ok and nxt or tat
  untils[i] = untl
end
for i = 1, n do
  local tat, untl, write = tats[i], untils[i], all
  if not all and out[5 * i - 4] == 0 and out[5 * i] == 0 then
    -- Refused here (not already blocked): start the penalty, if any.
    local penalty = tonumber(ARGV[4 * i])
    if penalty > 0 then untl = now + penalty; write = true end
  end
  if write then
    local v = string.format('%.17g', tat)
    if untl > now then v = v .. string.format(' %.17g', untl) end
    redis.call('SET', KEYS[i], v, 'PX', math.ceil((math.max(tat, untl) - now) / 1000) + 1000)
  end
end
return out
