-- Marks an assessment published, unless a newer one replaced it meanwhile.
-- KEYS[1] assessment hash; ARGV[1] signature
if redis.call('HGET', KEYS[1], 'sig') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'pub', '1')
  return 1
end
return 0
