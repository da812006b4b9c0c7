-- Reopens a closed case: the verdict is withdrawn from the counters of its
-- day (while they are kept), its pending effects are dropped, and the case
-- waits for a claim again with a new deadline. The log keeps the verdict.
-- A fraud verdict's known-offender confirmations are withdrawn too: here
-- the refund's confirmations dated up to now (or the verdict's time, when a
-- clock is behind) become void, so a late confirmation cannot outlive the
-- reopen, and the withdrawal is listed as pending until the caller has
-- carried it out (see offenders.go).
-- KEYS[1] rv, KEYS[2] al, KEYS[3] pending effects, KEYS[4] ofr:<refund>,
-- KEYS[5] ofw (pending withdrawals)
-- ARGV: refund, who, at, note, deadline, ttl, prefix, at in unix ms
-- returns {code, detail (the withdrawn verdict), state...}: ok, open, not_opened
local refund, who, at, note, deadline, ttl, prefix = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7]
local s = redis.call('HMGET', KEYS[1], 'status', 'verdict', 'day', 'rules', 'at')
if not s[1] then
  return reply('not_opened', '', KEYS[1])
end
if s[1] ~= 'closed' then
  return reply('open', '', KEYS[1])
end
local verdict = s[2] or ''
if s[3] and s[3] ~= '' and verdict ~= '' then
  local vk = prefix .. 'vc:' .. s[3]
  if redis.call('EXISTS', vk) == 1 then
    for r in string.gmatch(s[4] or '', '%S+') do
      redis.call('HINCRBY', vk, r .. '|' .. verdict, -1)
    end
    redis.call('HINCRBY', vk, '|' .. verdict, -1)
  end
end
local withdrawn
if verdict == 'fraud' then
  local upto = at
  if s[5] and s[5] > upto then
    upto = s[5]
  end
  local w = redis.call('HGET', KEYS[4], 'w')
  if not w or w < upto then
    redis.call('HSET', KEYS[4], 'w', upto)
  end
  local n = 0
  for _, f in ipairs(redis.call('HKEYS', KEYS[4])) do
    if string.sub(f, 1, 2) == 'h:' then
      n = n + 1
    end
  end
  if n > 0 then
    withdrawn = n
  end
  redis.call('ZADD', KEYS[5], tonumber(ARGV[8]), refund)
end
redis.call('HDEL', KEYS[1], 'verdict', 'note', 'by', 'at', 'day', 'rules', 'decision', 'fx', 'owner', 'claimed')
redis.call('HSET', KEYS[1], 'status', 'open', 'deadline', deadline)
redis.call('HINCRBY', KEYS[1], 'reopened', 1)
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('SREM', KEYS[3], refund)
audit(KEYS[2], {at = at, by = who, action = 'reopened', verdict = verdict, note = note, deadline = deadline,
  offenders_withdrawn = withdrawn}, true, ttl)
return reply('ok', verdict, KEYS[1])
