-- Withdraws a shop's refund's confirmation of a hash dated at or before
-- up_to, and leaves a tombstone so that a late confirmation so dated stays
-- void. A confirmation of the same refund made after up_to (a new verdict)
-- stands; so do every other refund's and shop's, and the earliest ones are
-- derived again.
-- KEYS[1] record
-- ARGV: shop, refund, up_to (the tombstone is left even when the record does
-- not exist yet: its confirmation may be on its way)
-- returns 1 when a confirmation was withdrawn, 0 otherwise
local shop, refund, upto = ARGV[1], ARGV[2], ARGV[3]
local exists = redis.call('EXISTS', KEYS[1]) == 1
local id = cid(shop, refund)
local tomb = redis.call('HGET', KEYS[1], 'w:' .. id)
if not tomb or tomb < upto then
  redis.call('HSET', KEYS[1], 'w:' .. id, upto)
end
if not exists then
  return 0
end
local cs, shops = entries(KEYS[1])
local keep, removed = {}, 0
for _, c in ipairs(cs) do
  if c.shop == shop and c.refund == refund and c.last <= upto then
    redis.call('HDEL', KEYS[1], 'c:' .. id)
    removed = 1
  else
    if c.shop == shop and c.refund == refund and c.first <= upto then
      -- confirmed again since: only the later confirmation stands
      c.first = c.last
      redis.call('HSET', KEYS[1], 'c:' .. id, c.first .. '|' .. c.last)
    end
    keep[#keep + 1] = c
  end
end
derive(KEYS[1], keep, shops)
return removed
