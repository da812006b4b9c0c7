-- Reads every fact one refund's assessment needs, in one call.
-- KEYS[1] refund hash
-- ARGV: prefix, refund id, cap
-- returns false, or {refund, iv, order|false, parcel fields|false,
--   {refund, order|false}* of the waybill's other refunds,
--   address links {order, buyer}*, phone links, {buyer, {refund ids}}*}
local prefix, rid, cap = ARGV[1], ARGV[2], tonumber(ARGV[3])
local r = redis.call('HMGET', KEYS[1], 'f:body', 'iv', 'order', 'trk')
if not r[1] then
  return false
end
local order, ak, pk = false, false, false
if r[3] then
  local o = redis.call('HMGET', prefix .. 'o:' .. r[3], 'f:body', 'ak', 'pk')
  order, ak, pk = o[1] or false, o[2], o[3]
end

local function parcel(trk)
  local h = redis.call('HGETALL', prefix .. 'p:' .. trk)
  if #h == 0 then
    return false
  end
  return h
end
local p = false
if r[4] and r[4] ~= '' then
  p = parcel(r[4])
end
if not p then
  -- A parcel the warehouse linked to this refund, when the buyer named none.
  local linked = redis.call('SMEMBERS', prefix .. 'pl:' .. rid)
  table.sort(linked)
  for _, trk in ipairs(linked) do
    local v = redis.call('HGET', prefix .. 'p:' .. trk, 'f:refund_id')
    if v and cjson.decode(v) == rid then
      p = parcel(trk)
      break
    end
  end
end

local wb = {}
if r[4] and r[4] ~= '' then
  local ids = redis.call('HKEYS', prefix .. 'wb:' .. r[4])
  table.sort(ids)
  for _, id in ipairs(ids) do
    if id ~= rid and #wb < 2 * cap then
      local o = redis.call('HMGET', prefix .. 'r:' .. id, 'f:body', 'order')
      if o[1] then
        local ob = false
        if o[2] then
          ob = redis.call('HGET', prefix .. 'o:' .. o[2], 'f:body') or false
        end
        wb[#wb + 1] = o[1]
        wb[#wb + 1] = ob
      end
    end
  end
end

-- An address or phone with more orders than cap is a shared hub (a mailroom,
-- a parcel station): it links nobody and is returned empty.
local function links(idx)
  if not idx or idx == '' then
    return {}
  end
  local k = prefix .. idx
  if redis.call('HLEN', k) > cap then
    return {}
  end
  return redis.call('HGETALL', k)
end
local al, pl = links(ak and ('ad:' .. ak)), links(pk and ('ph:' .. pk))

local br, seen = {}, {}
for _, l in ipairs({al, pl}) do
  for j = 2, #l, 2 do
    local b = l[j]
    if not seen[b] then
      seen[b] = true
      local bk = prefix .. 'br:' .. b
      local ids = {}
      if redis.call('HLEN', bk) <= cap then
        ids = redis.call('HKEYS', bk)
      end
      br[#br + 1] = b
      br[#br + 1] = ids
    end
  end
end
return {r[1], r[2] or '0', order, p, wb, al, pl, br}
