-- Checks a one-time code: consumes it when the hash matches, counts a try
-- when not, voids it at its last try or once expired.
-- KEYS[1]: the code (hash: h, exp, left). ARGV: hash, now.
-- Returns {0} no code, {1} expired, {2} verified, {3} exhausted, {4, left} wrong.
-- The hashes compared are keyed HMACs: how long the comparison takes says
-- nothing about the code to whoever lacks the key.
local v = redis.call('HMGET', KEYS[1], 'h', 'exp', 'left')
if not v[1] then return {0} end
if tonumber(v[2]) <= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  return {1}
end
if v[1] == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return {2}
end
local left = tonumber(v[3]) - 1
if left <= 0 then
  redis.call('DEL', KEYS[1])
  return {3}
end
redis.call('HSET', KEYS[1], 'left', string.format('%d', left))
return {4, left}
