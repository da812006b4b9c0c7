-- Shared by the offender record scripts (prepended to each). One record,
-- sg:offender:<hash>, holds every confirmation of the hash as
--   c:<n>:<shop><refund> = "<first>|<last>"  (n: the shop id's length in bytes;
--                                            the times it was confirmed)
-- tombstones of withdrawals as
--   w:<n>:<shop><refund> = "<up to>"         (that refund's confirmations
--                                            dated at or before are void)
-- and fields derived from the confirmations, which lookups read:
--   kind, shop, refund, confirmed_at         the earliest by any shop
--   s:<shop> = "<at>|<refund>"                each shop's earliest
-- Times are fixed-width UTC strings, so they compare as strings.

local function earlier(a1, s1, r1, a2, s2, r2)
  if a1 ~= a2 then return a1 < a2 end
  if s1 ~= s2 then return s1 < s2 end
  return r1 < r2
end

-- cut splits "<a>|<b>" at the first bar (times hold none).
local function cut(v)
  local i = string.find(v, '|', 1, true)
  if not i then return v, v end
  return string.sub(v, 1, i - 1), string.sub(v, i + 1)
end

local function cid(shop, refund)
  return #shop .. ':' .. shop .. refund
end

-- entries returns the record's confirmations ({first, last, shop, refund})
-- and its s: fields.
local function entries(key)
  local h = redis.call('HGETALL', key)
  local cs, shops = {}, {}
  for i = 1, #h, 2 do
    local f, v = h[i], h[i + 1]
    local n, rest = string.match(f, '^c:(%d+):(.*)$')
    if n then
      n = tonumber(n)
      local first, last = cut(v)
      cs[#cs + 1] = {first = first, last = last, shop = string.sub(rest, 1, n), refund = string.sub(rest, n + 1)}
    elseif string.sub(f, 1, 2) == 's:' then
      local at, refund = cut(v)
      shops[#shops + 1] = {shop = string.sub(f, 3), at = at, refund = refund}
    end
  end
  return cs, shops
end

-- derive rewrites the derived fields from the confirmations cs; with none
-- left the record reads as never confirmed. Returns #cs.
local function derive(key, cs, shops)
  local best, own = nil, {}
  for _, c in ipairs(cs) do
    if not best or earlier(c.first, c.shop, c.refund, best.first, best.shop, best.refund) then
      best = c
    end
    local o = own[c.shop]
    if not o or earlier(c.first, '', c.refund, o.first, '', o.refund) then
      own[c.shop] = c
    end
  end
  for _, s in ipairs(shops) do
    if not own[s.shop] then
      redis.call('HDEL', key, 's:' .. s.shop)
    end
  end
  if not best then
    redis.call('HDEL', key, 'kind', 'shop', 'refund', 'confirmed_at')
    return 0
  end
  redis.call('HSET', key, 'shop', best.shop, 'refund', best.refund, 'confirmed_at', best.first)
  for shop, c in pairs(own) do
    redis.call('HSET', key, 's:' .. shop, c.first .. '|' .. c.refund)
  end
  return #cs
end
