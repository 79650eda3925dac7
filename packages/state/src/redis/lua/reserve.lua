-- reserve.lua: reserves job ids before their jobs are produced (de-duplication by jobId).
-- Runs after helpers.lua. KEYS[1]: the queue's event stream (it routes the call).
--
-- Reserves job ids: an id whose job is known and not finished is a duplicate (0); any other id is
-- reserved (1): a `waiting` hash that expires unless the job is recorded. A finished job with the
-- same id is replaced. ARGV: 1 base, 2 now (ms), 3 reservation TTL (ms), 4.. ids.

local now, ttl = ARGV[2], tonumber(ARGV[3])
local result = {}
for i = 4, #ARGV do
  local id = ARGV[i]
  local jk = jobKey(id)
  local st = redis.call('HGET', jk, 'state')
  local recordsKey = recordsKeyOf(st)
  if recordsKey and redis.call('HDEL', recordsKey, id) == 1 then st = 'completed' end
  if st and not isFinished(st) then
    result[#result + 1] = 0
  else
    if st then
      redis.call('ZREM', setKey(st), id)
      redis.call('DEL', jk)
      removeLogs({ id })
    end
    redis.call('HSET', jk, 'state', 'waiting', 'seq', '0', 'timestamp', now, 'reservedAt', now)
    redis.call('PEXPIRE', jk, ttl)
    result[#result + 1] = 1
  end
end
return result
