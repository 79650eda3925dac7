-- apply.lua: applies a batch of recorded state changes of one queue, in order (the write path).
-- Runs after helpers.lua (scripts.ts joins them). KEYS[1]: the queue's event stream (it gets
-- the batch's events).
--
-- ARGV: 1 base, 2 events max length (0: no events), 3-4 completed retention (count, max age ms;
-- -1 no bound), 5-6 failed/dead retention, 7 log lines kept per job (-1 all), 8 stack traces kept
-- per job, 9 how long (ms) a job removed as it finishes stays readable, 10 now (ms), 11 the ops as
-- a MessagePack array of string arrays (see `encodeOps`), 12 '1' to return only how many jobs were created:
--   W  id ts name data opts key partition offset                    (enqueued)
--   A  id attempt ts run who data                                   (try started)
--   AC id attempt finishedAt run who data returnvalue               (started and completed;
--                                                                   returnvalue '' for undefined)
--   AC id attempt finishedAt record                                 (the same, its values joined by
--                                   newlines as a compact record, see read/compact-record.ts: sent so
--                                   when the data goes inline, when most jobs have no record yet)
--   B  (id finishedAt record)...                                    (first tries that started and
--                                   completed, their records joined as AC joins them; last in
--                                   the list, see encodeOps and firstTries below)
--   BW (id finishedAt record)...                                    (the same, their records without
--                                   data, of jobs most likely waiting: see firstTriesOfWaiting)
--   X  id data                                                      (data, unless there)
--   P  id ts progress                                               (progress)
--   L  id line                                                      (log line)
--   R  id attempt ts failedReason stack delayMs                     (try failed, retry follows)
--   T  id attempt ts failedReason stack                             (last try failed)
--   C  id attempt ts returnvalue workerId                           (completed)
--   D  id attempt ts failedReason stack deadLetterTopic name key partition offset enqueuedAt
--                                                                   (dead, or failed when no topic)
-- `run` packs a try's numbers, `who` its worker id, the job's name and key (see `run-field.ts`). A
-- job nobody recorded yet also gets its data when the op carries it (data '' when not).
-- An AC op of a job nobody recorded yet, with the data inline (ARGV 12) and completed jobs kept,
-- becomes a compact record (see `read/compact-record.ts`): the batch's compact records are written by
-- one HSET at the end. A BW op's jobs, when all were waiting, get completion records laid over
-- their hashes (`:cw`, one HSET). Any later write to such a job first turns its record into (or
-- into part of) its job hash.
-- Every state change carries an ordering stamp (see `seqOf`: in the `seq` field, or for A and AC
-- in their `run` field) and is skipped when the job already holds a later one. The per-state
-- sorted sets are updated once per batch: each job leaves the set it was in before the batch and
-- joins the set of its last state.
-- The events of the applied ops go to the stream as one entry: a lone event as its fields
-- (`event`, `jobId`, ...), several as `event` = `batch` and `events` = a JSON array of
-- `[event, jobId, field, value, ...]` arrays, in op order, or for a job that started and completed
-- on its first try with an undefined result, its id alone, when its state before the batch was the
-- one the entry's `prev` field names (none: no record; `waiting`: its enqueuer's record): the
-- first such job of the batch sets it (see `parseStreamEntry`).
-- Returns the ids of the jobs an A or AC op created (no one had recorded them): the caller sends
-- their data (X) next unless the op carried it (data '' when not sent). With ARGV 12 = '1' (the
-- ops carried the data), only how many.

local evKey = KEYS[1]
local evLen = tonumber(ARGV[2])
local keepC, ageC = tonumber(ARGV[3]), tonumber(ARGV[4])
local keepF, ageF = tonumber(ARGV[5]), tonumber(ARGV[6])
local keepLogs = tonumber(ARGV[7])
local stackLimit = tonumber(ARGV[8])
local removedTtl = tonumber(ARGV[9])
local now = tonumber(ARGV[10])
local ops = cmsgpack.unpack(ARGV[11])
local createdCountOnly = ARGV[12] == '1'
local created = {}

-- Pairs sent in one command at the end of the batch (a set's ZADD, the compact records' HSET),
-- by job: a later op of the batch can take a job's pair back (its first item becomes false).
local function newPairs() return { items = {}, at = {}, cancelled = false } end
local function addPair(list, id, first, second)
  local items = list.items
  local n = #items
  items[n + 1] = first
  items[n + 2] = second
  list.at[id] = n + 1
end
-- takes the job's pair back; returns its second item, nil when the job has no pair here
local function takeBack(list, id)
  local at = list.at[id]
  if not at then return nil end
  list.at[id] = nil
  list.items[at] = false
  list.cancelled = true
  return list.items[at + 1]
end
-- the items of the pairs not taken back
local function keptItems(list)
  if not list.cancelled then return list.items end
  local kept = {}
  for i = 1, #list.items, 2 do
    if list.items[i] then
      kept[#kept + 1] = list.items[i]
      kept[#kept + 1] = list.items[i + 1]
    end
  end
  return kept
end

-- Index moves, applied at the end. A job in no set before (no record) goes straight to the
-- score, id pairs of its set: most jobs of a batch, at one table entry each. A job moved again in
-- the batch (rare) is taken off those pairs and tracked like the others: the set it was in before
-- the batch, the set (and score) it ends in.
local direct = {}
local initial, final, finalScore, order = {}, {}, {}, {}
local function move(id, old, new, score)
  if initial[id] == nil then
    local movedBefore = false
    for _, list in pairs(direct) do
      if takeBack(list, id) then movedBefore = true end
    end
    if movedBefore then
      old = nil
    elseif old == nil and new then
      direct[new] = direct[new] or newPairs()
      addPair(direct[new], id, score, id)
      return
    end
    initial[id] = old or ''
    order[#order + 1] = id
  end
  final[id] = new or false
  finalScore[id] = score
end

-- events of the batch, written as one stream entry at the end (one XADD per job costs more than the job's hash)
local events = {}
-- the state before the batch of the jobs whose completion is their id alone in events ('' none)
local idsPrev = nil
local function emit(name, id, ...)
  if evLen > 0 then events[#events + 1] = { name, id, ... } end
end

-- jobs removed as they finished (keep == 0): their logs go at the end, in one look-up
local removedNow = {}

local function pushStack(jk, stack)
  if stack == '' or stackLimit <= 0 then return end
  local list = {}
  local cur = redis.call('HGET', jk, 'stacktrace')
  if cur then
    local ok, decoded = pcall(cjson.decode, cur)
    if ok and type(decoded) == 'table' then list = decoded end
  end
  list[#list + 1] = stack
  while #list > stackLimit do table.remove(list, 1) end
  redis.call('HSET', jk, 'stacktrace', cjson.encode(list))
end

-- a finished job: indexed in its state's set, or removed at once (keep == 0)
local function finish(id, jk, old, new, ts, keep)
  if keep == 0 then
    move(id, old, nil)
    removedNow[#removedNow + 1] = id
    if removedTtl > 0 then
      redis.call('HSET', jk, 'removedAt', ts)
      redis.call('PEXPIRE', jk, removedTtl)
    else
      redis.call('DEL', jk)
    end
  else
    move(id, old, new, ts)
  end
end

-- an A or AC op's completion: its index move and its event
local function completedNow(id, jk, old, attempt, finishedAt, rv)
  finish(id, jk, old, 'completed', finishedAt, keepC)
  -- the commonest case (first try, no result, no earlier record or a waiting one) is the job id
  -- alone: an event table and its JSON per job would cost the script more than the job's write
  local prev = old or ''
  if rv == '' and attempt == '1' and (prev == '' or prev == 'waiting') and (idsPrev == nil or idsPrev == prev) then
    idsPrev = prev
    if evLen > 0 then events[#events + 1] = id end
  else
    emit('completed', id, 'returnvalue', rv, 'attemptsMade', attempt, 'active', '1', 'prev', old or '')
  end
end

-- A state change's ordering stamp: attempt * 4 + step (1 started, 2 failed, 3 finished). A
-- write older than the job's stamp is skipped, so a late or repeated write never moves a job back.
-- Cached by attempt (text) and step: converting text to numbers per op is costly in the script.
local seqCache = {}
local function seqOf(attempt, step)
  local byAttempt = seqCache[step]
  if not byAttempt then
    byAttempt = {}
    seqCache[step] = byAttempt
  end
  local stamp = byAttempt[attempt]
  if not stamp then
    stamp = tonumber(attempt) * 4 + step
    byAttempt[attempt] = stamp
  end
  return stamp
end

-- The stamp of the try a 'run' field packs (see run-field.ts): a started try's five numbers
-- (attemptsStarted second), or seven once it finished (attemptsMade last). A and AC writes
-- carry their stamp this way only: one field less to write per job.
local function runSeq(run)
  local made = string.match(run, '^%[[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,(%d+)%]$')
  if made then return tonumber(made) * 4 + 3 end
  local started = string.match(run, '^%[[^,]*,(%d+),')
  if started then return tonumber(started) * 4 + 1 end
  return -1
end

-- the compact records of this batch (id, record pairs), written at its end
local compact = newPairs()

-- run, who, data, returnvalue of a compact record (nil when it is not one)
local function splitRecord(packed)
  return string.match(packed, '^([^\n]*)\n([^\n]*)\n([^\n]*)\n(.*)$')
end

-- Writes the job hash a compact record stands for: before any later write to the job.
local function expandCompact(jk, packed)
  local run, who, data, rv = splitRecord(packed)
  if not run then return end
  local fields = { 'state', 'completed', 'run', run, 'who', who }
  if data ~= '' then fields[#fields + 1] = 'data'; fields[#fields + 1] = data end
  if rv ~= '' then fields[#fields + 1] = 'returnvalue'; fields[#fields + 1] = rv end
  redis.call('HSET', jk, unpack(fields))
end

-- state, stamp (the later of the seq field and the run's), and whether the hash carries a TTL
-- (reserved, or removed as it finished). A job held as a compact record gets its hash first.
local function current(jk, id)
  local packedHere = takeBack(compact, id)
  if packedHere then expandCompact(jk, packedHere) end
  local cur = redis.call('HMGET', jk, 'state', 'seq', 'reservedAt', 'removedAt', 'run')
  local recordsKey = recordsKeyOf(cur[1])
  if recordsKey then
    local packed = redis.call('HGET', recordsKey, id)
    if packed then
      expandCompact(jk, packed)
      redis.call('HDEL', recordsKey, id)
      cur = redis.call('HMGET', jk, 'state', 'seq', 'reservedAt', 'removedAt', 'run')
    end
  end
  local seq = -1
  if cur[2] then seq = tonumber(cur[2]) end
  if cur[5] then seq = math.max(seq, runSeq(cur[5])) end
  return cur[1], seq, (cur[3] or cur[4])
end

local function unmark(jk)
  redis.call('PERSIST', jk)
  redis.call('HDEL', jk, 'reservedAt', 'removedAt')
end

-- Jobs a worker records first (their enqueuer records no state) have no hash yet. One EXISTS
-- over the batch's A and AC jobs tells when none has: then those jobs are known to be new, and
-- each saves the read of its state (unless an earlier op of the batch wrote the job).
-- The job keys of the batch, by op index: built once (the EXISTS below and the ops use them).
local jobKeys = {}
local noneExisted = true
do
  local keys, ids = {}, {}
  for i, op in ipairs(ops) do
    local jk = jobKey(op[2])
    jobKeys[i] = jk
    if op[1] == 'AC' or op[1] == 'A' then
      keys[#keys + 1] = jk
      ids[#ids + 1] = op[2]
    end
  end
  noneExisted = not anyExists(keys)
  if noneExisted and #ids > 0 and redis.call('EXISTS', compactKey) == 1 then
    for i = 1, #ids, 500 do
      for _, packed in ipairs(redis.call('HMGET', compactKey, unpack(ids, i, math.min(i + 499, #ids)))) do
        if packed then noneExisted = false end
      end
      if not noneExisted then break end
    end
  end
end
local written = {}
-- jobs the B op created (see firstTries)
local createdFirstTries = 0

-- the score, id pairs the batch adds to the completed set
local function completedPairs()
  direct.completed = direct.completed or newPairs()
  return direct.completed.items
end

-- The entries of a B or BW op written per batch: their records into `records` (id, record
-- pairs, written by one HSET), their completed-set pairs and their events; `prev` is the
-- state they were in before.
local function writeFirstTries(op, records, prev)
  local scores = completedPairs()
  for i = 2, #op, 3 do
    local id, finishedAt, record = op[i], op[i + 1], op[i + 2]
    written[id] = true
    records[#records + 1] = id
    records[#records + 1] = record
    scores[#scores + 1] = finishedAt
    scores[#scores + 1] = id
    -- a record that ends in its separator: the job returned undefined (its event: its id alone)
    if string.byte(record, -1) == 10 then
      if evLen > 0 then events[#events + 1] = id end
    else
      emit('completed', id, 'returnvalue', string.match(record, '\n([^\n]*)$'), 'attemptsMade', '1', 'active', '1', 'prev', prev)
    end
  end
  idsPrev = prev
end

-- The entries of a B or BW op (id, finishedAt, record each) as AC ops at the end of the list,
-- applied one by one (each reads its job's state first); `keys`: their job keys when built already.
local function entriesAsOps(op, keys)
  noneExisted = false
  for i = 2, #op, 3 do
    ops[#ops + 1] = { 'AC', op[i], '1', op[i + 1], op[i + 2] }
    jobKeys[#ops] = keys and keys[(i + 1) / 3] or jobKey(op[i])
  end
end

-- B: first tries that started and completed, as id, finishedAt, record triples (the record as an
-- AC op joins it), last in the list. When none of their jobs has a record or an earlier op in the
-- batch, their records, set entries and events are written with a command per batch, not per
-- job: most of what a busy worker whose enqueuers record no state sends. Else each becomes an AC op
-- at the end of the list.
local function firstTries(op)
  local keys = {}
  local fresh = keepC ~= 0 and createdCountOnly and (idsPrev == nil or idsPrev == '')
  for i = 2, #op, 3 do
    if written[op[i]] then fresh = false end
    keys[#keys + 1] = jobKey(op[i])
  end
  if not fresh or anyExists(keys) then
    entriesAsOps(op, keys)
    return
  end
  -- (a compact record the job may have is replaced: it can only be an earlier first try's)
  writeFirstTries(op, compact.items, '')
  createdFirstTries = createdFirstTries + (#op - 1) / 3
end

-- BW: the same entries, their records without data, of jobs whose enqueuers recorded them, last
-- in the list. When all of them are waiting (they leave the waiting set: recorded, with no later
-- state) and none had an earlier op in the batch, their records are written as completion records
-- laid over their hashes (see read/compact-record.ts), by one HSET for the batch: no write per job, and
-- their hashes are deleted with the others when retention removes them. Else each becomes an AC
-- op at the end of the list (ZREM has taken some out of the waiting set: their AC ops read the
-- state from their hashes, and their move out of the set is then a no-op).
local function firstTriesOfWaiting(op)
  local ids = {}
  local waiting = keepC ~= 0 and (idsPrev == nil or idsPrev == 'waiting')
  for i = 2, #op, 3 do
    if written[op[i]] then waiting = false end
    ids[#ids + 1] = op[i]
  end
  if not waiting or callInParts(500, 'ZREM', setKey('waiting'), ids) < #ids then
    entriesAsOps(op)
    return
  end
  local records = {}
  writeFirstTries(op, records, 'waiting')
  callInParts(1000, 'HSET', completionsKey, records)
end

-- every op but B and BW
local function applyOp(opIndex, op)
  local code, id = op[1], op[2]
  local jk = jobKeys[opIndex]
  local writtenBefore = written[id]
  written[id] = true
  if code == 'AC' or code == 'A' then
    local attempt = op[3]
    local old, seq, marked = nil, -1, nil
    if not noneExisted or writtenBefore then old, seq, marked = current(jk, id) end
    local s
    if code == 'AC' then s = seqOf(attempt, 3) else s = seqOf(attempt, 1) end
    if s >= seq then
      if not old then created[#created + 1] = id end
      local joined = code == 'AC' and #op == 5
      if joined and not old and createdCountOnly and keepC ~= 0 then
        -- the commonest case: the record as it came, written with the batch's others at the end
        addPair(compact, id, id, op[5])
        -- a record that ends in its separator: the job returned undefined
        local rv = ''
        if string.byte(op[5], -1) ~= 10 then rv = string.match(op[5], '\n([^\n]*)$') end
        completedNow(id, jk, nil, attempt, op[4], rv)
      else
        local st, run, who, data, rv = 'active', op[5], op[6], op[7], op[8]
        if code == 'AC' then st = 'completed' end
        if joined then run, who, data, rv = splitRecord(op[5]) end
        -- no returnvalue field for a job that returned undefined (rv ''); a job nobody recorded yet
        -- also gets its data, when sent. One call per case: an argument table per job costs more.
        if old then data = '' end
        if rv and rv ~= '' then
          if data ~= '' then
            redis.call('HSET', jk, 'state', st, 'run', run, 'who', who, 'returnvalue', rv, 'data', data)
          else
            redis.call('HSET', jk, 'state', st, 'run', run, 'who', who, 'returnvalue', rv)
          end
        elseif data ~= '' then
          redis.call('HSET', jk, 'state', st, 'run', run, 'who', who, 'data', data)
        else
          redis.call('HSET', jk, 'state', st, 'run', run, 'who', who)
        end
        if marked then unmark(jk) end
        if code == 'AC' then
          completedNow(id, jk, old, attempt, op[4], rv)
        else
          move(id, old, 'active', op[4])
          emit('active', id, 'attempt', attempt, 'prev', old or '')
        end
      end
    end
  elseif code == 'W' then
    local old, seq, marked = current(jk, id)
    local f = { 'name', op[4], 'data', op[5], 'timestamp', op[3] }
    if op[6] ~= '' then f[#f + 1] = 'opts'; f[#f + 1] = op[6] end
    if op[7] ~= '' then f[#f + 1] = 'key'; f[#f + 1] = op[7] end
    if op[8] ~= '' then f[#f + 1] = 'partition'; f[#f + 1] = op[8] end
    if op[9] ~= '' then f[#f + 1] = 'offset'; f[#f + 1] = op[9] end
    if seq <= 0 then
      f[#f + 1] = 'state'; f[#f + 1] = 'waiting'; f[#f + 1] = 'seq'; f[#f + 1] = '0'
      redis.call('HSET', jk, unpack(f))
      if marked then unmark(jk) end
      move(id, old, 'waiting', op[3])
    else
      -- a worker got there first: add what the enqueuer knows, keep the state
      redis.call('HSET', jk, unpack(f))
    end
    emit('added', id, 'name', op[4])
  elseif code == 'X' then
    if redis.call('EXISTS', jk) == 1 then redis.call('HSETNX', jk, 'data', op[3]) end
  elseif code == 'P' then
    local old = redis.call('HGET', jk, 'state')
    -- (a job with a record is a completed one)
    local recordsKey = recordsKeyOf(old)
    if recordsKey and redis.call('HEXISTS', recordsKey, id) == 1 then old = 'completed' end
    if old and not isFinished(old) then redis.call('HSET', jk, 'progress', op[4]) end
    emit('progress', id, 'data', op[4])
  elseif code == 'L' then
    if keepLogs ~= 0 and redis.call('EXISTS', jk) == 1 then
      local lk = logKey(id)
      if redis.call('RPUSH', lk, op[3]) == 1 then redis.call('SADD', loggedKey, id) end
      if keepLogs > 0 then redis.call('LTRIM', lk, -keepLogs, -1) end
    end
  elseif code == 'R' then
    local attempt = tonumber(op[3])
    local old, seq = current(jk, id)
    local s = attempt * 4 + 2
    if old and s >= seq then
      redis.call('HSET', jk, 'state', 'retrying', 'seq', s, 'attemptsMade', op[3], 'failedReason', op[5])
      pushStack(jk, op[6])
      move(id, old, 'retrying', tonumber(op[4]) + tonumber(op[7]))
      emit('retrying', id, 'failedReason', op[5], 'attemptsMade', op[3], 'delayMs', op[7])
    end
  elseif code == 'T' then
    local attempt = tonumber(op[3])
    local old, seq = current(jk, id)
    if old and attempt * 4 + 2 >= seq then
      redis.call('HSET', jk, 'attemptsMade', op[3], 'failedReason', op[5])
    end
  elseif code == 'C' then
    local attempt = tonumber(op[3])
    local old, seq, marked = current(jk, id)
    local s = attempt * 4 + 3
    if s >= seq then
      redis.call('HSET', jk, 'state', 'completed', 'seq', s, 'returnvalue', op[5], 'finishedOn', op[4], 'attemptsMade', op[3], 'workerId', op[6])
      if marked then unmark(jk) end
      finish(id, jk, old, 'completed', op[4], keepC)
      emit('completed', id, 'returnvalue', op[5], 'attemptsMade', op[3])
    end
  elseif code == 'D' then
    local attempt = tonumber(op[3])
    local old, seq, marked = current(jk, id)
    local s = attempt * 4 + 3
    if s >= seq then
      local topic = op[7]
      local st = 'dead'
      if topic == '' then st = 'failed' end
      redis.call('HSET', jk, 'state', st, 'seq', s, 'failedReason', op[5], 'finishedOn', op[4], 'attemptsMade', op[3], 'deadLetterTopic', topic)
      if not old then
        redis.call('HSET', jk, 'name', op[8], 'key', op[9], 'partition', op[10], 'offset', op[11], 'timestamp', op[12])
      end
      if marked then unmark(jk) end
      pushStack(jk, op[6])
      finish(id, jk, old, st, op[4], keepF)
      emit('failed', id, 'failedReason', op[5], 'attemptsMade', op[3], 'deadLetterTopic', topic)
      if topic ~= '' then emit('dead', id, 'failedReason', op[5], 'attemptsMade', op[3], 'deadLetterTopic', topic) end
    end
  else
    return redis.error_reply('partita: unknown state op ' .. tostring(code))
  end
end

for opIndex, op in ipairs(ops) do
  if op[1] == 'B' then
    firstTries(op)
  elseif op[1] == 'BW' then
    firstTriesOfWaiting(op)
  else
    local refused = applyOp(opIndex, op)
    if refused then return refused end
  end
end

-- the batch's compact records (those a later op of the batch turned into hashes left out)
callInParts(1000, 'HSET', compactKey, keptItems(compact))

-- the index moves, grouped per set
local zadd = {}
for state, list in pairs(direct) do zadd[state] = keptItems(list) end
local zrem = {}
for _, id in ipairs(order) do
  local from, to = initial[id], final[id]
  local toState = ''
  if to then toState = to end
  if from ~= '' and from ~= toState then
    zrem[from] = zrem[from] or {}
    table.insert(zrem[from], id)
  end
  if to then
    zadd[toState] = zadd[toState] or {}
    local list = zadd[toState]
    list[#list + 1] = finalScore[id]
    list[#list + 1] = id
  end
end
for state, ids in pairs(zrem) do callInParts(500, 'ZREM', setKey(state), ids) end
for state, args in pairs(zadd) do callInParts(1000, 'ZADD', setKey(state), args) end

local function trim(state, keep, age)
  local key = setKey(state)
  if keep > 0 then
    local over = redis.call('ZCARD', key) - keep
    if over > 0 then
      if over > 1000 then over = 1000 end
      removeJobs(redis.call('ZRANGE', key, 0, over - 1))
      redis.call('ZREMRANGEBYRANK', key, 0, over - 1)
    end
  end
  if age > 0 then
    local ids = redis.call('ZRANGEBYSCORE', key, '-inf', '(' .. (now - age), 'LIMIT', 0, 1000)
    if #ids > 0 then
      removeJobs(ids)
      redis.call('ZREM', key, unpack(ids))
    end
  end
end
if #events == 1 and type(events[1]) == 'string' then
  redis.call('XADD', evKey, 'MAXLEN', '~', evLen, '*', 'event', 'completed', 'jobId', events[1], 'attemptsMade', '1', 'active', '1', 'prev', idsPrev)
elseif #events == 1 then
  local e = events[1]
  redis.call('XADD', evKey, 'MAXLEN', '~', evLen, '*', 'event', e[1], 'jobId', e[2], unpack(e, 3))
elseif #events > 1 then
  -- an exact cap in entries that keeps about evLen events: entries carry whole batches now
  local cap = math.max(1, math.floor(evLen / #events))
  if idsPrev and idsPrev ~= '' then
    redis.call('XADD', evKey, 'MAXLEN', cap, '*', 'event', 'batch', 'events', cjson.encode(events), 'prev', idsPrev)
  else
    redis.call('XADD', evKey, 'MAXLEN', cap, '*', 'event', 'batch', 'events', cjson.encode(events))
  end
end
removeLogs(removedNow)
if zadd['completed'] then trim('completed', keepC, ageC) end
if zadd['failed'] then trim('failed', keepF, ageF) end
if zadd['dead'] then trim('dead', keepF, ageF) end
if createdCountOnly then return #created + createdFirstTries end
return created
