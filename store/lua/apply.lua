-- Applies one event's facts to its entity and returns the refunds it touches.
-- Fields are last-writer-wins by version (occurred_at|event_id), so applying an
-- event twice, or an older one after a newer, changes nothing. Index
-- memberships follow the entity's newest state. Every key shares the shop's
-- hash tag, so this runs unchanged on Redis Cluster.
--
-- KEYS[1] entity hash
-- ARGV: prefix, version, ttl, cap,
--       nfields, (name, value)*, nmeta, (name, value)*,
--       nmembers (-1: entity keeps none), (suffix, field, value, fan)*,
--       nfan, (mode, arg)*
-- returns {applied, capped, refund ids...}
local key = KEYS[1]
local prefix, ver, ttl, cap = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local i = 5
local function arg()
  local v = ARGV[i]
  i = i + 1
  return v
end

local applied = 0
for _ = 1, tonumber(arg()) do
  local name, val = arg(), arg()
  local cur = redis.call('HGET', key, 'v:' .. name)
  if (not cur) or cur < ver then
    redis.call('HSET', key, 'f:' .. name, val, 'v:' .. name, ver)
    applied = 1
  end
end
local meta = {}
for _ = 1, tonumber(arg()) do
  meta[#meta + 1] = arg()
  meta[#meta + 1] = arg()
end
local nmembers = tonumber(arg())
local members = {}
for _ = 1, nmembers do
  members[#members + 1] = {arg(), arg(), arg(), arg()}
end
local fans = {}
for _ = 1, tonumber(arg()) do
  fans[#fans + 1] = {arg(), arg()}
end

if applied == 1 then
  if #meta > 0 then
    redis.call('HSET', key, unpack(meta))
  end
  if nmembers >= 0 then
    local keep, enc, removed = {}, {}, {}
    for _, m in ipairs(members) do
      keep[m[1] .. '\t' .. m[2]] = true
      enc[#enc + 1] = m[1] .. '\t' .. m[2] .. '\t' .. m[4]
    end
    local old = redis.call('HGET', key, 'idx')
    if old then
      for line in string.gmatch(old, '[^\n]+') do
        local s, f, fan = string.match(line, '^(.-)\t(.-)\t(.*)$')
        if s and not keep[s .. '\t' .. f] then
          redis.call('HDEL', prefix .. s, f)
          removed[#removed + 1] = line
        end
      end
    end
    for _, m in ipairs(members) do
      redis.call('HSET', prefix .. m[1], m[2], m[3])
      redis.call('EXPIRE', prefix .. m[1], ttl)
    end
    -- What a change removed is kept, so a redelivery after a crash still
    -- re-assesses the refunds the old state touched.
    redis.call('HSET', key, 'idx', table.concat(enc, '\n'), 'rm', table.concat(removed, '\n'))
  end
end
redis.call('EXPIRE', key, ttl)

local touched, seen, capped = {}, {}, 0
local function touch(id)
  if id == nil or id == '' or seen[id] then
    return
  end
  seen[id] = true
  if #touched >= cap then
    capped = 1
    return
  end
  local rk = prefix .. 'r:' .. id
  if redis.call('EXISTS', rk) == 1 then
    redis.call('HINCRBY', rk, 'iv', 1)
    touched[#touched + 1] = id
  end
end
local function each(idx, fn)
  local k = prefix .. idx
  if redis.call('HLEN', k) > cap then
    capped = 1
    return
  end
  for _, v in ipairs(fn(k)) do
    touch(v)
  end
end
local function fan(mode, a)
  if mode == 'id' then
    touch(a)
  elseif mode == 'set' then
    each(a, function(k) return redis.call('HKEYS', k) end)
  elseif mode == 'buyers' then
    local k = prefix .. a
    if redis.call('HLEN', k) > cap then
      capped = 1
      return
    end
    local done = {}
    for _, b in ipairs(redis.call('HVALS', k)) do
      if not done[b] then
        done[b] = true
        each('br:' .. b, function(bk) return redis.call('HKEYS', bk) end)
      end
    end
  elseif mode == 'field' then
    local v = redis.call('HGET', key, 'f:' .. a)
    if v then
      touch(cjson.decode(v))
    end
  end
end

for _, f in ipairs(fans) do
  fan(f[1], f[2])
end
for _, field in ipairs({'idx', 'rm'}) do
  local enc = redis.call('HGET', key, field)
  if enc then
    for line in string.gmatch(enc, '[^\n]+') do
      local s, _, m = string.match(line, '^(.-)\t(.-)\t(.*)$')
      if s and m ~= '' then
        fan(m, s)
      end
    end
  end
end
local out = {applied, capped}
for _, id in ipairs(touched) do
  out[#out + 1] = id
end
return out
