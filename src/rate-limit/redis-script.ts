/**
 * The Lua script behind `RedisStore`: token-bucket.ts's `consumeState`,
 * line for line, run atomically inside Redis — one round trip decides every
 * policy of a request. It is a string here rather than a .lua file so the
 * built package needs no asset copying; the comments inside are the
 * documentation.
 */
import { createHash } from 'node:crypto';

export const TOKEN_BUCKET_LUA = `
-- ward token bucket: every policy of one request, decided together.
-- KEYS[1]   the key (one key: any Redis Cluster slot works)
-- ARGV[1]   cost, in tokens (0 = refill and read only)
-- ARGV[2]   the clock in ms, or '' for the server's own (TIME): one clock for the whole fleet
-- ARGV[3]   ms to keep the key (the slowest bucket's full refill, or the block): it expires by itself
-- ARGV[4]   penalty: refusals in a row that start a block (0 = no penalty)
-- ARGV[5]   penalty: the block, in ms
-- ARGV[6..] per policy, 4 numbers: units per token, units per ms, capacity in units, full refill in ms
-- State: the string "at level1 level2 ... [strikes blockedUntil]", integers (see policy.ts for the units).
-- Returns { allowed (1/0), at, level1, level2, ... [, strikes, blockedUntil] } after the decision.
local cost = tonumber(ARGV[1])
local now
if ARGV[2] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(ARGV[2])
end
local n = (#ARGV - 5) / 4
local after = tonumber(ARGV[4])
local size = n + 1
if after > 0 then size = n + 3 end

-- Read the state; a missing key, or one written for another shape of limiter, is full.
local state = {}
local raw = redis.call('GET', KEYS[1])
if raw then
  for field in string.gmatch(raw, '[^ ]+') do state[#state + 1] = tonumber(field) end
end
if #state ~= size then
  state = { now }
  for p = 1, n do state[p + 1] = tonumber(ARGV[6 + (p - 1) * 4 + 2]) end
  if after > 0 then
    state[n + 2] = 0
    state[n + 3] = 0
  end
end

-- Refill: a clock that went backwards refills nothing and does not move 'at' back.
local at = state[1]
local elapsed = 0
if now > at then
  elapsed = now - at
  state[1] = now
end
local allowed = 1
for p = 1, n do
  local base = 6 + (p - 1) * 4
  local unitsPerToken = tonumber(ARGV[base])
  local unitsPerMs = tonumber(ARGV[base + 1])
  local capacity = tonumber(ARGV[base + 2])
  local fullMs = tonumber(ARGV[base + 3])
  -- Capped first, so elapsed * unitsPerMs stays an exact integer.
  local gained = math.min(elapsed, fullMs) * unitsPerMs
  local level = math.min(capacity, state[p + 1] + gained)
  state[p + 1] = level
  if level < cost * unitsPerToken then allowed = 0 end
end

-- The penalty box: inside a block, refused whatever the buckets hold; the
-- after-th refusal in a row starts a block; an allowed request (not a peek) clears the strikes.
if after > 0 then
  if now < state[n + 3] then
    allowed = 0
  elseif allowed == 0 then
    state[n + 2] = state[n + 2] + 1
    if state[n + 2] >= after then
      state[n + 2] = 0
      state[n + 3] = now + tonumber(ARGV[5])
    end
  elseif cost > 0 then
    state[n + 2] = 0
  end
end

-- Charge every bucket, or none.
if allowed == 1 and cost > 0 then
  for p = 1, n do
    state[p + 1] = state[p + 1] - cost * tonumber(ARGV[6 + (p - 1) * 4])
  end
end

-- Write back as exact integers: tostring is exact below 1e14 ('%.14g'); above, '%.0f' (no exponent).
local text = {}
for i = 1, size do
  local v = state[i]
  if v < 1e14 then text[i] = tostring(v) else text[i] = string.format('%.0f', v) end
end
redis.call('SET', KEYS[1], table.concat(text, ' '), 'PX', ARGV[3])

local reply = { allowed }
for i = 1, size do reply[i + 1] = state[i] end
return reply
`;

/** SHA-1 of {@link TOKEN_BUCKET_LUA}, for EVALSHA. */
export const TOKEN_BUCKET_SHA = createHash('sha1').update(TOKEN_BUCKET_LUA).digest('hex');
