-- Marks a verdict's effects done (offenders confirmed, decision published),
-- only while that verdict still stands.
-- KEYS[1] rv, KEYS[2] pending effects
-- ARGV: refund, verdict, at (the verdict's time)
-- returns 1 when marked, 0 otherwise
local s = redis.call('HMGET', KEYS[1], 'status', 'verdict', 'at')
if s[1] == 'closed' and s[2] == ARGV[2] and s[3] == ARGV[3] then
  redis.call('HSET', KEYS[1], 'fx', '1')
  redis.call('SREM', KEYS[2], ARGV[1])
  return 1
end
if s[1] ~= 'closed' then
  redis.call('SREM', KEYS[2], ARGV[1])
end
return 0
