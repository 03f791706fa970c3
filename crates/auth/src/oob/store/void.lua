-- Voids the live one-time code if it is still the one with this hash.
-- KEYS[1]: the code (hash: h, exp, left). ARGV: hash.
if redis.call('HGET', KEYS[1], 'h') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
