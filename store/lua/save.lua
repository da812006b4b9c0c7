-- Stores a refund's assessment when it was computed from the newest facts and
-- differs from the stored one; keeps the review queue in step.
-- KEYS[1] refund hash, KEYS[2] assessment hash, KEYS[3] review queue,
-- KEYS[4] due refunds, KEYS[5] the shop's clock
-- ARGV: input version, assessment json, signature, decision, queue score, ttl, refund id
-- returns {1, previous decision} to publish, {0} unchanged, {-1} stale
local iv = redis.call('HGET', KEYS[1], 'iv') or '0'
if iv ~= ARGV[1] then
  -- Facts moved since they were read; whoever moved them assesses again.
  return {-1}
end
-- Assessed with facts this fresh, a refund whose deadline the clock has
-- passed is no longer due.
local due = redis.call('ZSCORE', KEYS[4], ARGV[7])
if due and tonumber(due) <= tonumber(redis.call('GET', KEYS[5]) or '0') then
  redis.call('ZREM', KEYS[4], ARGV[7])
end
local cur = redis.call('HMGET', KEYS[2], 'sig', 'decision', 'pub', 'prev')
if cur[1] == ARGV[3] then
  if cur[3] == '1' then
    return {0}
  end
  -- Changed earlier but never published (a crash in between): publish now.
  return {1, cur[4] or ''}
end
local prev = cur[2] or ''
local ttl = tonumber(ARGV[6])
redis.call('HSET', KEYS[2], 'json', ARGV[2], 'sig', ARGV[3], 'decision', ARGV[4], 'pub', '0', 'prev', prev)
redis.call('EXPIRE', KEYS[2], ttl)
if ARGV[4] == 'approve' then
  redis.call('ZREM', KEYS[3], ARGV[7])
else
  redis.call('ZADD', KEYS[3], ARGV[5], ARGV[7])
  redis.call('EXPIRE', KEYS[3], ttl)
end
return {1, prev}
