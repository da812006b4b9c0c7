-- Applies one event's facts to its entity and returns the refunds it touches.
-- Fields are last-writer-wins by version (occurred_at|event_id), so applying an
-- event twice, or an older one after a newer, changes nothing. Index
-- memberships follow the entity's newest state. Every key shares the shop's
-- hash tag, so this runs unchanged on Redis Cluster. Redis calls are few on
-- purpose: each costs more than the Lua around it.
--
-- KEYS[1] entity hash
-- ARGV: prefix, version, ttl, cap, hub (rules.MaxLinkAccounts),
--       nfields, (name, value)*, nmeta, (name, value)*,
--       nmembers (-1: entity keeps none), owner field, (suffix, field, value, fan)*,
--       nfan, (mode, arg)*
-- returns {applied, capped, refund ids...}
local key = KEYS[1]
local prefix, ver, ttl, cap, hub = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local i = 6
local function arg()
  local v = ARGV[i]
  i = i + 1
  return v
end

local fields = {}
for _ = 1, tonumber(arg()) do
  fields[#fields + 1] = {arg(), arg()}
end
local meta = {}
for _ = 1, tonumber(arg()) do
  meta[#meta + 1] = arg()
  meta[#meta + 1] = arg()
end
local nmembers = tonumber(arg())
-- Memberships follow one field: the body of an order, or a parcel's sender.
local owner = arg()
local members = {}
for _ = 1, nmembers do
  members[#members + 1] = {arg(), arg(), arg(), arg()}
end
local fans = {}
for _ = 1, tonumber(arg()) do
  fans[#fans + 1] = {arg(), arg()}
end

-- One read for every version, the stored memberships, and the fields whose
-- old value names a refund to re-assess (a parcel linked to another refund).
local ask = {'idx', 'rm'}
for _, f in ipairs(fields) do
  ask[#ask + 1] = 'v:' .. f[1]
end
local watched = {}
for _, f in ipairs(fans) do
  if f[1] == 'field' then
    ask[#ask + 1] = 'f:' .. f[2]
    watched[#watched + 1] = f[2]
  end
end
local cur = redis.call('HMGET', key, unpack(ask))
local idx, rm = cur[1] or '', cur[2] or ''
local was = {}
for n, name in ipairs(watched) do
  was[name] = cur[#fields + 2 + n]
end

local write, now = {}, {}
for n, f in ipairs(fields) do
  local v = cur[n + 2]
  if (not v) or v < ver then
    write[#write + 1] = 'f:' .. f[1]
    write[#write + 1] = f[2]
    write[#write + 1] = 'v:' .. f[1]
    write[#write + 1] = ver
    now[f[1]] = f[2]
  end
end
local applied = 0
if #write > 0 then
  applied = 1
  for _, m in ipairs(meta) do
    write[#write + 1] = m
  end
  if nmembers >= 0 and now[owner] then
    local keep, enc, removed = {}, {}, {}
    for _, m in ipairs(members) do
      keep[m[1] .. '\t' .. m[2]] = true
      enc[#enc + 1] = m[1] .. '\t' .. m[2] .. '\t' .. m[4]
    end
    local new = table.concat(enc, '\n')
    if new ~= idx then
      for line in string.gmatch(idx, '[^\n]+') do
        local s, f = string.match(line, '^(.-)\t(.-)\t')
        if s and not keep[s .. '\t' .. f] then
          redis.call('HDEL', prefix .. s, f)
          removed[#removed + 1] = line
        end
      end
      -- What a change removed is kept, so a redelivery after a crash still
      -- re-assesses the refunds the old state touched.
      idx, rm = new, table.concat(removed, '\n')
      write[#write + 1] = 'idx'
      write[#write + 1] = idx
      write[#write + 1] = 'rm'
      write[#write + 1] = rm
    end
    -- Written every time, not only on change: an index key that expired
    -- while its entity lived on is made whole again by the entity's next write.
    for _, m in ipairs(members) do
      redis.call('HSET', prefix .. m[1], m[2], m[3])
      redis.call('EXPIRE', prefix .. m[1], ttl)
    end
  end
  redis.call('HSET', key, unpack(write))
  -- Entity and index keys are refreshed together, so no index expires
  -- before an entity in it.
  redis.call('EXPIRE', key, ttl)
end

local touched, seen, capped = {}, {}, 0
-- A refund named by an event may not exist yet, and an index may outlive a
-- refund that expired: only existing refunds are bumped, so no key is made
-- without its TTL.
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
local function members_of(k)
  if redis.call('HLEN', k) > cap then
    capped = 1
    return {}
  end
  return redis.call('HKEYS', k)
end
local fan
fan = function(mode, a)
  if mode == 'id' then
    touch(a)
  elseif mode == 'set' then
    for _, id in ipairs(members_of(prefix .. a)) do
      touch(id)
    end
  elseif mode == 'buyers' then
    local k = prefix .. a
    if redis.call('HLEN', k) > cap then
      capped = 1
      return
    end
    local buyers, done, n = redis.call('HVALS', k), {}, 0
    for _, b in ipairs(buyers) do
      if not done[b] then
        done[b] = true
        n = n + 1
      end
    end
    -- More than hub + 1 accounts now means more than hub before this event
    -- too: a hub both times, which links nobody for any rule, so nothing
    -- behind it can change.
    if n > hub + 1 then
      return
    end
    done = {}
    for _, b in ipairs(buyers) do
      if not done[b] then
        done[b] = true
        for _, id in ipairs(members_of(prefix .. 'br:' .. b)) do
          touch(id)
        end
      end
    end
  elseif mode == 'field' then
    -- The refund a field names now, and the one it named before.
    for _, v in ipairs({now[a] or was[a] or '', was[a] or ''}) do
      if v ~= '' then
        touch(cjson.decode(v))
      end
    end
  elseif mode == 'parcels' then
    -- Other parcels from one sender: the refunds they belong to see how
    -- many accounts that sender returns for.
    for _, trk in ipairs(members_of(prefix .. a)) do
      fan('set', 'wb:' .. trk)
      local v = redis.call('HGET', prefix .. 'p:' .. trk, 'f:refund_id')
      if v then
        touch(cjson.decode(v))
      end
    end
  elseif mode == 'sender-of' then
    -- A refund naming a waybill joins the accounts of that parcel's sender.
    local pidx = redis.call('HGET', prefix .. 'p:' .. a, 'idx')
    if pidx then
      for line in string.gmatch(pidx, '[^\n]+') do
        local s, _, m = string.match(line, '^(.-)\t(.-)\t(.*)$')
        if s and m == 'parcels' then
          fan('parcels', s)
        end
      end
    end
  elseif mode == 'links' then
    -- A refund changes what the refunds of accounts sharing its order's
    -- address or phone see (how many of them asked for refunds).
    local o = redis.call('HMGET', prefix .. 'o:' .. a, 'ak', 'pk')
    if o[1] and o[1] ~= '' then
      fan('buyers', 'ad:' .. o[1])
    end
    if o[2] and o[2] ~= '' then
      fan('buyers', 'ph:' .. o[2])
    end
  elseif mode == 'waybills' then
    -- An order changes what the refunds sharing a waybill with its refunds
    -- see (the weight of a combined parcel).
    for _, id in ipairs(members_of(prefix .. a)) do
      local trk = redis.call('HGET', prefix .. 'r:' .. id, 'trk')
      if trk and trk ~= '' then
        fan('set', 'wb:' .. trk)
      end
    end
  end
end

for _, f in ipairs(fans) do
  fan(f[1], f[2])
end
for _, enc in ipairs({idx, rm}) do
  for line in string.gmatch(enc, '[^\n]+') do
    local s, _, m = string.match(line, '^(.-)\t(.-)\t(.*)$')
    if s and m ~= '' then
      fan(m, s)
    end
  end
end
local out = {applied, capped}
for _, id in ipairs(touched) do
  out[#out + 1] = id
end
return out
