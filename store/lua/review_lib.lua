-- Shared by the review scripts (prepended to each). Keys of one case, under
-- the shop's prefix: rv:<refund> workflow state (hash), al:<refund> audit log
-- (list of JSON entries). Times are fixed-width UTC strings, so they compare
-- as strings.

-- state returns the case's state hash as a flat list, for the reply.
local function state(rv)
  return redis.call('HGETALL', rv)
end

-- audit appends one entry to the case's log, keeps the newest 500, and
-- keeps the log forever once it holds a verdict (keep), or when it already
-- has no TTL; otherwise it expires with the retention window.
local function audit(al, entry, keep, ttl)
  local persistent = redis.call('TTL', al) == -1
  redis.call('RPUSH', al, cjson.encode(entry))
  redis.call('LTRIM', al, -500, -1)
  if keep or persistent then
    redis.call('PERSIST', al)
  else
    redis.call('EXPIRE', al, ttl)
  end
end

local function reply(code, detail, rv)
  local out = {code, detail or ''}
  for _, v in ipairs(state(rv)) do
    out[#out + 1] = v
  end
  return out
end
