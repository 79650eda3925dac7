-- release.lua: drops the reservations of reserve.lua whose jobs were not produced (the produce
-- failed): a job hash still marked `reservedAt` (no record came) is deleted.
-- Runs after helpers.lua. KEYS[1]: the queue's event stream (it routes the call).
-- ARGV: 1 base, 2.. ids. Returns how many reservations were dropped.

local released = 0
for i = 2, #ARGV do
  local jk = jobKey(ARGV[i])
  if redis.call('HGET', jk, 'reservedAt') then
    redis.call('DEL', jk)
    released = released + 1
  end
end
return released
