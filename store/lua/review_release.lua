-- Releases a claim: by its owner, or forced (an admin).
-- KEYS[1] rv, KEYS[2] al
-- ARGV: who, at, ttl, force (1/0)
-- returns {code, detail, state...}: ok, unclaimed, not_owner (detail: the
-- owner), closed, not_opened
local who, at, ttl, force = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4] == '1'
local s = redis.call('HMGET', KEYS[1], 'status', 'owner')
if not s[1] then
  return reply('not_opened', '', KEYS[1])
end
if s[1] ~= 'open' then
  return reply('closed', '', KEYS[1])
end
if not s[2] or s[2] == '' then
  return reply('unclaimed', '', KEYS[1])
end
if s[2] ~= who and not force then
  return reply('not_owner', s[2], KEYS[1])
end
redis.call('HDEL', KEYS[1], 'owner', 'claimed')
redis.call('EXPIRE', KEYS[1], ttl)
local entry = {at = at, by = who, action = 'released'}
if s[2] ~= who then
  entry.from = s[2]
end
audit(KEYS[2], entry, false, ttl)
return reply('ok', '', KEYS[1])
