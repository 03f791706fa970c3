-- Sends a new one-time code: counts the send against the resend limit and,
-- when allowed, replaces the subject's live code for the purpose.
-- KEYS[1]: the code (hash: h, exp, left); KEYS[2]: the send counter (hash: n, end).
-- ARGV: hash, now, expires_at, max_attempts, max_sends, window_secs, code_ttl_secs.
-- Returns {1, 0} when stored, {0, window_end} when throttled.
local now = tonumber(ARGV[2])
local s = redis.call('HMGET', KEYS[2], 'n', 'end')
local n = tonumber(s[1] or '0')
local window_end = tonumber(s[2] or '0')
if n == 0 or now >= window_end then
  n = 0
  window_end = now + tonumber(ARGV[6])
end
if n >= tonumber(ARGV[5]) then return {0, window_end} end
redis.call('HSET', KEYS[2], 'n', string.format('%d', n + 1), 'end', string.format('%d', window_end))
redis.call('EXPIRE', KEYS[2], string.format('%d', window_end - now + 1))
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'h', ARGV[1], 'exp', ARGV[3], 'left', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[7])
return {1, 0}
