-- clean.lua: removes up to ARGV[4] jobs of state ARGV[2] whose score (finish time; enqueue, start
-- or retry time for unfinished states) is at most ARGV[3], with their records and logs (store.clean).
-- Runs after helpers.lua. KEYS[1]: the queue's event stream (it routes the call).
-- ARGV: 1 base, 2 state, 3 max score (ms), 4 limit. Returns the removed ids.

local key = setKey(ARGV[2])
local ids = redis.call('ZRANGEBYSCORE', key, '-inf', ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))
if #ids > 0 then
  removeJobs(ids)
  redis.call('ZREM', key, unpack(ids))
end
return ids
