-- Moves an open case's deadline.
-- KEYS[1] rv, KEYS[2] al
-- ARGV: who, at, deadline, ttl
-- returns {code, detail, state...}: ok, closed, not_opened
local who, at, deadline, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local s = redis.call('HGET', KEYS[1], 'status')
if not s then
  return reply('not_opened', '', KEYS[1])
end
if s ~= 'open' then
  return reply('closed', '', KEYS[1])
end
redis.call('HSET', KEYS[1], 'deadline', deadline)
redis.call('EXPIRE', KEYS[1], ttl)
audit(KEYS[2], {at = at, by = who, action = 'deadline', deadline = deadline}, false, ttl)
return reply('ok', '', KEYS[1])
