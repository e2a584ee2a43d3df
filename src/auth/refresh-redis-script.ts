/**
 * The Lua of RedisRefreshStore. One family is one hash
 * `<prefix>{<family>}` (fields `sub`, `grant` JSON, `created`, `abs`,
 * `idle`, `cur` hash of the current token, `rev` 1 once revoked, and
 * `s:<hash>` for every spent token), expiring
 * by itself at the absolute end (PEXPIREAT), so every operation touches one
 * key of one slot.
 */
import { createHash } from 'node:crypto';

/**
 * ROTATE — KEYS[1] family hash; ARGV: presented hash, next hash, now (ms),
 * idle ttl (ms), most rotations. Replies `{0}` invalid, `{2, sub}` reuse (the family is
 * revoked), `{1, sub, grant, created, abs, idle}` rotated.
 */
export const ROTATE_LUA = `
local f = redis.call('HMGET', KEYS[1], 'cur', 'rev', 'abs', 'idle', 'sub', 'grant', 'created')
if not f[1] or f[2] == '1' then return {0} end
local now = tonumber(ARGV[3])
local abs = tonumber(f[3])
-- Expired (absolute or idle): revoked, kept until the key's own expiry.
if now >= abs or now >= tonumber(f[4]) then
  redis.call('HSET', KEYS[1], 'rev', '1')
  return {0}
end
if f[1] ~= ARGV[1] then
  -- A spent token of this family came back: reuse. Revoke the family.
  if redis.call('HEXISTS', KEYS[1], 's:' .. ARGV[1]) == 1 then
    redis.call('HSET', KEYS[1], 'rev', '1')
    return {2, f[5]}
  end
  -- Never issued (forged or tampered): refused, nothing revoked.
  return {0}
end
local idle = math.min(now + tonumber(ARGV[4]), abs)
-- The presented token is spent from now on: remembered as "s:<hash>" until the family expires.
redis.call('HSET', KEYS[1], 'cur', ARGV[2], 'idle', idle, 's:' .. ARGV[1], '1')
-- Rotated to the end (ARGV[5] rotations): this token is the last, so the hash stays bounded.
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[5]) + 8 then redis.call('HSET', KEYS[1], 'abs', idle) end
return {1, f[5], f[6], f[7], f[3], tostring(idle)}
`;
export const ROTATE_SHA = createHash('sha1').update(ROTATE_LUA).digest('hex');

/**
 * REVOKE — KEYS[1] family hash; ARGV[1] the presented token's hash, or ''
 * (revoke by family id, for revokeSubject): marks an existing family
 * revoked (never creates one), and with a hash only when the family issued it.
 * Answers the family's subject when it revoked it now, else 0.
 */
export const REVOKE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'cur') ~= ARGV[1] and redis.call('HEXISTS', KEYS[1], 's:' .. ARGV[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[1], 'rev') == '1' then return 0 end
redis.call('HSET', KEYS[1], 'rev', '1')
return redis.call('HGET', KEYS[1], 'sub')
`;
export const REVOKE_SHA = createHash('sha1').update(REVOKE_LUA).digest('hex');

/** CREATE — KEYS[1] family hash; ARGV: sub, grant, created, abs, idle, cur. Expires at abs. */
export const CREATE_LUA = `
redis.call('HSET', KEYS[1], 'sub', ARGV[1], 'grant', ARGV[2], 'created', ARGV[3], 'abs', ARGV[4], 'idle', ARGV[5], 'cur', ARGV[6], 'rev', '0')
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
return 1
`;
export const CREATE_SHA = createHash('sha1').update(CREATE_LUA).digest('hex');

/** INDEX — KEYS[1] subject set; ARGV: family, ttl (ms): adds the family, keeps the set at least ttl longer. */
export const INDEX_LUA = `
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`;
export const INDEX_SHA = createHash('sha1').update(INDEX_LUA).digest('hex');
