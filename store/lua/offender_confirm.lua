-- Records one confirmation of a hash by a shop's refund, unless a withdrawal
-- of that refund's confirmations covers its time (a late retry).
-- KEYS[1] record
-- ARGV: kind, shop, refund, confirmed_at
-- returns 1 when recorded (or already), 0 when void
local kind, shop, refund, at = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local id = cid(shop, refund)
local tomb = redis.call('HGET', KEYS[1], 'w:' .. id)
if tomb and at <= tomb then
  return 0
end
local cs, shops = entries(KEYS[1])
local mine
for _, c in ipairs(cs) do
  if c.shop == shop and c.refund == refund then
    mine = c
  end
end
if not mine then
  mine = {first = at, last = at, shop = shop, refund = refund}
  cs[#cs + 1] = mine
end
if at < mine.first then mine.first = at end
if at > mine.last then mine.last = at end
redis.call('HSET', KEYS[1], 'c:' .. id, mine.first .. '|' .. mine.last)
redis.call('HSETNX', KEYS[1], 'kind', kind)
derive(KEYS[1], cs, shops)
return 1
