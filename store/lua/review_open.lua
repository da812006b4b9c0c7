-- Opens a case of the review queue once: the first time the workflow sees it.
-- KEYS[1] rv, KEYS[2] al, KEYS[3] verdict counters of the opening day
-- ARGV: opened_at, deadline, ttl, counter ttl, rule codes...
-- returns 1 when opened now, 0 when it was open (or closed) already
if redis.call('HEXISTS', KEYS[1], 'status') == 1 then
  return 0
end
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'status', 'open', 'opened', ARGV[1], 'deadline', ARGV[2])
redis.call('EXPIRE', KEYS[1], ttl)
-- Each case counts once as a hit of each rule it was flagged by.
for i = 5, #ARGV do
  redis.call('HINCRBY', KEYS[3], ARGV[i] .. '|hits', 1)
end
if #ARGV >= 5 then
  redis.call('EXPIRE', KEYS[3], tonumber(ARGV[4]))
end
audit(KEYS[2], {at = ARGV[1], action = 'opened', deadline = ARGV[2]}, false, ttl)
return 1
