-- Records a new refresh family with the client it came from, and indexes it
-- under its subject (a sorted set scored by the family's deadline).
-- KEYS[1]: the family (hash); KEYS[2]: the subject's index (sorted set).
-- ARGV: family id, current jti, device, until, deadline, family ttl,
--       created, user agent, ip, index ttl.
redis.call('HSET', KEYS[1], 'cur', ARGV[2], 'prev', '', 'at', '0', 'dev', ARGV[3],
  'until', ARGV[4], 'ended', '0', 'max', ARGV[5], 'created', ARGV[7], 'ua', ARGV[8], 'ip', ARGV[9])
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
-- The index lives as long as its longest-lived family.
if redis.call('TTL', KEYS[2]) < tonumber(ARGV[10]) then
  redis.call('EXPIRE', KEYS[2], ARGV[10])
end
return 1
