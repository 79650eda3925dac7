-- helpers.lua: shared by every script of the store; scripts.ts puts it before each one (a script
-- runs alone on the server, so each call carries its own copy).
-- Each script runs atomically; all keys of one call belong to one queue (one hash tag), so they
-- also run on Redis Cluster. KEYS[1] is always the queue's event stream (it routes the call); the
-- other keys are derived from ARGV[1], the queue's key base `<prefix>:{<queue>}` (see QueueKeys).

local base = ARGV[1]
local function jobKey(id) return base .. ':j:' .. id end
local function logKey(id) return base .. ':l:' .. id end
local function setKey(s) return base .. ':s:' .. s end
-- the ids of the jobs that have a log list: most jobs log nothing, and a removal then need not
-- look for (nor build the name of) a list per job
local loggedKey = base .. ':logged'
local function isFinished(s) return s == 'completed' or s == 'failed' or s == 'dead' end
-- cmd, then key unless nil, then the list's items, in calls of at most `size` items (unpack's
-- limit; even for a list of pairs). Returns the sum of the replies (commands that answer a count).
local function callInParts(size, cmd, key, list)
  local sum = 0
  for i = 1, #list, size do
    local last = math.min(i + size - 1, #list)
    if key then
      sum = sum + redis.call(cmd, key, unpack(list, i, last))
    else
      sum = sum + redis.call(cmd, unpack(list, i, last))
    end
  end
  return sum
end
-- whether any of the keys exists (EXISTS in calls of at most 500 keys, stopping at the first hit)
local function anyExists(keys)
  for i = 1, #keys, 500 do
    if redis.call('EXISTS', unpack(keys, i, math.min(i + 499, #keys))) > 0 then return true end
  end
  return false
end
-- removes the log lists of those of the ids that have one
local function removeLogs(ids)
  if #ids == 0 or redis.call('SCARD', loggedKey) == 0 then return end
  for i = 1, #ids, 500 do
    local part = { unpack(ids, i, math.min(i + 499, #ids)) }
    local found = redis.call('SMISMEMBER', loggedKey, unpack(part))
    local logged = {}
    for j, member in ipairs(found) do
      if member == 1 then logged[#logged + 1] = part[j] end
    end
    if #logged > 0 then
      redis.call('SREM', loggedKey, unpack(logged))
      local keys = {}
      for j, id in ipairs(logged) do keys[j] = logKey(id) end
      callInParts(500, 'DEL', nil, keys)
    end
  end
end
-- compact records (see read/compact-record.ts): one hash for the jobs that started and completed in
-- one batch with no earlier record
local compactKey = base .. ':c'
-- completion records laid over waiting jobs' hashes (see read/compact-record.ts)
local completionsKey = base .. ':cw'
-- where a job's record may lie, by its hash's state: in the compact hash when it has no hash of
-- its own, or as a completion record over its hash while that says waiting; nil: nowhere
local function recordsKeyOf(state)
  if not state then return compactKey end
  if state == 'waiting' then return completionsKey end
  return nil
end
-- removes the ids' fields of a records hash; returns how many there were (none without the hash:
-- most queues use one kind of record, and its ids were not worth the other's call)
local function removeRecords(key, ids)
  if redis.call('EXISTS', key) == 0 then return 0 end
  return callInParts(500, 'HDEL', key, ids)
end
local function removeJobs(ids)
  removeRecords(completionsKey, ids)
  -- compact records first: when all the jobs were, there is no job hash to delete (nor key to build)
  if removeRecords(compactKey, ids) < #ids then
    local keys = {}
    for i, id in ipairs(ids) do keys[i] = jobKey(id) end
    callInParts(500, 'DEL', nil, keys)
  end
  removeLogs(ids)
end
