-- Closes a case with the owner's verdict, counts it once per rule the
-- assessment names, and marks its effects (known offenders, the decision
-- topic) pending. The state and the log are kept forever: a verdict does not
-- age out.
-- KEYS[1] rv, KEYS[2] al, KEYS[3] assessment hash, KEYS[4] pending effects
-- (set), KEYS[5] verdict counters of the verdict's day
-- ARGV: refund, who, at, verdict, note, day, ttl, counter ttl
-- returns {code, detail, state...}: ok, already (the same verdict by the same
-- reviewer: a retry), closed, unclaimed, not_owner (detail: the owner),
-- not_opened
local refund, who, at, verdict, note, day = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local ttl, cttl = tonumber(ARGV[7]), tonumber(ARGV[8])
local s = redis.call('HMGET', KEYS[1], 'status', 'owner', 'verdict', 'by')
if not s[1] then
  return reply('not_opened', '', KEYS[1])
end
if s[1] == 'closed' then
  if s[3] == verdict and s[4] == who then
    return reply('already', '', KEYS[1])
  end
  return reply('closed', s[3] or '', KEYS[1])
end
if not s[2] or s[2] == '' then
  return reply('unclaimed', '', KEYS[1])
end
if s[2] ~= who then
  return reply('not_owner', s[2], KEYS[1])
end
local rules, seen, decision = {}, {}, ''
local body = redis.call('HGET', KEYS[3], 'json')
if body then
  local ok, a = pcall(cjson.decode, body)
  if ok and type(a) == 'table' then
    if type(a.decision) == 'string' then
      decision = a.decision
    end
    if type(a.reasons) == 'table' then
      for _, r in ipairs(a.reasons) do
        if type(r) == 'table' and type(r.rule) == 'string' and not seen[r.rule] then
          seen[r.rule] = true
          rules[#rules + 1] = r.rule
        end
      end
    end
  end
end
table.sort(rules)
redis.call('HSET', KEYS[1], 'status', 'closed', 'verdict', verdict, 'note', note, 'by', who, 'at', at,
  'day', day, 'rules', table.concat(rules, ' '), 'decision', decision, 'fx', '0')
redis.call('HDEL', KEYS[1], 'owner', 'claimed')
redis.call('PERSIST', KEYS[1])
for _, r in ipairs(rules) do
  redis.call('HINCRBY', KEYS[5], r .. '|' .. verdict, 1)
end
redis.call('HINCRBY', KEYS[5], '|' .. verdict, 1)
redis.call('EXPIRE', KEYS[5], cttl)
redis.call('SADD', KEYS[4], refund)
audit(KEYS[2], {at = at, by = who, action = 'verdict', verdict = verdict, note = note, rules = table.concat(rules, ' ')}, true, ttl)
return reply('ok', '', KEYS[1])
