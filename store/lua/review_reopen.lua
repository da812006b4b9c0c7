-- Reopens a closed case: the verdict is withdrawn from the counters of its
-- day (while they are kept), its pending effects are dropped, and the case
-- waits for a claim again with a new deadline. The log keeps the verdict.
-- KEYS[1] rv, KEYS[2] al, KEYS[3] pending effects
-- ARGV: refund, who, at, note, deadline, ttl, prefix
-- returns {code, detail (the withdrawn verdict), state...}: ok, open, not_opened
local refund, who, at, note, deadline, ttl, prefix = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7]
local s = redis.call('HMGET', KEYS[1], 'status', 'verdict', 'day', 'rules')
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
redis.call('HDEL', KEYS[1], 'verdict', 'note', 'by', 'at', 'day', 'rules', 'decision', 'fx', 'owner', 'claimed')
redis.call('HSET', KEYS[1], 'status', 'open', 'deadline', deadline)
redis.call('HINCRBY', KEYS[1], 'reopened', 1)
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('SREM', KEYS[3], refund)
audit(KEYS[2], {at = at, by = who, action = 'reopened', verdict = verdict, note = note, deadline = deadline}, true, ttl)
return reply('ok', verdict, KEYS[1])
