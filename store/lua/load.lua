-- Reads every fact one refund's assessment needs, in one call.
-- KEYS[1] refund hash
-- ARGV: prefix, refund id, cap, hub (rules.MaxLinkAccounts)
-- returns false, or {refund, iv, order|false, parcel fields|false,
--   {refund, order|false}* of the waybill's other refunds,
--   address links {order, buyer}*, phone links,
--   {buyer, {refund, summary}*}* history of the account and linked accounts,
--   linked accounts' other orders, the buyer's messages,
--   {tracking no, refund, buyer, match}* other parcels of the sender,
--   the shop's clock (unix seconds of its newest event) or '',
--   the shop's allowances (JSON), orders with the same masked phone}
local prefix, rid, cap, hub = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local r = redis.call('HMGET', KEYS[1], 'f:body', 'iv', 'order', 'trk', 'buyer')
if not r[1] then
  return false
end
local buyer = r[5] or ''
local order, ak, pk, mk = false, false, false, false
if r[3] then
  local o = redis.call('HMGET', prefix .. 'o:' .. r[3], 'f:body', 'ak', 'pk', 'mk')
  order, ak, pk, mk = o[1] or false, o[2], o[3], o[4]
end

local function small(k)
  return redis.call('HLEN', k) <= cap
end

local function parcel(trk)
  local h = redis.call('HGETALL', prefix .. 'p:' .. trk)
  if #h == 0 then
    return false
  end
  return h
end
local p, ptrk = false, false
if r[4] and r[4] ~= '' then
  p, ptrk = parcel(r[4]), r[4]
end
if not p then
  -- A parcel the warehouse linked to this refund, when the buyer named none.
  local linked = redis.call('SMEMBERS', prefix .. 'pl:' .. rid)
  table.sort(linked)
  for _, trk in ipairs(linked) do
    local v = redis.call('HGET', prefix .. 'p:' .. trk, 'f:refund_id')
    if v and cjson.decode(v) == rid then
      p, ptrk = parcel(trk), trk
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
  if not small(k) then
    return {}
  end
  return redis.call('HGETALL', k)
end
local al, pl, ml = links(ak and ('ad:' .. ak)), links(pk and ('ph:' .. pk)), links(mk and ('mp:' .. mk))

local history, seen = {}, {}
local function account(b)
  if b == '' or seen[b] then
    return
  end
  seen[b] = true
  local bk = prefix .. 'br:' .. b
  local h = {}
  if small(bk) then
    h = redis.call('HGETALL', bk)
  end
  history[#history + 1] = b
  history[#history + 1] = h
end
account(buyer)
local others, oseen = {}, {}
if r[3] then
  oseen[r[3]] = true
end
-- More accounts than hub at one address or phone make it a hub, which no
-- rule links through: what lies behind it is not read.
local function is_hub(l)
  local n, s = 0, {}
  for j = 2, #l, 2 do
    if not s[l[j]] then
      s[l[j]] = true
      n = n + 1
      if n > hub then
        return true
      end
    end
  end
  return false
end
-- Accounts linked only through a masked phone are a weak link: their
-- history is not read, so no rule takes them for linked accounts.
for _, l in ipairs({al, pl}) do
  if is_hub(l) then
    l = {}
  end
  for j = 1, #l, 2 do
    account(l[j + 1])
    local oid = l[j]
    if not oseen[oid] and #others < cap then
      oseen[oid] = true
      local body = redis.call('HGET', prefix .. 'o:' .. oid, 'f:body')
      if body then
        others[#others + 1] = body
      end
    end
  end
end

local msgs = {}
local bm = prefix .. 'bm:' .. buyer
if buyer ~= '' and small(bm) then
  for _, id in ipairs(redis.call('HKEYS', bm)) do
    local body = redis.call('HGET', prefix .. 'm:' .. id, 'f:body')
    if body then
      msgs[#msgs + 1] = body
    end
  end
end

-- Other parcels of this parcel's sender, found through the sender indexes
-- the parcel belongs to, with the refunds (and accounts) they carry.
local senders = {}
if p then
  local pidx = ''
  for j = 1, #p, 2 do
    if p[j] == 'idx' then
      pidx = p[j + 1]
    end
  end
  for line in string.gmatch(pidx, '[^\n]+') do
    local s, _, m = string.match(line, '^(.-)\t(.-)\t(.*)$')
    if s and m == 'parcels' and small(prefix .. s) then
      local match = 'name_address'
      if string.sub(s, 1, 3) == 'sp:' then
        match = 'phone'
      end
      local trks = redis.call('HKEYS', prefix .. s)
      table.sort(trks)
      for _, trk in ipairs(trks) do
        if trk ~= ptrk then
          local ids, iseen = {}, {}
          for _, id in ipairs(redis.call('HKEYS', prefix .. 'wb:' .. trk)) do
            ids[#ids + 1] = id
            iseen[id] = true
          end
          local v = redis.call('HGET', prefix .. 'p:' .. trk, 'f:refund_id')
          if v then
            local id = cjson.decode(v)
            if not iseen[id] then
              ids[#ids + 1] = id
            end
          end
          if #ids == 0 then
            ids = {''}
          end
          for _, id in ipairs(ids) do
            local b = ''
            if id ~= '' then
              b = redis.call('HGET', prefix .. 'r:' .. id, 'buyer') or ''
            end
            senders[#senders + 1] = trk
            senders[#senders + 1] = id
            senders[#senders + 1] = b
            senders[#senders + 1] = match
          end
        end
      end
    end
  end
end

local clock = redis.call('GET', prefix .. 'clock') or ''
local allow = {}
if small(prefix .. 'allow') then
  allow = redis.call('HVALS', prefix .. 'allow')
end
return {r[1], r[2] or '0', order, p, wb, al, pl, history, others, msgs, senders, clock, allow, ml}
