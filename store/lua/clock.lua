-- Advances a shop's clock, the newest event time seen, and returns the
-- refunds whose waiting deadline (no logistics record within N hours) it has
-- passed. They stay due until an assessment made at or after the deadline is
-- saved, so a crash in between loses none. The clock only grows: the same
-- events in any order give the same clock.
-- KEYS[1] clock, KEYS[2] due (zset refund -> deadline, unix seconds)
-- ARGV: prefix, newest event time of the batch (unix seconds), cap, ttl
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local t = tonumber(ARGV[2])
if t > cur then
  redis.call('SET', KEYS[1], ARGV[2])
  cur = t
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', cur, 'LIMIT', 0, tonumber(ARGV[3]))) do
  local rk = ARGV[1] .. 'r:' .. id
  if redis.call('EXISTS', rk) == 1 then
    redis.call('HINCRBY', rk, 'iv', 1)
    out[#out + 1] = id
  else
    redis.call('ZREM', KEYS[2], id)
  end
end
return out
