-- Claims an open case for one reviewer: nobody else can own it meanwhile.
-- KEYS[1] rv, KEYS[2] al, KEYS[3] review queue
-- ARGV: refund, who, at, ttl
-- returns {code, detail, state...}: ok, already (the caller owns it), taken
-- (detail: the owner), closed, not_queued, not_opened
local refund, who, at, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local s = redis.call('HMGET', KEYS[1], 'status', 'owner')
if not s[1] then
  return reply('not_opened', '', KEYS[1])
end
if s[1] ~= 'open' then
  return reply('closed', '', KEYS[1])
end
if s[2] and s[2] ~= '' then
  if s[2] == who then
    return reply('already', who, KEYS[1])
  end
  return reply('taken', s[2], KEYS[1])
end
if not redis.call('ZSCORE', KEYS[3], refund) then
  return reply('not_queued', '', KEYS[1])
end
redis.call('HSET', KEYS[1], 'owner', who, 'claimed', at)
redis.call('EXPIRE', KEYS[1], ttl)
audit(KEYS[2], {at = at, by = who, action = 'claimed'}, false, ttl)
return reply('ok', '', KEYS[1])
