/**
 * The response store on Redis, through an injected ioredis client (`Redis`
 * or `Cluster`), shared by every process of a fleet: an entry written by
 * one is served and invalidated by all.
 *
 * - An entry is one binary-safe string (`GETBUFFER`/`SET … PX`): a 4-byte
 *   length, the JSON of status, headers, policy (http-cache-semantics'
 *   `toObject()`) and tags, then the body bytes as they are (text bodies
 *   come back as text). Redis expires
 *   it by itself at the end of its freshness plus any stale window.
 * - A tag is a set of entry keys (`<prefix>#tag <tag>`), grown and given the
 *   longest TTL of its entries by one single-key script, so tag sets never
 *   outlive what they index; invalidating a tag deletes its members, then
 *   removes just those from the set (an entry tagged meanwhile stays indexed).
 * - No command touches two keys, so every key can live on its own Cluster
 *   slot; prefix invalidation SCANs (every master on a Cluster).
 * - The fleet lock is `SET NX PX` with a random token, released by a
 *   compare-and-delete script; a waiter polls it with `EXISTS`.
 * - A client that is not ready fails the call at once (ioredis's offline
 *   queue would hold it); the cache then bypasses itself.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type ConnectableClient, ensureReady, runScript, type ScriptingClient, storeClient } from '@ward/core';
import CachePolicy from 'http-cache-semantics';
import { fieldMap, isFieldName, isFieldValue, neverInEntry } from './entry.js';
import type { CacheEntry, CacheStore, CachedResponse } from './store.js';
import { isVaryMarker } from './store.js';

/** What the store needs of an ioredis `Redis` or `Cluster` client. */
export interface CacheRedisClient extends ConnectableClient, ScriptingClient {
  getBuffer(key: string): Promise<Buffer | null>;
  set(key: string, value: Buffer | string, px: 'PX', ttl: number, nx?: 'NX'): Promise<string | null>;
  del(...keys: string[]): Promise<number>;
  exists(key: string): Promise<number>;
  smembers(key: string): Promise<string[]>;
  srem(key: string, ...members: string[]): Promise<number>;
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
  /** A Cluster's nodes (prefix invalidation scans each master). */
  nodes?(role: 'master'): CacheRedisClient[];
}

/** Options of {@link RedisCacheStore}. */
export interface RedisCacheStoreOptions {
  /** An ioredis `Redis` or `Cluster` instance (a peer dependency: yours, configured your way). */
  client: unknown;
  /** Prefix of every key. Default: `'ward:cache:'`. */
  prefix?: string;
}

const TAG_ADD = `
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1`;
const TAG_ADD_SHA = createHash('sha1').update(TAG_ADD).digest('hex');
const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const UNLOCK_SHA = createHash('sha1').update(UNLOCK).digest('hex');

const METHODS = ['getBuffer', 'set', 'del', 'exists', 'smembers', 'srem', 'scan', 'evalsha', 'eval'];

/** `*`, `?`, `[`, `]` and `\` stand for themselves in a SCAN pattern. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** One entry as bytes: length of the JSON (4 bytes), the JSON, the body. */
export function encodeEntry(entry: CacheEntry): Buffer {
  const meta = isVaryMarker(entry)
    ? { v: 1, vary: entry.vary, t: entry.tags }
    : { v: 1, s: entry.status, h: entry.headers, p: entry.policy.toObject(), swr: entry.staleWhileRevalidate, sie: entry.staleIfError, sh: entry.shareable, t: entry.tags, txt: typeof entry.body === 'string' };
  const json = Buffer.from(JSON.stringify(meta));
  const head = Buffer.alloc(4);
  head.writeUInt32BE(json.byteLength);
  return isVaryMarker(entry) ? Buffer.concat([head, json]) : Buffer.concat([head, json, typeof entry.body === 'string' ? Buffer.from(entry.body) : entry.body]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A stored status: an integer the cache may store (`statuses` are 200–599). */
function isStatus(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 200 && (value as number) <= 599;
}

/** Seconds of a stale window: an integer from 0 to 2^32 (delta-seconds are capped at 2^31). */
function isWindow(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 4_294_967_296;
}

const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** A map of strings (the policy's copy of the fields), rebuilt without a prototype; undefined when any value is no string. */
function stringMap(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const out = fieldMap<string>();
  for (const name of Object.keys(value)) {
    const item = value[name];
    if (typeof item !== 'string') return undefined;
    out[name] = item;
  }
  return out;
}

/** Parsed Cache-Control directives (`true` or a string each), rebuilt without a prototype. */
function directiveMap(value: unknown): Record<string, string | true> | undefined {
  if (!isRecord(value)) return undefined;
  const out = fieldMap<string | true>();
  for (const name of Object.keys(value)) {
    const item = value[name];
    if (item !== true && typeof item !== 'string') return undefined;
    out[name] = item;
  }
  return out;
}

/**
 * http-cache-semantics' policy from its `toObject()`, every field checked and
 * the object rebuilt (`fromObject` trusts its input: a missing or mistyped
 * field throws later, in `age()` or `storable()`), then tried once.
 */
function policyOf(value: unknown, status: number): CachePolicy | undefined {
  if (!isRecord(value) || value.v !== 1) return undefined;
  const { t, sh, ch, imm, icc, st, m, u, h, a } = value;
  if (!isFiniteNumber(t) || typeof sh !== 'boolean' || !isFiniteNumber(ch) || ch < 0 || (imm !== undefined && (!isFiniteNumber(imm) || imm < 0))) return undefined;
  if ((icc !== undefined && typeof icc !== 'boolean') || st !== status || typeof m !== 'string' || typeof u !== 'string' || (h !== undefined && typeof h !== 'string') || typeof a !== 'boolean') return undefined;
  const resh = stringMap(value.resh);
  const rescc = directiveMap(value.rescc);
  const reqcc = directiveMap(value.reqcc);
  const reqh = value.reqh === null || value.reqh === undefined ? null : stringMap(value.reqh);
  if (resh === undefined || rescc === undefined || reqcc === undefined || reqh === undefined) return undefined;
  const policy = CachePolicy.fromObject({ v: 1, t, sh, ch, imm, icc: icc === true, st, resh, rescc, m, u, h, a, reqh, reqcc } as unknown as CachePolicy.CachePolicyObject);
  // What the cache asks of a policy, once: a damaged one that still throws or answers no number is no entry.
  if (!isFiniteNumber(policy.age()) || !isFiniteNumber(policy.maxAge()) || typeof policy.storable() !== 'boolean') return undefined;
  return policy;
}

/** The stored fields, checked (names node accepts and the cache stores, values without CR, LF or NUL) and rebuilt without a prototype. */
function headersOf(value: unknown): CachedResponse['headers'] | undefined {
  if (!isRecord(value)) return undefined;
  const out = fieldMap<string | readonly string[]>();
  for (const name of Object.keys(value)) {
    const item = value[name];
    if (!isFieldName(name) || neverInEntry(name) || !isFieldValue(item)) return undefined;
    out[name] = typeof item === 'string' ? item : [...item];
  }
  return out;
}

/**
 * Reads back {@link encodeEntry}'s bytes; `undefined` for anything else: a
 * foreign or damaged value is a miss (the handler answers and replaces it).
 * Damage that still parses is caught too — every field is checked, the
 * header map and the policy are rebuilt — so nothing read back can fail the
 * request that serves it.
 */
export function decodeEntry(bytes: Buffer): CacheEntry | undefined {
  try {
    if (bytes.byteLength < 4) return undefined;
    const length = bytes.readUInt32BE(0);
    if (4 + length > bytes.byteLength) return undefined;
    const meta: unknown = JSON.parse(bytes.subarray(4, 4 + length).toString('utf8'));
    if (!isRecord(meta) || meta.v !== 1 || !Array.isArray(meta.t)) return undefined;
    const tags = meta.t.filter((t): t is string => typeof t === 'string');
    if (meta.vary !== undefined) {
      const vary = meta.vary;
      // The names are those of the response's Vary (varyNames: lower-cased, trimmed), whatever their spelling.
      if (!Array.isArray(vary) || vary.length === 0 || !vary.every((n): n is string => typeof n === 'string' && n !== '' && isFieldValue(n))) return undefined;
      return { vary: [...vary], tags };
    }
    if (!isStatus(meta.s) || !isWindow(meta.swr) || !isWindow(meta.sie) || typeof meta.sh !== 'boolean' || typeof meta.txt !== 'boolean') return undefined;
    const headers = headersOf(meta.h);
    const policy = policyOf(meta.p, meta.s);
    if (headers === undefined || policy === undefined) return undefined;
    const entry: CachedResponse = {
      status: meta.s,
      headers,
      body: meta.txt ? bytes.toString('utf8', 4 + length) : bytes.subarray(4 + length),
      policy,
      staleWhileRevalidate: meta.swr,
      staleIfError: meta.sie,
      shareable: meta.sh,
      tags,
    };
    return entry;
  } catch {
    return undefined;
  }
}

export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis';
  readonly #client: CacheRedisClient;
  readonly #prefix: string;

  constructor(options: RedisCacheStoreOptions) {
    const { client, prefix } = storeClient<CacheRedisClient>(options, 'RedisCacheStore', METHODS, 'ward:cache:');
    this.#client = client;
    this.#prefix = prefix;
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    ensureReady(this.#client);
    const bytes = await this.#client.getBuffer(this.#prefix + key);
    return bytes === null ? undefined : decodeEntry(bytes);
  }

  async set(key: string, entry: CacheEntry, ttlMs: number): Promise<void> {
    if (!(ttlMs > 0)) return;
    ensureReady(this.#client);
    const ttl = Math.ceil(ttlMs);
    const full = this.#prefix + key;
    await Promise.all([
      this.#client.set(full, encodeEntry(entry), 'PX', ttl),
      ...entry.tags.map((tag) => runScript(this.#client, TAG_ADD_SHA, TAG_ADD, 1, this.#tagKey(tag), full, ttl)),
    ]);
  }

  async delete(key: string): Promise<void> {
    ensureReady(this.#client);
    await this.#client.del(this.#prefix + key);
  }

  async deleteTag(tag: string): Promise<void> {
    ensureReady(this.#client);
    const tagKey = this.#tagKey(tag);
    const members = await this.#client.smembers(tagKey);
    if (members.length === 0) return;
    // One key per DEL: entries may live on different Cluster slots.
    await Promise.all(members.map((member) => this.#client.del(member)));
    await this.#client.srem(tagKey, ...members);
  }

  async deletePrefix(prefix: string): Promise<void> {
    ensureReady(this.#client);
    const pattern = `${globEscape(this.#prefix + prefix)}*`;
    const nodes = typeof this.#client.nodes === 'function' ? this.#client.nodes('master') : [this.#client];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        await Promise.all(keys.map((key) => this.#client.del(key)));
      } while (cursor !== '0');
    }
  }

  async lock(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    ensureReady(this.#client);
    const lockKey = this.#lockKey(key);
    const token = randomBytes(16).toString('base64url');
    const taken = await this.#client.set(lockKey, token, 'PX', Math.ceil(ttlMs), 'NX');
    if (taken !== 'OK') return undefined;
    return async () => {
      await runScript(this.#client, UNLOCK_SHA, UNLOCK, 1, lockKey, token);
    };
  }

  async locked(key: string): Promise<boolean> {
    ensureReady(this.#client);
    return (await this.#client.exists(this.#lockKey(key))) === 1;
  }

  #lockKey(key: string): string {
    return `${this.#prefix}#lock ${key}`;
  }

  #tagKey(tag: string): string {
    return `${this.#prefix}#tag ${tag}`;
  }
}
