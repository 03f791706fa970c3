-- Replaces the confirmed TOTP secret with the same secret sealed again, if it
-- is still the one that was read (check-and-set).
-- KEYS[1]: the user's MFA hash (secret, pending, step). ARGV: old, new.
if redis.call('HGET', KEYS[1], 'secret') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'secret', ARGV[2])
return 1
